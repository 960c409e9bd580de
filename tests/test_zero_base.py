"""One zero-base mechanism: the regressor option, the meta-estimator and the
forecaster all scale and map back through skrnn._scaling."""

import numpy as np
import pandas as pd
import pytest

from skrnn import LSTMRegressor, ZeroBaseRegressor, inverse_zero_base_target, zero_base, zero_base_target

from .conftest import F32, TINY


def test_regressor_option_meta_estimator_and_forecaster_agree(eth):
    pytest.importorskip("sktime")
    from skrnn.forecasting import RNNForecaster

    L = 6
    close = eth["close"].iloc[-120:].to_numpy()
    W = np.stack([close[i:i + L] for i in range(len(close) - L)])[:, :, None]
    target = close[L:]
    last = close[-L:][None, :, None]

    option = LSTMRegressor(**TINY, normalize="zero_base").fit(W, target).predict(last)
    meta = ZeroBaseRegressor(LSTMRegressor(**TINY)).fit(W, target).predict(last)
    y = pd.Series(close)
    forecaster = RNNForecaster(LSTMRegressor(**TINY), window_len=L, normalize="zero_base").fit(y)
    forecast = forecaster.predict(fh=[1]).to_numpy()

    np.testing.assert_allclose(option, meta, **F32)
    np.testing.assert_allclose(forecast, option, **F32)
    # and the forecast is in the series' units, near its last level
    assert abs(forecast[0] / close[-1] - 1) < 0.5


def test_several_channels_and_sample_axes_round_trip(rng):
    W = rng.uniform(1, 2, size=(7, 4, 3))
    _, base = zero_base(W)
    Y = rng.uniform(1, 2, size=(7, 6))  # 3 steps of 2 series, step-major
    scaled = zero_base_target(Y, base, target_channel=[0, 2])
    expected = Y / base[:, [0, 2, 0, 2, 0, 2]] - 1  # independent: column j uses channel [0, 2][j % 2]
    np.testing.assert_allclose(scaled, expected, rtol=1e-12)
    samples = np.stack([scaled, 2 * scaled])  # leading Monte-Carlo axis
    back = inverse_zero_base_target(samples, base, target_channel=[0, 2])
    np.testing.assert_allclose(back[0], Y, rtol=1e-12)
    np.testing.assert_allclose(back[1], base[:, [0, 2, 0, 2, 0, 2]] * (1 + 2 * scaled), rtol=1e-12)
    with pytest.raises(ValueError, match="not a multiple of the 2 channels"):
        zero_base_target(Y[:, :5], base, target_channel=[0, 2])
