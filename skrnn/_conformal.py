"""Conformal calibration of the networks' bands, in plain numpy.

skrnn's networks give, per window and output, a point prediction ``center``
(``ŷ``) and a ``spread`` (``σ``) that sets the band's shape: by default the
window's volatility (:func:`volatility_spread`), else its level or the
standard deviation of Monte-Carlo-dropout samples. Bands are calibrated by
split conformal prediction on a chronological calibration tail with the
spread-normalised *signed* score

.. math:: s = (y - \\hat y) / \\max(\\sigma, \\text{floor}),

whose empirical quantiles are mapped back as ``ŷ + max(σ, floor) · q``: the
calibrated band keeps the shape of ``σ`` (wide where ``σ`` is large) while
its level is fixed by the data. This lives in skrnn rather than
MAPIE because it runs inside ``fit`` on the chronological tail the network
held out, keeps signed (asymmetric) scores, calibrates every forecast step
and tracks the quantiles online as forecasts roll forward; MAPIE's
``StdConformityScore`` over ``predict(X, return_std=True)`` gives the
symmetric one-step version and works with skrnn (``docs/interop.md``).

* :func:`window_volatility`, :func:`typical_volatility` and
  :func:`volatility_spread` give the default spread of the regressors'
  bands, the window's volatility blended with the calibration tail's
  typical one,
* :func:`normalized_scores` computes the scores and the spread floor,
* :func:`conformal_quantiles` and :func:`min_calibration_size` give the
  finite-sample-corrected quantiles and how many points they need,
* :class:`SplitConformal` fits the scores once and returns calibrated
  quantiles (and a normal-equivalent standard deviation) in data units,
* :class:`QuantileTracker` moves the two tail quantiles online as forecasts
  roll forward in time, so the band follows a change of noise level that a
  static calibration cannot see.

Nothing here knows about Keras or scikit-learn estimators; arrays are
``(n,)`` for one output or ``(n, m)`` for ``m`` outputs (e.g. horizons).
"""

from __future__ import annotations

import math
import numbers
from statistics import NormalDist

import numpy as np

#: Relative floor on the spread: ``FLOOR_RATIO`` times the median positive
#: spread of a column (a ratio, so it scales with the data's units).
FLOOR_RATIO = 1e-3

#: Windows per block in :func:`window_volatility` (bounds its temporary memory).
_VOLATILITY_BLOCK = 65_536

# Ranks are computed from ``(n + 1) * p`` in floating point; products that are
# integers in exact arithmetic (``20 * 0.95``) may land a few ulps off. The
# rounding error is at most ``eps * (n + 1) * p``; a margin of a few ``eps``
# relative to the product puts such cases on the integer.
_RANK_TOL = 8 * np.finfo(float).eps


def _as_levels(levels, what="levels"):
    """Return ``levels`` as a 1D float array in the open interval (0, 1)."""
    arr = np.atleast_1d(np.asarray(levels, dtype=float))
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{what} must be a number or a non-empty 1D sequence, got {levels!r}.")
    bad = ~((arr > 0) & (arr < 1))
    if bad.any():
        raise ValueError(
            f"{what} must lie strictly between 0 and 1, got {arr[bad][0]!r}."
        )
    return arr


def _check_coverage(coverage):
    if not isinstance(coverage, numbers.Real) or not 0 < coverage < 1:
        raise ValueError(f"coverage must be a number strictly between 0 and 1, got {coverage!r}.")
    return float(coverage)


def _ranks(n, levels):
    """1-based order-statistic ranks of the conformal quantiles.

    ``ceil((n + 1) p)`` for ``p >= 0.5`` and ``floor((n + 1) p)`` for
    ``p < 0.5``; a rank above ``n`` (resp. below 1) means ``+inf`` (``-inf``).
    """
    levels = np.asarray(levels, dtype=float)
    x = (n + 1) * levels
    tol = _RANK_TOL * np.maximum(x, 1.0)
    upper = np.ceil(x - tol)
    lower = np.floor(x + tol)
    return np.where(levels >= 0.5, upper, lower).astype(np.int64)


