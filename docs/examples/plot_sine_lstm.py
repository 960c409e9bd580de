"""
A noisy sine, one step ahead with a small LSTM(8)
=================================================

The original exercise (Polish lab 6, task 9) generates
``np.sin(np.arange(500)) + 0.4 * np.random.rand(500)``, cuts it into windows,
splits it and fits ``LSTM(8) -> Dense(1)``; this version does the same with
a seeded generator (so the numbers repeat) and a chronological 80/20 split
(a random split would put future points into training), and prints the
network's error next to the naive forecast, a linear autoregression on the
same window -- which this signal favours, since ``sin(t + 1)`` is exactly
``2 cos(1) sin(t) - sin(t - 1)`` -- and the noise floor (the variance of the
added noise, 0.4² / 12), which no forecast can beat.

Run ``python docs/examples/plot_sine_lstm.py [OUT_DIR]``; the figure goes to
``OUT_DIR`` (default: ``$SKRNN_EXAMPLE_OUT`` or ``<tmp>/skrnn-examples``).
``SKRNN_EXAMPLE_QUICK=1`` runs a small version in seconds.
"""

import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_squared_error
from sklearn.pipeline import make_pipeline

from skrnn import FlattenWindows, LSTMRegressor, SlidingWindow, chronological_split, make_supervised


def main(quick=False, out_dir=None):
    """Fit and score the LSTM and the baselines; returns the MSEs and the figure path."""
    out_dir = Path(out_dir or os.environ.get("SKRNN_EXAMPLE_OUT")
                   or Path(tempfile.gettempdir()) / "skrnn-examples")
    rng = np.random.default_rng(0)
    series = np.sin(np.arange(500)) + 0.4 * rng.random(500)
    window = 10
    X, y = make_supervised(pd.DataFrame({"x": series}), "x", horizon=1)  # y[t] = x[t + 1]
    X_train, X_test, y_train, y_test = chronological_split(X, y, test_size=0.2)

    # the series crosses zero, so each window is standardised ("auto" picks
    # "standard"); predictions come back in the series' units
    lstm = make_pipeline(SlidingWindow(window),
                         LSTMRegressor(units=8, dropout=0.0, epochs=5 if quick else 200,
                                       batch_size=16, early_stopping=20, random_state=0))
    lstm.fit(X_train, y_train)
    linear = make_pipeline(SlidingWindow(window), FlattenWindows(), LinearRegression())
    linear.fit(X_train, y_train)
    preds = {"LSTM(8)": lstm.predict(X_test), "naive (last value)": X_test["x"].to_numpy(),
             "linear on the window": linear.predict(X_test)}
    mse = {name: mean_squared_error(y_test, p) for name, p in preds.items()}
    floor = 0.4 ** 2 / 12
    print(f"{'test part (100 points)':<26}{'MSE':>9}{'vs naive':>10}")
    for name, value in mse.items():
        print(f"{name:<26}{value:>9.4f}{value / mse['naive (last value)'] - 1:>+10.1%}")
    print(f"{'noise floor 0.4^2/12':<26}{floor:>9.4f}")

    from skrnn.plotting import load_pyplot

    plt = load_pyplot()
    fig, ax = plt.subplots(figsize=(10, 4))
    t_test = np.arange(len(y_train) + 1, len(series))
    ax.plot(np.arange(len(series)), series, color="0.6", lw=0.8, label="series")
    ax.plot(t_test, preds["LSTM(8)"], lw=1.2, label="LSTM(8), test part")
    ax.plot(t_test, preds["linear on the window"], lw=1, ls="--", label="linear, test part")
    ax.axvline(t_test[0], color="k", lw=0.6, ls=":")
    ax.set(title="sin(t) + 0.4 uniform noise: one step ahead", xlabel="t")
    ax.legend(loc="lower left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "sine_lstm.png"
    fig.savefig(path, dpi=110)
    print(f"figure: {path}")
    return {"mse": mse, "noise_floor": floor, "figure": path}


if __name__ == "__main__":
    main(quick=os.environ.get("SKRNN_EXAMPLE_QUICK") == "1",
         out_dir=sys.argv[1] if len(sys.argv) > 1 else None)
