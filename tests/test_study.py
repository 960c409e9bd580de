"""The ETH study (skrnn.study): every part on a small slice with tiny models."""

import io
import json
import math
import sys

import numpy as np
import pandas as pd
import pytest

from skrnn.study import (
    DEFAULT_PARTS,
    FEATURE_COMBINATIONS,
    PARTS,
    Progress,
    StudyConfig,
    StudyError,
    fit_evaluate,
    lab_regressor,
    linear_baseline,
    markdown_table,
    prepare_data,
    regression_metrics,
    resolve_parts,
    run_study,
    zero_base_safe,
)

from .conftest import F32

START, END = "2020-09-01", "2021-05-11"  # 253 days: fast, and the test part is the 2021 rally
PARTS_UNDER_TEST = ["features", "ablation", "architectures", "indicators", "crossasset", "btc", "search"]
NAIVE = "naive (last value)"
LINEAR = "linear (ridge)"


def tiny_config(**kw):
    params = dict(units=4, epochs=1, n_samples=10,
                  search_grid={"window__window_len": [5, 10]}, search_splits=2)
    params.update(kw)
    return StudyConfig.quick_config(**params)


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    stream = io.StringIO()
    result = run_study(PARTS_UNDER_TEST, config=tiny_config(), out_dir=out, start=START, end=END,
                       progress=Progress(stream), argv=["study", "--quick"], raise_errors=True)
    return result, stream.getvalue()


def _is_png(path):
    with open(path, "rb") as fh:
        return fh.read(8) == b"\x89PNG\r\n\x1a\n"


# --------------------------------------------------------------------------- #
# the parts
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("part", PARTS_UNDER_TEST)
def test_each_part_has_rows_baselines_and_figures(study, part):
    result, _ = study
    assert part not in result.errors
    table = result.tables[part]
    models = set(table["model"])
    assert NAIVE in models and LINEAR in models
    assert (table["model"] == NAIVE).sum() == 1
    assert table["mse"].notna().all() and (table["mse"] > 0).all()
    assert np.allclose(table["rmse"], np.sqrt(table["mse"]))
    assert (result.results["part"] == part).sum() == len(table)
    figures = result.figures[part]
    assert figures
    for path in figures:
        assert path.exists() and path.stat().st_size > 1000 and _is_png(path)


def test_features_ranks_the_four_combinations(study):
    result, _ = study
    table = result.tables["features"]
    lstm = table[table["model"] == "LSTM"]
    assert sorted(lstm["experiment"]) == sorted(FEATURE_COMBINATIONS)
    assert list(table["rank"]) == list(range(1, len(table) + 1))
    assert table["mse"].is_monotonic_increasing
    assert set(lstm["n_features"]) == {5, 8, 6, 9}
    assert (lstm["epochs"] == 1).all() and (lstm["train_time_s"] > 0).all()
    # zero-base MSE is on the reference scale, far below the USD MSE
    assert (table["mse_zb"] < 1).all()
    naive = table[table["model"] == NAIVE].iloc[0]
    assert naive["mse_vs_naive"] == pytest.approx(0.0)
    names = {p.name for p in result.figures["features"]}
    assert {"split.png", "features_predictions.png", "features_history.png",
            "features_errors.png", "features_interval.png"} <= names


def test_interval_and_worst_days(study):
    from skrnn.datasets import load_eth

    result, _ = study
    iv = result.extra_tables["interval"].set_index("band")
    assert list(iv.index) == ["MC dropout (raw)", "calibrated (split conformal)", "random walk"]
    assert (iv["nominal_coverage"] == 0.9).all()
    for band in ("MC dropout (raw)", "calibrated (split conformal)"):
        assert iv.loc[band, "passes"] == 10
    for band in iv.index:
        assert 0.0 <= iv.loc[band, "empirical_coverage"] <= 1.0
        assert iv.loc[band, "median_width_usd"] > 0 and iv.loc[band, "mean_width_usd"] > 0
    # 193 training windows: calibration_fraction 0.1 holds out the 19 a 90% band needs
    assert iv.loc["calibrated (split conformal)", "n_calibration"] == 19
    # the random-walk band against an independent computation on the bundled data
    close = load_eth(start=START, end=END)["close"].to_numpy()
    n = len(close) - 1
    n_test = int(0.2 * n)
    train = close[:n - n_test]
    ordered = np.sort(train[1:] / train[:-1] - 1)

    def hand_quantile(p):  # linear interpolation between order statistics
        pos = p * (len(ordered) - 1)
        k = int(np.floor(pos))
        return ordered[k] + (pos - k) * (ordered[k + 1] - ordered[k])

    t = np.arange(n - n_test, n)
    lower, upper = close[t] * (1 + hand_quantile(0.05)), close[t] * (1 + hand_quantile(0.95))
    rw = iv.loc["random walk"]
    assert rw["empirical_coverage"] == pytest.approx(
        np.mean((close[t + 1] >= lower) & (close[t + 1] <= upper)))
    assert rw["median_width_usd"] == pytest.approx(np.median(upper - lower))
    # the report shows the three bands, each with coverage and width
    report = (result.out_dir / "report.md").read_text(encoding="utf-8")
    assert "| band | coverage | median width USD |" in report
    for band in iv.index:
        assert f"| {band} | {iv.loc[band, 'empirical_coverage']:.1%} | " \
               f"{iv.loc[band, 'median_width_usd']:,.1f} |" in report
    worst = result.extra_tables["worst_days"]
    assert len(worst) == 5 and worst["abs_error"].is_monotonic_decreasing


