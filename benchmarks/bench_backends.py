"""The study's reference network on every Keras backend, side by side.

``Pipeline([SlidingWindow(10), LSTMRegressor(units=256, dropout=0.2,
batch_size=32, normalize="zero_base")])`` on ETH's daily candles (close,
open, high, low, volume; the study's historical features), trained on the
first 80 % of the days for ``--epochs`` epochs (no validation split, no
early stopping), then one-step predictions over the last 20 %. Each backend
runs in its own subprocess (``KERAS_BACKEND`` is read once, at import), one
after the other, so they do not share the CPU. Printed per backend: the
first epoch (building and compiling or tracing the training step included),
the median of the later epochs, and the predict time over the test windows
(first call, then the best of 5 repeats), with the test MSE as a check that
every backend trained a working network (each backend draws its own initial
weights from the same seed, so the MSEs differ a little). A backend whose
package is missing is reported as such.

Run::

    python benchmarks/bench_backends.py                    # tensorflow, jax, torch
    python benchmarks/bench_backends.py --epochs 3 --backends tensorflow jax
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

import _common as C  # noqa: I001  (puts the repository root on sys.path)

BACKENDS = ("tensorflow", "jax", "torch")

WORKER = r"""
import json, statistics, sys, time
import numpy as np
import keras
from sklearn.pipeline import Pipeline
from skrnn import LSTMRegressor, SlidingWindow, chronological_split, make_supervised
from skrnn.datasets import load_eth

epochs = int(sys.argv[1])
frame = load_eth()[["close", "open", "high", "low", "volume"]]
X, y = make_supervised(frame, target="close", horizon=1)
X_train, X_test, y_train, y_test = chronological_split(X, y, test_size=0.2)

class EpochTimer(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.times, self.t0 = [], time.perf_counter()
    def on_epoch_end(self, epoch, logs=None):
        now = time.perf_counter()
        self.times.append(now - self.t0)
        self.t0 = now

timer = EpochTimer()
pipe = Pipeline([
    ("window", SlidingWindow(10)),
    ("rnn", LSTMRegressor(units=256, dropout=0.2, epochs=epochs, batch_size=32,
                          early_stopping=None, validation_fraction=0.0, calibration_fraction=0.0,
                          normalize="zero_base", random_state=0, callbacks=[timer])),
])
t0 = time.perf_counter()
pipe.fit(X_train, y_train)
fit = time.perf_counter() - t0
X_hist = X.iloc[len(X_train) - 9:]          # the test days with their 9 days of history
t0 = time.perf_counter()
pred = pipe.predict(X_hist)[9:]
first = time.perf_counter() - t0
repeats = []
for _ in range(5):
    t0 = time.perf_counter()
    pipe.predict(X_hist)
    repeats.append(time.perf_counter() - t0)
print("RESULT " + json.dumps(dict(
    backend=keras.backend.backend(), keras=keras.__version__, fit=fit,
    first_epoch=timer.times[0],
    later_epochs=statistics.median(timer.times[1:]) if len(timer.times) > 1 else None,
    predict_first=first, predict=min(repeats), n_train=len(X_train), n_test=len(y_test),
    mse=float(np.mean((pred - y_test.to_numpy()) ** 2)))))
"""


def installed(backend):
    module = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}[backend]
    code = f"import importlib.util, sys; sys.exit(importlib.util.find_spec({module!r}) is None)"
    return subprocess.run([sys.executable, "-c", code]).returncode == 0


def run(backend, epochs, threads):
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3",
           "PYTHONPATH": str(C.ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    if threads:
        from skrnn.parallel import worker_env

        env.update(worker_env(threads))
    out = subprocess.run([sys.executable, "-c", WORKER, str(epochs)], env=env,
                         capture_output=True, text=True)
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    tail = (out.stderr or out.stdout).strip().splitlines()[-3:]
    return {"backend": backend, "error": " | ".join(tail)}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=5, help="epochs per fit (at least 2)")
    p.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    p.add_argument("--threads", type=int, default=0,
                   help="cap every framework's threads (skrnn.parallel.worker_env); 0: their defaults")
    args = p.parse_args(argv)
    if args.epochs < 2:
        p.error("--epochs must be at least 2 (the first epoch includes compilation)")
    C.header("Keras backends: LSTM(256) on ETH, window 10, batch 32", epochs=args.epochs,
             threads=args.threads or "default")
    rows = []
    for backend in args.backends:
        if not installed(backend):
            rows.append({"backend": backend, "error": "not installed"})
            continue
        print(f"running {backend} ...", flush=True)
        rows.append(run(backend, args.epochs, args.threads))
    print()
    print(f"{'backend':<11} {'first epoch':>12} {'later epochs':>13} {'predict (1st)':>14} "
          f"{'predict':>10} {'test MSE':>10}")
    for r in rows:
        if "error" in r:
            print(f"{r['backend']:<11} {r['error']}")
            continue
        later = "n/a" if r["later_epochs"] is None else C.fmt_time(r["later_epochs"])
        print(f"{r['backend']:<11} {C.fmt_time(r['first_epoch']):>12} {later:>13} "
              f"{C.fmt_time(r['predict_first']):>14} {C.fmt_time(r['predict']):>10} "
              f"{r['mse']:>10.1f}")
    done = [r for r in rows if "error" not in r]
    if done:
        r = done[0]
        print(f"\n{r['n_train']} training windows, {r['n_test']} test windows; "
              f"keras {r['keras']}. Epoch times are wall time per epoch.")


if __name__ == "__main__":
    main()
