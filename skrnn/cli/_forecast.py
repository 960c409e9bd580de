"""``skrnn forecast``: the reference zero-base LSTM on a user's CSV file.

The file is read and checked by :func:`~skrnn.cli.read_forecast_csv` (every
problem is one :class:`~skrnn.cli.CLIError`; how files are read, and the
``--sep``, ``--decimal``, ``--encoding``, ``--date-format`` and ``--fill``
options: docs/forecast-csv.md); :func:`run_forecast` trains the
LSTM, a ridge regression and the naive forecast on the first 80 % of the rows
and scores them on the last 20 %, then refits the same LSTM configuration on
all rows and forecasts the value ``horizon`` steps after the last row.

Every LSTM forecast comes with its calibrated 90 % interval
(``predict_interval(W, coverage=0.9)``: the Monte-Carlo dropout spread scaled
by split conformal on the last training windows), next to the random-walk
band (the last value moved by the 5th/95th percentiles of the training
period's changes, :func:`skrnn.study._baselines.random_walk_band`). Outputs:

* ``predictions.csv``: one row per test target: ``date, actual, predicted,
  lower_90, upper_90, naive, random_walk_lower_90, random_walk_upper_90``;
* ``next.csv``: one row, the forecast after the last row from the model
  refit on all rows: ``date, horizon, last_value, prediction, lower_90,
  upper_90, random_walk_lower_90, random_walk_upper_90`` (``date`` is the
  row number for a file without dates, empty when the step is unknown);
* ``metrics.csv``, ``forecast.png``, ``history.png``.

A calibrated 90 % band needs 19 calibration windows; when the default
``calibration_fraction`` (0.1) holds out fewer, it is raised (at most to 0.5,
:func:`~skrnn.cli._csv.calibration_fraction`) and a note says so. Files too
short even for that are refused by the row check of
:func:`~skrnn.cli.read_forecast_csv`.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

from ._csv import (DEFAULT_CALIBRATION_FRACTION, FILL_MODES, MIN_CALIBRATION, ForecastData,
                   calibration_fraction, format_date, read_forecast_csv)
from ._main import PROG, CLIError, Formatter, int_at_least, quiet_tensorflow, require_matplotlib

_EPILOG = """\
The CSV needs a header line. The date column (--date, default: the first
column when it holds dates) becomes the time index: rows are sorted by it
(with a note), duplicated or unparsable dates are errors, gaps in time are
reported. All other numeric columns are features, the target first; text
columns are ignored. Missing feature values are filled forward (then
backward); a missing target value is an error unless --fill is given.

Reading the file (each choice is printed as a note; see docs/forecast-csv.md):
  encoding    UTF-8 with or without byte-order mark; otherwise windows-1250,
              then ISO-8859-1 (the first in which the --target name is found)
  separator   the one of , ; tab | in the header line (csv.Sniffer decides
              when the header holds several); an Excel "sep=;" line is obeyed
  decimal     ',' when more numbers read 12,5 than 12.5, else '.'
  line ends   LF, CRLF or CR
  dates       ISO 8601, YYYYMMDD, day-first 31.01.2023, month-first
              01/31/2023, other forms pandas recognises, and unix times in
              s, ms, us or ns (after 1973-03-03), in the first column too
Ambiguous dates: 8-digit integers that are calendar dates are YYYYMMDD,
never epoch seconds. When no day is above 12, dates with dots (01.02.2023)
are day-first; with / or - the command stops and asks for --date-format.
A numeric first column is read as dates only when it is sorted or named
like a date (date, time, timestamp, epoch, ...).

Non-data rows are dropped with a note saying how many and the first line:
blank lines, repeated header lines (concatenated exports) and text rows
whose date cell holds no digit, right after a header line or at the end
(footers such as currency codes and names). Rows repeated exactly (same
date, same values) are dropped too; the same date with other values is an
error.

