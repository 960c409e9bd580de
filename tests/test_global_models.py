"""Many series, one model: RNNForecaster on panels and pooled windows of a long table."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, RegressorMixin

from skrnn import LSTMRegressor, make_panel_windows
from skrnn.datasets import load_btc, load_eth

from .conftest import F32, TINY

pytest.importorskip("sktime")

from skrnn.forecasting import RNNForecaster  # noqa: E402

L = 5


def _panel(start="2019-01-01", end="2019-06-30", columns=("close",)):
    """ETH and BTC daily candles as one sktime panel: MultiIndex (ticker, date)."""
    parts = {"ETH": load_eth(start=start, end=end)[list(columns)],
             "BTC": load_btc(start=start, end=end)[list(columns)]}
    return pd.concat(parts, names=["ticker", "date"])


def _rows(y, ticker):
    return y.xs(ticker, level="ticker")


class LastValue(RegressorMixin, BaseEstimator):
    """Records the windows it is fitted on; predicts the window's last channel-0 value."""

    def fit(self, X, y):
        self.X_, self.y_ = np.asarray(X), np.asarray(y)
        self.n_calls_ = getattr(self, "n_calls_", 0) + 1
        return self

    def predict(self, X):
        last = np.asarray(X)[:, -1, 0]
        return last if self.y_.ndim == 1 else np.repeat(last[:, None], self.y_.shape[1], axis=1)


def _windows_of(values, window_len):
    view = np.lib.stride_tricks.sliding_window_view(values, window_len)
    return {tuple(w) for w in view}


# --------------------------------------------------------------------------- sklearn side
def _long_frame():
    """Three series of unequal length, rows shuffled; value = 1000 * series + time."""
    rows = [(s, t, 1000.0 * s + t, -float(t)) for s, n in ((1, 9), (2, 6), (3, 2))
            for t in range(n)]
    frame = pd.DataFrame(rows, columns=["id", "t", "value", "other"])
    return frame.sample(frac=1.0, random_state=0).reset_index(drop=True)


def test_make_panel_windows_matches_a_loop_over_the_series():
    frame = _long_frame()
    X, Y, index = make_panel_windows(frame, 3, series="id", time="t", target="value",
                                     horizon=[1, 2])
    # independent computation: per series, in time order, plain Python
    expected = []
    for s, part in frame.sort_values("t").groupby("id", sort=False):
        v, o, ts = part["value"].tolist(), part["other"].tolist(), part["t"].tolist()
        for end in range(2, len(v) - 2):
            window = [[v[i], o[i]] for i in range(end - 2, end + 1)]
            expected.append((ts[end], s, window, [v[end + 1], v[end + 2]]))
    first = frame["id"].drop_duplicates().tolist()  # ties: series in order of appearance
    expected.sort(key=lambda e: (e[0], first.index(e[1])))
    assert X.shape == (len(expected), 3, 2) and Y.shape == (len(expected), 2)
    assert list(index) == [(s, t) for t, s, _, _ in expected]
    assert index.names == ["id", "t"]
    np.testing.assert_array_equal(X, [w for _, _, w, _ in expected])
    np.testing.assert_array_equal(Y, [y for _, _, _, y in expected])
    # no window and no target mixes two series (series 3 is too short for any)
    assert (np.floor(X[:, :, 0] / 1000) == np.floor(X[:, :1, 0] / 1000)).all()
    assert (np.floor(Y / 1000) == np.floor(X[:, :1, 0] / 1000)).all()
    assert set(index.get_level_values("id")) == {1, 2}


def test_make_panel_windows_int_horizon_features_and_errors():
    frame = _long_frame()
    X, y, index = make_panel_windows(frame, 2, series=["id"], time="t", target="value",
                                     features=["value"], horizon=3)
    assert X.shape == (5 + 2, 2, 1) and y.shape == (7,)
    np.testing.assert_array_equal(y, X[:, -1, 0] + 3)
    with pytest.raises(ValueError, match="duplicated"):
        make_panel_windows(pd.concat([frame, frame.iloc[:1]]), 2, series="id", time="t",
                           target="value")
    with pytest.raises(ValueError, match="not in the frame"):
        make_panel_windows(frame, 2, series="ticker", time="t", target="value")
    with pytest.raises(ValueError, match="No series has the 12 rows"):
        make_panel_windows(frame, 10, series="id", time="t", target="value", horizon=2)


