"""Monte-Carlo dropout: one batched ``predict_samples`` call against a loop.

``RNNRegressor.predict_samples(X, n_samples=N)`` repeats the windows ``N``
times and runs them through the network (dropout on) in one batched call.
The references are the obvious Python loops a user would write:

* ``N x reg.model_(X, training=True)`` (eager Keras calls), and
* ``N x reg.predict_samples(X, n_samples=1)``.

Both cold (first call: tracing, building the MC wrapper) and warm (best of
``--repeat``) times are printed, and the sample statistics of the three
ways are compared: the per-window means must agree within Monte-Carlo error.

Run::

    PYTHONPATH=. python benchmarks/bench_mc_dropout.py
    python benchmarks/bench_mc_dropout.py --test 200 --n-samples 50   # quicker
"""

from __future__ import annotations

import argparse
import gc
import tracemalloc

import numpy as np

import _common as C  # noqa: I001  (puts the repository root on sys.path)

from skrnn import LSTMRegressor


def make_windows(n, window_len, n_features, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, window_len, n_features)).astype(np.float32)
    y = (X[:, -1, 0] + 0.5 * X[:, -2, 1] - 0.3 * X[:, :, 2].mean(axis=1)).astype(np.float32)
    return X, y


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--train", type=int, default=2000, help="training windows")
    p.add_argument("--test", type=lambda v: [int(x) for x in v.split(",")], default=[50, 500],
                   help="comma-separated numbers of windows to sample for (default 50,500)")
    p.add_argument("--window", type=int, default=10)
    p.add_argument("--features", type=int, default=5)
    p.add_argument("--units", type=int, default=32)
    p.add_argument("--n-samples", type=int, default=100)
    p.add_argument("--repeat", type=int, default=3, help="warm rounds (best is kept)")
    args = p.parse_args(argv)
    N = args.n_samples

    C.header("MC dropout: batched predict_samples vs a loop of passes",
             train=f"{args.train}x{args.window}x{args.features}",
             test=",".join(map(str, args.test)), n_samples=N, units=args.units)
    X, y = make_windows(args.train, args.window, args.features, seed=0)

    reg = LSTMRegressor(units=args.units, dropout=0.2, epochs=2, random_state=0)
    t_fit, _ = C.wall(lambda: reg.fit(X, y))
    import keras
    import tensorflow as tf
    print(f"versions: keras {keras.__version__}, tensorflow {tf.__version__} "
          f"(backend {keras.backend.backend()}, devices "
          f"{[d.device_type for d in tf.config.list_logical_devices()]})")
    print(f"fit (2 epochs, incl. TensorFlow import): {C.fmt_time(t_fit)}")

    for n_test in args.test:
        X_test, _ = make_windows(n_test, args.window, args.features, seed=1)
        run_size(reg, X_test, N, args.repeat)


def run_size(reg, X_test, N, repeat):
    n_test = len(X_test)

    def batched():
        return reg.predict_samples(X_test, n_samples=N)

    def loop_model_call():
        return np.stack([np.asarray(reg.model_(X_test, training=True))[:, 0] for _ in range(N)])

    def loop_predict_samples():
        return np.concatenate([reg.predict_samples(X_test, n_samples=1) for _ in range(N)])

    ways = [
        (f"predict_samples(X, n_samples={N})", "one batched call", batched),
        (f"{N} x model_(X, training=True)", "eager loop", loop_model_call),
        (f"{N} x predict_samples(X, n_samples=1)", "compiled loop", loop_predict_samples),
    ]
    results = []
    print()
    print(f"--- {N} samples of {n_test} windows ({N * n_test} window passes); "
          f"cold = first call, warm = best of {repeat}; load average {C.load_average()}")
    for label, kind, func in ways:
        t_cold, samples = C.wall(func)
        t_warm = C.best_of(func, repeat=repeat)
        results.append((label, t_warm, samples))
        print(f"  {label:<38} {'[' + kind + ']':<18} cold {C.fmt_time(t_cold):>10}   "
              f"warm {C.fmt_time(t_warm):>10}   {t_warm / (N * n_test) * 1e6:6.2f} us/pass")
    (l0, t0, s0), *others = results
    gc.collect()
    tracemalloc.start()
    batched()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    x32 = X_test.astype(np.float32).nbytes
    print(f"  peak numpy allocation in predict_samples(n_samples={N}): {C.fmt_bytes(peak)} "
          f"= {peak / x32:.0f} x the float32 windows ({C.fmt_bytes(x32)}); "
          f"Keras/TF buffers not counted")
    for label, t, _ in others:
        print(f"  ratio warm time ({label}) / (batched) = {t / t0:.2f}")

    # ---- statistics --------------------------------------------------------
    det = reg.predict(X_test)
    print("  sample statistics (per window, then summarised over windows):")
    print(f"    {'way':<38} {'mean of means':>13} {'mean std':>9} {'distinct/window':>15}")
    for label, _, s in results:
        distinct = np.mean([len(np.unique(s[:, j])) for j in range(min(50, s.shape[1]))])
        print(f"    {label:<38} {s.mean():>13.5f} {s.std(axis=0).mean():>9.5f} {distinct:>15.1f}")
    print(f"    {'predict (dropout off)':<38} {det.mean():>13.5f}")
    for label, _, s in others:
        # difference of two independent MC means, in units of its standard error
        se = np.sqrt((s0.var(axis=0, ddof=1) + s.var(axis=0, ddof=1)) / N)
        z = np.abs(s0.mean(axis=0) - s.mean(axis=0)) / np.maximum(se, 1e-12)
        diff = np.abs(s0.mean(axis=0) - s.mean(axis=0))
        print(f"    batched vs {label}: max |mean diff| {diff.max():.3g}, "
              f"mean |z| {z.mean():.2f} (expect ~0.80), "
              f"|z|>3 in {int(np.sum(z > 3))} of {len(z)} windows (expect ~0.3%)")


if __name__ == "__main__":
    main()
