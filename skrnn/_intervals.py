"""Prediction intervals of the window regressors: calibrated by default.

:class:`IntervalMixin` gives an estimator ``predict_quantiles``,
``predict_interval`` and ``predict(X, return_std=True)`` from two things it
provides: ``predict_samples`` (Monte-Carlo dropout draws) and, after fit, a
``calibration_`` (:class:`skrnn._conformal.SplitConformal` fitted on a
chronological tail of the training windows) or ``None``.

A band is the point prediction plus the conformal quantiles of the
residuals seen on the calibration tail, each residual divided by a
normaliser, so a 90 % band covers about 90 % of new points. The normaliser
is what ``interval`` chooses:

* ``"conformal_vol"`` (the default): the volatility of the window, the
  standard deviation of its target's one-step changes, blended with the
  volatility typical of its level on the calibration tail
  (:func:`skrnn._conformal.volatility_spread`). The band widens after
  volatile days, so it keeps its coverage when the test period moves more
  than the calibration tail did, and a calm window keeps a typical band.
* ``"conformal"``: the scale of the network's own normalised space
  (relative errors for a price scaled by its window): the band scales with
  the level of the series only.
* ``"conformal_mc"``: the Monte-Carlo dropout spread (wide where the
  network is unsure).

``interval="mc"`` returns the raw Monte-Carlo percentiles. Windows of a
single time step have no changes: ``"conformal_vol"`` then normalises as
``"conformal"`` does. ``benchmarks/bench_calibration.py`` compares them.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._conformal import SplitConformal, typical_volatility, volatility_spread, window_volatility

#: Coverage whose band ``predict(X, return_std=True)``'s std reproduces.
STD_COVERAGE = 0.9


def check_coverage(coverage):
    """A float in (0, 1), else a ValueError."""
    if isinstance(coverage, bool) or not isinstance(coverage, numbers.Real) or not 0 < coverage < 1:
        raise ValueError(f"coverage must be a float in (0, 1), got {coverage!r}.")
    return float(coverage)


def check_quantiles(quantiles):
    """A non-empty 1D array of floats in [0, 1], else a ValueError."""
    q = np.asarray(quantiles, dtype=float)
    if q.ndim != 1 or q.size == 0 or np.any((q < 0) | (q > 1)):
        raise ValueError(f"quantiles must be a non-empty list of floats in [0, 1], got {quantiles!r}.")
    return q


def center_and_spread(estimator, X, n_samples=None):
    """Point prediction and the spread that normalises its residuals, in data units.

    ``interval="conformal_vol"``: the window's volatility (the std of its
    target channel's one-step changes) blended with the calibration tail's
    typical volatility (:func:`skrnn._conformal.volatility_spread`).
    ``interval="conformal"``: the scale of
    the network's own (normalised) space, mapped to data units (the window's
    base for zero-base and last-value scaling, so residuals are relative
    errors; the fitted std for ``"standard"``; 1 for raw data).
    ``interval="conformal_mc"``: the Monte-Carlo dropout spread (std of the
    draws), 1 without dropout.
    """
    center = estimator.predict(X)
    return center, estimator._spread(X, n_samples)


class CentralIntervalMixin:
    """``predict_interval`` as the central band of ``predict_quantiles``."""

    def predict_interval(self, X, coverage=0.9, n_samples=None):
        """Central prediction interval, calibrated by default.

        ``coverage=0.9`` is the band between the 5 % and 95 % quantiles of
        :meth:`predict_quantiles`: calibrated on the held-out tail so that it
        covers about 90 % of new points (``interval="conformal_vol"``, the default), or the
        raw Monte-Carlo percentiles (``interval="mc"``).

        Returns
        -------
        lower, upper : ndarrays shaped like :meth:`predict`'s output.
        """
        alpha = (1.0 - check_coverage(coverage)) / 2.0
        q = self.predict_quantiles(X, quantiles=(alpha, 1.0 - alpha), n_samples=n_samples)
        return q[..., 0], q[..., 1]


class IntervalMixin(CentralIntervalMixin):
    """Calibrated (or raw Monte-Carlo) quantiles, intervals and std of a window network.

    The estimator provides ``predict``, ``predict_samples``, a fitted
    ``scaler_`` (:class:`skrnn._scaling.WindowScaler`), ``_prepare(X)`` (checked
    and scaled windows with their context), ``_forward(Xs)``,
    ``_sample_scaled(Xs, context, n_samples)``, ``_finish(out, context)``
    (outputs back to data units and ``y``'s shape) and ``_has_dropout()``
    (whether Monte-Carlo passes differ), and the parameters
    ``interval`` and ``calibration_fraction``.
    """

    def _n_calibration(self, n):
        """Windows held out for calibration out of ``n``."""
        return 0 if self.interval == "mc" else int(self.calibration_fraction * n)

    def _calibrate(self, Xs, context, y):
        """Normalised residuals of held-out scaled windows ``Xs``: a fitted SplitConformal."""
        center = self._finish(self._forward(Xs), context)
        if self._by_volatility(Xs):  # the ratio first: the spread blends it in
            level = self._level_spread(Xs, context, center)
            vol = window_volatility(Xs.windows, self.target_channel)
            self.volatility_ratio_ = typical_volatility(vol, level)
            spread = volatility_spread(vol, level, self.volatility_ratio_)
        else:
            spread = self._spread_scaled(Xs, context, center, None)
        return SplitConformal().fit(y, center, spread)

    def _by_volatility(self, Xs):
        """Whether residuals are normalised by the windows' volatility."""
        return self.interval == "conformal_vol" and Xs.windows.shape[1] > 1

    def _spread(self, X, n_samples=None):
        """The residual normaliser of :func:`center_and_spread`, in data units."""
        Xs, context = self._prepare(X)
        center_shape = (len(Xs),) if self._y_ndim == 1 else (len(Xs), self.n_outputs_)
        return self._spread_scaled(Xs, context, np.empty(center_shape), n_samples)

    def _spread_scaled(self, Xs, context, center, n_samples):
        if self.interval == "conformal_mc" and self._has_dropout():
            n = self.n_samples if n_samples is None else n_samples
            return self._sample_scaled(Xs, context, n).std(axis=0)
        level = self._level_spread(Xs, context, center)
        if self._by_volatility(Xs):
            return volatility_spread(window_volatility(Xs.windows, self.target_channel), level,
                                     self.volatility_ratio_)
        return level

    def _level_spread(self, Xs, context, center):
        """The scale of the network's normalised space in data units, shaped like ``center``."""
        unit = np.ones((len(Xs), self.n_outputs_))
        out = self.scaler_.spread(unit, context, self.target_channel)
        return out[:, 0] if center.ndim == 1 else out

    def _calibration_hint(self):
        return (f" Raise calibration_fraction (now {self.calibration_fraction!r}) so that more "
                "of the last training windows are held out for calibration, ask for a lower "
                "coverage, or use interval='mc' for the raw (uncalibrated) Monte-Carlo band.")

    def _calibration(self):
        fitted = getattr(self, "interval_fit_", self.interval)
        if fitted != self.interval:
            raise ValueError(
                f"{type(self).__name__} was calibrated with interval={fitted!r} in fit; "
                f"interval={self.interval!r} needs its own calibration: refit, or set "
                "interval='mc' for the raw Monte-Carlo band (no refit needed).")
        cal = getattr(self, "calibration_", None)
        if cal is None:
            raise ValueError(
                f"{type(self).__name__} has no calibration windows: calibration_fraction="
                f"{self.calibration_fraction!r} and validation_fraction="
                f"{getattr(self, 'validation_fraction', None)!r} held out none of the "
                f"{getattr(self, 'n_windows_fit_', '?')} training windows." + self._calibration_hint()
            )
        return cal

    def predict_quantiles(self, X, quantiles=(0.05, 0.5, 0.95), n_samples=None):
        """Quantiles of the predictive distribution, calibrated by default.

        Calibrated (every ``interval`` but ``"mc"``), the quantile at level
        ``p`` is the point prediction plus the window's normaliser (its
        volatility by default) times the finite-sample conformal quantile of
        the normalised residuals on the calibration tail; with
        ``interval="mc"``, the raw quantile of the Monte-Carlo dropout draws.

        Parameters
        ----------
        X : array-like of windows
        quantiles : sequence of float in [0, 1], default=(0.05, 0.5, 0.95)
        n_samples : int, optional
            Forward passes; defaults to the estimator's ``n_samples``.

        Returns
        -------
        q : ndarray of shape (n_windows, n_quantiles) for a 1D target, or
            (n_windows, n_outputs, n_quantiles) for a 2D target.
        """
        q = check_quantiles(quantiles)
        if self.interval == "mc":
            samples = self.predict_samples(X, n_samples=n_samples)
            return np.moveaxis(np.quantile(samples, q, axis=0), 0, -1)
        cal = self._calibration()
        center, spread = center_and_spread(self, X, n_samples)
        return cal.quantiles(center, spread, q, hint=self._calibration_hint())

    def _predict_std(self, X):
        """Calibrated normal-equivalent std, or the raw MC std with ``interval="mc"``."""
        if self.interval == "mc":
            return self.predict_samples(X).std(axis=0)
        cal = self._calibration()
        _, spread = center_and_spread(self, X)
        return cal.scale(spread, STD_COVERAGE, hint=self._calibration_hint())
