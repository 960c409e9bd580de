"""A long series: windows as views fed batch by batch, against materialised windows.

One epoch of ``LSTM(units)`` on ``--rows`` rows x ``--features`` features,
window ``--window``, batch 32, trained two ways, each in a fresh process:

* **view+batch** -- ``Pipeline([SlidingWindow(window), LSTMRegressor(units,
  normalize="zero_base", epochs=1, validation_fraction=0,
  calibration_fraction=0, early_stopping=None)]).fit(X, y)``: the windows
  are a read-only strided view over one padded copy of the rows, and the
  network is fed a few batches at a time (sliced, zero-based and cast to
  float32 per batch); it trains on every window, as the floor does.
* **materialised** -- the speed floor: the same network (same builder, same
  compile) fed one plain float32 array of every zero-based window with
  ``model.fit(W, y, batch_size=32, epochs=1, shuffle=True)`` with the same
  batches per call of the traced step as skrnn's fit, the array built chunk
  by chunk (the cheapest way to materialise it).

Peak memory is ``ru_maxrss`` (peak resident set) of the child process. Each
child first imports TensorFlow, creates the data and fits the same network
once on 2,000 rows (the framework's own memory: thread pools, kernels,
traced functions); "extra peak" is the peak reached during the measured fit
above the peak after that warm-up, and "raw data" is the float64 table.
Epoch time is measured by a callback between ``on_epoch_begin`` and
``on_epoch_end`` (training only), fit time is the whole call.

Run::

    PYTHONPATH=. python benchmarks/bench_long_series.py                 # 1,000,000 rows, minutes
    PYTHONPATH=. python benchmarks/bench_long_series.py --rows 100000   # quicker
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np

import _common as C  # noqa: I001  (puts the repository root on sys.path)


def peak_rss():
    """Peak resident set of this process so far, in bytes (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def make_data(rows, features, seed=0):
    rng = np.random.default_rng(seed)
    X = 100.0 * np.exp(np.cumsum(rng.normal(scale=0.01, size=(rows, features)), axis=0))
    y = np.roll(X[:, 0], -1)
    y[-1] = X[-1, 0]
    return X, y


def epoch_timer():
    import keras

    class EpochTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seconds = []

        def on_epoch_begin(self, epoch, logs=None):
            self._t0 = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self._t0)

    return EpochTimer()


def fit_view(X, y, args):
    from sklearn.pipeline import Pipeline

    from skrnn import LSTMRegressor, SlidingWindow

    timer = epoch_timer()
    pipe = Pipeline([("window", SlidingWindow(args.window)),
                     ("lstm", LSTMRegressor(units=args.units, normalize="zero_base", epochs=1,
                                            batch_size=args.batch_size, validation_fraction=0,
                                            calibration_fraction=0, early_stopping=None,
                                            random_state=0, callbacks=[timer]))])
    pipe.fit(X, y)
    return timer.seconds[0], pipe[-1].model_.count_params()


def fit_materialised(X, y, args):
    from skrnn import _keras
    from skrnn._scaling import zero_base, zero_base_target
    from skrnn.preprocessing import window_view

    L = args.window
    padded = np.concatenate([np.repeat(X[:1], L - 1, axis=0), X])
    view = window_view(padded, L)
    W = np.empty(view.shape, dtype=np.float32)
    Y = np.empty((len(y), 1), dtype=np.float32)
    for start in range(0, len(view), 8192):  # chunk by chunk: no float64 copy of every window
        scaled, base = zero_base(view[start:start + 8192])
        W[start:start + 8192] = scaled
        Y[start:start + 8192, 0] = zero_base_target(y[start:start + 8192], base, 0)
    del padded, view
    _keras.set_global_seed(0)
    model = _keras.build_recurrent_network(L, X.shape[1], 1, cell="lstm", units=(args.units,),
                                           dropout=0.2, recurrent_dropout=0.0,
                                           bidirectional=False, dense_units=())
    _keras.compile_network(model, optimizer="adam", learning_rate=1e-3, clipnorm=None, loss="mse")
    # as many batches per call of the traced step as skrnn runs: only the feeding differs
    model.steps_per_execution = _keras.steps_per_execution(-(-len(W) // args.batch_size))
    timer = epoch_timer()
    model.fit(W, Y, batch_size=args.batch_size, epochs=1, shuffle=True, verbose=0,
              callbacks=[timer])
    return timer.seconds[0], model.count_params()


def child(args):
    import keras  # noqa: F401  (framework start-up outside the measurement)

    X, y = make_data(args.rows, args.features)
    base = peak_rss()
    func = fit_view if args.child == "view" else fit_materialised
    warm_rows = min(2000, args.rows)
    func(X[:warm_rows], y[:warm_rows], args)
    warm = peak_rss()
    t0 = time.perf_counter()
    epoch, n_params = func(X, y, args)
    fit = time.perf_counter() - t0
    print(json.dumps({"base": base, "warm": warm, "peak": peak_rss(), "epoch": epoch, "fit": fit,
                      "params": n_params, "raw": X.nbytes}))


def run_child(path, args):
    cmd = [sys.executable, __file__, "--child", path] + [
        f"--{k.replace('_', '-')}={v}" for k, v in vars(args).items() if k != "child"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode:
        sys.stderr.write(out.stderr[-4000:])
        raise SystemExit(f"{path} run failed (exit code {out.returncode})")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--features", type=int, default=10)
    p.add_argument("--window", type=int, default=60)
    p.add_argument("--units", type=int, default=32)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--child", choices=("view", "materialised"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        child(args)
        return

    C.header("long series: windows as views fed by batch vs a materialised float32 array",
             rows=args.rows, features=args.features, window=args.window, units=args.units,
             batch_size=args.batch_size)
    res = {path: run_child(path, args) for path in ("view", "materialised")}
    raw = res["view"]["raw"]
    windows_f32 = args.rows * args.window * args.features * 4
    print(f"raw float64 data: {C.fmt_bytes(raw)}; every window as float32: "
          f"{C.fmt_bytes(windows_f32)}; network: {res['view']['params']} parameters")
    print(f"  {'path':<13} {'framework':>11} {'extra peak':>11} {'x raw':>7} {'epoch':>10} "
          f"{'fit':>10}")
    for path, r in res.items():
        extra = r["peak"] - r["warm"]
        print(f"  {path:<13} {C.fmt_bytes(r['warm'] - r['base']):>11} {C.fmt_bytes(extra):>11} "
              f"{extra / raw:>7.2f} {C.fmt_time(r['epoch']):>10} {C.fmt_time(r['fit']):>10}")
    v, m = res["view"], res["materialised"]
    print(f"  view / materialised: extra peak x{(v['peak'] - v['warm']) / (m['peak'] - m['warm']):.3f}"
          f", epoch time x{v['epoch'] / m['epoch']:.3f} (target: extra peak <= 3 x raw = "
          f"{C.fmt_bytes(3 * raw)}, epoch within 15 %)")


if __name__ == "__main__":
    main()
