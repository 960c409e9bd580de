"""``skrnn forecast`` on the CSV files people have: banks, exchanges, spreadsheets.

A folder of files is written by the tests (``folder``); each file has its
expected outcome: the parsed frame (dates and values against those written)
or the exact one-line error with exit code 2 and nothing written. Most files
go through :func:`read_forecast_csv` directly; two run the whole command.
"""

import numpy as np
import pandas as pd
import pytest

from skrnn.cli import main, read_forecast_csv

N = 80  # rows of most files: more than the 59 that --window 10 needs


def prices(n=N, start=100.0):
    """A positive series with four decimals, exact in text."""
    t = np.arange(n)
    return np.round(start + 0.25 * t + np.sin(t / 3), 4)


def comma(x):
    """A number written with a decimal comma."""
    return f"{x:.4f}".replace(".", ",")


def nbp_lines(days, usd, with_header=True):
    """An NBP table-A archive: ';', decimal commas, YYYYMMDD, a trailing ';', a footer."""
    lines = ["data;1THB;1USD;1EUR;nr tabeli;pełny numer tabeli;"] if with_header else []
    for i, (day, value) in enumerate(zip(days, usd)):
        lines.append(f"{day:%Y%m%d};{comma(0.12 + i / 1e4)};{comma(value)};{comma(4.6 + i / 1e3)};"
                     f"{i + 1};{i + 1:03d}/A/NBP/{day:%Y};")
    lines += ["kod ISO;THB;USD;EUR;;;", "nazwa waluty;bat (Tajlandia);dolar amerykański;euro;;;",
              "liczba jednostek;1;1;1;;;"]
    return lines


NBP_DAYS = pd.bdate_range("2023-01-02", periods=N + 1).drop(pd.Timestamp("2023-01-06"))  # a holiday
NBP_2022 = pd.bdate_range("2022-12-19", "2022-12-30")
DAILY = pd.date_range("2023-01-01", periods=N, freq="D")
HOURS = pd.date_range("2023-01-01", periods=N, freq="h", tz="UTC")


def csv_text(header, dates, *columns, sep=","):
    rows = [sep.join(header)]
    rows += [sep.join(str(v) for v in row) for row in zip(dates, *columns)]
    return "\n".join(rows) + "\n"


