"""Calibrated intervals on the sklearn side: coverage on data the model never saw."""

from copy import deepcopy

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline

from skrnn import LSTMRegressor, SlidingWindow, ZeroBaseRegressor

from .conftest import TINY

N_CAL, N_TEST = 1000, 2000


@pytest.fixture(scope="module")
def hetero_ar():
    """AR(1) whose noise level swings slowly between 0.2 and 1.0 (seeded)."""
    rng = np.random.default_rng(7)
    n = 4200 + N_TEST
    t = np.arange(n)
    sigma = 0.6 + 0.4 * np.sin(2 * np.pi * t / 250)
    x = np.zeros(n)
    for i in range(1, n):
        x[i] = 0.8 * x[i - 1] + sigma[i] * rng.standard_normal()
    return x, sigma


def _fit_pipeline(rows, target, n_fit, interval):
    return Pipeline([
        ("window", SlidingWindow(5)),
        ("rnn", LSTMRegressor(units=8, epochs=4, batch_size=64, dropout=0.2, early_stopping=None,
                              validation_fraction=0.0, calibration_fraction=N_CAL / n_fit,
                              n_samples=30, random_state=0, interval=interval)),
    ]).fit(rows.iloc[:n_fit], target[:n_fit])


@pytest.mark.slow
@pytest.mark.parametrize("interval", ["conformal_vol", "conformal", "conformal_mc"])
def test_calibrated_band_covers_ninety_percent_of_unseen_points(hetero_ar, interval):
    x, sigma = hetero_ar
    rows = pd.DataFrame({"x": x[:-1]})  # row t holds x[t]; its target is x[t + 1]
    target = x[1:]
    n_fit = len(rows) - N_TEST
    pipe = _fit_pipeline(rows, target, n_fit, interval)
    reg = pipe["rnn"]
    assert reg.calibration_.n_calibration_ >= N_CAL
    test, y_test = rows.iloc[n_fit:], target[n_fit:]  # continues in time: real history
    W = pipe["window"].transform(test)
    lo, hi = reg.predict_interval(W, coverage=0.9)
    covered = np.mean((y_test >= lo) & (y_test <= hi))
    assert 0.87 <= covered <= 0.93, covered
    # sklearn's convention through the whole Pipeline: mean ± 1.645 std is the calibrated band
    mean, std = pipe.predict(test, return_std=True)
    inside = np.abs(y_test - mean) <= 1.645 * std
    assert 0.87 <= inside.mean() <= 0.93, inside.mean()
    if interval != "conformal":
        # normalised by the window's volatility or the Monte-Carlo spread: wider where
        # the true noise is larger
        s = sigma[1:][n_fit:]
        width = hi - lo
        assert np.median(width[s > 0.8]) > np.median(width[s < 0.4])
        # while the raw Monte-Carlo band of the same network is far too narrow
        raw = deepcopy(reg).set_params(interval="mc")
        rlo, rhi = raw.predict_interval(W, coverage=0.9)
        assert np.mean((y_test >= rlo) & (y_test <= rhi)) < 0.8


def test_too_short_calibration_tail_is_a_clear_error(rng):
    W = rng.normal(size=(60, 4, 1))
    y = W[:, -1, 0]
    reg = LSTMRegressor(**TINY, calibration_fraction=0.2).fit(W, y)  # 12 windows
    with pytest.raises(ValueError, match=r"has 12 .*calibration_fraction"):
        reg.predict_interval(W[:3], coverage=0.9)
    lo, hi = reg.predict_interval(W[:3], coverage=0.5)  # 12 points honour a 50 % band
    assert np.all(lo <= hi)
    none = LSTMRegressor(**TINY, calibration_fraction=0.0).fit(W, y)
    with pytest.raises(ValueError, match="no calibration windows.*validation_fraction"):
        none.predict_interval(W[:3])