def _quantiles_sorted(sorted_scores, levels):
    """Conformal quantiles of scores already sorted along axis 0."""
    n = sorted_scores.shape[0]
    k = _ranks(n, levels)
    if n == 0:
        out = np.where(k > n, np.inf, -np.inf)
        return np.broadcast_to(
            out.reshape((-1,) + (1,) * (sorted_scores.ndim - 1)),
            (len(levels),) + sorted_scores.shape[1:],
        ).copy()
    out = np.take(sorted_scores, np.clip(k - 1, 0, n - 1), axis=0)
    shape = (-1,) + (1,) * (sorted_scores.ndim - 1)
    out = np.where((k > n).reshape(shape), np.inf, out)
    return np.where((k < 1).reshape(shape), -np.inf, out)


def window_volatility(windows, channels):
    """The standard deviation of each window's one-step changes, per channel.

    ``std(x[t + 1] - x[t])`` over the steps of each window, in the data's
    units: how much the series moved just before each forecast (see
    :func:`volatility_spread`, the normaliser of ``interval="conformal_vol"``).

    Parameters
    ----------
    windows : array-like of shape (n, n_timesteps, n_features)
        Windows in the data's units (a strided view is read block by block,
        never copied whole).
    channels : int or sequence of int
        The feature(s) whose changes are measured.

    Returns
    -------
    ndarray of shape (n,) for an int ``channels``, else (n, len(channels))

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([[[1.0], [2.0], [4.0]], [[5.0], [5.0], [5.0]]])
    >>> window_volatility(w, 0).tolist()
    [0.5, 0.0]
    """
    if np.ndim(windows) != 3 or np.shape(windows)[1] < 2:
        raise ValueError(
            "window_volatility needs windows of shape (n, n_timesteps, n_features) with at "
            f"least 2 time steps, got shape {np.shape(windows)}.")
    one = np.ndim(channels) == 0
    ch = [int(channels)] if one else [int(c) for c in channels]
    out = np.empty((len(windows), len(ch)))
    for start in range(0, len(windows), _VOLATILITY_BLOCK):
        block = np.asarray(windows[start:start + _VOLATILITY_BLOCK][:, :, ch], dtype=float)
        out[start:start + len(block)] = np.diff(block, axis=1).std(axis=1)
    return out[:, 0] if one else out


def _aligned(level, volatility):
    """``level`` and ``volatility`` as float arrays, a 1D volatility as a column of a 2D level."""
    level, vol = np.asarray(level, dtype=float), np.asarray(volatility, dtype=float)
    if vol.ndim < level.ndim:
        vol = vol.reshape(len(vol), 1)
    return level, vol


def typical_volatility(volatility, level):
    """The median ratio of window volatilities to their level spreads, per column.

    ``volatility`` (n,) or (n, m) and ``level`` (n,) or (n, m) are the calibration
    windows' :func:`window_volatility` and level normaliser; the result
    (a float, or (m,)) is the ``ratio`` of :func:`volatility_spread`.
    """
    level, vol = _aligned(level, volatility)
    ratio = np.median(vol / np.where(level > 0, level, np.nan), axis=0)
    return np.where(np.isfinite(ratio), ratio, 0.0)


def volatility_spread(volatility, level, ratio):
    """The residual normaliser of ``interval="conformal_vol"``.

    ``sqrt(volatility**2 + (ratio * level)**2)``: the window's volatility
    (:func:`window_volatility`) blended with the volatility typical of its
    level (``ratio``, :func:`typical_volatility` on the calibration tail,
    times the level normaliser: the window's base for a price). A band then
    widens after volatile days, so a static calibration keeps its coverage
    when the test period moves more than the calibration tail did, while a
    calm or flat window (a stale quote) keeps a typical band, not none: the
    volatility of a few days alone is too noisy a scale, and dividing by it
    makes the calibrated band wide everywhere. Split conformal keeps its
    marginal guarantee with any positive normaliser.

    Parameters
    ----------
    volatility : array-like of shape (n,) or (n, m)
    level : array-like of shape (n,) or (n, m)
    ratio : float or array-like of shape (m,)

    Returns
    -------
    ndarray of the shape of ``level``

    Examples
    --------
    >>> volatility_spread([3.0, 0.0], [100.0, 100.0], 0.04).tolist()
    [5.0, 4.0]
    """
    level, vol = _aligned(level, volatility)
    return np.sqrt(vol ** 2 + (np.asarray(ratio, dtype=float) * level) ** 2)


