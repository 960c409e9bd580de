"""Tests of the sktime adapter :class:`skrnn.forecasting.RNNForecaster`."""

import os
import pickle
import subprocess
import sys
import warnings
from copy import deepcopy

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("sktime")

from skrnn import GRURegressor, LSTMRegressor  # noqa: E402
from skrnn.forecasting import RNNForecaster  # noqa: E402

from .conftest import F32  # noqa: E402

# interval="mc": these series are too short to calibrate a 90 % band (the
# calibrated bands are tested in test_forecast_intervals.py); the Monte-Carlo
# machinery under them is what these tests check
TINY = dict(units=3, epochs=2, batch_size=32, early_stopping=None,
            validation_fraction=0.0, random_state=0, n_samples=40, interval="mc")
L = 4


def _series(n=80, seed=0, name="y"):
    rng = np.random.default_rng(seed)
    values = 100 + np.cumsum(rng.normal(0, 1, n)) + 3 * np.sin(np.arange(n) / 4)
    return pd.Series(values, index=pd.RangeIndex(n), name=name)


def _exog(n=80, seed=1):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"a": rng.normal(size=n), "b": np.cos(np.arange(n) / 5)},
                        index=pd.RangeIndex(n))


@pytest.fixture(scope="module")
def y():
    return _series()


@pytest.fixture(scope="module")
def recursive(y):
    # normalize=None: the network scales its own windows, as the hand loops' do
    return RNNForecaster(LSTMRegressor(**TINY), window_len=L, normalize=None).fit(y)


# --------------------------------------------------------------------------
# packaging
# --------------------------------------------------------------------------
def test_import_skrnn_does_not_import_sktime():
    code = "import sys, skrnn; assert 'sktime' not in sys.modules; print('ok')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert out.returncode == 0, out.stderr
    assert "ok" in out.stdout


