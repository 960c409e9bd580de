"""Tests of the strategy registry of :mod:`skrnn.forecasting`."""

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("sktime")

from skrnn import LSTMRegressor  # noqa: E402
from skrnn.forecasting import (  # noqa: E402
    STRATEGIES,
    RNNForecaster,
    Strategy,
    register_strategy,
)

from .conftest import F32  # noqa: E402

TINY = dict(units=3, epochs=2, batch_size=32, early_stopping=None,
            validation_fraction=0.0, random_state=0)
L = 4


class RepeatLastStepStrategy(Strategy):
    """One network for the last step of ``fh``; its forecast is repeated at every step."""

    needs_fh = True

    def plan(self, steps):
        return [max(steps)]

    def _fit(self, series, window_len, fit_one):
        W, Y = self.training_pairs(series, window_len, self.horizons_[0])
        return [fit_one(W, Y[:, -1])]

    def forecast(self, W, X_fut, steps, predict, n_samples=None, seed=None):
        last = predict(self.estimators_[0], W, n_samples)  # (n_paths, B, k)
        return np.repeat(last[:, :, None, :], len(steps), axis=2)


@pytest.fixture
def toy():
    register_strategy("toy", RepeatLastStepStrategy)
    yield "toy"
    STRATEGIES.pop("toy", None)


def _series(n=40):
    rng = np.random.default_rng(0)
    values = 100 + np.cumsum(rng.normal(0, 1, n)) + 3 * np.sin(np.arange(n) / 4)
    return pd.Series(values, index=pd.RangeIndex(n), name="y")


def test_registered_strategy_forecasts_as_computed_by_hand(toy):
    y = _series()
    f = RNNForecaster(LSTMRegressor(**TINY), window_len=L, strategy=toy)
    assert f.get_tag("requires-fh-in-fit") is True
    f.fit(y, fh=[1, 3])
    assert f.horizons_ == [3] and len(f.estimators_) == 1
    pred = f.predict(fh=[1, 3])

    # the same network by hand: the window ending at t -> y[t + 3]
    values, H = y.to_numpy(), 3
    n = len(values) - L - H + 1
    W = np.stack([values[i:i + L] for i in range(n)])[:, :, None]
    reg = LSTMRegressor(**TINY).fit(W, values[L - 1 + H: L - 1 + H + n])
    last = float(reg.predict(values[-L:][None, :, None])[0])
    np.testing.assert_allclose(pred.to_numpy(), [last, last], **F32)
    assert list(pred.index) == [40, 42]


def test_unknown_strategy_names_the_registered_ones(toy):
    with pytest.raises(ValueError, match="'strategy' parameter of RNNForecaster") as err:
        RNNForecaster(LSTMRegressor(**TINY), strategy="nope").fit(_series())
    assert "'toy'" in str(err.value) and "'recursive'" in str(err.value)


def test_registry_and_tags():
    assert set(STRATEGIES) >= {"recursive", "direct", "mimo"}
    assert "toy" not in STRATEGIES  # the fixture unregisters it
    with pytest.raises(TypeError):
        register_strategy("bad", object)
    assert RNNForecaster(strategy="recursive").get_tag("capability:non_contiguous_X") is False
    assert RNNForecaster(strategy="mimo").get_tag("capability:non_contiguous_X") is True


def test_training_pairs_stay_within_each_series():
    Z1 = np.arange(8.0)[:, None]
    Z2 = 100 + np.arange(6.0)[:, None]
    W, Y = Strategy.training_pairs([(Z1, Z1), (Z2, Z2)], window_len=3, horizon=2)
    assert W.shape == (4 + 2, 3, 1) and Y.shape == (6, 2, 1)
    np.testing.assert_array_equal(W[0, :, 0], [0, 1, 2])
    np.testing.assert_array_equal(Y[0, :, 0], [3, 4])
    np.testing.assert_array_equal(W[4, :, 0], [100, 101, 102])
    np.testing.assert_array_equal(Y[-1, :, 0], [104, 105])
