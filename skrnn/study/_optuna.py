"""Bayesian search with Optuna next to the grid search.

The search itself is Optuna's own scikit-learn search,
:class:`optuna_integration.OptunaSearchCV`, over the same skrnn pipeline and
the same :class:`~sklearn.model_selection.TimeSeriesSplit` as the grid search;
this module only turns a grid into Optuna distributions (:func:`search_space`),
seeds the sampler (:func:`optuna_search`) and summarises both searches side by
side (:func:`search_comparison`). Optuna is imported inside the functions, so
``import skrnn`` (and ``import skrnn.study``) never loads it.
"""

from __future__ import annotations

import math
import numbers
import time
import warnings

import numpy as np
import pandas as pd

from ._config import StudyError

#: Trials of ``skrnn study search --optuna`` when no number is given.
DEFAULT_TRIALS = 8


def _require_optuna():
    try:
        with warnings.catch_warnings():
            # optuna-integration imports optuna's deprecated terminator module on import
            warnings.simplefilter("ignore", FutureWarning)
            import optuna  # noqa: F401
            from optuna_integration import OptunaSearchCV
    except ImportError as exc:
        raise StudyError(f"the Optuna search needs optuna and optuna-integration ({exc}); "
                         'install them with: pip install "skrnn[optuna]"') from None
    return OptunaSearchCV


def search_space(grid):
    """Optuna distributions spanning a parameter grid.

    Each grid entry becomes the range between its smallest and largest value,
    so the Bayesian search explores the same box as the grid, between the grid
    points too: integers (window length, units) become an
    ``IntDistribution`` -- on a log scale when the largest value is at least
    four times the smallest --, floats (dropout, learning rate) a
    ``FloatDistribution`` (log scale by the same rule), and anything else, or
    a single value, a ``CategoricalDistribution`` of the grid's values.

    Parameters
    ----------
    grid : dict of str -> list
        A ``GridSearchCV`` grid (pipeline parameter names).

    Returns
    -------
    dict of str -> optuna.distributions.BaseDistribution

    Examples
    --------
    >>> from skrnn.study import search_space
    >>> space = search_space({"window__window_len": [5, 10, 20], "rnn__dropout": [0.1, 0.2]})
    >>> space["window__window_len"]
    IntDistribution(high=20, log=True, low=5, step=1)
    >>> space["rnn__dropout"]
    FloatDistribution(high=0.2, log=False, low=0.1, step=None)
    """
    _require_optuna()
    from optuna.distributions import (CategoricalDistribution, FloatDistribution,
                                      IntDistribution)

    space = {}
    for name, values in grid.items():
        values = list(values)
        if not values:
            raise StudyError(f"the search grid's {name!r} has no values; give at least one.")
        numeric = all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in values)
        if not numeric or len(set(values)) == 1:
            space[name] = CategoricalDistribution(list(dict.fromkeys(values)))
            continue
        lo, hi = min(values), max(values)
        log = lo > 0 and hi >= 4 * lo
        if all(isinstance(v, numbers.Integral) for v in values):
            space[name] = IntDistribution(int(lo), int(hi), log=log)
        else:
            space[name] = FloatDistribution(float(lo), float(hi), log=log)
    return space


