"""Windows, zero-base normalisation and supervised framing."""

from importlib.resources import files

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import TimeSeriesSplit

from skrnn import (
    FlattenWindows,
    SlidingWindow,
    chronological_split,
    inverse_zero_base_target,
    make_supervised,
    zero_base,
    zero_base_target,
)


# ---------------------------------------------------------------- the lab's code
# An independent copy of the lab's preparation functions (practical work no. 6):
# a Python loop over windows, pandas division, zeros in the base replaced by 1.
def lab_normalise_zero_base(df):
    coefs = df.iloc[0].values.copy()
    for i in range(len(coefs)):
        if coefs[i] == 0:
            coefs[i] = 1
    return df / coefs - 1


def lab_extract_window_data(df, window_len, zero_base=True):
    window_data = []
    for idx in range(len(df) - window_len):
        tmp = df[idx: idx + window_len].copy()
        if zero_base:
            tmp = lab_normalise_zero_base(tmp)
        window_data.append(tmp.values)
    return np.array(window_data)


def lab_prepare_data(df, target_col, window_len):
    """The lab's prepare_data without its split: windows and zero-base targets."""
    X = lab_extract_window_data(df, window_len)
    y = df[target_col][window_len:].values
    with np.errstate(divide="ignore", invalid="ignore"):
        y = y / df[target_col][:-window_len].values - 1
    return X, y


def _onchain():
    path = files("skrnn.datasets") / "data" / "eth_onchain_daily.csv"
    frame = pd.read_csv(path, index_col="date", parse_dates=True)
    return frame[["tx_count", "hash_rate", "difficulty"]].astype(float)


# ---------------------------------------------------------------- windows
def test_windows_equal_an_explicit_loop(rng):
    X = rng.normal(size=(30, 3))
    W = SlidingWindow(window_len=4).fit_transform(X)
    assert W.shape == (30, 4, 3)
    for t in range(3, 30):
        np.testing.assert_array_equal(W[t], X[t - 3: t + 1])
    # edge padding repeats the first row for rows without enough history
    np.testing.assert_array_equal(W[1], np.vstack([X[0], X[0], X[0], X[1]]))
    Z = SlidingWindow(window_len=4, padding="zero").fit_transform(X)
    np.testing.assert_array_equal(Z[1], np.vstack([np.zeros((2, 3)), X[0], X[1]]))


def test_window_len_one_is_the_row_itself(rng):
    X = rng.normal(size=(5, 2))
    np.testing.assert_array_equal(SlidingWindow(1).fit_transform(X)[:, 0, :], X)


def test_zero_base_equals_the_lab_on_real_data_with_zero_bases():
    # Early Ethereum days: tx_count is 0 from 2015-07-31 to 2015-08-06, so
    # several windows have a zero base in that column.
    frame = _onchain().iloc[:200]
    assert (frame["tx_count"].iloc[1:8] == 0).all()
    wl = 10
    X_lab, y_lab = lab_prepare_data(frame, "tx_count", wl)

    X, y = make_supervised(frame, "tx_count", horizon=1)
    W = SlidingWindow(wl).fit_transform(X)[wl - 1:]  # drop padded windows
    scaled, base = zero_base(W)
    np.testing.assert_allclose(scaled, X_lab, rtol=1e-12, atol=1e-12)
    # the lab does not replace a zero base for y; both agree wherever it is non-zero
    yz = zero_base_target(y.to_numpy()[wl - 1:], base, target_channel=0)
    nonzero = frame["tx_count"].to_numpy()[: len(y_lab)] != 0
    assert nonzero.sum() > 150 and (~nonzero).sum() >= 6
    np.testing.assert_allclose(yz[nonzero], y_lab[nonzero], rtol=1e-12)
    # and the zero base is replaced by 1, exactly the lab's normalise_zero_base
    assert np.all(base[~nonzero, 0] == 1.0)
    np.testing.assert_allclose(
        inverse_zero_base_target(yz, base, 0), y.to_numpy()[wl - 1:], rtol=1e-12)


