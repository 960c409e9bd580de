"""Searches give the same scores wherever their fits run.

A search over a ``Pipeline([SlidingWindow, LSTMRegressor])`` with every
``random_state`` fixed must give the same ``split*_test_score``,
``mean_test_score``, ``std_test_score`` (rtol 1e-5), ranks and best
parameters sequentially, on joblib's ``loky`` processes, on a real
``distributed.LocalCluster`` of two worker processes and on a local Ray,
whatever the order of the candidates. Each test runs its own sequential
reference (so ``pytest -n 2`` never computes one twice): all 50 candidates
against ``loky``, four (a ``RandomizedSearchCV`` on Dask, a reversed grid
on Ray) against the clusters, compared candidate by candidate. One batch
per epoch keeps a fit to one traced training step (the fixed cost of a
tiny fit is its tracing).
"""

import random
import subprocess
import sys
import threading

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, ParameterGrid, RandomizedSearchCV, TimeSeriesSplit
from sklearn.pipeline import Pipeline

from skrnn import LSTMRegressor, SlidingWindow
from skrnn.parallel import check_fork_safe, search_backend, worker_env

#: 2 window lengths x 5 sizes x 5 learning rates = 50 candidates, 2 folds.
GRID = {
    "window__window_len": [3, 5],
    "rnn__units": [2, 3, 4, 5, 6],
    "rnn__learning_rate": [1e-3, 3e-3, 1e-2, 3e-2, 1e-1],
}
RTOL = 1e-5  # scores compared across processes: the same kernels, so in practice equal


