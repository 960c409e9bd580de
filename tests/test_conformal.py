"""Tests of the conformal calibration core (numpy only)."""

import math
from fractions import Fraction
from statistics import NormalDist

import numpy as np
import pytest

from skrnn._conformal import (
    QuantileTracker,
    SplitConformal,
    conformal_quantiles,
    min_calibration_size,
    normalized_scores,
    typical_volatility,
    volatility_spread,
    window_volatility,
)

Z90 = NormalDist().inv_cdf(0.95)


def _hand_quantile(values, p):
    """Conformal quantile from a sorted list and exact decimal ranks."""
    ordered = sorted(values)
    n = len(ordered)
    x = (n + 1) * Fraction(str(p))
    k = math.ceil(x) if Fraction(str(p)) >= Fraction(1, 2) else math.floor(x)
    if k > n:
        return math.inf
    if k < 1:
        return -math.inf
    return ordered[k - 1]


# ---------------------------------------------------------------- quantiles


def test_conformal_quantiles_small_example():
    scores = [3.0, 1.0, 2.0, 5.0, 4.0]
    levels = [0.1, 0.25, 0.5, 0.75, 0.9]
    # n + 1 = 6: ranks floor(0.6)=0, floor(1.5)=1, ceil(3)=3, ceil(4.5)=5, ceil(5.4)=6
    expected = [-math.inf, 1.0, 3.0, 5.0, math.inf]
    assert conformal_quantiles(scores, levels).tolist() == expected


def test_conformal_quantiles_exact_integer_ranks():
    # (n + 1) p is an integer: the rank is exactly that integer, both tails.
    scores = np.arange(1.0, 20.0)  # n = 19
    q = conformal_quantiles(scores, [0.05, 0.1, 0.5, 0.9, 0.95])
    assert q.tolist() == [1.0, 2.0, 10.0, 18.0, 19.0]
    scores = np.arange(1.0, 10.0)  # n = 9
    assert conformal_quantiles(scores, [0.1, 0.9]).tolist() == [1.0, 9.0]


def test_conformal_quantiles_match_hand_computation_grid(rng):
    levels = [i / 100 for i in range(1, 100)] + [0.025, 0.975, 0.005, 0.995]
    for n in range(61):
        values = rng.standard_normal(n).tolist()
        got = conformal_quantiles(np.array(values), levels)
        want = [_hand_quantile(values, p) for p in levels]
        assert got.tolist() == want, n


def test_conformal_quantiles_per_column(rng):
    scores = rng.standard_normal((23, 4)) * np.array([1.0, 10.0, 0.1, 3.0])
    levels = [0.05, 0.3, 0.5, 0.8, 0.95]
    got = conformal_quantiles(scores, levels)
    assert got.shape == (5, 4)
    for j in range(4):
        want = [_hand_quantile(scores[:, j].tolist(), p) for p in levels]
        assert got[:, j].tolist() == want
    # non-decreasing in the level
    assert (np.diff(got, axis=0) >= 0).all()


def test_conformal_quantiles_inf_edges():
    scores = np.arange(5.0)
    q = conformal_quantiles(scores[:, None], [0.01, 0.99])
    assert q[:, 0].tolist() == [-math.inf, math.inf]
    assert conformal_quantiles(np.empty(0), [0.2, 0.5]).tolist() == [-math.inf, math.inf]


def test_min_calibration_size_is_the_boundary():
    assert min_calibration_size(0.95) == 19
    assert min_calibration_size(0.05) == 19
    assert conformal_quantiles(np.arange(18.0), [0.05, 0.95]).tolist() == [-math.inf, math.inf]
    assert np.isfinite(conformal_quantiles(np.arange(19.0), [0.05, 0.95])).all()
    for p in [0.5, 0.6, 0.75, 0.8, 0.9, 0.975, 0.99, 0.995, 0.01, 0.1, 0.25, 0.4]:
        n = min_calibration_size(p)
        assert np.isfinite(conformal_quantiles(np.arange(float(n)), p)).all(), p
        if n > 0:
            assert not np.isfinite(conformal_quantiles(np.arange(n - 1.0), p)).any(), p
        q = max(p, 1 - p)
        assert n == math.ceil(Fraction(str(q)) / (1 - Fraction(str(q))))


