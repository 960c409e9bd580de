"""The sktime forecaster :class:`RNNForecaster`.

It holds sktime's hooks and the parameters; the multi-step strategy
(:mod:`._strategies`), the series state (:mod:`._window`) and rolling-origin
forecasts (:mod:`._rolling`) live in their own modules.
"""

from __future__ import annotations

import numbers
from statistics import NormalDist
from functools import partial

import numpy as np
import pandas as pd
from sklearn.base import clone
from sktime.forecasting.base import BaseForecaster

from .._scaling import make_window_scaler
from .._validation import (
    SEED,
    HasMethods,
    StrOptions,
    check_params,
    check_positive_int,
    int_at_least,
)
from ._calibration import calibration_tail, residual_spread
from ._panel import (
    PanelWindow,
    by_series,
    cutoff_groups,
    fit_window,
    observe_new_rows,
    tracks_one_step,
)
from ._rolling import rolling_forecast, rolling_windows
from ._rows import as_frame, float_values, positive_steps
from ._strategies import STRATEGIES, make_strategy



class RNNForecaster(BaseForecaster):
    """Multi-step forecaster around a skrnn recurrent regressor.

    The series (``y`` columns first, then the columns of exogenous ``X``) is
    cut into windows of ``window_len`` time steps, exactly as
    :class:`~skrnn.SlidingWindow` does on the scikit-learn side, and the
    wrapped regressor learns to map a window ending at time ``t`` to future
    values of ``y``. The multi-step ``strategy`` (one class each, more can be
    added with :func:`~skrnn.forecasting.register_strategy`):

    ``"recursive"`` (one network, one step ahead, fed back; any ``fh``),
    ``"direct"`` (one network per step of ``fh``) and ``"mimo"`` (one
    network, all steps at once); see
    :class:`~skrnn.forecasting.RecursiveStrategy`,
    :class:`~skrnn.forecasting.DirectStrategy` and
    :class:`~skrnn.forecasting.MIMOStrategy`.

    Exogenous ``X``: its columns are extra channels of each window, so only
    values up to the window's last time step are read. ``"recursive"`` needs
    the *future* ``X`` rows at ``cutoff + 1 .. cutoff + max(fh) - 1`` in
    ``predict`` (a ``ValueError`` names missing times); ``"direct"`` and
    ``"mimo"`` read past ``X`` only and ignore a future ``X``.

    Many series: a panel or hierarchy ``y`` trains one network on the windows
    of all series, never across two; predictions, intervals and ``update``
    cover every series (see :mod:`skrnn.forecasting._panel`).

    Probabilistic forecasts (:meth:`predict_interval`,
    :meth:`predict_quantiles`, :meth:`predict_var`) are calibrated per step
    on the origins the networks held out (the estimator's
    ``calibration_fraction``) and adapt online in :meth:`update` and
    :meth:`predict_rolling` (see :mod:`skrnn.forecasting._calibration`);
    with the estimator's ``interval="mc"``, the raw Monte-Carlo dropout
    paths' quantiles.

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
    strategy : {"recursive", "direct", "mimo"} or a registered name, default="recursive"
        Multi-step strategy, see above.
    normalize : {"auto", "zero_base", "last_value", "standard"} or None, default="auto"
        How windows and targets are scaled for the network (each ``y``
        column by its own channel; predictions come back in the data's
        units), as the regressors' ``normalize``: ``"zero_base"`` divides
        every window by its first row (``x / x0 - 1``), ``"last_value"`` by
        its last row (the network predicts returns), ``"standard"``
        standardises with the training series' mean and std, and ``"auto"``
        picks ``"last_value"`` when every training value is strictly
        positive, else ``"standard"``. ``None`` leaves the windows to the
        estimator (raw, or scaled by ``scaler``). An estimator left at
        ``normalize="auto"`` defers to the forecaster's scaling.
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
    >>> y = pd.Series(100 + np.sin(np.arange(300) / 3), name="price")
    >>> f = RNNForecaster(LSTMRegressor(units=4, epochs=2, random_state=0), window_len=5)
    >>> f = f.fit(y)
    >>> f.predict(fh=[1, 2, 3]).shape
    (3,)
    >>> f.predict_interval(fh=[1, 2, 3], coverage=0.9).shape  # calibrated on the last 29 windows
    (3, 2)
    >>> f = f.update(pd.Series([100.5], index=[300], name="price"))
    >>> int(f.cutoff[0])
    300
    """

    _tags = {
        "authors": ["skrnn developers"],
        "maintainers": ["skrnn developers"],
        "python_dependencies": ["tensorflow"],
        "object_type": "forecaster",
        # panels and hierarchies natively: one network for all series
        "y_inner_mtype": ["pd.DataFrame", "pd-multiindex", "pd_multiindex_hier"],
        "X_inner_mtype": ["pd.DataFrame", "pd-multiindex", "pd_multiindex_hier"],
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

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "window_len": [int_at_least(1)],
        # a live view of the registry's names: registered strategies are valid
        "strategy": [StrOptions(STRATEGIES.keys())],
        "normalize": [StrOptions({"auto", "zero_base", "last_value", "standard"}), None],
        "scaler": [HasMethods(["fit", "inverse_transform"]), None],
        "random_state": SEED,
    }

    def __init__(self, estimator=None, window_len=10, strategy="recursive", normalize="auto",
                 scaler=None, random_state=None):
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
        # the strategy decides whether fh is needed in fit and whether X must
        # be contiguous (an unknown strategy is reported by fit)
        strategy_cls = STRATEGIES.get(strategy) if isinstance(strategy, str) else None
        if strategy_cls is not None:
            self.set_tags(**strategy_cls.sktime_tags())
        if estimator is not None and not hasattr(estimator, "predict_samples"):
            self.set_tags(**{"capability:pred_int": False})

    def _fit(self, y, X, fh):
        """Fit the strategy's network(s) on all windows of ``y`` (and ``X``).

        ``fh`` is needed by strategies that set ``needs_fh`` (direct, MIMO).
        """
        check_params(self)
        k = y.shape[1]
        est = _estimator_for(self.estimator, k, self.normalize)
        window, series, raw = fit_window(y, X, self.window_len, self.scaler, self.cutoff)
        self.n_channels_ = window.n_channels
        self.scaler_ = make_window_scaler(self.normalize, np.concatenate([s[0] for s in series]))
        strategy = make_strategy(self.strategy)
        steps = positive_steps(fh, self.cutoff, self.strategy) if strategy.needs_fh else None
        fit_one = partial(_fit_network, est, scaler=self.scaler_, n_targets=k,
                          random_state=self.random_state)
        strategy.fit(series, window.window_len, steps, fit_one)
        self._window, self._strategy = window, strategy
        self.estimators_, self.horizons_ = strategy.estimators_, strategy.horizons_
        self.calibration_ = calibration_tail(est, series, raw, window.window_len)
        self._spread_mode = getattr(est, "interval", None)
        return self

    def _update(self, y, X=None, update_params=True):
        """Append new observations and move the window; ``update_params`` is ignored.

        The one-step forecasts of the new values are scored first: the
        adaptive quantiles of calibrated bands move with their hits and misses.
        """
        observe_new_rows(self, y, X)
        return self

    def _check_steps(self, steps):
        """Raise if ``steps`` (relative, ndarray of int) can not be forecast; return them."""
        if np.any(steps < 1):  # guarded by capability:insample=False already
            raise NotImplementedError(f"{type(self).__name__} can not perform in-sample prediction.")
        self._strategy.check_steps(steps)
        return steps

    def _from_cutoff(self, fh, X, n_samples):
        """Forecasts from the current window(s): (n_paths, n_series * len(fh), k), index."""
        groups, index = cutoff_groups(self, fh, X)
        outs = [self._forecast(W, X_fut, steps, n_samples=n_samples)
                for _, W, X_fut, steps in groups]
        return by_series(groups, outs, axis=1), index

    def _predict(self, fh, X):
        """Point forecasts (dropout off) at the steps of ``fh``, one column per ``y`` column."""
        out, index = self._from_cutoff(fh, X, None)
        return pd.DataFrame(out[0], index=index, columns=self._window.y_columns)

    def _n_paths(self):
        """Monte-Carlo paths per forecast: the estimator's ``n_samples`` (100 if it has none)."""
        return int(getattr(self.estimators_[0], "n_samples", None) or 100)

    def _samples(self, fh, X):
        """Monte-Carlo paths (n_samples, len(fh), k) and the absolute index of ``fh``."""
        return self._from_cutoff(fh, X, self._n_paths())

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
        _check_single_series(self, "predict_samples")
        fh = self._check_fh(fh)
        X_inner = None if X is None else as_frame(X)
        if n_samples is None:
            return self._samples(fh, X_inner)[0]
        n = check_positive_int(n_samples, "n_samples")
        return self._from_cutoff(fh, X_inner, n)[0]

    def _predict_quantiles(self, fh, X, alpha):
        """Calibrated quantiles per step (raw Monte-Carlo ones with ``interval="mc"``).

        Columns ``(variable, alpha)``.
        """
        cols = self._get_columns(method="predict_quantiles", alpha=alpha)
        return _quantiles(self, fh, X, [(None, list(alpha))], cols)

    def _predict_interval(self, fh, X, coverage):
        """Calibrated central intervals per step, columns ``(variable, coverage, bound)``."""
        cols = self._get_columns(method="predict_interval", coverage=coverage)
        bands = [(float(c), [0.5 - 0.5 * float(c), 0.5 + 0.5 * float(c)]) for c in coverage]
        return _quantiles(self, fh, X, bands, cols)

    def _predict_var(self, fh, X=None, cov=False):
        """Variance per step: the square of the calibrated normal-equivalent std.

        The std is the width of the calibrated 90 % band divided by
        ``2 * 1.645``; with ``interval="mc"`` (or ``cov=True``, which needs the
        joint paths) the variance of the Monte-Carlo sample paths.
        """
        return _variance(self, fh, X, cov)

    def _forecast(self, W, X_fut, steps, n_samples=None):
        """Forecasts (n_paths, B, len(steps), k) in the data's units from scaled windows.

        See :meth:`Strategy.forecast <skrnn.forecasting.Strategy.forecast>`;
        ``n_samples=None`` gives point forecasts (one path, dropout off).
        """
        seed = None
        if n_samples is not None:
            seed = _mc_seed(self.random_state, self.estimators_[0], type(self).__name__)
        predict = partial(_predict_network, scaler=self.scaler_,
                          n_targets=self._window.n_targets)
        out = self._strategy.forecast(W, X_fut, np.asarray(steps, dtype=int), predict,
                                      n_samples=n_samples, seed=seed)
        return self._window.unscale_y(out)

    def predict_rolling(self, y, X=None, fh=1, origins=None, n_samples=None, coverage=None,
                        adapt=True):
        """Forecasts from many origins in one batched pass, without refitting.

        The loop ``predict(fh)``, ``update(y.iloc[[i]], update_params=False)``
        over the rows of ``y`` (what sktime's ``update_predict`` runs), with
        all windows cut at once and one batched network call per step. The
        forecaster itself is not changed.

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
        coverage : float or list of float, optional
            Also return calibrated intervals at every origin, adapted online:
            each origin's bands use the quantiles tracked from the hits and
            misses of the earlier origins' one-step forecasts.
        adapt : bool, default=True
            ``False``: the static calibration at every origin.

        Returns
        -------
        forecasts : pd.DataFrame
            Row index ``(cutoff, time)``, columns those of ``y``. With
            ``n_samples``: an ndarray ``(n_samples, n_origins, len(fh),
            n_columns(y))`` and the origins.
        intervals : pd.DataFrame
            Only with ``coverage``: same rows, columns ``(variable, coverage,
            "lower"/"upper")`` as :meth:`predict_interval`.
        """
        self.check_is_fitted()
        _check_single_series(self, "predict_rolling")
        if coverage is None:
            return rolling_forecast(self, y, X, fh=fh, origins=origins, n_samples=n_samples)
        return _rolling_intervals(self, y, X, fh, origins, coverage, adapt)

    @classmethod
    def get_test_params(cls, parameter_set="default"):
        """Tiny, fast, seeded configurations for sktime's ``check_estimator``.

        One per strategy; each network has 2 units and trains 1 epoch.
        """
        return _test_params()


