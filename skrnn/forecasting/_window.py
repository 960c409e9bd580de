"""The series state of a fitted :class:`~skrnn.forecasting.RNNForecaster`.

:class:`SeriesWindow` keeps what forecasting from the cutoff needs: the last
``window_len`` rows of ``y`` (and the exogenous rows from their first time
on, future rows included), the columns seen in fit and the fitted global
scalers. ``update`` moves it forward; nothing in it is a network.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import clone
from sktime.forecasting.base import ForecastingHorizon

from ._rows import append_rows, check_columns, float_values, rows_at


class SeriesWindow:
    """The last rows, the columns and the global scalers of a fitted series.

    Parameters
    ----------
    window_len : int
        Time steps per window.
    scaler : transformer or None, default=None
        Cloned and fitted on the ``y`` columns (and a second clone on the
        ``X`` columns) in :meth:`fit`; never refitted.

    Attributes
    ----------
    y_columns : pd.Index
        Columns of ``y`` seen in fit.
    X_columns : pd.Index or None
        Columns of exogenous ``X`` seen in fit (``None`` without ``X``).
    n_targets : int
        Columns of ``y``, the first channels of every window.
    n_channels : int
        Channels of every window: columns of ``y`` plus columns of ``X``.
    y_hist : pd.DataFrame
        The last ``window_len`` rows of ``y``.
    X_hist : pd.DataFrame or None
        Exogenous rows from the first time of :attr:`y_hist` on, including
        any rows after the cutoff already seen.
    """

    def __init__(self, window_len, scaler=None):
        self.window_len = int(window_len)
        self.scaler = scaler

    def fit(self, y, X, scalers=None):
        """Remember the columns and last rows of ``y`` and ``X``; fit the scalers.

        Parameters
        ----------
        y : pd.DataFrame
            Target series, one column per variable.
        X : pd.DataFrame or None
            Exogenous series; rows at the times of ``y`` are used for
            training, later rows are kept for forecasting.
        scalers : tuple or None, default=None
            Already fitted ``(scaler_y, scaler_X)`` to use instead of fitting
            clones of ``scaler`` here (the scalers of a panel, fitted on all
            its series).

        Returns
        -------
        Z : ndarray of shape (n_times, n_channels)
            The scaled series: the ``y`` columns, then the ``X`` columns.
        ys : ndarray of shape (n_times, n_targets)
            The scaled ``y``.
        """
        self.y_columns = y.columns
        self.n_targets = y.shape[1]
        yv = float_values(y, "y")
        Xv = None
        self.X_columns = None
        X_in = X
        if X is not None and X.shape[1] > 0:
            X = X.loc[y.index] if not X.index.equals(y.index) else X
            Xv = float_values(X, "X")
            self.X_columns = X.columns
        self.n_channels = self.n_targets + (0 if Xv is None else Xv.shape[1])
        # global scaling, fitted on the training series only
        self.scaler_y = self.scaler_X = None
        if scalers is not None:
            self.scaler_y, self.scaler_X = scalers
        elif self.scaler is not None:
            self.scaler_y = clone(self.scaler).fit(yv)
            if Xv is not None:
                self.scaler_X = clone(self.scaler).fit(Xv)
        ys = self.scale_y(yv)
        Z = ys if Xv is None else np.hstack([ys, self.scale_X(Xv)])

        L = self.window_len
        self.y_hist = y.iloc[-L:].copy()
        self.X_hist = None
        if self.X_columns is not None:  # keep any future rows X reaches
            self.X_hist = X_in.loc[X_in.index >= y.index[-L], self.X_columns].copy()
        return Z, ys

    def update(self, y, X=None):
        """Append new observations and keep the last ``window_len`` rows.

        Parameters
        ----------
        y : pd.DataFrame
            New rows of ``y``.
        X : pd.DataFrame or None
            New rows of ``X``; needed when ``X`` was seen in fit.
        """
        y_all = append_rows(self.y_hist, y)
        self.y_hist = y_all.iloc[-self.window_len:].copy()
        if self.X_columns is not None:
            if X is None or X.shape[1] == 0:
                X_all = self.X_hist
            else:
                X_all = append_rows(self.X_hist, X[check_columns(X, self.X_columns, "update")])
            self.X_hist = X_all.loc[X_all.index >= self.y_hist.index[0]].copy()

    def scale_y(self, v):
        """``v`` (rows of ``y`` values) in the globally scaled space."""
        return v if self.scaler_y is None else np.asarray(self.scaler_y.transform(v), float)

    def scale_X(self, v):
        """``v`` (rows of ``X`` values) in the globally scaled space."""
        return v if self.scaler_X is None else np.asarray(self.scaler_X.transform(v), float)

    def unscale_y(self, out):
        """Invert the global y scaling on an array whose last axis is y's columns."""
        if self.scaler_y is None:
            return out
        shape = out.shape
        flat = np.asarray(self.scaler_y.inverse_transform(out.reshape(-1, self.n_targets)), float)
        return flat.reshape(shape)

    def last_window(self, X, steps, cutoff, future_X):
        """The current window and, if asked for, the exogenous rows after the cutoff.

        Parameters
        ----------
        X : pd.DataFrame or None
            Exogenous data passed to predict.
        steps : ndarray of int
            Steps ahead to forecast.
        cutoff : pd.Index
            The forecaster's cutoff.
        future_X : bool
            Whether the strategy reads ``X`` after the cutoff (up to
            ``max(steps) - 1`` steps ahead).

        Returns
        -------
        W : ndarray of shape (1, window_len, n_channels)
            Scaled.
        X_fut : ndarray of shape (1, max(steps) - 1, n_X) or None
            Scaled; ``None`` without ``X``, without ``future_X`` or for
            one step ahead.
        """
        ys = self.scale_y(float_values(self.y_hist, "y"))
        if self.X_columns is None:
            return ys[None], None
        times = self.y_hist.index
        X_past = rows_at(self.X_hist, X, times, cutoff, self.X_columns, what="the window")
        W = np.hstack([ys, self.scale_X(X_past)])[None]
        H = int(steps.max())
        if not future_X or H == 1:
            return W, None
        future = ForecastingHorizon(np.arange(1, H), is_relative=True,
                                    freq=getattr(cutoff, "freq", None))
        ftimes = future.to_absolute_index(cutoff)
        X_fut = rows_at(self.X_hist, X, ftimes, cutoff, self.X_columns,
                         what=f"recursive steps 2..{H}")
        return W, self.scale_X(X_fut)[None]
