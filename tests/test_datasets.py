"""Tests of the bundled data sets and their loaders.

The merged frames are checked against an independent merge done here with
plain pandas (``read_csv`` + ``pd.merge`` on the date *strings*) from the
CSV files shipped in the package.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import skrnn.datasets
from skrnn.datasets import FEATURE_GROUPS, feature_columns, load_btc, load_eth, load_usdpln
from skrnn.datasets import _base

DATA = Path(skrnn.datasets.__file__).parent / "data"
CSV_FILES = [
    "eth_binance_1d.csv",
    "btc_binance_1d.csv",
    "eth_onchain_daily.csv",
    "eth_twitter_sentiment_daily.csv",
    "crypto_fear_greed_daily.csv",
    "usdpln_stooq_daily.csv",
]
OHLCV = ["close", "open", "high", "low", "volume"]
ONCHAIN = ["tx_count", "hash_rate", "difficulty"]


def _raw(name):
    return pd.read_csv(DATA / name, dtype={"timestamp": str, "date": str, "Date": str, "Data": str})


def _independent_eth(sentiment="twitter", btc=False, onchain=True):
    """The expected merged table, built without any skrnn code."""
    eth = _raw("eth_binance_1d.csv").rename(columns={"timestamp": "date"})[["date"] + OHLCV]
    if onchain:
        eth = pd.merge(eth, _raw("eth_onchain_daily.csv")[["date"] + ONCHAIN], on="date", how="inner")
    if sentiment == "twitter":
        tw = _raw("eth_twitter_sentiment_daily.csv").rename(columns={"compound": "sentiment"})
        eth = pd.merge(eth, tw, on="date", how="inner")
    elif sentiment == "fear_greed":
        fg = _raw("crypto_fear_greed_daily.csv")
        month, day, year = (fg["Date"].str.split("/", expand=True)[i] for i in range(3))
        fg["date"] = year + "-" + month.str.zfill(2) + "-" + day.str.zfill(2)
        eth = pd.merge(eth, fg[["date", "Value"]].rename(columns={"Value": "fear_greed"}),
                       on="date", how="inner")
    if btc:
        bt = _raw("btc_binance_1d.csv").rename(columns={"timestamp": "date", "close": "btc_close"})
        eth = pd.merge(eth, bt[["date", "btc_close"]], on="date", how="inner")
    return eth.sort_values("date").reset_index(drop=True)


def _assert_same(frame, expected):
    assert list(frame.columns) == [c for c in expected.columns if c != "date"]
    assert frame.index.strftime("%Y-%m-%d").tolist() == expected["date"].tolist()
    np.testing.assert_array_equal(frame.to_numpy(), expected.drop(columns="date").to_numpy(dtype=float))


# --------------------------------------------------------------------------- #
# shipped files
# --------------------------------------------------------------------------- #
def test_csv_files_and_provenance_are_shipped():
    for name in CSV_FILES:
        assert (DATA / name).stat().st_size > 10_000, name
    provenance = (DATA / "PROVENANCE.md").read_text(encoding="utf-8")
    for name in CSV_FILES:
        assert name in provenance
    for source in ["yanniedog/binance-historical-OHLCV-data", "0xkrabbypatty/CHC-Thesis",
                   "Mokshika04/Adaptive-Consensus-Protocol", "Tognolia/Cryptocurrencies_price_predictor",
                   "Kashish1418/Market-Sentiment-vs-Trader-Performance", "bartroll/SIML-project"]:
        assert source in provenance


# --------------------------------------------------------------------------- #
# load_eth
# --------------------------------------------------------------------------- #
def test_load_eth_default_matches_independent_merge():
    frame = load_eth()
    _assert_same(frame, _independent_eth())
    assert list(frame.columns) == OHLCV + ONCHAIN + ["sentiment"]
    assert (frame.dtypes == np.float64).all()


def test_load_eth_default_index():
    frame = load_eth()
    index = frame.index
    assert isinstance(index, pd.DatetimeIndex)
    assert str(index.tz) == "UTC"
    assert index.name == "date"
    assert len(frame) == 1363
    assert index[0] == pd.Timestamp("2017-08-18", tz="UTC")
    assert index[-1] == pd.Timestamp("2021-05-11", tz="UTC")
    assert index.is_monotonic_increasing and index.is_unique
    assert (index == index.normalize()).all()
    assert (np.diff(index.asi8) == pd.Timedelta(days=1).value).all()  # no gaps
    assert index.freq == "D"
    assert not frame.isna().any().any()


def test_load_eth_known_values():
    row = load_eth().loc["2021-05-11"]
    assert row["close"] == 4173.45
    assert row["open"] == 3946.63
    assert row["high"] == 4180.22
    assert row["low"] == 3771.64
    assert row["volume"] == pytest.approx(1095927.10403)
    assert row["tx_count"] == 1716051
    assert row["sentiment"] == pytest.approx(0.09667978723404258, abs=1e-15)
    # the 2021 all-time high, 2021-11-10 (outside the tweet coverage)
    full = load_eth(sentiment=None, start="2021-01-01", end="2021-12-31")
    assert full["high"].idxmax() == pd.Timestamp("2021-11-10", tz="UTC")
    assert full["high"].max() == 4868.00
    # 2018-02-08 Binance outage: a very low-volume day
    assert load_eth(sentiment=None, onchain=False).loc["2018-02-08", "volume"] == pytest.approx(10516.2619)


def test_load_eth_fear_greed_matches_independent_merge():
    frame = load_eth(sentiment="fear_greed")
    _assert_same(frame, _independent_eth("fear_greed"))
    assert list(frame.columns) == OHLCV + ONCHAIN + ["fear_greed"]
    assert len(frame) == 1800
    assert frame.index[0] == pd.Timestamp("2018-02-01", tz="UTC")
    assert frame.index[-1] == pd.Timestamp("2023-01-08", tz="UTC")
    full = pd.date_range(frame.index[0], frame.index[-1], freq="D")
    missing = full.difference(frame.index).strftime("%Y-%m-%d").tolist()
    assert missing == ["2018-04-14", "2018-04-15", "2018-04-16"]
    assert frame.index.freq is None
    # joined on the Date column, not on the +05:30 Timestamp
    assert frame.loc["2018-02-01", "fear_greed"] == 30
    assert frame.loc["2021-05-11", "fear_greed"] == 61
    assert frame["fear_greed"].between(0, 100).all()


def test_load_eth_btc_and_options():
    frame = load_eth(btc=True)
    _assert_same(frame, _independent_eth(btc=True))
    assert frame.columns[-1] == "btc_close"
    assert frame.loc["2021-05-11", "btc_close"] == 56670.02

    prices = load_eth(sentiment=None, onchain=False)
    _assert_same(prices, _independent_eth(sentiment=None, onchain=False))
    assert list(prices.columns) == OHLCV
    assert len(prices) == 3064 and prices.index.freq == "D"
    assert prices.index[0] == pd.Timestamp("2017-08-17", tz="UTC")
    assert prices.index[-1] == pd.Timestamp("2026-01-05", tz="UTC")

    chain = load_eth(sentiment=None)
    _assert_same(chain, _independent_eth(sentiment=None))
    assert len(chain) == 1971

    both = load_eth(sentiment="fear_greed", btc=True, onchain=False)
    _assert_same(both, _independent_eth("fear_greed", btc=True, onchain=False))


def test_load_eth_merge_zeroes_hash_rate():
    frame = load_eth(sentiment=None, start="2022-09-14", end="2022-09-17")
    assert frame.index.strftime("%Y-%m-%d").tolist() == ["2022-09-14", "2022-09-15", "2022-09-16", "2022-09-17"]
    assert (frame.loc["2022-09-16":, ["hash_rate", "difficulty"]] == 0).all().all()
    assert (frame.loc[:"2022-09-15", ["hash_rate", "difficulty"]] > 0).all().all()
    assert (frame["tx_count"] > 1e6).all()


def test_load_eth_start_end_inclusive():
    frame = load_eth(start="2020-01-01", end="2020-01-31")
    assert len(frame) == 31
    assert frame.index[0] == pd.Timestamp("2020-01-01", tz="UTC")
    assert frame.index[-1] == pd.Timestamp("2020-01-31", tz="UTC")
    # datetime-like and tz-aware bounds
    same = load_eth(start=pd.Timestamp("2020-01-01"), end=pd.Timestamp("2020-01-31 23:00", tz="UTC"))
    pd.testing.assert_frame_equal(frame, same)
    assert load_eth(start="2021-05-11").shape == (1, 9)


def test_load_eth_returns_independent_copies():
    first = load_eth()
    first.iloc[:, :] = -1.0
    first["extra"] = 1
    second = load_eth()
    assert "extra" not in second
    assert second.loc["2021-05-11", "close"] == 4173.45
    hits = _base._read.cache_info().hits
    load_eth()
    assert _base._read.cache_info().hits > hits


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"sentiment": "vader"}, "sentiment must be 'twitter', 'fear_greed' or None"),
        ({"sentiment": True}, "sentiment must be"),
        ({"btc": "yes"}, "btc must be True or False"),
        ({"onchain": 1}, "onchain must be True or False"),
        ({"start": "2021-01-02", "end": "2021-01-01"}, "start .* is after end"),
        ({"start": "2030-01-01"}, "No ETH rows .* cover 2017-08-18 .. 2021-05-11"),
        ({"start": "not a date"}, "not a date pandas can parse"),
        ({"end": 20210101}, "end must be a date"),
    ],
)
def test_load_eth_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        load_eth(**kwargs)


# --------------------------------------------------------------------------- #
# load_btc, load_usdpln
# --------------------------------------------------------------------------- #
def test_load_btc():
    frame = load_btc()
    raw = _raw("btc_binance_1d.csv")
    assert list(frame.columns) == OHLCV
    assert (frame.dtypes == np.float64).all()
    assert frame.index.strftime("%Y-%m-%d").tolist() == raw["timestamp"].tolist()
    np.testing.assert_array_equal(frame.to_numpy(), raw[OHLCV].to_numpy())
    assert len(frame) == 3064 and frame.index.freq == "D" and str(frame.index.tz) == "UTC"
    assert frame.loc["2021-11-10", "high"] == 69000.00
    cut = load_btc(start="2021-11-10", end="2021-11-11")
    assert len(cut) == 2


def test_load_usdpln():
    raw = _raw("usdpln_stooq_daily.csv")
    full = load_usdpln(daily_only=False)
    assert list(full.columns) == ["close", "open", "high", "low"]
    assert (full.dtypes == np.float64).all()
    assert full.index.strftime("%Y-%m-%d").tolist() == raw["Data"].tolist()
    np.testing.assert_array_equal(
        full.to_numpy(), raw[["Zamkniecie", "Otwarcie", "Najwyzszy", "Najnizszy"]].to_numpy()
    )
    assert len(full) == 8938 and full.index[0] == pd.Timestamp("1984-01-02", tz="UTC")

    daily = load_usdpln()
    assert daily.index[0] == pd.Timestamp("1991-01-02", tz="UTC")
    assert len(daily) == 8568
    assert daily.index.name == "date" and str(daily.index.tz) == "UTC"
    assert daily.index.to_series().diff().dt.days.max() <= 6  # daily business days
    assert daily.loc["2022-09-30", "close"] == 4.9573
    assert 4.9 < daily.loc["2022-09-01":"2022-09-30", "close"].max() < 5.1
    with pytest.raises(ValueError, match="daily_only must be True or False"):
        load_usdpln(daily_only="no")
    with pytest.raises(ValueError, match="No USD/PLN rows"):
        load_usdpln(end="1990-01-01")


# --------------------------------------------------------------------------- #
# feature groups
# --------------------------------------------------------------------------- #
def test_feature_groups():
    assert FEATURE_GROUPS == {
        "historical": ["close", "open", "high", "low", "volume"],
        "blockchain": ["tx_count", "hash_rate", "difficulty"],
        "twitter": ["sentiment"],
    }
    assert feature_columns(list(FEATURE_GROUPS)) == list(load_eth().columns)
    assert feature_columns(["twitter", "historical"])[0] == "close"
    assert feature_columns(("blockchain", "historical", "blockchain")) == OHLCV + ONCHAIN
    assert feature_columns("twitter") == ["sentiment"]
    frame = load_eth(end="2017-09-30")
    assert feature_columns(["historical", "twitter"], frame) == OHLCV + ["sentiment"]


def test_feature_columns_errors():
    with pytest.raises(ValueError, match=r"Unknown feature group\(s\) \['news'\]; valid groups: "
                                         r"\['historical', 'blockchain', 'twitter'\]"):
        feature_columns(["historical", "news"])
    with pytest.raises(ValueError, match="groups is empty"):
        feature_columns([])
    with pytest.raises(ValueError, match="groups must be"):
        feature_columns(3)
    frame = load_eth(sentiment="fear_greed", end="2018-03-01")
    with pytest.raises(ValueError, match=r"no column\(s\) \['sentiment'\].*sentiment='twitter'"):
        feature_columns(["historical", "twitter"], frame)