def test_zero_base_on_eth_prices_equals_the_lab(eth):
    frame = eth.iloc[-400:]
    X_lab, y_lab = lab_prepare_data(frame, "close", 10)
    X, y = make_supervised(frame, "close")
    scaled, base = zero_base(SlidingWindow(10).fit_transform(X)[9:])
    np.testing.assert_allclose(scaled, X_lab, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(zero_base_target(y.to_numpy()[9:], base), y_lab, rtol=1e-12)


def test_zero_base_target_broadcasts_over_outputs():
    base = np.array([[2.0, 5.0], [4.0, 1.0]])
    Y = np.array([[4.0, 6.0], [2.0, 8.0]])
    np.testing.assert_allclose(zero_base_target(Y, base), [[1.0, 2.0], [-0.5, 1.0]])
    np.testing.assert_allclose(zero_base_target(Y, base, 1), [[-0.2, 0.2], [1.0, 7.0]])
    with pytest.raises(ValueError, match="target_channel=2"):
        zero_base_target(Y, base, 2)


# ---------------------------------------------------------------- no look-ahead
def test_changing_the_future_changes_no_past_window(rng):
    frame = pd.DataFrame(rng.normal(size=(50, 2)) + 5,
                         index=pd.date_range("2020-01-01", periods=50, tz="UTC"))
    t = 30
    changed = frame.copy()
    changed.iloc[t + 1:] *= 3.0
    a = SlidingWindow(7).fit_transform(frame)
    b = SlidingWindow(7).fit_transform(changed)
    np.testing.assert_array_equal(a[: t + 1], b[: t + 1])
    assert not np.allclose(a[t + 1:], b[t + 1:])
    sa, _ = zero_base(a)
    sb, _ = zero_base(b)
    np.testing.assert_array_equal(sa[: t + 1], sb[: t + 1])


def test_timeseriessplit_test_folds_get_real_history(eth):
    frame = eth.iloc[-300:]
    full = SlidingWindow(10).fit_transform(frame)
    for train, test in TimeSeriesSplit(n_splits=4).split(frame):
        sw = SlidingWindow(10).fit(frame.iloc[train])
        W = sw.transform(frame.iloc[test])
        # identical to the windows cut from the whole series: nothing padded
        np.testing.assert_array_equal(W, full[test])


def test_history_is_not_used_when_data_does_not_continue(eth):
    frame = eth.iloc[-100:]
    sw = SlidingWindow(5).fit(frame.iloc[50:])
    W = sw.transform(frame.iloc[:10])  # earlier data: padded, never the fitted tail
    np.testing.assert_array_equal(W[0], np.repeat(frame.iloc[:1].to_numpy(), 5, axis=0))
    W2 = SlidingWindow(5, history="pad").fit(frame.iloc[:50]).transform(frame.iloc[50:])
    np.testing.assert_array_equal(W2[0], np.repeat(frame.iloc[50:51].to_numpy(), 5, axis=0))


# ---------------------------------------------------------------- framing and splits
def test_make_supervised_aligns_future_targets(eth):
    frame = eth.iloc[:20]
    X, y = make_supervised(frame, "close", horizon=3)
    assert len(X) == len(y) == 17
    np.testing.assert_array_equal(y.to_numpy(), frame["close"].to_numpy()[3:])
    assert (X.index == frame.index[:17]).all() and (y.index == X.index).all()
    X2, Y2 = make_supervised(frame, "close", horizon=range(1, 4))
    assert Y2.shape == (17, 3) and list(Y2.columns) == ["close_t+1", "close_t+2", "close_t+3"]
    np.testing.assert_array_equal(Y2["close_t+3"].to_numpy(), y.to_numpy())


def test_chronological_split_keeps_order_and_the_lab_rule(eth):
    Xtr, Xte, ytr, yte = chronological_split(eth, eth["close"], test_size=0.2)
    split_row = len(eth) - int(0.2 * len(eth))  # the lab's train_test_split
    assert len(Xtr) == split_row and len(Xte) == len(eth) - split_row
    assert Xtr.index.max() < Xte.index.min()
    pd.testing.assert_frame_equal(pd.concat([Xtr, Xte]), eth)


def test_flatten_windows_is_time_major():
    W = np.arange(12.0).reshape(2, 3, 2)
    np.testing.assert_array_equal(FlattenWindows().fit_transform(W)[1], np.arange(6.0, 12.0))


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("index, match", [
    (pd.to_datetime(["2020-01-02", "2020-01-01", "2020-01-03"]), "unsorted time index"),
    (pd.to_datetime(["2020-01-01", "2020-01-01", "2020-01-03"]), "duplicated time index"),
])
def test_bad_time_index(index, match):
    frame = pd.DataFrame({"close": [1.0, 2.0, 3.0]}, index=index)
    with pytest.raises(ValueError, match=match):
        SlidingWindow(2).fit(frame)
    with pytest.raises(ValueError, match=match):
        make_supervised(frame, "close")


def test_bad_values_are_named():
    frame = pd.DataFrame({"close": [1.0, np.nan, 3.0], "v": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match=r"NaN at row 1, column .close."):
        SlidingWindow(2).fit(frame)
    frame = pd.DataFrame({"close": [1.0, 2.0, 3.0], "name": ["a", "b", "c"]})
    with pytest.raises(ValueError, match=r"non-numeric column\(s\) \['name'\]"):
        SlidingWindow(2).fit(frame)
    with pytest.raises(ValueError, match=r"inf"):
        SlidingWindow(1).fit(np.array([[1.0], [np.inf]]))


def test_too_short_and_bad_parameters():
    with pytest.raises(ValueError, match="longer than the data"):
        SlidingWindow(10).fit(np.ones((5, 2)))
    with pytest.raises(ValueError, match="'window_len' parameter of SlidingWindow must be an int in the range"):
        SlidingWindow(0).fit(np.ones((5, 2)))
    with pytest.raises(ValueError, match="padding"):
        SlidingWindow(2, padding="mirror").fit(np.ones((5, 2)))
    frame = pd.DataFrame({"close": [1.0, 2.0]})
    with pytest.raises(ValueError, match="too few for horizon 2"):
        make_supervised(frame, "close", horizon=2)
    with pytest.raises(ValueError, match="target column 'price' is not in the frame"):
        make_supervised(frame, "price")
    with pytest.raises(ValueError, match="test_size"):
        chronological_split(np.arange(3), test_size=1.5)


def test_feature_count_change_is_rejected():
    sw = SlidingWindow(2).fit(np.ones((5, 3)))
    with pytest.raises(ValueError, match="X has 2 features, but SlidingWindow is expecting 3"):
        sw.transform(np.ones((5, 2)))


def test_range_index_continuation_uses_history(rng):
    frame = pd.DataFrame(rng.normal(size=(40, 2)))
    full = SlidingWindow(4).fit_transform(frame)
    W = SlidingWindow(4).fit(frame.iloc[:30]).transform(frame.iloc[30:])
    np.testing.assert_array_equal(W, full[30:])
