"""Sliding windows, zero-base normalisation and supervised framing.

Rows stay rows: :class:`SlidingWindow` turns a time-ordered 2D table into one
window per row, so it can sit in a :class:`~sklearn.pipeline.Pipeline` in
front of a regressor and its ``window_len`` can be tuned by
:class:`~sklearn.model_selection.GridSearchCV`.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ._indicators import TechnicalIndicators, bollinger_bands, macd, rsi
from ._panel import make_panel_windows
from ._scaling import inverse_zero_base_target, zero_base, zero_base_target
from ._validation import (
    StrOptions,
    check_finite,
    check_numeric_frame,
    check_params,
    check_positive_int,
    check_time_index,
    int_at_least,
    strictly_after,
)

__all__ = [
    "SlidingWindow",
    "FlattenWindows",
    "make_supervised",
    "make_panel_windows",
    "zero_base",
    "zero_base_target",
    "inverse_zero_base_target",
    "TechnicalIndicators",
    "rsi",
    "macd",
    "bollinger_bands",
]


# --------------------------------------------------------------------------
# sliding windows
# --------------------------------------------------------------------------
class SlidingWindow(TransformerMixin, BaseEstimator):
    """Cut a time-ordered 2D table into one window per row.

    The window of row ``t`` holds rows ``t - window_len + 1 .. t``: the last
    element is the newest observation, so no window looks ahead. The output
    has shape ``(n_rows, window_len, n_features)``; the number of rows never
    changes, which keeps ``X`` aligned with ``y`` inside a
    :class:`~sklearn.pipeline.Pipeline`.

    The first ``window_len - 1`` rows have not enough history and are padded
    (see ``padding``) -- unless the table passed to :meth:`transform` is a
    DataFrame that *continues in time* the one seen by :meth:`fit` (its first
    index label is strictly after the last fitted one). Then the last
    ``window_len - 1`` fitted rows are used as history, so the test folds of
    :class:`~sklearn.model_selection.TimeSeriesSplit` get real windows. With
    ``TimeSeriesSplit(gap=k)`` that history is the newest the model has seen,
    ``k`` rows before the fold.

    Windows are built with numpy stride tricks, not a Python loop per row.

    Parameters
    ----------
    window_len : int, default=10
        Number of time steps in each window.
    padding : {"edge", "zero"}, default="edge"
        How rows without enough history are filled: ``"edge"`` repeats the
        first row, ``"zero"`` uses zeros.
    history : {"auto", "pad"}, default="auto"
        ``"auto"`` uses the fitted tail as history for DataFrames that
        continue in time; ``"pad"`` always pads.

    Attributes
    ----------
    n_features_in_ : int
        Number of columns seen in fit.
    feature_names_in_ : ndarray of str
        Column names seen in fit (DataFrame input only).
    history_ : ndarray of shape (window_len - 1, n_features)
        The last rows seen in fit.

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn import SlidingWindow
    >>> X = np.arange(10.0).reshape(5, 2)
    >>> W = SlidingWindow(window_len=3).fit_transform(X)
    >>> W.shape
    (5, 3, 2)
    >>> W[4].tolist()
    [[4.0, 5.0], [6.0, 7.0], [8.0, 9.0]]
    """

    _parameter_constraints = {
        "window_len": [int_at_least(1)],
        "padding": [StrOptions({"edge", "zero"})],
        "history": [StrOptions({"auto", "pad"})],
    }

    def __init__(self, window_len=10, padding="edge", history="auto"):
        self.window_len = window_len
        self.padding = padding
        self.history = history

    def set_output(self, *, transform=None):
        """Accept a pipeline-wide ``set_output``; windows stay a 3D ndarray.

        ``pipeline.set_output(transform="pandas")`` makes the steps before
        the windows (scalers, indicators) output DataFrames, so the time
        index reaches :class:`SlidingWindow` and test folds get real history.
        A DataFrame cannot hold 3D windows, so this step's own output is
        unchanged. Returns self.
        """
        return self

    def _check_input(self, X, reset):
        index = None
        if isinstance(X, pd.DataFrame):
            check_numeric_frame(X)
            check_time_index(X.index)
            index = X.index
        Xv = validate_data(self, X, reset=reset, dtype=[np.float64, np.float32],
                           ensure_all_finite=False)
        check_finite(Xv, "X", getattr(self, "feature_names_in_", None), index)
        return Xv, index

    def fit(self, X, y=None):
        """Remember the number of features and the last rows as history.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_rows, n_features)
            Time-ordered table, oldest row first.
        y : ignored

        Returns
        -------
        self : SlidingWindow
        """
        check_params(self)
        X, index = self._check_input(X, reset=True)
        if X.shape[0] < self.window_len:
            raise ValueError(
                f"window_len={self.window_len} is longer than the data "
                f"({X.shape[0]} rows): n_samples={X.shape[0]} is too few. Use a "
                "shorter window or more rows."
            )
        self.history_ = X[X.shape[0] - self.window_len + 1:].copy()
        self.last_index_ = None if index is None else index[-1]
        return self

    def transform(self, X):
        """Return one window per row, shape ``(n_rows, window_len, n_features)``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_rows, n_features)

        Returns
        -------
        windows : ndarray of shape (n_rows, window_len, n_features)
            A read-only strided view over a padded copy of the rows (window
            ``t`` shares its rows with window ``t + 1``); ``np.array(windows)``
            gives a writable copy.
        """
        check_is_fitted(self, "history_")
        check_params(self)
        X, index = self._check_input(X, reset=False)
        # the windows are a read-only view over one padded copy of the rows:
        # window_len times less memory than materialised windows
        return window_view(np.concatenate([self._prefix(X, index), X]), self.window_len)

    def _prefix(self, X, index):
        k = self.window_len - 1
        if k == 0:
            return X[:0]
        if (
            self.history == "auto"
            and index is not None
            and self.last_index_ is not None
            and len(index)
            and strictly_after(index[0], self.last_index_)
            and len(self.history_) == k
        ):
            return self.history_.astype(X.dtype, copy=False)
        if self.padding == "zero":
            return np.zeros((k, X.shape[1]), dtype=X.dtype)
        return np.repeat(X[:1], k, axis=0)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.requires_fit = True
        return tags


def window_view(X, window_len):
    """All windows of ``window_len`` consecutive rows of 2D ``X`` as a read-only view.

    Shape ``(len(X) - window_len + 1, window_len, n_features)``; window ``i``
    is ``X[i:i + window_len]``, sharing memory with ``X`` (numpy's
    ``sliding_window_view``, no copy).
    """
    view = np.lib.stride_tricks.sliding_window_view(X, window_len, axis=0)
    return view.transpose(0, 2, 1)


def windows_of(X, window_len):
    """All windows of ``window_len`` consecutive rows of ``X``, one per end row.

    Returns an array of shape ``(len(X) - window_len + 1, window_len,
    n_features)`` built with stride tricks (a contiguous copy).
    """
    return np.ascontiguousarray(window_view(X, window_len))


class FlattenWindows(TransformerMixin, BaseEstimator):
    """Flatten 3D windows ``(n, window_len, n_features)`` to 2D rows.

    Lets any tabular regressor (``Ridge``, gradient boosting, ...) use the
    same windows as the recurrent networks, e.g. as a baseline:
    ``make_pipeline(SlidingWindow(10), FlattenWindows(), Ridge())``.
    The flattened row is time-major: all features of the oldest step first.

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn import FlattenWindows
    >>> FlattenWindows().fit_transform(np.zeros((4, 3, 2))).shape
    (4, 6)
    """

    def fit(self, X, y=None):
        """Remember the number of features per time step. Returns self."""
        X = self._check_input(X)
        self.n_features_in_ = X.shape[1] if X.ndim == 2 else X.shape[2]
        return self

    def transform(self, X):
        """Return ``X`` reshaped to ``(n_windows, window_len * n_features)``."""
        X = self._check_input(X)
        n_features = X.shape[1] if X.ndim == 2 else X.shape[2]
        expected = getattr(self, "n_features_in_", n_features)
        if n_features != expected:
            raise ValueError(
                f"X has {n_features} features, but FlattenWindows is expecting "
                f"{expected} features as input."
            )
        return X.reshape(X.shape[0], -1)

    def set_output(self, *, transform=None):
        """Accept a pipeline-wide ``set_output``; the output stays an ndarray."""
        return self

    _parameter_constraints: dict = {}

    @staticmethod
    def _check_input(X):
        from sklearn.utils import check_array

        X = check_array(X, allow_nd=True, ensure_2d=False, dtype="numeric",
                        ensure_all_finite=False)
        if X.ndim not in (2, 3):
            raise ValueError(
                f"FlattenWindows expects 2D or 3D windows, got shape {X.shape}. "
                "Reshape your data."
            )
        check_finite(X, "X")
        return X

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.requires_fit = False
        return tags


# --------------------------------------------------------------------------
# supervised framing
# --------------------------------------------------------------------------
def make_supervised(frame, target, horizon=1):
    """Pair each row with the target ``horizon`` steps later.

    Parameters
    ----------
    frame : DataFrame of shape (n_rows, n_features)
        Time-ordered table (sorted, unique index).
    target : str
        Column to forecast.
    horizon : int or sequence of int, default=1
        Steps ahead. A sequence (e.g. ``range(1, 8)``) gives a 2D ``y`` with
        one column per horizon, for multi-output (MIMO) models.

    Returns
    -------
    X : DataFrame of shape (n_rows - max(horizon), n_features)
        The rows that have a future; the last ``max(horizon)`` rows are
        dropped.
    y : Series or DataFrame
        ``y[t] = frame[target][t + h]``; a Series named ``"<target>_t+h"``
        for an int horizon, else a DataFrame with one such column per horizon.

    Examples
    --------
    >>> import pandas as pd
    >>> from skrnn import make_supervised
    >>> df = pd.DataFrame({"close": [1.0, 2.0, 3.0, 4.0]})
    >>> X, y = make_supervised(df, "close", horizon=1)
    >>> y.tolist()
    [2.0, 3.0, 4.0]
    >>> X2, Y2 = make_supervised(df, "close", horizon=[1, 2])
    >>> Y2.values.tolist()
    [[2.0, 3.0], [3.0, 4.0]]
    """
    if isinstance(frame, pd.Series):
        frame = frame.to_frame()
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(
            f"make_supervised expects a pandas DataFrame, got {type(frame).__name__}. "
            "Wrap arrays with pd.DataFrame(array, columns=[...])."
        )
    if target not in frame.columns:
        raise ValueError(
            f"target column {target!r} is not in the frame; columns are {list(frame.columns)}."
        )
    check_time_index(frame.index, "frame")
    multi = not isinstance(horizon, numbers.Integral)
    horizons = list(horizon) if multi else [horizon]
    if not horizons:
        raise ValueError("horizon is empty; give an int >= 1 or a non-empty list of ints.")
    for h in horizons:
        check_positive_int(h, "horizon")
    h_max = max(horizons)
    n = len(frame)
    if n <= h_max:
        raise ValueError(
            f"The frame has {n} rows, too few for horizon {h_max}: at least "
            f"{h_max + 1} rows are needed."
        )
    values = frame[target].to_numpy()
    idx = np.arange(n - h_max)
    X = frame.iloc[: n - h_max]
    cols = {f"{target}_t+{h}": values[idx + h] for h in horizons}
    Y = pd.DataFrame(cols, index=X.index)
    if multi:
        return X, Y
    return X, Y.iloc[:, 0]