def _estimator_for(estimator, n_targets, normalize):
    """The estimator to clone (``LSTMRegressor()`` for None) for ``n_targets`` y columns.

    An estimator left at ``normalize="auto"`` defers to the forecaster: it
    is cloned with ``normalize=None`` when the forecaster scales the windows
    (per ``y`` column) or ``y`` has several columns. Raises if it scales by
    one channel while ``y`` has several columns, or scales windows the
    forecaster scales already.
    """
    if estimator is None:
        from ..estimators import LSTMRegressor

        estimator = LSTMRegressor()
    own = getattr(estimator, "normalize", None)
    if own == "auto" and (normalize is not None or n_targets > 1):
        return clone(estimator).set_params(normalize=None)
    if own == "auto":
        return estimator
    if own is not None and n_targets > 1:
        raise ValueError(
            f"The estimator uses normalize={own!r}, which scales every output "
            f"by one channel, but y has {n_targets} columns. Set the "
            f"forecaster's normalize={own!r} (per-column scaling) and leave the "
            "estimator's normalize at 'auto' or None."
        )
    if own is not None and normalize is not None:
        raise ValueError(
            f"Both the forecaster (normalize={normalize!r}) and its estimator "
            f"(normalize={own!r}) scale the windows. Scale once: set the "
            "estimator's normalize to 'auto' or None."
        )
    return estimator


