"""skrnn against darts and neuralforecast on one task, side by side.

The task: ETH daily close (``skrnn.datasets.load_eth``, 1,363 days), windows
of 10 days, one LSTM layer of 64 units, 20 epochs, batch 32, Adam 1e-3, MSE
loss, no validation split and no early stopping, fitted once on the first
80 % of the days; then one-step forecasts from every origin of the last 272
days without refitting (a rolling evaluation). Every library scales the
series its usual way: skrnn ``normalize="auto"`` (each window relative to its
last value), darts a ``Scaler`` fitted on the training days, neuralforecast
its per-window ``scaler_type="standard"``.

Printed per library: fit time (the first fit in a fresh process, and the
next fit of a new model of the same kind in that process, as a search, a
backtest or a refit on more days does), rolling time (the 272 forecasts), MSE against
the naive forecast (tomorrow = today) on the same days (and, on a line of
its own, that of a ridge regression on the same windows: the linear model a
network has to beat), and the empirical
coverage and mean width (relative to the random-walk band) of the 90 %
interval where the library gives one under these settings (skrnn's
calibrated band; darts and neuralforecast would need another loss for
theirs, which would change the network compared).

Sides:
- ``skrnn-pipeline``: ``Pipeline([SlidingWindow(10), LSTMRegressor(...)])``,
  rolling = one batched ``predict`` over the test windows.
- ``skrnn-forecaster``: ``RNNForecaster(LSTMRegressor(...))``, rolling =
  ``predict_rolling`` (one batched call per step, intervals adapted online).
- ``darts``: ``BlockRNNModel(model="LSTM")``, rolling =
  ``historical_forecasts(retrain=False)``.
- ``neuralforecast``: ``LSTM`` (encoder 64, one layer; decoder MLP as the
  library builds it), ``max_steps`` = 20 epochs of training windows,
  rolling = ``cross_validation(use_fitted=True)``.

skrnn holds out its last 10 % of training windows to calibrate the interval
(``calibration_fraction=0.1``), so it trains on 90 % of the windows the
peers train on; ``--no-calibration`` trains skrnn on all of them (no band).

Each side imports its framework (TensorFlow through Keras, or PyTorch)
before its timer starts; fit time is the library's own work. Each (library,
round) runs in a fresh interpreter, the libraries alternate
within each round, and the median of ``--rounds`` rounds is printed: drifting
machine load hits every side alike. darts and neuralforecast are not skrnn
dependencies: install them in a separate environment (they pull PyTorch)::

    python -m venv /tmp/peers && . /tmp/peers/bin/activate
    pip install torch==2.13.0   # the CPU build; plain `torch` may fetch a CUDA build
    pip install darts neuralforecast -e ".[sktime]"
    python benchmarks/bench_peers.py            # ~6 minutes on 2 cores
    python benchmarks/bench_peers.py --rounds 1 --epochs 2   # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

import _common as C  # noqa: I001  (puts the repository root on sys.path)

SIDES = ("skrnn-pipeline", "skrnn-forecaster", "darts", "neuralforecast")
WINDOW, UNITS, BATCH, LR, N_TEST = 10, 64, 32, 1e-3, 272


def eth_close():
    from skrnn.datasets import load_eth

    close = load_eth()["close"].astype(float)
    return close.tz_localize(None) if close.index.tz is not None else close


def scores(actual, predicted, lower=None, upper=None):
    """MSE, the naive forecast's MSE, and coverage / width of a band."""
    actual, predicted = np.asarray(actual, float), np.asarray(predicted, float)
    out = {"mse": float(np.mean((actual - predicted) ** 2))}
    if lower is not None:
        lower, upper = np.asarray(lower, float), np.asarray(upper, float)
        out["coverage"] = float(np.mean((actual >= lower) & (actual <= upper)))
        out["width"] = float(np.mean(upper - lower))
    return out


def timed(func):
    """``(seconds, result)`` of ``func()``."""
    t0 = time.perf_counter()
    out = func()
    return time.perf_counter() - t0, out


