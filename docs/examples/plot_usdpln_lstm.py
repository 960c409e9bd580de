"""
USD/PLN next day from the last 60 days: three stacked LSTMs, scaler inside the pipeline
=======================================================================================

The original lab (Polish lab 6, section 8) scales the whole NBP USD/PLN series
with one ``MinMaxScaler`` before it splits 80/20, trains
``LSTM(50) x 3 -> Dense(1)`` on 60-day windows and draws a 30-day forecast;
this version trains the same network, but keeps the scaler inside the pipeline
(fitted on the training rows only), because a scaler fitted on every row has
seen the test period's minimum and maximum -- a look-ahead the script measures
by training the lab's way too and printing both test errors side by side,
next to the naive forecast (tomorrow = today) and a linear regression on the
same 60 days.

Run ``python docs/examples/plot_usdpln_lstm.py [OUT_DIR]``; the figure goes to
``OUT_DIR`` (default: ``$SKRNN_EXAMPLE_OUT`` or ``<tmp>/skrnn-examples``).
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
from sklearn.metrics import mean_absolute_error, mean_squared_error
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from skrnn import FlattenWindows, LSTMRegressor, SlidingWindow, chronological_split, make_supervised
from skrnn.datasets import load_usdpln


def lab_network(units, epochs):
    """The lab's network: three LSTM(units) layers, dropout 0.2 after each, Dense(1); Adam, MSE."""
    return LSTMRegressor(units=(units, units, units), dropout=0.2, epochs=epochs, batch_size=32,
                         optimizer="adam", loss="mse", normalize=None,  # the data come scaled
                         early_stopping=None, validation_fraction=0.0, calibration_fraction=0.0,
                         random_state=0)


def main(quick=False, out_dir=None):
    """Fit, compare with the lab's scaling, forecast 30 days; returns the numbers and the figure."""
    out_dir = Path(out_dir or os.environ.get("SKRNN_EXAMPLE_OUT")
                   or Path(tempfile.gettempdir()) / "skrnn-examples")
    window, units, epochs = (20, 8, 2) if quick else (60, 50, 20)
    start = "2023-01-01" if quick else "2021-01-01"  # the lab: NBP rates 2021-2024
    close = load_usdpln(start=start)[["close"]]  # PLN per USD, business days
    X, y = make_supervised(close, target="close", horizon=1)  # y[t] = close[t + 1]
    X_train, X_test, y_train, y_test = chronological_split(X, y, test_size=0.2)
    print(f"USD/PLN {close.index[0].date()} .. {close.index[-1].date()}: {len(X_train)} training "
          f"rows, {len(X_test)} test rows, windows of {window} days")

    # skrnn: the scalers are steps of the model, fitted on the training rows only
    # (set_output keeps the dates, so the test windows continue the training rows)
    model = TransformedTargetRegressor(
        regressor=make_pipeline(MinMaxScaler().set_output(transform="pandas"),
                                SlidingWindow(window), lab_network(units, epochs)),
        transformer=MinMaxScaler())
    model.fit(X_train, y_train.to_frame())
    pred = model.predict(X_test)  # PLN

    # the lab: one MinMaxScaler fitted on every row, test period included
    leaky = MinMaxScaler().fit(close)
    X_all = pd.DataFrame(leaky.transform(X), index=X.index, columns=X.columns)
    y_all = leaky.transform(y.to_frame().rename(columns={y.name: "close"})).ravel()
    Xs_train, Xs_test, ys_train, _ = chronological_split(X_all, y_all, test_size=0.2)
    lab = make_pipeline(SlidingWindow(window), lab_network(units, epochs)).fit(Xs_train, ys_train)
    pred_lab = leaky.inverse_transform(lab.predict(Xs_test).reshape(-1, 1)).ravel()

    naive = X_test["close"].to_numpy()  # tomorrow = today
    linear = make_pipeline(SlidingWindow(window), FlattenWindows(), LinearRegression())
    linear.fit(X_train, y_train)  # an autoregression on the same days
    preds = {"LSTM, scaler in the pipeline": pred, "LSTM, lab's fit-on-all scaler": pred_lab,
             "naive (last value)": naive, "linear on the window": linear.predict(X_test)}
    mse = {name: mean_squared_error(y_test, p) for name, p in preds.items()}
    print(f"\n{'test part':<32}{'MSE (PLN^2)':>14}{'MAE (PLN)':>11}{'vs naive':>10}")
    for name, p in preds.items():
        print(f"{name:<32}{mse[name]:>14.3e}{mean_absolute_error(y_test, p):>11.5f}"
              f"{mse[name] / mse['naive (last value)'] - 1:>+10.1%}")
    gap = mse["LSTM, lab's fit-on-all scaler"] / mse["LSTM, scaler in the pipeline"] - 1
    train_range = (X_train["close"].min(), X_train["close"].max())
    print(f"\nScaler fitted on all rows vs inside the pipeline: test MSE {gap:+.1%}. Training "
          f"rows span {train_range[0]:.4f} .. {train_range[1]:.4f} PLN, all rows "
          f"{close['close'].min():.4f} .. {close['close'].max():.4f}.")
    if np.allclose(leaky.data_min_, X_train["close"].min()) and np.allclose(
            leaky.data_max_, X_train["close"].max()):
        print("Both extremes lie in the training rows, so here the two scalings coincide and the "
              "look-ahead changes nothing; on a series that leaves its training range the "
              "all-rows scaler would hand the network the test period's range in advance.")

    # 30 business days beyond the data, each forecast fed back as the newest value
    history = close.copy()
    future = pd.bdate_range(close.index[-1] + pd.Timedelta(days=1), periods=30, tz=close.index.tz)
    for day in future:
        step = model.predict(history.iloc[-window:])[-1]  # the last row's window is complete
        history.loc[day] = step
    forecast = history["close"].loc[future]
    print(f"30-day forecast: {forecast.iloc[0]:.4f} .. {forecast.iloc[-1]:.4f} PLN "
          f"(last rate {close['close'].iloc[-1]:.4f})")

    from skrnn.plotting import load_pyplot

    plt = load_pyplot()
    fig, ax = plt.subplots(figsize=(10, 4.5))
    dates = X_test.index + pd.tseries.offsets.BDay(1)  # y[t] is the next business day's rate
    ax.plot(close.index.tz_localize(None), close["close"], color="0.6", lw=0.8, label="USD/PLN")
    ax.plot(dates.tz_localize(None), pred, lw=1, label="LSTM, scaler in the pipeline")
    ax.plot(dates.tz_localize(None), pred_lab, lw=1, ls="--", label="LSTM, lab's scaling")
    ax.plot(future.tz_localize(None), forecast, color="tab:red", lw=1.5, label="30-day forecast")
    ax.axvline(X_test.index[0].tz_localize(None), color="k", lw=0.6, ls=":")
    ax.set(title=f"USD/PLN next day from the last {window} days", ylabel="PLN per USD")
    ax.legend(loc="best")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "usdpln_lstm.png"
    fig.savefig(path, dpi=110)
    print(f"figure: {path}")
    return {"mse": mse, "look_ahead_gap": gap, "forecast": forecast.to_numpy(), "figure": path}


if __name__ == "__main__":
    main(quick=os.environ.get("SKRNN_EXAMPLE_QUICK") == "1",
         out_dir=sys.argv[1] if len(sys.argv) > 1 else None)
