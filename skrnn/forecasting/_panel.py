"""Many series, one network: the panel state of :class:`~skrnn.forecasting.RNNForecaster`.

sktime hands a panel or hierarchy (``y`` with a MultiIndex whose last level
is time and whose other levels name the series) to the forecaster as one
frame. :class:`PanelWindow` keeps one :class:`~._window.SeriesWindow` per
series, all sharing the global scalers fitted on every series; the training
windows of all series are pooled (never across two series) and put in time
order (:func:`~._strategies.window_order`), so one network learns from all.

The functions here turn the state into network batches and back: the
windows at the cutoff of every series (:func:`cutoff_groups`), the rows of
the outputs series after series (:func:`by_series`), and the scoring of new
rows in ``update`` (:func:`observe_new_rows`). A single series goes through
the same functions as a panel of one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import clone

from ._rolling import one_step_scores
from ._rows import cutoff_index, float_values
from ._window import SeriesWindow


def shown(keys):
    """Series keys as users wrote them: a one-level key without its tuple."""
    return [k[0] if len(k) == 1 else k for k in keys]


def split_series(frame):
    """The series of a MultiIndex frame: ``{key tuple: frame indexed by time}``.

    Keys are in the order of their first row.
    """
    levels = list(range(frame.index.nlevels - 1))
    parts = {}
    for key, part in frame.groupby(level=levels if len(levels) > 1 else 0, sort=False):
        parts[key if isinstance(key, tuple) else (key,)] = part.droplevel(levels)
    return parts


class PanelWindow:
    """The last rows of every series of a panel, with scalers shared by all.

    Parameters
    ----------
    window_len : int
        Time steps per window.
    scaler : transformer or None, default=None
        Cloned and fitted on the ``y`` rows of all series (and a second
        clone on their ``X`` rows) in :meth:`fit`; never refitted.

    Attributes
    ----------
    keys : list of tuple
        The series, in the order of the rows of ``y`` seen in fit.
    windows : dict of tuple to SeriesWindow
        The state of every series.
    names : list
        Names of the index levels of ``y`` (series levels, then time).
    cutoff_like : pd.Index
        The cutoff at fit time: its type and frequency are kept for the
        cutoffs of every series.
    """

    def __init__(self, window_len, scaler=None):
        self.window_len = int(window_len)
        self.scaler = scaler

    def fit(self, y, X, cutoff):
        """Split ``y`` (and ``X``) into series and remember each one's last rows.

        Parameters
        ----------
        y, X : pd.DataFrame
            MultiIndex frames (``X`` may be None).
        cutoff : pd.Index
            The forecaster's cutoff after fit.

        Returns
        -------
        series : list of tuple of ndarray
            ``(Z, ys, ranks)`` per series (see :meth:`Strategy.fit
            <skrnn.forecasting.Strategy.fit>`): ``ranks`` places each row's
            time among the times of all series.
        raw : list of ndarray
            The ``y`` values of each series in the data's units.
        """
        self.names = list(y.index.names)
        self.cutoff_like = cutoff
        ys = split_series(y)
        Xs = self.split_X(X, ys)
        scalers = None
        if self.scaler is not None:
            sX = None
            if Xs:
                rows = [float_values(Xs[k].loc[ys[k].index], "X") for k in ys]
                sX = clone(self.scaler).fit(np.vstack(rows))
            scalers = (clone(self.scaler).fit(float_values(y, "y")), sX)
        times = y.index.get_level_values(-1).unique().sort_values()
        self.keys, self.windows, series, raw = list(ys), {}, [], []
        for key, y_s in ys.items():
            window = SeriesWindow(self.window_len, self.scaler)
            Z, v = window.fit(y_s, Xs.get(key), scalers=scalers)
            self.windows[key] = window
            series.append((Z, v, times.get_indexer(y_s.index)))
            raw.append(float_values(y_s, "y"))
        self.first = self.windows[self.keys[0]]
        return series, raw

    def split_X(self, X, ys=None):
        """The series of ``X`` (``{}`` without ``X``); raises for series unknown or missing."""
        if X is None or X.shape[1] == 0:
            return {}
        if not isinstance(X.index, pd.MultiIndex):
            raise ValueError(
                "y is a panel (a MultiIndex of series and time), so X must be one too, "
                "with the same series levels; got X with a plain index.")
        Xs = split_series(X)
        known = list(self.windows) if ys is None else list(ys)
        unknown = [k for k in Xs if k not in known]
        missing = [k for k in ys if k not in Xs] if ys is not None else []
        if unknown or missing:
            raise ValueError(
                f"X holds series {shown(unknown)} that y does not, or lacks the series "
                f"{shown(missing)} of y; a panel's X needs the same series as y "
                f"(seen: {shown(known)}).")
        return Xs

    def parts(self, y, X):
        """``(window, y rows or None, X rows or None)`` of every series in ``y`` or ``X``."""
        ys = split_series(y) if len(y) else {}
        unknown = [k for k in ys if k not in self.windows]
        if unknown:
            raise ValueError(
                f"y holds series {shown(unknown)} not seen in fit ({shown(self.keys)}): "
                "the network continues the series it was fitted on. Refit with the new "
                "series.")
        Xs = self.split_X(X)
        return [(self.windows[k], ys.get(k), Xs.get(k)) for k in self.keys
                if k in ys or k in Xs]

    def update(self, y, X=None):
        """Append new rows to the series they belong to (some or all series)."""
        for window, y_s, X_s in self.parts(y, X):
            window.update(y_s, X_s)

    @property
    def y_columns(self):
        """Columns of ``y``."""
        return self.first.y_columns

    @property
    def X_columns(self):
        """Columns of ``X`` (None without ``X``)."""
        return self.first.X_columns

    @property
    def n_targets(self):
        """Columns of ``y``."""
        return self.first.n_targets

    @property
    def n_channels(self):
        """Channels of every window."""
        return self.first.n_channels

    def unscale_y(self, out):
        """Invert the shared global y scaling (see :meth:`SeriesWindow.unscale_y`)."""
        return self.first.unscale_y(out)


def fit_window(y, X, window_len, scaler, cutoff):
    """The window state of ``y`` (a series or a panel) and its training series.

    Returns
    -------
    window : SeriesWindow or PanelWindow
    series, raw : list
        See :meth:`PanelWindow.fit` (one entry for a single series).
    """
    if isinstance(y.index, pd.MultiIndex):
        window = PanelWindow(window_len, scaler)
        return (window, *window.fit(y, X, cutoff))
    window = SeriesWindow(window_len, scaler)
    Z, ys = window.fit(y, X)
    return window, [(Z, ys)], [float_values(y, "y")]


def cutoff_groups(forecaster, fh, X):
    """The windows at the cutoff of every series, batched by their steps ahead.

    Every series forecasts from its own last time, as sktime's forecasters
    fitted one per series do: a relative ``fh`` gives the same steps after
    each series' end (a series updated less often than others forecasts
    earlier times), an absolute ``fh`` the same times (from further back
    for a series that ends earlier).

    Returns
    -------
    groups : list of tuple
        ``(positions, W, X_fut, steps)``: the positions of the series (in
        the order of the output rows), their windows ``(B, window_len,
        n_channels)``, the exogenous rows after their ends (or None) and the
        steps ahead they forecast.
    index : pd.Index
        The absolute times of ``fh``; for a panel, a MultiIndex (series,
        time), series after series.
    """
    window, cutoff = forecaster._window, forecaster.cutoff
    future = forecaster._strategy.reads_future_X
    steps = np.asarray(fh.to_relative(cutoff).to_numpy(), dtype=int).ravel()
    if not isinstance(window, PanelWindow):
        forecaster._check_steps(steps)
        W, X_fut = window.last_window(X, steps, cutoff, future)
        return [([0], W, X_fut, steps)], fh.to_absolute_index(cutoff)
    Xs = window.split_X(X)
    batches, rows = {}, []
    for pos, key in enumerate(window.keys):
        end = cutoff_index(window.windows[key].y_hist.index[-1], cutoff)
        own = steps
        if not fh.is_relative and end[0] != cutoff[0]:
            own = np.asarray(fh.to_relative(end).to_numpy(), dtype=int).ravel()
        batches.setdefault(tuple(own), []).append((pos, key, end))
        rows += [(*key, t) for t in fh.to_absolute_index(end)]
    groups = []
    for own, members in batches.items():
        own = np.asarray(own, dtype=int)
        try:
            forecaster._check_steps(own)
        except ValueError as exc:
            keys = shown([key for _, key, _ in members])
            raise ValueError(f"{exc} (series {keys} end at {members[0][2][0]!r}, "
                             f"before the cutoff {cutoff[0]!r}: update them first)") from None
        parts = [window.windows[key].last_window(Xs.get(key), own, end, future)
                 for _, key, end in members]
        W = np.concatenate([p[0] for p in parts])
        X_fut = None if parts[0][1] is None else np.concatenate([p[1] for p in parts])
        groups.append(([pos for pos, _, _ in members], W, X_fut, own))
    return groups, pd.MultiIndex.from_tuples(rows, names=window.names)


def by_series(groups, arrays, axis=0):
    """Outputs of :func:`cutoff_groups`' batches as rows, series after series.

    ``arrays[g]`` has the series of group ``g`` on ``axis`` and the steps
    right after it; the result merges those two axes, in series order.
    """
    pieces = {}
    for (positions, *_), arr in zip(groups, arrays):
        for i, pos in enumerate(positions):
            pieces[pos] = np.take(arr, i, axis=axis)
    return np.concatenate([pieces[p] for p in sorted(pieces)], axis=axis)


def tracks_one_step(forecaster):
    """Whether one-step forecasts exist to adapt the bands with."""
    try:
        forecaster._strategy.check_steps(np.array([1]))
    except ValueError:
        return False
    return True


def observe_new_rows(forecaster, y, X):
    """Move the window(s) to the new rows, after scoring the one-step bands on them.

    For a panel, the rows of every updated series are scored, and the
    pooled scores move the shared trackers of the calibration.
    """
    window = forecaster._window
    panel = isinstance(window, PanelWindow)
    if len(y) and panel != isinstance(y.index, pd.MultiIndex):
        fitted = "a panel (a MultiIndex of series and time)" if panel else "a single series"
        raise ValueError(
            f"The forecaster was fitted on {fitted}; update it with new rows of the same "
            "kind, or refit.")
    if panel:  # sktime's cutoff of a panel loses the frequency of its time level
        forecaster._cutoff = cutoff_index(forecaster._cutoff[0], window.cutoff_like)
    parts = window.parts(y, X) if panel else [(window, y, X)]
    if forecaster.calibration_ is not None and len(y) and tracks_one_step(forecaster):
        scores = [one_step_scores(forecaster, y_s, X_s, w) for w, y_s, X_s in parts
                  if y_s is not None]
        scores = [s for s in scores if s is not None]
        if scores:
            center, spread, actual = (np.concatenate(a) for a in zip(*scores))
            forecaster.calibration_.calibrate(forecaster, [1])
            forecaster.calibration_.observe(center, spread, actual)
    for w, y_s, X_s in parts:
        w.update(y_s, X_s)