# ------------------------------------------------------------------ the sides
def skrnn_regressor(args):
    from skrnn import LSTMRegressor

    return LSTMRegressor(units=UNITS, dropout=0.0, epochs=args.epochs, batch_size=BATCH,
                         learning_rate=LR, validation_fraction=0.0, early_stopping=None,
                         calibration_fraction=0.0 if args.no_calibration else 0.1,
                         random_state=args.seed)


def run_skrnn_pipeline(close, n_train, args):
    from sklearn.pipeline import Pipeline

    from skrnn import SlidingWindow

    # the window ending at day t predicts day t + 1; a DataFrame, so the test
    # windows take their history from the training days (SlidingWindow's "auto")
    import keras  # noqa: F401  (the framework loads before the timer, as torch does for the peers)

    X_rows, y = close.to_frame().iloc[:-1], close.to_numpy()[1:]
    def fit():
        pipe = Pipeline([("window", SlidingWindow(WINDOW)), ("rnn", skrnn_regressor(args))])
        return pipe.fit(X_rows.iloc[:n_train - 1], y[:n_train - 1])

    t_fit, pipe = timed(fit)
    t0 = time.perf_counter()
    test_windows = pipe[:-1].transform(X_rows.iloc[n_train - 1:])
    pred = pipe[-1].predict(test_windows)
    band = None if args.no_calibration else pipe[-1].predict_interval(test_windows, coverage=0.9)
    t_roll = time.perf_counter() - t0
    actual = close.to_numpy()[n_train:]
    lower, upper = (None, None) if band is None else band
    return t_fit, timed(fit)[0], t_roll, scores(actual, pred, lower, upper)


def run_skrnn_forecaster(close, n_train, args):
    from skrnn.forecasting import RNNForecaster

    import keras  # noqa: F401  (the framework loads before the timer, as torch does for the peers)

    def fit():
        return RNNForecaster(skrnn_regressor(args), window_len=WINDOW).fit(close.iloc[:n_train])

    t_fit, fc = timed(fit)
    t0 = time.perf_counter()
    test = close.iloc[n_train:]
    # origins: the cutoff and every test row but the last -> one forecast per test day
    origins = [close.index[n_train - 1]] + list(test.index[:-1])
    coverage = None if args.no_calibration else 0.9
    out = fc.predict_rolling(test, fh=1, origins=origins, coverage=coverage)
    t_roll = time.perf_counter() - t0
    point, band = (out, None) if coverage is None else out
    pred = point.iloc[:, 0].to_numpy()
    t_refit = timed(fit)[0]
    if band is None:
        return t_fit, t_refit, t_roll, scores(test.to_numpy(), pred)
    return (t_fit, t_refit, t_roll,
            scores(test.to_numpy(), pred, band.iloc[:, 0], band.iloc[:, 1]))


def run_darts(close, n_train, args):
    import logging

    from darts import TimeSeries
    from darts.dataprocessing.transformers import Scaler
    from darts.models import BlockRNNModel

    logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)
    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
    # a plain integer time axis: the daily index adds nothing here, and darts'
    # frequency arithmetic differs between pandas versions
    series = TimeSeries.from_values(close.to_numpy(np.float32))
    train = series[:n_train]

    def fit():
        scaler = Scaler()
        train_s = scaler.fit_transform(train)
        model = BlockRNNModel(
            input_chunk_length=WINDOW, output_chunk_length=1, model="LSTM", hidden_dim=UNITS,
            n_rnn_layers=1, dropout=0.0, batch_size=BATCH, n_epochs=args.epochs,
            optimizer_kwargs={"lr": LR}, random_state=args.seed,
            pl_trainer_kwargs={"accelerator": "cpu", "enable_progress_bar": False,
                               "enable_model_summary": False, "logger": False,
                               "enable_checkpointing": False})
        return scaler, model.fit(train_s, verbose=False)

    t_fit, (scaler, model) = timed(fit)
    t0 = time.perf_counter()
    hist = model.historical_forecasts(scaler.transform(series), start=n_train, forecast_horizon=1,
                                      stride=1, retrain=False, last_points_only=True,
                                      verbose=False)
    pred = scaler.inverse_transform(hist).values()[:, 0]
    t_roll = time.perf_counter() - t0
    return t_fit, timed(fit)[0], t_roll, scores(close.to_numpy()[n_train:], pred)


