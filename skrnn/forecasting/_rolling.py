"""Rolling-origin forecasts of :class:`~skrnn.forecasting.RNNForecaster`.

Forecasts from many origins in one batched pass: every origin's window is
cut at once with stride tricks, and each forecast step is one network call
for all origins. Used by :meth:`RNNForecaster.predict_rolling`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sktime.forecasting.base import ForecastingHorizon

from .._validation import strictly_after
from ..preprocessing import windows_of
from ._calibration import residual_spread
from ._rows import append_rows, as_frame, check_columns, cutoff_index, float_values, rows_at


def rolling_windows(forecaster, y, X=None, origins=None, future_steps=1, window=None):
    """The (scaled) window of every origin, cut at once with stride tricks.

    Parameters
    ----------
    forecaster : RNNForecaster
        Fitted on a single series.
    y, X, origins
        See :meth:`RNNForecaster.predict_rolling`.
    future_steps : int, default=1
        The largest step to be forecast: a strategy that reads future
        exogenous rows gets the ``future_steps - 1`` rows after each origin.
    window : SeriesWindow, optional
        The series to continue; default the forecaster's (one series of a
        panel otherwise).

    Returns
    -------
    W : ndarray of shape (n_origins, window_len, n_channels)
    cutoffs : pd.Index
        The origins.
    X_fut : ndarray of shape (n_origins, future_steps - 1, n_X) or None
    y_all : pd.DataFrame
        The window's rows of ``y`` followed by ``y``.
    """
    window = forecaster._window if window is None else window
    y_new = as_frame(y)
    if len(y_new.columns) != len(window.y_columns):
        raise ValueError(
            f"y has columns {list(y_new.columns)}, but the forecaster was fitted "
            f"on {list(window.y_columns)}."
        )
    y_new.columns = window.y_columns
    if len(y_new) and not strictly_after(y_new.index[0], window.y_hist.index[-1]):
        raise ValueError(
            f"y must continue the series: its first time {y_new.index[0]!r} is not "
            f"after the cutoff {window.y_hist.index[-1]!r}."
        )
    y_all = pd.concat([window.y_hist, y_new])
    Z = window.scale_y(float_values(y_all, "y"))
    X_src = None
    if window.X_columns is not None:
        X_src = window.X_hist
        if X is not None:
            X_new = as_frame(X)
            X_src = append_rows(window.X_hist,
                            X_new[check_columns(X_new, window.X_columns, "predict_rolling")])
        Xp = rows_at(X_src, None, y_all.index, None, window.X_columns, what="the windows")
        Z = np.hstack([Z, window.scale_X(Xp)])
    L = window.window_len
    W = windows_of(Z, L)  # one window per origin: the cutoff and every row of y
    cutoffs = y_all.index[L - 1:]
    if origins is not None:
        pos = cutoffs.get_indexer(pd.Index(origins))
        if np.any(pos < 0):
            bad = list(pd.Index(origins)[pos < 0][:3])
            raise ValueError(f"origins {bad} are neither the cutoff nor times of y.")
        W, cutoffs = W[pos], cutoffs[pos]
    X_fut = None
    H = int(future_steps)
    if X_src is not None and forecaster._strategy.reads_future_X and H > 1:
        start = X_src.index.get_indexer(cutoffs)
        need = start[:, None] + np.arange(1, H)[None, :]
        if np.any(start < 0) or need.max() >= len(X_src):
            raise ValueError(
                f"Recursive forecasts {H} steps ahead need X for the {H - 1} time(s) "
                f"after every origin; X ends at {X_src.index[-1]!r}. Pass X that "
                "extends further, or drop the last origins."
            )
        X_fut = window.scale_X(float_values(X_src, "X"))[need]
    return W, cutoffs, X_fut, y_all


def rolling_forecast(forecaster, y, X=None, fh=1, origins=None, n_samples=None, window=None):
    """Forecasts of a fitted forecaster from many origins, without changing it.

    Parameters
    ----------
    forecaster : RNNForecaster
        Fitted on a single series.
    y, X, fh, origins, n_samples
        See :meth:`RNNForecaster.predict_rolling`.
    window : SeriesWindow, optional
        See :func:`rolling_windows`.

    Returns
    -------
    forecasts : pd.DataFrame or tuple of (ndarray, pd.Index)
        See :meth:`RNNForecaster.predict_rolling`.
    """
    f = forecaster
    steps = np.unique(np.atleast_1d(np.asarray(fh, dtype=int)))
    if steps.size == 0 or steps.min() < 1:
        raise ValueError(f"fh must hold positive relative steps, got {fh!r}.")
    f._check_steps(steps)
    window = f._window if window is None else window
    W, cutoffs, X_fut, y_all = rolling_windows(f, y, X, origins, future_steps=int(steps.max()),
                                               window=window)
    out = f._forecast(W, X_fut, steps, n_samples=n_samples)
    if n_samples is not None:
        return out, cutoffs
    times = _times_after(y_all.index, cutoffs, steps, f.cutoff)
    index = pd.MultiIndex.from_arrays(
        [np.repeat(cutoffs, len(steps)), times], names=["cutoff", "time"]
    )
    return pd.DataFrame(out[0].reshape(-1, window.n_targets), index=index,
                        columns=window.y_columns)


def one_step_scores(forecaster, y, X=None, window=None):
    """The one-step forecasts of the new rows of ``y``, to score the bands with.

    Parameters
    ----------
    forecaster : RNNForecaster
        Fitted, with a calibration.
    y, X : pd.DataFrame
        New rows (rows up to the window's last time are skipped: sktime's
        ``evaluate`` passes all rows seen so far).
    window : SeriesWindow, optional
        See :func:`rolling_windows`.

    Returns
    -------
    scores : tuple of ndarray or None
        ``(center, spread, actual)``, each of shape ``(n_new, n_targets)``;
        None without a new row.
    """
    window = forecaster._window if window is None else window
    last = window.y_hist.index[-1]  # sktime moved the cutoff before _update
    y_new = as_frame(y)
    y_new = y_new.loc[np.asarray(y_new.index > last)]
    if not len(y_new):
        return None
    origins = [last, *list(y_new.index[:-1])]
    head = y_new.iloc[:-1]
    center = rolling_forecast(forecaster, head, X, fh=1, origins=origins,
                              window=window).to_numpy()
    W = rolling_windows(forecaster, head, X, origins=origins, window=window)[0]
    spread = residual_spread(forecaster, W, None, np.array([1]))[0, :, 0]  # (T, k)
    return center, spread, float_values(y_new, "y")


def _times_after(index, cutoffs, steps, cutoff):
    """Times ``steps`` after each of ``cutoffs``.

    Read off ``index`` where it reaches, extrapolated with the frequency of
    the forecaster's ``cutoff`` beyond its end.
    """
    pos = index.get_indexer(cutoffs)[:, None] + steps[None, :]
    inside = pos < len(index)
    flat = pos.ravel()
    times = list(index[np.minimum(flat, len(index) - 1)])
    if not inside.all():
        for i in np.flatnonzero(~inside.ravel()):
            c = cutoffs[i // len(steps)]
            h = int(steps[i % len(steps)])
            fh = ForecastingHorizon([h], is_relative=True, freq=getattr(cutoff, "freq", None))
            times[i] = fh.to_absolute_index(cutoff_index(c, cutoff))[0]
    return pd.Index(times)
