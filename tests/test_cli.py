"""The command line: ``skrnn study`` / ``skrnn forecast`` (in-process via main)."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from skrnn.cli import main

ROOT = Path(__file__).resolve().parents[1]


def run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_error_line(code, err, *fragments):
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("skrnn: error: ")
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0]


def sine_csv(path, n=200, order="sorted", extra=None):
    """A sine + trend series with a date column (and a text column)."""
    dates = pd.date_range("2020-01-01", periods=n, freq="D")
    t = np.arange(n)
    value = 100 + 0.2 * t + 10 * np.sin(2 * np.pi * t / 30)
    frame = pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), "value": value,
                          "other": 2 + np.cos(t / 7), "label": "x"})
    if extra is not None:
        frame = extra(frame)
    if order == "reversed":
        frame = frame.iloc[::-1]
    frame.to_csv(path, index=False)
    return path


# --------------------------------------------------------------------------- #
# help
# --------------------------------------------------------------------------- #
def test_python_m_skrnn_help_subprocess():
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-m", "skrnn", "--help"], capture_output=True,
                          text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "study" in proc.stdout and "forecast" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_study_and_forecast_help(capsys):
    code, out, _ = run(["study", "--help"], capsys)
    assert code == 0
    for word in ("--parts", "--epochs", "--window", "--units", "--seed", "--out", "--quick",
                 "features", "ablation", "architectures", "indicators", "crossasset", "btc",
                 "search", "multistep", "all"):
        assert word in out
    code, out, _ = run(["forecast", "--help"], capsys)
    assert code == 0
    for word in ("--target", "--date", "--horizon", "predictions.csv", "forecast.png", "next.csv",
                 "lower_90", "upper_90", "random_walk_lower_90", "refit on ALL rows",
                 "calibration_fraction"):
        assert word in out
    assert "%%" not in out


# --------------------------------------------------------------------------- #
# errors: exit 2, one line, no traceback
# --------------------------------------------------------------------------- #
def test_no_command(capsys):
    assert_one_error_line(*run([], capsys)[::2], "choose a command")


def test_unknown_part(capsys, tmp_path):
    code, _, err = run(["study", "--parts", "features", "nope", "--out", str(tmp_path)], capsys)
    assert_one_error_line(code, err, "unknown part 'nope'")


def test_unwritable_report_folder(capsys, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    code, _, err = run(["study", "--quick", "--out", str(blocker / "report")], capsys)
    assert_one_error_line(code, err, "cannot write the report folder")


@pytest.mark.parametrize("argv, fragment", [
    (["study", "--epochs", "0"], "--epochs must be an integer >= 1"),
    (["study", "--window", "ten"], "--window must be an integer >= 2"),
    (["study", "--seed", "-1"], "--seed must be an integer >= 0"),
    (["study", "--units"], "expected one argument"),
    (["study", "--colour"], "unrecognized arguments"),
    (["forecast", "x.csv"], "--target"),
    (["forecast", "x.csv", "--target", "v", "--horizon", "0"], "--horizon"),
])
def test_bad_options(capsys, argv, fragment):
    code, _, err = run(argv, capsys)
    assert_one_error_line(code, err, fragment)


def _forecast_error(tmp_path, capsys, frame_or_text, *args):
    path = tmp_path / "data.csv"
    if isinstance(frame_or_text, str):
        path.write_text(frame_or_text)
    else:
        frame_or_text.to_csv(path, index=False)
    code, _, err = run(["forecast", str(path), "--out", str(tmp_path / "out"), "--quick", *args],
                       capsys)
    return code, err


def _series(n=100):
    return pd.DataFrame({"date": pd.date_range("2021-01-01", periods=n).strftime("%Y-%m-%d"),
                         "price": 100 + np.arange(n, dtype=float)})


def test_forecast_missing_file(capsys, tmp_path):
    code, _, err = run(["forecast", str(tmp_path / "nope.csv"), "--target", "price",
                        "--out", str(tmp_path / "out")], capsys)
    assert not (tmp_path / "out").exists()  # nothing is created for a failed command
    assert_one_error_line(code, err, "no such file")


def test_forecast_missing_column(capsys, tmp_path):
    code, err = _forecast_error(tmp_path, capsys, _series(), "--target", "close")
    assert_one_error_line(code, err, "target column 'close' is not in", "'price'")
    code, err = _forecast_error(tmp_path, capsys, _series(), "--target", "price", "--date", "day")
    assert_one_error_line(code, err, "date column 'day' is not in")


def test_forecast_non_numeric_target(capsys, tmp_path):
    frame = _series()
    frame["price"] = frame["price"].astype(str)
    frame.loc[5, "price"] = "12 USD"
    code, err = _forecast_error(tmp_path, capsys, frame, "--target", "price")
    assert_one_error_line(code, err, "not numeric", "line 7", "12 USD")


def test_forecast_unparsable_date(capsys, tmp_path):
    frame = _series()
    frame.loc[3, "date"] = "yesterday"
    code, err = _forecast_error(tmp_path, capsys, frame, "--target", "price", "--date", "date")
    assert_one_error_line(code, err, "not a date", "line 5", "yesterday")
    # the default date column (the first one) is checked the same way
    code, err = _forecast_error(tmp_path, capsys, frame, "--target", "price")
    assert_one_error_line(code, err, "not a date", "line 5")


def test_forecast_duplicated_dates(capsys, tmp_path):
    frame = _series()
    frame.loc[10, "date"] = frame.loc[9, "date"]
    code, err = _forecast_error(tmp_path, capsys, frame, "--target", "price")
    assert_one_error_line(code, err, "duplicated date 2021-01-10", "lines 11, 12")


def test_forecast_too_few_rows(capsys, tmp_path):
    code, err = _forecast_error(tmp_path, capsys, _series(20), "--target", "price")
    assert_one_error_line(code, err, "has 20 rows", "at least")
    # one row short of the 38 training windows a calibrated 90% band needs (19 held out)
    code, err = _forecast_error(tmp_path, capsys, _series(58), "--target", "price")
    assert_one_error_line(code, err, "has 58 rows", "at least 59", "19 of them to calibrate the "
                          "90% interval", "Use more rows or a shorter window")


def test_forecast_missing_target_value(capsys, tmp_path):
    frame = _series()
    frame.loc[4, "price"] = np.nan
    code, err = _forecast_error(tmp_path, capsys, frame, "--target", "price")
    assert_one_error_line(code, err, "missing or infinite", "line 6")


def test_forecast_empty_and_malformed_files(capsys, tmp_path):
    code, err = _forecast_error(tmp_path, capsys, "", "--target", "price")
    assert_one_error_line(code, err, "empty")
    code, err = _forecast_error(tmp_path, capsys, "a,b\n1,2\n3,4,5,6\n", "--target", "a")
    assert_one_error_line(code, err, "not a well-formed CSV")


def test_forecast_unwritable_output(capsys, tmp_path):
    csv = sine_csv(tmp_path / "s.csv")
    blocker = tmp_path / "f"
    blocker.write_text("x")
    code, _, err = run(["forecast", str(csv), "--target", "value", "--out", str(blocker / "o")],
                       capsys)
    assert_one_error_line(code, err, "cannot write")


# --------------------------------------------------------------------------- #
# forecast end to end
# --------------------------------------------------------------------------- #
def test_forecast_writes_predictions_and_plot(capsys, tmp_path):
    def with_gap(frame):
        return frame.drop(index=range(50, 53))  # three missing days

    n, horizon = 200, 2
    csv = sine_csv(tmp_path / "sine.csv", n=n, order="reversed", extra=with_gap)
    out = tmp_path / "out"
    code, stdout, err = run(["forecast", str(csv), "--target", "value", "--horizon", str(horizon),
                             "--window", "8", "--epochs", "2", "--units", "4", "--out", str(out),
                             "--seed", "1"], capsys)
    assert code == 0, err
    assert "Traceback" not in err
    # notes: sorted, the gap, the ignored text column
    assert "sorted them by 'date'" in err
    assert "gap(s) in time" in err and "2020-02-19 -> 2020-02-23" in err
    assert "ignored non-numeric column(s) ['label']" in err
    assert "[forecast: value] epoch 2/2 loss=" in err
    assert "naive (last value)" in stdout and "LSTM" in stdout and "next value" in stdout
    # 151 training windows: the default calibration_fraction 0.1 would hold out 15 < 19
    assert "calibration_fraction raised from 0.1 to 0.13" in err
    assert "90% interval calibrated on the last 19 training windows (calibration_fraction 0.13)" \
        in stdout
    assert "[forecast: value, all rows] refitting the LSTM on all" in err

    source = pd.read_csv(csv).sort_values("date").reset_index(drop=True)
    rows = len(source)
    n_sup = rows - horizon
    n_test = int(0.2 * n_sup)
    pred = pd.read_csv(out / "predictions.csv")
    assert list(pred.columns) == ["date", "actual", "predicted", "lower_90", "upper_90", "naive",
                                  "random_walk_lower_90", "random_walk_upper_90"]
    assert len(pred) == n_test
    # target dates: the last n_test rows; naive = the value horizon rows earlier
    assert pred["date"].tolist() == source["date"].iloc[rows - n_test:].tolist()
    np.testing.assert_allclose(pred["actual"], source["value"].iloc[rows - n_test:])
    np.testing.assert_allclose(pred["naive"], source["value"].iloc[rows - n_test - horizon:rows - horizon])
    assert pred["predicted"].notna().all()
    # the LSTM's calibrated band of every test target
    assert pred[["lower_90", "upper_90"]].notna().all().all()
    assert (pred["lower_90"] <= pred["upper_90"]).all()
    # the random-walk band: naive moved by the 5th/95th percentiles of the training rows'
    # relative 2-step changes (the series is positive)
    train = source["value"].to_numpy()[:n_sup - n_test]
    change = train[horizon:] / train[:-horizon] - 1
    np.testing.assert_allclose(pred["random_walk_lower_90"],
                               pred["naive"] * (1 + np.quantile(change, 0.05)))
    np.testing.assert_allclose(pred["random_walk_upper_90"],
                               pred["naive"] * (1 + np.quantile(change, 0.95)))

    def inside(lo, hi):
        return ((pred["actual"] >= pred[lo]) & (pred["actual"] <= pred[hi])).mean()

    width = (pred["upper_90"] - pred["lower_90"]).median()
    rw_width = (pred["random_walk_upper_90"] - pred["random_walk_lower_90"]).median()
    line = next(x for x in stdout.splitlines() if x.startswith("90% interval on the test part"))
    assert (f"LSTM covers {inside('lower_90', 'upper_90'):.1%} of {n_test} targets, median width "
            f"{width:.6g}; random-walk band covers "
            f"{inside('random_walk_lower_90', 'random_walk_upper_90'):.1%}, median width "
            f"{rw_width:.6g}") in line
    # the next value, from the model refit on all rows, with its calibrated band
    nxt = pd.read_csv(out / "next.csv")
    assert list(nxt.columns) == ["date", "horizon", "last_value", "prediction", "lower_90",
                                 "upper_90", "random_walk_lower_90", "random_walk_upper_90"]
    assert len(nxt) == 1
    row = nxt.iloc[0]
    assert row["date"] == "2020-07-20" and row["horizon"] == horizon  # last row 2020-07-18
    assert row["last_value"] == pytest.approx(source["value"].iloc[-1])
    assert row["lower_90"] <= row["prediction"] <= row["upper_90"]
    assert row["random_walk_lower_90"] < row["last_value"] < row["random_walk_upper_90"]
    line = next(x for x in stdout.splitlines() if x.startswith("next value"))
    assert line.startswith(f"next value for 2020-07-20: {row['prediction']:.6g}, 90% interval "
                           f"{row['lower_90']:.6g} .. {row['upper_90']:.6g} (random walk ")
    assert f"LSTM refit on all {rows} rows" in line and "from the 80/20 model" in line
    png = out / "forecast.png"
    assert png.stat().st_size > 1000
    with open(png, "rb") as fh:
        assert fh.read(4) == b"\x89PNG"
    metrics = pd.read_csv(out / "metrics.csv")
    assert list(metrics["model"]) == ["LSTM", "linear (ridge)", "naive (last value)"]
    naive_mse = np.mean((pred["actual"] - pred["naive"]) ** 2)
    assert metrics.loc[2, "mse"] == pytest.approx(naive_mse)


def test_forecast_without_date_column_on_the_smallest_file(capsys, tmp_path):
    # 59 rows: the fewest for --window 10 (38 training windows, half of them calibrate)
    n = 59
    t = np.arange(n)
    csv = tmp_path / "nodate.csv"
    pd.DataFrame({"y": 50 + np.sin(t / 5) + 0.1 * t}).to_csv(csv, index=False)
    code, stdout, err = run(["forecast", str(csv), "--target", "y", "--quick", "--epochs", "1",
                             "--out", str(tmp_path / "o")], capsys)
    assert code == 0, err
    assert "no date column" in err
    assert "calibration_fraction raised from 0.1 to 0.5" in err
    pred = pd.read_csv(tmp_path / "o" / "predictions.csv")
    assert pred["date"].tolist() == list(range(n - int(0.2 * (n - 1)), n))
    assert (pred["lower_90"] <= pred["upper_90"]).all()
    assert "90% interval on the test part: LSTM covers" in stdout
    nxt = pd.read_csv(tmp_path / "o" / "next.csv").iloc[0]
    assert nxt["date"] == n  # the row number after the last row
    assert nxt["lower_90"] <= nxt["prediction"] <= nxt["upper_90"]
    assert f"next value for row {n}: {nxt['prediction']:.6g}, 90% interval" in stdout


# --------------------------------------------------------------------------- #
# study end to end
# --------------------------------------------------------------------------- #
def test_study_quick_cli(capsys, tmp_path):
    out = tmp_path / "rep"
    code, stdout, err = run(["study", "--quick", "--parts", "features", "--epochs", "1",
                             "--units", "4", "--window", "5", "--seed", "2", "--out", str(out)],
                            capsys)
    assert code == 0, err
    assert "Traceback" not in err
    assert "[features: historical] epoch 1/1 loss=" in err
    assert "== features" in stdout and "naive (last value)" in stdout
    for name in ("report.md", "results.csv", "results.json", "split.png"):
        assert (out / name).stat().st_size > 0
    import json

    payload = json.loads((out / "results.json").read_text())
    assert payload["seed"] == 2 and payload["config"]["window_len"] == 5
    assert payload["config"]["epochs"] == 1 and payload["config"]["epochs_given"] is True


def test_study_part_failure_exits_1(capsys, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "skrnn.study._multistep", None)
    code, _, err = run(["study", "--quick", "--parts", "multistep", "--out", str(tmp_path)], capsys)
    assert code == 1
    assert "skrnn: error: multistep part not available" in err
    assert "Traceback" not in err
    assert (tmp_path / "report.md").exists()


@pytest.mark.parametrize("command", [["study", "--quick"], ["forecast", "data.csv", "--target", "value"]])
def test_missing_matplotlib_fails_before_training(capsys, tmp_path, monkeypatch, command):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    code, _, err = run(command + ["--out", str(tmp_path / "out")], capsys)
    assert_one_error_line(code, err, 'pip install "skrnn[plot]"')
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- #
# the help texts' examples refer to files and columns that exist
# --------------------------------------------------------------------------- #
def _help_examples(argv, capsys):
    """Every ``skrnn ...`` line of the examples block of ``skrnn ARGV --help``."""
    code, out, _ = run(argv + ["--help"], capsys)
    assert code == 0
    lines, in_examples = [], False
    for line in out.splitlines():
        if line.startswith("examples"):
            in_examples = True
        elif in_examples and line.strip().startswith("skrnn "):
            lines.append(line.split("#")[0].strip())
        elif in_examples and line.strip():
            in_examples = False
    return lines


def _header(path):
    import csv

    with open(path, newline="", encoding="utf-8") as fh:
        return next(csv.reader(fh))


def test_help_examples_parse_and_name_existing_files_and_columns(capsys):
    import shlex

    from skrnn.cli import build_parser
    from skrnn.study import resolve_parts

    examples = [line for argv in ([], ["study"], ["forecast"])
                for line in _help_examples(argv, capsys)]
    assert sum(line.startswith("skrnn forecast ") for line in examples) >= 3
    assert sum(line.startswith("skrnn study ") for line in examples) >= 3
    for line in examples:
        args = build_parser().parse_args(shlex.split(line)[1:])  # CLIError if it does not parse
        file = args.file if args.command == "forecast" else args.csv
        if args.command == "study":
            resolve_parts(args.part + (args.parts or []))
        if file is None:
            continue
        assert (ROOT / file).is_file(), line
        header = _header(ROOT / file)
        for column in (args.target, getattr(args, "date", None)):
            assert column is None or column in header, (line, header)
        if getattr(args, "date_format", None):
            first = pd.read_csv(ROOT / file, nrows=1).iloc[0, 0]
            pd.to_datetime(first, format=args.date_format)  # raises if the format is wrong


def test_help_does_not_print_doubled_percent_signs(capsys):
    for argv in ([], ["study"], ["forecast"]):
        out = run(argv + ["--help"], capsys)[1]
        assert "%%" not in out, argv


def test_multistep_without_sktime_names_the_extra(capsys, monkeypatch, tmp_path):
    pytest.importorskip("matplotlib")  # the study checks its plots first
    monkeypatch.setitem(sys.modules, "sktime", None)  # as if sktime were not installed
    out = tmp_path / "report"
    code, _, err = run(["study", "--parts", "multistep", "--quick", "--out", str(out)], capsys)
    assert_one_error_line(code, err, 'pip install "skrnn[sktime]"', "multistep")
    assert not out.exists()
