"""Searches and fits across processes and machines: worker set-up in one place.

A search over skrnn pipelines gives the same scores wherever its fits run
(sequentially, joblib's ``loky`` processes, a Dask cluster, Ray): every fit
seeds its network from its own ``random_state`` alone. What remains is
hygiene, which this module turns into calls:

- **Threads per worker.** Two worker processes on two cores, each running a
  framework that starts one thread per core, oversubscribe the machine.
  :func:`worker_env` gives the environment that caps the framework (and
  BLAS) threads of a worker before it starts; :func:`worker_setup` applies
  it inside a process. The number of threads does not change skrnn's
  results (measured bitwise on TensorFlow's CPU kernels), only the speed.
- **No fork after the framework started.** A process forked from one whose
  TensorFlow (or JAX, PyTorch) runtime runs inherits locked thread pools and
  may hang. joblib's ``loky``, Dask's ``LocalCluster`` (``spawn``) and Ray
  start fresh interpreters; :func:`search_backend` refuses joblib's
  ``"multiprocessing"`` backend when it would fork such a process.
- **Rows travel, not windows.** Put :class:`~skrnn.SlidingWindow` inside the
  pipeline that is searched: the workers receive the raw rows (scattered
  once to a Dask cluster by :func:`search_backend`) and build the windows
  themselves; materialised windows are ``window_len`` times larger.

:func:`dask_cluster` and :func:`ray_init` start local clusters set up this
way. Nothing here imports Dask, Ray or a Keras backend until called.

Examples
--------
>>> from skrnn.parallel import worker_env
>>> worker_env(1)["TF_NUM_INTRAOP_THREADS"]
'1'
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys

from . import _keras

__all__ = ["worker_env", "worker_setup", "check_fork_safe", "search_backend", "dask_cluster", "ray_init"]

#: Frameworks whose started runtime makes a plain fork unsafe.
_FRAMEWORKS = ("tensorflow", "jax", "torch")

#: joblib backends that run tasks in fresh interpreters or in another machine's.
_BACKENDS = ("sequential", "threading", "loky", "multiprocessing", "dask", "ray")


def _check_threads(threads):
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a positive int (threads per worker), got {threads!r}.")
    return threads


def worker_env(threads=1):
    """Environment variables that cap a worker's framework and BLAS threads.

    Hand them to the workers' environment before they start: ``LocalCluster(
    env=worker_env())`` (:func:`dask_cluster` does), Ray's
    ``runtime_env={"env_vars": worker_env()}`` (:func:`ray_init` does), or
    a job script's ``export``.

    Parameters
    ----------
    threads : int, default=1
        Threads per worker process; ``n_workers * threads`` should not exceed
        the cores of a machine.

    Returns
    -------
    env : dict of str to str
    """
    return _keras.thread_limit_env(_check_threads(threads))


def worker_setup(threads=1):
    """Cap this process's framework threads; call it first in a worker.

    Sets :func:`worker_env` in ``os.environ`` (read when a framework starts)
    and caps a framework that is already imported but not started. Safe to
    call more than once.

    Parameters
    ----------
    threads : int, default=1

    Returns
    -------
    capped : list of str
        The frameworks already imported whose threads are now capped; a name
        ending in ``" (started)"`` ran before the call and keeps its threads
        (call :func:`worker_setup` earlier, or start the worker with
        :func:`worker_env`).
    """
    os.environ.update(worker_env(threads))
    return _keras.limit_started_threads(threads)


def _started_frameworks():
    return [name for name in _FRAMEWORKS if name in sys.modules]


def check_fork_safe(backend):
    """Refuse a joblib backend that would fork a process whose framework runs."""
    if backend not in _BACKENDS:
        raise ValueError(f"backend must be one of {list(_BACKENDS)}, got {backend!r}.")
    method = multiprocessing.get_start_method(allow_none=True) or (
        "fork" if sys.platform.startswith("linux") and sys.version_info < (3, 14) else "spawn")
    started = _started_frameworks()
    if backend == "multiprocessing" and method == "fork" and started:
        raise ValueError(
            f"joblib's 'multiprocessing' backend would fork this process after {started[0]} "
            "started, and a forked copy of its thread pools can hang. Use backend='loky' "
            "(fresh interpreters, joblib's default), 'dask' or 'ray', or call "
            "multiprocessing.set_start_method('spawn') first.")


@contextlib.contextmanager
def search_backend(backend="loky", *, scatter=(), n_jobs=None):
    """Run the joblib calls inside (a search's fits) on ``backend``.

    Parameters
    ----------
    backend : {"loky", "dask", "ray", "threading", "sequential", "multiprocessing"}, default="loky"
        ``"dask"`` needs a ``distributed.Client`` (e.g. from
        :func:`dask_cluster`); ``"ray"`` a started Ray (:func:`ray_init`,
        which also registers joblib's ``"ray"`` backend).
    scatter : sequence, default=()
        Objects sent to every Dask worker once, before the tasks (the raw
        ``X`` and ``y`` of ``search.fit(X, y)``, the very objects); the tasks
        then refer to them instead of carrying a copy each. Ignored by the
        other backends.
    n_jobs : int or None, default=None
        Workers joblib uses (None: the backend's default; every worker of a
        cluster).

    Examples
    --------
    >>> from skrnn.parallel import search_backend
    >>> with search_backend("sequential"):
    ...     pass
    """
    import joblib

    check_fork_safe(backend)
    kwargs = {} if n_jobs is None else {"n_jobs": n_jobs}
    if backend == "dask" and scatter:
        kwargs["scatter"] = list(scatter)
    if backend == "ray":
        from ray.util.joblib import register_ray

        register_ray()
    with joblib.parallel_backend(backend, **kwargs):
        yield


def dask_cluster(n_workers=2, *, threads=1, **kwargs):
    """A ``distributed.LocalCluster`` of fresh worker processes with capped threads.

    One thread per task slot (``threads_per_worker=1``), processes started
    with ``spawn`` by Dask (never a fork of this process), and
    :func:`worker_env` in every worker's environment. Use it as a context
    manager with a ``distributed.Client``.

    Parameters
    ----------
    n_workers : int, default=2
    threads : int, default=1
        Framework threads in each worker.
    **kwargs
        Passed to ``LocalCluster`` (they override the defaults above; the
        dashboard takes a free port unless ``dashboard_address`` is given).
    """
    from distributed import LocalCluster

    options = dict(n_workers=n_workers, threads_per_worker=1, processes=True,
                   dashboard_address=":0", env=worker_env(threads))
    options.update(kwargs)
    return LocalCluster(**options)


def ray_init(num_cpus=2, *, threads=1, **kwargs):
    """Start a local Ray with capped worker threads and register joblib's ``"ray"`` backend.

    Parameters
    ----------
    num_cpus : int, default=2
        Worker slots (one task each).
    threads : int, default=1
        Framework threads in each worker.
    **kwargs
        Passed to ``ray.init`` (the dashboard is off unless asked for).

    Returns
    -------
    The ``ray.init`` context; ``ray.shutdown()`` stops it.
    """
    import ray
    from ray.util.joblib import register_ray

    env = dict(kwargs.pop("runtime_env", None) or {})
    env["env_vars"] = {**worker_env(threads), **env.get("env_vars", {})}
    options = dict(num_cpus=num_cpus, include_dashboard=False, runtime_env=env)
    options.update(kwargs)
    context = ray.init(**options)
    register_ray()
    return context
