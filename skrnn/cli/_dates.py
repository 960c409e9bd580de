"""Reading the date column of a user's CSV file (``skrnn forecast``): :func:`parse_dates`.

Text dates get their format from the first value
(``pandas.tseries.api.guess_datetime_format``, month-first and day-first) and
are parsed with it explicitly (``pd.to_datetime(format=...)``); numbers are
YYYYMMDD / YYYYMM or Unix times in s, ms, us or ns. The rules where the values
leave a choice open are in docs/forecast-csv.md and in the functions below.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd

from ._main import CLIError

try:  # public since pandas 2.2; the same function lives in pandas' parsing module before
    from pandas.tseries.api import guess_datetime_format
except ImportError:  # pragma: no cover - pandas 2.0 / 2.1
    from pandas._libs.tslibs.parsing import guess_datetime_format

#: Unix epoch units and the magnitudes read as them without --date-format:
#: 1973-03-03 .. 2286-11-20 in each unit.
EPOCH_UNITS = {"s": (1e8, 1e10), "ms": (1e11, 1e13), "us": (1e14, 1e16), "ns": (1e17, 1e19)}
#: A column name that says "time" (a numeric first column is read as dates
#: when it is sorted or named like this).
TIME_NAME = re.compile(r"date|time|stamp|epoch|unix|day|data|datum|fecha|^ts$|^t$", re.I)
_DATE_FORMAT_HELP = ("a strptime format such as %d.%m.%Y, ISO8601, or unix-s, unix-ms, unix-us, "
                     "unix-ns")


def _to_datetime(values: pd.Series, **kw) -> pd.Series:
    """``pd.to_datetime(errors="coerce")``; mixed UTC offsets are converted to UTC."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            out = pd.to_datetime(values, errors="coerce", **kw)
            if pd.api.types.is_datetime64_any_dtype(out):
                return out
        except (ValueError, TypeError):
            pass
        return pd.to_datetime(values, errors="coerce", utc=True, **kw)


def _date_orders(fmt):
    """Year-month-day, day-month-year or month-day-year: never year-day-month."""
    pos = [fmt.find(x) for x in ("%Y", "%m", "%d")]
    return -1 in pos or not (pos[0] < pos[2] < pos[1])


def _text_formats(first: str):
    """Candidate formats of a date written like ``first``: month-first and day-first."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        guesses = [guess_datetime_format(first, dayfirst=d) for d in (False, True)]
    out = []
    for fmt in guesses:
        if fmt is None or not _date_orders(fmt) or "%Y" not in fmt and "%y" not in fmt:
            continue
        fmt = "ISO8601" if fmt.startswith("%Y-%m-%d") else fmt
        if fmt not in out:
            out.append(fmt)
    return out


def _epoch_unit(numbers: pd.Series):
    for unit, (lo, hi) in EPOCH_UNITS.items():
        if ((numbers >= lo) & (numbers < hi)).all():
            return unit
    return None


def _as_text(values: pd.Series) -> pd.Series:
    """Cells as the text they were written as (integers without ``.0``)."""
    if not pd.api.types.is_numeric_dtype(values.dtype):
        return values.astype(str)
    if (values % 1 == 0).all():
        return values.astype("int64").astype(str)
    return values.astype(str)


def _numeric_dates(numbers: pd.Series, name: str, explicit: bool):
    """``(parsed, how)`` of a column of numbers: YYYYMMDD / YYYYMM, else unix epochs.

    The rule for ``20230102``: 8-digit integers that are all calendar dates are
    YYYYMMDD (as epoch seconds they would lie before 1973-03-03, which is never
    read as seconds). Without --date, a numeric first column is read as dates
    only when it is sorted (either way) or its name says time.
    """
    if not explicit and not (numbers.is_monotonic_increasing or numbers.is_monotonic_decreasing
                             or TIME_NAME.search(name)):
        return None, None
    integral = bool((numbers % 1 == 0).all())
    for lo, hi, fmt, how in ((1e7, 1e8, "%Y%m%d", "YYYYMMDD (%Y%m%d)"),
                             (1e5, 1e6, "%Y%m", "YYYYMM (%Y%m)")):
        if integral and ((numbers >= lo) & (numbers < hi)).all():
            parsed = _to_datetime(numbers.astype("int64").astype(str), format=fmt)
            if parsed.notna().all():
                return parsed, how
    unit = _epoch_unit(numbers)
    if unit is None:
        return None, None
    return pd.to_datetime(numbers, unit=unit, utc=True), f"unix time in {unit}"


def _given_format(values, date_format):
    """``(parsed, how)`` with the user's --date-format."""
    if date_format.startswith("unix-"):
        unit = date_format[5:]
        if unit not in EPOCH_UNITS:
            raise CLIError(f"--date-format must be {_DATE_FORMAT_HELP}; got {date_format!r}.")
        numbers = pd.to_numeric(values, errors="coerce")
        return pd.to_datetime(numbers, unit=unit, utc=True, errors="coerce"), f"unix time in {unit}"
    if "%" not in date_format and date_format != "ISO8601":
        raise CLIError(f"--date-format must be {_DATE_FORMAT_HELP}; got {date_format!r}.")
    try:
        return _to_datetime(_as_text(values), format=date_format), describe_format(date_format)
    except ValueError as exc:
        raise CLIError(f"--date-format {date_format!r} is not a usable format ({exc}).") from None