def normalized_scores(y, center, spread, floor=None):
    """Spread-normalised signed conformity scores ``(y - center) / max(spread, floor)``.

    Parameters
    ----------
    y : array-like of shape (n,) or (n, m)
        Observed targets (``m`` outputs, e.g. forecast horizons).
    center : array-like, broadcastable to the shape of ``y``
        Point predictions.
    spread : array-like, broadcastable to the shape of ``y``
        Non-negative spread of each prediction (e.g. the standard deviation
        of Monte-Carlo-dropout samples).
    floor : float or array-like of shape (m,), default=None
        Lower bound on the spread, so that a zero spread never divides by
        zero. ``None`` uses ``FLOOR_RATIO`` (1e-3) times the median positive
        spread of each column: a rule relative to the data's own scale. A
        column without any positive spread falls back to its median positive
        absolute residual (the scores are then plain residuals up to one
        constant, i.e. ordinary split conformal), or 1 if all residuals are
        zero too. Pass the floor returned at fit time when scoring new data.

    Returns
    -------
    scores : ndarray of the shape of ``y``
        The signed scores.
    floor : float or ndarray of shape (m,)
        The floor used (a float for 1D ``y``); keep it and apply it again
        at predict time.

    Examples
    --------
    >>> import numpy as np
    >>> scores, floor = normalized_scores([1.0, 2.0, 6.0], [0.0, 0.0, 0.0],
    ...                                   [1.0, 0.0, 2.0])
    >>> floor
    0.0015
    >>> scores.tolist()
    [1.0, 1333.3333333333333, 3.0]
    """
    y = np.asarray(y, dtype=float)
    if y.ndim not in (1, 2):
        raise ValueError(f"y must be 1D (n,) or 2D (n, m), got shape {y.shape}.")
    try:
        center = np.broadcast_to(np.asarray(center, dtype=float), y.shape)
        spread = np.broadcast_to(np.asarray(spread, dtype=float), y.shape)
    except ValueError:
        raise ValueError(
            f"center and spread must broadcast to the shape of y {y.shape}, got "
            f"{np.shape(center)} and {np.shape(spread)}."
        ) from None
    for name, arr in (("y", y), ("center", center), ("spread", spread)):
        if not np.isfinite(arr).all():
            raise ValueError(f"{name} holds NaN or infinity; drop those windows first.")
    if (spread < 0).any():
        raise ValueError(f"spread must be non-negative, got {spread.min()!r}.")
    resid = y - center
    if floor is None:
        floor = _default_floor(spread.reshape(len(y), -1), resid.reshape(len(y), -1))
        if y.ndim == 1:
            floor = floor[0]
    else:
        floor = np.asarray(floor, dtype=float)
        if not (np.isfinite(floor).all() and (floor > 0).all()):
            raise ValueError(f"floor must be positive and finite, got {floor!r}.")
        if y.ndim == 1:
            if floor.size != 1:
                raise ValueError(f"floor must be a single number for 1D y, got {floor!r}.")
            floor = floor.reshape(())
        else:
            floor = np.broadcast_to(floor, y.shape[1:]).copy()
    floor = float(floor) if np.ndim(floor) == 0 else floor
    return resid / np.maximum(spread, floor), floor


