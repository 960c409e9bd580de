"""Rolling-origin evaluation without refit: one batched call vs a loop.

One-step-ahead forecasts of the ETH close over the last 20% of the series
from a network trained once on the first 80% (no refit), computed three ways:

1. ``RNNForecaster.predict_rolling(y_test, fh=1)``: every origin's window cut
   at once with stride tricks, one batched network call;
2. a loop of ``predict(fh=1)`` + ``update(new_day, update_params=False)``;
3. sktime's own loop, ``update_predict(y_test, cv=ExpandingWindowSplitter(fh=1))``.

The script checks the three give the same forecasts and prints the times.

    python benchmarks/bench_rolling_origin.py [--units 64] [--epochs 3] [--quick]
"""

from __future__ import annotations

import argparse
import warnings
from copy import deepcopy

import _common as c  # noqa: F401  (puts the checkout first on sys.path)
import numpy as np
import pandas as pd


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=64, help="LSTM units (default 64)")
    parser.add_argument("--epochs", type=int, default=3,
                        help="training epochs; only the forecasting is timed (default 3)")
    parser.add_argument("--window-len", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="last 400 days only")
    args = parser.parse_args(argv)

    warnings.simplefilter("ignore", FutureWarning)
    from sktime.split import ExpandingWindowSplitter

    from skrnn import LSTMRegressor
    from skrnn.datasets import load_eth
    from skrnn.forecasting import RNNForecaster

    close = load_eth()["close"]
    if args.quick:
        close = close.iloc[-400:]
    n_train = int(round(0.8 * len(close)))
    y_train, y_test = close.iloc[:n_train], close.iloc[n_train:]
    c.header("rolling-origin one-step forecasts, no refit", series=len(close),
             train=len(y_train), origins=len(y_test), window_len=args.window_len,
             units=args.units)
    c.versions("numpy", "pandas", "sktime", "tensorflow", "keras")

    net = LSTMRegressor(units=args.units, epochs=args.epochs, early_stopping=None,
                        validation_fraction=0.0, random_state=0)
    f = RNNForecaster(net, window_len=args.window_len, normalize="zero_base")
    t_fit, _ = c.wall(lambda: f.fit(y_train))
    print(f"fit (once, not part of the comparison): {c.fmt_time(t_fit)}; loops timed once")

    # forecasts made at the last training day and every test day but the
    # last, for the test days 1..n
    origins = y_test.index[:-1].insert(0, y_train.index[-1])

    def batched():
        return f.predict_rolling(y_test, fh=1, origins=origins)

    def loop():
        g = deepcopy(f)
        out = []
        for i in range(len(y_test)):
            out.append(float(g.predict(fh=1).iloc[0]))
            g.update(y_test.iloc[[i]], update_params=False)
        return np.array(out)

    def sktime_loop():
        g = deepcopy(f)
        cv = ExpandingWindowSplitter(fh=1, initial_window=1, step_length=1)
        return g.update_predict(y_test, cv=cv, update_params=False, reset_forecaster=True)

    pred_batch = batched()  # warm-up: builds the batched predict function once
    t_batch = c.best_of(batched, repeat=5)
    t_loop, pred_loop = c.wall(loop)
    t_sk, pred_sk = c.wall(sktime_loop)

    pb = pred_batch.to_numpy().ravel()
    ps = pd.Series(pred_sk.to_numpy().ravel(), index=pred_sk.index)
    # update_predict forecasts from every test day except the last training one
    same_loop = np.allclose(pb, pred_loop, rtol=1e-5, atol=1e-6)
    same_sk = np.allclose(pb[1:], ps.reindex(y_test.index[1:]).to_numpy(), rtol=1e-5, atol=1e-6)
    mse = float(np.mean((pb - y_test.to_numpy()) ** 2))

    n = len(y_test)
    print(f"batched predict_rolling : {c.fmt_time(t_batch):>10}  ({n} origins, one call; "
          "best of 5)")
    print(f"loop predict + update   : {c.fmt_time(t_loop):>10}  "
          f"({c.fmt_time(t_loop / n)} per origin, {t_loop / t_batch:.0f}x slower)")
    print(f"sktime update_predict   : {c.fmt_time(t_sk):>10}  "
          f"({c.fmt_time(t_sk / n)} per origin, {t_sk / t_batch:.0f}x slower)")
    print(f"same forecasts: loop {same_loop}, update_predict {same_sk}; "
          f"one-step MSE {mse:.1f} USD^2")
    if not (same_loop and same_sk):
        raise SystemExit("the batched and looped forecasts differ")


if __name__ == "__main__":
    main()
