"""Fits give their memory back: nothing of a finished fit stays reachable from TensorFlow."""

import gc
import threading

import numpy as np
import pytest

from skrnn import GRURegressor, LSTMRegressor
from tests.conftest import F32, TINY

tf = pytest.importorskip("tensorflow")


def _data(seed=0, n=80):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5, 2))
    return X, X[:, -1, 0] + 0.1 * rng.normal(size=n)


def _traced_graphs():
    """Live traced graphs (FuncGraph objects) and custom-gradient registry entries."""
    from tensorflow.python.framework import func_graph, ops

    gc.collect()
    graphs = sum(isinstance(o, func_graph.FuncGraph) for o in gc.get_objects())
    grads = sum(k.startswith("CustomGradient-") for k in ops._gradient_registry._registry)
    return graphs, grads


def test_repeated_fits_leave_no_traced_graph_behind(monkeypatch):
    from skrnn import _keras

    # a pool of its own: twins of earlier tests' networks leave it untouched
    monkeypatch.setattr(_keras, "TRACED_STEPS", _keras.TracedSteps())
    monkeypatch.setattr(_keras, "_FORWARDS", _keras._Forwards())
    X, y = _data()
    params = dict(TINY, validation_fraction=0.2)  # a train and an evaluation step
    gc.collect()  # networks of earlier tests are gone before the first fit looks
    LSTMRegressor(**params).fit(X, y)
    before = _traced_graphs()
    for seed in range(3):
        LSTMRegressor(**dict(params, random_state=seed)).fit(X, y)
    assert _traced_graphs() == before


def test_fits_in_threads_keep_each_others_gradients():
    """Removing a fit's registry entries never touches a fit traced at the same time."""
    X, y = _data()
    results, errors = {}, []

    def fit(k):
        try:
            est = (LSTMRegressor if k % 2 else GRURegressor)(**dict(TINY, random_state=k))
            results[k] = est.fit(X, y).predict(X[:4])
        except Exception as exc:  # reported below with the thread's number
            errors.append((k, exc))

    threads = [threading.Thread(target=fit, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for k, pred in results.items():
        alone = (LSTMRegressor if k % 2 else GRURegressor)(**dict(TINY, random_state=k))
        np.testing.assert_allclose(pred, alone.fit(X, y).predict(X[:4]), **F32)
