"""Tests of the technical indicators.

The expected values are computed here independently with explicit Python
loops over the textbook recursions (Wilder's RSI, EMA recursion for MACD,
numpy standard deviation for Bollinger Bands).
"""

import doctest

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import skrnn._indicators
from skrnn._indicators import TechnicalIndicators, bollinger_bands, macd, rsi


def _prices(n=80, seed=0):
    rng = np.random.default_rng(seed)
    return 100.0 + np.cumsum(rng.normal(0.0, 1.5, size=n))


def _frame(n=80, seed=0):
    close = _prices(n, seed)
    index = pd.date_range("2021-01-01", periods=n, freq="D", tz="UTC", name="date")
    rng = np.random.default_rng(seed + 1)
    return pd.DataFrame(
        {"close": close, "open": close + rng.normal(0, 0.5, n), "volume": rng.uniform(1, 2, n)},
        index=index,
    )


# --------------------------------------------------------------------------- #
# reference implementations (loops, on purpose)
# --------------------------------------------------------------------------- #
def _rsi_loop(x, period):
    out = np.full(len(x), np.nan)
    gains = [max(x[i] - x[i - 1], 0.0) for i in range(1, len(x))]
    losses = [max(x[i - 1] - x[i], 0.0) for i in range(1, len(x))]
    avg_g = sum(gains[:period]) / period
    avg_l = sum(losses[:period]) / period
    for t in range(period, len(x)):
        if t > period:
            avg_g = (avg_g * (period - 1) + gains[t - 1]) / period
            avg_l = (avg_l * (period - 1) + losses[t - 1]) / period
        out[t] = 50.0 if avg_g + avg_l == 0 else 100.0 - 100.0 / (1.0 + avg_g / avg_l) if avg_l else 100.0
    return out


def _ema_loop(x, span):
    alpha = 2.0 / (span + 1.0)
    out = np.full(len(x), np.nan)
    start = next(i for i, v in enumerate(x) if not np.isnan(v))
    ema = x[start]
    for t in range(start, len(x)):
        if t > start:
            ema = alpha * x[t] + (1 - alpha) * ema
        if t - start >= span - 1:
            out[t] = ema
    return out


def _bollinger_loop(x, window, n_std, ddof):
    upper, middle, lower = (np.full(len(x), np.nan) for _ in range(3))
    for t in range(window - 1, len(x)):
        w = np.asarray(x[t - window + 1 : t + 1])
        m, s = w.mean(), w.std(ddof=ddof)
        middle[t], upper[t], lower[t] = m, m + n_std * s, m - n_std * s
    return upper, middle, lower


# --------------------------------------------------------------------------- #
# functions
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("period", [2, 5, 14])
def test_rsi_matches_wilder_loop(period):
    x = _prices()
    got = rsi(pd.Series(x), period)
    np.testing.assert_allclose(got.to_numpy(), _rsi_loop(x, period), rtol=1e-12, atol=1e-10)
    assert got.isna().sum() == period
    assert got.name == "rsi"


def test_rsi_hand_computed_and_edge_cases():
    # gains 1,0,1,1 / losses 0,1,0,0; period 2: seed 0.5/0.5 -> 50, then 0.75/0.25 -> 75
    got = rsi([1.0, 2.0, 1.0, 2.0, 3.0], period=2)
    np.testing.assert_allclose(got.to_numpy()[2:], [50.0, 75.0, 87.5])
    assert (rsi(np.arange(20.0), 5).dropna() == 100.0).all()
    assert (rsi(-np.arange(20.0), 5).dropna() == 0.0).all()
    assert (rsi(np.ones(20), 5).dropna() == 50.0).all()
    index = pd.date_range("2020-01-01", periods=20)
    assert rsi(pd.Series(np.arange(20.0), index=index), 5).index.equals(index)