Gaps: a gap is a missing step of the usual one (the most common distance
between dates). Daily data without weekend dates whose longer steps are
mostly Friday -> Monday steps by business days: weekends are no gaps, a
missing weekday (a holiday) is one. Gaps are a note by default; --fill
ffill repeats the last value over them, --fill interpolate draws a straight
line; either also fills missing target values (rows before the first or
after the last value are dropped).

The model is the reference zero-base LSTM trained on the first 80% of the rows
(chronological split); the last 20% are the test part. The command prints the
test metrics of the LSTM, of a ridge regression on the same windows and of
the naive forecast (the last known value), and the test-period coverage and
median width of the LSTM's 90% interval next to those of the random-walk
band (the last value moved by the 5th/95th percentiles of the training
period's changes over the horizon: relative changes for a positive series,
absolute otherwise). The test metrics all come from this 80/20 model.

Then the same configuration is refit on ALL rows, and the value --horizon
steps after the last row is printed with its 90% interval.

The 90% intervals are calibrated: Monte-Carlo dropout spread scaled by split
conformal on the last training windows, which the network does not train
on. That takes 19 calibration windows: on a small file the held-out share
(calibration_fraction, default 0.1) is raised to up to 0.5, with a note.

Written to the output folder:
  predictions.csv  date, actual, predicted, lower_90, upper_90, naive,
                   random_walk_lower_90, random_walk_upper_90
                   (one row per test target, 80/20 model)
  next.csv         date, horizon, last_value, prediction, lower_90, upper_90,
                   random_walk_lower_90, random_walk_upper_90
                   (the forecast after the last row, model refit on all rows)
  forecast.png     actual vs predicted on the test part
  history.png      training and validation loss per epoch
  metrics.csv      the metrics table

examples (on the bundled files, from the root of a clone):
  skrnn forecast skrnn/datasets/data/eth_binance_1d.csv --target close
  skrnn forecast skrnn/datasets/data/usdpln_stooq_daily.csv --target Zamkniecie --date Data --horizon 7 --quick
  skrnn forecast skrnn/datasets/data/btc_binance_1d.csv --target close --fill ffill
  skrnn forecast skrnn/datasets/data/eth_binance_1d.csv --target close --date-format %Y-%m-%d
