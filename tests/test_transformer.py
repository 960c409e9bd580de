"""The Transformer regressor: the same window-network contract as the recurrent ones."""

import inspect
import pickle

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline

from skrnn import RNNRegressor, SlidingWindow, TransformerRegressor, make_supervised
from skrnn._network import SHARED_CONSTRAINTS
from skrnn.utils.estimator_checks import expected_failed_checks

from .conftest import F32, TINY_TRANSFORMER


@pytest.fixture(scope="module")
def windows():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 6, 3))
    y = X[:, -1, 0] + 0.5 * X[:, -2, 1]
    return X, y


@pytest.fixture(scope="module")
def fitted(windows):
    X, y = windows
    return TransformerRegressor(**TINY_TRANSFORMER, calibration_fraction=0.2, n_samples=20).fit(X, y)


# ------------------------------------------------------------ the contract
def test_shares_the_window_network_parameters_and_their_defaults():
    rnn = inspect.signature(RNNRegressor).parameters
    own = inspect.signature(TransformerRegressor).parameters
    shared = {name for name in SHARED_CONSTRAINTS if name != "dropout"}
    assert shared <= set(own)
    assert {n: own[n].default for n in shared} == {n: rnn[n].default for n in shared}
    assert set(TransformerRegressor()._parameter_constraints) >= set(own)
    doc = TransformerRegressor.__doc__
    assert all(f"\n    {name} :" in doc for name in own), [n for n in own if f"{n} :" not in doc]
    assert expected_failed_checks(TransformerRegressor()) == expected_failed_checks(RNNRegressor())


def test_fit_predict_shapes_and_layers(fitted, windows):
    X, _ = windows
    assert fitted.predict(X).shape == (150,)
    assert fitted.n_features_in_ == 3 and fitted.n_timesteps_in_ == 6 and fitted.n_outputs_ == 1
    assert fitted.n_epochs_ == len(fitted.history_["loss"]) == 2
    kinds = [type(layer).__name__ for layer in fitted.model_.layers]
    assert kinds.count("MultiHeadAttention") == 1 and kinds.count("LayerNormalization") == 3
    mha = next(layer for layer in fitted.model_.layers if type(layer).__name__ == "MultiHeadAttention")
    assert mha.num_heads == 1 and mha.key_dim == 4 and mha.dropout == 0.1
    assert fitted.model_.get_layer("projection").units == 4  # d_model = n_heads * key_dim


def test_seeded_fit_is_reproducible(fitted, windows):
    X, y = windows
    again = TransformerRegressor(**TINY_TRANSFORMER, calibration_fraction=0.2, n_samples=20).fit(X, y)
    np.testing.assert_allclose(again.predict(X), fitted.predict(X), **F32)
    other = TransformerRegressor(**{**TINY_TRANSFORMER, "random_state": 1}).fit(X, y)
    assert not np.allclose(other.predict(X), fitted.predict(X))


def test_mc_samples_vary_and_calibrated_intervals(fitted, windows):
    X, _ = windows
    S = fitted.predict_samples(X[:8])
    assert S.shape == (20, 8) and np.all(S.std(axis=0) > 0)
    np.testing.assert_array_equal(S, fitted.predict_samples(X[:8]))  # seeded draws repeat
    assert fitted.calibration_.n_calibration_ == 30
    lo, hi = fitted.predict_interval(X[:8], coverage=0.9)
    assert lo.shape == hi.shape == (8,) and np.all(lo < hi)
    q = fitted.predict_quantiles(X[:8], quantiles=[0.05, 0.5, 0.95])
    assert q.shape == (8, 3) and np.all(np.diff(q, axis=1) >= 0)
    pred, std = fitted.predict(X[:8], return_std=True)
    assert pred.shape == std.shape == (8,) and np.all(std > 0)
    with pytest.raises(ValueError, match="needs dropout > 0; this model"):
        TransformerRegressor(dropout=0.0).predict_samples(X[:2])


def test_pickle_round_trip_keeps_predictions_and_intervals(fitted, windows):
    X, _ = windows
    again = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_allclose(again.predict(X[:8]), fitted.predict(X[:8]), **F32)
    np.testing.assert_allclose(again.predict_interval(X[:8]), fitted.predict_interval(X[:8]), **F32)
    np.testing.assert_array_equal(again.predict_samples(X[:8]), fitted.predict_samples(X[:8]))
    assert again.history_ == fitted.history_


