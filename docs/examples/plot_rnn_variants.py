"""
Recurrent cells of the RNN theory notes, with and without per-series scaling
============================================================================

The original notes (Russian lecture "RNN", theory only) present the simple
RNN, LSTM, GRU, bidirectional and stacked networks and advise scaling the data
(MinMaxScaler, StandardScaler), each series on its own; this version trains
every one of those networks as a skrnn estimator on the same windows of two
series of very different size (the ETH and BTC daily closes, forecasting
tomorrow's ETH close), prints their weights and test errors next to the naive
forecast and a linear model, and trains the LSTM twice more -- standardised
per series with a mean and sd fitted on the training days, and unscaled -- to
measure the scaling advice, since prices that leave their training range
defeat a scaler fitted once, which is why skrnn scales each window by its
last value instead. The peephole LSTM of the notes is absent: Keras 3 has no
peephole cell, see docs/labs.md.

Run ``python docs/examples/plot_rnn_variants.py [OUT_DIR]``; the figure goes to
``OUT_DIR`` (default: ``$SKRNN_EXAMPLE_OUT`` or ``<tmp>/skrnn-examples``).
``SKRNN_EXAMPLE_QUICK=1`` runs a small version in seconds.
"""

import os
import sys
import tempfile
from pathlib import Path

from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_squared_error
from sklearn.pipeline import make_pipeline

from skrnn import (FlattenWindows, GRURegressor, LSTMRegressor, SimpleRNNRegressor, SlidingWindow,
                   chronological_split, make_supervised)
from skrnn.datasets import load_eth


def main(quick=False, out_dir=None):
    """Train every variant; returns the test MSEs, the weights and the figure path."""
    out_dir = Path(out_dir or os.environ.get("SKRNN_EXAMPLE_OUT")
                   or Path(tempfile.gettempdir()) / "skrnn-examples")
    frame = load_eth(sentiment=None, onchain=False, btc=True,
                     start="2025-01-01" if quick else "2020-01-01")[["close", "btc_close"]]
    X, y = make_supervised(frame, "close", horizon=1)  # tomorrow's ETH close
    X_train, X_test, y_train, y_test = chronological_split(X, y, test_size=0.2)
    print(f"ETH and BTC closes {frame.index[0].date()} .. {frame.index[-1].date()}; training "
          f"means: ETH {X_train['close'].mean():,.0f}, BTC {X_train['btc_close'].mean():,.0f} USD")

    units = 4 if quick else 32
    # normalize="auto" is "last_value" for positive series: every window and every series
    # divided by its own last value (the network sees relative moves); predictions in USD
    common = dict(dropout=0.1, epochs=2 if quick else 60, early_stopping=10, normalize="auto",
                  random_state=0)
    nets = {
        "SimpleRNN": SimpleRNNRegressor(units=units, **common),
        "LSTM": LSTMRegressor(units=units, **common),
        "GRU": GRURegressor(units=units, **common),
        "bidirectional LSTM": LSTMRegressor(units=units, bidirectional=True, **common),
        "2 stacked LSTMs": LSTMRegressor(units=(units, units), **common),
        # the notes' advice: (x - mean) / sd per series, fitted once on the training windows
        "LSTM, standardised": LSTMRegressor(units=units, **{**common, "normalize": "standard"}),
        "LSTM, unscaled": LSTMRegressor(units=units, **{**common, "normalize": None}),
    }
    window = 10
    preds, weights = {}, {}
    for name, net in nets.items():
        model = make_pipeline(SlidingWindow(window), net).fit(X_train, y_train)
        preds[name] = model.predict(X_test)
        weights[name] = net.model_.count_params()
    linear = make_pipeline(SlidingWindow(window), FlattenWindows(), LinearRegression())
    preds["linear on the window"] = linear.fit(X_train, y_train).predict(X_test)
    preds["naive (last value)"] = X_test["close"].to_numpy()
    mse = {name: mean_squared_error(y_test, p) for name, p in preds.items()}
    print(f"\n{'test part':<24}{'weights':>8}{'MSE (USD^2)':>14}{'vs naive':>10}")
    for name in preds:
        print(f"{name:<24}{weights.get(name, ''):>8}{mse[name]:>14,.0f}"
              f"{mse[name] / mse['naive (last value)'] - 1:>+10.1%}")
    print("Peephole LSTM: not available (Keras 3 has no peephole cell; see docs/labs.md).")

    from skrnn.plotting import load_pyplot

    plt = load_pyplot()
    fig, ax = plt.subplots(figsize=(9, 4))
    names = list(preds)
    ratio = [mse[n] / mse["naive (last value)"] for n in names]
    ax.barh(names, ratio, color=["tab:blue"] * len(nets) + ["tab:gray", "tab:gray"])
    ax.axvline(1.0, color="k", lw=0.8, ls="--")
    ax.set_xscale("log")
    ax.invert_yaxis()
    ax.set(title="Test MSE / naive MSE, ETH close one day ahead (log scale)", xlabel="ratio")
    ax.grid(alpha=0.3, axis="x")
    fig.tight_layout()
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "rnn_variants.png"
    fig.savefig(path, dpi=110)
    print(f"figure: {path}")
    return {"mse": mse, "weights": weights, "figure": path}


if __name__ == "__main__":
    main(quick=os.environ.get("SKRNN_EXAMPLE_QUICK") == "1",
         out_dir=sys.argv[1] if len(sys.argv) > 1 else None)