def test_make_panel_windows_eth_btc_feed_one_regressor(tiny):
    long = _panel(end="2019-03-31", columns=("close", "volume")).reset_index()
    X, y, index = make_panel_windows(long, L, series="ticker", time="date", target="close")
    n = len(long) // 2 - L  # per series: one window per row with a next day
    assert X.shape == (2 * n, L, 2) and y.shape == (2 * n,)
    assert index.get_level_values("date").is_monotonic_increasing
    eth, btc = (_windows_of(_rows(_panel(end="2019-03-31"), t)["close"].to_numpy(), L)
                for t in ("ETH", "BTC"))
    assert all((tuple(w) in eth) != (tuple(w) in btc) for w in X[:, :, 0])
    model = LSTMRegressor(normalize="zero_base", **tiny).fit(X, y)
    assert model.predict(X[-2:]).shape == (2,)


# --------------------------------------------------------------------------- sktime side
def test_panel_is_one_model_on_pooled_windows_of_both_series():
    y = _panel(end="2019-03-31")
    f = RNNForecaster(LastValue(), window_len=L, normalize=None).fit(y)
    assert f.get_tag("y_inner_mtype") == ["pd.DataFrame", "pd-multiindex", "pd_multiindex_hier"]
    assert f._is_vectorized is False and "forecasters_" not in vars(f)  # sktime did not loop
    (est,) = f.estimators_
    assert est.n_calls_ == 1
    eth = _rows(y, "ETH")["close"].to_numpy()
    btc = _rows(y, "BTC")["close"].to_numpy()
    assert len(est.X_) == (len(eth) - L) + (len(btc) - L)
    in_eth = np.array([tuple(w) in _windows_of(eth, L) for w in est.X_[:, :, 0]])
    in_btc = np.array([tuple(w) in _windows_of(btc, L) for w in est.X_[:, :, 0]])
    assert (in_eth != in_btc).all() and in_eth.sum() == len(eth) - L
    # each target is the next value of the window's own series; time order, both series
    nxt = {tuple(w): v for s in (eth, btc) for w, v in zip(
        np.lib.stride_tricks.sliding_window_view(s[:-1], L), s[L:])}
    np.testing.assert_array_equal(est.y_, [nxt[tuple(w)] for w in est.X_[:, :, 0]])
    assert in_eth[-2:].sum() == 1  # the latest windows of both series close the pool
    pred = f.predict(fh=[1, 2])
    assert pred.index.names == ["ticker", "date"]
    assert list(pred.index.get_level_values("ticker")) == ["ETH", "ETH", "BTC", "BTC"]
    np.testing.assert_allclose(pred.loc["ETH", "close"], eth[-1])
    np.testing.assert_allclose(pred.loc["BTC", "close"], btc[-1])
    pd.testing.assert_frame_equal(pickle.loads(pickle.dumps(f)).predict(fh=[1, 2]), pred)


def test_hierarchy_and_exogenous_panel():
    y = pd.concat({"crypto": _panel(end="2019-03-31", columns=("close", "volume"))},
                  names=["market"])
    X = y[["volume"]]
    y = y[["close"]]
    f = RNNForecaster(LastValue(), window_len=L, normalize=None, strategy="mimo")
    f.fit(y, X=X, fh=[1, 2])
    assert f.estimators_[0].X_.shape[2] == 2 and f._is_vectorized is False
    pred = f.predict()
    assert pred.index.nlevels == 3
    assert list(pred.index.droplevel(-1).unique()) == [("crypto", "ETH"), ("crypto", "BTC")]
    doge = X.rename(index={"ETH": "DOGE"}, level="ticker")
    with pytest.raises(ValueError, match=r"X holds series \[\('crypto', 'DOGE'\)\]"):
        f.predict(X=doge)


