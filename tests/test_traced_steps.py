"""Fits of the same kind reuse one traced train step and one traced forward pass,
and end exactly where a network training itself would."""

import random

import numpy as np
import pytest

from skrnn import GRURegressor, LSTMRegressor
from skrnn import _keras
from tests.conftest import F32, TINY

tf = pytest.importorskip("tensorflow")
pytestmark = pytest.mark.skipif(
    _keras.import_keras().backend.backend() != "tensorflow",
    reason="twins are kept on TensorFlow only")


def _data(seed=0, n=90):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 6, 2)) + 3
    return X, X[:, -1, 0] + 0.1 * rng.normal(size=n)


@pytest.fixture
def pool(monkeypatch):
    """A fresh, empty pool of twins and of forward passes for one test."""
    steps, forwards = _keras.TracedSteps(size=4), _keras._Forwards(size=4)
    monkeypatch.setattr(_keras, "TRACED_STEPS", steps)
    monkeypatch.setattr(_keras, "_FORWARDS", forwards)
    yield steps
    steps.clear()


def _own(monkeypatch, est, X, y):
    """``est`` fitted with no twin and no shared forward pass: the network trains itself."""
    monkeypatch.setattr(_keras, "TRACED_STEPS", _keras.TracedSteps(size=0))
    monkeypatch.setattr(_keras, "_FORWARDS", _keras._Forwards(size=0))
    return est.fit(X, y)


def _tracings(twin):
    fns = [c.cell_contents for f in (twin.train_function, twin.test_function) if f is not None
           for c in f.__closure__ or () if hasattr(c.cell_contents, "experimental_get_tracing_count")]
    return sum(f.experimental_get_tracing_count() for f in fns)


def test_a_reused_twin_trains_the_network_a_fit_of_its_own_would(pool, monkeypatch):
    X, y = _data()
    X2, y2 = _data(1)
    params = dict(TINY, dropout=0.2, validation_fraction=0.2, random_state=3)
    LSTMRegressor(**dict(params, learning_rate=0.05)).fit(X2, y2)  # the twin's first fit: other data
    assert len(pool) == 1
    twin = next(iter(pool._idle.values()))[0]
    traced = _tracings(twin)
    shared = LSTMRegressor(**params).fit(X, y)
    assert _tracings(twin) == traced  # the same traced steps ran again
    assert next(iter(pool._idle.values()))[0] is twin

    own = _own(monkeypatch, LSTMRegressor(**params), X, y)
    np.testing.assert_allclose(shared.predict(X[:7]), own.predict(X[:7]), **F32)
    assert shared.history_.keys() == own.history_.keys()
    for key, values in shared.history_.items():
        np.testing.assert_allclose(values, own.history_[key], **F32)
    # the network holds the end state: weights, dropout seeds, optimizer step count and moments
    for a, b in zip(shared.model_.variables + shared.model_.optimizer.variables,
                    own.model_.variables + own.model_.optimizer.variables):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), **F32)
    assert int(shared.model_.optimizer.iterations) == int(own.model_.optimizer.iterations) > 0


def test_twins_are_kept_per_kind_and_bounded(pool):
    X, y = _data()
    LSTMRegressor(**TINY).fit(X, y)
    LSTMRegressor(**TINY, learning_rate=0.01).fit(X, y)  # a variable: same kind
    assert len(pool) == 1
    LSTMRegressor(**dict(TINY, units=3)).fit(X, y)
    GRURegressor(**TINY).fit(X, y)
    LSTMRegressor(**dict(TINY, loss="mae")).fit(X, y)
    assert len(pool._idle) == 4
    LSTMRegressor(**dict(TINY, optimizer="rmsprop")).fit(X, y)
    assert len(pool) == 4  # the least recently used went


def test_a_failed_fit_gives_no_twin_back(pool):
    keras = _keras.import_keras()

    class Boom(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise RuntimeError("stop here")

    X, y = _data()
    with pytest.raises(RuntimeError, match="stop here"):
        LSTMRegressor(**TINY, callbacks=[Boom()]).fit(X, y)
    assert len(pool) == 0
    LSTMRegressor(**TINY).fit(X, y)
    assert len(pool) == 1


def test_networks_built_alike_share_one_traced_forward_pass(pool, monkeypatch):
    X, y = _data()
    a = LSTMRegressor(**dict(TINY, random_state=1)).fit(X, y)
    b = LSTMRegressor(**dict(TINY, random_state=2)).fit(X, y)
    assert len(_keras._FORWARDS._traced) == 1
    pa, pb = a.predict(X), b.predict(X)
    assert not np.allclose(pa, pb)  # each runs with its own weights
    own = _own(monkeypatch, LSTMRegressor(**dict(TINY, random_state=2)), X, y)
    np.testing.assert_allclose(pb, own.predict(X), **F32)


def test_a_seed_resets_every_stream_but_keeps_the_prepared_functions():
    _keras.set_global_seed(11)
    first = (random.random(), np.random.rand())
    assert _keras._tf_global_seed() is not None
    _keras.set_global_seed(11)  # TensorFlow's global seed is set: its caches stay
    assert (random.random(), np.random.rand()) == first
    _keras.set_global_seed(12)
    assert random.random() != first[0]


def test_fits_with_other_seeds_in_between_repeat_bitwise(pool):
    """TensorFlow's global seed (set once) does not enter a network: fit order does not matter."""
    X, y = _data()
    params = dict(TINY, dropout=0.2)
    first = LSTMRegressor(**dict(params, random_state=5)).fit(X, y).predict(X[:6])
    LSTMRegressor(**dict(params, random_state=6)).fit(X, y)
    GRURegressor(**dict(params, random_state=7)).fit(X, y)
    again = LSTMRegressor(**dict(params, random_state=5)).fit(X, y).predict(X[:6])
    np.testing.assert_array_equal(first, again)


def test_the_kernel_cache_is_cleared_every_so_many_fits_and_never_during_one(pool, monkeypatch):
    from tensorflow.python.eager import context

    ctx = context.context()
    seen = []
    real = ctx.clear_kernel_cache
    monkeypatch.setattr(ctx, "clear_kernel_cache",
                        lambda: (seen.append(_keras._FITS["running"]), real())[1])
    monkeypatch.setattr(_keras, "CLEAR_KERNEL_CACHE_EVERY", 2)
    monkeypatch.setitem(_keras._FITS, "since_clear", 0)
    X, y = _data()
    first = LSTMRegressor(**TINY).fit(X, y).predict(X[:5])
    assert seen == []
    LSTMRegressor(**TINY).fit(X, y)
    assert seen == [0]  # after the second fit, with no fit running
    np.testing.assert_allclose(LSTMRegressor(**TINY).fit(X, y).predict(X[:5]), first, **F32)
