"""Fit overhead of ``LSTMRegressor`` against the same hand-written Keras model.

Both sides train ``Input -> LSTM(64) -> Dropout(0.2) -> Dense(1)`` with Adam
(learning rate 1e-3) and MSE for the same epochs and batch size, on the same
float32 windows, the last 10 % held out as validation data, after
``keras.utils.set_random_seed(0)``. The timed part is everything a user
waits for: for skrnn ``reg.fit(X, y)`` (input checks, split, model build,
training); for Keras building, compiling and ``model.fit``. The runs
alternate (skrnn, keras, skrnn, ...) so drifting machine load hits both
alike; ``keras.backend.clear_session()`` runs before each, untimed. The
first pair is a warm-up (TensorFlow start-up, first tracing) and is
reported but not counted. Wall time is what the user waits; process CPU
time (all threads) is less disturbed by other processes on a shared machine.
After the warm-up skrnn's fits reuse the train step traced by the first fit
of their kind (``skrnn._keras.TracedSteps``) while each hand-written model
traces its own: that difference is what a search or a study gains.
A second, short comparison (1 epoch, 256 windows) isolates the fixed cost
(input checks, split, model build, compile, first tracing).

Run::

    PYTHONPATH=. python benchmarks/bench_fit_overhead.py
    python benchmarks/bench_fit_overhead.py --rounds 2 --epochs 3   # quicker
"""

from __future__ import annotations

import argparse
import gc
import time

import numpy as np

import _common as C  # noqa: I001  (puts the repository root on sys.path)

from skrnn import LSTMRegressor


def make_windows(n, window_len, n_features, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, window_len, n_features)).astype(np.float32)
    y = (np.tanh(X[:, -1, 0]) + 0.5 * X[:, -3:, 1].mean(axis=1)
         + 0.1 * rng.normal(size=n)).astype(np.float32)
    return X, y


def fit_skrnn(X, y, args):
    reg = LSTMRegressor(units=args.units, dropout=0.2, epochs=args.epochs,
                        batch_size=args.batch_size, early_stopping=None,
                        validation_fraction=0.1, shuffle=True, random_state=0)
    reg.fit(X, y)
    h = reg.history_
    return h["loss"][-1], h["val_loss"][-1]


def fit_keras(X, y, args):
    import keras

    keras.utils.set_random_seed(0)
    n = len(X)
    n_val = int(0.1 * n)
    inputs = keras.Input(shape=X.shape[1:])
    x = keras.layers.LSTM(args.units)(inputs)
    x = keras.layers.Dropout(0.2)(x)
    outputs = keras.layers.Dense(1)(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="mse")
    hist = model.fit(X[: n - n_val], y[: n - n_val],
                     validation_data=(X[n - n_val:], y[n - n_val:]),
                     epochs=args.epochs, batch_size=args.batch_size, shuffle=True, verbose=0)
    h = hist.history
    return h["loss"][-1], h["val_loss"][-1]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--samples", type=int, default=3000)
    p.add_argument("--window", type=int, default=10)
    p.add_argument("--features", type=int, default=5)
    p.add_argument("--units", type=int, default=64)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--rounds", type=int, default=3, help="timed (skrnn, keras) pairs after the warm-up")
    p.add_argument("--fixed-rounds", type=int, default=5,
                   help="timed pairs for the fixed-cost run (1 epoch, 256 windows)")
    p.add_argument("--breakdown-only", action="store_true",
                   help="only print where a small fit's time goes")
    args = p.parse_args(argv)
    if args.breakdown_only:
        print("where a small fit's time goes: LSTMRegressor(units=4, epochs=2), 300 windows "
              "of 10 x 3:")
        breakdown()
        return

    C.header("fit overhead: LSTMRegressor vs hand-written Keras",
             X=f"{args.samples}x{args.window}x{args.features} float32", units=args.units,
             epochs=args.epochs, batch_size=args.batch_size, rounds=args.rounds)
    X, y = make_windows(args.samples, args.window, args.features)

    import keras
    import tensorflow as tf
    print(f"versions: keras {keras.__version__}, tensorflow {tf.__version__}, devices "
          f"{[d.device_type for d in tf.config.list_logical_devices()]}")

    print()
    print(f"full fit ({args.samples} windows, {args.epochs} epochs); wall and process CPU time:")
    compare(X, y, args, args.rounds, show_losses=True)

    small = argparse.Namespace(**{**vars(args), "epochs": 1})
    n_small = min(256, args.samples)
    print()
    print(f"fixed cost (checks, split, build, compile, first tracing): {n_small} windows, 1 epoch:")
    compare(X[:n_small], y[:n_small], small, args.fixed_rounds, show_losses=False)

    print()
    print("where a small fit's time goes: LSTMRegressor(units=4, epochs=2), 300 windows of 10 x 3:")
    breakdown()


