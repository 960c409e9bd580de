"""
USD/PLN from its own past only: a simple RNN against an LSTM on the same split
==============================================================================

The original lecture project (Polish RNN/LSTM lecture, "Projekt 6") feeds only
the series' own values into a Keras ``SimpleRNN`` and then an ``LSTM``
(EUR/PLN from stooq, about 70 % training and 30 % test) and plots the
predictions on both parts; this version uses the USD/PLN series that ships
with skrnn (skrnn has no EUR/PLN), trains both cells with the same windows,
split, seed and epochs so that the cell is the only difference, scales each
window by its last value (``normalize="auto"``: the networks learn relative
moves, so a test period above the training range is no problem) and prints
both next to the naive forecast and a linear autoregression, because a
next-day exchange rate is hard to beat.

Run ``python docs/examples/plot_usdpln_rnn_vs_lstm.py [OUT_DIR]``; the figure
goes to ``OUT_DIR`` (default: ``$SKRNN_EXAMPLE_OUT`` or
``<tmp>/skrnn-examples``). ``SKRNN_EXAMPLE_QUICK=1`` runs a small version.
"""

import os
import sys
import tempfile
from pathlib import Path

import pandas as pd
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_absolute_error, mean_squared_error
from sklearn.pipeline import make_pipeline

from skrnn import (FlattenWindows, LSTMRegressor, SimpleRNNRegressor, SlidingWindow,
                   chronological_split, make_supervised)
from skrnn.datasets import load_usdpln


def main(quick=False, out_dir=None):
    """Fit both cells and the baselines; returns the test MSEs and the figure path."""
    out_dir = Path(out_dir or os.environ.get("SKRNN_EXAMPLE_OUT")
                   or Path(tempfile.gettempdir()) / "skrnn-examples")
    window = 20
    close = load_usdpln(start="2023-06-01" if quick else "2019-01-01")[["close"]]
    X, y = make_supervised(close, "close", horizon=1)  # only the series goes in
    X_train, X_test, y_train, y_test = chronological_split(X, y, test_size=0.3)
    print(f"USD/PLN {close.index[0].date()} .. {close.index[-1].date()}: {len(X_train)} training "
          f"and {len(X_test)} test days, windows of {window} days")

    common = dict(units=4 if quick else 32, dropout=0.1, epochs=2 if quick else 100,
                  early_stopping=10, random_state=0)
    models = {
        "SimpleRNN": make_pipeline(SlidingWindow(window), SimpleRNNRegressor(**common)),
        "LSTM": make_pipeline(SlidingWindow(window), LSTMRegressor(**common)),
        "linear on the window": make_pipeline(SlidingWindow(window), FlattenWindows(),
                                              LinearRegression()),
    }
    train_pred, test_pred = {}, {}
    for name, model in models.items():
        model.fit(X_train, y_train)
        train_pred[name] = model.predict(X_train)
        test_pred[name] = model.predict(X_test)
    test_pred["naive (last value)"] = X_test["close"].to_numpy()
    mse = {name: mean_squared_error(y_test, p) for name, p in test_pred.items()}
    print(f"\n{'test part':<24}{'MSE (PLN^2)':>13}{'MAE (PLN)':>11}{'vs naive':>10}")
    for name, p in test_pred.items():
        print(f"{name:<24}{mse[name]:>13.3e}{mean_absolute_error(y_test, p):>11.5f}"
              f"{mse[name] / mse['naive (last value)'] - 1:>+10.1%}")

    from skrnn.plotting import load_pyplot

    plt = load_pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(12, 4), sharey=True)
    for ax, part, Xp, yp, preds in ((axes[0], "training", X_train, y_train, train_pred),
                                    (axes[1], "test", X_test, y_test, test_pred)):
        dates = (Xp.index + pd.tseries.offsets.BDay(1)).tz_localize(None)
        ax.plot(dates, yp.to_numpy(), color="0.5", lw=1, label="USD/PLN")
        for name in ("SimpleRNN", "LSTM"):
            ax.plot(dates, preds[name], lw=0.9, label=name)
        ax.set(title=f"{part} part", ylabel="PLN per USD")
        ax.legend(loc="best")
        ax.grid(alpha=0.3)
    fig.suptitle("USD/PLN next day from the last 20 days: simple RNN vs LSTM")
    fig.autofmt_xdate()
    fig.tight_layout()
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "usdpln_rnn_vs_lstm.png"
    fig.savefig(path, dpi=110)
    print(f"figure: {path}")
    return {"mse": mse, "figure": path}


if __name__ == "__main__":
    main(quick=os.environ.get("SKRNN_EXAMPLE_QUICK") == "1",
         out_dir=sys.argv[1] if len(sys.argv) > 1 else None)
