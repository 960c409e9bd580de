"""Many series, one model: one network on ETH + BTC against one network per series.

Trains ``RNNForecaster`` on the panel of the ETH and BTC daily closes
(2018-2020) once as one global network (the windows of both series pooled)
and once per series (what a loop over the series, e.g. sktime's
vectorisation, does), with the same network and epochs. Prints the fit time
of each and the one-step MAE per series over January-March 2021 (rolled
forward with ``update``, no refit) next to the naive forecast's.

    python benchmarks/bench_global_model.py [--units 16] [--epochs 20] [--quick]
"""

from __future__ import annotations

import argparse
import time
import warnings

import _common as c  # noqa: F401  (puts the checkout first on sys.path)
import numpy as np
import pandas as pd


def one_step_mae(forecaster, test, tickers):
    """One-step MAE per ticker over ``test`` (a panel), rolled forward with update."""
    errors = {t: [] for t in tickers}
    for day in test.index.get_level_values("date").unique():
        pred = forecaster.predict(fh=[1])["close"].droplevel("date")
        row = test.xs(day, level="date", drop_level=False)
        for t in tickers:
            errors[t].append(abs(pred[t] - row.loc[t, "close"].iloc[0]))
        forecaster.update(row)
    return {t: float(np.mean(e)) for t, e in errors.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--window-len", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="2 epochs, 4 units")
    args = parser.parse_args(argv)
    if args.quick:
        args.units, args.epochs = 4, 2

    warnings.simplefilter("ignore", FutureWarning)
    from skrnn import LSTMRegressor
    from skrnn.datasets import load_btc, load_eth
    from skrnn.forecasting import RNNForecaster

    start, end = "2018-01-01", "2021-03-31"
    y = pd.concat({"ETH": load_eth(start=start, end=end)[["close"]],
                   "BTC": load_btc(start=start, end=end)[["close"]]}, names=["ticker", "date"])
    dates = y.index.get_level_values("date")
    train, test = y[dates <= "2020-12-31"], y[dates > "2020-12-31"]
    tickers = ["ETH", "BTC"]

    def forecaster():
        return RNNForecaster(LSTMRegressor(units=args.units, epochs=args.epochs, random_state=0),
                             window_len=args.window_len, normalize="last_value", random_state=0)

    rows = []
    t0 = time.perf_counter()
    joint = forecaster().fit(train)
    fit_joint = time.perf_counter() - t0
    rows.append(("one network, both series", fit_joint, one_step_mae(joint, test, tickers)))

    fit_each, mae_each = 0.0, {}
    for t in tickers:
        t0 = time.perf_counter()
        single = forecaster().fit(train.loc[[t]])  # a panel of one series
        fit_each += time.perf_counter() - t0
        mae_each.update(one_step_mae(single, test.loc[[t]], [t]))
    rows.append(("one network per series", fit_each, mae_each))

    last = train.groupby(level="ticker")["close"].last()
    naive = {}
    for t in tickers:
        actual = test.loc[t, "close"].to_numpy()
        naive[t] = float(np.mean(np.abs(actual - np.r_[last[t], actual[:-1]])))
    print(f"{len(train) // 2} training days per series, {len(test) // 2} test days, "
          f"LSTM({args.units}), window {args.window_len}, {args.epochs} epochs")
    print(f"{'model':28s} {'fit (s)':>8s} {'MAE ETH':>9s} {'MAE BTC':>9s}")
    for name, seconds, mae in rows:
        print(f"{name:28s} {seconds:8.1f} {mae['ETH']:9.2f} {mae['BTC']:9.1f}")
    print(f"{'naive (last value)':28s} {'':8s} {naive['ETH']:9.2f} {naive['BTC']:9.1f}")


if __name__ == "__main__":
    main()
