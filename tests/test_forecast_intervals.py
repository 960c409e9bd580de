"""Calibrated, adaptive intervals of RNNForecaster (sktime side)."""

from copy import deepcopy

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("sktime")

from skrnn import LSTMRegressor  # noqa: E402
from skrnn.forecasting import RNNForecaster  # noqa: E402

TINY = dict(units=4, epochs=2, batch_size=32, early_stopping=None, validation_fraction=0.0,
            random_state=0, n_samples=20)


def _ar(n, sigma, seed=0, phi=0.7):
    rng = np.random.default_rng(seed)
    x = np.zeros(n)
    for t in range(1, n):
        x[t] = phi * x[t - 1] + sigma[t] * rng.standard_normal()
    return 100 + x


@pytest.mark.slow
@pytest.mark.parametrize("interval", ["conformal", "conformal_vol"])
def test_adaptive_intervals_follow_a_doubling_of_the_noise(interval):
    n, n_fit = 3000, 1000
    sigma = np.where(np.arange(n) < n // 2, 1.0, 2.0)  # the noise doubles half-way
    y = pd.Series(_ar(n, sigma))
    f = RNNForecaster(LSTMRegressor(units=8, epochs=5, batch_size=64, early_stopping=None,
                                    validation_fraction=0.0, calibration_fraction=0.3,
                                    random_state=0, interval=interval),
                      window_len=5).fit(y.iloc[:n_fit])
    rest = y.iloc[n_fit:]
    actual = rest.to_numpy()
    second = slice(n // 2 - n_fit, None)  # origins whose next value is in the second half
    point, adaptive = f.predict_rolling(rest, fh=1, coverage=0.9)
    _, static = f.predict_rolling(rest, fh=1, coverage=0.9, adapt=False)

    def coverage_and_width(band):
        lo, hi = band.to_numpy()[:-1, 0], band.to_numpy()[:-1, 1]
        inside = (actual >= lo) & (actual <= hi)
        return inside[second].mean(), np.median((hi - lo)[second])

    cov_a, width_a = coverage_and_width(adaptive)
    cov_s, _ = coverage_and_width(static)
    oracle = 2 * 1.6448536 * 2.0  # the true one-step band in the second half
    assert 0.85 <= cov_a <= 0.95, cov_a
    assert width_a <= 1.5 * oracle, (width_a, oracle)
    if interval == "conformal":  # a band of the level only: the static one under-covers
        assert cov_s < 0.7, cov_s  # measured: 0.58
    else:  # scaled by each window's volatility (blended with the typical one), the static
        # band follows most of the change: 0.82 measured
        assert 0.75 <= cov_s <= 0.95, cov_s
    # update() scores the forecaster's own one-step forecasts the same way
    g = deepcopy(f)
    before = g.predict_interval(fh=[1], coverage=0.9).to_numpy()
    g.update(y.iloc[n_fit:n // 2 + 300], update_params=False)
    after = g.predict_interval(fh=[1], coverage=0.9).to_numpy()
    assert (after[0, 1] - after[0, 0]) > 1.5 * (before[0, 1] - before[0, 0])


def test_bands_are_calibrated_per_step_and_widen_with_the_errors():
    rng = np.random.default_rng(3)
    y = pd.Series(100 + np.cumsum(rng.normal(0, 1, 400)))  # a random walk: errors grow with h
    f = RNNForecaster(LSTMRegressor(**TINY, calibration_fraction=0.3), window_len=5).fit(y)
    pi = f.predict_interval(fh=[1, 5, 10], coverage=0.9).to_numpy()
    width = pi[:, 1] - pi[:, 0]
    assert width[0] < width[1] < width[2]
    cal = f.calibration_
    assert sorted(cal.steps_) == [1, 5, 10]
    assert cal.steps_[1].n_calibration_ == cal.n_calibration
    assert cal.steps_[10].n_calibration_ == cal.n_calibration - 9  # origins whose h-step value is known
    q = f.predict_quantiles(fh=[1, 5], alpha=[0.05, 0.5, 0.95]).to_numpy()
    assert np.all(np.diff(q.reshape(2, 3), axis=1) >= 0)
    var = f.predict_var(fh=[1, 5]).to_numpy().ravel()
    np.testing.assert_allclose(np.sqrt(var), width[:2] / (2 * 1.6448536), rtol=1e-6)


def test_too_short_calibration_is_a_clear_error_and_raw_bands_stay_available():
    y = pd.Series(100 + np.sin(np.arange(80) / 3))
    f = RNNForecaster(LSTMRegressor(**TINY), window_len=5).fit(y)  # 7 calibration windows
    with pytest.raises(ValueError, match="calibration_fraction"):
        f.predict_interval(fh=[1], coverage=0.9)
    raw = RNNForecaster(LSTMRegressor(**TINY, interval="mc"), window_len=5).fit(y)
    assert raw.calibration_ is None
    assert raw.predict_interval(fh=[1, 2], coverage=0.9).shape == (2, 2)


@pytest.mark.slow
def test_default_settings_forecast_raw_eth_close_about_as_well_as_naive():
    # a new user's first try: raw prices, default scaling, 20 epochs
    from skrnn.datasets import load_eth

    close = load_eth()["close"].reset_index(drop=True)
    n_train = len(close) - int(0.2 * len(close))
    f = RNNForecaster(estimator=LSTMRegressor(units=64, epochs=20, random_state=0))
    f.fit(close.iloc[:n_train])
    test = close.iloc[n_train:]
    pred = f.predict_rolling(test, fh=1).to_numpy()[:-1, 0]  # from the cutoff and each test day
    naive = close.iloc[n_train - 1:-1].to_numpy()
    mse, mse_naive = np.mean((pred - test.to_numpy()) ** 2), np.mean((naive - test.to_numpy()) ** 2)
    assert mse <= 1.2 * mse_naive, (mse, mse_naive)