@pytest.mark.parametrize("fast, slow, signal", [(12, 26, 9), (3, 7, 4)])
def test_macd_matches_ema_recursion(fast, slow, signal):
    x = _prices()
    got = macd(pd.Series(x), fast, slow, signal)
    line = _ema_loop(x, fast) - _ema_loop(x, slow)
    sig = _ema_loop(line, signal)
    np.testing.assert_allclose(got["macd"].to_numpy(), line, rtol=1e-12, atol=1e-10)
    np.testing.assert_allclose(got["macd_signal"].to_numpy(), sig, rtol=1e-12, atol=1e-10)
    np.testing.assert_allclose(got["macd_hist"].to_numpy(), line - sig, rtol=1e-12, atol=1e-10)
    assert got["macd"].first_valid_index() == slow - 1
    assert got["macd_signal"].first_valid_index() == slow + signal - 2


@pytest.mark.parametrize("ddof", [0, 1])
def test_bollinger_matches_numpy_std(ddof):
    x = _prices()
    got = bollinger_bands(pd.Series(x), window=20, n_std=2.0, ddof=ddof)
    upper, middle, lower = _bollinger_loop(x, 20, 2.0, ddof)
    np.testing.assert_allclose(got["bb_upper"].to_numpy(), upper, rtol=1e-10)
    np.testing.assert_allclose(got["bb_middle"].to_numpy(), middle, rtol=1e-12)
    np.testing.assert_allclose(got["bb_lower"].to_numpy(), lower, rtol=1e-10)
    np.testing.assert_allclose(got["bb_percent_b"].to_numpy(), (x - lower) / (upper - lower), rtol=1e-9)
    assert got["bb_middle"].isna().sum() == 19


def test_bollinger_default_is_population_std():
    x = pd.Series([1.0, 3.0, 1.0, 3.0])
    bands = bollinger_bands(x, window=2, n_std=1.0)  # std of (1, 3) with ddof=0 is 1
    assert bands.iloc[1].tolist() == [3.0, 2.0, 1.0, 1.0]
    assert bollinger_bands(np.ones(5), window=3)["bb_percent_b"].dropna().eq(0.5).all()


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: rsi(pd.Series(["a", "b", "c"]), 2), "must be numeric"),
        (lambda: rsi([1.0, np.nan, 2.0, 3.0], 2), r"contains nan at row 1"),
        (lambda: rsi(np.arange(14.0), 14), "at least 15 rows, got 14"),
        (lambda: rsi(np.arange(20.0), 0), "period must be an integer >= 1"),
        (lambda: macd(np.arange(40.0), 26, 12), r"fast \(26\) must be smaller than slow \(12\)"),
        (lambda: macd(np.arange(33.0)), "at least 34 rows, got 33"),
        (lambda: bollinger_bands(np.arange(19.0)), "at least 20 rows, got 19"),
        (lambda: bollinger_bands(np.arange(30.0), n_std=-1), "n_std must be a number >= 0"),
        (lambda: rsi(np.ones((5, 2)), 2), "1D price series"),
    ],
)
def test_function_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --------------------------------------------------------------------------- #
# transformer
# --------------------------------------------------------------------------- #
def test_transformer_output_matches_functions():
    frame = _frame()
    out = TechnicalIndicators(percent_b=True, fillna=None).set_output(transform="pandas").fit_transform(frame)
    assert list(out.columns) == ["close", "open", "volume", "rsi", "macd", "macd_signal", "macd_hist",
                                 "bb_upper", "bb_middle", "bb_lower", "bb_percent_b"]
    assert out.index.equals(frame.index)
    pd.testing.assert_frame_equal(out[frame.columns], frame)
    close = frame["close"].to_numpy()
    np.testing.assert_allclose(out["rsi"], _rsi_loop(close, 14), rtol=1e-12)
    np.testing.assert_allclose(out["macd"], _ema_loop(close, 12) - _ema_loop(close, 26), rtol=1e-12)
    upper, middle, lower = _bollinger_loop(close, 20, 2.0, 0)
    np.testing.assert_allclose(out["bb_upper"], upper, rtol=1e-10)
    # warm-up rows are NaN without fillna
    assert out["rsi"].isna().sum() == 14
    assert out["macd"].isna().sum() == 25
    assert out["macd_signal"].isna().sum() == 33
    assert out["bb_middle"].isna().sum() == 19


