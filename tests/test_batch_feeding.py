"""Windows as read-only views, checked on their rows, fed to the network batch by batch."""

import numpy as np
import pytest

from skrnn import LSTMRegressor, SlidingWindow
from skrnn._validation import check_finite, check_windows_finite, window_rows
from skrnn.preprocessing import window_view
from tests.conftest import F32, TINY


def _prices(n=160, k=3, seed=0):
    rng = np.random.default_rng(seed)
    return 100.0 * np.exp(np.cumsum(rng.normal(scale=0.01, size=(n, k)), axis=0))


def test_sliding_window_is_a_read_only_view_over_padded_rows():
    X = _prices(30, 2)
    W = SlidingWindow(5).fit_transform(X)
    assert W.shape == (30, 5, 2) and not W.flags.writeable
    assert not np.shares_memory(W, X)  # a copy of the rows, never the caller's array
    rows = window_rows(W)
    assert rows.shape == (34, 2) and np.shares_memory(W, rows)  # padded: 4 + 30 rows
    np.testing.assert_array_equal(rows[4:], X)
    np.testing.assert_array_equal(W, np.stack([rows[i:i + 5] for i in range(30)]))
    with pytest.raises(ValueError, match="read-only"):
        W[0, 0, 0] = 1.0


@pytest.mark.parametrize("step", [1, 2, 3])
def test_cheap_finiteness_check_raises_the_same_error(step):
    X = _prices(20, 2)
    X[9, 1] = np.nan
    X[13, 0] = np.inf
    view = window_view(X, 3)[1::step]
    with pytest.raises(ValueError) as full:
        check_finite(view, "X")
    with pytest.raises(ValueError) as cheap:
        check_windows_finite(view, "X")
    assert str(cheap.value) == str(full.value)
    assert "NaN" in str(cheap.value)


def test_regressor_rejects_nan_in_the_rows_under_a_view():
    view = window_view(np.where(np.arange(40)[:, None] == 17, np.nan, _prices(40, 2)), 4)
    with pytest.raises(ValueError) as cheap:
        LSTMRegressor(**TINY).fit(view, np.ones(len(view)))
    with pytest.raises(ValueError) as full:
        LSTMRegressor(**TINY).fit(np.array(view), np.ones(len(view)))
    assert str(cheap.value) == str(full.value) and "contains NaN at row 14" in str(cheap.value)


@pytest.mark.parametrize("limit", [0, None], ids=["batch-feeder", "arrays"])
def test_view_and_batches_predict_as_keras_on_the_materialised_array(limit, monkeypatch):
    """The feeder (view, per-batch zero-base, float32) trains the same network as plain arrays.

    ``limit=0`` forces the batch feeder of long series; by default data this
    small are scaled once and batched by Keras.
    """
    from skrnn import _keras

    if limit is not None:
        monkeypatch.setattr(_keras, "MATERIALISE_BYTES", limit)
    from skrnn._scaling import zero_base, zero_base_target

    X = _prices(150)  # 120 training windows: the last batch of 24 is filled up to 32
    y = X[:, 0] * 1.001
    params = dict(TINY, shuffle=False, normalize="zero_base", validation_fraction=0.2,
                  calibration_fraction=0.0, early_stopping=5, epochs=3)
    W = SlidingWindow(8).fit_transform(X)
    reg = LSTMRegressor(**params).fit(W, y)

    Xs, base = zero_base(np.array(W))
    Ys = zero_base_target(y, base)[:, None]
    n_train = len(W) - int(0.2 * len(W))
    _keras.set_global_seed(0)
    model = reg._build_model(8, 3, 1)
    model.fit(Xs[:n_train].astype(np.float32), Ys[:n_train].astype(np.float32),
              validation_data=(Xs[n_train:].astype(np.float32), Ys[n_train:].astype(np.float32)),
              epochs=3, batch_size=32, shuffle=False, verbose=0,
              callbacks=_keras.training_callbacks(early_stopping=5, has_validation=True,
                                                  lr_decay=None, lr_decay_every=10, extra=None))
    expected = base[:, 0] * (1 + model.predict_on_batch(Xs.astype(np.float32))[:, 0])
    np.testing.assert_allclose(reg.predict(W), expected, **F32)
    assert len(reg.history_["val_loss"]) == 3


