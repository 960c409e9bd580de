"""Models safe to share: skrnn.persistence round trips and refuses tampered files."""

import io
import json
import pickle
import zipfile

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline

import skrnn
from skrnn import LSTMRegressor, SlidingWindow, _keras, persistence
from tests.conftest import F32, TINY


@pytest.fixture(scope="module")
def windows():
    rng = np.random.default_rng(0)
    X = 100 + np.cumsum(rng.normal(size=(240, 6, 2)), axis=1)
    return X, X[:, -1, 0] * 1.01


@pytest.fixture(scope="module")
def fitted(windows):
    X, y = windows
    return LSTMRegressor(**TINY).fit(X, y)


def _assert_same_predictions(a, b, X):
    np.testing.assert_allclose(a.predict(X), b.predict(X), **F32)
    for lo_hi_a, lo_hi_b in zip(a.predict_interval(X), b.predict_interval(X)):
        np.testing.assert_allclose(lo_hi_a, lo_hi_b, **F32)


# --------------------------------------------------------------------------
# round trips
# --------------------------------------------------------------------------
@pytest.mark.parametrize("normalize", ["auto", "zero_base"])
def test_regressor_round_trip(normalize, windows, fitted, tmp_path):
    X, y = windows
    reg = fitted if normalize == "auto" else LSTMRegressor(**TINY, normalize=normalize).fit(X, y)
    path = tmp_path / "model.skrnn"
    persistence.save(reg, path)
    back = persistence.load(path)
    assert type(back) is LSTMRegressor and back.get_params() == reg.get_params()
    assert back.scaler_.__class__ is reg.scaler_.__class__
    np.testing.assert_array_equal(back.calibration_.scores_, reg.calibration_.scores_)
    # float32 tolerances: a reloaded network may sum in another order on some CPUs
    _assert_same_predictions(reg, back, X)
    np.testing.assert_allclose(back.predict(X, return_std=True)[1],
                               reg.predict(X, return_std=True)[1], **F32)
    assert list(zipfile.ZipFile(path).namelist()) == ["manifest.json", "estimator.skops"]


def test_pipeline_round_trip_on_a_frame(eth, tmp_path):
    frame = eth[["close", "volume"]].iloc[-260:]
    pipe = Pipeline([("windows", SlidingWindow(6)), ("lstm", LSTMRegressor(**TINY))])
    pipe.fit(frame.iloc[:-1], frame["close"].to_numpy()[1:])
    persistence.save(pipe, tmp_path / "pipe.skrnn")
    back = persistence.load(tmp_path / "pipe.skrnn")
    assert back[0].last_index_ == pipe[0].last_index_  # a pandas Timestamp, carried as data
    np.testing.assert_allclose(back.predict(frame), pipe.predict(frame), **F32)
    W = pipe[:-1].transform(frame)
    _assert_same_predictions(pipe[-1], back[-1], W)


@pytest.mark.slow
def test_forecaster_round_trip(eth, tmp_path):
    pytest.importorskip("sktime")
    from skrnn.forecasting import RNNForecaster

    y = eth["close"].iloc[-260:].asfreq("D")
    f = RNNForecaster(LSTMRegressor(**TINY), window_len=5).fit(y, fh=[1, 2, 3])
    persistence.save(f, tmp_path / "f.skrnn")
    back = persistence.load(tmp_path / "f.skrnn")
    assert back.cutoff.equals(f.cutoff)
    pd.testing.assert_series_equal(back.predict(), f.predict(), check_exact=True)
    pd.testing.assert_frame_equal(back.predict_interval(coverage=0.9),
                                  f.predict_interval(coverage=0.9), check_exact=True)
    # and it still moves on with new data
    new = pd.Series([float(y.iloc[-1])], name=y.name,
                    index=pd.DatetimeIndex([y.index[-1] + pd.Timedelta(days=1)], freq="D"))
    moved, expected = back.update_predict_single(new), f.update_predict_single(new)
    assert type(moved) is type(expected) and moved.equals(expected)


def test_plain_values_round_trip():
    from skrnn._plain import from_plain, to_plain

    frame = pd.DataFrame({"x": [1.5, 2.5], "n": [1, 2], "s": ["a", "b"],
                          "t": pd.to_datetime(["2024-01-01", "2024-01-02"]).tz_localize("UTC")},
                         index=pd.date_range("2024-03-01", periods=2, freq="D", name="when"))
    values = {"frame": frame, "series": frame["x"], "period": pd.period_range("2020-01", periods=3, freq="M"),
              "range": pd.RangeIndex(2, 10, 2, name="r"), "stamp": pd.Timestamp("2024-01-02 03:04"),
              "nat": pd.NaT, "td": pd.Timedelta("2h"), "keyed": {(1, "a"): {1, 2}}}
    values["again"] = values["frame"]
    back = from_plain(to_plain(values))
    pd.testing.assert_frame_equal(back["frame"], frame)
    assert back["frame"].index.freq == "D" and back["again"] is back["frame"]
    pd.testing.assert_series_equal(back["series"], frame["x"])
    pd.testing.assert_index_equal(back["period"], values["period"])
    pd.testing.assert_index_equal(back["range"], values["range"], exact=True)
    assert back["stamp"] == values["stamp"] and back["nat"] is pd.NaT and back["td"] == values["td"]
    assert back["keyed"] == {(1, "a"): {1, 2}}
    assert values["frame"] is frame  # nothing changed in place