def test_transformer_bfill():
    frame = _frame()
    plain = TechnicalIndicators(fillna=None).fit_transform(frame)
    filled = TechnicalIndicators().fit_transform(frame)
    assert not np.isnan(filled).any()
    defined = ~np.isnan(plain)
    np.testing.assert_array_equal(filled[defined], plain[defined])
    for j in range(plain.shape[1]):
        first = np.flatnonzero(defined[:, j])[0]
        assert (filled[:first, j] == plain[first, j]).all()


def test_transformer_numpy_and_selection():
    x = _frame().to_numpy()
    t = TechnicalIndicators(indicators=("bollinger", "rsi"), bb_window=5, rsi_period=3)
    out = t.fit_transform(x)
    assert out.shape == (80, 3 + 3 + 1)
    np.testing.assert_allclose(out[:, 6], rsi(x[:, 0], 3).bfill())  # column 0 by default
    assert t.get_feature_names_out().tolist() == ["x0", "x1", "x2", "bb_upper", "bb_middle", "bb_lower", "rsi"]
    assert t.min_rows_ == 5
    on_open = TechnicalIndicators(column=1, indicators=("rsi",)).fit_transform(x)
    np.testing.assert_allclose(on_open[:, 3], rsi(x[:, 1], 14).bfill())
    named = TechnicalIndicators(column="open", indicators=("rsi",)).fit_transform(_frame())
    np.testing.assert_allclose(named, on_open)


@pytest.mark.parametrize("fillna", [None, "bfill"])
def test_transformer_is_causal(fillna):
    frame = _frame(90)
    t = TechnicalIndicators(percent_b=True, fillna=fillna, use_fit_history=False)
    base = t.fit_transform(frame)
    first_causal = 0 if fillna is None else t.min_rows_ - 1
    rng = np.random.default_rng(3)
    for cut in [first_causal, 40, 60, 89]:
        changed = frame.copy()
        changed.iloc[cut + 1 :] = changed.iloc[cut + 1 :] * rng.uniform(0.5, 1.5, size=changed.iloc[cut + 1 :].shape)
        out = t.fit_transform(changed)
        np.testing.assert_array_equal(out[: cut + 1], base[: cut + 1])
        if cut + 1 < len(frame):
            assert not np.allclose(out[cut + 1 :], base[cut + 1 :], equal_nan=True)


def test_transformer_uses_fit_history_for_continuing_index():
    frame = _frame(120)
    full = TechnicalIndicators().fit_transform(frame)
    train, test = frame.iloc[:80], frame.iloc[80:]
    t = TechnicalIndicators().fit(train)
    np.testing.assert_allclose(t.transform(test), full[80:], rtol=1e-12)
    # after a gap the fitted prices are still the past
    assert t.transform(frame.iloc[100:]).shape == (20, 3 + 7)
    # without history (or when the index does not continue) the test part starts afresh
    fresh = TechnicalIndicators(use_fit_history=False).fit(train).transform(test)
    assert not np.allclose(fresh, full[80:])
    np.testing.assert_allclose(fresh, TechnicalIndicators().fit_transform(test))
    np.testing.assert_allclose(t.transform(frame.iloc[:60]), TechnicalIndicators().fit_transform(frame.iloc[:60]))
    # short test folds work when history is there
    assert t.transform(test.iloc[:2]).shape == (2, 10)


def test_transformer_in_pipeline_and_clone():
    frame = _frame()
    pipe = make_pipeline(TechnicalIndicators(percent_b=True), StandardScaler()).set_output(transform="pandas")
    out = pipe.fit_transform(frame)
    assert out.shape == (80, 11) and out.columns[-1] == "bb_percent_b"
    t = TechnicalIndicators(indicators=("macd",), macd_fast=5)
    assert clone(t).get_params() == t.get_params()