def _default_floor(spread, resid):
    """Per-column floor of :func:`normalized_scores` for 2D inputs."""
    pos = np.where(spread > 0, spread, np.nan)
    counts = (spread > 0).sum(axis=0)
    med = np.full(spread.shape[1], np.nan)
    has = counts > 0
    if has.any():
        med[has] = np.nanmedian(pos[:, has], axis=0)
    floor = FLOOR_RATIO * med
    if (~has).any():
        abs_res = np.abs(resid[:, ~has])
        res_pos = np.where(abs_res > 0, abs_res, np.nan)
        any_res = (abs_res > 0).any(axis=0)
        fallback = np.ones(abs_res.shape[1])
        if any_res.any():
            fallback[any_res] = np.nanmedian(res_pos[:, any_res], axis=0)
        floor[~has] = fallback
    return floor


def min_calibration_size(probability):
    """Smallest number of calibration scores giving a finite conformal quantile.

    The quantile at ``p >= 0.5`` is the ``ceil((n + 1) p)``-th smallest score,
    finite when that rank is at most ``n``; a lower level ``p < 0.5`` uses
    ``floor((n + 1) p) >= 1``, its mirror image. Both reduce to
    ``n >= q / (1 - q)`` with ``q = max(p, 1 - p)``; the answer is computed
    with the very ranks :func:`conformal_quantiles` uses.

    Parameters
    ----------
    probability : float
        Quantile level, strictly between 0 and 1.

    Returns
    -------
    n : int
        The smallest calibration size whose quantile at ``probability`` is
        finite.

    Examples
    --------
    >>> min_calibration_size(0.95), min_calibration_size(0.05)
    (19, 19)
    >>> min_calibration_size(0.9), min_calibration_size(0.5)
    (9, 1)
    """
    p = float(_as_levels(probability, "probability")[0])
    if np.ndim(probability) != 0:
        raise ValueError(f"probability must be a single number, got {probability!r}.")
    q = max(p, 1.0 - p)
    n = max(0, math.floor(q / (1.0 - q)) - 2)
    while True:
        k = int(_ranks(n, p))
        if 1 <= k <= n:
            return n
        n += 1


def conformal_quantiles(scores, levels):
    """Finite-sample-corrected empirical quantiles of signed scores, per column.

    For a level ``p >= 0.5`` the quantile is the ``k``-th smallest score with
    ``k = ceil((n + 1) p)``; for ``p < 0.5`` it is the ``k``-th smallest with
    ``k = floor((n + 1) p)`` (the mirror image). A rank above ``n`` gives
    ``+inf``, a rank below 1 gives ``-inf``. For exchangeable scores, a new
    score falls in ``[q(p1), q(p2)]`` with probability at least ``p2 - p1``
    (split conformal prediction with each tail calibrated separately).

    Parameters
    ----------
    scores : array-like of shape (n,) or (n, m)
        Calibration scores, one column per output.
    levels : float or array-like of shape (n_levels,)
        Quantile levels, strictly between 0 and 1.

    Returns
    -------
    quantiles : ndarray of shape (n_levels,) or (n_levels, m)
        The quantiles, in the order of ``levels`` (non-decreasing in the
        level).

    See Also
    --------
    min_calibration_size : how many scores a level needs to be finite.

    Examples
    --------
    >>> conformal_quantiles([3.0, 1.0, 2.0, 5.0, 4.0], [0.1, 0.25, 0.5, 0.75, 0.9])
    array([-inf,   1.,   3.,   5.,  inf])
    """
    scores = np.asarray(scores, dtype=float)
    if scores.ndim not in (1, 2):
        raise ValueError(f"scores must be 1D (n,) or 2D (n, m), got shape {scores.shape}.")
    if np.isnan(scores).any():
        raise ValueError("scores hold NaN; drop those windows first.")
    return _quantiles_sorted(np.sort(scores, axis=0), _as_levels(levels))