def optuna_search(estimator, space, *, n_trials=DEFAULT_TRIALS, n_splits=3, seed=0,
                  scoring="neg_mean_squared_error", refit=True):
    """An unfitted ``OptunaSearchCV`` with chronological folds and a seeded TPE sampler.

    Parameters
    ----------
    estimator : estimator
        Usually ``Pipeline([("window", SlidingWindow(...)), ("rnn", ...)])``.
    space : dict
        Optuna distributions (:func:`search_space`) or a grid (converted).
    n_trials : int, default=8
    n_splits : int, default=3
        Folds of :class:`~sklearn.model_selection.TimeSeriesSplit`: every
        validation fold lies after its training rows.
    seed : int, default=0
        Seed of the ``TPESampler``; with seeded networks the same seed gives
        the same trials, the same best parameters and the same score.
    scoring : str, default="neg_mean_squared_error"
    refit : bool, default=True
        Refit the best candidate on all rows.

    Returns
    -------
    optuna_integration.OptunaSearchCV
        One trial at a time (``n_jobs=1``, so the trials do not depend on
        thread timing); errors are raised, not scored as NaN.
    """
    OptunaSearchCV = _require_optuna()
    import optuna
    from sklearn.model_selection import TimeSeriesSplit

    from optuna.distributions import BaseDistribution

    if not all(isinstance(d, BaseDistribution) for d in space.values()):
        space = search_space(space)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # a fresh study per search: OptunaSearchCV adds its trials to the study it is given
    study = optuna.create_study(direction="maximize",
                                sampler=optuna.samplers.TPESampler(seed=seed))
    with warnings.catch_warnings():
        # OptunaSearchCV is marked experimental; the warning says nothing actionable
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return OptunaSearchCV(estimator, space, cv=TimeSeriesSplit(n_splits=n_splits),
                              n_trials=n_trials, scoring=scoring, study=study, refit=refit,
                              error_score="raise", n_jobs=1)


def fit_timed(search, X, y):
    """Fit a search; returns the seconds it took."""
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        try:
            import optuna

            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        except ImportError:
            pass
        # OptunaSearchCV reports each trial through optuna's deprecated terminator
        # module, which warns once per trial; nothing for a user to change
        warnings.filterwarnings("ignore", message=".*optuna.terminator", category=FutureWarning)
        search.fit(X, y)
    return time.perf_counter() - t0


def trials_table(search) -> pd.DataFrame:
    """One row per Optuna trial: its parameters, CV MSE, its sd and fit seconds."""
    rows = []
    for trial in search.trials_:
        row = {"trial": trial.number}
        row.update({k.split("__")[-1]: v for k, v in trial.params.items()})
        attrs = trial.user_attrs
        row["cv_mse"] = -float(attrs.get("mean_test_score", np.nan))
        row["cv_mse_std"] = float(attrs.get("std_test_score", np.nan))
        row["fit_s"] = float(attrs.get("mean_fit_time", np.nan))
        rows.append(row)
    table = pd.DataFrame(rows).sort_values("cv_mse", kind="stable").reset_index(drop=True)
    table.insert(1, "rank", np.arange(1, len(table) + 1))
    return table


def n_fits(n_candidates, n_splits, refit=True) -> int:
    """Networks trained by a search: one per candidate and fold, plus the refit."""
    return int(n_candidates) * int(n_splits) + int(bool(refit))


def search_comparison(grid_search, grid_seconds, grid_test_mse, optuna_search_cv, optuna_seconds,
                      optuna_test_mse, naive_mse=None) -> pd.DataFrame:
    """Grid and Optuna side by side: best CV MSE, test MSE, fits, seconds, best parameters."""
    def label(params):
        return ", ".join(f"{k.split('__')[-1]}={_short(v)}" for k, v in params.items())

    n_grid = len(grid_search.cv_results_["params"])
    rows = [
        {"search": "grid (GridSearchCV)", "candidates": n_grid,
         "fits": n_fits(n_grid, grid_search.n_splits_),
         "best_cv_mse": -float(grid_search.best_score_), "test_mse": float(grid_test_mse),
         "time_s": float(grid_seconds), "best": label(grid_search.best_params_)},
        {"search": "Optuna (TPE, OptunaSearchCV)", "candidates": len(optuna_search_cv.trials_),
         "fits": n_fits(len(optuna_search_cv.trials_), optuna_search_cv.n_splits_),
         "best_cv_mse": -float(optuna_search_cv.best_score_), "test_mse": float(optuna_test_mse),
         "time_s": float(optuna_seconds), "best": label(optuna_search_cv.best_params_)},
    ]
    table = pd.DataFrame(rows)
    if naive_mse is not None:
        table["test_mse_vs_naive"] = table["test_mse"] / naive_mse - 1
    return table