@pytest.mark.parametrize("limit", [0, None], ids=["batch-feeder", "arrays"])
def test_shuffled_fit_on_a_view_equals_fit_on_its_copy_and_repeats(limit, monkeypatch):
    from skrnn import _keras

    if limit is not None:
        monkeypatch.setattr(_keras, "MATERIALISE_BYTES", limit)
    X = _prices(120, 2)
    W = SlidingWindow(6).fit_transform(X)
    y = X[:, 0]
    params = dict(TINY, shuffle=True, validation_fraction=0.1)
    a = LSTMRegressor(**params).fit(W, y).predict(W)
    b = LSTMRegressor(**params).fit(np.array(W), y).predict(np.array(W))
    np.testing.assert_allclose(a, b, **F32)


def test_fit_leaves_no_feeder_in_tensorflows_global_graph(monkeypatch):
    tf = pytest.importorskip("tensorflow")
    from skrnn import _keras

    monkeypatch.setattr(_keras, "MATERIALISE_BYTES", 0)
    from tensorflow.python.framework import ops

    W = SlidingWindow(4).fit_transform(_prices(60, 2))
    LSTMRegressor(**TINY).fit(W, W[:, -1, 0])  # tracing settled
    graph = ops.get_default_graph()
    before = len(getattr(graph, "_py_funcs_used_in_graph", []))
    LSTMRegressor(**dict(TINY, validation_fraction=0.2)).fit(W, W[:, -1, 0])
    assert tf.executing_eagerly()
    assert len(getattr(graph, "_py_funcs_used_in_graph", [])) == before


def test_the_tensorflow_feed_gives_the_feeders_batches_epoch_after_epoch():
    tf = pytest.importorskip("tensorflow")
    from skrnn import _keras
    from skrnn._scaling import ScaledWindows, make_window_scaler

    W = SlidingWindow(4).fit_transform(_prices(150, 2))
    y = np.asarray(W[:, -1, 0])
    source = ScaledWindows(W, make_window_scaler("zero_base", W), y[:, None])
    feeder = _keras.window_batches(source, np.arange(140), batch_size=8, shuffle=True, seed=3,
                                   repeat=True)
    assert feeder.batches_per_epoch == 18  # the last batch of an epoch has 4 windows
    pipeline = _keras.tf_window_feed(feeder)
    for epoch in range(3):  # Keras reads the pipeline once per epoch
        got = [tuple(np.asarray(t) for t in batch) for batch in pipeline]
        want = [feeder[epoch * 18 + k] for k in range(18)]
        assert [len(b[0]) for b in got] == [8] * 17 + [4]
        for g, w in zip(got, want):
            for a, b in zip(g, w):
                np.testing.assert_array_equal(a, b)


def test_array_batches_give_a_new_order_each_epoch_in_batches_of_one_shape():
    pytest.importorskip("tensorflow")
    from skrnn import _keras

    X = np.arange(20, dtype=np.float32)[:, None, None]
    dataset, steps = _keras.array_batches(X, X[:, 0], None, 6, seed=1)
    assert steps == 4
    assert dataset.element_spec[0].shape.as_list() == [6, 1, 1]  # one static batch shape
    batches = [tuple(np.asarray(t) for t in b) for b in dataset.take(3 * steps)]
    weights = np.concatenate([b[2] for b in batches[:steps]])
    # 20 windows = 3 batches of 6 + 2: the last batch is filled up with 4 copies of weight 0,
    # its own 2 windows weigh 6 / 2, so its mean loss is theirs
    np.testing.assert_array_equal(weights, [1] * 18 + [3, 3, 0, 0, 0, 0])
    epochs = []
    for e in range(3):
        rows = np.concatenate([b[0][:, 0, 0] for b in batches[e * steps:(e + 1) * steps]])
        assert sorted(rows[:20].tolist()) == list(range(20))  # every window once per epoch
        np.testing.assert_array_equal(rows[20:], rows[:4])  # the fill: the epoch's first rows
        epochs.append(rows[:20])
    assert not np.array_equal(epochs[0], epochs[1])
    again, _ = _keras.array_batches(X, X[:, 0], None, 6, seed=1)
    np.testing.assert_array_equal(
        np.concatenate([np.asarray(b[0])[:, 0, 0] for b in again.take(steps)])[:20],
        epochs[0])  # epoch 0 depends on the seed alone
    in_order, _ = _keras.array_batches(X, X[:, 0], 2.0 * np.ones(20), 6, seed=None, shuffle=False)
    first = [tuple(np.asarray(t) for t in b) for b in in_order.take(steps)]
    np.testing.assert_array_equal(np.concatenate([b[0][:, 0, 0] for b in first]),
                                  list(range(20)) + [0, 1, 2, 3])
    np.testing.assert_array_equal(np.concatenate([b[2] for b in first]),
                                  [2] * 18 + [6, 6, 0, 0, 0, 0])  # times the sample weights
    whole, one = _keras.array_batches(X[:5], X[:5, 0], None, 32, seed=0)  # batch_size > rows
    assert one == 1 and whole.element_spec[0].shape.as_list() == [5, 1, 1]
    assert len(whole.element_spec) == 2  # no remainder, no weights


