"""MAPIE and sktime's conformal wrappers around skrnn models (docs/interop.md)."""

import warnings

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import Pipeline

from skrnn import FlattenWindows, LSTMRegressor, SlidingWindow, make_supervised
from skrnn.datasets import load_eth

from .conftest import TINY

WL = 10  # window length


def _pipe(**params):
    return Pipeline([("window", SlidingWindow(WL)),
                     ("rnn", LSTMRegressor(**{**TINY, **params}))])


def _coverage(y, lower, upper):
    y = np.asarray(y, dtype=float)
    return float(np.mean((y >= lower) & (y <= upper)))


@pytest.fixture(scope="module")
def eth_close():
    """The last 500 daily ETH closes as (X, y), with y the next day's close."""
    return make_supervised(load_eth()[["close"]].iloc[-500:], "close")


# ---------------------------------------------------------------------------
# MAPIE: split conformal around a fitted pipeline
# ---------------------------------------------------------------------------
def test_window_regressor_refuses_a_table_row(eth_close):
    """Why MAPIE's fitted-check fails on the bare pipeline.

    MAPIE 1.x probes the *last step* of a prefit Pipeline with
    ``np.zeros((1, last_step.n_features_in_))``. For a regressor fitted on
    3D windows ``n_features_in_`` is the features per time step, so the probe
    is one time step of a table, not a window; the regressor refuses it and
    says which shape it wants.
    """
    X, y = eth_close
    pipe = _pipe().fit(X.iloc[:200], y.iloc[:200])
    rnn = pipe[-1]
    assert (rnn.n_timesteps_in_, rnn.n_features_in_) == (WL, 1)
    with pytest.raises(ValueError,
                       match=r"fitted on 3D input: windows of shape \(n_windows, 10, 1\)"):
        rnn.predict(np.zeros((1, rnn.n_features_in_)))
    # the pipeline itself takes a table row (SlidingWindow pads it to a window)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # fitted with column names
        assert np.isfinite(pipe.predict(np.zeros((1, pipe.n_features_in_)))).all()


