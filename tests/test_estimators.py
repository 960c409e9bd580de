"""The recurrent regressors and the zero-base meta-estimator."""

import os
import pickle
import subprocess
import sys
import textwrap

import joblib
import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline

from skrnn import (
    FlattenWindows,
    GRURegressor,
    LSTMRegressor,
    RNNRegressor,
    SimpleRNNRegressor,
    SlidingWindow,
    ZeroBaseRegressor,
    make_supervised,
    zero_base,
    zero_base_target,
)

from .conftest import F32

#: Whether this run uses TensorFlow (CI reruns these tests with KERAS_BACKEND=jax).
ON_TENSORFLOW = os.environ.get("KERAS_BACKEND", "tensorflow") == "tensorflow"


@pytest.fixture
def windows(rng):
    X = rng.normal(size=(96, 6, 3)).astype(np.float64)
    y = X[:, -1, 0] + 0.5 * X[:, -2, 1]
    return X, y


@pytest.fixture
def prices(eth):
    """Zero-base friendly windows of real ETH prices (positive values)."""
    X, y = make_supervised(eth.iloc[-260:], "close")
    W = SlidingWindow(8).fit_transform(X)[7:]
    return W, y.to_numpy()[7:]


@pytest.mark.parametrize("cls", [LSTMRegressor, GRURegressor, SimpleRNNRegressor])
def test_fit_predict_shapes_and_history(cls, windows, tiny):
    X, y = windows
    reg = cls(**{**tiny, "validation_fraction": 0.2}).fit(X, y)
    assert reg.predict(X).shape == (96,)
    assert reg.n_features_in_ == 3 and reg.n_timesteps_in_ == 6 and reg.n_outputs_ == 1
    assert set(reg.history_) >= {"loss", "val_loss"}
    assert reg.n_epochs_ == len(reg.history_["loss"]) == 2
    cell = {"LSTMRegressor": "LSTM", "GRURegressor": "GRU", "SimpleRNNRegressor": "SimpleRNN"}
    assert type(reg.model_.layers[1]).__name__ == cell[cls.__name__]
    assert "cell" not in reg.get_params()


def test_two_dimensional_input_means_univariate_windows(windows, tiny):
    X, y = windows
    reg = LSTMRegressor(**tiny).fit(X[:, :, 0], y)
    assert reg.n_features_in_ == 6 and reg.model_.input_shape == (None, 6, 1)
    assert reg.predict(X[:5, :, 0]).shape == (5,)


def test_multi_output_mimo(windows, tiny):
    X, y = windows
    Y = np.column_stack([y, 2 * y, -y])
    reg = GRURegressor(**tiny, calibration_fraction=0.25).fit(X, Y)
    assert reg.predict(X).shape == (96, 3) and reg.n_outputs_ == 3
    assert reg.predict_samples(X[:4], n_samples=5).shape == (5, 4, 3)
    lo, hi = reg.predict_interval(X[:4], n_samples=20)
    assert lo.shape == hi.shape == (4, 3) and np.all(lo <= hi)


def test_architecture_is_built_from_parameters(windows, tiny):
    X, y = windows
    reg = LSTMRegressor(**{**tiny, "units": (5, 3)}, bidirectional=True, dense_units=4).fit(X, y)
    kinds = [type(layer).__name__ for layer in reg.model_.layers]
    assert kinds == ["InputLayer", "Bidirectional", "Dropout", "Bidirectional", "Dropout",
                     "Dense", "Dropout", "Dense"]
    assert reg.model_.layers[1].forward_layer.return_sequences is True
    assert reg.model_.layers[3].forward_layer.return_sequences is False


def test_lab_model_is_one_constructor_call():
    lab = LSTMRegressor(units=256, dropout=0.2, epochs=100, batch_size=32, early_stopping=10,
                        lr_decay=0.75, lr_decay_every=10, normalize="zero_base")
    model = lab._build_model(10, 5, 1)
    kinds = [(type(layer).__name__, getattr(layer, "units", getattr(layer, "rate", None)))
             for layer in model.layers]
    assert kinds == [("InputLayer", None), ("LSTM", 256), ("Dropout", 0.2), ("Dense", 1)]
    assert type(model.optimizer).__name__ == "Adam"


def test_validation_is_the_last_part_of_the_training_windows(windows, tiny):
    X, y = windows
    reg = LSTMRegressor(**{**tiny, "epochs": 1, "validation_fraction": 0.25}, dropout=0.0,
                        normalize=None, calibration_fraction=0.0).fit(X, y)
    last = reg.model_.evaluate(X[72:].astype("float32"), y[72:, None].astype("float32"), verbose=0)
    first = reg.model_.evaluate(X[:24].astype("float32"), y[:24, None].astype("float32"), verbose=0)
    assert reg.history_["val_loss"][0] == pytest.approx(last, rel=1e-5)
    assert reg.history_["val_loss"][0] != pytest.approx(first, rel=1e-3)