def test_random_walk_band_relative_by_hand():
    from skrnn.study._baselines import band_summary, random_walk_band

    # 21 one-step relative changes -0.10, -0.09, ..., +0.10 in shuffled order: with linear
    # interpolation the 5th percentile is the 2nd smallest (-0.09), the 95th the 2nd largest
    changes = np.random.default_rng(0).permutation(np.arange(-10, 11) / 100)
    values = 100 * np.cumprod(np.r_[1.0, 1 + changes])
    lower, upper = random_walk_band(values, [50.0, 200.0], coverage=0.9)
    np.testing.assert_allclose(lower, [50 * 0.91, 200 * 0.91])
    np.testing.assert_allclose(upper, [50 * 1.09, 200 * 1.09])
    lo, hi = random_walk_band(values, 80.0)  # a scalar last value, default coverage 0.9
    assert np.ndim(lo) == 0 and float(lo) == pytest.approx(72.8) and float(hi) == pytest.approx(87.2)
    # coverage 0.8: the 10th percentile lies at position 2 (-0.08), the 90th at 18 (+0.08)
    lo, hi = random_walk_band(values, 100.0, coverage=0.8)
    assert float(lo) == pytest.approx(92.0) and float(hi) == pytest.approx(108.0)
    summary = band_summary([91.0, 95.0, 120.0], [92.0, 92.0, 92.0], [108.0, 108.0, 110.0])
    assert summary == {"coverage": pytest.approx(1 / 3), "median_width": 16.0,
                       "mean_width": pytest.approx(50 / 3), "n": 3}


def test_random_walk_band_absolute_by_hand():
    from skrnn.study._baselines import random_walk_band

    # a series through zero: absolute changes -10 .. +10 (5th/95th percentiles -9 and +9)
    changes = np.random.default_rng(1).permutation(np.arange(-10.0, 11.0))
    values = np.r_[-3.0, -3.0 + np.cumsum(changes)]
    assert (values <= 0).any()
    lower, upper = random_walk_band(values, [-1.0, 4.0])
    np.testing.assert_allclose(lower, [-10.0, -5.0])
    np.testing.assert_allclose(upper, [8.0, 13.0])
    # a positive series with a non-positive last value falls back to absolute changes too
    positive = 100 + np.r_[0.0, np.cumsum(changes)]
    lower, upper = random_walk_band(positive, [0.0])
    np.testing.assert_allclose([lower[0], upper[0]], [-9.0, 9.0])
    # horizon 2: changes x[t + 2] - x[t], percentiles by hand (linear interpolation)
    two = np.sort(values[2:] - values[:-2])
    pos_lo, pos_hi = 0.05 * (len(two) - 1), 0.95 * (len(two) - 1)

    def at(pos):
        k = int(pos)
        return two[k] + (pos - k) * (two[k + 1] - two[k])

    lower, upper = random_walk_band(values, 0.0, horizon=2)
    assert float(lower) == pytest.approx(at(pos_lo)) and float(upper) == pytest.approx(at(pos_hi))
    with pytest.raises(ValueError, match="coverage"):
        random_walk_band(values, 0.0, coverage=1.0)
    with pytest.raises(ValueError, match="at least"):
        random_walk_band([1.0, 2.0], 0.0)