def test_levels_must_be_probabilities():
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        conformal_quantiles([1.0, 2.0], [0.5, 1.0])
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        min_calibration_size(0.0)


# ------------------------------------------------------------------- scores


def test_normalized_scores_floor_is_relative():
    y = np.array([[1.0, 10.0], [2.0, 20.0], [4.0, 40.0]])
    center = np.zeros_like(y)
    spread = np.array([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]])
    scores, floor = normalized_scores(y, center, spread)
    np.testing.assert_allclose(floor, [3e-3, 3e-3])
    assert np.isfinite(scores).all()
    assert scores[0, 0] == pytest.approx(1.0 / 3e-3)
    # the same scores for the same data in other units
    for unit in (1e4, 1e-3):
        s2, f2 = normalized_scores(unit * y, unit * center, unit * spread)
        np.testing.assert_allclose(s2, scores, rtol=1e-12)
        np.testing.assert_allclose(f2, unit * floor, rtol=1e-12)


def test_normalized_scores_zero_spread_column_and_given_floor():
    y = np.array([[1.0], [-2.0], [3.0]])
    scores, floor = normalized_scores(y, 0.0, 0.0)
    np.testing.assert_allclose(floor, [2.0])  # median |residual|
    np.testing.assert_allclose(scores[:, 0], [0.5, -1.0, 1.5])
    scores, floor = normalized_scores(y[:, 0], 0.0, 1.0, floor=0.5)
    assert floor == 0.5
    np.testing.assert_allclose(scores, [1.0, -2.0, 3.0])
    with pytest.raises(ValueError, match="non-negative"):
        normalized_scores(y, 0.0, -1.0)


# ------------------------------------------------------------ split conformal


def _heteroscedastic_ar1(rng, n, sigma):
    """AR(1) ``x_t = 0.8 x_{t-1} + sigma_t e_t``; returns x_t and its conditional mean."""
    eps = rng.standard_normal(n)
    x = np.empty(n)
    prev = 0.0
    for t in range(n):
        x[t] = 0.8 * prev + sigma[t] * eps[t]
        prev = x[t]
    mean = 0.8 * np.concatenate([[0.0], x[:-1]])
    return x, mean


def _coverage_experiment():
    rng = np.random.default_rng(42)
    n_cal, n_test = 2000, 4000
    t = np.arange(n_cal + n_test)
    sigma = np.exp(0.8 * np.sin(2 * np.pi * t / 250))  # known, smooth, 0.45 .. 2.2
    y, mean = _heteroscedastic_ar1(rng, len(t), sigma)
    spread = sigma * np.exp(0.25 * rng.standard_normal(len(t)))  # noisy but informative
    cal = SplitConformal().fit(y[:n_cal], mean[:n_cal], spread[:n_cal])
    test = slice(n_cal, None)
    q = cal.quantiles(mean[test], spread[test], [0.05, 0.95])
    covered = (y[test] >= q[:, 0]) & (y[test] <= q[:, 1])
    width = q[:, 1] - q[:, 0]
    low = sigma[test] < np.median(sigma[test])
    return covered.mean(), np.median(width[low]), np.median(width[~low])


def test_split_conformal_coverage_and_adaptivity():
    coverage, width_low, width_high = _coverage_experiment()
    assert 0.87 <= coverage <= 0.93
    assert width_low < 0.6 * width_high


def test_split_conformal_multi_output_matches_columns(rng):
    y = rng.standard_normal((50, 3)) * [1.0, 5.0, 0.2]
    center = np.zeros_like(y)
    spread = rng.uniform(0.5, 1.5, size=y.shape)
    cal = SplitConformal().fit(y, center, spread)
    assert cal.n_calibration_ == 50 and cal.n_outputs_ == 3
    levels = [0.1, 0.5, 0.9]
    new_c, new_s = rng.standard_normal((7, 3)), rng.uniform(0.5, 1.5, (7, 3))
    q = cal.quantiles(new_c, new_s, levels)
    assert q.shape == (7, 3, 3)
    assert (np.diff(q, axis=-1) >= 0).all()
    for j in range(3):
        one = SplitConformal(floor=cal.floor_[j]).fit(y[:, j], 0.0, spread[:, j])
        np.testing.assert_allclose(one.quantiles(new_c[:, j], new_s[:, j], levels), q[:, j])


