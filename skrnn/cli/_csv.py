"""Reading and checking the CSV file of ``skrnn forecast``: :func:`read_forecast_csv`.

Input rules (each problem is one clear message, raised as
:class:`~skrnn.cli.CLIError`):

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
* there must be enough rows for the window, the horizon and the 80/20 split:
  at least 38 training windows (19 of them are held out to calibrate the 90 %
  interval, see :func:`calibration_fraction`) and 2 test targets.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .._validation import first_out_of_order
from ._main import CLIError

#: Calibration windows a calibrated 90 % band needs (``min_calibration_size(0.95)``).
MIN_CALIBRATION = 19
#: The most of the training windows held out for calibration on a small file.
MAX_CALIBRATION_FRACTION = 0.5
#: The estimators' default ``calibration_fraction``, kept whenever it holds out enough windows.
DEFAULT_CALIBRATION_FRACTION = 0.1
_MIN_TRAIN_WINDOWS = math.ceil(MIN_CALIBRATION / MAX_CALIBRATION_FRACTION)  # 38
_MIN_TEST = 2


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


def calibration_fraction(n_windows: int) -> float:
    """The ``calibration_fraction`` that holds out enough windows for a 90 % band.

    The default (0.1) when it holds out at least :data:`MIN_CALIBRATION` (19)
    of ``n_windows`` training windows; otherwise the smallest fraction, in
    steps of 0.01, that does. :func:`min_rows` makes sure that this is at most
    :data:`MAX_CALIBRATION_FRACTION` (0.5).

    Examples
    --------
    >>> from skrnn.cli._csv import calibration_fraction
    >>> calibration_fraction(500), calibration_fraction(151), calibration_fraction(87)
    (0.1, 0.13, 0.22)
    """
    frac = DEFAULT_CALIBRATION_FRACTION
    if int(frac * n_windows) >= MIN_CALIBRATION:
        return frac
    frac = math.ceil(100 * MIN_CALIBRATION / max(int(n_windows), 1)) / 100
    while int(frac * n_windows) < MIN_CALIBRATION and frac < 1:
        frac = round(frac + 0.01, 2)
    return frac


def _read(path) -> pd.DataFrame:
    p = Path(path)
    if not p.exists():
        raise CLIError(f"cannot read {str(path)!r}: no such file.")
    if p.is_dir():
        raise CLIError(f"cannot read {str(path)!r}: it is a folder, not a CSV file.")
    try:
        frame = pd.read_csv(p)
    except pd.errors.EmptyDataError:
        raise CLIError(f"{str(path)!r} is empty; it needs a header line and data rows.") from None
    except pd.errors.ParserError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "parse error"
        raise CLIError(f"{str(path)!r} is not a well-formed CSV file: {first}") from None
    except UnicodeDecodeError:
        raise CLIError(f"{str(path)!r} is not a UTF-8 text file; save it as UTF-8 CSV.") from None
    except OSError as exc:
        raise CLIError(f"cannot read {str(path)!r}: {exc.strerror or exc}.") from None
    if frame.shape[1] == 0 or frame.shape[0] == 0:
        raise CLIError(f"{str(path)!r} has no data rows.")
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _is_numeric(series) -> bool:
    return pd.api.types.is_numeric_dtype(series.dtype)


def _parse_dates(values: pd.Series, name: str, path: str, explicit: bool):
    """Parsed dates, or ``None`` when an implicit first column holds no date.

    Raises CLIError for a missing or unparsable value.
    """
    if _is_numeric(values) and not pd.api.types.is_bool_dtype(values.dtype):
        if not explicit:
            return None
        v = values.to_numpy(dtype=float)
        if np.isfinite(v).all() and ((v > 1e8) & (v < 1e10)).all():
            return pd.DatetimeIndex(pd.to_datetime(v, unit="s", utc=True), name=name)
        if np.isfinite(v).all() and ((v > 1e11) & (v < 1e13)).all():
            return pd.DatetimeIndex(pd.to_datetime(v, unit="ms", utc=True), name=name)
        raise CLIError(
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
        raise CLIError(
            f"date column {name!r} has a value that is not a date on line {_line(pos)} of "
            f"{path}: {values.iloc[pos]!r}; fix it or pass the right column with --date."
        )
    if missing.any():
        pos = int(np.flatnonzero(missing.to_numpy())[0])
        raise CLIError(
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
    CLIError
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
        raise CLIError(f"target column {target!r} is not in {path}; its columns are {columns}.")
    # the date column
    date_col = None
    if date is not None:
        if date not in columns:
            raise CLIError(f"date column {date!r} is not in {path}; its columns are {columns}.")
        if date == target:
            raise CLIError(f"--date and --target are the same column {date!r}.")
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
            raise CLIError(
                f"target column {target!r} is not numeric: line {_line(pos)} of {path} has "
                f"{y.iloc[pos]!r}; give a column of numbers (no thousands separators or units)."
            )
        y = coerced
    y = y.astype(float)
    bad = ~np.isfinite(y.to_numpy())
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise CLIError(
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
            raise CLIError(
                f"duplicated date {format_date(first_dup)} in column {date_col!r} (lines "
                f"{', '.join(map(str, lines))} of {path}); {int(dup.sum())} rows share a date. "
                "Keep one row per date (aggregate or drop the duplicates)."
            )
        if not frame.index.is_monotonic_increasing:
            pos = first_out_of_order(frame.index)
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
                f"longest {format_date(longest[0])} -> {format_date(longest[1])}; the model treats "
                "rows as consecutive steps")
    # size
    need = min_rows(window_len, horizon)
    if len(frame) < need:
        raise CLIError(
            f"{path} has {len(frame)} rows; with --window {window_len} and --horizon {horizon} at "
            f"least {need} are needed ({_MIN_TRAIN_WINDOWS} training windows, {MIN_CALIBRATION} of "
            f"them to calibrate the 90% interval, and {_MIN_TEST} test targets after the 80/20 "
            "split). Use more rows or a shorter window."
        )
    if (frame[target] <= 0).any():
        say(f"target {target!r} has values <= 0; zero-base normalisation (x / x0 - 1) is meant for "
            "positive series such as prices and can be unstable here")
    return ForecastData(frame=frame, target=target, features=list(frame.columns),
                        date_column=date_col, path=path, notes=notes, step=step)


def format_date(ts):
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