# --------------------------------------------------------------------------
# refused at save
# --------------------------------------------------------------------------
def test_save_refuses_callbacks_and_custom_losses(windows, fitted, tmp_path):
    keras = _keras.import_keras()
    reg = LSTMRegressor(**TINY, callbacks=[keras.callbacks.History()])
    with pytest.raises(ValueError, match="callbacks=.*cannot carry.*set_params"):
        persistence.save(reg, tmp_path / "cb.skrnn")
    reg = LSTMRegressor(**TINY, loss=keras.losses.Huber(delta=2.0))
    with pytest.raises(ValueError, match="loss=.*cannot carry"):
        persistence.save(reg, tmp_path / "loss.skrnn")
    assert not list(tmp_path.iterdir())


def test_save_refuses_a_network_with_a_lambda_layer(fitted, tmp_path):
    keras = _keras.import_keras()
    inputs = keras.Input((6, 2))
    outputs = keras.layers.Dense(1)(keras.layers.Lambda(lambda t: t[:, -1, :])(inputs))
    reg = pickle.loads(pickle.dumps(fitted))
    reg.model_ = keras.Model(inputs, outputs)
    with pytest.raises(ValueError, match="Lambda.*runs Python code"):
        persistence.save(reg, tmp_path / "lambda.skrnn")


# --------------------------------------------------------------------------
# refused at load
# --------------------------------------------------------------------------
def _rewrite(data, manifest=None, schema=None, members=None):
    """A copy of a model file with its manifest, skops schema or members edited."""
    outer = zipfile.ZipFile(io.BytesIO(data))
    man = json.loads(outer.read("manifest.json"))
    inner = zipfile.ZipFile(io.BytesIO(outer.read("estimator.skops")))
    parts = {n: inner.read(n) for n in inner.namelist()}
    if manifest:
        manifest(man)
    if schema:
        tree = json.loads(parts["schema.json"])
        schema(tree)
        parts["schema.json"] = json.dumps(tree).encode()
    for name in list(parts):
        if members and name in members(parts):
            parts[name] = members(parts)[name]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, content in parts.items():
            z.writestr(name, content)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("manifest.json", json.dumps(man))
        z.writestr("estimator.skops", buf.getvalue())
    return out.getvalue()


def test_load_refuses_a_lambda_layer_smuggled_into_the_network(fitted, tmp_path):
    keras = _keras.import_keras()
    marker = tmp_path / "code-ran"
    # a Lambda whose function leaves a file behind whenever it runs (Keras
    # calls it when it rebuilds the model)
    fn = eval(f"lambda t: (open({str(marker)!r}, 'w').close(), t)[1]")
    inputs = keras.Input((6, 2))
    evil = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.Flatten()(
        keras.layers.Lambda(fn)(inputs))))
    evil_bytes = _keras.model_to_bytes(evil)
    marker.unlink()
    # the payload is live: an unsafe load would run it
    unsafe = tmp_path / "evil.keras"
    unsafe.write_bytes(evil_bytes)
    keras.saving.load_model(unsafe, safe_mode=False)
    assert marker.exists()
    marker.unlink()

    data = _rewrite(persistence.dumps(fitted),
                    members=lambda parts: {n: evil_bytes for n in parts if n.endswith(".bin")})
    with pytest.raises(ValueError, match="Refused: the network holds a Lambda.*runs Python code"):
        persistence.loads(data)
    assert not marker.exists()
    # Keras' own safe mode refuses it too, should the archive check ever miss it
    with pytest.raises(ValueError, match="(?i)lambda"):
        keras.saving.load_model(unsafe, safe_mode=True)
    assert not marker.exists()


def _replace_loss(node):
    def edit(tree):
        tree["content"]["content"]["loss"] = node
    return edit