def rows(n=152, seed=0):
    """A positive two-column random walk and tomorrow's first column (~150 windows)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    level = 100 + np.cumsum(rng.normal(size=n)) + 5 * np.sin(t / 7)
    X = np.column_stack([level, level + rng.normal(scale=0.5, size=n)])
    return X, np.r_[level[1:], level[-1]]


def pipeline():
    return Pipeline([
        ("window", SlidingWindow(3)),
        ("rnn", LSTMRegressor(units=2, epochs=1, batch_size=256, dropout=0.2, early_stopping=None,
                              validation_fraction=0.0, calibration_fraction=0.0, random_state=0)),
    ])


def run(search_cls, params, data=None, cv=None, **kwargs):
    X, y = rows() if data is None else data
    search = search_cls(pipeline(), params, cv=cv or TimeSeriesSplit(2),
                        scoring="neg_mean_squared_error", refit=False, **kwargs)
    return search.fit(X, y)


def key(params):
    return tuple(sorted(params.items()))


def by_candidate(search):
    """``{params: (split0, [split1,] mean, std)}`` of a fitted search."""
    r = search.cv_results_
    cols = sorted(c for c in r if c.startswith("split") and c.endswith("_test_score"))
    cols += ["mean_test_score", "std_test_score"]
    return {key(p): np.array([r[c][i] for c in cols]) for i, p in enumerate(r["params"])}


def ranks_among(scores, keys):
    """Rank (1 = best, ties share the lower rank) of each of ``keys`` by mean score.

    As scikit-learn ranks: a candidate whose fit failed (NaN score, e.g. a
    loss that diverged at the largest learning rate) ranks below every other.
    """
    means = np.array([scores[k][-2] for k in keys], dtype=float)
    if np.isnan(means).all():
        return {k: 1 for k in keys}
    means = np.nan_to_num(means, nan=np.nanmin(means) - 1)
    return {k: 1 + int(np.sum(means > m)) for k, m in zip(keys, means)}


def assert_same(search, reference):
    got, ref = by_candidate(search), by_candidate(reference)
    assert set(got) <= set(ref)
    for k, values in got.items():
        np.testing.assert_allclose(values, ref[k], rtol=RTOL, err_msg=str(dict(k)))
    keys = list(got)
    r = search.cv_results_
    ranks = {key(p): int(rank) for p, rank in zip(r["params"], r["rank_test_score"])}
    assert ranks == ranks_among(ref, keys)
    best = max(keys, key=lambda k: np.nan_to_num(ref[k][-2], nan=-np.inf))
    assert key(search.best_params_) == best


@pytest.mark.slow
def test_loky_two_processes_match_sequential_whatever_the_order():
    # one chronological split (the later third scored) keeps 50 candidates to
    # 100 fits in all; the cluster tests below use two folds
    cv = [list(TimeSeriesSplit(2, test_size=50).split(np.zeros(152)))[-1]]
    sequential = run(GridSearchCV, GRID, cv=cv)
    assert len(sequential.cv_results_["params"]) >= 50
    # the grid in reverse order: every candidate lands elsewhere in the queue
    reverse = {name: values[::-1] for name, values in reversed(GRID.items())}
    search = run(GridSearchCV, reverse, cv=cv, n_jobs=2)
    assert len(search.cv_results_["params"]) == len(ParameterGrid(GRID))
    assert_same(search, sequential)  # every score, rank and the best candidate
    ranks = {key(p): r for p, r in zip(sequential.cv_results_["params"],
                                       sequential.cv_results_["rank_test_score"])}
    assert {key(p): r for p, r in zip(search.cv_results_["params"],
                                      search.cv_results_["rank_test_score"])} == ranks
    assert search.best_params_ == sequential.best_params_


@pytest.mark.slow
def test_dask_local_cluster_matches_sequential():
    pytest.importorskip("distributed")
    from distributed import Client

    from skrnn.parallel import dask_cluster

    X, y = rows()
    with dask_cluster(2, threads=1) as cluster, Client(cluster) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        with search_backend("dask", scatter=[X, y]):
            search = run(RandomizedSearchCV, GRID, (X, y), n_iter=4, random_state=3)
    assert len(search.cv_results_["params"]) == 4
    sequential = run(GridSearchCV, [{name: [value] for name, value in params.items()}
                                    for params in search.cv_results_["params"]])
    assert_same(search, sequential)


@pytest.mark.slow
def test_ray_local_instance_matches_sequential():
    ray = pytest.importorskip("ray")
    pytest.importorskip("ray.util.joblib")

    from skrnn.parallel import ray_init

    subset = {"window__window_len": [5, 3], "rnn__units": [6, 2], "rnn__learning_rate": [1e-2]}
    ray_init(2, threads=1, log_to_driver=False)
    try:
        with search_backend("ray"):
            search = run(GridSearchCV, subset)
    finally:
        ray.shutdown()
    assert len(search.cv_results_["params"]) == 4
    assert_same(search, run(GridSearchCV, {name: values[::-1] for name, values in subset.items()}))


def test_layer_seeds_ignore_other_threads_drawing_from_python_random():
    # Dask's and Ray's background threads draw from Python's global random
    # stream between set_random_seed and the network's construction: the
    # network must not notice (this was why cluster scores differed)
    X = np.random.default_rng(0).normal(size=(64, 4, 2)) + 5
    y = X[:, -1, 0]

    def fit():
        reg = LSTMRegressor(units=3, epochs=1, early_stopping=None, validation_fraction=0.0,
                            calibration_fraction=0.0, random_state=0)
        return reg.fit(X, y).predict(X[:5])

    quiet = fit()
    stop = threading.Event()

    def draw():
        while not stop.is_set():
            random.random()

    noise = threading.Thread(target=draw, daemon=True)
    noise.start()
    try:
        busy = fit()
    finally:
        stop.set()
        noise.join()
    np.testing.assert_array_equal(busy, quiet)
    assert random.Random(0).random() == random.Random(0).random()  # the global stream untouched


def test_worker_env_caps_every_framework():
    env = worker_env(1)
    for name in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS",
                 "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        assert env[name] == "1"
    assert "--xla_cpu_multi_thread_eigen=false" in env["XLA_FLAGS"].split()
    assert worker_env(3)["TF_NUM_INTRAOP_THREADS"] == "3"
    for bad in (0, 1.5, True, "2"):
        with pytest.raises(ValueError, match="threads must be a positive int"):
            worker_env(bad)


def test_fork_after_the_framework_started_is_refused(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorflow", sys.modules.get("tensorflow", object()))
    monkeypatch.setattr("multiprocessing.get_start_method", lambda allow_none=False: "fork")
    with pytest.raises(ValueError, match="'multiprocessing' backend would fork.*backend='loky'"):
        check_fork_safe("multiprocessing")
    for fine in ("loky", "dask", "ray", "threading", "sequential"):
        check_fork_safe(fine)
    with pytest.raises(ValueError, match="backend must be one of"):
        with search_backend("spark"):
            pass


_THREAD_CASES = {
    # what the process does before skrnn first imports Keras -> TensorFlow's (intra, inter) pools
    "small machine": ("", "1 1 True"),
    "TF_NUM_*_THREADS set": ("os.environ['TF_NUM_INTEROP_THREADS'] = '0'; ", "0 0 False"),
    "pools chosen before": ("import tensorflow as tf; "
                            "tf.config.threading.set_intra_op_parallelism_threads(2); ", "2 0 False"),
    "runtime started": ("import tensorflow as tf; tf.constant(1.0) + 1; ", "0 0 False"),
    "more CPUs": ("_keras.usable_cpus = lambda: 8; ", "0 0 False"),
}


@pytest.mark.skipif(not hasattr(__import__("os"), "sched_setaffinity"), reason="needs CPU affinity")
@pytest.mark.parametrize("case", list(_THREAD_CASES))
def test_small_machine_runs_tensorflow_on_one_thread_per_pool(case):
    before, expected = _THREAD_CASES[case]
    code = ("import os; os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}); "
            "from skrnn import _keras; " + before + "_keras.import_keras(); "
            "import tensorflow as tf; t = tf.config.threading; "
            "print(t.get_intra_op_parallelism_threads(), t.get_inter_op_parallelism_threads(), "
            "_keras._THREADS['set'])")
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("TF_NUM_")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         env={**env, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow"})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == expected


def test_worker_setup_caps_tensorflow_before_it_starts():
    code = ("from skrnn import _keras; _keras.import_keras(); import tensorflow as tf; "
            "from skrnn.parallel import worker_setup; print(worker_setup(1)); "
            "print(tf.config.threading.get_intra_op_parallelism_threads(), "
            "tf.config.threading.get_inter_op_parallelism_threads()); "
            "tf.constant(1.0) + 1; print(worker_setup(2))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         env={**__import__("os").environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.strip().splitlines()
    assert lines == ["['tensorflow']", "1 1", "['tensorflow (started)']"]
