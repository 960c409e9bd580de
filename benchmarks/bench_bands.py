"""Which calibrated band keeps its 90 %: the residual normalisers side by side.

On ETH, BTC and USD/PLN (from 2019-01-02) daily closes, a network is trained
on the first part of the series and its 90 % bands are scored on the next
20 % of the days, from several split points (the training part ending at 60,
70 and 80 % of the series by default; from 80 %: the study's test period),
for each residual normaliser:

* ``conformal_vol`` (the default): each calibration residual divided by its
  window's volatility (the std of the window's one-step changes, blended with
  the calibration windows' typical volatility);
* ``conformal``: residuals in the network's normalised space (relative errors
  for a price), a band proportional to the price level.

Two bands per normaliser: the *static* band of
``Pipeline([SlidingWindow, LSTMRegressor])`` (``predict_interval`` on the test
windows, calibrated once on the last 10 % of the training windows), and the
*adaptive* band of ``RNNForecaster.predict_rolling(..., coverage=0.9)``
(quantiles tracked online over the test days). Next to them, the random-walk
band (the last close moved by the 5th/95th percentiles of the training days'
one-day relative changes). Printed per series and band: coverage at every
split with its median width relative to the random-walk band's median
width, the mean distance of the coverage from 90 % and the worst split.

The series, the split points and the network (LSTM(16), 10 epochs, window 10;
window 60 for USD/PLN) were fixed before any normaliser was measured on them.

Run::

    python benchmarks/bench_bands.py           # ~75 s on 2 cores
    python benchmarks/bench_bands.py --quick   # one split, 3 epochs
"""

from __future__ import annotations

import argparse
import time

import _common as C
import numpy as np

NORMALISERS = ("conformal_vol", "conformal")


def series():
    from skrnn.datasets import load_btc, load_eth, load_usdpln

    return [("ETH", load_eth()["close"], 10), ("BTC", load_btc()["close"], 10),
            ("USD/PLN", load_usdpln(start="2019-01-02")["close"], 60)]


def score(actual, lower, upper):
    lower, upper = np.asarray(lower, float), np.asarray(upper, float)
    return float(np.mean((actual >= lower) & (actual <= upper))), float(np.median(upper - lower))


def one_split(close, window, n_train, n_test, interval, epochs):
    """Coverage and median width of the static and the adaptive band on the test days."""
    from sklearn.pipeline import Pipeline

    from skrnn import LSTMRegressor, SlidingWindow
    from skrnn.forecasting import RNNForecaster

    def network():
        return LSTMRegressor(units=16, epochs=epochs, random_state=0, interval=interval)

    values = close.to_numpy()
    actual = values[n_train:n_train + n_test]
    rows = close.to_frame().iloc[:-1]
    pipe = Pipeline([("window", SlidingWindow(window)), ("rnn", network())])
    pipe.fit(rows.iloc[:n_train - 1], values[1:n_train])
    test_windows = pipe[:-1].transform(rows.iloc[n_train - 1:n_train - 1 + n_test])
    static = score(actual, *pipe[-1].predict_interval(test_windows, coverage=0.9))
    fc = RNNForecaster(network(), window_len=window).fit(close.iloc[:n_train])
    test = close.iloc[n_train:n_train + n_test]
    origins = [close.index[n_train - 1]] + list(test.index[:-1])
    _, band = fc.predict_rolling(test, fh=1, origins=origins, coverage=0.9)
    adaptive = score(actual, band.iloc[:, 0], band.iloc[:, 1])
    return {"static": static, "adaptive": adaptive}


def random_walk(close, n_train, n_test):
    from skrnn.study._baselines import random_walk_band

    values = close.to_numpy()
    lower, upper = random_walk_band(values[:n_train], values[n_train - 1:n_train - 1 + n_test])
    return score(values[n_train:n_train + n_test], lower, upper)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--splits", default="0.6,0.7,0.8",
                        help="where the training part ends, as fractions of the series")
    parser.add_argument("--test", type=float, default=0.2,
                        help="test days after each split, as a fraction of the series")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="one split (0.8), 3 epochs")
    args = parser.parse_args()
    splits = [0.8] if args.quick else [float(s) for s in args.splits.split(",")]
    epochs = 3 if args.quick else args.epochs
    C.header("90 % bands: coverage by residual normaliser", splits=splits, test_days=args.test,
             epochs=epochs)
    C.versions("keras", "tensorflow")
    t0 = time.perf_counter()
    print("per split: coverage @ median width / the random-walk band's")
    print(f"{'series':<8} {'band':<22} " + " ".join(f"{f'split {s:.0%}':>14}" for s in splits)
          + f" {'|cov-90%|':>10} {'worst':>7}")
    for name, close, window in series():
        results = {}
        for s in splits:
            n_train = int(s * len(close))
            n_test = min(int(round(args.test * len(close))), len(close) - n_train)
            rw = random_walk(close, n_train, n_test)
            results.setdefault("random walk", []).append(rw + (rw[1],))
            for interval in NORMALISERS:
                out = one_split(close, window, n_train, n_test, interval, epochs)
                for kind, (cov, width) in out.items():
                    results.setdefault(f"{kind} {interval}", []).append((cov, width, rw[1]))
        for band, rows in results.items():
            cov = np.array([r[0] for r in rows])
            cells = " ".join(f"{f'{r[0]:.1%} @ {r[1] / r[2]:.2f}':>14}" for r in rows)
            print(f"{name:<8} {band:<22} {cells} {np.mean(np.abs(cov - 0.9)):10.1%} "
                  f"{cov[np.argmax(np.abs(cov - 0.9))]:7.1%}", flush=True)
    print(f"{time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
