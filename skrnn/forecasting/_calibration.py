"""Calibrated forecast intervals of :class:`~skrnn.forecasting.RNNForecaster`.

Forecast bands are calibrated **per forecast step** by split conformal
prediction: the forecaster forecasts from every origin of the chronological
calibration tail (the windows its networks held out, see the estimator's
``calibration_fraction``), compares each step's forecast with the value
observed that many steps later, and keeps the normalised residuals of each
step (:class:`skrnn._conformal.SplitConformal`; normalised by the volatility
of the window each forecast starts from with the estimator's default
``interval="conformal_vol"``, by the network's scale, i.e. relative errors
for a price, with ``"conformal"``, or by the Monte-Carlo spread with
``"conformal_mc"``). A 30-day fan is then wide because 30-day errors were
large, not by assumption.

As the forecaster moves forward (:meth:`RNNForecaster.update`,
:meth:`RNNForecaster.predict_rolling`), the one-step band adapts online to
the hits and misses of its own one-step forecasts
(:class:`skrnn._conformal.QuantileTracker`, conformal PID control's
quantile tracking), and every longer step's band is stretched by the same
ratio, so coverage holds when volatility changes.
"""

from __future__ import annotations

import numpy as np

from .._conformal import (QuantileTracker, SplitConformal, typical_volatility, volatility_spread,
                          window_volatility)
from ..preprocessing import windows_of
from ._strategies import window_order

#: Coverage whose tracked band sets the adaptive stretch of the other bands.
REFERENCE_COVERAGE = 0.9


