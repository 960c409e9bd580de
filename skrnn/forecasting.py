"""sktime forecasters around the skrnn recurrent regressors.

:class:`RNNForecaster` wraps any skrnn recurrent regressor
(:class:`~skrnn.LSTMRegressor`, :class:`~skrnn.GRURegressor`, ...) as an
sktime forecaster: forecasting horizons (relative or absolute, with gaps),
recursive / direct / MIMO multi-step strategies, uni- and multivariate ``y``,
exogenous ``X``, Monte-Carlo dropout intervals and quantiles, and ``update``
that moves the window without retraining.

sktime is an optional dependency (``pip install skrnn[sktime]``); importing
:mod:`skrnn` does not import this module.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

try:
    from sktime.forecasting.base import BaseForecaster, ForecastingHorizon
except ImportError as exc:  # pragma: no cover - exercised without sktime only
    raise ImportError(
        "skrnn.forecasting needs sktime, an optional dependency: "
        "pip install skrnn[sktime]"
    ) from exc

from sklearn.base import clone

from ._validation import check_finite, check_positive_int
from .estimators import reset_dropout_seeds
from .preprocessing import windows_of, zero_base

__all__ = ["RNNForecaster"]

_STRATEGIES = ("recursive", "direct", "mimo")


class RNNForecaster(BaseForecaster):
    """Multi-step forecaster around a skrnn recurrent regressor.

    The series (``y`` columns first, then the columns of exogenous ``X``) is
    cut into windows of ``window_len`` time steps, exactly as
    :class:`~skrnn.SlidingWindow` does on the scikit-learn side, and the
    wrapped regressor learns to map a window ending at time ``t`` to future
    values of ``y``. Three multi-step strategies are available:

    ``"recursive"``
        One network predicts one step ahead (all ``y`` columns at once); the
        forecast is fed back into the window to predict the next step. Any
        ``fh`` can be asked for at predict time.
    ``"direct"``
        One network per distinct step of ``fh`` (cloned from ``estimator``),
        each predicting ``h`` steps ahead from the same window. ``fh`` must be
        given in ``fit``.
    ``"mimo"``
        One network with ``max(fh) * n_columns(y)`` outputs predicting steps
        ``1 .. max(fh)`` at once (a 2D target, see :class:`~skrnn.RNNRegressor`).
        ``fh`` must be given in ``fit``.

    Exogenous ``X``: its columns are extra channels of each window, so only
    values up to the window's last time step are read. For ``"recursive"``
    the window of step ``k`` ends at ``cutoff + k - 1``, so ``predict`` needs
    the *future* ``X`` rows at ``cutoff + 1 .. cutoff + max(fh) - 1`` (known
    in advance, such as calendar features or a planned value); a missing or
    too short future ``X`` raises a ``ValueError`` naming the missing times.
    ``"direct"`` and ``"mimo"`` read past ``X`` only; any future ``X`` passed
    to ``predict`` is ignored.

    Probabilistic forecasts (:meth:`predict_interval`,
    :meth:`predict_quantiles`, :meth:`predict_var`) come from Monte-Carlo
    dropout: dropout stays on at inference and ``estimator.n_samples`` passes
    are drawn in one batched call per step. Recursive forecasts feed each
    sampled path's own values back, so the uncertainty accumulates over the
    horizon.

    :meth:`update` appends new observations and moves the window; the network
    is never retrained (``update_params`` is ignored). To refit periodically,
    wrap the forecaster in :class:`sktime.forecasting.stream.UpdateRefitsEvery`
    or use ``evaluate(..., strategy="refit")``.

    Parameters
    ----------
    estimator : regressor, default=None
        The regressor to fit on the windows, e.g. ``LSTMRegressor(units=64)``.
        It is cloned, never changed. Its hyper-parameters are nested
        parameters of the forecaster (``estimator__units``), so
        :class:`~sktime.forecasting.model_selection.ForecastingGridSearchCV`
        can tune them. Any scikit-learn regressor that accepts 3D windows
        ``(n, window_len, n_channels)`` and a 1D or 2D ``y`` works for point
        forecasts; intervals need a ``predict_samples`` method (the skrnn
        recurrent regressors, with ``dropout > 0``). ``None`` means
        ``LSTMRegressor()``. The estimator's own ``normalize="zero_base"``
        works for a univariate ``y`` (``y`` is channel 0 of the windows); for
        a multivariate ``y`` use the forecaster's ``normalize`` instead.
    window_len : int, default=10
        Time steps per window (the network's input length).
    strategy : {"recursive", "direct", "mimo"}, default="recursive"
        Multi-step strategy, see above.
    normalize : {None, "zero_base"}, default=None
        ``"zero_base"`` scales every window and channel by its first value
        (``x / x0 - 1``) and each ``y`` column's targets by the base of its
        own channel, and maps predictions back, as
        :class:`~skrnn.ZeroBaseRegressor` does; correct for multivariate ``y``.
    scaler : transformer, default=None
        Global scaling, e.g. ``StandardScaler()`` or ``MinMaxScaler()``:
        cloned and fitted on the ``y`` columns of the training series (and a
        second clone on the ``X`` columns), applied before windowing, and
        inverted on the forecasts. Not refitted by :meth:`update`.
    random_state : int or None, default=None
        If an int, the seed of the cloned networks (it overrides the
        estimator's ``random_state``) and of the Monte-Carlo dropout draws, so
        intervals are reproducible: the same fitted forecaster gives the same
        intervals on every call, also after pickling. ``None`` keeps the
        estimator's ``random_state`` and, if that is an int, seeds the draws
        with it too.

    Attributes
    ----------
    estimators_ : list of regressor
        The fitted clones: one for ``"recursive"`` and ``"mimo"``, one per
        step in :attr:`horizons_` for ``"direct"``.
    horizons_ : list of int
        Steps ahead each network of :attr:`estimators_` predicts (``[1]`` for
        recursive, ``[1, .., max(fh)]`` for MIMO, the steps of ``fh`` for
        direct).
    n_channels_ : int
        Window channels: columns of ``y`` plus columns of ``X``.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from skrnn import LSTMRegressor
    >>> from skrnn.forecasting import RNNForecaster
    >>> y = pd.Series(100 + np.sin(np.arange(60) / 3), name="price")
    >>> f = RNNForecaster(LSTMRegressor(units=4, epochs=2, n_samples=20,
    ...                                 random_state=0),
    ...                   window_len=5, normalize="zero_base")
    >>> f = f.fit(y)
    >>> f.predict(fh=[1, 2, 3]).shape
    (3,)
    >>> f.predict_interval(fh=[1, 2, 3], coverage=0.9).shape
    (3, 2)
    >>> f = f.update(pd.Series([100.5], index=[60], name="price"))
    >>> int(f.cutoff[0])
    60
    """

    _tags = {
        "authors": ["skrnn developers"],
        "maintainers": ["skrnn developers"],
        "python_dependencies": ["tensorflow"],
        "object_type": "forecaster",
        "y_inner_mtype": "pd.DataFrame",
        "X_inner_mtype": "pd.DataFrame",
        "capability:multivariate": True,
        "capability:exogenous": True,
        "capability:categorical_in_X": False,
        "capability:missing_values": False,
        "capability:insample": False,
        "capability:pred_int": True,
        "capability:pred_int:insample": False,
        "capability:update": True,
        "capability:non_contiguous_X": True,
        "capability:random_state": True,
        "property:randomness": "derandomized",
        "requires-fh-in-fit": False,
        "X-y-must-have-same-index": True,
        "fit_is_empty": False,
    }
    # the forecaster keeps its own window state (the last window_len rows), so
    # sktime's copy of all data seen (self._y, self._X) is not needed
    _config = {"remember_data": False}

    def __init__(
        self,
        estimator=None,
        window_len=10,
        strategy="recursive",
        normalize=None,
        scaler=None,
        random_state=None,
    ):
        self.estimator = estimator
        self.window_len = window_len
        self.strategy = strategy
        self.normalize = normalize
        self.scaler = scaler
        self.random_state = random_state
        super().__init__()
        # sktime's data memory (off by default here, see _config), present so
        # that set_config(remember_data=True) works as for any forecaster
        self._y = None
        self._X = None
        # direct and MIMO train one output per step of fh: fh is needed in fit
        if strategy in ("direct", "mimo"):
            self.set_tags(**{"requires-fh-in-fit": True})
        # recursive forecasting reads X at every step up to max(fh) - 1, so a
        # future X at the fh points only is not enough
        if strategy == "recursive":
            self.set_tags(**{"capability:non_contiguous_X": False})
        if estimator is not None and not hasattr(estimator, "predict_samples"):
            self.set_tags(**{"capability:pred_int": False})

    # ------------------------------------------------------------------ checks
    def _check_params(self):
        if self.strategy not in _STRATEGIES:
            raise ValueError(
                f"strategy must be one of {list(_STRATEGIES)}, got {self.strategy!r}."
            )
        check_positive_int(self.window_len, "window_len")
        if self.normalize not in (None, "zero_base"):
            raise ValueError(
                f'normalize must be None or "zero_base", got {self.normalize!r}. '
                "For global scaling pass scaler=StandardScaler() (or MinMaxScaler())."
            )
        if self.random_state is not None and (
            isinstance(self.random_state, bool)
            or not isinstance(self.random_state, numbers.Integral)
        ):
            raise ValueError(f"random_state must be an int or None, got {self.random_state!r}.")
        if self.scaler is not None and not (
            hasattr(self.scaler, "fit") and hasattr(self.scaler, "inverse_transform")
        ):
            raise ValueError(
                f"scaler must be a scikit-learn transformer with inverse_transform "
                f"(e.g. StandardScaler()), got {self.scaler!r}."
            )

    def _base_estimator(self):
        if self.estimator is not None:
            return self.estimator
        from .estimators import LSTMRegressor

        return LSTMRegressor()

    # ------------------------------------------------------------------ fit
    def _fit(self, y, X, fh):
        """Fit the network(s) on all windows of ``y`` (and ``X``).

        Parameters
        ----------
        y : pd.DataFrame
            Target series, one column per variable.
        X : pd.DataFrame or None
            Exogenous series with the same index as ``y``.
        fh : ForecastingHorizon or None
            Needed for ``"direct"`` and ``"mimo"``.

        Returns
        -------
        self
        """
        self._check_params()
        L = int(self.window_len)
        est = self._base_estimator()
        k = y.shape[1]
        self._y_columns = y.columns
        self._k = k
        if getattr(est, "normalize", None) == "zero_base" and k > 1:
            raise ValueError(
                f"The estimator uses normalize='zero_base', which scales every output "
                f"by the base of one channel, but y has {k} columns. Set the "
                "forecaster's normalize='zero_base' (per-column bases) and leave the "
                "estimator's normalize=None."
            )
        yv = _float_values(y, "y")
        Xv = None
        self._X_columns = None
        X_in = X
        if X is not None and X.shape[1] > 0:
            X = X.loc[y.index] if not X.index.equals(y.index) else X
            Xv = _float_values(X, "X")
            self._X_columns = X.columns
        self._p = 0 if Xv is None else Xv.shape[1]
        self.n_channels_ = k + self._p

        # global scaling, fitted on the training series only
        self._scaler_y = self._scaler_X = None
        if self.scaler is not None:
            self._scaler_y = clone(self.scaler).fit(yv)
            if Xv is not None:
                self._scaler_X = clone(self.scaler).fit(Xv)
        ys = self._scale_y(yv)
        Z = ys if Xv is None else np.hstack([ys, self._scale_X(Xv)])

        if self.strategy == "recursive":
            horizons = [1]
        else:
            steps = _positive_steps(fh, self.cutoff, self.strategy)
            horizons = list(steps) if self.strategy == "direct" else list(range(1, max(steps) + 1))
        T = len(Z)
        h_max = 1 if self.strategy == "recursive" else max(horizons)
        if T < L + h_max:
            raise ValueError(
                f"y has {T} time points, too few for window_len={L} and "
                f"{'horizon ' + str(h_max) if h_max > 1 else 'one-step targets'} "
                f"with strategy={self.strategy!r}: at least {L + h_max} are needed "
                "(window_len + the largest step). Use a shorter window, a shorter "
                "horizon or more data."
            )
        W = windows_of(Z, L)  # (T - L + 1, L, C); window i ends at row i + L - 1
        self.estimators_ = []
        if self.strategy == "mimo":
            H = h_max
            n = T - L - H + 1
            # targets: y[e + 1 .. e + H] for the window ending at e, step-major
            Y = np.lib.stride_tricks.sliding_window_view(ys[L:], H, axis=0)[:n]
            Y = np.ascontiguousarray(Y.transpose(0, 2, 1)).reshape(n, H * k)
            self.estimators_.append(self._fit_one(est, W[:n], Y))
        else:
            for h in horizons:
                n = T - L - h + 1
                Y = ys[L - 1 + h: L - 1 + h + n]
                self.estimators_.append(self._fit_one(est, W[:n], Y))
        self.horizons_ = [int(h) for h in horizons]

        # the window state: the last window_len rows, moved by update
        self._y_hist = y.iloc[-L:].copy()
        self._X_hist = None
        if self._X_columns is not None:  # keep any future rows X reaches
            self._X_hist = X_in.loc[X_in.index >= y.index[-L], self._X_columns].copy()
        return self

    def _fit_one(self, est, W, Y):
        reg = clone(est)
        if self.random_state is not None and "random_state" in reg.get_params(deep=False):
            reg.set_params(random_state=int(self.random_state))
        if self.normalize == "zero_base":
            W, base = zero_base(W)
            n = len(Y)
            Y = (Y.reshape(n, -1, self._k) / base[:, None, : self._k] - 1.0).reshape(n, -1)
        target = Y[:, 0] if Y.shape[1] == 1 else Y
        return reg.fit(W, target)

    # ------------------------------------------------------------------ scaling
    def _scale_y(self, v):
        return v if self._scaler_y is None else np.asarray(self._scaler_y.transform(v), float)

    def _scale_X(self, v):
        return v if self._scaler_X is None else np.asarray(self._scaler_X.transform(v), float)

    def _unscale_y(self, out):
        """Invert the global y scaling on an array whose last axis is y's columns."""
        if self._scaler_y is None:
            return out
        shape = out.shape
        flat = np.asarray(self._scaler_y.inverse_transform(out.reshape(-1, self._k)), float)
        return flat.reshape(shape)

    # ------------------------------------------------------------------ update
    def _update(self, y, X=None, update_params=True):
        """Append new observations and move the window; never retrain.

        ``update_params`` is ignored: the networks stay as fitted. Use
        ``UpdateRefitsEvery`` or ``evaluate(strategy="refit")`` to retrain.
        """
        L = int(self.window_len)
        y_all = _append(self._y_hist, y)
        self._y_hist = y_all.iloc[-L:].copy()
        if self._X_columns is not None:
            if X is None or X.shape[1] == 0:
                X_all = self._X_hist
            else:
                X_all = _append(self._X_hist, X[_check_columns(X, self._X_columns, "update")])
            self._X_hist = X_all.loc[X_all.index >= self._y_hist.index[0]].copy()
        return self

    # ------------------------------------------------------------------ predict
    def _steps(self, fh):
        steps = np.asarray(fh.to_relative(self.cutoff).to_numpy(), dtype=int).ravel()
        return self._check_steps(steps)

    def _check_steps(self, steps):
        if np.any(steps < 1):  # guarded by capability:insample=False already
            raise NotImplementedError(f"{type(self).__name__} can not perform in-sample prediction.")
        if self.strategy == "direct":
            missing = sorted(set(steps.tolist()) - set(self.horizons_))
            if missing:
                raise ValueError(
                    f"strategy='direct' was fitted for steps {self.horizons_}, not {missing}; "
                    "refit with the new fh."
                )
        if self.strategy == "mimo" and steps.max() > len(self.horizons_):
            raise ValueError(
                f"strategy='mimo' was fitted for steps 1..{len(self.horizons_)}, "
                f"not {int(steps.max())}; refit with the new fh."
            )
        return steps

    def _last_window(self, X, steps):
        """The current window (1, L, C) and, for recursive + X, the future X rows."""
        ys = self._scale_y(_float_values(self._y_hist, "y"))
        if self._X_columns is None:
            return ys[None], None
        times = self._y_hist.index
        X_past = _rows_at(self._X_hist, X, times, self.cutoff, self._X_columns,
                          what="the window")
        W = np.hstack([ys, self._scale_X(X_past)])[None]
        H = int(steps.max())
        if self.strategy != "recursive" or H == 1:
            return W, None
        future = ForecastingHorizon(np.arange(1, H), is_relative=True, freq=self._fh_freq())
        ftimes = future.to_absolute_index(self.cutoff)
        X_fut = _rows_at(self._X_hist, X, ftimes, self.cutoff, self._X_columns,
                         what=f"recursive steps 2..{H}")
        return W, self._scale_X(X_fut)[None]

    def _fh_freq(self):
        return getattr(self.cutoff, "freq", None)

    def _predict(self, fh, X):
        """Point forecasts (dropout off) at the steps of ``fh``.

        Returns
        -------
        y_pred : pd.DataFrame
            Index ``fh`` (absolute), columns those of ``y``.
        """
        steps = self._steps(fh)
        W, X_fut = self._last_window(X, steps)
        out = self._forecast(W, X_fut, steps, n_samples=None)[0, 0]  # (n_steps, k)
        index = fh.to_absolute_index(self.cutoff)
        return pd.DataFrame(out, index=index, columns=self._y_columns)

    def _samples(self, fh, X):
        steps = self._steps(fh)
        W, X_fut = self._last_window(X, steps)
        n_samples = self._n_samples()
        out = self._forecast(W, X_fut, steps, n_samples=n_samples)[:, 0]
        return out, fh.to_absolute_index(self.cutoff)  # (n_samples, n_steps, k)

    def predict_samples(self, fh=None, X=None, n_samples=None):
        """Monte-Carlo dropout sample paths, shape ``(n_samples, len(fh), n_columns(y))``.

        Each sample is one forward path with dropout on; recursive paths feed
        their own sampled values back. The draws are seeded by
        ``random_state`` (or the estimator's) when one is set.

        Parameters
        ----------
        fh : int, list or ForecastingHorizon, optional
            Defaults to the ``fh`` seen in fit.
        X : pd.DataFrame, optional
            Exogenous data for the forecast (see the class notes).
        n_samples : int, optional
            Defaults to the estimator's ``n_samples``.

        Returns
        -------
        samples : ndarray of shape (n_samples, len(fh), n_columns(y))
        """
        self.check_is_fitted()
        self._check_single_series("predict_samples")
        fh = self._check_fh(fh)
        X_inner = None if X is None else _as_frame(X)
        steps = self._steps(fh)
        W, X_fut = self._last_window(X_inner, steps)
        n = self._n_samples() if n_samples is None else check_positive_int(n_samples, "n_samples")
        return self._forecast(W, X_fut, steps, n_samples=n)[:, 0]

    def _check_single_series(self, method):
        if not hasattr(self, "_y_hist"):  # panels: sktime fitted one clone per series
            raise NotImplementedError(
                f"{method} works on a single series; this forecaster was fitted on a panel "
                "or hierarchy (one clone per series in forecasters_). Call it on "
                "forecasters_.iloc[i, 0], or use predict_interval / predict_quantiles."
            )

    def _n_samples(self):
        n = getattr(self.estimators_[0], "n_samples", None)
        return 100 if n is None else int(n)

    def _predict_quantiles(self, fh, X, alpha):
        """Quantiles of the Monte-Carlo dropout sample paths.

        Returns
        -------
        quantiles : pd.DataFrame
            Columns ``(variable, alpha)``, index ``fh`` (absolute).
        """
        samples, index = self._samples(fh, X)
        q = np.quantile(samples, np.asarray(alpha, dtype=float), axis=0)  # (n_alpha, n_steps, k)
        cols = self._get_columns(method="predict_quantiles", alpha=alpha)
        values = np.transpose(q, (1, 2, 0)).reshape(len(index), -1)  # var-major, alpha-minor
        return pd.DataFrame(values, index=index, columns=cols)

    def _predict_interval(self, fh, X, coverage):
        """Central intervals from the Monte-Carlo dropout sample paths.

        Returns
        -------
        pred_int : pd.DataFrame
            Columns ``(variable, coverage, "lower"/"upper")``, index ``fh``.
        """
        samples, index = self._samples(fh, X)
        probs = []
        for c in coverage:
            probs.extend([0.5 - 0.5 * float(c), 0.5 + 0.5 * float(c)])
        q = np.quantile(samples, np.asarray(probs), axis=0)  # (2 * n_cov, n_steps, k)
        cols = self._get_columns(method="predict_interval", coverage=coverage)
        values = np.transpose(q, (1, 2, 0)).reshape(len(index), -1)
        return pd.DataFrame(values, index=index, columns=cols)

    def _predict_var(self, fh, X=None, cov=False):
        """Variance of the Monte-Carlo dropout sample paths.

        With ``cov=True`` the covariance between the time points of ``fh``
        is returned for each variable (sample paths make it available).
        """
        samples, index = self._samples(fh, X)
        if not cov:
            var = samples.var(axis=0, ddof=1) if len(samples) > 1 else np.zeros(samples.shape[1:])
            return pd.DataFrame(var, index=index, columns=self._y_columns)
        blocks = {}
        for j, col in enumerate(self._y_columns):
            s = samples[:, :, j]
            c = np.cov(s, rowvar=False, ddof=1) if len(s) > 1 else np.zeros((len(index),) * 2)
            blocks[col] = pd.DataFrame(np.atleast_2d(c), index=index, columns=index)
        return pd.concat(blocks, axis=1)

    # ------------------------------------------------------------------ core
    def _forecast(self, W, X_fut, steps, n_samples=None):
        """Forecasts from a batch of raw windows.

        Parameters
        ----------
        W : ndarray of shape (B, window_len, n_channels)
            Windows in the globally scaled space (no zero-base yet).
        X_fut : ndarray of shape (B, max(steps) - 1, n_X) or None
            Future exogenous rows (scaled), recursive strategy only.
        steps : ndarray of int
            Steps ahead to return.
        n_samples : int or None
            ``None`` for point forecasts (dropout off), else Monte-Carlo paths.

        Returns
        -------
        out : ndarray of shape (n_paths, B, len(steps), n_columns(y))
            In the data's units; ``n_paths`` is 1 for point forecasts.
        """
        steps = np.asarray(steps, dtype=int)
        B = len(W)
        k = self._k
        sample = n_samples is not None
        P = int(n_samples) if sample else 1
        seed = self._mc_seed() if sample else None
        if sample:
            self._check_can_sample()
        if self.strategy == "recursive":
            if seed is not None:
                _seed_dropout(self.estimators_[0], seed)
            H = int(steps.max())
            buf = np.broadcast_to(W, (P,) + W.shape).reshape((P * B,) + W.shape[1:]).copy()
            xf = None
            if X_fut is not None:
                xf = np.broadcast_to(X_fut, (P,) + X_fut.shape).reshape((P * B,) + X_fut.shape[1:])
            outs = []
            for s in range(1, H + 1):
                yhat = self._call(self.estimators_[0], buf, sample)  # (P*B, k)
                outs.append(yhat)
                if s < H:
                    row = yhat if xf is None else np.hstack([yhat, xf[:, s - 1]])
                    buf[:, :-1] = buf[:, 1:]
                    buf[:, -1] = row
            path = np.stack(outs, axis=1)  # (P*B, H, k)
            out = path[:, steps - 1].reshape(P, B, len(steps), k)
        elif self.strategy == "direct":
            cols = []
            for h in steps:
                j = self.horizons_.index(int(h))
                reg = self.estimators_[j]
                if seed is not None:
                    _seed_dropout(reg, seed + j)
                cols.append(self._call_batch(reg, W, P if sample else None).reshape(P, B, 1, k))
            out = np.concatenate(cols, axis=2)
        else:  # mimo
            reg = self.estimators_[0]
            if seed is not None:
                _seed_dropout(reg, seed)
            full = self._call_batch(reg, W, P if sample else None).reshape(P, B, -1, k)
            out = full[:, :, steps - 1]
        return self._unscale_y(out)

    def _call(self, reg, W, sample):
        """One step for P*B windows: point prediction or one MC draw per window."""
        return self._call_batch(reg, W, 1 if sample else None)[0]

    def _call_batch(self, reg, W, n_samples):
        """Predict all windows in one call; returns (n_paths, B, n_outputs)."""
        base = None
        if self.normalize == "zero_base":
            W, base = zero_base(W)
        B = len(W)
        if n_samples is None:
            out = np.asarray(reg.predict(W), dtype=float).reshape(1, B, -1)
        else:
            out = np.asarray(reg.predict_samples(W, n_samples=n_samples), dtype=float)
            out = out.reshape(n_samples, B, -1)
        if base is not None:
            P, _, m = out.shape
            b = base[None, :, None, : self._k]
            out = (b * (1.0 + out.reshape(P, B, m // self._k, self._k))).reshape(P, B, m)
        return out

    def _check_can_sample(self):
        reg = self.estimators_[0]
        if not hasattr(reg, "predict_samples"):
            raise ValueError(
                f"{type(reg).__name__} has no predict_samples, so {type(self).__name__} "
                "can not give intervals or quantiles. Use a skrnn recurrent regressor "
                "(LSTMRegressor, GRURegressor, SimpleRNNRegressor) with dropout > 0."
            )

    def _mc_seed(self):
        if self.random_state is not None:
            return int(self.random_state)
        rs = getattr(self._base_estimator(), "random_state", None)
        if isinstance(rs, numbers.Integral) and not isinstance(rs, bool):
            return int(rs)
        return None

    # ------------------------------------------------------------------ rolling
    def predict_rolling(self, y, X=None, fh=1, origins=None, n_samples=None):
        """Forecasts from many origins in one batched pass, without refitting.

        Equivalent to ``predict(fh)``, then ``update(y.iloc[[i]],
        update_params=False)`` and ``predict(fh)`` for every row ``i`` of
        ``y`` -- the loop sktime's ``update_predict`` and ``evaluate`` run --
        but every origin's window is cut at once with stride tricks and each
        forecast step is one batched network call. The forecaster itself is
        not changed.

        Parameters
        ----------
        y : pd.Series or pd.DataFrame
            New observations that continue the series seen in fit/update.
        X : pd.DataFrame, optional
            Exogenous data covering ``y``'s index (and, for recursive
            forecasts with ``max(fh) > 1``, the ``max(fh) - 1`` times after
            each origin).
        fh : int or list of int, default=1
            Relative steps ahead (positive).
        origins : array-like of labels, optional
            Cutoffs to forecast from: the current cutoff and/or labels of
            ``y``'s index. Default: the current cutoff and every row of ``y``.
        n_samples : int, optional
            If given, Monte-Carlo dropout samples are returned instead of
            point forecasts.

        Returns
        -------
        forecasts : pd.DataFrame
            Row index ``(cutoff, time)``, columns those of ``y``: the forecast
            made at ``cutoff`` for ``time``. With ``n_samples``, an ndarray of
            shape ``(n_samples, n_origins, len(fh), n_columns(y))`` and the
            origins as a second return value.
        """
        self.check_is_fitted()
        self._check_single_series("predict_rolling")
        steps = np.unique(np.atleast_1d(np.asarray(fh, dtype=int)))
        if steps.size == 0 or steps.min() < 1:
            raise ValueError(f"fh must hold positive relative steps, got {fh!r}.")
        self._check_steps(steps)
        H = int(steps.max())
        y_new = _as_frame(y)
        if len(y_new.columns) != len(self._y_columns):
            raise ValueError(
                f"y has columns {list(y_new.columns)}, but the forecaster was fitted "
                f"on {list(self._y_columns)}."
            )
        y_new.columns = self._y_columns
        if len(y_new) and not _strictly_after(y_new.index[0], self._y_hist.index[-1]):
            raise ValueError(
                f"y must continue the series: its first time {y_new.index[0]!r} is not "
                f"after the cutoff {self._y_hist.index[-1]!r}."
            )
        L = int(self.window_len)
        y_all = pd.concat([self._y_hist, y_new])
        Z = self._scale_y(_float_values(y_all, "y"))
        X_src = None
        if self._X_columns is not None:
            X_src = self._X_hist
            if X is not None:
                X_new = _as_frame(X)
                X_src = _append(self._X_hist, X_new[_check_columns(X_new, self._X_columns,
                                                                    "predict_rolling")])
            Xp = _rows_at(X_src, None, y_all.index, None, self._X_columns,
                          what="the windows")
            Z = np.hstack([Z, self._scale_X(Xp)])
        W = windows_of(Z, L)  # one window per origin: the cutoff and every row of y
        cutoffs = y_all.index[L - 1:]
        if origins is not None:
            pos = cutoffs.get_indexer(pd.Index(origins))
            if np.any(pos < 0):
                bad = list(pd.Index(origins)[pos < 0][:3])
                raise ValueError(f"origins {bad} are neither the cutoff nor times of y.")
            W, cutoffs = W[pos], cutoffs[pos]
        X_fut = None
        if X_src is not None and self.strategy == "recursive" and H > 1:
            start = X_src.index.get_indexer(cutoffs)
            need = start[:, None] + np.arange(1, H)[None, :]
            if np.any(start < 0) or need.max() >= len(X_src):
                raise ValueError(
                    f"Recursive forecasts {H} steps ahead need X for the {H - 1} time(s) "
                    f"after every origin; X ends at {X_src.index[-1]!r}. Pass X that "
                    "extends further, or drop the last origins."
                )
            X_fut = self._scale_X(_float_values(X_src, "X"))[need]
        out = self._forecast(W, X_fut, steps, n_samples=n_samples)
        if n_samples is not None:
            return out, cutoffs
        times = self._times_after(y_all.index, cutoffs, steps)
        index = pd.MultiIndex.from_arrays(
            [np.repeat(cutoffs, len(steps)), times], names=["cutoff", "time"]
        )
        return pd.DataFrame(out[0].reshape(-1, self._k), index=index, columns=self._y_columns)

    def _times_after(self, index, cutoffs, steps):
        """Times ``steps`` after each cutoff: read off ``index`` where it reaches,
        extrapolated with the forecasting horizon's frequency beyond its end."""
        pos = index.get_indexer(cutoffs)[:, None] + steps[None, :]
        inside = pos < len(index)
        flat = pos.ravel()
        times = list(index[np.minimum(flat, len(index) - 1)])
        if not inside.all():
            for i in np.flatnonzero(~inside.ravel()):
                c = cutoffs[i // len(steps)]
                h = int(steps[i % len(steps)])
                fh = ForecastingHorizon([h], is_relative=True, freq=self._fh_freq())
                times[i] = fh.to_absolute_index(_cutoff_index(c, self.cutoff))[0]
        return pd.Index(times)

    # ------------------------------------------------------------------ tests
    @classmethod
    def get_test_params(cls, parameter_set="default"):
        """Tiny, fast, seeded configurations for sktime's ``check_estimator``.

        One per strategy; each network has 2 units and trains 1 epoch.
        """
        from sklearn.preprocessing import StandardScaler

        from .estimators import GRURegressor, LSTMRegressor, SimpleRNNRegressor

        tiny = dict(units=2, epochs=1, batch_size=64, early_stopping=None,
                    validation_fraction=0.0, n_samples=8, random_state=0)
        return [
            {"estimator": LSTMRegressor(**tiny), "window_len": 3, "strategy": "recursive"},
            {"estimator": GRURegressor(**tiny), "window_len": 2, "strategy": "direct",
             "normalize": "zero_base", "random_state": 1},
            {"estimator": SimpleRNNRegressor(**tiny), "window_len": 3, "strategy": "mimo",
             "scaler": StandardScaler()},
        ]


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------
def _float_values(frame, what):
    try:
        values = frame.to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise ValueError(
            f"{what} must be numeric; columns {list(frame.columns)} have dtypes "
            f"{[str(t) for t in frame.dtypes]}."
        ) from None
    check_finite(values, what, list(frame.columns))
    return values


def _as_frame(obj):
    if isinstance(obj, pd.Series):
        return obj.to_frame(name=0 if obj.name is None else obj.name)
    if isinstance(obj, pd.DataFrame):
        return obj.copy()
    arr = np.asarray(obj, dtype=float)
    return pd.DataFrame(arr.reshape(len(arr), -1))


def _append(old, new):
    """``old`` then ``new`` rows, sorted by time; ``new`` wins on equal times."""
    if new is None or len(new) == 0:
        return old
    if old is None or len(old) == 0:
        return new.sort_index()
    both = pd.concat([old, new])
    both = both[~both.index.duplicated(keep="last")]
    return both.sort_index()


def _check_columns(X, columns, method):
    missing = [c for c in columns if c not in X.columns]
    if missing:
        raise ValueError(
            f"X passed to {method} lacks the column(s) {missing} seen in fit "
            f"(expected {list(columns)})."
        )
    return list(columns)


def _strictly_after(first, last):
    try:
        return bool(first > last)
    except TypeError:
        return False


def _rows_at(stored, X, times, cutoff, columns, what):
    """Rows of exogenous data at ``times``: stored rows, then the predict-time X.

    Times up to the cutoff come from the data seen in fit/update; later times
    from ``X`` passed to predict (falling back to stored rows). Raises a
    ValueError naming the missing times.
    """
    src = stored
    if X is not None and len(X):
        Xn = X[_check_columns(X, columns, "predict")]
        if cutoff is not None:
            Xn = Xn.loc[_after_mask(Xn.index, cutoff)]
        src = _append(stored, Xn)
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
    return _float_values(src.iloc[pos], "X")


def _after_mask(index, cutoff):
    c = cutoff[0] if isinstance(cutoff, pd.Index) else cutoff
    return np.asarray(index > c)


def _cutoff_index(label, like):
    """A one-element index holding ``label``, typed like the forecaster's cutoff."""
    idx = pd.Index([label])
    freq = getattr(like, "freq", None)
    if isinstance(like, pd.DatetimeIndex):
        idx = pd.DatetimeIndex([label], freq=freq)
    elif isinstance(like, pd.PeriodIndex):
        idx = pd.PeriodIndex([label], freq=freq)
    return idx


def _positive_steps(fh, cutoff, strategy):
    if fh is None:
        raise ValueError(
            f"strategy={strategy!r} trains for the steps of fh, so fh must be passed "
            "to fit, e.g. fit(y, fh=[1, 2, 3])."
        )
    steps = np.asarray(fh.to_relative(cutoff).to_numpy(), dtype=int).ravel()
    if np.any(steps < 1):
        raise NotImplementedError("RNNForecaster can not perform in-sample prediction.")
    return sorted(set(int(s) for s in steps))


def _keras_models(est, depth=0):
    """Fitted Keras models inside a skrnn regressor (or a wrapper around one)."""
    if est is None or depth > 4:
        return
    model = getattr(est, "model_", None)
    if model is not None:
        yield model
    inner = getattr(est, "regressor_", None)
    if inner is not None:
        yield from _keras_models(inner, depth + 1)
    for _, step in getattr(est, "steps", []) or []:
        yield from _keras_models(step, depth + 1)


def _seed_dropout(est, seed):
    """Reset the dropout random state of ``est``'s networks to ``seed``.

    Keras draws dropout masks from per-layer seed generators whose state
    advances on every call; resetting it makes a Monte-Carlo draw depend only
    on ``seed`` and the fitted weights (repeatable, also after pickling).
    """
    for model in _keras_models(est):
        reset_dropout_seeds(model, seed)
