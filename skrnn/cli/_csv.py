"""Reading and checking the CSV file of ``skrnn forecast``: :func:`read_forecast_csv`.

How the file is written is detected by :mod:`skrnn.cli._detect` (encoding,
separator, decimal mark, non-data rows) and :mod:`skrnn.cli._dates` (the date
format); the rules are in docs/forecast-csv.md. This module builds the table
and checks it. Input rules
(each problem is one clear message, raised as :class:`~skrnn.cli.CLIError`):

* the file must be a readable CSV with a header line;
* ``--target`` must name a column whose values are all numbers; a missing
  value is an error unless ``fill`` is given (it then counts as a gap);
* the date column (``--date``, or the first column when it holds dates or
  unix times) must parse completely; without a date column the rows are taken
  in file order;
* blank rows, repeated header lines and text rows around the data (a second
  header line, a footer) are dropped, with a note;
* rows repeated exactly (same date, same values: overlapping exports) are
  dropped with a note; a date that occurs with different values is an error;
* unsorted dates are **sorted**, with a note: files exported newest-first are
  common and the dates say unambiguously what the order is;
* gaps in time (missing steps of the usual one; for business-day data a
  missing weekday, never a weekend) are reported as a note, or filled by
  ``fill`` (``"ffill"`` or ``"interpolate"``);
* the other numeric columns are features (text columns are ignored, with a
  note); missing feature values are filled forward, then backward;
* there must be enough rows for the window, the horizon and the 80/20 split:
  at least 38 training windows (19 of them are held out to calibrate the 90 %
  interval, see :func:`calibration_fraction`) and 2 test targets.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._validation import first_out_of_order
from ._dates import parse_dates
from ._detect import non_data_rows, read_table, to_numbers
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
    """A checked CSV table, ready for :func:`run_forecast`.

    Made by :func:`read_forecast_csv`; the fields are its findings.

    Parameters
    ----------
    frame : pandas.DataFrame
        The numeric columns used, sorted by time, target first; indexed by
        the dates (a ``DatetimeIndex``) or, without a date column, by row.
    target : str
        The column to forecast.
    features : list of str
        The columns that go into the windows, ``target`` first.
    date_column : str or None
        The column the dates were read from (None: no dates).
    path : str
        The file read.
    notes : list of str, default=[]
        One line per finding: how the file was read, dropped rows, sorting,
        gaps, ignored columns, filled values.
    step : pandas offset or None, default=None
        The time step detected between rows (``<Day>``, business days, ...),
        None without dates.

    Examples
    --------
    >>> import pandas as pd
    >>> from skrnn.cli import ForecastData
    >>> frame = pd.DataFrame({"close": [1.0, 2.0]},
    ...                      index=pd.to_datetime(["2024-01-01", "2024-01-02"]))
    >>> data = ForecastData(frame, target="close", features=["close"], date_column="date",
    ...                     path="prices.csv")
    >>> data.features, data.notes
    (['close'], [])

    :func:`read_forecast_csv` makes one from a file.
    """

    frame: pd.DataFrame
    target: str
    features: list
    date_column: str | None
    path: str
    notes: list = field(default_factory=list)
    step: object = None


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


#: The values of ``fill`` (``--fill``).
FILL_MODES = ("ffill", "interpolate")


def read_forecast_csv(path, target, date=None, horizon=1, window_len=10, note=None, *, sep=None,
                      decimal=None, encoding=None, date_format=None, fill=None) -> ForecastData:
    """Read and check a CSV file for ``skrnn forecast``.

    Parameters
    ----------
    path : str or path-like
        The CSV file.
    target : str
        Column to forecast.
    date : str, optional
        Date column; default: the first column when it holds dates or unix times.
    horizon, window_len : int, default=1 and 10
        Used to check that there are enough rows.
    note : callable, optional
        Receives one line per note (how the file was read, dropped rows,
        sorting, gaps, ignored columns, filled values).
    sep, decimal, encoding : str, optional
        Column separator, decimal mark (``"."`` or ``","``) and text
        encoding; detected when not given.
    date_format : str, optional
        The strptime format of the dates (``"%d.%m.%Y"``), ``"ISO8601"``, or
        ``"unix-s"``, ``"unix-ms"``, ``"unix-us"``, ``"unix-ns"``; detected
        when not given.
    fill : {"ffill", "interpolate"}, optional
        Fill gaps in time and missing target values (default: report gaps,
        refuse missing target values).

    Returns
    -------
    data : ForecastData
        The checked table and the notes on how it was read.

    Raises
    ------
    CLIError
        Missing column, non-numeric target, unparsable, ambiguous, missing or
        duplicated dates, too few rows, unreadable file.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> import pandas as pd
    >>> from skrnn.cli import read_forecast_csv
    >>> folder = Path(tempfile.mkdtemp())
    >>> pd.DataFrame({"date": pd.date_range("2024-01-01", periods=200).strftime("%Y-%m-%d"),
    ...               "close": 100 + np.sin(np.arange(200) / 5)}).to_csv(folder / "prices.csv",
    ...                                                                  index=False)
    >>> data = read_forecast_csv(folder / "prices.csv", target="close")
    >>> data.frame.shape, data.features, data.date_column, data.step
    ((200, 1), ['close'], 'date', <Day>)
    >>> data.notes[0].split(" as ", 1)[1]
    "utf-8 text, separator ',', decimal mark '.', dates in 'date' as ISO 8601"
    """
    notes = []

    def say(text):
        notes.append(text)
        if note is not None:
            note(text)

    if fill not in (None, *FILL_MODES):
        raise CLIError(f"--fill must be ffill or interpolate, got {fill!r}.")
    path = str(path)
    table = read_table(path, sep=sep, encoding=encoding, decimal=decimal, hint=(target, date))
    columns = list(table.body.columns)
    if target not in columns:
        raise CLIError(f"target column {target!r} is not in {path}; its columns are {columns}.")
    date_col, explicit = _date_column(table.body, columns, target, date, date_format, path)
    drop, n_dropped, first_dropped = non_data_rows(table, date_col or target, path)
    body, lines = table.body[~drop].reset_index(drop=True), table.lines[~drop]
    if body.empty:
        raise CLIError(f"{path!r} has no data rows.")
    unnamed = [c for c in columns if c.startswith("Unnamed: ") and body[c].isna().all()]
    body, columns = body.drop(columns=unnamed), [c for c in columns if c not in unnamed]
    dec = table.decimal
    index, how = None, None
    if date_col is not None:
        index, how = parse_dates(body[date_col], date_col, lines, path, explicit, date_format)
        if index is None:
            date_col = None
    sep_name = {"\t": "tab", None: "none (one column)"}.get(table.sep, repr(table.sep))
    say(f"read {path} as {table.encoding} text, separator {sep_name}, decimal mark {dec!r}"
        + (f", dates in {date_col!r} as {how}" if date_col else ""))
    if n_dropped:
        say(f"dropped {n_dropped} non-data row(s) (repeated header lines, text rows before or "
            f"after the data), the first on line {first_dropped}")
    if date_col is None:
        say(f"no date column (the first column {columns[0]!r} holds no dates): rows are taken in "
            "file order; pass --date COLUMN if the dates are elsewhere")
    frame = _numeric_frame(body, columns, target, date_col, dec, lines, path, fill, say)
    frame.index = index if index is not None else pd.RangeIndex(len(frame), name="row")
    if index is not None:
        frame = _order_dates(frame, date_col, lines, path, say)
    step = None
    if isinstance(frame.index, pd.DatetimeIndex):
        frame, step = _gaps(frame, path, fill, say)
    if fill is not None:
        frame = _fill_target(frame, target, fill, path, say)
    frame = _fill_features(frame, target, say)
    need = min_rows(window_len, horizon)
    if len(frame) < need:
        raise CLIError(
            f"{path} has {len(frame)} rows; with --window {window_len} and --horizon {horizon} at "
            f"least {need} are needed ({_MIN_TRAIN_WINDOWS} training windows, {MIN_CALIBRATION} of "
            f"them to calibrate the 90% interval, and {_MIN_TEST} test targets after the 80/20 "
            "split). Use more rows or a shorter window.")
    if (frame[target] <= 0).any():
        say(f"target {target!r} has values <= 0; zero-base normalisation (x / x0 - 1) is meant for "
            "positive series such as prices and can be unstable here")
    return ForecastData(frame=frame, target=target, features=list(frame.columns),
                        date_column=date_col, path=path, notes=notes, step=step)


def _date_column(body, columns, target, date, date_format, path):
    """``(column or None, explicit)``: ``--date``, else the first column unless it is the
    target or most of its cells hold no digit (text labels are no dates)."""
    if date is not None:
        if date not in columns:
            raise CLIError(f"date column {date!r} is not in {path}; its columns are {columns}.")
        if date == target:
            raise CLIError(f"--date and --target are the same column {date!r}.")
        return date, True
    first = columns[0]
    if first == target:
        if date_format is not None:
            raise CLIError(f"--date-format needs a date column, and the first column of {path} is "
                           f"the target {target!r}; name the date column with --date.")
        return None, False
    cells = body[first].dropna().iloc[:1000]
    if date_format is None and cells.dtype == object:
        if 2 * int(cells.astype(str).str.contains(r"\d", regex=True).sum()) < len(cells):
            return None, False
    return first, date_format is not None


def _numeric_frame(body, columns, target, date_col, dec, lines, path, fill, say):
    """The target (checked) and the numeric feature columns as floats, target first."""
    y, bad = to_numbers(body[target], dec)
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise CLIError(
            f"target column {target!r} is not numeric: line {lines[pos]} of {path} has "
            f"{body[target].iloc[pos]!r}; give a column of numbers (no thousands separators or "
            "units; the decimal mark is --decimal).")
    y = y.to_numpy()
    bad = np.isinf(y) | (np.isnan(y) if fill is None else False)
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise CLIError(
            f"target column {target!r} has {int(bad.sum())} missing or infinite value(s), the "
            f"first on line {lines[pos]} of {path}; fill or drop those rows, or pass --fill ffill "
            "or --fill interpolate.")
    values, ignored, empty = {target: y}, [], []
    for c in columns:
        if c in (target, date_col):
            continue
        if to_numbers(body[c].dropna().iloc[:100], dec)[1].any():  # text: skip the rest
            ignored.append(c)
            continue
        v, bad = to_numbers(body[c], dec)
        if bad.any():
            ignored.append(c)
        elif v.isna().all():
            empty.append(c)
        else:
            values[c] = v.replace([np.inf, -np.inf], np.nan).to_numpy()
    if ignored:
        say(f"ignored non-numeric column(s) {ignored}")
    if empty:
        say(f"dropped empty column(s) {empty}")
    return pd.DataFrame(values)


def _order_dates(frame, date_col, lines, path, say):
    """Drop rows repeated exactly; refuse other duplicated dates; sort by date."""
    repeated = frame.reset_index().duplicated().to_numpy()
    if repeated.any():
        say(f"dropped {int(repeated.sum())} row(s) that repeat an earlier row (same date, same "
            f"values), the first on line {lines[np.flatnonzero(repeated)[0]]}")
        frame, lines = frame[~repeated], lines[~repeated]
    dup = frame.index.duplicated(keep=False)
    if dup.any():
        first_dup = frame.index[dup][0]
        at = ", ".join(str(n) for n in lines[np.flatnonzero(frame.index == first_dup)][:3])
        raise CLIError(
            f"duplicated date {format_date(first_dup)} in column {date_col!r} (lines {at} of "
            f"{path}); {int(dup.sum())} rows share a date. Keep one row per date (aggregate or "
            "drop the duplicates).")
    if not frame.index.is_monotonic_increasing:
        if frame.index.is_monotonic_decreasing:
            how = "newest first"
        else:
            how = f"first out of order on line {lines[first_out_of_order(frame.index)]}"
        say(f"rows are not in date order ({how}); sorted them by {date_col!r}")
        frame = frame.sort_index(kind="stable")
    return frame


def usual_step(index: pd.DatetimeIndex):
    """``(step, grid)``: the usual step between dates and every date it gives from the
    first to the last one (``None`` when the dates are not on such a grid).

    The step is pandas' inferred frequency for a regular index; otherwise the
    most common difference, read as one business day for daily data without
    weekend dates whose longer steps are mostly Friday -> Monday, and as one
    month for month starts or ends.
    """
    if len(index) < 3:
        return None, None
    freq = pd.infer_freq(index)
    if freq is not None:
        return pd.tseries.frequencies.to_offset(freq), index
    diffs = pd.Series(index[1:] - index[:-1])
    step = diffs.mode().iloc[0]
    longer = (diffs > step).to_numpy()
    if step == pd.Timedelta(days=1) and (index.dayofweek < 5).all() and longer.any():
        weekend = (index[:-1].dayofweek == 4) & (diffs == pd.Timedelta(days=3)).to_numpy()
        if weekend[longer].mean() >= 0.5:
            step = pd.offsets.BDay()
    elif pd.Timedelta(days=28) <= step <= pd.Timedelta(days=31):
        if index.is_month_start.all():
            step = pd.offsets.MonthBegin()
        elif index.is_month_end.all():
            step = pd.offsets.MonthEnd()
    if isinstance(step, pd.Timedelta) and (index[-1] - index[0]) / step > 10 * len(index):
        return step, None  # gaps of more than nine rows in ten: no grid worth filling
    grid = pd.date_range(index[0], index[-1], freq=step, name=index.name)
    return step, (grid if index.isin(grid).all() else None)


def _gaps(frame, path, fill, say):
    """Report the gaps in time, or put the missing steps in as empty rows for ``fill``."""
    index = frame.index
    step, grid = usual_step(index)
    if step is None:
        return frame, None
    if grid is not None:
        missing = np.diff(grid.get_indexer(index)) - 1
    else:
        missing = (pd.Series(index[1:] - index[:-1]) > pd.Timedelta(step)).to_numpy().astype(int)
    at = np.flatnonzero(missing > 0)
    if len(at) == 0:
        return frame, step
    spans = index[at + 1] - index[at]
    longest = at[int(np.argmax(spans))]
    where = f"the longest {format_date(index[longest])} -> {format_date(index[longest + 1])}"
    if fill is None:
        say(f"{len(at)} gap(s) in time longer than the usual step ({_fmt_step(step)}), {where}; "
            "the model treats rows as consecutive steps (--fill ffill or --fill interpolate "
            "fills them)")
        return frame, step
    if grid is None:
        raise CLIError(
            f"cannot --fill the gaps of {path}: its dates are not on a regular grid of the usual "
            f"step ({_fmt_step(step)}); {where}. Resample the file to a regular step first.")
    say(f"filled {int(missing.sum())} missing step(s) in {len(at)} gap(s) in time ({where}) by "
        f"--fill {fill}")
    return frame.reindex(grid), step


def _fill_target(frame, target, fill, path, say):
    """Fill the target (and the features of new rows) by ``fill``; rows before the first or
    after the last target value are dropped."""
    known = np.flatnonzero(frame[target].notna().to_numpy())
    if len(known) == 0:
        raise CLIError(f"target column {target!r} of {path} holds no value.")
    outside = len(frame) - (known[-1] - known[0] + 1)
    frame = frame.iloc[known[0]:known[-1] + 1]
    n_missing = int(frame[target].isna().sum())
    if outside:
        say(f"dropped {outside} row(s) before the first or after the last value of {target!r}")
    if n_missing:
        say(f"filled {n_missing} missing value(s) of {target!r} (gaps included) by --fill {fill}")
    if fill == "ffill":
        return frame.ffill()
    return frame.interpolate(method="linear", limit_area="inside")


def _fill_features(frame, target, say):
    """Missing feature values filled forward, then backward (with a note)."""
    extra = [c for c in frame.columns if c != target]
    n_missing = int(frame[extra].isna().sum().sum()) if extra else 0
    if not n_missing:
        return frame
    cols = [c for c in extra if frame[c].isna().any()]
    say(f"filled {n_missing} missing value(s) in {cols} forward (then backward)")
    frame = frame.copy()
    frame[extra] = frame[extra].ffill().bfill()
    return frame

def format_date(ts):
    if isinstance(ts, pd.Timestamp):
        if ts == ts.normalize():
            return ts.strftime("%Y-%m-%d")
        return ts.isoformat()
    return str(ts)


def _fmt_step(step):
    if isinstance(step, pd.Timedelta):
        seconds = step.total_seconds()
        for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
            if seconds >= size and seconds % size == 0:
                return f"{int(seconds // size)} {unit}(s)"
        return str(step)
    if isinstance(step, pd.offsets.BusinessDay) and step.n == 1:
        return "1 business day"
    return getattr(step, "freqstr", str(step))