def run_neuralforecast(close, n_train, args):
    import logging

    import pandas as pd
    from neuralforecast import NeuralForecast
    from neuralforecast.models import LSTM

    logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)
    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
    df = pd.DataFrame({"unique_id": "ETH", "ds": close.index, "y": close.to_numpy()})
    n_windows = n_train - WINDOW
    steps = args.epochs * int(np.ceil(n_windows / BATCH))

    def fit():
        model = LSTM(h=1, input_size=WINDOW, encoder_hidden_size=UNITS, encoder_n_layers=1,
                     max_steps=steps, learning_rate=LR, batch_size=1, windows_batch_size=BATCH,
                     scaler_type="standard", random_seed=args.seed, enable_progress_bar=False,
                     enable_model_summary=False, logger=False, enable_checkpointing=False,
                     accelerator="cpu")
        nf = NeuralForecast(models=[model], freq="D")
        nf.fit(df.iloc[:n_train])
        return nf

    t_fit, nf = timed(fit)
    t0 = time.perf_counter()
    cv = nf.cross_validation(df, n_windows=len(df) - n_train, step_size=1, use_fitted=True)
    t_roll = time.perf_counter() - t0
    pred = cv["LSTM"].to_numpy()
    return t_fit, timed(fit)[0], t_roll, scores(cv["y"].to_numpy(), pred)


def linear_reference():
    """MSE / naive of a ridge regression on the same windows (the linear model to beat).

    Each 10-day window and its next day are scaled by the window's last close
    (as skrnn's ``normalize="auto"`` does for a positive series), the ridge
    penalty is chosen by leave-one-out on the training windows (``RidgeCV``),
    and the test days are forecast one step ahead from the true history.
    """
    from sklearn.linear_model import RidgeCV

    close = eth_close().to_numpy()
    n_train = len(close) - N_TEST
    windows = np.lib.stride_tricks.sliding_window_view(close[:-1], WINDOW)  # window ending at t
    target = close[WINDOW:]  # day t + 1
    last = windows[:, -1:]
    X, y = windows / last - 1.0, target / last[:, 0] - 1.0
    train = np.arange(len(target)) + WINDOW < n_train  # targets inside the training days
    model = RidgeCV(alphas=np.logspace(-4, 2, 13)).fit(X[train], y[train])
    pred = (model.predict(X[~train]) + 1.0) * last[~train, 0]
    actual = close[n_train:]
    naive = close[n_train - 1:-1]
    return scores(actual, pred)["mse"] / scores(actual, naive)["mse"]


def random_walk_reference():
    """Coverage and mean width of the random-walk 90 % band over the test days.

    The band every interval stands next to, as in ``skrnn study benchmark``:
    each day's last close moved by the 5th and 95th percentiles of the
    training days' one-day relative changes
    (:func:`skrnn.study._baselines.random_walk_band`). Relative, so that it
    widens with the price as the networks' bands do (ETH's test days trade at
    several times its training days' prices).
    """
    from skrnn.study._baselines import random_walk_band

    close = eth_close().to_numpy()
    n_train = len(close) - N_TEST
    lower, upper = random_walk_band(close[:n_train], close[n_train - 1:-1], coverage=0.9)
    return scores(close[n_train:], close[n_train - 1:-1], lower, upper)


RUNNERS = {"skrnn-pipeline": run_skrnn_pipeline, "skrnn-forecaster": run_skrnn_forecaster,
           "darts": run_darts, "neuralforecast": run_neuralforecast}