def test_naive_baseline_matches_an_independent_computation(study):
    from skrnn.datasets import load_eth

    result, _ = study
    close = load_eth(start=START, end=END)["close"].to_numpy()
    # rows t = 0 .. n-2 have a target close[t + 1]; the reference split on those rows
    n = len(close) - 1
    n_test = int(0.2 * n)
    t = np.arange(n - n_test, n)
    expected = np.mean((close[t + 1] - close[t]) ** 2)
    expected_zb = np.mean(((close[t + 1] - close[t]) / close[t - 9]) ** 2)
    for part in ("features", "ablation", "architectures", "indicators", "crossasset", "search"):
        naive = result.tables[part].query("model == @NAIVE").iloc[0]
        assert naive["mse"] == pytest.approx(expected, rel=1e-12)
        assert naive["mse_zb"] == pytest.approx(expected_zb, rel=1e-12)
        assert naive["n_test"] == n_test


def test_ablation_drops_one_group_at_a_time(study):
    result, _ = study
    table = result.tables["ablation"]
    lstm = table[table["model"] == "LSTM"].set_index("experiment")
    assert set(lstm.index) == {"historical+blockchain+twitter", "without historical",
                               "without blockchain", "without twitter"}
    assert lstm.loc["historical+blockchain+twitter", "delta_mse"] == 0
    full = lstm.loc["historical+blockchain+twitter", "mse"]
    for name in ("without historical", "without blockchain", "without twitter"):
        assert lstm.loc[name, "delta_mse"] == pytest.approx(lstm.loc[name, "mse"] - full)
    # 'without historical' keeps the target's own history
    assert lstm.loc["without historical", "features"].split(",")[0] == "close"
    ranked = lstm[lstm["rank"].notna()].sort_values("rank")
    assert ranked["delta_mse"].is_monotonic_decreasing


def test_architectures_and_shared_runs(study):
    result, _ = study
    table = result.tables["architectures"]
    nets = table.set_index("model")
    assert {"LSTM", "GRU", "BiLSTM", "2xLSTM", "Transformer"} <= set(nets.index)
    assert nets.loc["BiLSTM", "n_params"] > nets.loc["LSTM", "n_params"]
    assert nets.loc["2xLSTM", "n_params"] > nets.loc["LSTM", "n_params"]
    # the LSTM on [historical] is trained once and shared by the parts
    feat = result.tables["features"].query("model == 'LSTM' and experiment == 'historical'").iloc[0]
    assert nets.loc["LSTM", "mse"] == feat["mse"]


def test_indicators_and_crossasset_add_columns(study):
    result, _ = study
    ind = result.tables["indicators"].set_index(["experiment", "model"])
    feats = ind.loc[("historical+indicators", "LSTM"), "features"].split(",")
    assert {"rsi", "macd", "macd_signal", "macd_hist", "bb_upper", "bb_middle", "bb_lower"} <= set(feats)
    cross = result.tables["crossasset"].set_index(["experiment", "model"])
    assert cross.loc[("historical+btc", "LSTM"), "features"].split(",")[-1] == "btc_close"
    corr = result.extra_tables["correlation"]
    assert list(corr["period"]) == ["train", "test"]
    assert corr["corr_close"].between(-1, 1).all()


def test_btc_part_uses_bitcoin(study):
    from skrnn.datasets import load_btc

    result, _ = study
    naive = result.tables["btc"].query("model == @NAIVE").iloc[0]
    close = load_btc(start=START, end=END)["close"].to_numpy()
    n = len(close) - 1
    t = np.arange(n - int(0.2 * n), n)
    assert naive["mse"] == pytest.approx(np.mean((close[t + 1] - close[t]) ** 2))
    assert result.data_info["btc"]["rows"] == len(close)


def test_search_reports_grid_and_best(study):
    result, _ = study
    grid = result.extra_tables["grid"]
    assert len(grid) == 2 and set(grid["window_len"]) == {5, 10}
    assert grid["cv_mse"].notna().all()
    table = result.tables["search"]
    assert (table["model"] == "LSTM (grid search)").sum() == 1


def test_progress_prints_one_line_per_epoch(study):
    _, text = study
    assert "[features: historical] epoch 1/1 loss=" in text
    assert "val_loss=" in text
    assert "[architectures: historical GRU] epoch 1/1" in text
    assert "[search fit 1/5] epoch 1/1" in text


# --------------------------------------------------------------------------- #
# report files
# --------------------------------------------------------------------------- #
def test_report_files(study):
    result, _ = study
    out = result.out_dir
    for name in ("results.csv", "results.json", "report.md"):
        assert (out / name).stat().st_size > 0
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "| rank | experiment | model |" in report
    assert "naive (last value)" in report and "linear (ridge)" in report
    # every embedded figure exists next to the report
    import re

    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", report)
    assert len(links) == sum(len(v) for v in result.figures.values())
    for link in links:
        assert (out / link).exists()


