"""Pooled windows of many series from a long-format table (the scikit-learn side).

One network for many series (tickers, sensors, shops) learns from the
windows of all of them. :func:`make_panel_windows` cuts every series of a
long-format table into windows and targets -- never a window or a target
across two series -- and pools them in time order, so a regressor's
chronological validation tail holds the latest windows of every series.
The public name is re-exported by :mod:`skrnn.preprocessing`.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from ._validation import check_finite, check_positive_int


def make_panel_windows(frame, window_len, *, series, time, target, features=None, horizon=1):
    """Windows and targets of every series of a long-format table, pooled.

    Each series (the rows sharing the values of the ``series`` columns) is
    sorted by ``time`` and cut into windows of ``window_len`` consecutive
    rows, exactly as :class:`SlidingWindow` cuts one series (the last row of
    a window is its newest); the target of a window is the ``target`` value
    ``horizon`` rows after its last row, in the same series. Windows whose
    target lies beyond their series' end are dropped, so no window and no
    target crosses a series boundary. The windows of all series are pooled
    in time order (by the time of their last row; ties in the order the
    series first appear), so the chronological validation and calibration
    tails of a regressor hold the latest windows of every series.

    Consecutive rows of a series are read as consecutive time steps: fill or
    drop gaps first. A series too short for one window and its target gives
    no window. Use a per-window normalisation (the regressors'
    ``normalize="zero_base"`` or ``"last_value"``) when the series have
    different scales: each window is then scaled by its own base.

    Parameters
    ----------
    frame : pandas.DataFrame
        Long format: one row per series and time, in any order.
    window_len : int
        Rows per window (>= 1).
    series : str or list of str
        Column(s) naming the series.
    time : str
        Column holding the time (sortable, unique within a series).
    target : str
        Column to forecast.
    features : list of str, optional
        Columns of the windows' channels, in this order. Default: ``target``
        first (the channel the regressors' zero-base scales the target by),
        then every other column except ``series`` and ``time``.
    horizon : int or sequence of int, default=1
        Steps ahead. A sequence (e.g. ``range(1, 8)``) gives one target
        column per step, for multi-output (MIMO) regressors.

    Returns
    -------
    X : ndarray of shape (n_windows, window_len, n_features)
        The pooled windows (float64).
    y : ndarray of shape (n_windows,) or (n_windows, n_horizons)
        ``y[i]`` is the ``target`` of window ``i``'s series ``h`` rows after
        its last row (a column per step for a sequence ``horizon``).
    index : pandas.MultiIndex
        ``(series..., time)`` of each window's last row, the forecast origin.

    Examples
    --------
    >>> import pandas as pd
    >>> from skrnn import make_panel_windows
    >>> long = pd.DataFrame({"ticker": ["A"] * 4 + ["B"] * 3,
    ...                      "day": [1, 2, 3, 4, 1, 2, 3],
    ...                      "close": [1.0, 2.0, 3.0, 4.0, 10.0, 20.0, 30.0]})
    >>> X, y, index = make_panel_windows(long, 2, series="ticker", time="day",
    ...                                  target="close")
    >>> X[:, :, 0].tolist(), y.tolist()
    ([[1.0, 2.0], [10.0, 20.0], [2.0, 3.0]], [3.0, 30.0, 4.0])
    >>> list(index)
    [('A', 2), ('B', 2), ('A', 3)]
    """
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(
            f"make_panel_windows expects a long-format pandas DataFrame, got "
            f"{type(frame).__name__}. Use pd.DataFrame(...) or frame.reset_index().")
    window_len = check_positive_int(window_len, "window_len")
    keys = [series] if isinstance(series, str) else list(series)
    horizons = list(horizon) if not isinstance(horizon, numbers.Integral) else [horizon]
    if not horizons:
        raise ValueError("horizon is empty; give an int >= 1 or a non-empty list of ints.")
    horizons = [check_positive_int(h, "horizon") for h in horizons]
    if features is None:
        features = [target] + [c for c in frame.columns if c not in (*keys, time, target)]
    features = list(features)
    missing = [c for c in (*keys, time, target, *features) if c not in frame.columns]
    if missing:
        raise ValueError(
            f"Columns {missing} are not in the frame; its columns are {list(frame.columns)}. "
            "Name the series, time, target and feature columns of the long-format table.")
    dup = frame.duplicated(subset=[*keys, time])
    if dup.any():
        row = frame.loc[dup, [*keys, time]].iloc[0].tolist()
        raise ValueError(
            f"The frame has {int(dup.sum())} duplicated (series, time) row(s), the first "
            f"{row}; each series needs one row per time. Aggregate or drop duplicates.")
    try:
        values = frame[features].to_numpy(dtype=float)
        goal = frame[target].to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise ValueError(
            f"Feature and target columns must be numeric; {features} have dtypes "
            f"{[str(t) for t in frame[features].dtypes]}.") from None
    check_finite(values, "frame", features)

    h_max = max(horizons)
    ids = frame[keys].apply(tuple, axis=1) if len(keys) > 1 else frame[keys[0]]
    codes = pd.factorize(ids, sort=False)[0]  # series, in order of appearance
    clock = pd.factorize(frame[time], sort=True)[0]  # time, as sortable integers
    order = np.lexsort((clock, codes))  # row positions by series, then time
    starts = np.flatnonzero(np.r_[True, np.diff(codes[order]) != 0, True])
    ends, targets, positions = [], [], []
    for a, b in zip(starts[:-1], starts[1:]):
        rows = order[a:b]
        n = len(rows) - window_len - h_max + 1
        if n <= 0:
            continue
        # ends of the windows, as positions in the rows of this series
        last = np.arange(window_len - 1, window_len - 1 + n)
        positions.append(rows[last[:, None] - np.arange(window_len - 1, -1, -1)[None, :]])
        targets.append(goal[rows[last[:, None] + np.asarray(horizons)[None, :]]])
        ends.append(rows[last])
    if not ends:
        raise ValueError(
            f"No series has the {window_len + h_max} rows one window and its target need "
            f"(window_len={window_len}, horizon {h_max}). Use a shorter window or horizon.")
    ends = np.concatenate(ends)
    pooled = np.argsort(clock[ends], kind="stable")  # time order
    rows = np.concatenate(positions)[pooled]
    X = values[rows]
    y = np.concatenate(targets)[pooled]
    last = ends[pooled]
    labels = [frame[k].iloc[last].reset_index(drop=True) for k in (*keys, time)]
    index = pd.MultiIndex.from_arrays(labels, names=[*keys, time])
    return X, (y if not isinstance(horizon, numbers.Integral) else y[:, 0]), index