def test_learning_rate_decays_like_the_lab(windows, tiny):
    X, y = windows
    reg = LSTMRegressor(**{**tiny, "epochs": 12}, lr_decay=0.75, lr_decay_every=5,
                        learning_rate=0.01).fit(X[:32], y[:32])
    lr = np.array(reg.history_["learning_rate"])
    np.testing.assert_allclose(lr, [0.01] * 5 + [0.0075] * 5 + [0.005625] * 2, rtol=1e-6)


def test_early_stopping_stops_and_restores(windows, tiny):
    X, y = windows
    reg = LSTMRegressor(**{**tiny, "epochs": 60, "early_stopping": 2, "validation_fraction": 0.3},
                        learning_rate=0.2, normalize=None, calibration_fraction=0.0).fit(X, y)
    assert reg.n_epochs_ < 60
    best = min(reg.history_["val_loss"])
    val = reg.model_.evaluate(X[-28:].astype("float32"), y[-28:, None].astype("float32"), verbose=0)
    # best weights restored (dropout is off in evaluate, as in validation)
    assert val == pytest.approx(best, rel=1e-4)


def test_sample_weight_changes_the_fit(windows, tiny):
    X, y = windows
    w = np.where(np.arange(96) < 48, 0.0, 1.0)
    a = LSTMRegressor(**tiny).fit(X, y).predict(X[:5])
    b = LSTMRegressor(**tiny).fit(X, y, sample_weight=w).predict(X[:5])
    assert not np.allclose(a, b)


# ------------------------------------------------------------ zero-base
def test_zero_base_option_predicts_in_data_units(prices, tiny):
    W, y = prices
    reg = LSTMRegressor(**tiny, normalize="zero_base").fit(W, y)
    pred = reg.predict(W)
    # a tiny untrained-ish network still predicts near the window's price level
    # (a bound the initial weights TensorFlow draws from seed 0 meet; JAX's do not)
    if ON_TENSORFLOW:
        assert np.all(np.abs(pred / W[:, -1, 0] - 1) < 0.5)
    assert pred.mean() == pytest.approx(y.mean(), rel=0.5)


def test_zero_base_option_is_the_zero_base_regressor(prices, tiny):
    W, y = prices
    a = LSTMRegressor(**tiny, normalize="zero_base").fit(W, y).predict(W[:10])
    b = ZeroBaseRegressor(LSTMRegressor(**tiny)).fit(W, y).predict(W[:10])
    np.testing.assert_allclose(a, b, **F32)


def test_zero_base_regressor_with_ridge_matches_independent_computation(prices):
    W, y = prices
    reg = ZeroBaseRegressor(make_pipeline(FlattenWindows(), Ridge(alpha=1e-3))).fit(W, y)
    # independent: scale by hand, fit Ridge on flattened windows, scale back
    base = np.where(W[:, 0, :] == 0, 1.0, W[:, 0, :])
    Xs = (W / base[:, None, :] - 1).reshape(len(W), -1)
    ys = y / base[:, 0] - 1
    expected = base[:, 0] * (1 + Ridge(alpha=1e-3).fit(Xs, ys).predict(Xs))
    np.testing.assert_allclose(reg.predict(W), expected, rtol=1e-10)


def test_zero_base_regressor_target_channel(prices):
    W, y = prices
    W2 = W[:, :, ::-1].copy()  # target "close" is now the last channel
    a = ZeroBaseRegressor(make_pipeline(FlattenWindows(), Ridge()), target_channel=0).fit(W, y)
    b = ZeroBaseRegressor(make_pipeline(FlattenWindows(), Ridge()), target_channel=4).fit(W2, y)
    np.testing.assert_allclose(a.predict(W), b.predict(W2), rtol=1e-8)


def test_zero_base_regressor_wraps_a_scikeras_model(prices):
    scikeras = pytest.importorskip("scikeras.wrappers")
    import keras

    def build(meta):
        n_t, n_f = meta["X_shape_"][1:]
        return keras.Sequential([keras.Input((n_t, n_f)), keras.layers.LSTM(4), keras.layers.Dense(1)])

    W, y = prices
    inner = scikeras.KerasRegressor(model=build, loss="mse", optimizer="adam", epochs=2,
                                    batch_size=32, verbose=0, random_state=0)
    reg = ZeroBaseRegressor(inner).fit(W, y)
    pred = reg.predict(W[:20])
    scaled, base = zero_base(W[:20])
    expected = base[:, 0] * (1 + reg.regressor_.predict(scaled).ravel())
    np.testing.assert_allclose(pred, expected, **F32)
    if ON_TENSORFLOW:  # the bound of test_zero_base_option_predicts_in_data_units
        assert np.all(np.abs(pred / W[:20, -1, 0] - 1) < 0.5)