def test_results_json_round_trips(study):
    result, _ = study
    out = result.out_dir
    payload = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert payload["seed"] == 0
    assert payload["config"]["units"] == 4 and payload["config"]["window_len"] == 10
    assert payload["config"] == StudyConfig(**payload["config"]).to_dict()
    assert payload["parts"] == PARTS_UNDER_TEST
    assert payload["command"] == ["study", "--quick"]
    for package in ("skrnn", "numpy", "pandas", "scikit-learn", "keras", "tensorflow"):
        assert payload["versions"][package]
    from_json = pd.DataFrame(payload["results"])
    from_csv = pd.read_csv(out / "results.csv")
    assert list(from_json.columns) == list(from_csv.columns)
    pd.testing.assert_frame_equal(from_json.astype({c: float for c in ("mse", "mae", "r2")}),
                                  from_csv.astype({c: float for c in ("mse", "mae", "r2")}),
                                  check_dtype=False)
    assert set(payload["tables"]) == set(PARTS_UNDER_TEST)


# --------------------------------------------------------------------------- #
# building blocks
# --------------------------------------------------------------------------- #
def _frame(n=60):
    idx = pd.date_range("2021-01-01", periods=n, freq="D", tz="UTC")
    close = 100 + np.arange(n, dtype=float)
    return pd.DataFrame({"close": close, "volume": 10 + np.arange(n) % 7,
                         "sentiment": np.sin(np.arange(n))}, index=idx)


def test_prepare_data_has_no_padded_window():
    frame = _frame()
    data = prepare_data(frame, ["volume", "close"], window_len=5)
    n = len(frame) - 1
    n_test = int(0.2 * n)
    n_train = n - n_test
    assert data.columns[0] == "close" and data.target_channel == 0
    assert len(data.W_train) == len(data.y_train) == n_train - 4
    # the first training window is rows 0..4 unpadded, its target close[5]
    assert data.W_train[0, :, 0].tolist() == frame["close"].iloc[:5].tolist()
    assert data.y_train[0] == frame["close"].iloc[5]
    # the first test window takes its history from the end of the training rows
    assert data.W_test[0, :, 0].tolist() == frame["close"].iloc[n_train - 4:n_train + 1].tolist()
    assert data.test_dates[0] == frame.index[n_train + 1]
    assert np.array_equal(data.naive_test, frame["close"].iloc[n_train:n].to_numpy())
    assert np.array_equal(data.base_test, data.W_test[:, 0, 0])


def test_prepare_data_keeps_training_targets_out_of_the_test_period():
    frame = _frame()
    data = prepare_data(frame, ["close"], horizon=3, window_len=5)
    n = len(frame) - 3
    n_train = n - int(0.2 * n)
    assert len(data.W_train) == n_train - 4 - 2
    assert data.train_dates[-1] < data.test_dates[0]
    assert data.train_dates[-1] == frame.index[n_train]  # the last training target
    # windows stay contiguous: the first test window ends at the first test row
    assert data.W_test[0, -1, 0] == frame["close"].iloc[n_train]
    assert data.y_test[0] == frame["close"].iloc[n_train + 3]


def test_zero_base_safe_shifts_signed_features():
    frame = pd.DataFrame({"close": [100.0, 200.0], "sentiment": [-0.5, 0.0],
                          "macd": [-5.0, 10.0], "volume": [1.0, 2.0]})
    out = zero_base_safe(frame)
    assert out["sentiment"].tolist() == [0.5, 1.0]
    assert out["macd"].tolist() == [0.95, 1.05]
    assert out["volume"].tolist() == [1.0, 2.0] and out["close"].tolist() == [100.0, 200.0]
    data = prepare_data(_frame(), ["close", "sentiment"], window_len=5)
    assert (data.W_train[:, :, 1] >= 0).all()


def test_regression_metrics_match_sklearn():
    from sklearn.metrics import (mean_absolute_error, mean_absolute_percentage_error,
                                 mean_squared_error, r2_score)

    rng = np.random.default_rng(0)
    y = 100 + rng.normal(size=50)
    p = y + rng.normal(size=50)
    base = 90 + rng.random(50)
    m = regression_metrics(y, p, base)
    assert m["mse"] == pytest.approx(mean_squared_error(y, p))
    assert m["rmse"] == pytest.approx(math.sqrt(mean_squared_error(y, p)))
    assert m["mae"] == pytest.approx(mean_absolute_error(y, p))
    assert m["r2"] == pytest.approx(r2_score(y, p))
    assert m["mape"] == pytest.approx(100 * mean_absolute_percentage_error(y, p))
    assert m["mse_zb"] == pytest.approx(np.mean(((y / base - 1) - (p / base - 1)) ** 2))


