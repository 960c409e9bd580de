"""The whole study as one sklearn object, on the bundled ETH data."""

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import Pipeline

from skrnn import LSTMRegressor, SlidingWindow, chronological_split, make_supervised
from skrnn.datasets import load_eth


@pytest.mark.slow
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_grid_search_on_eth_returns_usd(n_jobs):
    frame = load_eth().iloc[-320:]
    X, y = make_supervised(frame[["close", "open", "high", "low", "volume"]], "close")
    X_train, X_test, y_train, y_test = chronological_split(X, y, test_size=0.2)
    pipe = Pipeline([
        ("window", SlidingWindow(window_len=10)),
        ("rnn", LSTMRegressor(units=4, epochs=2, batch_size=32, normalize="zero_base",
                              early_stopping=None, validation_fraction=0.0, random_state=0)),
    ])
    search = GridSearchCV(pipe, {"window__window_len": [5, 10], "rnn__units": [4, 8]},
                          cv=TimeSeriesSplit(3), scoring="neg_mean_squared_error",
                          n_jobs=n_jobs)
    search.fit(X_train, y_train)
    assert set(search.best_params_) == {"window__window_len", "rnn__units"}
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    pred = search.best_estimator_.predict(X_test)
    assert pred.shape == y_test.shape
    # USD, on the scale of the data: within 20% of the actual price every day
    ratio = pred / y_test.to_numpy()
    assert np.all((ratio > 0.8) & (ratio < 1.2)), ratio
    # the test windows continue the training frame: the first one is real history
    first = search.best_estimator_["window"].transform(X_test.iloc[:1])[0]
    wl = search.best_params_["window__window_len"]
    np.testing.assert_array_equal(first, X.iloc[len(X_train) - wl + 1: len(X_train) + 1].to_numpy())
