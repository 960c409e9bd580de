"""skrnn's one parameter check (sklearn's declared constraints) and input checks."""

import inspect

import pytest

import skrnn
from skrnn import (
    FlattenWindows,
    LSTMRegressor,
    RNNRegressor,
    SlidingWindow,
    TechnicalIndicators,
    ZeroBaseRegressor,
)
from skrnn._validation import check_params, int_at_least


def test_sklearn_parameter_validation_api_is_where_skrnn_expects_it():
    # skrnn uses sklearn's private sklearn.utils._param_validation (see the
    # comment in skrnn/_validation.py); if sklearn moves or changes it, this
    # test fails first, with this message, instead of every estimator's fit.
    from sklearn.utils import _param_validation as pv

    for name in ("Interval", "StrOptions", "HasMethods", "InvalidParameterError",
                 "validate_parameter_constraints"):
        assert hasattr(pv, name), f"sklearn.utils._param_validation.{name} moved"
    assert issubclass(pv.InvalidParameterError, ValueError)
    params = inspect.signature(pv.validate_parameter_constraints).parameters
    assert list(params)[:3] == ["parameter_constraints", "params", "caller_name"]


@pytest.mark.parametrize("cls", [RNNRegressor, LSTMRegressor, ZeroBaseRegressor, SlidingWindow,
                                 FlattenWindows, TechnicalIndicators])
def test_every_parameter_is_declared(cls):
    declared = set(cls._parameter_constraints)
    params = set(cls().get_params(deep=False))
    assert params <= declared, f"{cls.__name__}: undeclared {sorted(params - declared)}"
    check_params(cls())  # the defaults satisfy their own constraints


def test_int_constraint_refuses_booleans_and_floats():
    class Thing:
        _parameter_constraints = {"n": [int_at_least(1)]}

    check_params(Thing(), {"n": 3})
    for bad in (True, 2.0, 0):
        with pytest.raises(ValueError, match="'n' parameter of Thing must be an int in the range"):
            check_params(Thing(), {"n": bad})


def test_public_classes_have_docstrings():
    for name in skrnn.__all__:
        obj = getattr(skrnn, name)
        if inspect.isclass(obj):
            assert obj.__doc__ and obj.__doc__.strip(), name