def test_split_conformal_too_few_points():
    rng = np.random.default_rng(1)
    cal = SplitConformal().fit(rng.standard_normal(12), 0.0, 1.0)
    with pytest.raises(
        ValueError,
        match=r"The calibration tail has 12 windows; a 0\.95 quantile needs at least 19\. "
        r"Hold out more windows \(calibration_fraction\)",
    ):
        cal.quantiles(np.zeros(3), 1.0, [0.05, 0.95],
                      hint="Hold out more windows (calibration_fraction) or ask for a "
                           "lower coverage.")
    with pytest.raises(ValueError, match="needs at least 19"):
        cal.scale(np.ones(3), coverage=0.9)
    with pytest.raises(ValueError, match="needs at least 19"):
        QuantileTracker.from_conformal(cal, coverage=0.9)
    # 80% needs 9 points: fine with 12
    assert np.isfinite(cal.quantiles(np.zeros(3), 1.0, [0.1, 0.9])).all()


def test_scale_reproduces_band_width(rng):
    y = rng.standard_normal((200, 2)) * [1.0, 3.0] + 0.3
    spread = rng.uniform(0.5, 2.0, size=y.shape)
    cal = SplitConformal().fit(y, 0.0, spread)
    new_s = rng.uniform(0.0, 2.0, size=(9, 2))
    new_s[0, 0] = 0.0  # the floor applies
    for coverage in (0.5, 0.8, 0.9):
        a = 1 - coverage
        q = cal.quantiles(np.zeros((9, 2)), new_s, [a / 2, 1 - a / 2])
        z = NormalDist().inv_cdf(1 - a / 2)
        std = cal.scale(new_s, coverage=coverage)
        assert std.shape == (9, 2) and (std > 0).all()
        np.testing.assert_allclose(2 * z * std, q[..., 1] - q[..., 0], rtol=1e-12)


def test_split_conformal_checks_shapes():
    cal = SplitConformal().fit(np.ones((30, 2)), 0.0, 1.0)
    with pytest.raises(ValueError, match=r"shape \(n_windows, 2\)"):
        cal.quantiles(np.zeros(4), 1.0, 0.5)
    with pytest.raises(ValueError, match="not fitted"):
        SplitConformal().quantiles(np.zeros(4), 1.0, 0.5)


# ------------------------------------------------------------ online tracking


def test_tracker_update_rule_and_run():
    tracker = QuantileTracker([-1.0, -2.0], [1.0, 2.0], coverage=0.8, learning_rate=0.1)
    np.testing.assert_allclose(tracker.step_, [0.2, 0.4])
    scores = np.array([[1.5, 0.0], [-3.0, np.nan], [0.0, 5.0]])
    lo_hand, hi_hand = np.array([-1.0, -2.0]), np.array([1.0, 2.0])
    eta, a2 = np.array([0.2, 0.4]), 0.1
    want_lo, want_hi = [], []
    for s in scores:
        want_lo.append(lo_hand.copy())
        want_hi.append(hi_hand.copy())
        seen = ~np.isnan(s)
        hi_hand = hi_hand + seen * eta * ((s > hi_hand) - a2)
        lo_hand = lo_hand - seen * eta * ((s < lo_hand) - a2)
    lo, hi = tracker.run(scores)
    np.testing.assert_allclose(lo, want_lo)
    np.testing.assert_allclose(hi, want_hi)
    np.testing.assert_allclose(tracker.lower_, lo_hand)
    np.testing.assert_allclose(tracker.upper_, hi_hand)
    assert tracker.n_updates_ == 3
    # update over T steps equals T single updates
    other = QuantileTracker([-1.0, -2.0], [1.0, 2.0], coverage=0.8, learning_rate=0.1)
    for s in scores:
        other.update(s)
    np.testing.assert_allclose(other.lower_, tracker.lower_)
    np.testing.assert_allclose(other.upper_, tracker.upper_)
    # band in data units with the current quantiles and the floor
    lower, upper = tracker.band(np.array([[10.0, 20.0]]), np.array([[2.0, 1.0]]))
    np.testing.assert_allclose(lower, [[10.0 + 2.0 * lo_hand[0], 20.0 + lo_hand[1]]])
    np.testing.assert_allclose(upper, [[10.0 + 2.0 * hi_hand[0], 20.0 + hi_hand[1]]])


