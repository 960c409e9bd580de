"""What calibrated intervals cost: time added to fit and to predict.

One LSTM on ETH windows (window 10, the study's 80/20 split), fitted four
ways -- ``interval="mc"`` (no calibration tail), ``"conformal_vol"`` (the
default: residuals of the held-out tail divided by their window's
volatility), ``"conformal"`` (residuals in the network's normalised space)
and ``"conformal_mc"`` (residuals normalised by the Monte-Carlo spread) --
then asked for 90 % intervals on the test windows. Printed side by side:
fit time, predict_interval time, both as ratios to the uncalibrated run,
and each band's coverage and median width next to the random-walk band.

Run::

    python benchmarks/bench_calibration.py            # ~1 min on 2 cores
"""

from __future__ import annotations

import resource
import time

import _common as C  # noqa: F401 (puts the checkout first on sys.path)
import numpy as np


def main():
    from skrnn import LSTMRegressor, SlidingWindow, make_supervised
    from skrnn.datasets import load_eth
    from skrnn.study._baselines import random_walk_band

    close = load_eth()[["close"]]
    X, y = make_supervised(close, "close")
    n_train = len(X) - int(0.2 * len(X))
    W = SlidingWindow(10).fit(X.iloc[:n_train]).transform(X)
    W_train, y_train = W[9:n_train], y.to_numpy()[9:n_train]
    W_test, y_test = W[n_train:], y.to_numpy()[n_train:]
    rw_lo, rw_hi = random_walk_band(close["close"].to_numpy()[:n_train], X["close"].to_numpy()[n_train:])
    rw_width = np.median(rw_hi - rw_lo)

    rows = []
    # untimed fits first: the first fit of a process pays TensorFlow's tracing
    # (training, inference, Monte-Carlo sampling) once for every later fit of the
    # same network and data shapes
    for interval in ("mc", "conformal"):  # with and without a calibration tail
        warm = LSTMRegressor(units=32, epochs=1, dropout=0.2, n_samples=100, random_state=0,
                             interval=interval).fit(W_train, y_train)
        warm.predict_interval(W_test)
    for interval in ("mc", "conformal_vol", "conformal", "conformal_mc"):
        reg = LSTMRegressor(units=32, epochs=15, dropout=0.2, n_samples=100, random_state=0,
                            interval=interval)
        t0 = time.perf_counter()
        reg.fit(W_train, y_train)
        fit_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        lo, hi = reg.predict_interval(W_test, coverage=0.9)
        pred_s = time.perf_counter() - t0
        inside = np.mean((y_test >= lo) & (y_test <= hi))
        rows.append((interval, fit_s, pred_s, inside, np.median(hi - lo) / rw_width))
    base_fit, base_pred = rows[0][1], rows[0][2]
    print(f"{'interval':>13} {'fit s':>7} {'x mc':>6} {'predict s':>10} {'x mc':>6} "
          f"{'coverage':>9} {'width/RW':>9}")
    for name, fit_s, pred_s, cov, width in rows:
        print(f"{name:>13} {fit_s:7.2f} {fit_s / base_fit:6.2f} {pred_s:10.3f} "
              f"{pred_s / base_pred:6.2f} {cov:9.1%} {width:9.2f}")
    rw_cov = np.mean((y_test >= rw_lo) & (y_test <= rw_hi))
    print(f"{'random walk':>13} {'':>7} {'':>6} {'':>10} {'':>6} {rw_cov:9.1%} {1.0:9.2f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(f"peak RSS {C.fmt_bytes(peak)}; {len(y_test)} test days; the calibrated fits "
          "train on 10 % fewer windows (the held-out tail)")


if __name__ == "__main__":
    main()