# ------------------------------------------------------------ positional encodings, pooling
def test_sinusoidal_encoding_is_the_original_transformers():
    keras = pytest.importorskip("keras")
    model = TransformerRegressor(n_heads=2, key_dim=3, random_state=0)._build_model(7, 2, 1)
    proj = model.get_layer("projection")
    proj.set_weights([np.zeros_like(w) for w in proj.get_weights()])
    added = model.layers[model.layers.index(proj) + 1]
    out = keras.Model(model.inputs, added.output).predict_on_batch(np.ones((1, 7, 2), "float32"))[0]
    t, i = np.arange(7)[:, None], np.arange(6)[None, :]
    angle = t / 10000 ** (2 * (i // 2) / 6)  # channels 2k and 2k+1 share the frequency
    np.testing.assert_allclose(out, np.where(i % 2 == 0, np.sin(angle), np.cos(angle)), atol=1e-6)


def test_learned_encoding_average_pooling_and_mimo_survive_pickling(windows):
    X, y = windows
    Y = np.column_stack([y, 2 * y, -y])
    reg = TransformerRegressor(**TINY_TRANSFORMER, positional="learned", pooling="average",
                               dense_units=3, calibration_fraction=0.2, n_samples=5).fit(X, Y)
    kinds = [type(layer).__name__ for layer in reg.model_.layers]
    assert "GlobalAveragePooling1D" in kinds
    positions = reg.model_.get_layer("positions")
    assert positions.trainable and positions.get_weights()[0].shape == (6, 4)
    assert reg.predict(X[:4]).shape == (4, 3) and reg.n_outputs_ == 3
    assert reg.predict_samples(X[:4]).shape == (5, 4, 3)
    lo, hi = reg.predict_interval(X[:4])
    assert lo.shape == hi.shape == (4, 3) and np.all(lo < hi)
    again = pickle.loads(pickle.dumps(reg))
    np.testing.assert_allclose(again.predict(X[:4]), reg.predict(X[:4]), **F32)


def test_without_positional_encoding_nothing_is_added():
    model = TransformerRegressor(positional=None, pooling="average")._build_model(5, 2, 1)
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds[:3] == ["InputLayer", "Dense", "Dropout"] and "Embedding" not in kinds


# ------------------------------------------------------------ in pipelines and forecasters
def test_inside_a_pipeline_with_sliding_window(eth):
    X, y = make_supervised(eth.iloc[-200:], "close")
    pipe = make_pipeline(SlidingWindow(5), TransformerRegressor(**TINY_TRANSFORMER))
    pred = pipe.fit(X.iloc[:150], y.iloc[:150]).predict(X.iloc[150:])
    assert pred.shape == (len(X) - 150,)
    # normalize="auto" predicts a return on the last close: back in USD, near the price
    assert np.all(np.abs(pred / X["close"].iloc[150:].to_numpy() - 1) < 0.5)


def test_inside_rnn_forecaster_mimo():
    pd = pytest.importorskip("pandas")
    pytest.importorskip("sktime")
    from skrnn.forecasting import RNNForecaster

    rng = np.random.default_rng(0)
    y = pd.Series(100 + np.cumsum(rng.normal(size=80)), name="y")
    est = TransformerRegressor(**TINY_TRANSFORMER, n_samples=20, interval="mc")
    forecaster = RNNForecaster(est, window_len=4, strategy="mimo").fit(y, fh=[1, 2, 3])
    net = forecaster.estimators_[0]
    assert isinstance(net, TransformerRegressor) and net.n_outputs_ == 3  # one network, 2D y
    pred = forecaster.predict()
    assert pred.shape == (3,) and np.all(np.isfinite(pred))
    band = forecaster.predict_interval(coverage=0.9)
    assert band.shape == (3, 2) and np.all(band.iloc[:, 0] < band.iloc[:, 1])


# ------------------------------------------------------------ bad parameters
@pytest.mark.parametrize("params, match", [
    (dict(n_heads=0), r"'n_heads' parameter of TransformerRegressor must be an int in the range \[1, inf\)"),
    (dict(key_dim=2.5), "'key_dim' parameter of TransformerRegressor must be an int"),
    (dict(n_blocks=0), "'n_blocks' parameter"),
    (dict(positional="rotary"), "'positional' parameter of TransformerRegressor must be a str "
                                "among .*'learned'.* or None"),
    (dict(pooling="max"), "'pooling' parameter of TransformerRegressor must be a str among"),
    (dict(dense_units=(4, "a")), "dense_units must be a positive int"),
    (dict(dropout=1.0), r"'dropout' parameter of TransformerRegressor must be a float in the range \[0.0, 1.0\)"),
    (dict(normalize="minmax"), "'normalize' parameter of TransformerRegressor"),
])
def test_bad_parameters(params, match, windows):
    X, y = windows
    with pytest.raises(ValueError, match=match):
        TransformerRegressor(epochs=1, **params).fit(X, y)


def test_study_trains_it_with_the_lab_protocol():
    from skrnn.study import StudyConfig, lab_regressor

    config = StudyConfig(seed=3)
    lstm, net = lab_regressor("lstm", config), lab_regressor("transformer", config)
    assert isinstance(net, TransformerRegressor)
    assert (net.n_heads, net.key_dim, net.ff_units, net.n_blocks) == (4, 16, 256, 2)
    training = {n for n in SHARED_CONSTRAINTS if n != "callbacks"}
    assert {n: getattr(net, n) for n in training} == {n: getattr(lstm, n) for n in training}
