"""Exogenous rows and frame helpers of :class:`~skrnn.forecasting.RNNForecaster`.

Plain functions on pandas frames and indexes: numeric values with a clear
error, rows of exogenous data at given times (stored rows first, then the
``X`` passed to predict), and the relative steps of a forecasting horizon.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._validation import check_finite

def float_values(frame, what):
    """The values of ``frame`` as a float array; raises if not numeric or finite."""
    try:
        values = frame.to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise ValueError(
            f"{what} must be numeric; columns {list(frame.columns)} have dtypes "
            f"{[str(t) for t in frame.dtypes]}."
        ) from None
    check_finite(values, what, list(frame.columns))
    return values


def as_frame(obj):
    """``obj`` (Series, DataFrame or array) as a new DataFrame."""
    if isinstance(obj, pd.Series):
        return obj.to_frame(name=0 if obj.name is None else obj.name)
    if isinstance(obj, pd.DataFrame):
        return obj.copy()
    arr = np.asarray(obj, dtype=float)
    return pd.DataFrame(arr.reshape(len(arr), -1))


def append_rows(old, new):
    """``old`` then ``new`` rows, sorted by time; ``new`` wins on equal times."""
    if new is None or len(new) == 0:
        return old
    if old is None or len(old) == 0:
        return new.sort_index()
    both = pd.concat([old, new])
    both = both[~both.index.duplicated(keep="last")]
    return both.sort_index()


def check_columns(X, columns, method):
    """``columns`` as a list; raises if ``X`` lacks any of them."""
    missing = [c for c in columns if c not in X.columns]
    if missing:
        raise ValueError(
            f"X passed to {method} lacks the column(s) {missing} seen in fit "
            f"(expected {list(columns)})."
        )
    return list(columns)


def rows_at(stored, X, times, cutoff, columns, what):
    """Rows of exogenous data at ``times``: stored rows, then the predict-time X.

    Times up to the cutoff come from the data seen in fit/update; later times
    from ``X`` passed to predict (falling back to stored rows). Raises a
    ValueError naming the missing times.
    """
    src = stored
    if X is not None and len(X):
        Xn = X[check_columns(X, columns, "predict")]
        if cutoff is not None:
            Xn = Xn.loc[after_mask(Xn.index, cutoff)]
        src = append_rows(stored, Xn)
    if src is None:
        src = pd.DataFrame(columns=columns)
    pos = src.index.get_indexer(times)
    if np.any(pos < 0):
        missing = list(pd.Index(times)[pos < 0])
        shown = ", ".join(repr(t) for t in missing[:5]) + (" ..." if len(missing) > 5 else "")
        if what.startswith("recursive"):
            raise ValueError(
                f"strategy='recursive' with exogenous X needs future X rows for {what}, "
                f"i.e. the times after the cutoff up to max(fh) - 1 steps ahead; X is "
                f"missing {len(missing)} of them: {shown}. Pass X to predict with a row "
                "for every time from the cutoff + 1 to the cutoff + max(fh) - 1 (the "
                "window of step k ends at cutoff + k - 1), or use strategy='direct' / "
                "'mimo', which read past X only."
            )
        raise ValueError(
            f"X has no rows for {len(missing)} time(s) of {what}: {shown}. The forecaster "
            "was fitted with exogenous X, so pass X to update() together with y."
        )
    return float_values(src.iloc[pos], "X")


def after_mask(index, cutoff):
    """Boolean mask of the labels of ``index`` after ``cutoff``."""
    c = cutoff[0] if isinstance(cutoff, pd.Index) else cutoff
    return np.asarray(index > c)


def cutoff_index(label, like):
    """A one-element index holding ``label``, typed like the forecaster's cutoff."""
    idx = pd.Index([label])
    freq = getattr(like, "freq", None)
    if isinstance(like, pd.DatetimeIndex):
        idx = pd.DatetimeIndex([label], freq=freq)
    elif isinstance(like, pd.PeriodIndex):
        idx = pd.PeriodIndex([label], freq=freq)
    return idx


def positive_steps(fh, cutoff, strategy):
    """The sorted distinct relative steps of ``fh`` given to fit; all must be >= 1."""
    if fh is None:
        raise ValueError(
            f"strategy={strategy!r} trains for the steps of fh, so fh must be passed "
            "to fit, e.g. fit(y, fh=[1, 2, 3])."
        )
    steps = np.asarray(fh.to_relative(cutoff).to_numpy(), dtype=int).ravel()
    if np.any(steps < 1):
        raise NotImplementedError("RNNForecaster can not perform in-sample prediction.")
    return sorted(set(int(s) for s in steps))
