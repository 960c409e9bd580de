"""Loaders for the bundled real-world data sets.

Every file under ``skrnn/datasets/data/`` is a byte copy of public data (see
``PROVENANCE.md`` next to the files for sources, commits and checks). The raw
readers below parse each file once (``functools.lru_cache``); the public
loaders build a fresh frame from them on every call, so callers may mutate
what they get back.
"""

from __future__ import annotations

import datetime as _dt
import functools
from importlib import resources

import numpy as np
import pandas as pd


_PACKAGE = __package__ or "skrnn.datasets"

#: Feature groups of the ETH study, mapped to the columns of :func:`load_eth`.
FEATURE_GROUPS: dict[str, list[str]] = {
    "historical": ["close", "open", "high", "low", "volume"],
    "blockchain": ["tx_count", "hash_rate", "difficulty"],
    "twitter": ["sentiment"],
}

_OHLCV = ["close", "open", "high", "low", "volume"]
_ONCHAIN = ["tx_count", "hash_rate", "difficulty"]
_SENTIMENT = {"twitter": "sentiment", "fear_greed": "fear_greed"}
_USDPLN_COLUMNS = {  # stooq's Polish header -> English
    "Zamkniecie": "close",
    "Otwarcie": "open",
    "Najwyzszy": "high",
    "Najnizszy": "low",
}
_USDPLN_DAILY_FROM = pd.Timestamp("1991-01-02", tz="UTC")


# --------------------------------------------------------------------------- #
# raw readers (cached; never hand these frames out without copying)
# --------------------------------------------------------------------------- #
def _open_data(name: str):
    return (resources.files(_PACKAGE) / "data" / name).open("rb")


def _utc_index(values, fmt: str) -> pd.DatetimeIndex:
    index = pd.DatetimeIndex(pd.to_datetime(values, format=fmt, utc=True), name="date")
    return index.as_unit("ns")


def _finish(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    frame = frame[columns].astype(np.float64)
    if not frame.index.is_monotonic_increasing or frame.index.has_duplicates:
        raise RuntimeError("bundled data file is not sorted by unique dates")  # pragma: no cover
    return frame


# file -> (date column, date format, column renames, columns kept)
_SOURCES = {
    "eth_binance_1d.csv": ("timestamp", "%Y-%m-%d", {}, _OHLCV),
    "btc_binance_1d.csv": ("timestamp", "%Y-%m-%d", {}, _OHLCV),
    "eth_onchain_daily.csv": ("date", "%Y-%m-%d", {}, _ONCHAIN),
    "eth_twitter_sentiment_daily.csv": ("date", "%Y-%m-%d", {"compound": "sentiment"}, ["sentiment"]),
    # ``Timestamp`` is 05:30 UTC in this copy (an IST export); the calendar day
    # is the ``Date`` column (M/D/YYYY), which is what we join on.
    "crypto_fear_greed_daily.csv": ("Date", "%m/%d/%Y", {"Value": "fear_greed"}, ["fear_greed"]),
    "usdpln_stooq_daily.csv": ("Data", "%Y-%m-%d", _USDPLN_COLUMNS, list(_USDPLN_COLUMNS.values())),
}


@functools.lru_cache(maxsize=None)
def _read(name: str) -> pd.DataFrame:
    """One bundled file as float64 columns on a UTC daily index (cached)."""
    date_column, fmt, renames, columns = _SOURCES[name]
    with _open_data(name) as fh:
        raw = pd.read_csv(fh)
    raw.index = _utc_index(raw.pop(date_column), fmt)
    return _finish(raw.rename(columns=renames), columns)


# --------------------------------------------------------------------------- #
# helpers
# --------------------------------------------------------------------------- #
def _check_bool(value, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}.")
    return bool(value)


def _to_utc(value, name: str) -> pd.Timestamp | None:
    if value is None:
        return None
    if not isinstance(value, (str, _dt.date, np.datetime64, pd.Timestamp)):
        raise ValueError(
            f"{name} must be a date such as '2019-01-01' (a string, datetime, "
            f"date or pandas Timestamp) or None, got {value!r}."
        )
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name}={value!r} is not a date pandas can parse; use e.g. '2019-01-01'."
        ) from exc
    if ts is pd.NaT:
        raise ValueError(f"{name} must be a date, got {value!r} (NaT).")
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _select_dates(frame: pd.DataFrame, start, end, what: str) -> pd.DataFrame:
    """Rows with ``start <= date <= end`` (inclusive, whole days)."""
    lo, hi = _to_utc(start, "start"), _to_utc(end, "end")
    if lo is not None and hi is not None and lo > hi:
        raise ValueError(f"start ({lo.date()}) is after end ({hi.date()}).")
    mask = np.ones(len(frame), dtype=bool)
    if lo is not None:
        mask &= frame.index >= lo.floor("D")
    if hi is not None:
        mask &= frame.index <= hi
    out = frame.loc[mask]
    if out.empty:
        raise ValueError(
            f"No {what} rows between start={start!r} and end={end!r}; the data "
            f"cover {frame.index[0].date()} .. {frame.index[-1].date()}."
        )
    return out