@pytest.mark.parametrize("node, named", [
    # a callable smuggled in as the loss
    ({"__class__": "system", "__module__": "os", "__loader__": "FunctionNode", "__id__": 1},
     "os.system"),
    # an object of a type no skrnn model holds
    ({"__class__": "Popen", "__module__": "subprocess", "__loader__": "ObjectNode",
      "content": {"__class__": "dict", "__module__": "builtins", "__loader__": "DictNode",
                  "content": {}, "key_types": {"__class__": "list", "__module__": "builtins",
                                               "__loader__": "ListNode", "content": []}},
      "__id__": 2}, "subprocess.Popen"),
    # skrnn's own code, called rather than rebuilt from data
    ({"__class__": "save", "__module__": "skrnn.persistence", "__loader__": "FunctionNode",
      "__id__": 3}, "skrnn.persistence.save"),
])
def test_load_refuses_smuggled_callables_and_types(node, named, fitted):
    data = _rewrite(persistence.dumps(fitted), schema=_replace_loss(node))
    with pytest.raises(ValueError, match=rf"Refused: .*{named}"):
        persistence.loads(data)


def test_load_refuses_a_file_from_a_newer_skrnn(fitted, tmp_path):
    data = _rewrite(persistence.dumps(fitted), manifest=lambda m: m.update(skrnn="99.0"))
    (tmp_path / "new.skrnn").write_bytes(data)
    with pytest.raises(ValueError, match=rf"saved by skrnn 99.0; this is skrnn {skrnn.__version__}"):
        persistence.load(tmp_path / "new.skrnn")


def test_load_refuses_what_is_not_a_model_file(tmp_path):
    (tmp_path / "x.skrnn").write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(ValueError, match="not a skrnn model file"):
        persistence.load(tmp_path / "x.skrnn")


def test_pickle_from_other_versions_names_both(fitted, monkeypatch):
    monkeypatch.setattr(_keras, "versions", lambda: {"skrnn": "0.0.1", "keras": "3.0.0"})
    data = pickle.dumps(fitted)
    monkeypatch.undo()

    def fails(data):
        raise TypeError("Could not deserialize class 'LSTM'")

    monkeypatch.setattr(_keras, "model_from_bytes", fails)
    here = _keras.versions()
    with pytest.raises(ValueError, match=(
            rf"saved with skrnn 0.0.1 and Keras 3.0.0; this is skrnn {here['skrnn']} "
            rf"and Keras {here['keras']}")):
        pickle.loads(data)


def test_archive_check_refuses_code_and_foreign_classes():
    def layer(module, name, **extra):
        return {"module": module, "class_name": name, "config": {}, **extra}

    safe = {"layers": [layer("keras.layers", "LSTM"), layer("keras.src.models.functional", "Functional",
                                                          registered_name="Functional"),
                       {"module": "keras.activations", "class_name": "function", "config": "relu"}]}
    assert _keras.network_problems(safe) == []
    for bad, said in [
        (layer("keras.layers", "Lambda"), "Lambda"),
        (layer("keras.layers", "TFSMLayer"), "TFSMLayer"),
        (layer("mylib.layers", "Attention"), "custom Attention"),
        (layer("keras.layers", "Dense", registered_name="me>Dense"), "me>Dense"),
        ({"module": "keras.models", "class_name": "function", "config": "load_model"},
         "keras.models.load_model"),
    ]:
        problems = _keras.network_problems({"layers": [layer("keras.layers", "Dense"), {"x": bad}]})
        assert len(problems) == 1 and said in problems[0]


def test_loading_needs_a_keras_without_known_safe_mode_bypasses(fitted, monkeypatch):
    data = persistence.dumps(fitted)
    monkeypatch.setattr(_keras, "versions", lambda: {"skrnn": skrnn.__version__, "keras": "3.8.0"})
    with pytest.raises(ValueError, match=r"Keras 3.8.0 has known ways around safe_mode.*keras>=3.14"):
        persistence.loads(data)


class Shift(TransformerMixin, BaseEstimator):
    """A step of the user's own: loading it means trusting its code."""

    def fit(self, X, y=None):
        self.offset_ = np.asarray(X).mean(axis=0)
        return self

    def transform(self, X):
        return np.asarray(X) - self.offset_


def test_steps_of_your_own_need_trusted_on_both_sides(rng, tmp_path):
    X = rng.normal(size=(40, 3))
    pipe = Pipeline([("shift", Shift()), ("ridge", Ridge())]).fit(X, X[:, 0])
    name = f"{Shift.__module__}.Shift"
    with pytest.raises(ValueError, match=rf"Cannot save safely.*{name}.*trusted="):
        persistence.save(pipe, tmp_path / "own.skrnn")
    persistence.save(pipe, tmp_path / "own.skrnn", trusted=[name])
    with pytest.raises(ValueError, match=rf"Refused: .*{name}"):
        persistence.load(tmp_path / "own.skrnn")
    back = persistence.load(tmp_path / "own.skrnn", trusted=[name])
    np.testing.assert_allclose(back.predict(X), pipe.predict(X), **F32)