def one(args):
    """Child process: run one side once, print one JSON line."""
    close = eth_close()
    n_train = len(close) - N_TEST
    t_fit, t_refit, t_roll, sc = RUNNERS[args.one](close, n_train, args)
    naive = scores(close.to_numpy()[n_train:], close.to_numpy()[n_train - 1:-1])
    rw = random_walk_reference()
    print(json.dumps({"side": args.one, "fit_s": t_fit, "refit_s": t_refit, "roll_s": t_roll, **sc,
                      "naive_mse": naive["mse"], "rw_width": rw["width"]}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sides", default=",".join(SIDES))
    parser.add_argument("--no-calibration", action="store_true")
    parser.add_argument("--one", choices=SIDES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        return one(args)
    sides = [s for s in args.sides.split(",") if s]
    C.header("skrnn vs darts vs neuralforecast: ETH close, window 10, LSTM-64, one fit + "
             f"{N_TEST} one-step forecasts", epochs=args.epochs, batch=BATCH, rounds=args.rounds,
             threads=os.environ.get("OMP_NUM_THREADS", "default"))
    C.versions("keras", "tensorflow", "torch", "darts", "neuralforecast")
    results = {s: [] for s in sides}
    for r in range(args.rounds):
        order = sides[r % len(sides):] + sides[:r % len(sides)]  # alternate who goes first
        for side in order:
            cmd = [sys.executable, __file__, "--one", side, "--epochs", str(args.epochs),
                   "--seed", str(args.seed)] + (["--no-calibration"] if args.no_calibration else [])
            proc = subprocess.run(cmd, capture_output=True, text=True)
            lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
            if proc.returncode or not lines:
                tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
                print(f"{side}: failed ({' | '.join(tail)})")
                continue
            results[side].append(json.loads(lines[-1]))
            run = results[side][-1]
            print(f"  round {r + 1} {side}: fit {run['fit_s']:.2f} s, next fit "
                  f"{run['refit_s']:.2f} s, rolling {run['roll_s']:.3f} s", flush=True)
    rows = []
    for side in sides:
        runs = results[side]
        if not runs:
            continue
        med = {k: statistics.median(run[k] for run in runs) for k in ("fit_s", "refit_s", "roll_s")}
        last = runs[-1]
        cov = (f"{last['coverage']:.1%} @ {last['width'] / last['rw_width']:.2f}x RW"
               if "coverage" in last else "n/a")
        rows.append((side, med["fit_s"], min(r["fit_s"] for r in runs),
                     max(r["fit_s"] for r in runs), med["refit_s"], med["roll_s"],
                     last["mse"] / last["naive_mse"], cov))
    if not rows:
        return 1
    best_fit, best_refit, best_roll = (min(r[i] for r in rows) for i in (1, 4, 5))
    print()
    print("fit: the first fit in a fresh process; next fit: a new model of the same kind fitted "
          "again in that process (what a search, a backtest or a refit does)")
    print(f"{'side':<18} {'fit s (median)':>14} {'range':>13} {'x fastest':>9} "
          f"{'next fit s':>10} {'x fastest':>9} {'rolling s':>9} {'x fastest':>9} "
          f"{'MSE/naive':>9}  90% band")
    for side, fit, lo, hi, refit, roll, rel, cov in rows:
        print(f"{side:<18} {fit:>14.2f} {lo:>6.2f}-{hi:<6.2f} {fit / best_fit:>9.2f} "
              f"{refit:>10.2f} {refit / best_refit:>9.2f} "
              f"{roll:>9.3f} {roll / best_roll:>9.2f} {rel:>9.3f}  {cov}")
    print(f"{'linear reference':<18} ridge on the same windows, each scaled by its last close: "
          f"MSE/naive {linear_reference():.3f}")
    rw = random_walk_reference()
    print(f"{'band reference':<18} random walk (last close moved by the training days' 5th/95th "
          f"percentile one-day changes): {rw['coverage']:.1%} @ 1.00x RW")
    return 0


if __name__ == "__main__":
    sys.exit(main())