def _with_daily_freq(frame: pd.DataFrame) -> pd.DataFrame:
    """Attach ``freq='D'`` to the index when it has no missing day."""
    index = frame.index
    if len(index) > 1 and (np.diff(index.asi8) == pd.Timedelta(days=1).value).all():
        frame.index = pd.DatetimeIndex(index, freq="D", name=index.name)
    return frame


# --------------------------------------------------------------------------- #
# public loaders
# --------------------------------------------------------------------------- #
def load_eth(sentiment="twitter", btc=False, onchain=True, start=None, end=None):
    """Load the daily Ethereum table of the ETH forecasting study.

    Joins, with an **inner join on the UTC calendar day**, Binance ETHUSDT
    daily candles, Etherscan on-chain statistics and a daily sentiment score.
    With the defaults the result covers 2017-08-18 .. 2021-05-11: 1363 days,
    no missing day (the index then carries ``freq='D'``).

    Parameters
    ----------
    sentiment : {"twitter", "fear_greed"} or None, default="twitter"
        ``"twitter"`` adds column ``sentiment``: the daily **mean VADER
        compound score** (-1 .. 1) of about 113,000 scraped Ethereum tweets,
        2017-08-18 .. 2021-05-11. The original study's positive / negative / neutral tweet
        shares do not exist in any public file, so this single daily score
        stands in for them. The scraper's day boundaries may be local time
        (likely CET/CEST) rather than UTC, so a "day" of tweets can be shifted
        by one or two hours against the price candle.
        ``"fear_greed"`` adds column ``fear_greed`` instead: the Crypto Fear &
        Greed Index (alternative.me, 0 .. 100, Bitcoin-market-wide, not
        tweet-based), 2018-02-01 .. 2025-05-02; it misses 2018-04-14 ..
        2018-04-16 and 2024-10-26, so the joined frame has those gaps.
        ``None`` adds no sentiment column.
    btc : bool, default=False
        Add column ``btc_close`` (Binance BTCUSDT daily close, USDT) as the
        last column.
    onchain : bool, default=True
        Add the on-chain columns ``tx_count`` (transactions per day),
        ``hash_rate`` (GH/s) and ``difficulty`` (mean block difficulty, TH),
        2015-07-30 .. 2023-01-08. Proof-of-work ended with the Merge on
        2022-09-15 (a partial day): ``hash_rate`` and ``difficulty`` are 0
        from 2022-09-16 on, so pass ``end="2022-09-14"`` if a model should not
        see that break.
    start, end : str, datetime-like or None, default=None
        Keep only the days ``start <= date <= end`` (both inclusive). Naive
        dates are read as UTC.

    Returns
    -------
    frame : pandas.DataFrame
        One row per day, index a UTC ``DatetimeIndex`` named ``"date"``
        (sorted, unique; the day each candle opens at 00:00 UTC). Float64
        columns in this order: ``close, open, high, low, volume`` (USDT;
        volume in ETH), then ``tx_count, hash_rate, difficulty`` (if
        ``onchain``), then ``sentiment`` or ``fear_greed`` (if ``sentiment``),
        then ``btc_close`` (if ``btc``). The target ``close`` is column 0.
        A new frame on every call: mutate it freely.

    Raises
    ------
    ValueError
        If ``sentiment`` is not one of the values above, ``btc`` or
        ``onchain`` is not a bool, a date cannot be parsed, ``start`` is after
        ``end``, or no day is left after the selection.

    See Also
    --------
    feature_columns : Columns of the study's feature groups.
    load_btc : Bitcoin candles alone.

    Notes
    -----
    Sources, commits and checks of every file are in ``PROVENANCE.md`` in
    ``skrnn/datasets/data/``. The Binance candle of day ``d`` closes at
    ``d 23:59:59.999 UTC``.

    The data are not covered by skrnn's BSD license: they belong to their
    publishers (Binance, Etherscan, alternative.me and the tweets' authors),
    whose terms apply; they are shipped for examples and teaching with their
    attribution.

    Examples
    --------
    >>> from skrnn.datasets import load_eth
    >>> frame = load_eth()
    >>> frame.shape
    (1363, 9)
    >>> list(frame.columns)
    ['close', 'open', 'high', 'low', 'volume', 'tx_count', 'hash_rate', 'difficulty', 'sentiment']
    >>> str(frame.index[0].date()), str(frame.index[-1].date())
    ('2017-08-18', '2021-05-11')
    >>> load_eth(sentiment="fear_greed", btc=True, end="2018-12-31").columns[-2:].tolist()
    ['fear_greed', 'btc_close']
    """
    if sentiment is not None and (not isinstance(sentiment, str) or sentiment not in _SENTIMENT):
        raise ValueError(
            f"sentiment must be 'twitter', 'fear_greed' or None, got {sentiment!r}."
        )
    btc = _check_bool(btc, "btc")
    onchain = _check_bool(onchain, "onchain")

    parts = [_read("eth_binance_1d.csv")]
    if onchain:
        parts.append(_read("eth_onchain_daily.csv"))
    if sentiment == "twitter":
        parts.append(_read("eth_twitter_sentiment_daily.csv"))
    elif sentiment == "fear_greed":
        parts.append(_read("crypto_fear_greed_daily.csv"))
    if btc:
        parts.append(_read("btc_binance_1d.csv")[["close"]].rename(columns={"close": "btc_close"}))

    frame = parts[0]
    for part in parts[1:]:
        frame = frame.join(part, how="inner")
    frame = frame.sort_index()
    frame = _select_dates(frame, start, end, "ETH").copy()
    frame.index.name = "date"
    return _with_daily_freq(frame)