def _short(value):
    if isinstance(value, float) and not math.isnan(value):
        return f"{value:.3g}"
    return value


def optuna_part(study, pipe, data, X_train, y_train, grid_search, grid_seconds, grid_test_mse,
                naive, callbacks=None):
    """The Optuna half of the ``search`` part: search, test once, compare with the grid.

    Runs :func:`optuna_search` over :func:`search_space` of the grid with
    ``config.optuna_trials`` trials on the same training rows and folds, tests
    the refit best candidate once, stores the trials (``optuna_trials``) and
    the comparison (``search_comparison``) as extra tables and returns the
    :class:`~skrnn.study.ModelRun` of the best candidate.

    ``callbacks(total_fits)`` gives the progress callbacks of the networks.
    """
    from sklearn.base import clone

    from ._models import ModelRun, regression_metrics

    cfg = study.config
    grid = grid_search.param_grid
    space = search_space(grid)
    total = n_fits(cfg.optuna_trials, cfg.search_splits)
    est = clone(pipe)
    if callbacks is not None:
        est.set_params(rnn__callbacks=callbacks(total))
    if study.progress is not None:
        study.progress.message(f"[search] OptunaSearchCV (TPE, seed {cfg.seed}): "
                               f"{cfg.optuna_trials} trials x {cfg.search_splits} folds + 1 refit "
                               f"= {total} fits, space {space}")
    search = optuna_search(est, space, n_trials=cfg.optuna_trials, n_splits=cfg.search_splits,
                           seed=cfg.seed)
    elapsed = fit_timed(search, X_train, y_train)
    best = search.best_estimator_
    best.set_params(rnn__callbacks=None)
    pred = best.predict(data.X_test)
    metrics = regression_metrics(data.y_test, pred, data.base_test)
    label = ", ".join(f"{k.split('__')[-1]}={_short(v)}" for k, v in search.best_params_.items())
    run = ModelRun(
        experiment=f"{cfg.arch_features} (Optuna best: {label})", model="LSTM (Optuna)",
        kind="search", columns=list(data.columns),
        actual=pd.Series(data.y_test, index=data.test_dates, name="actual"),
        predicted=pd.Series(pred, index=data.test_dates, name="optuna"),
        metrics=metrics, train_time=elapsed,
        n_epochs=getattr(best.named_steps["rnn"], "n_epochs_", None),
        history=getattr(best.named_steps["rnn"], "history_", None),
        estimator=best, pipeline=best, n_train=len(X_train), data=data,
        n_params=int(best.named_steps["rnn"].model_.count_params()),
    )
    study.runs[("search", run.experiment, run.model)] = run
    study.extra["optuna_trials"] = trials_table(search)
    study.extra["search_comparison"] = search_comparison(
        grid_search, grid_seconds, grid_test_mse, search, elapsed, metrics["mse"],
        naive.metrics["mse"])
    study.note("search", f"Optuna: OptunaSearchCV (optuna-integration) with a TPESampler seeded "
                         f"with {cfg.seed}, {cfg.optuna_trials} trials over the box the grid "
                         f"spans ({_space_text(space)}), on the same training rows and "
                         f"TimeSeriesSplit({cfg.search_splits}) folds; its best candidate is "
                         "refit on all training rows and tested once, like the grid's. 'fits' "
                         "counts the networks each search trained (candidates x folds + 1 refit).")
    return run


def _space_text(space):
    """``window_len 5..20 (log), dropout 0.1..0.2`` for a note."""
    parts = []
    for name, dist in space.items():
        short = name.split("__")[-1]
        if hasattr(dist, "choices"):
            parts.append(f"{short} in {list(dist.choices)}")
        else:
            parts.append(f"{short} {_short(dist.low)}..{_short(dist.high)}"
                         + (" (log)" if dist.log else ""))
    return ", ".join(parts)