class SplitConformal:
    """Split conformal calibration of a spread-normalised band.

    ``fit`` stores the sorted signed scores ``(y - center) / max(spread,
    floor)`` of a calibration set (a chronological tail held out from
    training); ``quantiles`` maps their finite-sample-corrected quantiles
    back to data units as ``center + max(spread, floor) * q``. The band is
    wide where the spread is large and narrow where it is small, with
    marginal coverage guaranteed for exchangeable scores.

    Parameters
    ----------
    floor : float or array-like of shape (m,), default=None
        Spread floor; ``None`` derives it from the calibration spreads (see
        :func:`normalized_scores`).

    Attributes
    ----------
    scores_ : ndarray of shape (n_calibration,) or (n_calibration, m)
        The calibration scores, sorted along axis 0 (per output).
    floor_ : float or ndarray of shape (m,)
        The spread floor, applied again by :meth:`quantiles` and
        :meth:`scale`.
    n_calibration_ : int
        Number of calibration points.
    n_outputs_ : int
        Number of outputs ``m`` (1 for 1D targets).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> spread = rng.uniform(0.5, 2.0, size=200)
    >>> y = spread * rng.standard_normal(200)
    >>> cal = SplitConformal().fit(y, np.zeros(200), spread)
    >>> cal.n_calibration_
    200
    >>> q = cal.quantiles([0.0, 0.0], [1.0, 2.0], [0.05, 0.95])
    >>> q.shape
    (2, 2)
    >>> bool(np.allclose(q[1], 2 * q[0]))
    True
    """

    def __init__(self, floor=None):
        self.floor = floor

    def fit(self, y, center, spread):
        """Compute and store the calibration scores.

        Parameters
        ----------
        y : array-like of shape (n,) or (n, m)
            Observed targets of the calibration windows.
        center : array-like, broadcastable to the shape of ``y``
            Point predictions for those windows.
        spread : array-like, broadcastable to the shape of ``y``
            Their non-negative spreads.

        Returns
        -------
        self : SplitConformal
            The fitted calibrator.
        """
        scores, floor = normalized_scores(y, center, spread, floor=self.floor)
        self.scores_ = np.sort(scores, axis=0)
        self.floor_ = floor
        self.n_calibration_ = int(scores.shape[0])
        self._ndim = scores.ndim
        self.n_outputs_ = 1 if scores.ndim == 1 else int(scores.shape[1])
        return self

    def _check_fitted(self):
        if not hasattr(self, "scores_"):
            raise ValueError("This SplitConformal is not fitted yet; call fit first.")

    def score_quantiles(self, levels, hint=None):
        """Calibrated quantiles of the normalised score.

        Parameters
        ----------
        levels : float or array-like of shape (n_levels,)
            Quantile levels, strictly between 0 and 1.
        hint : str, default=None
            Sentence appended to the error raised when the calibration set is
            too small (e.g. naming the caller's parameter to change).

        Returns
        -------
        q : ndarray of shape (n_levels,) or (n_levels, m)
            Score quantiles, finite.

        Raises
        ------
        ValueError
            If a level needs more calibration points than were given.
        """
        self._check_fitted()
        levels = _as_levels(levels)
        need = max(min_calibration_size(float(p)) for p in levels)
        if need > self.n_calibration_:
            worst = max(levels, key=lambda p: (min_calibration_size(float(p)), p >= 0.5))
            tail = hint if hint is not None else (
                "Hold out more calibration windows or ask for a lower coverage."
            )
            raise ValueError(
                f"The calibration tail has {self.n_calibration_} windows; a "
                f"{float(worst):g} quantile needs at least {need}. {tail}"
            )
        return _quantiles_sorted(self.scores_, levels)

    def _width(self, spread, shape):
        """``max(spread, floor)`` broadcast to ``shape``, checked."""
        spread = np.asarray(spread, dtype=float)
        try:
            spread = np.broadcast_to(spread, shape)
        except ValueError:
            raise ValueError(
                f"spread of shape {spread.shape} does not broadcast to {shape}."
            ) from None
        if (spread < 0).any():
            raise ValueError(f"spread must be non-negative, got {spread.min()!r}.")
        return np.maximum(spread, self.floor_)

    def _check_center(self, center):
        center = np.asarray(center, dtype=float)
        if self._ndim == 1:
            if center.ndim != 1:
                raise ValueError(
                    f"center must be 1D (n_windows,) like the calibration targets, "
                    f"got shape {center.shape}."
                )
        elif center.ndim != 2 or center.shape[1] != self.n_outputs_:
            raise ValueError(
                f"center must have shape (n_windows, {self.n_outputs_}) like the "
                f"calibration targets, got {center.shape}."
            )
        return center

    def quantiles(self, center, spread, levels, hint=None):
        """Calibrated predictive quantiles in data units.

        Parameters
        ----------
        center : array-like of shape (n_windows,) or (n_windows, m)
            Point predictions (same number of outputs as at fit time).
        spread : array-like, broadcastable to the shape of ``center``
            Their non-negative spreads.
        levels : float or array-like of shape (n_levels,)
            Quantile levels, strictly between 0 and 1.
        hint : str, default=None
            Sentence appended to the error raised when the calibration set is
            too small.

        Returns
        -------
        quantiles : ndarray of shape (n_windows, n_levels) or (n_windows, m, n_levels)
            ``center + max(spread, floor) * q(level)``, in the order of
            ``levels`` (so sorted along the last axis when ``levels`` are).

        Raises
        ------
        ValueError
            If a level needs more calibration points than were given, e.g.
            "The calibration tail has 12 windows; a 0.95 quantile needs at
            least 19." followed by ``hint``.
        """
        self._check_fitted()
        q = self.score_quantiles(levels, hint=hint)
        center = self._check_center(center)
        width = self._width(spread, center.shape)
        return center[..., None] + width[..., None] * q.T

    def scale(self, spread, coverage=0.9, hint=None):
        """Normal-equivalent standard deviation of the calibrated central band.

        ``max(spread, floor) * (q(1 - a/2) - q(a/2)) / (2 z)`` with
        ``a = 1 - coverage`` and ``z`` the standard normal ``1 - a/2``
        quantile, so that ``center ± z * scale`` has the width of the
        calibrated band at that coverage.

        Parameters
        ----------
        spread : array-like of shape (n_windows,) or (n_windows, m)
            Non-negative spreads.
        coverage : float, default=0.9
            Nominal coverage of the central band, strictly between 0 and 1.
        hint : str, default=None
            Sentence appended to the error raised when the calibration set is
            too small.

        Returns
        -------
        std : ndarray of the shape of ``spread``
            The normal-equivalent standard deviations.
        """
        self._check_fitted()
        a = 1.0 - _check_coverage(coverage)
        q = self.score_quantiles([a / 2, 1 - a / 2], hint=hint)
        z = NormalDist().inv_cdf(1 - a / 2)
        spread = np.asarray(spread, dtype=float)
        if self._ndim == 2 and (spread.ndim != 2 or spread.shape[1] != self.n_outputs_):
            raise ValueError(
                f"spread must have shape (n_windows, {self.n_outputs_}), got {spread.shape}."
            )
        return self._width(spread, spread.shape) * (q[1] - q[0]) / (2 * z)