def _check_single_series(forecaster, method):
    """Raise if ``forecaster`` was fitted on a panel (one network for many series)."""
    if isinstance(getattr(forecaster, "_window", None), PanelWindow):
        raise NotImplementedError(
            f"{method} works on a forecaster fitted on a single series; this one was "
            f"fitted on a panel or hierarchy of {len(forecaster._window.keys)} series "
            "(one network for all). Use predict, predict_interval, predict_quantiles "
            "and update, which give and take every series."
        )


def _mc_seed(random_state, reg, owner):
    """Seed of the Monte-Carlo draws of the fitted ``reg``, after checking it can draw them.

    ``random_state`` if not None, else ``reg``'s own int seed (the
    estimator's, which the clones keep), else None.
    """
    if not hasattr(reg, "predict_samples"):
        raise ValueError(
            f"{type(reg).__name__} has no predict_samples, so {owner} "
            "can not give intervals or quantiles. Use a skrnn recurrent regressor "
            "(LSTMRegressor, GRURegressor, SimpleRNNRegressor) with dropout > 0."
        )
    if random_state is not None:
        return int(random_state)
    rs = getattr(reg, "random_state", None)
    if isinstance(rs, numbers.Integral) and not isinstance(rs, bool):
        return int(rs)
    return None


def _fit_network(est, W, Y, *, scaler, n_targets, random_state):
    """A clone of ``est`` fitted on windows ``W`` and 2D targets ``Y``.

    ``random_state`` (if not None) overrides the clone's; windows and
    targets are scaled first by the forecaster's fitted window ``scaler``
    (target ``j`` by channel ``j % n_targets``).
    """
    reg = clone(est)
    if random_state is not None and "random_state" in reg.get_params(deep=False):
        reg.set_params(random_state=int(random_state))
    W, context = scaler.windows(W)
    Y = scaler.target(Y, context, range(n_targets))
    target = Y[:, 0] if Y.shape[1] == 1 else Y
    return reg.fit(W, target)