def test_clear_import_error_without_sktime():
    code = ("import sys; sys.modules['sktime'] = None\n"
            "try:\n    import skrnn.forecasting\nexcept ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert 'pip install "skrnn[sktime]"' in out.stdout, out.stdout + out.stderr


# --------------------------------------------------------------------------
# agreement with a hand-written loop over the regressor
# --------------------------------------------------------------------------
def test_recursive_agrees_with_hand_loop(y, recursive):
    values = y.to_numpy()
    # training: the same windows and targets give the same network
    W = np.stack([values[i:i + L] for i in range(len(values) - L)])[:, :, None]
    target = values[L:]
    reg = LSTMRegressor(**TINY).fit(W, target)
    # forecasting: feed each prediction back into the window
    window = list(values[-L:])
    expected = []
    for _ in range(6):
        nxt = float(reg.predict(np.array(window[-L:])[None, :, None])[0])
        expected.append(nxt)
        window.append(nxt)
    got = recursive.predict(fh=[1, 2, 3, 4, 5, 6])
    np.testing.assert_allclose(got.to_numpy(), expected, rtol=1e-5)
    # and the fitted network itself drives the same loop
    net = recursive.estimators_[0]
    np.testing.assert_allclose(net.predict(W[-3:]), reg.predict(W[-3:]), rtol=1e-5)


def test_direct_agrees_with_hand_loop(y):
    values = y.to_numpy()
    fh = [1, 3]
    f = RNNForecaster(GRURegressor(**TINY), window_len=L, strategy="direct").fit(y, fh=fh)
    assert f.horizons_ == [1, 3]
    expected = []
    for h in fh:
        n = len(values) - L - h + 1
        W = np.stack([values[i:i + L] for i in range(n)])[:, :, None]
        target = values[L - 1 + h: L - 1 + h + n]
        reg = GRURegressor(**TINY).fit(W, target)
        expected.append(float(reg.predict(values[-L:][None, :, None])[0]))
    np.testing.assert_allclose(f.predict().to_numpy(), expected, rtol=1e-5)


def test_mimo_trains_one_network_on_2d_targets(y):
    values = y.to_numpy()
    f = RNNForecaster(LSTMRegressor(**TINY), window_len=L, strategy="mimo").fit(y, fh=[2, 4])
    assert len(f.estimators_) == 1 and f.horizons_ == [1, 2, 3, 4]
    n = len(values) - L - 4 + 1
    W = np.stack([values[i:i + L] for i in range(n)])[:, :, None]
    Y = np.stack([values[i + L: i + L + 4] for i in range(n)])
    reg = LSTMRegressor(**TINY).fit(W, Y)
    expected = reg.predict(values[-L:][None, :, None])[0][[1, 3]]
    np.testing.assert_allclose(f.predict().to_numpy(), expected, rtol=1e-5)


# --------------------------------------------------------------------------
# forecasting horizons
# --------------------------------------------------------------------------
def test_fh_relative_absolute_and_gaps(y, recursive):
    from sktime.forecasting.base import ForecastingHorizon

    full = recursive.predict(fh=range(1, 8))
    assert list(full.index) == list(range(80, 87))
    gaps = recursive.predict(fh=[2, 5, 7])
    assert list(gaps.index) == [81, 84, 86]
    np.testing.assert_allclose(gaps.to_numpy(), full.loc[[81, 84, 86]].to_numpy(), **F32)
    absolute = recursive.predict(fh=ForecastingHorizon([81, 84, 86], is_relative=False))
    pd.testing.assert_series_equal(absolute, gaps)


def test_fh_with_datetime_index():
    y = _series(60)
    y.index = pd.date_range("2021-01-01", periods=60, freq="D", tz="UTC")
    f = RNNForecaster(LSTMRegressor(**TINY), window_len=L, strategy="mimo")
    f.fit(y, fh=[1, 3])
    pred = f.predict()
    assert list(pred.index) == list(pd.DatetimeIndex(["2021-03-02", "2021-03-04"], tz="UTC"))
    from sktime.forecasting.base import ForecastingHorizon

    with pytest.raises(ValueError, match="different forecasting horizon"):
        f.predict(fh=ForecastingHorizon(pred.index[:1], is_relative=False))


# --------------------------------------------------------------------------
# exogenous X
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def exog_models():
    y_train = _series(71).iloc[:70]
    X = _exog(74)
    X_train, X_future = X.iloc[:70], X.iloc[70:]
    models = {}
    for strategy in ("recursive", "direct", "mimo"):
        f = RNNForecaster(LSTMRegressor(**TINY), window_len=L, strategy=strategy)
        models[strategy] = f.fit(y_train, X=X_train, fh=[1, 2, 3])
    return models, X_train, X_future


def test_exogenous_X_is_used(exog_models):
    models, X_train, X_future = exog_models
    # one new observation at t=70, with two different X rows for t=70: X in
    # the window changes, so must the forecasts (all strategies)
    y_new = pd.Series([_series(71).iloc[-1]], index=[70], name="y")
    X_a = X_future.iloc[[0]]
    X_b = X_a + 3.0
    for strategy, f in models.items():
        a, b = deepcopy(f), deepcopy(f)
        a.update(y_new, X=X_a, update_params=False)
        b.update(y_new, X=X_b, update_params=False)
        assert a.cutoff[0] == 70
        fa = a.predict(X=X_future.iloc[1:]).to_numpy()
        fb = b.predict(X=X_future.iloc[1:]).to_numpy()
        assert not np.allclose(fa, fb), strategy


def test_exogenous_X_never_read_from_the_future(exog_models):
    models, _, X_future = exog_models
    # step k reads X up to cutoff + k - 1: changing X at cutoff + k and later
    # leaves the step-k forecast unchanged
    f = models["recursive"]
    base = f.predict(X=X_future).to_numpy().ravel()
    X_late = X_future.copy()
    X_late.iloc[1:] += 10.0  # times cutoff + 2, cutoff + 3
    moved = f.predict(X=X_late).to_numpy().ravel()
    np.testing.assert_allclose(moved[:2], base[:2], **F32)
    X_early = X_future.copy()
    X_early.iloc[0] += 10.0  # time cutoff + 1 feeds the window of step 2
    moved = f.predict(X=X_early).to_numpy().ravel()
    np.testing.assert_allclose(moved[0], base[0], **F32)
    assert not np.isclose(moved[1], base[1])
    # direct and MIMO read past X only: any future X gives the same forecast
    for strategy in ("direct", "mimo"):
        g = models[strategy]
        np.testing.assert_allclose(g.predict(X=X_future + 100.0).to_numpy(),
                                   g.predict(X=X_future).to_numpy(), **F32)
        np.testing.assert_allclose(g.predict().to_numpy(), g.predict(X=X_future).to_numpy(), **F32)


def test_recursive_rejects_too_short_future_X(exog_models):
    models, _, X_future = exog_models
    f = models["recursive"]
    with pytest.raises(ValueError, match="future X"):
        f.predict(X=X_future.iloc[:1])  # steps 2 and 3 need X at cutoff + 1, + 2
    with pytest.raises(ValueError, match="future X"):
        f.predict()
    # one step ahead needs no future X
    assert np.isfinite(f.predict(fh=1).to_numpy()).all()


# --------------------------------------------------------------------------
# multivariate y and scaling
# --------------------------------------------------------------------------
def test_multivariate_recursive_zero_base_is_scale_equivariant():
    y = pd.DataFrame({"a": _series(60, seed=2).to_numpy(), "b": _series(60, seed=3).to_numpy()})
    f = RNNForecaster(LSTMRegressor(**TINY), window_len=L, normalize="zero_base").fit(y)
    pred = f.predict(fh=[1, 2, 3])
    assert list(pred.columns) == ["a", "b"] and pred.shape == (3, 2)
    y2 = y.assign(b=y["b"] * 1000.0)
    g = RNNForecaster(LSTMRegressor(**TINY), window_len=L, normalize="zero_base").fit(y2)
    pred2 = g.predict(fh=[1, 2, 3])
    np.testing.assert_allclose(pred2["a"], pred["a"], rtol=1e-4)
    np.testing.assert_allclose(pred2["b"], pred["b"] * 1000.0, rtol=1e-4)


def test_estimator_zero_base_with_multivariate_y_is_rejected():
    y = pd.DataFrame({"a": _series(40).to_numpy(), "b": _series(40, seed=4).to_numpy()})
    f = RNNForecaster(LSTMRegressor(normalize="zero_base", **TINY), window_len=L)
    with pytest.raises(ValueError, match="forecaster's normalize='zero_base'"):
        f.fit(y)


def test_global_scaler_matches_manual_scaling(y):
    from sklearn.preprocessing import StandardScaler

    f = RNNForecaster(LSTMRegressor(**TINY), window_len=L, scaler=StandardScaler()).fit(y)
    mu, sd = y.mean(), y.std(ddof=0)
    g = RNNForecaster(LSTMRegressor(**TINY), window_len=L).fit((y - mu) / sd)
    np.testing.assert_allclose(f.predict(fh=[1, 2]).to_numpy(),
                               g.predict(fh=[1, 2]).to_numpy() * sd + mu, rtol=1e-5)


# --------------------------------------------------------------------------
# intervals
# --------------------------------------------------------------------------
def test_intervals_widen_with_horizon_and_contain_median():
    # a random walk and a network that has learnt (roughly) persistence: each
    # Monte-Carlo path feeds its own draws back, so the spread accumulates
    rng = np.random.default_rng(0)
    y = pd.Series(100 + np.cumsum(rng.normal(0, 1, 200)))
    net = GRURegressor(units=8, epochs=10, batch_size=16, learning_rate=0.01, dropout=0.3,
                       early_stopping=None, validation_fraction=0.0, n_samples=200,
                       random_state=0, interval="mc")
    f = RNNForecaster(net, window_len=L, normalize="zero_base").fit(y)
    fh = [1, 2, 4, 8, 12, 16, 20]
    pi = f.predict_interval(fh=fh, coverage=0.9)
    med = f.predict_quantiles(fh=fh, alpha=[0.5])
    lower, upper = pi.iloc[:, 0].to_numpy(), pi.iloc[:, 1].to_numpy()
    width = upper - lower
    assert width[-1] > 2 * width[0]
    assert np.all(np.diff(width) > 0)
    m = med.to_numpy().ravel()
    assert np.all((lower <= m) & (m <= upper))
    var = f.predict_var(fh=fh).to_numpy().ravel()
    assert var[-1] > var[0] > 0
    cov = f.predict_var(fh=[1, 2, 4], cov=True)
    assert cov.shape == (3, 3)
    np.testing.assert_allclose(np.diag(cov.to_numpy()), var[:3], rtol=1e-8)


def test_intervals_are_reproducible_and_survive_pickling(recursive):
    a = recursive.predict_interval(fh=[1, 3], coverage=[0.5, 0.9])
    b = recursive.predict_interval(fh=[1, 3], coverage=[0.5, 0.9])
    pd.testing.assert_frame_equal(a, b)
    clone = pickle.loads(pickle.dumps(recursive))
    pd.testing.assert_frame_equal(clone.predict_interval(fh=[1, 3], coverage=[0.5, 0.9]), a)
    samples = recursive.predict_samples(fh=[1, 3], n_samples=7)
    assert samples.shape == (7, 2, 1)


def test_regressor_without_predict_samples_gives_point_forecasts_only(y):
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline

    from skrnn import FlattenWindows

    f = RNNForecaster(make_pipeline(FlattenWindows(), Ridge()), window_len=L)
    assert f.get_tag("capability:pred_int") is False
    f.fit(y)
    assert f.predict(fh=[1, 2]).shape == (2,)
    with pytest.raises(NotImplementedError):
        f.predict_interval(fh=[1, 2])


# --------------------------------------------------------------------------
# update, rolling origins, evaluate, tuning
# --------------------------------------------------------------------------
def test_update_then_predict_equals_window_of_the_longer_series(y):
    f = RNNForecaster(LSTMRegressor(**TINY), window_len=L, normalize=None).fit(y.iloc[:60])
    weights = [w.copy() for w in f.estimators_[0].model_.get_weights()]
    f.update(y.iloc[60:70], update_params=True)
    assert f.cutoff[0] == 69
    # the network is not retrained
    for w0, w1 in zip(weights, f.estimators_[0].model_.get_weights()):
        np.testing.assert_array_equal(w0, w1)
    # forecasting from the moved window = the network on the last window of y[:70]
    net = f.estimators_[0]
    window = y.to_numpy()[66:70]
    one = float(net.predict(window[None, :, None])[0])
    two = float(net.predict(np.append(window[1:], one)[None, :, None])[0])
    np.testing.assert_allclose(f.predict(fh=[1, 2]).to_numpy(), [one, two], **F32)


@pytest.mark.parametrize("strategy", ["recursive", "direct", "mimo"])
def test_predict_rolling_equals_loop_of_predict_and_update(y, strategy):
    X = _exog(len(y) + 3)
    f = RNNForecaster(LSTMRegressor(**TINY), window_len=L, strategy=strategy)
    f.fit(y.iloc[:60], X=X.iloc[:60], fh=[1, 2])
    batched = f.predict_rolling(y.iloc[60:], X=X, fh=[1, 2])
    g = deepcopy(f)
    rows = []
    for i in range(60, len(y) + 1):
        if i > 60:
            g.update(y.iloc[[i - 1]], X=X.iloc[[i - 1]], update_params=False)
        rows.append(g.predict(fh=[1, 2], X=X.iloc[i:i + 2]).to_numpy())
    np.testing.assert_allclose(batched.to_numpy().ravel(), np.concatenate(rows), rtol=1e-5)
    assert batched.index.names == ["cutoff", "time"]
    assert batched.index[0] == (59, 60) and batched.index[-1] == (79, 81)
    assert f.cutoff[0] == 59  # unchanged


def test_evaluate_and_update_predict_without_refit(y):
    from sktime.forecasting.model_evaluation import evaluate
    from sktime.split import ExpandingWindowSplitter, SlidingWindowSplitter

    f = RNNForecaster(LSTMRegressor(**TINY), window_len=L)
    for cv in (ExpandingWindowSplitter(fh=[1, 2], initial_window=50, step_length=10),
               SlidingWindowSplitter(fh=[1, 2], window_length=50, step_length=10)):
        res = evaluate(f, cv=cv, y=y, strategy="update")
        assert len(res) == 3 and np.isfinite(res.iloc[:, 0]).all()
    fitted = deepcopy(f).fit(y.iloc[:60])
    preds = fitted.update_predict(y.iloc[60:], cv=ExpandingWindowSplitter(fh=1, initial_window=1),
                                  update_params=False)
    assert len(preds) == 19


def test_nested_parameters_and_grid_search(y):
    from sktime.forecasting.model_selection import ForecastingGridSearchCV
    from sktime.split import ExpandingWindowSplitter

    f = RNNForecaster(LSTMRegressor(**{**TINY, "epochs": 1}), window_len=L)
    params = f.get_params()
    assert params["estimator__units"] == 3 and params["window_len"] == L
    gs = ForecastingGridSearchCV(
        f, cv=ExpandingWindowSplitter(fh=1, initial_window=60, step_length=10),
        param_grid={"estimator__units": [2, 3], "window_len": [3, 4]},
        strategy="update",
    )
    gs.fit(y)
    assert set(gs.best_params_) == {"estimator__units", "window_len"}
    assert gs.predict(fh=[1]).shape == (1,)


# --------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------
def test_bad_parameters_and_short_series(y):
    with pytest.raises(ValueError, match="'strategy' parameter of RNNForecaster"):
        RNNForecaster(LSTMRegressor(**TINY), strategy="nope").fit(y)
    with pytest.raises(ValueError, match="too few"):
        RNNForecaster(LSTMRegressor(**TINY), window_len=50, strategy="mimo").fit(y, fh=[31])
    with pytest.raises(ValueError):
        RNNForecaster(LSTMRegressor(**TINY), strategy="direct").fit(y)
    with pytest.raises(ValueError, match="normalize"):
        RNNForecaster(LSTMRegressor(**TINY), normalize="minmax").fit(y)


def test_tags_and_defaults():
    f = RNNForecaster()
    assert f.get_tag("requires-fh-in-fit") is False
    assert RNNForecaster(strategy="direct").get_tag("requires-fh-in-fit") is True
    assert RNNForecaster(strategy="mimo").get_tag("requires-fh-in-fit") is True
    for tag in ("capability:pred_int", "capability:multivariate", "capability:exogenous",
                "capability:update"):
        assert f.get_tag(tag) is True
    assert f.get_tag("capability:insample") is False
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        RNNForecaster()  # no remember_data FutureWarning


# --------------------------------------------------------------------------
# sktime's conformance suite
# --------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("i", range(len(RNNForecaster.get_test_params())),
                         ids=[p["strategy"] for p in RNNForecaster.get_test_params()])
def test_sktime_check_estimator(i, eager_tensorflow):
    from sktime.utils.estimator_checks import check_estimator

    params = RNNForecaster.get_test_params()[i]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(RNNForecaster(**params), raise_exceptions=False,
                                  verbose=False)
    failed = {k: v for k, v in results.items() if v != "PASSED"}
    assert not failed, failed
