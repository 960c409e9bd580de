"""The ``benchmark`` part of the study: one protocol, several series, networks vs simple models."""

import numpy as np
import pandas as pd
import pytest

from skrnn.study import StudyConfig, run_study
from skrnn.study._benchmark import (
    ETS,
    NAIVE,
    RIDGE,
    BenchmarkSeries,
    evaluate_series,
    logistic_map_series,
    series_rows,
    split_sizes,
)

pytest.importorskip("matplotlib")


def tiny_config(**overrides):
    """Quick mode, 4 units, 1 epoch, one seed."""
    return StudyConfig.quick_config(**{"units": 4, "epochs": 1, "epochs_given": True, **overrides})


def _eth_tail(n=500):
    from skrnn.datasets import load_eth

    return load_eth()["close"].iloc[-n:]


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("benchmark")
    result = run_study(["benchmark"], config=tiny_config(), out_dir=out, raise_errors=True)
    return result, out


def test_quick_part_writes_the_table(quick_run):
    result, out = quick_run
    assert not result.errors
    csv = pd.read_csv(out / "benchmark.csv")
    assert list(csv["series"].unique()) == ["synthetic", "ETH"]
    for series, rows in csv.groupby("series"):
        models = list(rows["model"])
        assert models[:3] == [NAIVE, RIDGE, ETS]
        assert any(m.startswith("LSTM") for m in models)
        assert any(m.startswith("GRU") for m in models)
        nets = rows[rows["model"].str.contains("LSTM|GRU")]
        columns = ["mse", "mae", "coverage", "width_to_rw", "train_time_s"]
        assert np.isfinite(nets[columns]).all().all()
        assert ((nets["coverage"] >= 0) & (nets["coverage"] <= 1)).all()
        naive = rows[rows["model"] == NAIVE].iloc[0]
        assert naive["mse_to_naive"] == 1.0 and naive["width_to_rw"] == 1.0
        assert rows[rows["model"] == RIDGE]["mse_to_ridge"].iloc[0] == 1.0
    # a strictly positive series gets MAPE and zero-base ridge; the centred synthetic one neither
    eth = csv[csv["series"] == "ETH"]
    syn = csv[csv["series"] == "synthetic"]
    assert eth["mape"].notna().all() and syn["mape"].isna().all()
    assert "zero-base" in eth.loc[eth["model"] == RIDGE, "setup"].iloc[0]
    assert "standardised" in syn.loc[syn["model"] == RIDGE, "setup"].iloc[0]
    report = (out / "report.md").read_text()
    assert "Benchmark: one-step forecasts" in report and "| width/RW |" in report
    assert "How to read it" in report
    for name in ("benchmark_coverage_synthetic.png", "benchmark_coverage_eth.png", "results.csv"):
        assert (out / name).stat().st_size > 0
    assert set(result.results["part"]) == {"benchmark"}


def test_naive_mse_matches_an_independent_computation(quick_run):
    result, _ = quick_run
    table = result.tables["benchmark"]
    close = _eth_tail().to_numpy()
    n_test = int(0.2 * (len(close) - 1))
    expected = np.mean((close[-n_test:] - close[-n_test - 1:-1]) ** 2)
    row = table[(table["experiment"] == "ETH") & (table["model"] == NAIVE)].iloc[0]
    assert row["n_test"] == n_test
    assert row["mse"] == pytest.approx(expected, rel=1e-12)


def test_baselines_follow_the_study_protocol():
    """Naive and ridge equal the study's own pipeline (prepare_data) on the same close."""
    from skrnn.study import fit_evaluate, linear_baseline, naive_run, prepare_data

    close = _eth_tail(300)
    res = evaluate_series(BenchmarkSeries("ETH", close, 10, "test"), StudyConfig(), networks=False)
    rows = {r["model"]: r for r in series_rows(res)}
    data = prepare_data(close.to_frame(), ["close"], window_len=10)
    assert len(data.y_test) == res.n_test == split_sizes(300)[1]
    np.testing.assert_allclose(res.actual, data.y_test)
    assert rows[NAIVE]["mse"] == pytest.approx(naive_run(data).metrics["mse"], rel=1e-12)
    ridge = fit_evaluate(data, linear_baseline(), kind="linear")
    assert rows[RIDGE]["mse"] == pytest.approx(ridge.metrics["mse"], rel=1e-9)