def load_btc(start=None, end=None):
    """Load Binance BTCUSDT daily candles.

    Parameters
    ----------
    start, end : str, datetime-like or None, default=None
        As for :func:`load_eth`: the days from ``start`` to ``end``,
        both included, naive dates read as UTC.

    Returns
    -------
    frame : pandas.DataFrame
        2017-08-17 .. 2026-01-05 (3064 days, no missing day) unless cut by
        ``start`` / ``end``. Index: UTC ``DatetimeIndex`` named ``"date"``
        with ``freq='D'``. Float64 columns ``close, open, high, low, volume``
        (USDT; volume in BTC). A new frame on every call.

    Raises
    ------
    ValueError
        If a date cannot be parsed, ``start`` is after ``end`` or no day is
        left.

    See Also
    --------
    load_eth : Ethereum, with on-chain and sentiment columns.

    Notes
    -----
    The 2018-02-08 Binance outage shows as a day with very low volume.

    The data are not covered by skrnn's BSD license: they belong to their
    publishers (Binance), whose terms apply; they are shipped for examples and
    teaching with their attribution.

    Examples
    --------
    >>> from skrnn.datasets import load_btc
    >>> frame = load_btc(start="2021-11-10", end="2021-11-10")
    >>> float(frame["high"].iloc[0])
    69000.0
    """
    frame = _select_dates(_read("btc_binance_1d.csv"), start, end, "BTC").copy()
    return _with_daily_freq(frame)


