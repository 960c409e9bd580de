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
    TransformerRegressor,
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


@pytest.mark.parametrize("cls", [RNNRegressor, LSTMRegressor, TransformerRegressor, ZeroBaseRegressor,
                                 SlidingWindow, FlattenWindows, TechnicalIndicators])
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


# --------------------------------------------------------------------------- house rules
_PACKAGE = __import__("pathlib").Path(skrnn.__file__).parent


def _modules():
    import ast

    for path in sorted(_PACKAGE.rglob("*.py")):
        yield path, ast.parse(path.read_text())


def test_no_class_is_longer_than_350_lines():
    import ast

    long = [f"{path.relative_to(_PACKAGE)}::{node.name} ({node.end_lineno - node.lineno + 1})"
            for path, tree in _modules() for node in ast.walk(tree)
            if isinstance(node, ast.ClassDef) and node.end_lineno - node.lineno + 1 > 350]
    assert not long, long


def test_only_the_keras_room_imports_keras_or_tensorflow():
    import ast

    found = []
    for path, tree in _modules():
        if path.name == "_keras.py" and path.parent == _PACKAGE:
            continue
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            found += [f"{path.relative_to(_PACKAGE)}: {n}" for n in names
                      if n.split(".")[0] in ("keras", "tensorflow")]
    assert not found, found


def test_private_modules_export_no_public_names():
    import ast

    exporting = []
    for path, tree in _modules():
        if not path.name.startswith("_") or path.name in ("__init__.py", "__main__.py", "_keras.py"):
            continue  # the Keras room lists its documented helpers in __all__
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "__all__"
                                                    for t in node.targets):
                exporting.append(str(path.relative_to(_PACKAGE)))
    assert not exporting, exporting