def _predict_network(reg, W, n_samples, *, scaler, n_targets):
    """Predict all windows in one call; returns (n_paths, B, n_outputs).

    ``n_samples=None`` gives the point prediction (one path), else that many
    Monte-Carlo dropout draws; scaled outputs are mapped back.
    """
    W, context = scaler.windows(W)
    B = len(W)
    if n_samples is None:
        out = np.asarray(reg.predict(W), dtype=float).reshape(1, B, -1)
    else:
        out = np.asarray(reg.predict_samples(W, n_samples=n_samples), dtype=float)
        out = out.reshape(n_samples, B, -1)
    return scaler.inverse(out, context, range(n_targets))


def _quantile_frame(samples, probs, index, columns):
    """Quantiles ``probs`` of sample paths ``(n_samples, n_steps, k)`` as a frame.

    Columns are variable-major, probability-minor (sktime's layout).
    """
    q = np.quantile(samples, np.asarray(probs, dtype=float), axis=0)  # (n_probs, n_steps, k)
    values = np.transpose(q, (1, 2, 0)).reshape(len(index), -1)
    return pd.DataFrame(values, index=index, columns=columns)


def _var_frame(samples, index, columns, cov):
    """Variance of sample paths ``(n_samples, n_steps, k)`` per step and column.

    With ``cov=True``, per column the covariance between the steps (sktime's
    layout: one block of columns per variable).
    """
    if not cov:
        var = samples.var(axis=0, ddof=1) if len(samples) > 1 else np.zeros(samples.shape[1:])
        return pd.DataFrame(var, index=index, columns=columns)
    blocks = {}
    for j, col in enumerate(columns):
        s = samples[:, :, j]
        c = np.cov(s, rowvar=False, ddof=1) if len(s) > 1 else np.zeros((len(index),) * 2)
        blocks[col] = pd.DataFrame(np.atleast_2d(c), index=index, columns=index)
    return pd.concat(blocks, axis=1)


def _quantiles(forecaster, fh, X, groups, columns):
    """Quantile frame for ``groups`` of ``(coverage or None, levels)``.

    Calibrated per step (and adapted) when the forecaster has a calibration,
    else the raw quantiles of the Monte-Carlo paths.
    """
    cal = forecaster.calibration_
    if cal is None:
        samples, index = forecaster._samples(fh, X)
        probs = [p for _, levels in groups for p in levels]
        return _quantile_frame(samples, probs, index, columns)
    batches, index = cutoff_groups(forecaster, fh, X)
    qs = []
    for _, W, X_fut, steps in batches:
        cal.calibrate(forecaster, steps)
        center = forecaster._forecast(W, X_fut, steps)[0]  # (B, S, k)
        spread = residual_spread(forecaster, W, X_fut, steps)[0]
        parts = [cal.quantiles(steps, center, spread, np.asarray(levels), coverage=c)
                 for c, levels in groups]  # each (B, S, k, n_levels)
        qs.append(np.concatenate(parts, axis=-1))
    q = by_series(batches, qs, axis=0)  # (n_series * S, k, n_levels)
    values = q.reshape(len(index), -1)  # variable-major, level-minor (sktime's layout)
    return pd.DataFrame(values, index=index, columns=columns)