def test_tracker_single_output_shapes():
    tracker = QuantileTracker(-1.0, 1.0)
    tracker.update(0.0)
    lo, hi = tracker.run(np.zeros(4))
    assert lo.shape == hi.shape == (4,)
    assert isinstance(tracker.lower_, float)
    with pytest.raises(ValueError, match="scores must have shape"):
        tracker.update(np.zeros((2, 2)))


def _drift_experiment():
    rng = np.random.default_rng(7)
    n, n_cal, coverage = 4000, 1000, 0.9
    sigma = np.where(np.arange(n) < n // 2, 1.0, 2.0)
    y, mean = _heteroscedastic_ar1(rng, n, sigma)
    spread = np.ones(n)  # the first-half std, never updated
    cal = SplitConformal().fit(y[:n_cal], mean[:n_cal], spread[:n_cal])
    tracker = QuantileTracker.from_conformal(cal, coverage=coverage)
    scores, _ = normalized_scores(y[n_cal:], mean[n_cal:], spread[n_cal:], floor=cal.floor_)
    q_lo, q_hi = tracker.run(scores)
    second = slice(n // 2 - n_cal, None)
    lower = mean[n_cal:] + spread[n_cal:] * q_lo
    upper = mean[n_cal:] + spread[n_cal:] * q_hi
    yy = y[n_cal:][second]
    tracked = ((yy >= lower[second]) & (yy <= upper[second])).mean()
    tracked_width = np.median((upper - lower)[second])
    q = cal.quantiles(mean[n // 2:], spread[n // 2:], [0.05, 0.95])
    static = ((y[n // 2:] >= q[:, 0]) & (y[n // 2:] <= q[:, 1])).mean()
    oracle_width = 2 * Z90 * 2.0
    return tracked, tracked_width, static, oracle_width


def test_tracker_follows_a_change_of_noise_level():
    tracked, tracked_width, static, oracle_width = _drift_experiment()
    assert 0.85 <= tracked <= 0.95
    assert tracked_width <= 1.5 * oracle_width
    assert static < 0.85


def test_window_volatility_is_the_std_of_one_step_changes_block_by_block(monkeypatch):
    import skrnn._conformal as conformal

    rng = np.random.default_rng(0)
    rows = np.cumsum(rng.normal(size=(503, 3)), axis=0)
    windows = np.lib.stride_tricks.sliding_window_view(rows, 7, axis=0).transpose(0, 2, 1)
    expected = np.array([[np.std(np.diff(w[:, c])) for c in (0, 2)] for w in windows])
    monkeypatch.setattr(conformal, "_VOLATILITY_BLOCK", 64)  # several blocks, a short last one
    np.testing.assert_allclose(window_volatility(windows, [0, 2]), expected, rtol=1e-12)
    np.testing.assert_allclose(window_volatility(windows, 2), expected[:, 1], rtol=1e-12)
    with pytest.raises(ValueError, match="at least 2 time steps"):
        window_volatility(windows[:, :1], 0)


def test_volatility_spread_blends_the_window_with_the_typical_volatility():
    vol = np.array([0.0, 3.0, 8.0, 1.5])
    level = np.array([100.0, 100.0, 200.0, 50.0])
    ratio = typical_volatility(vol, level)  # median of 0, 0.03, 0.04, 0.03
    assert ratio == pytest.approx(0.03)
    spread = volatility_spread(vol, level, ratio)
    np.testing.assert_allclose(spread, np.sqrt(vol ** 2 + (0.03 * level) ** 2), rtol=1e-12)
    assert spread[0] == pytest.approx(3.0)  # a flat window keeps the typical band of its level
    # per output column: a 1D volatility applies to every column of a 2D level
    two = volatility_spread(vol, np.column_stack([level, 2 * level]), [0.03, 0.01])
    np.testing.assert_allclose(two[:, 1], np.sqrt(vol ** 2 + (0.02 * level) ** 2), rtol=1e-12)
    assert typical_volatility(np.zeros(3), np.zeros(3)) == 0.0  # no level: no blend, no NaN