@pytest.mark.parametrize("interval", ["conformal", "conformal_vol"])
def test_calibration_tail_is_never_trained_on(rng, interval):
    W = rng.normal(size=(100, 4, 1))
    y = W[:, -1, 0]
    a = LSTMRegressor(**TINY, calibration_fraction=0.2, interval=interval).fit(W, y)
    y2 = y.copy()
    y2[80:] += 100.0  # change only the calibration tail's targets
    b = LSTMRegressor(**TINY, calibration_fraction=0.2, interval=interval).fit(W, y2)
    np.testing.assert_array_equal(a.predict(W), b.predict(W))  # same weights
    assert b.calibration_.n_calibration_ == 20
    # ... but the band is calibrated on it: signed residuals of about +100 move it up
    a_lo, a_hi = a.predict_interval(W[:5])
    b_lo, b_hi = b.predict_interval(W[:5])
    # by as much with a constant normaliser; by 100 times the window's volatility
    # over the calibration windows' otherwise (the smallest ratio sets the lower bound)
    assert np.all(b_lo > a_hi + (50 if interval == "conformal" else 0))


def test_zero_base_regressor_maps_the_calibrated_band_to_units(eth):
    close = eth["close"].to_numpy()[-400:]
    W = np.lib.stride_tricks.sliding_window_view(close[:-1], 6)[:, :, None]
    y = close[6:]
    inner = LSTMRegressor(**TINY, dropout=0.2, n_samples=20, calibration_fraction=0.2)
    reg = ZeroBaseRegressor(inner).fit(W, y)
    lo, hi = reg.predict_interval(W[-5:])
    pred, std = reg.predict(W[-5:], return_std=True)
    assert np.all(lo < pred) and np.all(pred < hi)
    # a zero-base band is relative: in USD it scales with the window's first price
    inner_lo, inner_hi = reg.regressor_.predict_interval(W[-5:] / W[-5:, :1] - 1)
    np.testing.assert_allclose(hi - lo, (inner_hi - inner_lo) * W[-5:, 0, 0], rtol=1e-9)
    assert np.all(std > 0)


def test_parts_in_time_order_train_validation_calibration(rng):
    W = rng.normal(size=(100, 4, 1))
    y = W[:, -1, 0]
    reg = LSTMRegressor(**{**TINY, "epochs": 1, "validation_fraction": 0.2}, dropout=0.0,
                        normalize=None, calibration_fraction=0.1).fit(W, y)
    val = reg.model_.evaluate(W[70:90].astype("float32"), y[70:90, None].astype("float32"), verbose=0)
    assert reg.history_["val_loss"][0] == pytest.approx(val, rel=1e-5)
    assert reg.calibration_.n_calibration_ == 10
    # calibration_fraction=0 reuses the validation tail (documented as optimistic)
    reuse = LSTMRegressor(**{**TINY, "validation_fraction": 0.2}, calibration_fraction=0.0).fit(W, y)
    assert reuse.calibration_.n_calibration_ == 20


@pytest.mark.slow
def test_default_band_keeps_its_coverage_when_the_test_period_is_more_volatile():
    """``load_eth``'s last 272 days (Aug 2020 - May 2021) moved far more than the calibration tail.

    A band of the price level alone covers about three quarters of them; the
    default band, scaled by each window's volatility, about nine tenths.
    """
    from skrnn.datasets import load_eth

    close = load_eth()[["close"]]
    rows, target = close.iloc[:-1], close["close"].to_numpy()[1:]
    n_fit = len(rows) - 272
    cover = {}
    for interval in ("conformal_vol", "conformal"):
        pipe = Pipeline([("window", SlidingWindow(10)),
                         ("rnn", LSTMRegressor(units=16, epochs=10, random_state=0,
                                               interval=interval))])
        pipe.fit(rows.iloc[:n_fit], target[:n_fit])
        lo, hi = pipe["rnn"].predict_interval(pipe["window"].transform(rows.iloc[n_fit:]))
        cover[interval] = np.mean((target[n_fit:] >= lo) & (target[n_fit:] <= hi))
    assert 0.85 <= cover["conformal_vol"] <= 0.95, cover
    assert cover["conformal"] < 0.82, cover


def test_one_step_windows_fall_back_to_the_level_normaliser(rng):
    W = rng.normal(size=(80, 1, 2))
    y = W[:, 0, 0] + 0.1 * rng.normal(size=80)
    vol = LSTMRegressor(**TINY, calibration_fraction=0.3).fit(W, y)  # the default: conformal_vol
    level = LSTMRegressor(**TINY, calibration_fraction=0.3, interval="conformal").fit(W, y)
    np.testing.assert_array_equal(vol.predict_interval(W[:5]), level.predict_interval(W[:5]))