def load_usdpln(start=None, end=None, daily_only=True):
    """Load the USD/PLN exchange rate (stooq market quotes).

    Parameters
    ----------
    start, end : str, datetime-like or None, default=None
        As for :func:`load_eth`: the days from ``start`` to ``end``,
        both included, naive dates read as UTC.
    daily_only : bool, default=True
        The source is weekly or monthly before 1991; with ``True`` only the
        daily part from 1991-01-02 on is returned (8568 business days up to
        2024-05-23). ``False`` returns everything from 1984-01-02.

    Returns
    -------
    frame : pandas.DataFrame
        Index: UTC ``DatetimeIndex`` named ``"date"``; business days only
        (holidays and the odd other day are missing, so there is no ``freq``).
        Float64 columns ``close, open, high, low`` in PLN per USD, renamed
        from stooq's Polish header (``Zamkniecie``, ``Otwarcie``,
        ``Najwyzszy``, ``Najnizszy``). A new frame on every call.

    Raises
    ------
    ValueError
        If ``daily_only`` is not a bool, a date cannot be parsed, ``start`` is
        after ``end`` or no day is left.

    See Also
    --------
    load_eth : Daily Ethereum prices.

    Notes
    -----
    The early values (about 0.01 PLN in 1984) are in today's zloty, i.e. after
    the 1995 redenomination (10,000 old PLZ = 1 PLN).

    The data are not covered by skrnn's BSD license: they belong to their
    publishers (stooq.pl), whose terms apply; they are shipped for examples and
    teaching with their attribution.

    Examples
    --------
    >>> from skrnn.datasets import load_usdpln
    >>> frame = load_usdpln()
    >>> list(frame.columns)
    ['close', 'open', 'high', 'low']
    >>> str(frame.index[0].date())
    '1991-01-02'
    """
    daily_only = _check_bool(daily_only, "daily_only")
    frame = _read("usdpln_stooq_daily.csv")
    if daily_only:
        frame = frame.loc[frame.index >= _USDPLN_DAILY_FROM]
    return _select_dates(frame, start, end, "USD/PLN").copy()


def feature_columns(groups, frame=None):
    """Columns of one or more feature groups of the ETH study.

    Parameters
    ----------
    groups : str or iterable of str
        Names from :data:`FEATURE_GROUPS`: ``"historical"`` (price and
        volume), ``"blockchain"`` (on-chain statistics), ``"twitter"`` (tweet
        sentiment).
    frame : pandas.DataFrame, optional
        If given, check that every column exists in it.

    Returns
    -------
    columns : list of str
        The groups' columns in the canonical order of :data:`FEATURE_GROUPS`,
        whatever order ``groups`` was given in, without duplicates. With
        ``"historical"`` among the groups the target ``close`` is column 0.

    Raises
    ------
    ValueError
        If a group is unknown (the message lists the valid ones), ``groups``
        is empty, or ``frame`` lacks a column.

    See Also
    --------
    load_eth : The table these columns come from.

    Examples
    --------
    >>> from skrnn.datasets import feature_columns
    >>> feature_columns(["twitter", "historical"])
    ['close', 'open', 'high', 'low', 'volume', 'sentiment']
    >>> feature_columns("blockchain")
    ['tx_count', 'hash_rate', 'difficulty']
    """
    if isinstance(groups, str):
        groups = [groups]
    try:
        groups = list(groups)
    except TypeError:
        raise ValueError(
            f"groups must be a group name or a list of them, got {groups!r}; "
            f"valid groups: {list(FEATURE_GROUPS)}."
        ) from None
    if not groups:
        raise ValueError(f"groups is empty; pick from {list(FEATURE_GROUPS)}.")
    unknown = [g for g in groups if not isinstance(g, str) or g not in FEATURE_GROUPS]
    if unknown:
        raise ValueError(
            f"Unknown feature group(s) {unknown!r}; valid groups: {list(FEATURE_GROUPS)}."
        )
    columns = [c for name, cols in FEATURE_GROUPS.items() if name in groups for c in cols]
    if frame is not None:
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            hint = ""
            if "sentiment" in missing:
                hint = " Load the data with load_eth(sentiment='twitter') for the twitter group."
            elif set(missing) & set(_ONCHAIN):
                hint = " Load the data with load_eth(onchain=True) for the blockchain group."
            raise ValueError(
                f"frame has no column(s) {missing!r} needed by groups {groups!r}; "
                f"it has {list(frame.columns)}.{hint}"
            )
    return columns
