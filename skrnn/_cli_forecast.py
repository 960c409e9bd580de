"""``skrnn forecast``: the lab's zero-base LSTM on a user's CSV file.

Input rules (each problem is one clear message, raised as
:class:`ForecastError`):

* the file must be a readable CSV with a header line;
* ``--target`` must name a column whose values are all numbers (no missing
  value);
* the date column (``--date``, or the first column when it holds dates) must
  parse completely; without a date column the rows are taken in file order;
* duplicated dates are an error (which row would be "the" value?);
* unsorted dates are **sorted**, with a note: files exported newest-first are
  common and the dates say unambiguously what the order is;
* gaps in time (steps longer than the usual one) are reported as a note; the
  model sees consecutive rows, whatever their spacing;
* the other numeric columns are features (text columns are ignored, with a
  note); missing feature values are filled forward, then backward;
* there must be enough rows for the window, the horizon and the 80/20 split
  (at least 20 training windows and 2 test targets).
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .study import StudyError

__all__ = ["ForecastError", "ForecastData", "read_forecast_csv", "run_forecast", "min_rows"]

_MIN_TRAIN_WINDOWS = 20
_MIN_TEST = 2


class ForecastError(StudyError):
    """A problem with the CSV file or the forecast options."""


@dataclass
class ForecastData:
    """A checked CSV table, ready for :func:`run_forecast`."""

    frame: pd.DataFrame
    target: str
    features: list
    date_column: str | None
    path: str
    notes: list = field(default_factory=list)
    step: object = None


def _line(pos) -> int:
    """File line of data row ``pos`` (0-based; the header is line 1)."""
    return int(pos) + 2


def min_rows(window_len: int, horizon: int, test_size: float = 0.2) -> int:
    """Fewest rows for ``window_len``, ``horizon`` and the chronological split."""
    n = window_len + horizon
    while True:
        n_sup = n - horizon
        n_test = int(test_size * n_sup)
        n_train = n_sup - n_test
        n_windows = n_train - (window_len - 1) - (horizon - 1)
        if n_test >= _MIN_TEST and n_windows >= _MIN_TRAIN_WINDOWS:
            return n
        n += 1


def _read(path) -> pd.DataFrame:
    p = Path(path)
    if not p.exists():
        raise ForecastError(f"cannot read {str(path)!r}: no such file.")
    if p.is_dir():
        raise ForecastError(f"cannot read {str(path)!r}: it is a folder, not a CSV file.")
    try:
        frame = pd.read_csv(p)
    except pd.errors.EmptyDataError:
        raise ForecastError(f"{str(path)!r} is empty; it needs a header line and data rows.") from None
    except pd.errors.ParserError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "parse error"
        raise ForecastError(f"{str(path)!r} is not a well-formed CSV file: {first}") from None
    except UnicodeDecodeError:
        raise ForecastError(f"{str(path)!r} is not a UTF-8 text file; save it as UTF-8 CSV.") from None
    except OSError as exc:
        raise ForecastError(f"cannot read {str(path)!r}: {exc.strerror or exc}.") from None
    if frame.shape[1] == 0 or frame.shape[0] == 0:
        raise ForecastError(f"{str(path)!r} has no data rows.")
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _is_numeric(series) -> bool:
    return pd.api.types.is_numeric_dtype(series.dtype)


def _parse_dates(values: pd.Series, name: str, path: str, explicit: bool):
    """Parsed dates, or ``None`` when an implicit first column holds no date.

    Raises ForecastError for a missing or unparsable value.
    """
    if _is_numeric(values) and not pd.api.types.is_bool_dtype(values.dtype):
        if not explicit:
            return None
        v = values.to_numpy(dtype=float)
        if np.isfinite(v).all() and ((v > 1e8) & (v < 1e10)).all():
            return pd.DatetimeIndex(pd.to_datetime(v, unit="s", utc=True), name=name)
        if np.isfinite(v).all() and ((v > 1e11) & (v < 1e13)).all():
            return pd.DatetimeIndex(pd.to_datetime(v, unit="ms", utc=True), name=name)
        raise ForecastError(
            f"date column {name!r} holds numbers ({values.iloc[0]!r} on line 2), not dates; "
            "use dates like 2021-03-01 or unix timestamps in seconds."
        )
    text = values.astype("string").str.strip()
    missing = text.isna() | (text == "")
    if missing.all() and not explicit:
        return None

    def attempt(**kw):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pd.to_datetime(text.where(~missing), errors="coerce", **kw)

    try:
        parsed = attempt()
    except (ValueError, TypeError):  # e.g. mixed time-zone offsets
        parsed = attempt(utc=True)
    bad = parsed.isna() & ~missing
    if bad.any():
        try:
            mixed = attempt(format="mixed")
        except (ValueError, TypeError):
            mixed = attempt(format="mixed", utc=True)
        if not (mixed.isna() & ~missing).any():
            parsed, bad = mixed, mixed.isna() & ~missing
    if bad.all() and not explicit:
        return None
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise ForecastError(
            f"date column {name!r} has a value that is not a date on line {_line(pos)} of "
            f"{path}: {values.iloc[pos]!r}; fix it or pass the right column with --date."
        )
    if missing.any():
        pos = int(np.flatnonzero(missing.to_numpy())[0])
        raise ForecastError(
            f"date column {name!r} has a missing date on line {_line(pos)} of {path}; "
            "fill it in or drop the row."
        )
    return pd.DatetimeIndex(parsed, name=name)


def _step_and_gaps(index: pd.DatetimeIndex):
    """The usual step between rows and the rows after a longer gap."""
    if len(index) < 3:
        return None, []
    freq = pd.infer_freq(index) if len(index) >= 3 else None
    diffs = pd.Series(index[1:] - index[:-1])
    step = diffs.mode().iloc[0]
    if freq is not None:
        try:
            return pd.tseries.frequencies.to_offset(freq), []
        except ValueError:
            pass
    gaps = np.flatnonzero((diffs > step).to_numpy())
    # business-day data: weekends are not gaps
    if step == pd.Timedelta(days=1):
        weekday = index[:-1].dayofweek
        weekend_skip = (weekday[gaps] == 4) & (diffs.to_numpy()[gaps] == np.timedelta64(3, "D"))
        if len(gaps) and weekend_skip.mean() > 0.5:
            gaps = gaps[~weekend_skip]
            return pd.offsets.BDay(), [(index[g], index[g + 1]) for g in gaps]
    return step, [(index[g], index[g + 1]) for g in gaps]


def read_forecast_csv(path, target, date=None, horizon=1, window_len=10, note=None) -> ForecastData:
    """Read and check a CSV file for ``skrnn forecast``.

    Parameters
    ----------
    path : str or path-like
    target : str
        Column to forecast.
    date : str, optional
        Date column; default: the first column when it holds dates.
    horizon, window_len : int
        Used to check that there are enough rows.
    note : callable, optional
        Receives one line per note (sorting, gaps, ignored columns, filled
        values).

    Returns
    -------
    ForecastData

    Raises
    ------
    ForecastError
        Missing column, non-numeric target, unparsable, missing or duplicated
        dates, too few rows, unreadable file.
    """
    notes = []

    def say(text):
        notes.append(text)
        if note is not None:
            note(text)

    path = str(path)
    raw = _read(path)
    columns = list(raw.columns)
    if target not in columns:
        raise ForecastError(f"target column {target!r} is not in {path}; its columns are {columns}.")
    # the date column
    date_col = None
    if date is not None:
        if date not in columns:
            raise ForecastError(f"date column {date!r} is not in {path}; its columns are {columns}.")
        if date == target:
            raise ForecastError(f"--date and --target are the same column {date!r}.")
        date_col = date
        index = _parse_dates(raw[date], date, path, explicit=True)
    else:
        first = columns[0]
        index = None if first == target else _parse_dates(raw[first], first, path, explicit=False)
        if index is not None:
            date_col = first
        else:
            say(f"no date column (the first column {first!r} holds no dates): rows are taken in "
                "file order; pass --date COLUMN if the dates are elsewhere")
    # the target
    y = raw[target]
    if not _is_numeric(y) or pd.api.types.is_bool_dtype(y.dtype):
        coerced = pd.to_numeric(y, errors="coerce")
        bad = coerced.isna() & y.notna() & (y.astype("string").str.strip() != "")
        if bad.any():
            pos = int(np.flatnonzero(bad.to_numpy())[0])
            raise ForecastError(
                f"target column {target!r} is not numeric: line {_line(pos)} of {path} has "
                f"{y.iloc[pos]!r}; give a column of numbers (no thousands separators or units)."
            )
        y = coerced
    y = y.astype(float)
    bad = ~np.isfinite(y.to_numpy())
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise ForecastError(
            f"target column {target!r} has {int(bad.sum())} missing or infinite value(s), the "
            f"first on line {_line(pos)} of {path}; fill or drop those rows."
        )
    # features: numeric columns, target first
    feature_cols, ignored = [target], []
    for c in columns:
        if c in (target, date_col):
            continue
        if _is_numeric(raw[c]):
            feature_cols.append(c)
        else:
            ignored.append(c)
    if ignored:
        say(f"ignored non-numeric column(s) {ignored}")
    frame = raw[feature_cols].astype(float)
    frame[target] = y.to_numpy()
    frame.index = index if index is not None else pd.Index(np.arange(len(frame)), name="row")
    # order and duplicates
    if index is not None:
        dup = frame.index.duplicated(keep=False)
        if dup.any():
            first_dup = frame.index[dup][0]
            lines = [_line(p) for p in np.flatnonzero(frame.index == first_dup)][:3]
            raise ForecastError(
                f"duplicated date {_fmt_date(first_dup)} in column {date_col!r} (lines "
                f"{', '.join(map(str, lines))} of {path}); {int(dup.sum())} rows share a date. "
                "Keep one row per date (aggregate or drop the duplicates)."
            )
        if not frame.index.is_monotonic_increasing:
            values = frame.index.to_numpy()
            pos = int(np.flatnonzero(values[1:] < values[:-1])[0]) + 1
            if frame.index.is_monotonic_decreasing:
                how = "newest first"
            else:
                how = f"first out of order on line {_line(pos)}"
            say(f"rows are not in date order ({how}); sorted them by {date_col!r}")
            frame = frame.sort_index(kind="stable")
    # missing feature values
    extra = [c for c in feature_cols if c != target]
    if extra:
        values = frame[extra].replace([np.inf, -np.inf], np.nan)
        empty = [c for c in extra if values[c].isna().all()]
        if empty:
            say(f"dropped empty column(s) {empty}")
            values = values.drop(columns=empty)
            feature_cols = [c for c in feature_cols if c not in empty]
        n_missing = int(values.isna().sum().sum())
        if n_missing:
            cols = [c for c in values.columns if values[c].isna().any()]
            say(f"filled {n_missing} missing value(s) in {cols} forward (then backward)")
            values = values.ffill().bfill()
        frame = pd.concat([frame[[target]], values], axis=1)
    # gaps
    step = None
    if isinstance(frame.index, pd.DatetimeIndex):
        step, gaps = _step_and_gaps(frame.index)
        if gaps:
            longest = max(gaps, key=lambda g: g[1] - g[0])
            say(f"{len(gaps)} gap(s) in time longer than the usual step ({_fmt_step(step)}), the "
                f"longest {_fmt_date(longest[0])} -> {_fmt_date(longest[1])}; the model treats "
                "rows as consecutive steps")
    # size
    need = min_rows(window_len, horizon)
    if len(frame) < need:
        raise ForecastError(
            f"{path} has {len(frame)} rows; with --window {window_len} and --horizon {horizon} at "
            f"least {need} are needed ({_MIN_TRAIN_WINDOWS} training windows and {_MIN_TEST} test "
            "targets after the 80/20 split). Use more rows or a shorter window."
        )
    if (frame[target] <= 0).any():
        say(f"target {target!r} has values <= 0; zero-base normalisation (x / x0 - 1) is meant for "
            "positive series such as prices and can be unstable here")
    return ForecastData(frame=frame, target=target, features=list(frame.columns),
                        date_column=date_col, path=path, notes=notes, step=step)


def _fmt_date(ts):
    if isinstance(ts, pd.Timestamp):
        if ts == ts.normalize():
            return ts.strftime("%Y-%m-%d")
        return ts.isoformat()
    return str(ts)


def _fmt_step(step):
    if isinstance(step, pd.Timedelta):
        if step >= pd.Timedelta(days=1) and step == step.floor("D"):
            return f"{step.days} day(s)"
        return str(step)
    if isinstance(step, pd.offsets.BusinessDay) and step.n == 1:
        return "1 business day"
    return getattr(step, "freqstr", str(step))


def _next_date(index, step, horizon):
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
    """Train the lab's zero-base LSTM on a CSV table and write predictions.

    Parameters
    ----------
    data : ForecastData or path
        A table from :func:`read_forecast_csv`, or the CSV path (then
        ``target`` and ``date`` are used to read it).
    horizon : int, default=1
        Forecast ``target`` this many rows ahead (``make_supervised``).
    window_len : int, default=10
    epochs, units : int, optional
        Default 100 and 256 (the lab), 3 and 16 with ``quick``.
    out_dir : path, default="skrnn-forecast"
    seed : int, default=0
    quick : bool, default=False
    progress : skrnn.study.Progress, optional
        Notes and per-epoch lines.
    stdout : file, optional
        Where the summary and metrics table are printed (default: none).

    Returns
    -------
    dict
        ``metrics`` (DataFrame), ``predictions`` (DataFrame), ``files``
        (paths), ``next`` (the forecast after the last row), ``notes``.
    """
    from .plotting import plot_history, plot_predictions
    from .study import (StudyConfig, _check_out_dir, fit_evaluate, lab_regressor, linear_baseline,
                        naive_run, prepare_data)

    note = (lambda text: progress.message(f"skrnn: note: {text}")) if progress is not None else None
    if not isinstance(data, ForecastData):
        data = read_forecast_csv(data, target, date=date, horizon=horizon, window_len=window_len,
                                 note=note)
    out = _check_out_dir(out_dir, "output folder")
    config = StudyConfig.quick_config(seed=seed) if quick else StudyConfig(seed=seed)
    config.window_len = window_len
    if epochs is not None:
        config.epochs = epochs
    if units is not None:
        config.units = units
    config.validate()
    frame, target = data.frame, data.target
    prepared = prepare_data(frame, data.features, target=target, horizon=horizon,
                            window_len=window_len, test_size=config.test_size, safe=False)
    label = f"forecast: {target}"
    lstm = fit_evaluate(prepared, lab_regressor("lstm", config, prepared.target_channel),
                        "lstm", "lstm", progress, label=label)
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
    # predictions file
    dates = prepared.test_dates
    predictions = pd.DataFrame({
        "date": [_fmt_date(d) for d in dates] if isinstance(dates, pd.DatetimeIndex) else list(dates),
        "actual": prepared.y_test, "predicted": lstm.predicted.to_numpy(),
        "naive": prepared.naive_test,
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
    # the forecast after the last row, from the model trained on the first 80%
    n_train_rows = len(prepared.X_train)
    tail = frame[prepared.columns].iloc[n_train_rows:]
    last_window = prepared.window.transform(tail)[-1:]
    next_value = float(lstm.estimator.predict(last_window)[0])
    next_date = _next_date(frame.index, data.step, horizon)
    result = {"metrics": metrics, "predictions": predictions, "files": files,
              "next": {"date": _fmt_date(next_date) if next_date is not None else None,
                       "value": next_value},
              "notes": list(data.notes), "prepared": prepared, "runs": (lstm, linear, naive)}
    if stdout is not None:
        _print_summary(stdout, data, prepared, metrics, result, horizon, window_len, config)
    return result


def _print_summary(stdout, data, prepared, metrics, result, horizon, window_len, config):
    frame = data.frame
    idx = frame.index
    span = f"{_fmt_date(idx[0])} .. {_fmt_date(idx[-1])}"
    print(f"skrnn forecast: {data.path}, target {data.target!r}, {len(frame)} rows ({span}), "
          f"{len(data.features)} feature(s): {', '.join(data.features)}", file=stdout)
    print(f"model: zero-base LSTM({config.units}) -> Dropout({config.dropout}) -> Dense(1), window "
          f"{window_len}, horizon {horizon}, up to {config.epochs} epochs, seed {config.seed}",
          file=stdout)
    print(f"train: {len(prepared.W_train)} windows (targets {_fmt_date(prepared.train_dates[0])} .. "
          f"{_fmt_date(prepared.train_dates[-1])}); test: {len(prepared.y_test)} targets "
          f"({_fmt_date(prepared.test_dates[0])} .. {_fmt_date(prepared.test_dates[-1])})",
          file=stdout)
    print("", file=stdout)
    show = metrics.copy()

    def fmt(v):
        return "" if not np.isfinite(v) else f"{v:.6g}"

    show["mse_vs_naive"] = [f"{v:+.1%}" for v in show["mse_vs_naive"]]
    print(show.to_string(index=False, float_format=fmt, na_rep=""), file=stdout)
    nxt = result["next"]
    when = f" for {nxt['date']}" if nxt["date"] else ""
    print(f"\nnext value{when}: {nxt['value']:.6g} (model trained on the first 80% of the rows)",
          file=stdout)
    print("wrote " + ", ".join(str(p) for p in result["files"].values()), file=stdout)


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use: skrnn forecast FILE.csv --target COLUMN")