"""


def add_parser(subparsers):
    """Add ``forecast`` and its options."""
    fc = subparsers.add_parser(
        "forecast", formatter_class=Formatter, help="forecast a column of your own CSV file",
        description="Train the reference zero-base LSTM on a CSV file and evaluate it on its last 20%,\n"
                    "then refit it on all rows and forecast the next value with its calibrated\n"
                    "90% interval.",
        epilog=_EPILOG,
    )
    fc.add_argument("file", metavar="FILE.csv", help="CSV file with a header line")
    fc.add_argument("--target", required=True, metavar="COLUMN", help="column to forecast")
    fc.add_argument("--date", metavar="COLUMN",
                    help="date column (default: the first column if it holds dates or unix "
                         "times)")
    fc.add_argument("--sep", metavar="CHAR",
                    help="column separator, e.g. ';' or tab (default: detected)")
    fc.add_argument("--decimal", choices=(".", ","), metavar="MARK",
                    help="decimal mark, '.' or ',' (default: detected)")
    fc.add_argument("--encoding", metavar="NAME",
                    help="text encoding, e.g. windows-1250 (default: UTF-8, else windows-1250, "
                         "else ISO-8859-1)")
    fc.add_argument("--date-format", metavar="FMT",
                    help="format of the dates: strptime (%%d.%%m.%%Y, %%m/%%d/%%Y, %%Y%%m%%d), "
                         "ISO8601, or unix-s, unix-ms, unix-us, unix-ns (default: detected)")
    fc.add_argument("--fill", choices=FILL_MODES,
                    help="fill gaps in time and missing target values (default: report gaps, "
                         "refuse missing targets)")
    fc.add_argument("--horizon", type=int_at_least(1, "--horizon"), default=1, metavar="N",
                    help="steps ahead to forecast (default 1)")
    fc.add_argument("--window", type=int_at_least(2, "--window"), default=10, metavar="W",
                    help="window length in rows (default 10)")
    fc.add_argument("--epochs", type=int_at_least(1, "--epochs"), metavar="N",
                    help="maximum epochs (default 100; 3 with --quick)")
    fc.add_argument("--units", type=int_at_least(1, "--units"), metavar="U",
                    help="LSTM units (default 256; 16 with --quick)")
    fc.add_argument("--out", default="skrnn-forecast", metavar="DIR",
                    help="output folder (default: skrnn-forecast)")
    fc.add_argument("--seed", type=int_at_least(0, "--seed"), default=0, metavar="S",
                    help="random_state of the network (default 0)")
    fc.add_argument("--quick", action="store_true", help="small model (16 units), 3 epochs")
    return fc


def run(args, argv) -> int:
    """Check the file and the output folder, then train, print and write (0)."""
    from ..study import Progress, check_out_dir

    require_matplotlib("forecast")
    progress = Progress()
    check_out_dir(args.out, "output folder", create=False)  # fail fast
    data = read_forecast_csv(args.file, args.target, date=args.date, horizon=args.horizon,
                             window_len=args.window, sep=args.sep, decimal=args.decimal,
                             encoding=args.encoding, date_format=args.date_format, fill=args.fill)
    for text in data.notes:  # only once the file passed every check
        progress.message(f"{PROG}: note: {text}")
    quiet_tensorflow()
    run_forecast(data, horizon=args.horizon, window_len=args.window, epochs=args.epochs,
                 units=args.units, out_dir=args.out, seed=args.seed, quick=args.quick,
                 progress=progress, stdout=sys.stdout)
    return 0


def _next_date(index, step, horizon):
    """The date (or row number) ``horizon`` steps after the last row; None if unknown."""
    if isinstance(index, pd.DatetimeIndex) and step is not None:
        try:
            return index[-1] + horizon * step
        except (TypeError, ValueError):
            return None
    if not isinstance(index, pd.DatetimeIndex):
        return index[-1] + horizon
    return None


def run_forecast(data, target=None, *, date=None, horizon=1, window_len=10, epochs=None, units=None,
                 out_dir="skrnn-forecast", seed=0, quick=False, progress=None, stdout=None) -> dict:
    """Evaluate the reference zero-base LSTM on a CSV table, refit it on all rows, forecast.

    The LSTM, a ridge regression and the naive forecast are trained on the
    first 80 % of the rows and scored on the last 20 %; every LSTM test
    prediction gets its calibrated 90 % interval and the random-walk band.
    Then the same LSTM configuration is refit on all rows and forecasts the
    value ``horizon`` steps after the last row, with both bands.

    Parameters
    ----------
    data : ForecastData or path
        A table from :func:`read_forecast_csv`, or the CSV path (then
        ``target`` and ``date`` are used to read it).
    target : str, optional
        The column to forecast when ``data`` is a path (ignored otherwise).
    date : str, optional
        The date column when ``data`` is a path; default: the first column
        when it holds dates or unix times.
    horizon : int, default=1
        Forecast ``target`` this many rows ahead (``make_supervised``).
    window_len : int, default=10
        Rows per window (the network's input length).
    epochs, units : int, optional
        Default 100 and 256 (the reference network), 3 and 16 with ``quick``.
    out_dir : path, default="skrnn-forecast"
        Folder for ``predictions.csv``, ``next.csv``, ``metrics.csv`` and the
        figures; created if missing.
    seed : int, default=0
        ``random_state`` of the networks.
    quick : bool, default=False
        A small, fast run (LSTM(16), 3 epochs) to check a file.
    progress : skrnn.study.Progress, optional
        Notes and per-epoch lines.
    stdout : file, optional
        Where the summary and metrics table are printed (default: none).

    Returns
    -------
    dict
        ``metrics`` (DataFrame), ``predictions`` (DataFrame, one row per test
        target), ``interval`` (test-period coverage and median width of the
        LSTM's band and of the random-walk band), ``next`` (the forecast after
        the last row: ``date``, ``value``, ``lower``, ``upper``,
        ``rw_lower``, ``rw_upper``, ``n_rows``), ``calibration`` (fraction and
        windows), ``files`` (paths), ``notes``, ``prepared``, ``runs`` and
        ``final`` (the LSTM refit on all rows).

    Raises
    ------
    CLIError
        A file that cannot be used (see :func:`read_forecast_csv`) or an
        ``out_dir`` that cannot be written.

    Examples
    --------
    A tiny network (2 units, 1 epoch) on 200 days of a synthetic price:

    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> import pandas as pd
    >>> from skrnn.cli import run_forecast
    >>> folder = Path(tempfile.mkdtemp())
    >>> pd.DataFrame({"date": pd.date_range("2024-01-01", periods=200).strftime("%Y-%m-%d"),
    ...               "close": 100 + np.sin(np.arange(200) / 5)}).to_csv(folder / "prices.csv",
    ...                                                                  index=False)
    >>> result = run_forecast(folder / "prices.csv", "close", out_dir=folder / "out",
    ...                       quick=True, epochs=1, units=2)
    >>> result["metrics"]["model"].tolist()
    ['LSTM', 'linear (ridge)', 'naive (last value)']
    >>> result["next"]["date"], bool(result["next"]["lower"] < result["next"]["upper"])
    ('2024-07-19', True)
    >>> sorted(path.name for path in (folder / "out").glob("*.csv"))
    ['metrics.csv', 'next.csv', 'predictions.csv']
    """
    from ..plotting import plot_history, plot_predictions
    from ..study import (StudyConfig, check_out_dir, fit_evaluate, lab_regressor, linear_baseline,
                         naive_run, prepare_data)
    from ..study._baselines import band_summary, random_walk_band

    note = (lambda text: progress.message(f"skrnn: note: {text}")) if progress is not None else None
    if not isinstance(data, ForecastData):
        data = read_forecast_csv(data, target, date=date, horizon=horizon, window_len=window_len,
                                 note=note)
    out = check_out_dir(out_dir, "output folder")
    config = StudyConfig.from_options(quick=quick, seed=seed, window_len=window_len, epochs=epochs,
                                      units=units)
    frame, target = data.frame, data.target
    notes = list(data.notes)
    prepared = prepare_data(frame, data.features, target=target, horizon=horizon,
                            window_len=window_len, test_size=config.test_size, safe=False)
    n_windows = len(prepared.W_train)
    cal_fraction = calibration_fraction(n_windows)
    if cal_fraction != DEFAULT_CALIBRATION_FRACTION:
        text = (f"calibration_fraction raised from {DEFAULT_CALIBRATION_FRACTION:g} to "
                f"{cal_fraction:g}: the 90% interval is calibrated on the last "
                f"{int(cal_fraction * n_windows)} of the {n_windows} training windows (it needs "
                f"{MIN_CALIBRATION}), which the network does not train on; more rows keep the "
                "default")
        notes.append(text)
        if note is not None:
            note(text)
    estimator = lab_regressor("lstm", config, prepared.target_channel,
                              calibration_fraction=cal_fraction)
    label = f"forecast: {target}"
    lstm = fit_evaluate(prepared, estimator, "lstm", "lstm", progress, label=label)
    linear = fit_evaluate(prepared, linear_baseline(config.ridge_alpha, prepared.target_channel),
                          "linear", "linear")
    naive = naive_run(prepared, "naive")
    rows = []
    for run in (lstm, linear, naive):
        m = run.metrics
        rows.append({"model": run.model, "mse": m["mse"], "rmse": m["rmse"], "mae": m["mae"],
                     "r2": m["r2"], "mape": m["mape"], "mse_zero_base": m["mse_zb"],
                     "mse_vs_naive": m["mse"] / naive.metrics["mse"] - 1,
                     "train_s": run.train_time if run.kind != "naive" else np.nan,
                     "epochs": run.n_epochs if run.n_epochs is not None else np.nan})
    metrics = pd.DataFrame(rows)
    # 90% bands of the test targets: the LSTM's (calibrated) and the random walk's
    lower, upper = _interval(lstm.estimator, prepared.W_test)
    train_target = prepared.X_train[target].to_numpy(dtype=float)
    rw_lower, rw_upper = random_walk_band(train_target, prepared.naive_test, _COVERAGE, horizon)
    interval = {"coverage": _COVERAGE,
                "lstm": band_summary(prepared.y_test, lower, upper),
                "random_walk": band_summary(prepared.y_test, rw_lower, rw_upper)}
    # predictions file
    dates = prepared.test_dates
    predictions = pd.DataFrame({
        "date": [format_date(d) for d in dates] if isinstance(dates, pd.DatetimeIndex) else list(dates),
        "actual": prepared.y_test, "predicted": lstm.predicted.to_numpy(),
        "lower_90": lower, "upper_90": upper,
        "naive": prepared.naive_test,
        "random_walk_lower_90": rw_lower, "random_walk_upper_90": rw_upper,
    })
    files = {}
    files["predictions"] = out / "predictions.csv"
    predictions.to_csv(files["predictions"], index=False)
    files["metrics"] = out / "metrics.csv"
    metrics.to_csv(files["metrics"], index=False)
    steps = f"{horizon} step{'s' if horizon > 1 else ''} ahead"
    ylabel = target
    files["forecast"] = out / "forecast.png"
    plot_predictions(lstm.actual, {"LSTM": lstm.predicted, "naive (last value)": naive.predicted},
                     path=files["forecast"], ylabel=ylabel,
                     title=f"{target}: actual vs predicted on the test part ({steps})")
    if lstm.history:
        files["history"] = out / "history.png"
        plot_history({"LSTM": lstm.history}, path=files["history"],
                     title="Training (solid) and validation (dashed) loss, zero-base MSE")
    # the same configuration refit on all rows, and the forecast after the last row
    final, last_window = _fit_all_rows(frame, prepared, estimator, horizon, window_len, progress,
                                       f"{label}, all rows")
    next_value = float(final.predict(last_window)[0])
    next_lower, next_upper = (float(v[0]) for v in _interval(final, last_window))
    values = frame[target].to_numpy(dtype=float)
    next_rw = random_walk_band(values, values[-1:], _COVERAGE, horizon)
    next_date = _next_date(frame.index, data.step, horizon)
    nxt = {"date": format_date(next_date) if next_date is not None else None, "horizon": horizon,
           "last_value": float(values[-1]), "value": next_value, "lower": next_lower,
           "upper": next_upper, "rw_lower": float(next_rw[0][0]), "rw_upper": float(next_rw[1][0]),
           "n_rows": len(frame)}
    files["next"] = out / "next.csv"
    pd.DataFrame([{
        "date": nxt["date"], "horizon": horizon, "last_value": nxt["last_value"],
        "prediction": next_value, "lower_90": next_lower, "upper_90": next_upper,
        "random_walk_lower_90": nxt["rw_lower"], "random_walk_upper_90": nxt["rw_upper"],
    }]).to_csv(files["next"], index=False)
    calibration = {"fraction": cal_fraction,
                   "windows": int(lstm.estimator.calibration_.n_calibration_),
                   "windows_all_rows": int(final.calibration_.n_calibration_)}
    result = {"metrics": metrics, "predictions": predictions, "interval": interval, "files": files,
              "next": nxt, "calibration": calibration, "notes": notes, "prepared": prepared,
              "runs": (lstm, linear, naive), "final": final}
    if stdout is not None:
        _print_summary(stdout, data, prepared, metrics, result, horizon, window_len, config)
    return result


#: Nominal coverage of every interval of ``skrnn forecast``.
_COVERAGE = 0.9


def _interval(estimator, windows):
    """The calibrated 90 % band of ``windows``, or a CLIError saying what to change."""
    try:
        lower, upper = estimator.predict_interval(windows, coverage=_COVERAGE)
    except ValueError as exc:  # a calibration tail too short for the band
        first = str(exc).strip().split(". ")[0].rstrip(".") or type(exc).__name__
        raise CLIError(f"cannot calibrate the 90% interval ({first}); use a file with more rows "
                       "or a shorter --window.") from None
    return np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)


def _fit_all_rows(frame, prepared, estimator, horizon, window_len, progress, label):
    """``estimator`` (a clone) fit on every row's window, and the window of the last row.

    The windows are those of :func:`~skrnn.study.prepare_data` over the whole
    table: one per row with a full history whose target ``horizon`` rows later
    is known; the last row's window forecasts the value after the table.
    """
    from sklearn.base import clone

    from ..preprocessing import SlidingWindow

    values = frame[prepared.columns].to_numpy(dtype=float)
    target = frame[prepared.target].to_numpy(dtype=float)
    windows = SlidingWindow(window_len).fit(values).transform(values)  # one per end row
    keep = slice(window_len - 1, len(values) - horizon)
    W, y = windows[keep], target[window_len - 1 + horizon:]
    est = clone(estimator)
    if progress is not None:
        progress.message(f"[{label}] refitting the LSTM on all {len(W)} windows (targets up to "
                         f"the last row)")
        est.set_params(callbacks=[progress.callback(label)])
    est.fit(W, y)
    est.set_params(callbacks=None)
    return est, windows[-1:]


def _print_summary(stdout, data, prepared, metrics, result, horizon, window_len, config):
    """The data, the model, the metrics table, the bands and the next value, for the terminal."""
    frame = data.frame
    idx = frame.index
    span = f"{format_date(idx[0])} .. {format_date(idx[-1])}"
    cal = result["calibration"]
    print(f"skrnn forecast: {data.path}, target {data.target!r}, {len(frame)} rows ({span}), "
          f"{len(data.features)} feature(s): {', '.join(data.features)}", file=stdout)
    print(f"model: zero-base LSTM({config.units}) -> Dropout({config.dropout}) -> Dense(1), window "
          f"{window_len}, horizon {horizon}, up to {config.epochs} epochs, seed {config.seed}; 90% "
          f"interval calibrated on the last {cal['windows']} training windows "
          f"(calibration_fraction {cal['fraction']:g})", file=stdout)
    print(f"train: {len(prepared.W_train)} windows (targets {format_date(prepared.train_dates[0])} .. "
          f"{format_date(prepared.train_dates[-1])}); test: {len(prepared.y_test)} targets "
          f"({format_date(prepared.test_dates[0])} .. {format_date(prepared.test_dates[-1])})",
          file=stdout)
    print("", file=stdout)
    show = metrics.copy()

    def fmt(v):
        return "" if not np.isfinite(v) else f"{v:.6g}"

    show["mse_vs_naive"] = [f"{v:+.1%}" for v in show["mse_vs_naive"]]
    print(show.to_string(index=False, float_format=fmt, na_rep=""), file=stdout)
    iv = result["interval"]
    net, rw = iv["lstm"], iv["random_walk"]
    print(f"\n90% interval on the test part: LSTM covers {net['coverage']:.1%} of {net['n']} "
          f"targets, median width {net['median_width']:.6g}; random-walk band covers "
          f"{rw['coverage']:.1%}, median width {rw['median_width']:.6g}", file=stdout)
    nxt = result["next"]
    if nxt["date"] is None:
        when = f" {horizon} row(s) after the last"
    elif isinstance(frame.index, pd.DatetimeIndex):
        when = f" for {nxt['date']}"
    else:
        when = f" for row {nxt['date']}"
    print(f"next value{when}: {nxt['value']:.6g}, 90% interval {nxt['lower']:.6g} .. "
          f"{nxt['upper']:.6g} (random walk {nxt['rw_lower']:.6g} .. {nxt['rw_upper']:.6g}); "
          f"LSTM refit on all {nxt['n_rows']} rows, the metrics above are from the 80/20 model",
          file=stdout)
    if not nxt["lower"] <= nxt["value"] <= nxt["upper"]:
        side = "above" if nxt["lower"] > nxt["value"] else "below"
        print(f"note: the interval lies {side} the point forecast: the calibration windows showed "
              "a systematic error of the network in that direction", file=stdout)
    print("wrote " + ", ".join(str(p) for p in result["files"].values()), file=stdout)
