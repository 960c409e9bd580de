"""How a user's CSV file is written: encoding, separator, decimal mark, non-data rows.

The reading rules of ``skrnn forecast`` (docs/forecast-csv.md), one function
per decision; :func:`skrnn.cli._csv.read_forecast_csv` calls them in order
(the dates are read by :mod:`skrnn.cli._dates`). Parsing is pandas' own
(``read_csv``'s C parser, ``to_numeric``) and :class:`csv.Sniffer`, on whole
columns: no loop over rows in this module. Every problem is one
:class:`~skrnn.cli.CLIError` line.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ._main import CLIError

#: Tried in this order when the file is not UTF-8 (the first one that holds the
#: --target name wins; ISO-8859-1 decodes any byte, so it is the last resort).
FALLBACK_ENCODINGS = ("windows-1250", "iso-8859-1")
#: Separators looked for in the header line.
SEPARATORS = ",;\t|"
#: Cells read as a missing value (compared case-insensitively in text columns).
MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "#n/a", "-"})
#: The same for pandas' C parser, which compares them as written.
NA_VALUES = sorted(MISSING | {m.upper() for m in MISSING} | {"NaN", "Null", "None", "N/A"})


@dataclass
class Table:
    """The cells of a CSV file (numeric columns as numbers, others as text), the header
    line's cells as written, the file line of every row, and how it was read."""

    body: pd.DataFrame
    header: list
    lines: np.ndarray
    encoding: str
    sep: str | None
    decimal: str


def read_bytes(path) -> bytes:
    """The file's bytes, or a CLIError for a missing file, a folder or a read error."""
    p = Path(path)
    if not p.exists():
        raise CLIError(f"cannot read {str(path)!r}: no such file.")
    if p.is_dir():
        raise CLIError(f"cannot read {str(path)!r}: it is a folder, not a CSV file.")
    try:
        return p.read_bytes()
    except OSError as exc:
        raise CLIError(f"cannot read {str(path)!r}: {exc.strerror or exc}.") from None


