"""
Bitcoin's next close with train / validation / test parts, tuning and per-horizon errors
========================================================================================

The original lab (Chinese lecture "RNN: LSTM, Bi-LSTM, GRU", stock-prediction
walkthrough) splits a stock's prices into training, validation and test data,
builds 3D rolling windows, grows the hidden layers in a loop, scores with
``sklearn.metrics`` and suggests tuning the hidden layers, neurons, window,
epochs and batch size, searching over the input variables and shifting the
input and output dates; this version does all of it on the Binance BTC
candles bundled with skrnn, with a chronological 70/15/15 split (the
validation rows choose, the test rows judge once), the input columns as one
more grid parameter, and the date shift (horizon) reported per horizon rather
than tuned, because a search over horizons would simply pick the easiest
target -- every error stands next to the naive forecast (the last close).

Run ``python docs/examples/plot_stock_tuning.py [OUT_DIR]``; the figure goes to
``OUT_DIR`` (default: ``$SKRNN_EXAMPLE_OUT`` or ``<tmp>/skrnn-examples``).
``SKRNN_EXAMPLE_QUICK=1`` runs a small version in seconds.
"""

import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import (mean_absolute_error, mean_absolute_percentage_error,
                             mean_squared_error, r2_score)
from sklearn.model_selection import PredefinedSplit, RandomizedSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from skrnn import LSTMRegressor, SlidingWindow, chronological_split, make_supervised
from skrnn.datasets import load_btc

#: The input-variable search: which columns go in (the target ``close`` always first).
FEATURE_SETS = {
    "close": ["close"],
    "close+volume": ["close", "volume"],
    "OHLC": ["close", "open", "high", "low"],
    "OHLCV": ["close", "open", "high", "low", "volume"],
}


def select_columns(X, columns):
    """The pipeline step that keeps the chosen input columns."""
    return X[columns]


def three_way_split(X, y, validation=0.15, test=0.15):
    """Chronological train | validation | test parts."""
    X_rest, X_test, y_rest, y_test = chronological_split(X, y, test_size=test)
    X_train, X_val, y_train, y_val = chronological_split(X_rest, y_rest,
                                                         test_size=validation / (1 - test))
    return X_train, X_val, X_test, y_train, y_val, y_test