def _is_number(text) -> bool:
    try:
        float(str(text).replace(",", "."))
    except ValueError:
        return False
    return True


def parse_dates(cells: pd.Series, name: str, lines, path: str, explicit: bool, date_format=None):
    """``(DatetimeIndex, how)`` of a date column, or ``(None, None)`` for an implicit
    first column that holds no dates.

    Raises CLIError for a value that is not a date, a missing date and a
    day/month order that the values leave open (see docs/forecast-csv.md).
    """
    missing = cells.isna().to_numpy()
    values, at = cells[~missing], lines[~missing]
    if values.empty:
        if not explicit:
            return None, None
        raise CLIError(f"date column {name!r} of {path} is empty.")
    if date_format is not None:
        if not pd.api.types.is_numeric_dtype(values.dtype):
            values = values.astype(str).str.strip()
        parsed, how = _given_format(values, date_format)
    else:
        numeric = pd.api.types.is_numeric_dtype(values.dtype)
        if not numeric and _is_number(values.iloc[0]):  # numbers read as text (a footer)
            numbers = pd.to_numeric(values, errors="coerce")
            numeric = bool(numbers.notna().all())
            values = numbers if numeric else values
        if numeric:
            parsed, how = _numeric_dates(values, name, explicit)
            if parsed is None:
                if not explicit:
                    return None, None
                raise CLIError(
                    f"date column {name!r} holds numbers ({_as_text(values).iloc[0]!r} on line "
                    f"{at[0]}) that are neither YYYYMMDD dates nor unix times in s, ms, us or ns "
                    "after 1973-03-03; pass --date-format (e.g. unix-s) or the right column with "
                    "--date.")
        else:
            values = values.astype(str).str.strip()
            parsed, how = _text_dates(values, name, at, path, explicit)
            if parsed is None:
                return None, None
    bad = parsed.isna().to_numpy()
    if bad.all() and not explicit:
        return None, None
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise CLIError(
            f"date column {name!r} has a value that is not a date on line {at[pos]} of {path}: "
            f"{_as_text(values).iloc[pos]!r}; fix it, pass the right column with --date or the "
            f"dates' --date-format (read as {how}).")
    if missing.any():
        pos = int(np.flatnonzero(missing)[0])
        raise CLIError(f"date column {name!r} has a missing date on line {lines[pos]} of {path}; "
                       "fill it in or drop the row.")
    return pd.DatetimeIndex(parsed, name=name), how


def _text_dates(values, name, lines, path, explicit):
    """``(parsed, how)`` of dates written as text, or ``(None, None)`` for no date shape.

    Day and month: the format that parses every value wins. When both do (no
    day above 12), dates with dots (``01.02.2023``) are day-first, the European
    convention; with ``/`` or ``-`` the command stops and asks for
    --date-format. The candidates are tried on up to 1000 values spread over
    the column first; the whole column is parsed once unless both fit those.
    """
    formats = _text_formats(values.iloc[0])
    if not formats:
        if not explicit:
            return None, None
        raise CLIError(f"date column {name!r} has a value that is not a date on line {lines[0]} "
                       f"of {path}: {values.iloc[0]!r}; pass the dates' --date-format "
                       f"({_DATE_FORMAT_HELP}) or the right column with --date.")
    sample = values.iloc[::max(1, len(values) // 1000)]
    fitting = [fmt for fmt in formats if _to_datetime(sample, format=fmt).notna().all()]
    parsed = {fmt: _to_datetime(values, format=fmt) for fmt in (fitting or formats)}
    complete = [fmt for fmt in parsed if parsed[fmt].notna().all()]
    if len(complete) == 2:
        day_first = next(f for f in complete if f.find("%d") < f.find("%m"))
        if "%d.%m" in day_first:
            return parsed[day_first], describe_format(day_first)
        month_first = next(f for f in complete if f != day_first)
        raise CLIError(
            f"date column {name!r} is ambiguous: {values.iloc[0]!r} (line {lines[0]}) reads "
            f"day-first or month-first and no day is above 12; pass --date-format {day_first} "
            f"or --date-format {month_first}.")
    best = complete[0] if complete else max(parsed, key=lambda f: parsed[f].notna().sum())
    return parsed[best], describe_format(best)


def describe_format(fmt: str) -> str:
    """``'day-first (%d.%m.%Y)'``, ``'ISO 8601'``, ``'%Y/%m/%d'``... for the notes."""
    if fmt == "ISO8601":
        return "ISO 8601"
    d, m, y = fmt.find("%d"), fmt.find("%m"), fmt.find("%Y")
    if -1 in (d, m) or -1 < y < m:
        return fmt
    return f"{'day' if d < m else 'month'}-first ({fmt})"