def build_folder(folder):
    """Every file of the suite: name -> bytes."""
    p = prices()
    files = {}
    # 1-3. the National Bank of Poland's archive (windows-1250), and two years concatenated
    files["nbp_2023.csv"] = "\r\n".join(nbp_lines(NBP_DAYS, p) + [""]).encode("cp1250")
    two = nbp_lines(NBP_2022, prices(len(NBP_2022), 90)) + nbp_lines(NBP_DAYS, p)
    files["nbp_2022_2023.csv"] = "\r\n".join(two + [""]).encode("cp1250")
    # 4. a spreadsheet export: BOM, CRLF, ';', day-first dates, decimal commas
    sheet = ["Datum;Schlusskurs;Volumen"] + [
        f"{d:%d.%m.%Y};{comma(v)};{1000 + i}" for i, (d, v) in enumerate(zip(DAILY, p))]
    files["spreadsheet_de.csv"] = ("\r\n".join(sheet) + "\r\n").encode("utf-8-sig")
    # 5. two exports concatenated: the header repeats, three rows overlap exactly
    dates = DAILY.strftime("%Y-%m-%d")
    a = csv_text(["date", "close"], dates[:50], p[:50])
    b = csv_text(["date", "close"], dates[47:], p[47:])
    files["concatenated.csv"] = (a + b).encode()
    # 6-9. unix epochs in s, ms, us, ns as the first column, no --date
    for unit, name, scale in (("s", "timestamp", 1), ("ms", "open_time", 10**3),
                              ("us", "time", 10**6), ("ns", "t", 10**9)):
        epochs = (HOURS.asi8 // 10**9) * scale
        files[f"epoch_{unit}.csv"] = csv_text([name, "close"], epochs, p).encode()
    # 10. day/month undecidable (no day above 12, slashes)
    months = pd.date_range("2018-01-01", periods=N, freq="MS")
    files["ambiguous_slash.csv"] = csv_text(["Date", "Close"], months.strftime("%d/%m/%Y"),
                                            p).encode()
    # 11. the same with dots: day-first by rule
    files["dots_monthly.csv"] = csv_text(["Datum", "Wert"], months.strftime("%d.%m.%Y"), p,
                                         sep=";").encode()
    # 12. a US export: quoted, month-first, newest first
    rows = ['"Date","Close","Volume"'] + [f'"{d:%m/%d/%Y}","{v}","{i}"'
                                           for i, (d, v) in enumerate(zip(DAILY, p))][::-1]
    files["us_export.csv"] = ("\n".join(rows) + "\n").encode()
    # 13. YYYYMMDD written as numbers (not epoch seconds)
    files["yyyymmdd.csv"] = csv_text(["day", "close"], DAILY.strftime("%Y%m%d"), p).encode()
    # 14-15. gaps in time, and a missing target value
    keep = np.ones(N, bool)
    keep[[20, 21, 22, 50]] = False
    files["gaps.csv"] = csv_text(["date", "value"], dates[keep], p[keep]).encode()
    hole = p.astype(object)
    hole[30] = ""
    files["missing_target.csv"] = csv_text(["date", "value"], dates, hole).encode()
    # 16. a concatenation whose second header names other columns
    files["header_changed.csv"] = (a + csv_text(["date", "open"], dates[50:], p[50:])).encode()
    # 17. a numeric --date column that holds no dates
    files["ids.csv"] = csv_text(["id", "value"], np.arange(1, N + 1), p).encode()
    # 18. Excel "Unicode text": UTF-16 with BOM, tabs
    files["utf16_tab.csv"] = csv_text(["Date", "Close"], dates, p, sep="\t").encode("utf-16")
    # 19. Excel's "sep=;" first line, with a bad target cell (line numbers count that line)
    bad = p.astype(object)
    bad[4] = "12 EUR"
    files["excel_sep_line.csv"] = ("sep=;\n" + csv_text(["Date", "Close"], dates, bad,
                                                         sep=";")).encode()
    # 20. old Mac line ends (CR)
    files["cr_line_ends.csv"] = csv_text(["date", "close"], dates, p).replace("\n", "\r").encode()
    # 21. a workbook saved under a .csv name
    files["workbook.csv"] = b"PK\x03\x04\x14\x00\x06\x00" + bytes(200)
    # 22. ISO-8859-1 whose target name is not windows-1250 text (a-tilde)
    files["latin1.csv"] = csv_text(["Data", "Cotação"], DAILY.strftime("%d.%m.%Y"),
                                   [comma(v) for v in p], sep=";").encode("iso-8859-1")
    # 23. irregular times: gaps can be reported, not filled
    irregular = HOURS.delete([40, 41, 42]).insert(10, HOURS[10] + pd.Timedelta(minutes=30))
    files["irregular.csv"] = csv_text(["time", "value"], irregular.strftime("%Y-%m-%dT%H:%M:%S"),
                                      prices(len(irregular))).encode()
    # 24. day-first dates with a time of day
    files["day_first_times.csv"] = csv_text(["Zeit", "Kurs"], HOURS.strftime("%d.%m.%Y %H:%M"),
                                            [comma(v) for v in p], sep=";").encode()
    # 25. one column with decimal commas, no dates
    files["one_column.csv"] = ("price\n" + "\n".join(comma(v) for v in p) + "\n").encode()
    # 26. an impossible date in the middle of the date column stays an error
    words = dates.to_numpy(dtype=object)
    words[40] = "2023-02-30"
    files["bad_date.csv"] = csv_text(["date", "close"], words, p).encode()
    # 27. two spreadsheet exports joined byte for byte: the second one's BOM inside the file
    files["spreadsheet_twice.csv"] = (
        ("\r\n".join(sheet[:41]) + "\r\n").encode("utf-8-sig")
        + ("\r\n".join(sheet[:1] + sheet[41:]) + "\r\n").encode("utf-8-sig"))
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return files


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("csv-files")
    build_folder(folder)
    return folder


def read(folder, name, target, **kw):
    return read_forecast_csv(folder / name, target, **kw)


def assert_frame(data, index, columns, notes=()):
    """The parsed frame has these dates and values, and the notes say these things."""
    pd.testing.assert_index_equal(data.frame.index, pd.Index(index), check_names=False,
                                  exact=False)
    for name, values in columns.items():
        np.testing.assert_allclose(data.frame[name].to_numpy(dtype=float), values, rtol=0,
                                   atol=1e-12, err_msg=name)
    for fragment in notes:
        assert any(fragment in text for text in data.notes), (fragment, data.notes)


def test_folder_has_the_files(folder):
    assert len(list(folder.glob("*.csv"))) >= 15


# --------------------------------------------------------------------------- #
# files that parse
# --------------------------------------------------------------------------- #
def test_nbp_archive_windows_1250(folder):
    data = read(folder, "nbp_2023.csv", "1USD")
    thb = [0.12 + i / 1e4 for i in range(N)]
    assert_frame(data, NBP_DAYS, {"1USD": prices(), "1THB": np.round(thb, 4),
                                  "nr tabeli": np.arange(1, N + 1)},
                 ["read ", "as windows-1250 text, separator ';', decimal mark ',', dates in 'data' "
                  "as YYYYMMDD (%Y%m%d)",
                  f"dropped 3 non-data row(s) (repeated header lines, text rows before or after "
                  f"the data), the first on line {N + 2}",
                  "ignored non-numeric column(s) ['pełny numer tabeli']",
                  "1 gap(s) in time longer than the usual step (1 business day), the longest "
                  "2023-01-05 -> 2023-01-09"])
    assert list(data.frame.columns) == ["1USD", "1THB", "1EUR", "nr tabeli"]
    # the lab's choice, ISO-8859-1, reads the same numbers
    latin = read(folder, "nbp_2023.csv", "1USD", encoding="iso-8859-1")
    pd.testing.assert_frame_equal(latin.frame, data.frame)
    assert any("ignored non-numeric column(s) ['pe³ny numer tabeli']" in n for n in latin.notes)


def test_nbp_two_years_concatenated(folder):
    data = read(folder, "nbp_2022_2023.csv", "1USD")
    n1 = len(NBP_2022)
    assert_frame(data, NBP_2022.append(NBP_DAYS),
                 {"1USD": np.r_[prices(n1, 90), prices()]},
                 [f"dropped 7 non-data row(s) (repeated header lines, text rows before or after "
                  f"the data), the first on line {n1 + 2}"])


def test_spreadsheet_bom_crlf_semicolon_day_first(folder):
    data = read(folder, "spreadsheet_de.csv", "Schlusskurs")
    assert_frame(data, DAILY, {"Schlusskurs": prices(), "Volumen": 1000 + np.arange(N)},
                 ["as utf-8-sig (byte-order mark) text, separator ';', decimal mark ',', dates in "
                  "'Datum' as day-first (%d.%m.%Y)"])


def test_spreadsheet_exports_joined_with_their_byte_order_marks(folder):
    data = read(folder, "spreadsheet_twice.csv", "Schlusskurs")
    assert_frame(data, DAILY, {"Schlusskurs": prices(), "Volumen": 1000 + np.arange(N)},
                 ["dropped 1 non-data row(s) (repeated header lines, text rows before or after "
                  "the data), the first on line 42"])


def test_concatenated_exports_repeated_header_and_overlap(folder):
    data = read(folder, "concatenated.csv", "close")
    assert_frame(data, DAILY, {"close": prices()},
                 ["dropped 1 non-data row(s) (repeated header lines, text rows before or after "
                  "the data), the first on line 52",
                  "dropped 3 row(s) that repeat an earlier row (same date, same values), the "
                  "first on line 53"])


@pytest.mark.parametrize("unit, name", [("s", "timestamp"), ("ms", "open_time"), ("us", "time"),
                                        ("ns", "t")])
def test_unix_epochs_in_the_first_column(folder, unit, name):
    data = read(folder, f"epoch_{unit}.csv", "close")
    assert_frame(data, HOURS, {"close": prices()}, [f"dates in {name!r} as unix time in {unit}"])
    assert data.date_column == name and list(data.frame.columns) == ["close"]
    assert data.step == pd.Timedelta(hours=1)


def test_dotted_day_month_is_day_first_by_rule(folder):
    data = read(folder, "dots_monthly.csv", "Wert")
    months = pd.date_range("2018-01-01", periods=N, freq="MS")
    assert_frame(data, months, {"Wert": prices()}, ["as day-first (%d.%m.%Y)"])
    assert data.step == pd.offsets.MonthBegin()


def test_slashes_decided_by_date_format(folder):
    data = read(folder, "ambiguous_slash.csv", "Close", date_format="%d/%m/%Y")
    assert_frame(data, pd.date_range("2018-01-01", periods=N, freq="MS"), {"Close": prices()})
    # month-first is a reading too: January 1..12 of every year
    month_first = read(folder, "ambiguous_slash.csv", "Close", date_format="%m/%d/%Y")
    years = np.repeat(np.arange(2018, 2025), 12)[:N]
    days = [pd.Timestamp(year, 1, 1 + i % 12) for i, year in enumerate(years)]
    assert_frame(month_first, days, {"Close": prices()})


def test_us_export_month_first_newest_first(folder):
    data = read(folder, "us_export.csv", "Close")
    assert_frame(data, DAILY, {"Close": prices(), "Volume": np.arange(N)},
                 ["dates in 'Date' as month-first (%m/%d/%Y)",
                  "rows are not in date order (newest first); sorted them by 'Date'"])


def test_yyyymmdd_numbers_are_dates_not_epoch_seconds(folder):
    data = read(folder, "yyyymmdd.csv", "close")
    assert_frame(data, DAILY, {"close": prices()}, ["dates in 'day' as YYYYMMDD (%Y%m%d)"])


def test_gaps_reported_by_default_filled_on_request(folder):
    keep = np.ones(N, bool)
    keep[[20, 21, 22, 50]] = False
    p = prices()
    data = read(folder, "gaps.csv", "value")
    assert_frame(data, DAILY[keep], {"value": p[keep]},
                 ["2 gap(s) in time longer than the usual step (1 day(s)), the longest "
                  "2023-01-20 -> 2023-01-24; the model treats rows as consecutive steps (--fill "
                  "ffill or --fill interpolate fills them)"])
    ffill = read(folder, "gaps.csv", "value", fill="ffill")
    expected = p.copy()
    expected[[20, 21, 22]], expected[50] = p[19], p[49]
    assert_frame(ffill, DAILY, {"value": expected},
                 ["filled 4 missing step(s) in 2 gap(s) in time (the longest 2023-01-20 -> "
                  "2023-01-24) by --fill ffill"])
    interp = read(folder, "gaps.csv", "value", fill="interpolate")
    expected[[20, 21, 22]] = p[19] + (p[23] - p[19]) * np.array([1, 2, 3]) / 4
    expected[50] = (p[49] + p[51]) / 2
    assert_frame(interp, DAILY, {"value": expected})


def test_missing_target_value_is_a_gap_for_fill(folder):
    p = prices()
    data = read(folder, "missing_target.csv", "value", fill="interpolate")
    expected = p.copy()
    expected[30] = (p[29] + p[31]) / 2
    assert_frame(data, DAILY, {"value": expected},
                 ["filled 1 missing value(s) of 'value' (gaps included) by --fill interpolate"])


def test_utf16_tabs_cr_line_ends_latin1_times_one_column(folder):
    p = prices()
    assert_frame(read(folder, "utf16_tab.csv", "Close"), DAILY, {"Close": p},
                 ["as utf-16 (byte-order mark) text, separator tab"])
    assert_frame(read(folder, "cr_line_ends.csv", "close"), DAILY, {"close": p})
    assert_frame(read(folder, "latin1.csv", "Cotação"), DAILY, {"Cotação": p},
                 ["as iso-8859-1 text"])
    assert_frame(read(folder, "day_first_times.csv", "Kurs"), HOURS.tz_localize(None),
                 {"Kurs": p}, ["as day-first (%d.%m.%Y %H:%M)"])
    one = read(folder, "one_column.csv", "price")
    assert_frame(one, pd.RangeIndex(N), {"price": p},
                 ["separator none (one column), decimal mark ','", "no date column"])


def test_irregular_times_report_gaps(folder):
    data = read(folder, "irregular.csv", "value")
    assert any(n.startswith("1 gap(s) in time longer than the usual step (1 hour(s))")
               for n in data.notes), data.notes


# --------------------------------------------------------------------------- #
# files that cannot give a forecast: one line, exit code 2, nothing written
# --------------------------------------------------------------------------- #
ERRORS = [
    ("ambiguous_slash.csv", ["--target", "Close"],
     "date column 'Date' is ambiguous: '01/01/2018' (line 2) reads day-first or month-first and "
     "no day is above 12; pass --date-format %d/%m/%Y or --date-format %m/%d/%Y."),
    ("missing_target.csv", ["--target", "value"],
     "target column 'value' has 1 missing or infinite value(s), the first on line 32 of {path}; "
     "fill or drop those rows, or pass --fill ffill or --fill interpolate."),
    ("header_changed.csv", ["--target", "close"],
     "line 52 of {path} starts like the header line but its columns differ; the parts of a file "
     "made of several exports need the same columns (align them or split the file)."),
    ("ids.csv", ["--target", "value", "--date", "id"],
     "date column 'id' holds numbers ('1' on line 2) that are neither YYYYMMDD dates nor unix "
     "times in s, ms, us or ns after 1973-03-03; pass --date-format (e.g. unix-s) or the right "
     "column with --date."),
    ("excel_sep_line.csv", ["--target", "Close"],
     "target column 'Close' is not numeric: line 7 of {path} has '12 EUR'; give a column of "
     "numbers (no thousands separators or units; the decimal mark is --decimal)."),
    ("workbook.csv", ["--target", "x"],
     "{path!r} is a zip or Excel (.xlsx) file, not a CSV file; export it as CSV."),
    ("irregular.csv", ["--target", "value", "--fill", "ffill"],
     "cannot --fill the gaps of {path}: its dates are not on a regular grid of the usual step "
     "(1 hour(s)); the longest 2023-01-02T15:00:00 -> 2023-01-02T19:00:00. Resample "
     "the file to a regular step first."),
    ("bad_date.csv", ["--target", "close"],
     "date column 'date' has a value that is not a date on line 42 of {path}: '2023-02-30'; fix "
     "it, pass the right column with --date or the dates' --date-format (read as ISO 8601)."),
    ("spreadsheet_de.csv", ["--target", "Schlusskurs", "--encoding", "ascii"],
     "{path!r} is not a ascii text file (byte 0xef at offset 0); pass the file's --encoding."),
    ("gaps.csv", ["--target", "value", "--date-format", "%d.%m.%Y"],
     "date column 'date' has a value that is not a date on line 2 of {path}: '2023-01-01'; fix "
     "it, pass the right column with --date or the dates' --date-format (read as day-first "
     "(%d.%m.%Y))."),
]


@pytest.mark.parametrize("name, args, message", ERRORS, ids=[e[0] for e in ERRORS])
def test_one_line_error_exit_2_nothing_written(folder, tmp_path, capsys, name, args, message):
    path = str(folder / name)
    out = tmp_path / "out"
    code = main(["forecast", path, *args, "--out", str(out), "--quick"])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err == f"skrnn: error: {message.format(path=path)}\n"
    assert captured.out == ""
    assert not out.exists()


def test_help_documents_the_reading_options(capsys):
    assert main(["forecast", "--help"]) == 0
    out = capsys.readouterr().out
    for word in ("--sep", "--decimal", "--encoding", "--date-format", "--fill {ffill,interpolate}",
                 "windows-1250", "ISO-8859-1", "unix-s, unix-ms, unix-us, unix-ns", "YYYYMMDD",
                 "day-first", "asks for --date-format", "Friday -> Monday", "Non-data rows",
                 "docs/forecast-csv.md"):
        assert word in out, word


@pytest.mark.parametrize("option, value, message", [
    ("--sep", ";;", "--sep must be one character such as ';' or ',' (or 'tab'), got ';;'."),
    ("--encoding", "klingon", "unknown --encoding 'klingon'; give a codec name such as utf-8, "
                              "windows-1250 or iso-8859-1."),
    ("--date-format", "dd.mm.yyyy", "--date-format must be a strptime format such as %d.%m.%Y, "
                                    "ISO8601, or unix-s, unix-ms, unix-us, unix-ns; got "
                                    "'dd.mm.yyyy'."),
])
def test_bad_reading_options(folder, tmp_path, capsys, option, value, message):
    code = main(["forecast", str(folder / "gaps.csv"), "--target", "value", option, value,
                 "--out", str(tmp_path / "out")])
    assert code == 2
    assert capsys.readouterr().err == f"skrnn: error: {message}\n"
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- #
# the whole command on two of the files
# --------------------------------------------------------------------------- #
TINY_RUN = ["--window", "5", "--epochs", "1", "--units", "4", "--seed", "0"]


@pytest.mark.slow
def test_forecast_nbp_archive_with_fill(folder, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["forecast", str(folder / "nbp_2023.csv"), "--target", "1USD", "--fill", "ffill",
                 "--out", str(out), *TINY_RUN])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "as windows-1250 text, separator ';', decimal mark ','" in captured.err
    assert f"dropped 3 non-data row(s)" in captured.err
    assert "filled 1 missing step(s) in 1 gap(s) in time" in captured.err
    pred = pd.read_csv(out / "predictions.csv")
    # the test targets are the last business days; the holiday is filled, weekends are not rows
    grid = pd.bdate_range(NBP_DAYS[0], NBP_DAYS[-1])
    assert pred["date"].tolist() == list(grid.strftime("%Y-%m-%d")[-len(pred):])
    np.testing.assert_allclose(pred["actual"], prices()[-len(pred):])
    nxt = pd.read_csv(out / "next.csv").iloc[0]
    assert nxt["date"] == (NBP_DAYS[-1] + pd.offsets.BDay()).strftime("%Y-%m-%d")
    assert nxt["last_value"] == pytest.approx(prices()[-1])


@pytest.mark.slow
def test_forecast_spreadsheet_export(folder, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["forecast", str(folder / "spreadsheet_de.csv"), "--target", "Schlusskurs",
                 "--out", str(out), *TINY_RUN])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "Schlusskurs" in captured.out and "Volumen" in captured.out
    pred = pd.read_csv(out / "predictions.csv")
    assert pred["date"].tolist() == list(DAILY.strftime("%Y-%m-%d")[-len(pred):])
    np.testing.assert_allclose(pred["actual"], prices()[-len(pred):])
    assert pd.read_csv(out / "next.csv").iloc[0]["date"] == "2023-03-22"  # the day after the last