def main(quick=False, out_dir=None):
    """Tune on the validation part, test once per horizon; returns the tables and the figure."""
    out_dir = Path(out_dir or os.environ.get("SKRNN_EXAMPLE_OUT")
                   or Path(tempfile.gettempdir()) / "skrnn-examples")
    frame = load_btc(start="2024-01-01" if quick else "2019-01-01")
    horizons = (1, 3) if quick else (1, 3, 7)
    X, y = make_supervised(frame, "close", horizon=1)
    X_train, X_val, X_test, y_train, y_val, y_test = three_way_split(X, y)
    print(f"BTC {frame.index[0].date()} .. {frame.index[-1].date()}: {len(X_train)} training, "
          f"{len(X_val)} validation, {len(X_test)} test days")

    pipe = Pipeline([
        ("select", FunctionTransformer(select_columns, kw_args={"columns": FEATURE_SETS["OHLCV"]})),
        ("window", SlidingWindow(10)),
        ("rnn", LSTMRegressor(units=32, dropout=0.1, early_stopping=None, validation_fraction=0.0,
                              calibration_fraction=0.0, random_state=0)),
    ])
    grid = {
        # hidden layers x neurons
        "rnn__units": [(4,), (4, 4)] if quick else [(16,), (64,), (16, 16), (64, 64)],
        "window__window_len": [5, 10] if quick else [5, 10, 20],
        "rnn__epochs": [1, 2] if quick else [20, 50],
        "rnn__batch_size": [16, 64],
        "select__kw_args": [{"columns": cols} for cols in FEATURE_SETS.values()],
    }
    # one fold: fit on the training rows, score on the validation rows (then refit on both)
    X_tv, y_tv = X.loc[:X_val.index[-1]], y.loc[:X_val.index[-1]]
    fold = PredefinedSplit(np.r_[np.full(len(X_train), -1), np.zeros(len(X_val), dtype=int)])
    search = RandomizedSearchCV(pipe, grid, n_iter=2 if quick else 12, cv=fold, random_state=0,
                                scoring="neg_mean_squared_error", refit=True)
    search.fit(X_tv, y_tv)
    best = search.best_params_
    names = {tuple(v): k for k, v in FEATURE_SETS.items()}
    print("validation MSE of the candidates (USD^2):")
    for params, score in zip(search.cv_results_["params"], search.cv_results_["mean_test_score"]):
        print(f"  {-score:>12,.0f}  units={params['rnn__units']}, "
              f"window={params['window__window_len']}, epochs={params['rnn__epochs']}, "
              f"batch={params['rnn__batch_size']}, "
              f"inputs={names[tuple(params['select__kw_args']['columns'])]}")

    rows = []
    predictions = {}
    for h in horizons:
        Xh, yh = make_supervised(frame, "close", horizon=h)
        Xh_train, Xh_val, Xh_test, yh_train, yh_val, yh_test = three_way_split(Xh, yh)
        n_fit = len(Xh_train) + len(Xh_val) - (h - 1)  # no target inside the test period
        model = search.best_estimator_ if h == 1 else clone(search.best_estimator_).fit(
            Xh.iloc[:n_fit], yh.iloc[:n_fit])
        pred = model.predict(Xh_test)
        naive = Xh_test["close"].to_numpy()
        predictions[h] = (Xh_test.index, yh_test.to_numpy(), pred, naive)
        for name, p in (("LSTM (tuned at h=1)", pred), ("naive (last close)", naive)):
            rows.append({"horizon": h, "model": name,
                         "MSE": mean_squared_error(yh_test, p),
                         "MAE": mean_absolute_error(yh_test, p),
                         "R2": r2_score(yh_test, p),
                         "MAPE%": 100 * mean_absolute_percentage_error(yh_test, p)})
    print(f"\nbest: units={best['rnn__units']}, window={best['window__window_len']}, "
          f"epochs={best['rnn__epochs']}, batch={best['rnn__batch_size']}, "
          f"inputs={names[tuple(best['select__kw_args']['columns'])]}")
    print(f"{'h':>3} {'model':<22}{'MSE (USD^2)':>14}{'MAE':>10}{'R2':>8}{'MAPE%':>8}"
          f"{'vs naive':>10}")
    naive_mse = {r["horizon"]: r["MSE"] for r in rows if r["model"].startswith("naive")}
    for r in rows:
        print(f"{r['horizon']:>3} {r['model']:<22}{r['MSE']:>14,.0f}{r['MAE']:>10,.0f}"
              f"{r['R2']:>8.3f}{r['MAPE%']:>8.2f}{r['MSE'] / naive_mse[r['horizon']] - 1:>+10.1%}")

    from skrnn.plotting import load_pyplot

    plt = load_pyplot()
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(12, 4), gridspec_kw={"width_ratios": [2, 1]})
    index, actual, pred, naive = predictions[1]
    days = (index + pd.Timedelta(days=1)).tz_localize(None)  # the day each forecast is for
    ax.plot(days, actual, color="0.4", lw=1, label="close")
    ax.plot(days, pred, lw=1, label="LSTM, one day ahead")
    ax.set(title="Test part, one day ahead", ylabel="USD")
    ax.legend(loc="best")
    ax.grid(alpha=0.3)
    ratio = [r["MSE"] / naive_mse[r["horizon"]] for r in rows if r["model"].startswith("LSTM")]
    bx.bar([str(h) for h in horizons], ratio, color="tab:blue")
    bx.axhline(1.0, color="k", lw=0.8, ls="--", label="naive")
    bx.set(title="Test MSE / naive MSE by horizon", xlabel="horizon (days)")
    bx.legend(loc="best")
    ax.tick_params(axis="x", labelrotation=30)
    fig.tight_layout()
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "stock_tuning.png"
    fig.savefig(path, dpi=110)
    print(f"figure: {path}")
    return {"rows": rows, "best_params": best, "figure": path}


if __name__ == "__main__":
    main(quick=os.environ.get("SKRNN_EXAMPLE_QUICK") == "1",
         out_dir=sys.argv[1] if len(sys.argv) > 1 else None)
