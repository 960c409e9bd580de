"""Optuna's Bayesian search over a skrnn pipeline on ETH, next to the grid search."""

import subprocess
import sys

import numpy as np
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.pipeline import Pipeline

pytest.importorskip("optuna")
pytest.importorskip("optuna_integration")

from skrnn import LSTMRegressor, SlidingWindow, make_supervised  # noqa: E402
from skrnn.cli import main  # noqa: E402
from skrnn.study import Progress, StudyConfig, optuna_search, run_study, search_space  # noqa: E402

pytestmark = [
    # optuna-integration touches optuna's deprecated terminator module; eager mode
    # (below) does not apply to tf.data functions, which TensorFlow says each time
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore:Even though the:UserWarning"),
]

GRID = {"window__window_len": [3, 8], "rnn__units": [2, 4], "rnn__dropout": [0.0, 0.2]}
N_TRIALS, N_SPLITS = 3, 2

#: (what, first row, last row) of every table the spy step saw, in order
SEEN = []


class Spy(TransformerMixin, BaseEstimator):
    """Passes a DataFrame through and records the rows of every fit and transform."""

    def fit(self, X, y=None):
        SEEN.append(("fit", X.index[0], X.index[-1]))
        return self

    def fit_transform(self, X, y=None):
        self.fit(X)
        return X

    def transform(self, X):
        SEEN.append(("transform", X.index[0], X.index[-1]))
        return X


@pytest.fixture(scope="module")
def eager():
    """Tiny networks on ~150 rows train faster eagerly than their graph traces."""
    tf = pytest.importorskip("tensorflow")
    tf.config.run_functions_eagerly(True)
    yield
    tf.config.run_functions_eagerly(False)


@pytest.fixture(scope="module")
def eth_rows():
    from skrnn.datasets import load_eth

    frame = load_eth()[["close", "open", "high", "low", "volume"]].iloc[-160:]
    X, y = make_supervised(frame, "close")
    return X, y.to_numpy()


def pipeline():
    net = LSTMRegressor(units=2, epochs=1, batch_size=64, early_stopping=None,
                        validation_fraction=0.0, calibration_fraction=0.0,
                        normalize="zero_base", random_state=0)
    return Pipeline([("spy", Spy()), ("window", SlidingWindow(3)), ("rnn", net)])


@pytest.fixture(scope="module")
def searches(eager, eth_rows):
    X, y = eth_rows
    SEEN.clear()
    first = optuna_search(pipeline(), GRID, n_trials=N_TRIALS, n_splits=N_SPLITS, seed=3)
    first.fit(X, y)
    seen = list(SEEN)
    second = optuna_search(pipeline(), GRID, n_trials=N_TRIALS, n_splits=N_SPLITS, seed=3,
                           refit=False)
    second.fit(X, y)
    return first, second, seen


def test_folds_are_chronological(searches, eth_rows):
    _, _, seen = searches
    X, _ = eth_rows
    fits = [(i, s) for i, s in enumerate(seen) if s[0] == "fit"]
    # every trial fits once per fold, then the best candidate is refit on all rows
    assert len(fits) == N_TRIALS * N_SPLITS + 1
    assert fits[-1][1][1:] == (X.index[0], X.index[-1])
    n_checked = 0
    for (i, fit), (j, _) in zip(fits[:-1], fits[1:]):
        scored = [s for s in seen[i + 1:j] if s[0] == "transform"]
        assert scored, "each fold is scored on its validation rows"
        for _, first_row, _ in scored:
            assert first_row > fit[2]  # validation rows all after the training rows
            n_checked += 1
    assert n_checked == N_TRIALS * N_SPLITS


def test_number_of_trials(searches):
    first, second, _ = searches
    assert first.n_trials_ == N_TRIALS == len(first.trials_) == len(second.trials_)
    assert first.n_splits_ == N_SPLITS
    assert all(np.isfinite(t.value) for t in first.trials_)


def test_same_seed_same_result(searches):
    first, second, _ = searches
    assert first.best_params_ == second.best_params_
    assert first.best_score_ == second.best_score_
    assert [t.params for t in first.trials_] == [t.params for t in second.trials_]


def test_best_parameters_inside_the_space(searches):
    first, _, _ = searches
    best = first.best_params_
    assert set(best) == set(GRID)
    for name, values in GRID.items():
        assert min(values) <= best[name] <= max(values), name
    assert isinstance(best["window__window_len"], int) and isinstance(best["rnn__units"], int)
    assert first.best_estimator_.named_steps["window"].window_len == best["window__window_len"]


def test_search_space_from_grid():
    space = search_space({"a": [5, 10, 20], "b": [0.1, 0.2], "c": ["lstm", "gru"], "d": [16]})
    assert (space["a"].low, space["a"].high, space["a"].log) == (5, 20, True)
    assert (space["b"].low, space["b"].high, space["b"].log) == (0.1, 0.2, False)
    assert space["c"].choices == ("lstm", "gru") and space["d"].choices == (16,)


def test_import_skrnn_does_not_load_optuna():
    code = ("import sys, skrnn, skrnn.study; "
            "print(sorted(m for m in ('optuna', 'optuna_integration') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


def test_cli_optuna_needs_the_search_part(capsys, tmp_path):
    code = main(["study", "features", "--optuna", "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2 and "--optuna is read by the search part only" in err
    code = main(["study", "search", "--optuna", "zero", "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2 and "--optuna takes a number of trials" in err
    assert not (tmp_path / "r").exists()


@pytest.mark.slow
def test_study_reports_grid_next_to_optuna(eager, tmp_path):
    config = StudyConfig.quick_config(units=2, epochs=1, n_samples=5, search_splits=2,
                                      search_grid={"window__window_len": [5, 8]},
                                      optuna_trials=2)
    result = run_study(["search"], config=config, out_dir=tmp_path, start="2020-11-01",
                       end="2021-05-11", progress=Progress(open(tmp_path / "log", "w")),
                       raise_errors=True)
    compare = result.extra_tables["search_comparison"]
    assert list(compare["fits"]) == [2 * 2 + 1, 2 * 2 + 1]
    assert list(compare["candidates"]) == [2, 2]
    assert np.isfinite(compare[["best_cv_mse", "test_mse", "time_s"]].to_numpy()).all()
    assert (result.tables["search"]["model"] == "LSTM (Optuna)").sum() == 1
    assert len(result.extra_tables["optuna_trials"]) == 2
    report = (tmp_path / "report.md").read_text()
    assert "Grid search vs Optuna" in report and "Optuna (TPE, OptunaSearchCV)" in report