# ------------------------------------------------------------ Monte-Carlo dropout
def test_mc_dropout_samples_quantiles_and_intervals(prices, tiny):
    W, y = prices
    reg = LSTMRegressor(**tiny, dropout=0.3, normalize="zero_base", n_samples=50,
                        interval="mc").fit(W, y)
    S = reg.predict_samples(W[:30])
    assert S.shape == (50, 30)
    assert np.all(S.std(axis=0) > 0)
    q = reg.predict_quantiles(W[:30], quantiles=[0.05, 0.5, 0.95])
    assert q.shape == (30, 3)
    # quantiles of a fresh set of draws lie inside the range of these draws' spread
    assert np.all(q[:, 1] > S.min(axis=0) - 3 * S.std(axis=0))
    assert np.all(q[:, 0] <= q[:, 1]) and np.all(q[:, 1] <= q[:, 2])
    lo, hi = reg.predict_interval(W[:30], coverage=0.9)
    assert np.all(lo <= hi)
    # data units: the band sits around the window's own price
    assert np.all(np.abs((lo + hi) / 2 / W[:30, -1, 0] - 1) < 0.5)
    with pytest.raises(ValueError, match="coverage"):
        reg.predict_interval(W[:3], coverage=1.5)


def test_mc_samples_match_independent_inverse(prices, tiny):
    W, y = prices
    reg = ZeroBaseRegressor(LSTMRegressor(**tiny, dropout=0.3, n_samples=7)).fit(W, y)
    S = reg.predict_samples(W[:4])
    assert S.shape == (7, 4)
    inner = reg.regressor_.predict_samples(zero_base(W[:4])[0], n_samples=7)
    assert inner.shape == (7, 4)
    # both are draws; their location must agree after the inverse transform
    assert np.allclose(np.median(S, 0), W[:4, 0, 0] * (1 + np.median(inner, 0)), rtol=0.05)


def test_mc_dropout_needs_dropout(windows, tiny):
    X, y = windows
    reg = LSTMRegressor(**tiny, dropout=0.0).fit(X, y)
    with pytest.raises(ValueError, match="needs dropout > 0"):
        reg.predict_samples(X[:2])


# ------------------------------------------------------------ reproducibility, persistence
def test_same_seed_same_predictions(windows, tiny):
    X, y = windows
    a = LSTMRegressor(**tiny).fit(X, y).predict(X)
    b = LSTMRegressor(**tiny).fit(X, y).predict(X)
    np.testing.assert_array_equal(a, b)
    c = LSTMRegressor(**{**tiny, "random_state": 1}).fit(X, y).predict(X)
    assert not np.allclose(a, c)


_CROSS_PROCESS = textwrap.dedent("""
    import numpy as np, sys
    from skrnn import LSTMRegressor
    rng = np.random.default_rng(0)
    X = rng.normal(size=(96, 6, 3)); y = X[:, -1, 0] + 0.5 * X[:, -2, 1]
    reg = LSTMRegressor(units=4, epochs=2, early_stopping=None, validation_fraction=0.0,
                        random_state=0).fit(X, y)
    sys.stdout.write(reg.predict(X[:8]).astype(np.float64).tobytes().hex())
""")


def test_same_seed_same_predictions_across_processes(windows, tiny):
    env = {"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin",  # the backend of this run
           "KERAS_BACKEND": os.environ.get("KERAS_BACKEND", "tensorflow")}
    outs = [subprocess.run([sys.executable, "-c", _CROSS_PROCESS], capture_output=True,
                           text=True, check=True, env=env).stdout for _ in range(2)]
    assert outs[0] == outs[1] and len(outs[0]) == 8 * 16
    X, y = windows
    here = LSTMRegressor(**tiny).fit(X, y).predict(X[:8])
    np.testing.assert_allclose(np.frombuffer(bytes.fromhex(outs[0])), here, **F32)


def test_pickle_and_joblib_round_trip_of_a_pipeline(eth, tiny, tmp_path):
    X, y = make_supervised(eth.iloc[-200:], "close")
    pipe = make_pipeline(SlidingWindow(5), LSTMRegressor(**tiny, normalize="zero_base"))
    pipe.fit(X.iloc[:150], y.iloc[:150])
    before = pipe.predict(X.iloc[150:])
    again = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_allclose(again.predict(X.iloc[150:]), before, **F32)
    joblib.dump(pipe, tmp_path / "pipe.joblib")
    np.testing.assert_allclose(joblib.load(tmp_path / "pipe.joblib").predict(X.iloc[150:]), before, **F32)
    assert again[-1].history_ == pipe[-1].history_