def _rolling_intervals(forecaster, y, X, fh, origins, coverage, adapt):
    """Point forecasts and adapted calibrated intervals from many origins."""
    cal = forecaster.calibration_
    if cal is None:
        raise ValueError(
            "predict_rolling(coverage=...) needs calibrated intervals; the estimator "
            "gives raw Monte-Carlo bands (interval='mc'). Use interval='conformal'.")
    coverage = [float(c) for c in np.atleast_1d(coverage)]
    steps = np.unique(np.atleast_1d(np.asarray(fh, dtype=int)))
    H = int(steps.max())
    # the one-step forecasts drive the adaptation, where the strategy makes them
    every = np.union1d([1], steps) if tracks_one_step(forecaster) else steps
    point = rolling_forecast(forecaster, y, X, fh=every, origins=origins)
    W, cutoffs = rolling_windows(forecaster, y, X, origins=origins)[:2]
    T, k = len(cutoffs), forecaster._window.n_targets
    center = point.to_numpy().reshape(T, len(every), k)
    X_fut = None
    if forecaster._spread_mode == "conformal_mc" and forecaster._strategy.reads_future_X:
        X_fut = rolling_windows(forecaster, y, X, origins=origins, future_steps=H)[2]
    spread = residual_spread(forecaster, W, X_fut, every)[0]
    y_all = pd.concat([forecaster._window.y_hist, as_frame(y).set_axis(
        forecaster._window.y_columns, axis=1)])
    nxt = y_all.index.get_indexer(cutoffs) + 1
    values = float_values(y_all, "y")
    actual = np.where((nxt < len(values))[:, None], values[np.minimum(nxt, len(values) - 1)], np.nan)
    if not adapt:
        actual = np.full_like(actual, np.nan)  # no score observed: the quantiles stay put
    cal.calibrate(forecaster, every)
    bands = cal.run(every, center, spread, actual, coverage)
    pick = np.searchsorted(every, steps)
    keep = (np.arange(T)[:, None] * len(every) + pick[None, :]).ravel()
    cols, blocks = [], []
    for j, var in enumerate(forecaster._window.y_columns):
        for c in coverage:
            lo, hi = bands[c]
            blocks += [lo[:, pick, j].ravel(), hi[:, pick, j].ravel()]
            cols += [(var, c, "lower"), (var, c, "upper")]
    point = point.iloc[keep]
    intervals = pd.DataFrame(np.column_stack(blocks), index=point.index,
                             columns=pd.MultiIndex.from_tuples(cols))
    return point, intervals


def _variance(forecaster, fh, X, cov):
    """See :meth:`RNNForecaster._predict_var`."""
    if forecaster.calibration_ is None or cov:
        samples, index = forecaster._samples(fh, X)
        return _var_frame(samples, index, forecaster._window.y_columns, cov)
    frame = forecaster._predict_interval(fh, X, [0.9])
    band = frame.to_numpy()
    std = (band[:, 1::2] - band[:, 0::2]) / (2 * NormalDist().inv_cdf(0.95))
    return pd.DataFrame(std ** 2, index=frame.index, columns=forecaster._window.y_columns)


def _test_params():
    """See :meth:`RNNForecaster.get_test_params`."""
    from sklearn.preprocessing import StandardScaler

    from ..estimators import GRURegressor, LSTMRegressor, SimpleRNNRegressor

    # interval="mc": sktime's test series (a few dozen points) are too short
    # to calibrate the bands its checks ask for (up to 99 %)
    tiny = dict(units=2, epochs=1, batch_size=64, early_stopping=None,
                validation_fraction=0.0, n_samples=8, random_state=0, interval="mc")
    return [
        {"estimator": LSTMRegressor(**tiny), "window_len": 3, "strategy": "recursive"},
        {"estimator": GRURegressor(**tiny), "window_len": 2, "strategy": "direct",
         "normalize": "zero_base", "random_state": 1},
        {"estimator": SimpleRNNRegressor(**tiny), "window_len": 3, "strategy": "mimo",
         "scaler": StandardScaler()},
    ]