def test_recursive_panel_with_exogenous_needs_every_series_future_X():
    y = _panel(end="2019-03-31", columns=("close", "volume"))
    f = RNNForecaster(LastValue(), window_len=L, normalize=None).fit(y[["close"]], X=y[["volume"]])
    nxt = _panel(start="2019-04-01", end="2019-04-02", columns=("volume",))
    assert f.predict(fh=[1, 2, 3], X=nxt).shape == (6, 1)
    with pytest.raises(ValueError, match="future X rows"):
        f.predict(fh=[1, 2, 3, 4], X=nxt)


@pytest.mark.parametrize("strategy", ["recursive", "direct", "mimo"])
def test_eth_btc_jointly_every_strategy(strategy):
    y = _panel()
    f = RNNForecaster(LSTMRegressor(**TINY), window_len=L, strategy=strategy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        f.fit(y, fh=[1, 2, 3])
    assert f._is_vectorized is False and "forecasters_" not in vars(f)
    assert len(f.estimators_) == (3 if strategy == "direct" else 1)
    pred = f.predict()
    assert pred.shape == (6, 1) and np.isfinite(pred.to_numpy()).all()
    band = f.predict_interval(coverage=0.8)
    assert band.index.equals(pred.index)
    lo, hi = band.iloc[:, 0].to_numpy(), band.iloc[:, 1].to_numpy()
    assert (lo < hi).all()
    width = pd.Series(hi - lo, index=pred.index)
    # every window is scaled by its own base: BTC's bands are in BTC's units
    assert width.loc["BTC"].min() > 5 * width.loc["ETH"].max()
    assert f.predict_quantiles(alpha=[0.1, 0.9]).shape == (6, 2)

    # update one series: each series forecasts the steps of fh after its own end
    eth_next = _panel(start="2019-07-01", end="2019-07-01").loc[["ETH"]]
    f.update(eth_next)
    assert str(f.cutoff[0].date()) == "2019-07-01"
    after = f.predict()
    pd.testing.assert_index_equal(after.loc["BTC"].index, pred.loc["BTC"].index)
    np.testing.assert_allclose(after.loc["BTC", "close"], pred.loc["BTC", "close"], **F32)
    assert (after.loc["ETH"].index == pred.loc["ETH"].index + pd.Timedelta(days=1)).all()
    assert f.predict_interval(coverage=0.8).index.equals(after.index)
    f.update(_panel(start="2019-07-01", end="2019-07-02").drop(("ETH", eth_next.index[0][1])))
    assert f.predict().index.get_level_values("date").nunique() == 3  # both end on 07-02
    with pytest.raises(ValueError, match="not seen in fit"):
        f.update(pd.concat({"DOGE": eth_next.loc["ETH"]}, names=["ticker", "date"]))
    with pytest.raises(NotImplementedError, match="panel"):
        f.predict_rolling(eth_next)
    with pytest.raises(ValueError, match="fitted on a panel"):
        f.update(eth_next.loc["ETH"])


@pytest.mark.slow
def test_global_lstm_one_step_mae_per_series_near_naive():
    """One network on ETH and BTC: one-step MAE per series within 1.2x the naive forecast's."""
    y = _panel(start="2018-01-01", end="2021-03-31")
    dates = y.index.get_level_values("date")
    train, test = y[dates <= "2020-12-31"], y[dates > "2020-12-31"]
    f = RNNForecaster(LSTMRegressor(units=16, epochs=20, random_state=0), window_len=10,
                      normalize="last_value", random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        f.fit(train)
    errors, naive = {"ETH": [], "BTC": []}, {"ETH": [], "BTC": []}
    last = train.groupby(level="ticker")["close"].last()
    for day in test.index.get_level_values("date").unique():
        pred = f.predict(fh=[1])["close"].droplevel("date")
        row = test.xs(day, level="date", drop_level=False)
        actual = row["close"].droplevel("date")
        for t in errors:
            errors[t].append(abs(pred[t] - actual[t]))
            naive[t].append(abs(last[t] - actual[t]))
        last = actual
        f.update(row)
    for t in errors:
        assert np.mean(errors[t]) <= 1.2 * np.mean(naive[t]), t