def test_mapie_split_conformal_around_frozen_pipeline(eth_close):
    mapie_regression = pytest.importorskip("mapie.regression")
    from sklearn.frozen import FrozenEstimator

    X, y = eth_close
    n = len(X)
    a, b = int(0.6 * n), int(0.8 * n)
    pipe = _pipe().fit(X.iloc[:a], y.iloc[:a])
    scr = mapie_regression.SplitConformalRegressor(
        FrozenEstimator(pipe), confidence_level=0.9, conformity_score="gamma", prefit=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the probe's zeros have no column names
        scr.conformalize(X.iloc[a:b], y.iloc[a:b])
    # pass the WL - 1 rows before the test part too, so its first windows
    # hold real history, and drop their predictions
    X_test, y_test = X.iloc[b - WL + 1:], y.iloc[b:]
    y_pred, y_pis = scr.predict_interval(X_test)
    y_pred, lower, upper = y_pred[WL - 1:], y_pis[WL - 1:, 0, 0], y_pis[WL - 1:, 1, 0]
    assert y_pred.shape == lower.shape == y_test.shape
    assert np.isfinite(y_pis).all()
    assert np.all(lower <= y_pred) and np.all(y_pred <= upper)
    # the same point predictions as the pipeline's own
    np.testing.assert_allclose(y_pred, pipe.predict(X_test)[WL - 1:], rtol=1e-6)
    mapie_cov = _coverage(y_test, lower, upper)
    own_lower, own_upper = pipe[-1].predict_interval(pipe[0].transform(X_test)[WL - 1:],
                                                     coverage=0.9)
    own_cov = _coverage(y_test, own_lower, own_upper)
    print(f"test coverage at 0.9: MAPIE split conformal (gamma) {mapie_cov:.2f}, "
          f"skrnn's own {own_cov:.2f}")
    assert 0.5 <= mapie_cov <= 1.0


# ---------------------------------------------------------------------------
# MAPIE: time series (EnbPI bootstrap + adaptive conformal inference)
# ---------------------------------------------------------------------------
def test_mapie_block_bootstrap_refuses_a_window_pipeline(eth_close):
    """BlockBootstrap resamples rows: the resampled table is no time series.

    SlidingWindow refuses its duplicated time index instead of cutting
    windows across the joins of the resampled blocks. (A cheap final step:
    the refusal happens in the window step.)
    """
    mapie_regression = pytest.importorskip("mapie.regression")
    from mapie.subsample import BlockBootstrap

    X, y = eth_close
    pipe = Pipeline([("window", SlidingWindow(WL)), ("flat", FlattenWindows()),
                     ("lin", LinearRegression())])
    ts = mapie_regression.TimeSeriesRegressor(
        pipe, method="aci", agg_function="mean",
        cv=BlockBootstrap(n_resamplings=2, n_blocks=4, overlapping=False, random_state=0))
    with pytest.raises(ValueError, match="time index"):
        ts.fit(X, y)


@pytest.mark.slow
def test_mapie_aci_on_windows_of_eth(eth_close):
    mapie_regression = pytest.importorskip("mapie.regression")
    from mapie.conformity_scores import GammaConformityScore
    from mapie.subsample import BlockBootstrap

    X, y = eth_close
    # windows first: each row is then a whole window, which the bootstrap may
    # resample and ACI may predict one at a time; the first WL - 1 are padded
    W = SlidingWindow(WL).fit_transform(X)[WL - 1:]
    y = y.to_numpy()[WL - 1:]
    b = int(0.8 * len(W))
    ts = mapie_regression.TimeSeriesRegressor(
        LSTMRegressor(**TINY), method="aci", agg_function="mean",
        cv=BlockBootstrap(n_resamplings=5, n_blocks=4, overlapping=False, random_state=0),
        conformity_score=GammaConformityScore(), random_state=0)
    ts.fit(W[:b], y[:b])
    W_test, y_test = W[b:], y[b:]
    lower, upper = np.empty(len(y_test)), np.empty(len(y_test))
    for t in range(len(y_test)):
        if t:  # adapt alpha_t to the last observed point, then predict the next
            ts.adapt_conformal_inference(W_test[t - 1:t], y_test[t - 1:t], gamma=0.05,
                                         confidence_level=0.9, ensemble=True)
        _, pis = ts.predict(W_test[t:t + 1], confidence_level=0.9, ensemble=True,
                            allow_infinite_bounds=True)
        lower[t], upper[t] = pis[0, 0, 0], pis[0, 1, 0]
    coverage = _coverage(y_test, lower, upper)
    print(f"MAPIE ACI test coverage at 0.9: {coverage:.2f} on {len(y_test)} days")
    assert np.isfinite(lower).all() and np.isfinite(upper).all()
    assert np.all(lower <= upper)
    assert 0.7 <= coverage <= 1.0


# ---------------------------------------------------------------------------
# sktime: ConformalIntervals around RNNForecaster
# ---------------------------------------------------------------------------
def test_sktime_conformal_intervals_around_rnn_forecaster(eager_tensorflow):
    pytest.importorskip("sktime")
    from sktime.forecasting.conformal import ConformalIntervals

    from skrnn.forecasting import RNNForecaster

    y = load_eth()["close"].iloc[-48:]
    forecaster = RNNForecaster(LSTMRegressor(**TINY), window_len=5, random_state=0)
    # one refit per cutoff from initial_window on: 4 here
    ci = ConformalIntervals(forecaster, method="conformal", initial_window=len(y) - 4)
    ci.fit(y, fh=[1, 2])
    pi = ci.predict_interval(coverage=0.9)
    lower = pi[("close", 0.9, "lower")].astype(float)
    upper = pi[("close", 0.9, "upper")].astype(float)
    assert len(pi) == 2 and pi.index[0] > y.index[-1]
    assert np.isfinite(lower).all() and np.isfinite(upper).all()
    assert (lower <= upper).all()
    point = ci.predict()
    assert ((lower <= point) & (point <= upper)).all()