def decode(data: bytes, path: str, encoding=None, hint=()):
    """``(text, encoding)``: the given encoding, or UTF-8 (BOM or not), then the fallbacks."""
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise CLIError(f"unknown --encoding {encoding!r}; give a codec name such as utf-8, "
                           "windows-1250 or iso-8859-1.") from None
        try:
            return data.decode(encoding).lstrip("\ufeff"), encoding
        except UnicodeDecodeError as exc:
            raise CLIError(f"{path!r} is not a {encoding} text file (byte 0x{data[exc.start]:02x} "
                           f"at offset {exc.start}); pass the file's --encoding.") from None
    # A fixed, documented order rather than a statistical detector (chardet,
    # charset-normalizer): on short, mostly ASCII files those guess among dozens
    # of code pages, while the files met here are UTF-8 or one of two others.
    for bom, name in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                      (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(name).lstrip("\ufeff"), f"{name} (byte-order mark)"
            except UnicodeDecodeError:
                raise CLIError(f"{path!r} starts with a {name} byte-order mark but is not "
                               "valid text in it; pass the file's --encoding.") from None
    if data[:4] == b"PK\x03\x04":
        raise CLIError(f"{path!r} is a zip or Excel (.xlsx) file, not a CSV file; export it "
                       "as CSV.")
    if b"\x00" in data[:8192]:
        raise CLIError(f"{path!r} is not a text file (it holds NUL bytes); export it as CSV.")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    decoded = []
    for name in FALLBACK_ENCODINGS:
        try:
            text = data.decode(name)
        except UnicodeDecodeError:  # windows-1250 leaves five bytes undefined
            continue
        head = text[:4096].split("\n", 2)[:2]
        if all(any(h in line for line in head) for h in hint if h):
            return text, name
        decoded.append((text, name))
    return decoded[0]


def split_lines(text: str):
    """``(text, offset)``: line ends made ``\\n``, byte-order marks and the ``offset``
    blank lines before the header removed."""
    # a byte-order mark inside the text: files with one concatenated
    text = text.replace("\ufeff", "").replace("\r\n", "\n").replace("\r", "\n")
    stripped = text.lstrip("\n")
    offset = len(text) - len(stripped)
    return stripped, offset


def detect_separator(text: str, sep=None):
    """The separator: ``sep``, an Excel ``sep=`` line, the only candidate in the
    header, or :class:`csv.Sniffer`'s choice among the header's candidates.

    ``None`` when the header holds no candidate (a one-column file).
    """
    if sep is not None:
        sep = {"tab": "\t", "\\t": "\t", "TAB": "\t"}.get(sep, sep)
        if len(sep) != 1 or sep in "\n\r\"":
            raise CLIError("--sep must be one character such as ';' or ',' (or 'tab'), got "
                           f"{sep!r}.")
        return sep
    header = text.split("\n", 1)[0]
    present = [c for c in SEPARATORS if c in header]
    if len(present) <= 1:
        return present[0] if present else None
    sample = "\n".join(text[:65536].split("\n")[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters="".join(present)).delimiter
    except csv.Error:
        return max(present, key=header.count)


def _parse(text, path, **kw):
    """``pd.read_csv`` of the decoded text; parser problems are one CLIError line."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", pd.errors.ParserWarning)
        try:
            frame = pd.read_csv(io.StringIO(text), skip_blank_lines=False, skipinitialspace=True,
                                **kw)
        except pd.errors.EmptyDataError:
            raise CLIError(f"{path!r} is empty; it needs a header line and data rows.") from None
        except pd.errors.ParserError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else "parse error"
            raise CLIError(f"{path!r} is not a well-formed CSV file: {first}") from None
    if any(issubclass(w.category, pd.errors.ParserWarning) for w in caught):
        raise CLIError(f"{path!r} is not a well-formed CSV file: its data lines have more fields "
                       "than its header line.")
    return frame


def read_table(path, sep=None, encoding=None, decimal=None, hint=()) -> Table:
    """Decode the file and read it with pandas' C parser; line numbers kept.

    The first 1000 data lines are read as text to find the decimal mark;
    then the whole file is read with it: clean numeric columns come back as
    numbers, columns with any text cell (a footer, a repeated header) as text.
    """
    path = str(path)
    text, used = decode(read_bytes(path), path, encoding, hint)
    text, offset = split_lines(text)
    excel = re.match(r"sep=(.)\n", text)
    if excel is not None:  # Excel's "sep=;" first line names the separator
        text, offset, sep = text[excel.end():], offset + 1, sep or excel.group(1)
    if not text.strip():
        raise CLIError(f"{path!r} is empty; it needs a header line and data rows.")
    sep = detect_separator(text, sep)
    # a one-column file: a separator that is not in it (\x1f, the ASCII unit separator)
    split = sep or "\x1f"
    head = _parse(text, path, sep=split, header=None, dtype=str, na_filter=False, nrows=1001)
    decimal = detect_decimal(head.iloc[1:].fillna(""), decimal)
    body = _parse(text, path, sep=split, header=0, index_col=False, low_memory=False,
                  decimal=decimal if decimal != split else ".", na_values=NA_VALUES,
                  keep_default_na=False)
    if len(body) == 0:
        raise CLIError(f"{path!r} has no data rows.")
    body.columns = [str(c).strip() for c in body.columns]
    lines = np.arange(len(body)) + 2 + offset
    return Table(body=body, header=list(head.iloc[0].fillna("")), lines=lines, encoding=used,
                 sep=sep, decimal=decimal)


def non_data_rows(table: Table, key: str, path: str):
    """``(drop, n_reported, first_line)``: rows that hold no data.

    A row is dropped when it is blank, when it repeats the header line, or when
    its ``key`` cell (the date column, else the target) holds no digit and it
    lies in a block of such rows that touches the header, a repeated header
    line or the end of the file (a text footer, a second header line). Blank
    rows are not counted in ``n_reported``.
    """
    # Own rule: pandas' skipfooter / skiprows / comment need the count or a marker
    # known in advance, and these rows are found from their cells.
    body = table.body
    n = len(body)
    blank = body.isna().all(axis=1).to_numpy()
    header_row = np.zeros(n, bool)
    textual = np.zeros(n, bool)
    cells = body[key]
    if cells.dtype == object:
        key_name = table.header[list(body.columns).index(key)]
        like = np.flatnonzero((cells == key_name).to_numpy())
        if len(like):
            rows = body.iloc[like].fillna("").astype(str).to_numpy()
            same = (rows == np.array(table.header, dtype=object)).all(axis=1)
            if not same.all():
                raise CLIError(
                    f"line {table.lines[like[~same][0]]} of {path} starts like the header line "
                    "but its columns differ; the parts of a file made of several exports need "
                    "the same columns (align them or split the file).")
            header_row[like] = True
        text = cells.fillna("").astype(str)
        textual = ((text != "") & ~text.str.contains(r"\d", regex=True)).to_numpy() & ~header_row
    mark = textual | blank | header_row
    run = np.cumsum(np.r_[True, mark[1:] != mark[:-1]])
    touches = np.bincount(run, weights=header_row.astype(float)) > 0
    touches[[run[0], run[-1]]] = True
    drop = (mark & touches[run]) | blank
    reported = drop & ~blank
    first = int(table.lines[np.flatnonzero(reported)[0]]) if reported.any() else None
    return drop, int(reported.sum()), first


def detect_decimal(head: pd.DataFrame, decimal=None) -> str:
    """``','`` when more cells of the first 1000 lines read as ``12,5`` than as ``12.5``."""
    if decimal is not None:
        if decimal not in (".", ","):
            raise CLIError(f"--decimal must be '.' or ',', got {decimal!r}.")
        return decimal
    comma = sum(int(head[c].str.fullmatch(r"\s*[+-]?\d+,\d+\s*").sum()) for c in head.columns)
    dot = sum(int(head[c].str.fullmatch(r"\s*[+-]?\d*\.\d+(?:[eE][+-]?\d+)?\s*").sum())
              for c in head.columns)
    return "," if comma > dot else "."


def to_numbers(cells: pd.Series, decimal: str):
    """``(values, bad)``: floats (NaN for missing cells) and the cells that are not numbers.

    Columns the C parser read as numbers pass as they are; text columns (a
    footer made them text, or a decimal comma in a comma-separated file) are
    converted here.
    """
    if pd.api.types.is_bool_dtype(cells.dtype):
        return pd.Series(np.nan, index=cells.index), np.ones(len(cells), bool)
    if pd.api.types.is_numeric_dtype(cells.dtype):
        return cells.astype(float), np.zeros(len(cells), bool)
    text = cells.fillna("").astype(str).str.strip()
    missing = text.str.lower().isin(MISSING)
    if decimal == ",":
        text = text.str.replace(",", ".", regex=False)
    values = pd.to_numeric(text.where(~missing), errors="coerce").astype(float)
    return values, (values.isna() & ~missing).to_numpy()
