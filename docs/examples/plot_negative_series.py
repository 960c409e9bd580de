"""
A series with negative values: standard scaling instead of zero-base
====================================================================

Zero-base scaling (``x / x0 - 1``) and last-value scaling (``x / x_last - 1``)
read every value as a multiple of another; for a series that crosses zero
those ratios explode near zero and flip sign across it, so they do not
apply. ``normalize="auto"`` sees a training value that is not strictly
positive and standardises the windows instead, with a mean and sd fitted on
the training windows (``"standard"``); a ``StandardScaler`` fitted in the
pipeline does the same job the scikit-learn way. The series is seeded and
synthetic: a noisy logistic map moved down by 0.5 (values in -0.5 .. 0.5, a
nonlinear rule a network can learn and a linear model cannot). Both networks
are scored on the last 20 % next to the naive forecast and a linear
regression on the same windows.

Run ``python docs/examples/plot_negative_series.py [OUT_DIR]``; the figure goes
to ``OUT_DIR`` (default: ``$SKRNN_EXAMPLE_OUT`` or ``<tmp>/skrnn-examples``).
``SKRNN_EXAMPLE_QUICK=1`` runs a small version in seconds.
"""

import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import TransformedTargetRegressor
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_squared_error
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skrnn import FlattenWindows, LSTMRegressor, SlidingWindow, chronological_split, make_supervised


def logistic_map(n, seed=0):
    """``x[t+1] = 3.8 x[t] (1 - x[t])`` plus noise (sd 0.02), kept in (0, 1), minus 0.5."""
    rng = np.random.default_rng(seed)
    x = np.empty(n)
    x[0] = 0.3
    for t in range(n - 1):
        x[t + 1] = np.clip(3.8 * x[t] * (1 - x[t]) + rng.normal(0, 0.02), 0.001, 0.999)
    return x - 0.5


def main(quick=False, out_dir=None):
    """Fit both networks and the baselines; returns the MSEs, the chosen scaling and the figure."""
    out_dir = Path(out_dir or os.environ.get("SKRNN_EXAMPLE_OUT")
                   or Path(tempfile.gettempdir()) / "skrnn-examples")
    n, units, epochs = (600, 16, 8) if quick else (1500, 32, 100)
    frame = pd.DataFrame({"x": logistic_map(n)})
    X, y = make_supervised(frame, "x", horizon=1)  # y[t] = x[t + 1]
    X_train, X_test, y_train, y_test = chronological_split(X, y, test_size=0.2)
    x0 = np.abs(X_train["x"].to_numpy())
    print(f"{n} values in {frame['x'].min():.2f} .. {frame['x'].max():.2f}; "
          f"{np.mean(frame['x'] < 0):.0%} negative; the smallest |x| is {x0.min():.4f}, so a "
          f"zero-base ratio can reach {np.abs(X_train['x']).max() / x0.min():,.0f}")

    def network(normalize):
        return LSTMRegressor(units=units, dropout=0.0, epochs=epochs, batch_size=16,
                             early_stopping=20, normalize=normalize, random_state=0)

    auto = make_pipeline(SlidingWindow(5), network("auto")).fit(X_train, y_train)
    chosen = type(auto[-1].scaler_).__name__
    print(f'normalize="auto" chose {chosen} (a value <= 0 in the training windows)')
    # the scikit-learn way: a scaler fitted on the training rows, inverted on the predictions
    scaled = TransformedTargetRegressor(
        make_pipeline(StandardScaler().set_output(transform="pandas"), SlidingWindow(5),
                      network(None)),
        transformer=StandardScaler()).fit(X_train, y_train)
    linear = make_pipeline(SlidingWindow(5), FlattenWindows(), LinearRegression()).fit(X_train, y_train)
    preds = {'LSTM, normalize="auto"': auto.predict(X_test),
             "LSTM, StandardScaler in the pipeline": scaled.predict(X_test),
             "naive (last value)": X_test["x"].to_numpy(),
             "linear on the window": linear.predict(X_test)}
    mse = {name: mean_squared_error(y_test, p) for name, p in preds.items()}
    print(f"{'test part (' + str(len(y_test)) + ' steps)':<40}{'MSE':>9}{'vs naive':>10}")
    for name, value in mse.items():
        print(f"{name:<40}{value:>9.4f}{value / mse['naive (last value)'] - 1:>+10.1%}")

    from skrnn.plotting import load_pyplot

    plt = load_pyplot()
    fig, (ax, ax_map) = plt.subplots(1, 2, figsize=(11, 4), gridspec_kw={"width_ratios": [2, 1]})
    t = np.arange(len(y_train) + 1, n)[-80:]
    ax.plot(t, y_test.to_numpy()[-80:], color="k", lw=1, marker=".", label="x")
    ax.plot(t, preds['LSTM, normalize="auto"'][-80:], lw=1.2, label='LSTM, normalize="auto"')
    ax.plot(t, preds["naive (last value)"][-80:], lw=1, ls="--", label="naive (last value)")
    ax.axhline(0, color="0.5", lw=0.6)
    ax.set(title="Noisy logistic map - 0.5: the last 80 test steps", xlabel="t")
    ax.legend(loc="lower left", fontsize=8)
    ax.grid(alpha=0.3)
    ax_map.scatter(X_test["x"], y_test, s=6, color="k", label="x[t+1]")
    ax_map.scatter(X_test["x"], preds['LSTM, normalize="auto"'], s=6, label="LSTM")
    ax_map.scatter(X_test["x"], preds["linear on the window"], s=6, label="linear")
    ax_map.set(title="next value against the last one", xlabel="x[t]", ylabel="x[t+1]")
    ax_map.legend(loc="lower center", fontsize=8)
    ax_map.grid(alpha=0.3)
    fig.tight_layout()
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "negative_series.png"
    fig.savefig(path, dpi=110)
    print(f"figure: {path}")
    return {"mse": mse, "chosen_scaling": chosen, "figure": path}


if __name__ == "__main__":
    main(quick=os.environ.get("SKRNN_EXAMPLE_QUICK") == "1",
         out_dir=sys.argv[1] if len(sys.argv) > 1 else None)