@pytest.mark.filterwarnings("ignore::FutureWarning")  # sktime's remember_data notice
def test_autoets_forecasts_from_every_origin():
    """The first forecast is sktime's from the cutoff; later ones move with the data."""
    pytest.importorskip("statsforecast")
    from sktime.forecasting.statsforecast import StatsForecastAutoETS

    close = _eth_tail(300)
    res = evaluate_series(BenchmarkSeries("ETH", close, 10, "test"), StudyConfig(), networks=False)
    ets = next(m for m in res.models if m.name == ETS)
    n_fit = res.n_fit
    f = StatsForecastAutoETS(season_length=1).fit(pd.Series(close.to_numpy()[:n_fit + 1]))
    assert ets.preds[0][0] == pytest.approx(f.predict(fh=[1]).iloc[0], rel=1e-9)
    assert np.unique(np.round(ets.preds[0], 6)).size > res.n_test // 2
    assert (ets.lowers[0] < ets.preds[0]).all() and (ets.preds[0] < ets.uppers[0]).all()


def test_without_statsforecast_the_row_says_so(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "statsforecast" else real(name, *a))
    series = BenchmarkSeries("synthetic", logistic_map_series(200), 10, "test")
    res = evaluate_series(series, StudyConfig(), networks=False)
    rows = {r["model"]: r for r in series_rows(res)}
    assert rows[ETS]["setup"].startswith("not run: statsforecast is not installed")
    assert "mse" not in rows[ETS] and np.isfinite(rows[RIDGE]["mse"])
    assert any("statsforecast" in note for note in res.notes)


def test_too_short_a_series_is_one_clear_error():
    from skrnn.study import StudyError

    with pytest.raises(StudyError, match="training windows"):
        evaluate_series(BenchmarkSeries("x", logistic_map_series(50), 10, "test"), StudyConfig(),
                        networks=False)


def test_network_beats_ridge_on_the_synthetic_series():
    """A small LSTM learns the logistic map's parabola; ridge on the windows cannot."""
    cfg = StudyConfig.quick_config(units=16, epochs=10, epochs_given=True, learning_rate=0.01,
                                   n_seeds=1)
    series = BenchmarkSeries("synthetic", logistic_map_series(600), 10, "test")
    rows = {r["model"]: r for r in series_rows(evaluate_series(series, cfg, networks=["lstm"]))}
    assert rows["LSTM(16)"]["mse_to_ridge"] < 0.5, rows["LSTM(16)"]
    assert rows[RIDGE]["mse_to_naive"] < 1


# --------------------------------------------------------------------------- #
# command line
# --------------------------------------------------------------------------- #
def _run(argv, capsys):
    from skrnn.cli import main

    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def _small_csv(path, n=300):
    rng = np.random.default_rng(0)
    value = 100 * np.exp(np.cumsum(0.01 * rng.standard_normal(n)))
    pd.DataFrame({"date": pd.date_range("2020-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
                  "value": value}).to_csv(path, index=False)
    return value


def test_cli_benchmark_csv_quick(tmp_path, capsys):
    csv = tmp_path / "small.csv"
    value = _small_csv(csv)
    out = tmp_path / "rep"
    code, stdout, err = _run(["study", "benchmark", "--csv", str(csv), "--target", "value",
                              "--quick", "--units", "4", "--epochs", "1", "--out", str(out)],
                             capsys)
    assert code == 0, err
    assert "Traceback" not in err
    assert "== benchmark" in stdout and "MSE/naive" in stdout and "coverage" in stdout
    table = pd.read_csv(out / "benchmark.csv")
    assert set(table["series"]) == {"value"}
    assert {NAIVE, RIDGE, "LSTM(4) reference", "LSTM(4)", "GRU(4)"} <= set(table["model"])
    n_test = int(0.2 * (len(value) - 1))
    naive = table[table["model"] == NAIVE].iloc[0]
    assert naive["mse"] == pytest.approx(np.mean((value[-n_test:] - value[-n_test - 1:-1]) ** 2))
    assert (out / "benchmark_coverage_value.png").exists()


@pytest.mark.parametrize("argv, message", [
    (["--csv", "small.csv"], "--csv FILE and --target COLUMN go together"),
    (["features", "--csv", "small.csv", "--target", "value"], "benchmark part only"),
    (["benchmark", "--csv", "small.csv", "--target", "price"], "target column 'price' is not in"),
])
def test_cli_benchmark_csv_errors(tmp_path, capsys, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    _small_csv(tmp_path / "small.csv")
    code, _, err = _run(["study", *argv, "--quick", "--out", str(tmp_path / "rep")], capsys)
    assert code == 2
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "rep").exists()  # refused before anything is written