def breakdown(rounds=3):
    """Where the time of a small fit goes: LSTM(4), 2 epochs, 300 windows of 10 x 3."""
    import keras

    from skrnn import LSTMRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 10, 3))
    y = X[:, -1, 0]

    class Clock(keras.callbacks.Callback):
        def __init__(self, marks):
            super().__init__()
            self.marks = marks

        def on_train_begin(self, logs=None):
            self.marks["train begin"] = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            self.marks.setdefault("first step", time.perf_counter())

        def on_epoch_end(self, epoch, logs=None):
            self.marks[f"epoch {epoch + 1}"] = time.perf_counter()

        def on_train_end(self, logs=None):
            self.marks["train end"] = time.perf_counter()

    rows = []
    for _ in range(rounds + 1):
        marks = {}
        reg = LSTMRegressor(units=4, epochs=2, random_state=0, callbacks=[Clock(marks)])
        original = reg._build_model

        def timed_build(*a, _orig=original, **k):
            marks["build begin"] = time.perf_counter()
            model = _orig(*a, **k)
            marks["built"] = time.perf_counter()
            return model

        reg._build_model = timed_build
        t0 = time.perf_counter()
        reg.fit(X, y)
        t_fit = time.perf_counter()
        reg.predict(X)
        t_pred = time.perf_counter()
        reg.predict(X)
        t_pred2 = time.perf_counter()
        rows.append({
            "checks, scaler, split": marks["build begin"] - t0,
            "build + compile": marks["built"] - marks["build begin"],
            "fit set-up (adapters)": marks["train begin"] - marks["built"],
            "trace train step + 1st batch": marks["first step"] - marks["train begin"],
            "rest of epoch 1 (incl. val trace)": marks["epoch 1"] - marks["first step"],
            "epoch 2": marks["epoch 2"] - marks["epoch 1"],
            "calibration predict (trace)": t_fit - marks["train end"],
            "total fit": t_fit - t0,
            "predict (traced)": t_pred - t_fit,
            "predict again": t_pred2 - t_pred,
        })
    # the first fit of its kind traces the train step; the next ones reuse it
    print(f"    {'':<36} {'first of its kind':>17} {f'median of next {rounds}':>17}")
    for key in rows[0]:
        print(f"    {key:<36} {C.fmt_time(rows[0][key]):>17} "
              f"{C.fmt_time(C.median([r[key] for r in rows[1:]])):>17}")


def compare(X, y, args, rounds, show_losses):
    import keras

    sides = (("skrnn", fit_skrnn), ("keras", fit_keras))
    wall = {name: [] for name, _ in sides}
    cpu = {name: [] for name, _ in sides}
    losses = {name: [] for name, _ in sides}
    print(f"  {'round':<7} {'side':<6} {'wall':>9} {'cpu':>9} {'final loss':>11} "
          f"{'final val_loss':>15}  load avg")
    for r in range(rounds + 1):
        order = sides if r % 2 == 0 else sides[::-1]
        for name, func in order:
            keras.backend.clear_session()
            gc.collect()
            c0 = time.process_time()
            t, (loss, val_loss) = C.wall(lambda: func(X, y, args))
            c = time.process_time() - c0
            tag = "warm-up" if r == 0 else str(r)
            if show_losses or r == 0:
                print(f"  {tag:<7} {name:<6} {C.fmt_time(t):>9} {C.fmt_time(c):>9} {loss:>11.5f} "
                      f"{val_loss:>15.5f}  {C.load_average().split()[0]}")
            if r > 0:
                wall[name].append(t)
                cpu[name].append(c)
                losses[name].append((loss, val_loss))
    for what, d in (("wall", wall), ("cpu ", cpu)):
        t_s, t_k = C.median(d["skrnn"]), C.median(d["keras"])
        print(f"  median {what} (n={rounds}): skrnn {C.fmt_time(t_s)}, keras {C.fmt_time(t_k)} "
              f"-> overhead {100 * (t_s / t_k - 1):+.1f}% ({C.fmt_time(t_s - t_k)}); "
              f"min-based {100 * (min(d['skrnn']) / min(d['keras']) - 1):+.1f}%")
    (ls, vs), (lk, vk) = losses["skrnn"][-1], losses["keras"][-1]
    same = all(np.allclose(a, b, rtol=1e-5) for a, b in zip(losses["skrnn"], losses["keras"]))
    print(f"  final loss: skrnn {ls:.5f} vs keras {lk:.5f} (rel. diff {abs(ls - lk) / lk:.2%}); "
          f"val_loss: skrnn {vs:.5f} vs keras {vk:.5f} (rel. diff {abs(vs - vk) / vk:.2%}); "
          f"identical in every round: {same}")

if __name__ == "__main__":
    main()
