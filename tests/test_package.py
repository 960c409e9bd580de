"""Package-level promises: lazy imports, public names, global scaling path."""

import subprocess
import sys

import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

import skrnn
from skrnn import LSTMRegressor, SlidingWindow, chronological_split, make_supervised


def test_import_does_not_load_tensorflow_sktime_or_matplotlib():
    code = ("import sys, skrnn, skrnn.datasets; "
            "print(sorted(m for m in ('tensorflow', 'keras', 'sktime', 'matplotlib') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


def test_public_names():
    for name in skrnn.__all__:
        assert getattr(skrnn, name).__doc__, name


def test_global_scaling_with_transformed_target(eth, tiny):
    X, y = make_supervised(eth.iloc[-200:], "close")
    X_train, X_test, y_train, y_test = chronological_split(X, y)
    # a scaler that outputs pandas keeps the time index, so SlidingWindow still
    # finds that the test rows continue the training rows
    scaler = MinMaxScaler().set_output(transform="pandas")
    model = TransformedTargetRegressor(
        regressor=make_pipeline(scaler, SlidingWindow(5), LSTMRegressor(**tiny)),
        transformer=MinMaxScaler(),
    )
    pred = model.fit(X_train, y_train.to_frame()).predict(X_test)
    pipe = model.regressor_
    W = pipe[1].transform(pipe[0].transform(X_test.iloc[:1]))
    expected = pipe[0].transform(X.iloc[len(X_train) - 4: len(X_train) + 1]).to_numpy()
    np.testing.assert_allclose(W[0], expected)
    # back in USD: inside the range the target scaler can map back to, near the data
    assert pred.shape == (len(X_test), 1) or pred.shape == (len(X_test),)
    assert np.all(np.abs(np.ravel(pred) / y_test.to_numpy() - 1) < 1.0)


def test_pipeline_set_output_pandas_keeps_history(eth, tiny):
    X, y = make_supervised(eth.iloc[-120:], "close")
    X_train, X_test, y_train, _ = chronological_split(X, y)
    pipe = make_pipeline(MinMaxScaler(), SlidingWindow(5), LSTMRegressor(**tiny))
    pipe.set_output(transform="pandas").fit(X_train, y_train)
    scaled = pipe[0].transform(X_test.iloc[:1])
    assert hasattr(scaled, "index")  # the scaler now hands a DataFrame on
    W = pipe[1].transform(scaled)
    expected = pipe[0].transform(X.iloc[len(X_train) - 4: len(X_train) + 1]).to_numpy()
    np.testing.assert_allclose(W[0], expected)
    assert pipe.predict(X_test).shape == (len(X_test),)