# ------------------------------------------------------------ bad input
def test_not_fitted(windows):
    X, _ = windows
    for est in (LSTMRegressor(), ZeroBaseRegressor(Ridge())):
        with pytest.raises(NotFittedError):
            est.predict(X)


def test_bad_input_gets_clear_errors(windows, tiny):
    X, y = windows
    reg = LSTMRegressor(**tiny)
    bad = X.copy()
    bad[3, 2, 1] = np.nan
    with pytest.raises(ValueError, match="X contains NaN at row 3"):
        reg.fit(bad, y)
    ybad = y.copy()
    ybad[7] = np.inf
    with pytest.raises(ValueError, match="y contains inf"):
        reg.fit(X, ybad)
    with pytest.raises(ValueError, match="y has 95 rows but X has 96 windows"):
        reg.fit(X, y[:-1])
    with pytest.raises(ValueError, match="expects windows: a 3D array"):
        reg.fit(X[:, :, :, None], y)
    with pytest.raises(ValueError, match="y must be 1D"):
        reg.fit(X, y[:, None, None])
    reg.fit(X, y)
    with pytest.raises(ValueError, match="X has 2 features, but LSTMRegressor is expecting 3"):
        reg.predict(X[:, :, :2])
    with pytest.raises(ValueError, match="windows of 5 time steps"):
        reg.predict(X[:, :5, :])
    with pytest.raises(ValueError, match="fitted on 3D input"):
        reg.predict(X[:, :, 0])


@pytest.mark.parametrize("params, match", [
    (dict(cell="lstmx"), "'cell' parameter of RNNRegressor must be a str among"),
    (dict(units=0), r"'units' parameter of RNNRegressor must be an int in the range \[1, inf\)"),
    (dict(units=(4, "a")), "units must be a positive int"),
    (dict(dropout=1.0), r"'dropout' parameter of RNNRegressor must be a float in the range \[0.0, 1.0\)"),
    (dict(validation_fraction=1.0), "'validation_fraction' parameter"),
    (dict(normalize="minmax"), "'normalize' parameter of RNNRegressor must be a str among .*'zero_base'.* or None"),
    (dict(optimizer="nonsense"), "Unknown Keras optimizer"),
    (dict(loss="nonsense"), "Unknown Keras loss 'nonsense'"),
    (dict(callbacks=["x"]), "callbacks must be keras.callbacks.Callback"),
    (dict(lr_decay=2.0), "'lr_decay' parameter"),
    (dict(random_state=1.5), "'random_state' parameter"),
    (dict(batch_size=True), "'batch_size' parameter of RNNRegressor must be an int"),
])
def test_bad_parameters(params, match, windows):
    X, y = windows
    with pytest.raises(ValueError, match=match):
        RNNRegressor(epochs=1, **params).fit(X, y)


def test_zero_base_regressor_defaults_to_ridge_on_flattened_windows(windows):
    X, y = windows
    X = X + 5.0  # positive levels, as zero-base expects
    default = ZeroBaseRegressor().fit(X, y).predict(X)
    explicit = ZeroBaseRegressor(make_pipeline(FlattenWindows(), Ridge())).fit(X, y).predict(X)
    np.testing.assert_array_equal(default, explicit)
    assert ZeroBaseRegressor().get_params()["regressor"] is None  # clone-safe default


def test_zero_base_target_scale_is_the_channels(prices):
    W, y = prices
    _, base = zero_base(W)
    np.testing.assert_allclose(zero_base_target(y, base), y / W[:, 0, 0] - 1)


def test_seeded_intervals_are_repeatable_and_survive_pickling(prices, tiny):
    W, y = prices
    reg = LSTMRegressor(**tiny, dropout=0.3, n_samples=20).fit(W, y)
    a = reg.predict_samples(W[:6])
    np.testing.assert_array_equal(a, reg.predict_samples(W[:6]))
    np.testing.assert_array_equal(a, pickle.loads(pickle.dumps(reg)).predict_samples(W[:6]))
    assert np.all(a.std(axis=0) > 0)
    free = LSTMRegressor(**{**tiny, "random_state": None}, dropout=0.3, n_samples=20).fit(W, y)
    assert not np.array_equal(free.predict_samples(W[:6]), free.predict_samples(W[:6]))


def test_only_the_retracing_hint_is_hidden_and_only_inside_skrnn_calls():
    import logging

    from skrnn._keras import quiet_retracing

    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("tensorflow")
    level = logger.level  # the CLI tests may have raised it to ERROR in this process
    logger.setLevel(logging.WARNING)
    logger.addHandler(handler)
    hint = "5 out of the last 5 calls to <function f> triggered tf.function retracing."
    try:
        with quiet_retracing():
            logger.warning(hint)
            logger.warning("something else")
        logger.warning(hint)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert [r.getMessage() for r in records] == ["something else", hint]
    assert logger.filters == []
