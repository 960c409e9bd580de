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

    X = _prices()
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


def test_seeded_shuffled_batches_give_a_new_order_each_epoch():
    pytest.importorskip("tensorflow")
    from skrnn import _keras

    X = np.arange(20, dtype=np.float32)[:, None, None]
    dataset, steps = _keras.seeded_shuffled_batches(X, X[:, 0], None, 6, seed=1)
    assert steps == 4
    batches = [np.asarray(b[0])[:, 0, 0] for b in dataset.take(3 * steps)]
    assert [len(b) for b in batches] == [6, 6, 6, 2] * 3  # epochs end where they should
    epochs = [np.concatenate(batches[e * steps:(e + 1) * steps]) for e in range(3)]
    for order in epochs:
        assert sorted(order.tolist()) == list(range(20))  # every window once per epoch
    assert not np.array_equal(epochs[0], epochs[1])
    again, _ = _keras.seeded_shuffled_batches(X, X[:, 0], None, 6, seed=1)
    np.testing.assert_array_equal(
        np.concatenate([np.asarray(b[0])[:, 0, 0] for b in again.take(steps)]),
        epochs[0])  # epoch 0 depends on the seed alone