def test_lab_regressor_is_the_labs_model():
    params = lab_regressor().get_params()
    assert params["units"] == 256 and params["dropout"] == 0.2 and params["epochs"] == 100
    assert params["batch_size"] == 32 and params["early_stopping"] == 10
    assert params["lr_decay"] == 0.75 and params["lr_decay_every"] == 10
    assert params["normalize"] == "zero_base" and params["validation_fraction"] == 0.1
    assert lab_regressor("stacked", StudyConfig(units=8)).get_params()["units"] == (8, 8)
    assert lab_regressor("bilstm").get_params()["bidirectional"] is True
    assert type(lab_regressor("transformer")).__name__ == "TransformerRegressor"
    with pytest.raises(StudyError):
        lab_regressor("no-such-network")


def test_fit_evaluate_is_reproducible_with_a_seed():
    data = prepare_data(_frame(80), ["close", "volume"], window_len=5)
    cfg = tiny_config(seed=3)
    a = fit_evaluate(data, lab_regressor("lstm", cfg), "x")
    b = fit_evaluate(data, lab_regressor("lstm", cfg), "x")
    np.testing.assert_allclose(a.predicted.to_numpy(), b.predicted.to_numpy(), **F32)
    assert a.pipeline.predict(data.X_test).shape == (len(data.y_test),)
    np.testing.assert_allclose(a.pipeline.predict(data.X_test), a.predicted.to_numpy(), **F32)
    lin = fit_evaluate(data, linear_baseline(), "x", "linear")
    assert lin.metrics["mse"] < 50  # a straight line is easy for ridge on zero-base windows


def test_markdown_table_formats_and_escapes():
    df = pd.DataFrame({"name": ["a|b", "c"], "mse": [1234.5678, float("nan")], "n": [1, 2]})
    text = markdown_table(df, {"mse": "{:,.1f}"}, {"name": "Name", "mse": "MSE"})
    lines = text.splitlines()
    assert lines[0] == "| Name | MSE |"
    assert lines[1] == "|---|---:|"
    assert lines[2] == "| a\\|b | 1,234.6 |"
    assert lines[3] == "| c |  |"


# --------------------------------------------------------------------------- #
# options and errors
# --------------------------------------------------------------------------- #
def test_resolve_parts():
    assert resolve_parts(None) == list(DEFAULT_PARTS)
    assert resolve_parts(["all"]) == list(PARTS)
    assert resolve_parts(["features,ablation", "features"]) == ["features", "ablation"]
    with pytest.raises(StudyError, match="unknown part 'nope'"):
        resolve_parts(["features", "nope"])


def test_config_validation():
    with pytest.raises(StudyError, match="window_len"):
        StudyConfig(window_len=1).validate()
    with pytest.raises(StudyError, match="seed"):
        StudyConfig(seed=-1).validate()
    with pytest.raises(StudyError, match="epochs"):
        StudyConfig(epochs=0).validate()


def test_unwritable_report_folder_fails_before_training(tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    with pytest.raises(StudyError, match="cannot write the report folder"):
        run_study(["features"], config=tiny_config(), out_dir=blocker / "report")


def test_multistep_unavailable_is_one_clear_line(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "skrnn.study._multistep", None)  # import fails
    result = run_study(["multistep"], config=tiny_config(), out_dir=tmp_path, start=START, end=END)
    assert result.errors["multistep"].startswith("multistep part not available: ")
    assert "\n" not in result.errors["multistep"]
    report = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "multistep part not available" in report
    assert json.loads((tmp_path / "results.json").read_text())["errors"]["multistep"]


def test_multistep_part_runs(tmp_path):
    pytest.importorskip("skrnn.study._multistep")
    pytest.importorskip("sktime")
    result = run_study(["multistep"], config=tiny_config(), out_dir=tmp_path,
                       start="2020-06-01", end=END, raise_errors=True)
    table = result.tables["multistep"]
    assert {"horizon", "model", "mse"} <= set(table.columns)
    assert set(table["horizon"]) >= {1, 7, 30}
    assert "naive" in set(table["model"])
    assert result.figures["multistep"]
    for path in result.figures["multistep"]:
        assert path.exists() and path.stat().st_size > 0
    assert (result.results["part"] == "multistep").all()
    assert "Multi-step" in (tmp_path / "report.md").read_text(encoding="utf-8")
