"""One search, four places: sequential, loky, Dask and Ray -- time, memory, scores.

A ``GridSearchCV`` over ``Pipeline([SlidingWindow, LSTMRegressor])`` on the
last ``--rows`` days of ETH (close and volume; ``--candidates`` candidates
over window length, units and learning rate; ``TimeSeriesSplit(2)``;
``--epochs`` epochs; every ``random_state`` fixed) runs

- sequentially in one process,
- on joblib's ``loky`` with ``n_jobs=2``,
- on a ``distributed.LocalCluster`` of 2 worker processes
  (:func:`skrnn.parallel.dask_cluster`, raw rows scattered once),
- on a local Ray with 2 CPUs (:func:`skrnn.parallel.ray_init`),

each in a fresh subprocess, one after the other. Printed per backend: the
wall time of the whole search (cluster start-up counted separately), the
peak resident memory of the driver and of each worker process
(``getrusage``'s ``ru_maxrss``, read in the worker at the end; not readable
for Ray, whose joblib backend starts new actors for every call), and the
largest relative difference of any ``split*_test_score``,
``mean_test_score`` or ``std_test_score`` from the sequential search, with
whether the ranks and ``best_params_`` agree.

Run::

    python benchmarks/bench_distributed.py
    python benchmarks/bench_distributed.py --candidates 4 --backends sequential dask
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import _common as C  # noqa: I001  (puts the repository root on sys.path)

BACKENDS = ("sequential", "loky", "dask", "ray")
SCORES = ("split0_test_score", "split1_test_score", "mean_test_score", "std_test_score")


def peak_rss():
    """(pid, peak resident memory in bytes) of the calling process."""
    import resource

    return os.getpid(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def grid(n_candidates):
    import itertools

    space = itertools.product([5, 10], [4, 8, 16, 32], [1e-3, 3e-3, 1e-2, 3e-2])
    combos = list(itertools.islice(space, n_candidates))
    return [{"window__window_len": [w], "rnn__units": [u], "rnn__learning_rate": [lr]}
            for w, u, lr in combos]


def worker_peaks(backend, n_tasks=16):
    """Peak RSS of every worker process that answers ``n_tasks`` tiny tasks."""
    from joblib import Parallel, delayed

    found = dict(Parallel(n_jobs=2 if backend == "loky" else None)(
        delayed(peak_rss)() for _ in range(n_tasks)))
    found.pop(os.getpid(), None)
    return sorted(found.values())


def inner(args):
    import numpy as np
    from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
    from sklearn.pipeline import Pipeline

    from skrnn import LSTMRegressor, SlidingWindow, make_supervised
    from skrnn.datasets import load_eth
    from skrnn.parallel import search_backend

    X, y = make_supervised(load_eth()[["close", "volume"]].iloc[-args.rows:], target="close")
    pipe = Pipeline([
        ("window", SlidingWindow(5)),
        ("rnn", LSTMRegressor(units=4, epochs=args.epochs, early_stopping=None,
                              validation_fraction=0.0, calibration_fraction=0.0, random_state=0)),
    ])
    search = GridSearchCV(pipe, grid(args.candidates), cv=TimeSeriesSplit(2),
                          scoring="neg_mean_squared_error", refit=False,
                          n_jobs=2 if args.backend == "loky" else None)
    t0 = time.perf_counter()
    cluster = client = None
    if args.backend == "dask":
        from distributed import Client

        from skrnn.parallel import dask_cluster

        cluster = dask_cluster(2, threads=1)
        client = Client(cluster)
    elif args.backend == "ray":
        from skrnn.parallel import ray_init

        ray_init(2, threads=1, log_to_driver=False)
    start_up = time.perf_counter() - t0
    t0 = time.perf_counter()
    with search_backend(args.backend, scatter=[X, y] if args.backend == "dask" else ()):
        search.fit(X, y)
    elapsed = time.perf_counter() - t0
    workers = []
    if args.backend == "loky":
        workers = worker_peaks("loky")
    elif args.backend == "dask":
        workers = sorted(rss for _, rss in client.run(peak_rss).values())
        client.close()
        cluster.close()
    elif args.backend == "ray":
        import ray

        # Ray's joblib backend runs each joblib call on a new pool of actors,
        # so the processes that ran the fits cannot be asked afterwards
        workers = None
        ray.shutdown()
    r = search.cv_results_
    print("RESULT " + json.dumps(dict(
        backend=args.backend, start_up=start_up, search=elapsed, driver=peak_rss()[1],
        workers=workers, params=[repr(sorted(p.items())) for p in r["params"]],
        scores=np.array([r[c] for c in SCORES]).T.tolist(),
        ranks=[int(v) for v in r["rank_test_score"]], best=repr(sorted(search.best_params_.items())))))


def outer(args):
    C.header("A search on four backends", candidates=args.candidates, folds=2, epochs=args.epochs,
             rows=args.rows)
    results = {}
    for backend in args.backends:
        print(f"running {backend} ...", flush=True)
        cmd = [sys.executable, __file__, "--inner", backend, "--candidates", str(args.candidates),
               "--epochs", str(args.epochs), "--rows", str(args.rows)]
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3",
               "PYTHONPATH": str(C.ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
        out = subprocess.run(cmd, capture_output=True, text=True, env=env)
        line = next((s for s in out.stdout.splitlines() if s.startswith("RESULT ")), None)
        if line is None:
            tail = (out.stderr or out.stdout).strip().splitlines()[-3:]
            results[backend] = {"error": " | ".join(tail) or f"exit code {out.returncode}"}
        else:
            results[backend] = json.loads(line[len("RESULT "):])
    ref = results.get("sequential")
    print()
    print(f"{'backend':<11} {'start-up':>9} {'search':>9} {'driver RSS':>11}  {'worker peak RSS':<24} "
          f"{'max rel diff':>12} {'ranks, best':>12}")
    for backend, r in results.items():
        if "error" in r:
            print(f"{backend:<11} {r['error']}")
            continue
        diff, same = "n/a", "n/a"
        if ref is not None and "error" not in ref:
            import numpy as np

            order = {p: i for i, p in enumerate(ref["params"])}
            idx = [order[p] for p in r["params"]]
            a, b = np.array(r["scores"]), np.array(ref["scores"])[idx]
            diff = f"{np.max(np.abs(a - b) / np.abs(b)):.1e}"
            same = "same" if ([ref["ranks"][i] for i in idx] == r["ranks"]
                              and r["best"] == ref["best"]) else "DIFFER"
        if r["workers"] is None:
            workers = "n/a (new actors per call)"
        else:
            workers = ", ".join(C.fmt_bytes(v) for v in r["workers"]) or "(in the driver)"
        start_up = C.fmt_time(r["start_up"]) if backend in ("dask", "ray") else "-"
        print(f"{backend:<11} {start_up:>9} {C.fmt_time(r['search']):>9} "
              f"{C.fmt_bytes(r['driver']):>11}  {workers:<24} {diff:>12} {same:>12}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--candidates", type=int, default=8)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--rows", type=int, default=400, help="last days of ETH used")
    p.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    p.add_argument("--inner", choices=BACKENDS, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if not 1 <= args.candidates <= 32:
        p.error("--candidates must be between 1 and 32")
    if args.inner:
        args.backend = args.inner
        inner(args)
    else:
        outer(args)


if __name__ == "__main__":
    main()