@pytest.mark.parametrize("loss", ["MeanSquaredError", "MeanAbsoluteError", "Huber", "LogCosh"])
def test_a_filled_up_batch_has_the_loss_and_gradients_of_its_own_rows(loss):
    """The rule of last_batch_weights, checked on Keras' losses themselves."""
    tf = pytest.importorskip("tensorflow")
    import keras

    from skrnn import _keras

    rng = np.random.default_rng(0)
    y, x = rng.normal(size=(5, 1)).astype(np.float32), rng.normal(size=(5, 3)).astype(np.float32)
    weights = _keras.last_batch_weights(13, 8)[8:]  # 13 rows, batches of 8: the last has 5
    np.testing.assert_allclose(weights, [8 / 5] * 5 + [0] * 3)
    fill = np.concatenate([np.arange(5), np.arange(3)])  # the epoch's first rows again
    kernel = tf.Variable(rng.normal(size=(3, 1)).astype(np.float32))
    fn = getattr(keras.losses, loss)()  # as compile(loss="mse") wraps it: reduced over the batch

    def loss_and_grad(xs, ys, w=None):
        with tf.GradientTape() as tape:
            value = fn(ys, tf.matmul(xs, kernel), sample_weight=w)
        return float(value), tape.gradient(value, kernel).numpy()

    own = loss_and_grad(x, y)
    filled = loss_and_grad(x[fill], y[fill], weights)
    np.testing.assert_allclose(filled[0], own[0], rtol=1e-6)
    np.testing.assert_allclose(filled[1], own[1], rtol=1e-5, atol=1e-7)


def test_the_training_feed_fills_the_last_batch_of_every_epoch():
    pytest.importorskip("tensorflow")
    from skrnn import _keras
    from skrnn._scaling import ScaledWindows, make_window_scaler

    W = SlidingWindow(4).fit_transform(_prices(150, 2))
    y = np.asarray(W[:, -1, 0])
    source = ScaledWindows(W, make_window_scaler("zero_base", W), y[:, None])
    feeder = _keras.window_batches(source, np.arange(140), batch_size=8, shuffle=True, seed=3,
                                   repeat=True)
    pipeline = _keras.tf_window_feed(feeder, fill=True)
    assert pipeline.element_spec[0].shape.as_list() == [8, 4, 2]
    for epoch in range(2):
        got = [tuple(np.asarray(t) for t in batch) for batch in pipeline]
        want = [feeder[epoch * 18 + k] for k in range(18)]
        assert len(got) == 18 and all(len(b[0]) == 8 for b in got)
        for g, w in zip(got[:17], want[:17]):
            np.testing.assert_array_equal(g[0], w[0])
            np.testing.assert_array_equal(g[2], np.ones(8, np.float32))
        np.testing.assert_array_equal(got[17][0][:4], want[17][0])  # the epoch's last 4 windows
        np.testing.assert_array_equal(got[17][0][4:], want[0][0][:4])  # then its first 4 again
        np.testing.assert_array_equal(got[17][2], [2, 2, 2, 2, 0, 0, 0, 0])