@pytest.mark.parametrize(
    "params, X, match",
    [
        ({}, lambda f: f.drop(columns="close"), r"Price column 'close' is not in X; its columns are \['open', 'volume'\]"),
        ({"column": "price"}, lambda f: f, "Price column 'price' is not in X"),
        ({"column": "close"}, lambda f: f.to_numpy(), "needs a DataFrame with string column names"),
        ({"column": 5}, lambda f: f, "column=5 is out of range for X with 3 column"),
        ({}, lambda f: f.assign(note="x"), r"non-numeric column\(s\) \['note'\]"),
        ({}, lambda f: f.assign(close=f["close"].where(f.index != f.index[7])),
         r"X contains NaN at row 7 \(Timestamp\('2021-01-08.*column 'close'"),
        ({"indicators": ("rsi", "atr")}, lambda f: f, r"unknown: \['atr'\]"),
        ({"indicators": ()}, lambda f: f, "non-empty tuple"),
        ({"macd_fast": 30}, lambda f: f, r"macd_fast \(30\) must be smaller than macd_slow \(26\)"),
        ({"fillna": "ffill"}, lambda f: f, "'fillna' parameter of TechnicalIndicators must be a str among {'bfill'} or None"),
        ({"rsi_period": 0}, lambda f: f, r"'rsi_period' parameter of TechnicalIndicators must be an int in the range \[1, inf\)"),
        ({}, lambda f: f.rename(columns={"open": "rsi"}), r"already has column\(s\) \['rsi'\]"),
        ({"column": "flag"}, lambda f: f.assign(flag=True), "Price column 'flag' must hold prices, got dtype bool"),
    ],
)
def test_transformer_errors(params, X, match):
    with pytest.raises(ValueError, match=match):
        TechnicalIndicators(**params).fit(X(_frame()))


def test_transformer_errors_in_transform():
    frame = _frame()
    t = TechnicalIndicators().fit(frame)
    with pytest.raises(ValueError, match=r"needs at least 34 rows \(the longest indicator period\), got 20"):
        TechnicalIndicators().fit_transform(frame.iloc[:20])
    with pytest.raises(ValueError, match="X has 2 features, but TechnicalIndicators is expecting 3"):
        TechnicalIndicators().fit(frame.to_numpy()).transform(frame.to_numpy()[:, :2])
    with pytest.raises(ValueError, match="Feature names"):
        t.transform(frame[["close", "open"]])
    assert TechnicalIndicators(indicators=("rsi",)).fit_transform(frame.iloc[:15]).shape == (15, 4)


# --------------------------------------------------------------------------- #
# sklearn conventions
# --------------------------------------------------------------------------- #
# A time-series transformer looks back in time, so its output for a row
# depends on the rows before it: it cannot be invariant to transforming one
# row at a time or to shuffling the rows.
EXPECTED_FAILED = {
    "check_methods_subset_invariance": "rows are time steps; a single row has no history "
                                       "(transform needs at least min_rows_ rows)",
    "check_methods_sample_order_invariance": "rows are time steps; indicators depend on row order",
}


# The checked instance uses short periods because sklearn's checks transform
# 10 to 30 rows (the defaults need 34), and column=0 because the checks pass
# DataFrames without a "close" column.
@parametrize_with_checks(
    [TechnicalIndicators(column=0, rsi_period=3, macd_fast=2, macd_slow=4, macd_signal=2, bb_window=3)],
    expected_failed_checks=lambda est: EXPECTED_FAILED,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_docstring_examples_run():
    import skrnn.datasets._base
    import skrnn.plotting

    pytest.importorskip("matplotlib")
    for module in (skrnn._indicators, skrnn.datasets._base, skrnn.plotting):
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.failed == 0 and result.attempted > 0, module.__name__
    import matplotlib.pyplot as plt

    plt.close("all")
