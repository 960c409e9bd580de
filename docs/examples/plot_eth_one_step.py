"""
Ethereum one day ahead, with a calibrated 90 % interval
=======================================================

Tomorrow's ETH close from the last 10 days of closes: an LSTM in a
``Pipeline`` after ``SlidingWindow``, scored on the last 20 % of the days (a
chronological split), next to the naive forecast (tomorrow = today) and a
linear regression on the same windows. Every forecast gets a calibrated 90 %
interval (``predict_interval``): the network's errors on the last training
windows, held out of training, set its width, scaled by each window's
volatility (how much its last days moved). The script prints the band's
test coverage next to its median width, and both next to the random-walk
band (today's close moved by the 5th and 95th percentiles of the training
days' relative moves), the interval a forecast should at least match.

Run ``python docs/examples/plot_eth_one_step.py [OUT_DIR]``; the figure goes to
``OUT_DIR`` (default: ``$SKRNN_EXAMPLE_OUT`` or ``<tmp>/skrnn-examples``).
``SKRNN_EXAMPLE_QUICK=1`` runs a small version in seconds.
"""

import os
import sys
import tempfile
from pathlib import Path

import numpy as np
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_squared_error
from sklearn.pipeline import make_pipeline

from skrnn import FlattenWindows, LSTMRegressor, SlidingWindow, chronological_split, make_supervised
from skrnn.datasets import load_eth


def main(quick=False, out_dir=None):
    """Fit, score and band the one-step forecasts; returns the figures and the figure path."""
    out_dir = Path(out_dir or os.environ.get("SKRNN_EXAMPLE_OUT")
                   or Path(tempfile.gettempdir()) / "skrnn-examples")
    units, epochs = (8, 3) if quick else (32, 40)
    frame = load_eth(start="2019-06-01" if quick else None)[["close"]]
    X, y = make_supervised(frame, target="close", horizon=1)  # y[t] = close[t + 1]
    X_train, X_test, y_train, y_test = chronological_split(X, y, test_size=0.2)
    print(f"ETH close {frame.index[0].date()} .. {frame.index[-1].date()}: {len(X_train)} training "
          f"days, {len(X_test)} test days from {X_test.index[0].date()}")

    # "auto" scales every window by its last close (prices are positive): the
    # network predicts tomorrow's relative move, which repeats across price levels
    lstm = make_pipeline(SlidingWindow(10),
                         LSTMRegressor(units=units, dropout=0.1, epochs=epochs, batch_size=32,
                                       early_stopping=10, random_state=0))
    lstm.fit(X_train, y_train)
    linear = make_pipeline(SlidingWindow(10), FlattenWindows(), LinearRegression()).fit(X_train, y_train)
    naive = X_test["close"].to_numpy()
    preds = {"LSTM": lstm.predict(X_test), "naive (last value)": naive,
             "linear on the window": linear.predict(X_test)}
    mse = {name: mean_squared_error(y_test, p) for name, p in preds.items()}
    print(f"{'test part':<24}{'MSE (USD^2)':>13}{'vs naive':>10}")
    for name, value in mse.items():
        print(f"{name:<24}{value:>13,.1f}{value / mse['naive (last value)'] - 1:>+10.1%}")

    # the calibrated band of the network (the pipeline's windows, then the network)
    lower, upper = lstm[-1].predict_interval(lstm[:-1].transform(X_test), coverage=0.9)
    moves = np.diff(X_train["close"].to_numpy()) / X_train["close"].to_numpy()[:-1]
    lo_move, hi_move = np.quantile(moves, [0.05, 0.95])
    bands = {"LSTM, calibrated": (lower, upper),
             "random walk": (naive * (1 + lo_move), naive * (1 + hi_move))}
    y_true = y_test.to_numpy()
    coverage = {name: float(np.mean((y_true >= lo) & (y_true <= hi))) for name, (lo, hi) in bands.items()}
    width = {name: float(np.median(hi - lo)) for name, (lo, hi) in bands.items()}
    print(f"{'90 % band':<24}{'covers':>13}{'median width (USD)':>20}")
    for name in bands:
        print(f"{name:<24}{coverage[name]:>13.1%}{width[name]:>20.1f}")

    from skrnn.plotting import load_pyplot

    plt = load_pyplot()
    fig, ax = plt.subplots(figsize=(10, 4))
    last = slice(-60, None)  # the last 60 test days, where the band can be seen
    days = y_test.index[last].tz_localize(None) + np.timedelta64(1, "D")  # the day forecast
    ax.fill_between(days, lower[last], upper[last], color="C0", alpha=0.25,
                    label="LSTM, calibrated 90 % band")
    ax.plot(days, y_true[last], color="k", lw=1, label="close")
    ax.plot(days, preds["LSTM"][last], color="C0", lw=1.2, label="LSTM")
    ax.plot(days, naive[last], color="C1", lw=1, ls="--", label="naive (last value)")
    ax.set(title="ETH close one day ahead, last 60 test days", ylabel="USD")
    ax.legend(loc="upper left")
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "eth_one_step.png"
    fig.savefig(path, dpi=110)
    print(f"figure: {path}")
    return {"mse": mse, "coverage": coverage, "width": width, "figure": path}


if __name__ == "__main__":
    main(quick=os.environ.get("SKRNN_EXAMPLE_QUICK") == "1",
         out_dir=sys.argv[1] if len(sys.argv) > 1 else None)