class ForecastCalibration:
    """Per-step conformal calibration and online adaptation of one fitted forecaster.

    Parameters
    ----------
    tail_Z : ndarray of shape (n_cal + window_len, n_channels) or list of them
        The (globally scaled) series rows from the first calibration window
        to the last training row; for a panel, one such tail per series
        (the windows the network held out of each series), whose residuals
        are pooled.
    tail_y : ndarray of shape (n_cal + window_len, n_targets) or list of them
        The same rows of ``y`` in the data's units (the values to cover).
    window_len : int
    n_calibration : int or list of int
        Calibration origins (windows with a one-step target in the tail),
        per tail.
    hint : str
        Advice appended to "too few calibration points" errors.

    Attributes
    ----------
    steps_ : dict of int to SplitConformal
        The calibration of every step computed so far.
    trackers_ : dict of float to QuantileTracker
        One-step quantile trackers by coverage (the coverages in use).
    """

    def __init__(self, tail_Z, tail_y, window_len, n_calibration, hint):
        many = isinstance(tail_Z, list)
        self.tail_Z = tail_Z if many else [tail_Z]
        self.tail_y = tail_y if many else [tail_y]
        self.window_len = int(window_len)
        self.n_tail = [int(n) for n in (n_calibration if many else [n_calibration])]
        self.n_calibration = sum(self.n_tail)
        self.n_targets = self.tail_y[0].shape[1]
        self.hint = hint
        self.steps_ = {}
        self.trackers_ = {}

    def volatility_ratio(self, forecaster):
        """The typical volatility of the calibration windows per unit of level, per target.

        Computed once, from the one-step calibration windows (see
        :func:`skrnn._conformal.typical_volatility`).
        """
        if getattr(self, "volatility_ratio_", None) is None:
            W = self.origin_windows()
            self.volatility_ratio_ = typical_volatility(window_volatility(W, range(self.n_targets)),
                                                        level_spread(forecaster, W))
        return self.volatility_ratio_

    def origin_windows(self):
        """The windows of the calibration origins, every tail's in turn (origin ``j`` of a
        tail ends at its row ``j + window_len - 1``)."""
        Ws = [windows_of(Z, self.window_len)[:n] for Z, n in zip(self.tail_Z, self.n_tail)]
        return Ws[0] if len(Ws) == 1 else np.concatenate(Ws)

    # ------------------------------------------------------------------ static
    def calibrate(self, forecaster, steps):
        """Compute (once) the calibration of every step in ``steps``."""
        missing = sorted({int(h) for h in steps} - set(self.steps_))
        if not missing:
            return
        missing = np.asarray(missing)
        L, k, H = self.window_len, self.n_targets, int(missing.max())
        X_futs = []
        for tail_Z, n in zip(self.tail_Z, self.n_tail):
            if forecaster._strategy.reads_future_X and tail_Z.shape[1] > k and H > 1:
                # rows after each origin; beyond the tail only steps without a target use them
                rows = np.arange(n)[:, None] + L + np.arange(H - 1)[None, :]
                X_futs.append(tail_Z[np.minimum(rows, len(tail_Z) - 1), k:])
        W = self.origin_windows()
        X_fut = None if not X_futs else X_futs[0] if len(X_futs) == 1 else np.concatenate(X_futs)
        center = forecaster._forecast(W, X_fut, missing, n_samples=None)[0]
        spread = residual_spread(forecaster, W, X_fut, missing)[0]
        starts = np.cumsum([0, *self.n_tail])
        for s, h in enumerate(missing):
            # per tail, the origins whose value h steps later is in the tail
            counts = [n - h + 1 for n in self.n_tail]
            if max(counts) <= 0:
                self.steps_[int(h)] = None
                continue
            pos = np.concatenate([start + np.arange(c) for start, c in zip(starts, counts)
                                  if c > 0])
            actual = np.concatenate([tail_y[np.arange(c) + L - 1 + h] for tail_y, c
                                     in zip(self.tail_y, counts) if c > 0])
            self.steps_[int(h)] = SplitConformal().fit(actual, center[pos, s], spread[pos, s])

    def _step(self, h):
        cal = self.steps_[int(h)]
        if cal is None:
            raise ValueError(
                f"Step {int(h)} has no calibration origin: the calibration tail holds "
                f"{self.n_calibration} one-step windows." + self.hint)
        return cal

    def score_quantiles(self, steps, levels):
        """Static score quantiles, shape (len(steps), n_levels, n_targets)."""
        return np.stack([self._step(h).score_quantiles(levels, hint=self.hint) for h in steps])

    def floors(self, steps):
        """Spread floors, shape (len(steps), n_targets)."""
        return np.stack([np.broadcast_to(self._step(h).floor_, (self.n_targets,))
                         for h in steps])

    # ------------------------------------------------------------------ adaptive
    def tracker(self, coverage):
        """The one-step tracker for ``coverage``, started from the static quantiles."""
        c = float(coverage)
        if c not in self.trackers_:
            self.trackers_[c] = QuantileTracker.from_conformal(self._step(1), coverage=c,
                                                               hint=self.hint)
        return self.trackers_[c]

    def stretch(self, trackers=None):
        """Adaptive width ratio per ``y`` column: tracked / static one-step width.

        From the reference (90 %) tracker; 1 where it cannot be formed.
        """
        trackers = self.trackers_ if trackers is None else trackers
        ref = trackers.get(REFERENCE_COVERAGE)
        if ref is None:
            return np.ones(self.n_targets)
        a = 1.0 - REFERENCE_COVERAGE
        q = self._step(1).score_quantiles([a / 2, 1 - a / 2], hint=self.hint)
        return (np.atleast_1d(ref.upper_) - np.atleast_1d(ref.lower_)) / (q[1] - q[0])

    def quantiles(self, steps, center, spread, levels, trackers=None, coverage=None):
        """Calibrated (and adapted) quantiles in data units.

        Parameters
        ----------
        steps : ndarray of int, shape (S,)
        center, spread : ndarray of shape (B, S, k)
            Point forecasts and Monte-Carlo spreads.
        levels : ndarray of shape (n_levels,)
        trackers : dict or None
            Trackers to adapt with (default: this calibration's own).
        coverage : float or None
            When the levels are a central band of a tracked coverage, the
            tracked one-step quantiles are used as they are.

        Returns
        -------
        q : ndarray of shape (B, S, k, n_levels)
        """
        trackers = self.trackers_ if trackers is None else trackers
        scores = self.score_quantiles(steps, levels)  # (S, n_levels, k)
        scores = scores * self.stretch(trackers)[None, None, :]
        tracked = trackers.get(None if coverage is None else float(coverage))
        if tracked is not None and int(steps[0]) == 1:
            scores[0, 0], scores[0, -1] = tracked.lower_, tracked.upper_
        width = np.maximum(spread, self.floors(steps)[None])  # (B, S, k)
        q = center[..., None] + width[..., None] * np.moveaxis(scores, 1, -1)[None]
        return np.sort(q, axis=-1)

    def observe(self, center, spread, actual):
        """Move every tracker with the one-step forecasts ``center``/``spread`` (T, k) of ``actual``."""
        if not self.trackers_:
            self.tracker(REFERENCE_COVERAGE)
        scores = (actual - center) / np.maximum(spread, self.floors([1])[0])
        for tracker in self.trackers_.values():
            tracker.update(scores)

    def run(self, steps, center, spread, actual, coverage):
        """Rolling bands: at each origin, the quantiles in force before it.

        Works on copies of the trackers (the forecaster is not changed).
        Without step 1 among ``steps`` (a direct strategy trained without
        it) nothing can be tracked and the bands stay static.

        Parameters
        ----------
        steps : ndarray of int, shape (S,)
            Increasing steps ahead.
        center, spread : ndarray of shape (T, S, k)
            Forecasts from ``T`` consecutive origins at ``steps``.
        actual : ndarray of shape (T, k)
            The value one step after each origin (NaN where not observed).
        coverage : list of float

        Returns
        -------
        bands : dict of float to tuple of ndarray (T, S, k)
        """
        import copy

        steps = np.asarray(steps, dtype=int)
        T, k = actual.shape
        history, ratio = {}, np.ones((T, k))
        if steps[0] == 1:  # track the one-step quantiles over the origins
            trackers = copy.deepcopy(self.trackers_)
            for c in [REFERENCE_COVERAGE, *coverage]:
                if float(c) not in trackers:
                    trackers[float(c)] = QuantileTracker.from_conformal(
                        self._step(1), coverage=c, hint=self.hint)
            scores = (actual - center[:, 0]) / np.maximum(spread[:, 0], self.floors([1])[0])
            history = {c: t.run(scores) for c, t in trackers.items()}  # (T, k) each
            a = 1.0 - REFERENCE_COVERAGE
            q_ref = self._step(1).score_quantiles([a / 2, 1 - a / 2], hint=self.hint)
            lo_ref, hi_ref = history[REFERENCE_COVERAGE]
            ratio = (hi_ref - lo_ref) / (q_ref[1] - q_ref[0])
        width = np.maximum(spread, self.floors(steps)[None])
        bands = {}
        for c in coverage:
            a = 1.0 - float(c)
            static = self.score_quantiles(steps, [a / 2, 1 - a / 2])  # (S, 2, k)
            lo = static[None, :, 0] * ratio[:, None, :]
            hi = static[None, :, 1] * ratio[:, None, :]
            if float(c) in history:
                lo[:, 0], hi[:, 0] = history[float(c)]
            bands[float(c)] = (center + width * lo, center + width * hi)
        return bands