class QuantileTracker:
    """Online tracking of the two tail quantiles of the normalised score.

    A static split-conformal band is only valid while the calibration scores
    stay exchangeable with the new ones; when the noise level drifts, its
    coverage drifts too. This tracker keeps a lower and an upper score
    quantile per output and, after each newly observed score ``s``, applies
    the quantile-tracking ("P") step of conformal PID control
    (Angelopoulos, Candès & Tibshirani, 2023), the quantile form of adaptive
    conformal inference (Gibbs & Candès, 2021)::

        q_hi += eta * (1[s > q_hi] - a/2)
        q_lo -= eta * (1[s < q_lo] - a/2)

    with ``a = 1 - coverage``. Each tail then misses at a long-run rate of
    ``a/2`` whatever the sequence of scores, provided they are bounded. The
    step ``eta = learning_rate * (q_hi0 - q_lo0)`` is relative to the
    initial calibrated width of each output, so it carries the units of the
    scores and needs no absolute constant.

    Parameters
    ----------
    lower, upper : float or array-like of shape (m,)
        Initial lower and upper score quantiles (finite, ``lower <= upper``),
        usually from :meth:`from_conformal`.
    coverage : float, default=0.9
        Target coverage of the band, strictly between 0 and 1.
    learning_rate : float, default=0.05
        Step size as a fraction of the initial width ``upper - lower``.
    floor : float or array-like of shape (m,), default=0.0
        Spread floor applied by :meth:`band` (the calibrator's ``floor_``).

    Attributes
    ----------
    lower_, upper_ : float or ndarray of shape (m,)
        The current score quantiles.
    step_ : float or ndarray of shape (m,)
        The step size ``eta`` per output.
    n_updates_ : int
        Number of time steps processed.

    References
    ----------
    Angelopoulos, A. N., Candès, E. J. and Tibshirani, R. J. (2023).
    Conformal PID control for time series prediction. NeurIPS 36.

    Gibbs, I. and Candès, E. (2021). Adaptive conformal inference under
    distribution shift. NeurIPS 34.

    Notes
    -----
    For an ``h``-step-ahead forecast the score of the origin ``t`` is known
    only at ``t + h``; feed scores to :meth:`update` in the order they are
    observed. A NaN score (not observed yet, or missing) leaves that output's
    quantiles unchanged for that step. An output whose initial width is zero
    gets a zero step and keeps its quantiles.

    Examples
    --------
    >>> tracker = QuantileTracker(-1.0, 1.0, coverage=0.9, learning_rate=0.1)
    >>> float(tracker.step_)
    0.2
    >>> lo, hi = tracker.run([3.0, 0.0])
    >>> lo.tolist(), hi.tolist()
    ([-1.0, -0.99], [1.0, 1.19])
    """

    def __init__(self, lower, upper, coverage=0.9, learning_rate=0.05, floor=0.0):
        lower = np.asarray(lower, dtype=float)
        upper = np.asarray(upper, dtype=float)
        if lower.shape != upper.shape or lower.ndim > 1:
            raise ValueError(
                f"lower and upper must be numbers or 1D arrays of one shape, got "
                f"{lower.shape} and {upper.shape}."
            )
        if not (np.isfinite(lower).all() and np.isfinite(upper).all()):
            raise ValueError("lower and upper must be finite.")
        if (upper < lower).any():
            raise ValueError("upper must not be below lower.")
        if not isinstance(learning_rate, numbers.Real) or not learning_rate > 0:
            raise ValueError(f"learning_rate must be a positive number, got {learning_rate!r}.")
        self.coverage = _check_coverage(coverage)
        self.learning_rate = float(learning_rate)
        self._scalar = lower.ndim == 0
        self._lo = np.atleast_1d(lower).copy()
        self._hi = np.atleast_1d(upper).copy()
        self._step = self.learning_rate * (self._hi - self._lo)
        self._floor = np.broadcast_to(np.asarray(floor, dtype=float), self._lo.shape).copy()
        if (self._floor < 0).any() or not np.isfinite(self._floor).all():
            raise ValueError(f"floor must be non-negative and finite, got {floor!r}.")
        self.n_updates_ = 0

    @classmethod
    def from_conformal(cls, conformal, coverage=0.9, learning_rate=0.05, hint=None):
        """Start from a fitted :class:`SplitConformal` at levels ``a/2`` and ``1 - a/2``.

        Parameters
        ----------
        conformal : SplitConformal
            A fitted calibrator; its score quantiles and floor are used.
        coverage : float, default=0.9
            Target coverage, strictly between 0 and 1.
        learning_rate : float, default=0.05
            Step size as a fraction of the initial calibrated width.
        hint : str, default=None
            Sentence appended to the error raised when the calibration set is
            too small.

        Returns
        -------
        tracker : QuantileTracker
            A tracker whose outputs match the calibrator's.
        """
        a = 1.0 - _check_coverage(coverage)
        q = conformal.score_quantiles([a / 2, 1 - a / 2], hint=hint)
        return cls(q[0], q[1], coverage=coverage, learning_rate=learning_rate,
                   floor=conformal.floor_)

    def _out(self, arr):
        return arr[..., 0] if self._scalar else arr

    @property
    def lower_(self):
        """Current lower score quantile(s)."""
        return float(self._lo[0]) if self._scalar else self._lo.copy()

    @property
    def upper_(self):
        """Current upper score quantile(s)."""
        return float(self._hi[0]) if self._scalar else self._hi.copy()

    @property
    def step_(self):
        """Step size ``eta`` per output."""
        return float(self._step[0]) if self._scalar else self._step.copy()

    def _steps(self, scores):
        """``scores`` as a (T, m) array of time steps."""
        scores = np.asarray(scores, dtype=float)
        m = self._lo.size
        one = 0 if self._scalar else 1
        if scores.ndim == one and scores.size == m:
            return scores.reshape(1, m)
        if scores.ndim == one + 1 and (self._scalar or scores.shape[1] == m):
            return scores.reshape(len(scores), m)
        expected = "() or (T,)" if self._scalar else f"({m},) or (T, {m})"
        raise ValueError(f"scores must have shape {expected}, got {scores.shape}.")

    def _advance(self, s):
        """One tracking step with the scores ``s`` of shape (m,)."""
        a2 = (1.0 - self.coverage) / 2
        seen = ~np.isnan(s)
        miss_hi = (s > self._hi).astype(float)
        miss_lo = (s < self._lo).astype(float)
        self._hi = self._hi + np.where(seen, self._step * (miss_hi - a2), 0.0)
        self._lo = self._lo - np.where(seen, self._step * (miss_lo - a2), 0.0)

    def update(self, scores):
        """Process newly observed signed scores, in time order.

        Parameters
        ----------
        scores : array-like of shape (m,) or (T, m)
            Scores of one time step, or of ``T`` steps processed
            sequentially (a float or shape (T,) for a single-output tracker).
            NaN entries skip that output at that step.

        Returns
        -------
        self : QuantileTracker
            The tracker, with updated quantiles.
        """
        for s in self._steps(scores):
            self._advance(s)
            self.n_updates_ += 1
        return self

    def run(self, scores):
        """Quantiles in force before each step, then update with that step.

        This is what a rolling forecast uses: at each origin the band comes
        from the quantiles so far, and the score observed afterwards moves
        them.

        Parameters
        ----------
        scores : array-like of shape (T, m)
            Scores of ``T`` consecutive steps (shape (T,) for a
            single-output tracker).

        Returns
        -------
        lower, upper : ndarray of shape (T, m)
            The score quantiles used at each step (shape (T,) for a
            single-output tracker).
        """
        steps = self._steps(scores)
        lower = np.empty_like(steps)
        upper = np.empty_like(steps)
        for t, s in enumerate(steps):
            lower[t] = self._lo
            upper[t] = self._hi
            self._advance(s)
            self.n_updates_ += 1
        return self._out(lower), self._out(upper)

    def band(self, center, spread):
        """Band in data units with the current quantiles.

        Parameters
        ----------
        center : array-like of shape (n_windows,) or (n_windows, m)
            Point predictions.
        spread : array-like, broadcastable to the shape of ``center``
            Their non-negative spreads.

        Returns
        -------
        lower, upper : ndarray of the shape of ``center``
            ``center + max(spread, floor) * q_lo`` and the same with ``q_hi``.
        """
        center = np.asarray(center, dtype=float)
        spread = np.broadcast_to(np.asarray(spread, dtype=float), center.shape)
        if (spread < 0).any():
            raise ValueError(f"spread must be non-negative, got {spread.min()!r}.")
        lo, hi, floor = self._lo, self._hi, self._floor
        if self._scalar:
            lo, hi, floor = lo[0], hi[0], floor[0]
        elif center.ndim < 1 or center.shape[-1] != lo.size:
            raise ValueError(
                f"center must have {lo.size} outputs in its last axis, got shape {center.shape}."
            )
        width = np.maximum(spread, floor)
        return center + width * lo, center + width * hi
