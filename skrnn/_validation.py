"""Input checks shared by the transformers and estimators.

Every check raises a ``ValueError`` that names the problem (the column, the
row, the value) and what to do about it, so users never see a stack trace from
deep inside Keras.
"""

from __future__ import annotations

import numbers
from numbers import Integral, Real

import numpy as np
import pandas as pd

# Declared parameters use scikit-learn's own mechanism
# (``_parameter_constraints`` checked by ``validate_parameter_constraints``).
# It lives in a private sklearn module; skrnn uses it rather than a copy (as
# imbalanced-learn keeps) because its messages are the ones every sklearn user
# already reads, it has kept its API since sklearn 1.2, and skrnn requires
# sklearn >= 1.6. ``tests/test_validation.py`` fails loudly if it moves.
from sklearn.utils._param_validation import (  # noqa: F401 (re-exported for the estimators)
    HasMethods,
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
    validate_parameter_constraints,
)


def check_time_index(index: pd.Index, what: str = "X") -> None:
    """Raise if a pandas index that carries time is unsorted or duplicated.

    A plain ``RangeIndex`` (or any integer index) is checked too: rows are
    time steps, so their labels must increase strictly.
    """
    if isinstance(index, pd.RangeIndex) and index.step > 0:
        return
    if not (
        isinstance(index, (pd.DatetimeIndex, pd.PeriodIndex, pd.TimedeltaIndex))
        or pd.api.types.is_numeric_dtype(index.dtype)
    ):
        return
    if index.has_duplicates:
        dup = index[index.duplicated()][0]
        raise ValueError(
            f"{what} has a duplicated time index: {dup!r} occurs more than once. "
            "Each row must be one time step; aggregate or drop the duplicates "
            "(e.g. frame[~frame.index.duplicated()])."
        )
    if not index.is_monotonic_increasing:
        pos = first_out_of_order(index)
        raise ValueError(
            f"{what} has an unsorted time index: row {pos} ({index[pos]!r}) comes "
            f"before row {pos - 1} ({index[pos - 1]!r}). Sort it first "
            "(frame.sort_index())."
        )


def check_numeric_frame(frame: pd.DataFrame, what: str = "X") -> None:
    """Raise if a DataFrame has non-numeric columns."""
    bad = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c].dtype)]
    if bad:
        raise ValueError(
            f"{what} has non-numeric column(s) {bad!r} (dtypes "
            f"{[str(frame[c].dtype) for c in bad]}). Convert them to numbers "
            "or drop them before windowing."
        )


def check_finite(array: np.ndarray, what: str = "X", columns=None, index=None) -> None:
    """Raise if an array holds NaN or infinity, naming the first bad cell.

    ``columns`` and ``index`` (pandas labels), when given, name the column and
    the time of that cell.
    """
    array = np.asarray(array)
    if not np.issubdtype(array.dtype, np.number):
        return
    finite = np.isfinite(array)
    if finite.all():
        return
    idx = np.argwhere(~finite)[0]
    raise_not_finite(what, idx, array[tuple(idx)], columns, index)


def raise_not_finite(what, idx, value, columns=None, index=None) -> None:
    """The ValueError of :func:`check_finite` for the bad cell at position ``idx``."""
    where = f"row {idx[0]}"
    if index is not None and not isinstance(index, pd.RangeIndex):
        where += f" ({index[idx[0]]!r})"
    if len(idx) >= 2:
        col = idx[-1]
        name = columns[col] if columns is not None and col < len(columns) else col
        where += f", column {name!r}"
    kind = "NaN" if np.isnan(value) else f"inf ({value})"
    raise ValueError(
        f"{what} contains {kind} at {where}. Fill or drop missing or infinite "
        "values first (e.g. frame.ffill() or frame.dropna())."
    )


def window_rows(X):
    """The rows under windows ``X``: a read-only 2D view ``R``, or None.

    ``X`` of shape ``(n, window_len, n_features)`` is a *window view* when
    window ``i`` starts ``step`` rows after window ``i - 1`` in memory, with
    ``1 <= step <= window_len`` (what :class:`~skrnn.SlidingWindow` and
    ``np.lib.stride_tricks.sliding_window_view`` return, and also any
    C-contiguous 3D array, with ``step = window_len``). Then ``X[i, j] ==
    R[i * step + j]`` and every row of ``R`` is in some window, so checks and
    reductions over the elements of ``X`` can run on ``R`` without copying
    the windows. Found from the strides alone (no buffer is read).
    """
    if not isinstance(X, np.ndarray) or X.ndim != 3 or X.size == 0:
        return None
    n, length, n_features = X.shape
    s_window, s_row, s_col = X.strides
    if s_row <= 0 or s_col <= 0:
        return None
    step = 1 if n == 1 else s_window // s_row
    if n > 1 and (s_window % s_row or not 1 <= step <= length):
        return None
    return np.lib.stride_tricks.as_strided(
        X, shape=((n - 1) * step + length, n_features), strides=(s_row, s_col), writeable=False)