def calibration_tail(est, series, raw, window_len):
    """The :class:`ForecastCalibration` of a fitted forecaster, or None.

    None when the estimator gives raw Monte-Carlo bands (``interval="mc"``)
    or cannot sample. The calibration origins are the windows the networks
    held out: the last ``calibration_fraction`` of the one-step windows, in
    their training order (for a panel, the latest windows of every series,
    see :func:`~._strategies.window_order`).

    Parameters
    ----------
    est : regressor
        The estimator the forecaster clones.
    series : list of tuple of ndarray
        The training series (see :meth:`Strategy.fit
        <skrnn.forecasting.Strategy.fit>`).
    raw : list of ndarray
        The ``y`` values of each series in the data's units.
    window_len : int
    """
    if getattr(est, "interval", None) not in ("conformal_vol", "conformal", "conformal_mc") \
            or not hasattr(est, "predict_samples"):
        return None
    _, which = window_order(series, window_len, 1)
    n_windows = len(which)
    n_cal = int(float(est.calibration_fraction) * n_windows)
    held = np.bincount(which[n_windows - n_cal:], minlength=len(series))
    tails_Z, tails_y, counts = [], [], []
    for i, ((Z, *_), values, m) in enumerate(zip(series, raw, held)):
        if m or (i == len(series) - 1 and not counts):  # keep one tail, even if empty
            start = len(Z) - window_len - m  # the first held-out window of this series
            tails_Z.append(Z[start:])
            tails_y.append(values[start:])
            counts.append(int(m))
    hint = (f" The forecaster calibrates its bands on the last {n_cal} of {n_windows} "
            "training windows (the estimator's calibration_fraction): raise "
            "calibration_fraction, fit on a longer series, ask for a lower coverage "
            "or fewer steps, or set the estimator's interval='mc' for the raw "
            "Monte-Carlo band.")
    return ForecastCalibration(tails_Z, tails_y, window_len, counts, hint)


def by_volatility(forecaster, W):
    """Whether residuals of forecasts from windows ``W`` are normalised by their volatility."""
    return forecaster._spread_mode == "conformal_vol" and W.shape[1] > 1


def level_spread(forecaster, W):
    """The network's unit of scale for windows ``W``, (len(W), n_targets), in ``W``'s units."""
    k = forecaster._window.n_targets
    _, context = forecaster.scaler_.windows(W)
    return forecaster.scaler_.spread(np.ones((len(W), k)), context, range(k))


def residual_spread(forecaster, W, X_fut, steps):
    """Residual normaliser of the calibrated bands, shape (1, B, len(steps), k).

    The Monte-Carlo spread with the estimator's ``interval="conformal_mc"``;
    with ``"conformal_vol"``, the window's volatility (the std of each
    target's one-step changes) blended with the calibration tail's typical
    volatility per unit of scale (:func:`skrnn._conformal.volatility_spread`);
    else the network's unit of scale in data units (per window: its base for
    zero-base/last-value scaling, the fitted std for ``"standard"``).
    """
    if forecaster._spread_mode == "conformal_mc":
        paths = forecaster._forecast(W, X_fut, steps, n_samples=forecaster._n_paths())
        return paths.std(axis=0)[None]
    unit = level_spread(forecaster, W)
    if by_volatility(forecaster, W):
        ratio = forecaster.calibration_.volatility_ratio(forecaster)
        unit = volatility_spread(window_volatility(W, range(unit.shape[1])), unit, ratio)
    window = forecaster._window  # a global scaler is affine: its slope maps a spread
    unit = np.abs(window.unscale_y(unit) - window.unscale_y(np.zeros_like(unit)))
    return np.broadcast_to(unit[None, :, None, :], (1, len(W), len(steps), unit.shape[1]))
