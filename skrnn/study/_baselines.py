"""The band every interval stands next to: :func:`random_walk_band`, and :func:`band_summary`.

A prediction interval is only worth its width if it beats the simplest band
there is: tomorrow = today, moved by the changes the series has shown. The
``features`` part of the study and ``skrnn forecast`` report both figures
(coverage and median width) for the network's band and for this one.
"""

from __future__ import annotations

import numbers

import numpy as np


def _check_coverage(coverage):
    if isinstance(coverage, bool) or not isinstance(coverage, numbers.Real) or not 0 < coverage < 1:
        raise ValueError(f"coverage must be a number strictly between 0 and 1, got {coverage!r}.")
    return float(coverage)


def random_walk_band(train_values, last_values, coverage=0.9, horizon=1, relative=None):
    """The random-walk band: the last value moved by past changes' percentiles.

    With ``coverage=0.9`` the band is the last value moved by the empirical
    5th and 95th percentiles (``numpy.quantile``, linear interpolation) of the
    ``horizon``-step changes ``x[t + horizon]`` vs ``x[t]`` over
    ``train_values``: relative changes ``x[t + h] / x[t] - 1`` applied as
    ``last * (1 + q)`` for a strictly positive series, absolute changes
    ``x[t + h] - x[t]`` applied as ``last + q`` otherwise.

    Parameters
    ----------
    train_values : array-like of shape (n,)
        The series over the training period, oldest first.
    last_values : float or array-like
        The last known value(s) the band is centred on (e.g. the naive
        forecast of every test target).
    coverage : float, default=0.9
        Nominal coverage of the central band.
    horizon : int, default=1
        Steps between the last value and the value forecast (1: one-step
        changes).
    relative : bool or None, default=None
        Relative or absolute changes; ``None`` chooses relative when every
        training and last value is strictly positive.

    Returns
    -------
    lower, upper : ndarray
        Shaped like ``last_values`` (0-d for a scalar).

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn.study._baselines import random_walk_band
    >>> lower, upper = random_walk_band([100, 110, 99, 99, 103.95], 100.0, coverage=0.5)
    >>> float(np.round(lower, 6)), float(np.round(upper, 6))
    (97.5, 106.25)
    """
    coverage = _check_coverage(coverage)
    if isinstance(horizon, bool) or not isinstance(horizon, numbers.Integral) or horizon < 1:
        raise ValueError(f"horizon must be an integer >= 1, got {horizon!r}.")
    train = np.asarray(train_values, dtype=float)
    last = np.asarray(last_values, dtype=float)
    if train.ndim != 1:
        raise ValueError(f"train_values must be 1D, got shape {train.shape}.")
    if len(train) < horizon + 2:
        raise ValueError(f"train_values has {len(train)} values; {horizon}-step changes need at "
                         f"least {horizon + 2}.")
    if not (np.isfinite(train).all() and np.isfinite(last).all()):
        raise ValueError("train_values and last_values must be finite.")
    if relative is None:
        relative = bool((train > 0).all() and (last > 0).all())
    before, after = train[:-horizon], train[horizon:]
    if relative:
        if (before <= 0).any():
            raise ValueError("relative changes need strictly positive train_values.")
        changes = after / before - 1.0
    else:
        changes = after - before
    alpha = (1.0 - coverage) / 2.0
    q_low, q_high = np.quantile(changes, [alpha, 1.0 - alpha])
    if relative:
        lower, upper = last * (1.0 + q_low), last * (1.0 + q_high)
        return np.minimum(lower, upper), np.maximum(lower, upper)  # a negative last flips
    return last + q_low, last + q_high


def band_summary(actual, lower, upper) -> dict:
    """Empirical coverage and widths of a band.

    Returns
    -------
    dict
        ``coverage`` (share of ``actual`` inside ``[lower, upper]``, ends
        included), ``median_width``, ``mean_width`` and ``n``.

    Examples
    --------
    >>> from skrnn.study._baselines import band_summary
    >>> band_summary([1.0, 5.0], [0.0, 0.0], [2.0, 4.0])
    {'coverage': 0.5, 'median_width': 3.0, 'mean_width': 3.0, 'n': 2}
    """
    y = np.asarray(actual, dtype=float)
    lo = np.asarray(lower, dtype=float)
    hi = np.asarray(upper, dtype=float)
    width = hi - lo
    return {"coverage": float(np.mean((y >= lo) & (y <= hi))),
            "median_width": float(np.median(width)), "mean_width": float(np.mean(width)),
            "n": int(y.size)}