def check_windows_finite(X, what="X") -> None:
    """:func:`check_finite` for 3D windows, on the rows under them when ``X`` is a window view.

    Raises the same error (the first bad window, ``row`` being the window's
    position, and the feature) without building a mask of the whole 3D array.
    """
    rows = window_rows(X) if np.issubdtype(X.dtype, np.number) else None
    if rows is None:
        check_finite(X, what)
        return
    finite = np.isfinite(rows)
    if finite.all():
        return
    r, col = np.argwhere(~finite)[0]
    n, length = X.shape[:2]
    step = 1 if n == 1 else X.strides[0] // X.strides[1]
    # the first window holding row r (windows i*step .. i*step + length - 1)
    window = max(0, -(-(int(r) - length + 1) // step))
    raise_not_finite(what, np.array([window, r - window * step, col]), rows[r, col])


class _StrictIntInterval(Interval):
    """An integer interval that, unlike sklearn's, refuses ``True``/``False``."""

    def is_satisfied_by(self, val):
        return not isinstance(val, bool) and super().is_satisfied_by(val)


def int_at_least(minimum: int) -> Interval:
    """Constraint: an int (not a bool) ``>= minimum``."""
    return _StrictIntInterval(Integral, minimum, None, closed="left")


def fraction(closed: str = "left") -> Interval:
    """Constraint: a float in ``[0, 1)`` (``closed="left"``) or another closing of (0, 1)."""
    return Interval(Real, 0, 1, closed=closed)


#: Constraint for skrnn's seeds: an int or None (Keras seeds need an int).
SEED = [int_at_least(0), None]


def check_params(obj, params=None) -> None:
    """Check ``obj``'s parameters against its class' ``_parameter_constraints``.

    The one parameter check of skrnn (sklearn's mechanism, so messages read
    "The 'epochs' parameter of LSTMRegressor must be an int in the range [1,
    inf). Got 0 instead."). ``params`` defaults to
    ``obj.get_params(deep=False)``. Rules that span parameters stay as hand
    checks next to the code that needs them, with advice in the message.
    """
    if params is None:
        params = obj.get_params(deep=False)
    validate_parameter_constraints(type(obj)._parameter_constraints, params,
                                   caller_name=type(obj).__name__)


def store_params(estimator, values) -> None:
    """Set every ``__init__`` argument in ``values`` (its ``locals()``) as an attribute.

    scikit-learn and sktime read the parameters from the ``__init__``
    signature and need them stored unchanged; one call stores them all.
    """
    for name, value in values.items():
        if name not in ("self", "__class__"):
            setattr(estimator, name, value)


def strictly_after(first, last) -> bool:
    """``first > last`` for index labels; False when they do not compare."""
    try:
        return bool(first > last)
    except TypeError:
        return False


def check_positive_int(value, name: str, minimum: int = 1) -> int:
    """Check a call argument (not a parameter) is an int ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    return int(value)


def validate_windows(estimator, X, y=None, *, reset: bool, sample_weight=None):
    """Validate window input for the window regressors.

    ``X`` is 3D ``(n_windows, n_timesteps, n_features)`` or 2D
    ``(n_windows, n_timesteps)``, which means univariate windows (one
    feature). With ``reset=True`` the shape is remembered as
    ``n_timesteps_in_`` and ``n_features_in_`` (the features per time step
    for 3D input, the columns for 2D input, as for any sklearn regressor);
    with ``reset=False`` it is checked against them.

    With ``reset=False`` (predict) returns ``X`` as float 3D; with
    ``reset=True`` (fit) returns ``(X, y, sample_weight)`` with ``y`` a float
    array of unchanged ndim.
    """
    from sklearn.utils import check_array
    from sklearn.utils.validation import FLOAT_DTYPES, _check_feature_names

    name = type(estimator).__name__
    if isinstance(X, pd.DataFrame):
        check_numeric_frame(X)
    _check_feature_names(estimator, X, reset=reset)
    X = check_array(X, allow_nd=True, ensure_2d=False, dtype=FLOAT_DTYPES,
                    ensure_all_finite=False, input_name="X")
    if X.ndim not in (2, 3):
        raise ValueError(
            f"{name} expects windows: a 3D array (n_windows, n_timesteps, "
            f"n_features), or a 2D array (n_windows, n_timesteps) of univariate "
            f"windows; got an array with shape {X.shape}. Reshape your data, or cut "
            "a table into windows with skrnn.SlidingWindow."
        )
    if X.shape[0] < 1:
        raise ValueError(f"{name} got 0 windows (X.shape={X.shape}); at least 1 is required.")
    if X.shape[1] < 1 or (X.ndim == 3 and X.shape[2] < 1):
        raise ValueError(f"{name} got windows with no time steps or no features (X.shape={X.shape}).")
    if X.ndim == 3:
        check_windows_finite(X, "X")
    else:
        check_finite(X, "X", getattr(estimator, "feature_names_in_", None))
    n_timesteps, n_features = (X.shape[1], 1) if X.ndim == 2 else X.shape[1:]
    if reset:
        estimator.n_features_in_ = int(X.shape[1] if X.ndim == 2 else n_features)
        estimator.n_timesteps_in_ = int(n_timesteps)
        estimator._input_ndim = X.ndim
    else:
        if X.ndim != estimator._input_ndim:
            expected = (f"(n_windows, {estimator.n_timesteps_in_}, {estimator.n_features_in_})"
                        if estimator._input_ndim == 3
                        else f"(n_windows, {estimator.n_timesteps_in_})")
            advice = ("A 2D array is read as univariate windows (n_windows, "
                      "n_timesteps), not as rows of a table; cut a table into "
                      "windows with skrnn.SlidingWindow (in a Pipeline, call the "
                      "pipeline, not its last step)." if X.ndim == 2
                      else "Pass windows shaped like the training data.")
            raise ValueError(
                f"X has {X.ndim} dimensions (shape {X.shape}), but {name} was "
                f"fitted on {estimator._input_ndim}D input: windows of shape "
                f"{expected}. {advice}"
            )
        got = X.shape[1] if X.ndim == 2 else n_features
        if got != estimator.n_features_in_:
            raise ValueError(
                f"X has {got} features, but {name} is expecting "
                f"{estimator.n_features_in_} features as input. Use the same "
                "columns as in fit."
            )
        if n_timesteps != estimator.n_timesteps_in_:
            raise ValueError(
                f"X has windows of {n_timesteps} time steps, but {name} was "
                f"fitted on windows of {estimator.n_timesteps_in_}. Use the same "
                "window_len as in fit."
            )
    X3 = X if X.ndim == 3 else X[:, :, None]
    if not reset:
        return X3
    if y is None:
        raise ValueError(
            f"{name} requires y to be passed, but the target y is None. Pass the "
            "targets aligned with the windows (see skrnn.make_supervised)."
        )
    y = np.asarray(y.to_numpy() if hasattr(y, "to_numpy") else y)
    if y.ndim not in (1, 2):
        raise ValueError(f"y must be 1D (n_windows,) or 2D (n_windows, n_outputs); got shape {y.shape}.")
    if y.shape[0] != X.shape[0]:
        raise ValueError(
            f"y has {y.shape[0]} rows but X has {X.shape[0]} windows; they must "
            "match (one target per window). make_supervised builds aligned X and y."
        )
    if not np.issubdtype(y.dtype, np.number):
        try:
            y = y.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"y must be numeric; got dtype {y.dtype}.") from None
    y = y.astype(np.float64, copy=False)
    check_finite(y, "y")
    if sample_weight is not None:
        from sklearn.utils.validation import _check_sample_weight
        sample_weight = _check_sample_weight(sample_weight, X)
    return X3, y, sample_weight


def first_out_of_order(index: pd.Index) -> int:
    """Position of the first label of an unsorted ``index`` that is smaller than the one before it.

    For an index that is not monotonic increasing (the callers check first);
    used to name the row in messages about unsorted time.

    Examples
    --------
    >>> import pandas as pd
    >>> first_out_of_order(pd.Index([1, 2, 5, 3, 4]))
    3
    """
    values = index.to_numpy()
    return int(np.flatnonzero(values[1:] < values[:-1])[0]) + 1
