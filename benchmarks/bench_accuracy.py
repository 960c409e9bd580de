"""One-step-ahead accuracy on the ETH close: recurrent networks vs naive and ridge.

The study's protocol (``skrnn.study`` ``prepare_data``): daily ETH, windows
of 10 days, chronological 80/20 split of the rows (``n - int(0.2 n)``), the
first 9 training rows used as history only. Every model is fitted once on
the training windows and predicts every test day from the 10 days before it
(272 one-step forecasts, no refit). Baselines on the same windows:

* naive: tomorrow = today (``close[t]``);
* ridge: ``ZeroBaseRegressor()`` (ridge, alpha 1, on flattened zero-base
  windows), the study's linear baseline.

Each network configuration is trained with every seed of ``--seeds``; its
row gives the mean over the seeds (min-max of the ratio to naive in
brackets) and the ``ens`` row the average of the seeds' predictions,
computed by ``sklearn.ensemble.VotingRegressor`` over the seeded members
(one fit gives both: the members are read from ``estimators_``).

Metrics on the test days: MSE in USD^2, zero-base MSE (``mean(((y - y_hat)
/ x0)^2)`` with ``x0`` the window's first close: the lab's scale), MAE in
USD; each MSE also as a ratio to naive and to ridge *on the same features*.
``fit s`` is the time of one member's fit (the ens row: all members).

All networks: 20 epochs, batch 32, dropout 0.2, Adam 1e-3, last 10 % of the
training windows for validation and early stopping (patience 10, best
weights restored) unless the row says otherwise, ``calibration_fraction=0``
(no extra hold-out: accuracy only; the intervals are not used here).

Run::

    PYTHONPATH=. python benchmarks/bench_accuracy.py            # ~20 min on 2 cores
    python benchmarks/bench_accuracy.py --quick                   # 2 seeds, 3 epochs
    python benchmarks/bench_accuracy.py --seeds 0,1,2 --features close
"""

from __future__ import annotations

import argparse
import functools
import resource
import time
import warnings

import _common as C
import numpy as np

FEATURE_SETS = {
    "close": ["close"],
    "ohlcv": ["close", "open", "high", "low", "volume"],
}


def huber(delta):
    """Huber loss with ``delta`` as a plain callable.

    ``keras.losses.Huber(delta=d)`` loses ``delta`` when deep-copied (keras
    3.15 rebuilds it from a config without ``delta``), and sklearn's
    ``clone`` deep-copies non-estimator parameters, so every member of a
    ``VotingRegressor`` would train with ``delta=1``. A ``functools.partial``
    survives the copy.
    """
    import keras

    return functools.partial(keras.losses.huber, delta=delta)


def configs(epochs):
    """(name, estimator class name, parameters) of every network row."""
    base = {"units": 64, "dropout": 0.2, "epochs": epochs, "batch_size": 32,
            "learning_rate": 1e-3, "validation_fraction": 0.1, "early_stopping": 10,
            "calibration_fraction": 0.0, "normalize": "last_value", "loss": "mse"}
    # train every epoch on every window, as the peer libraries' reference runs do
    no_val = {"validation_fraction": 0.0, "early_stopping": None}
    rows = [
        ("LSTM64 zero_base", "LSTMRegressor", {"normalize": "zero_base"}),
        ("LSTM64 last_value", "LSTMRegressor", {}),
        ("LSTM64 lv huber", "LSTMRegressor", {"loss": "huber"}),
        ("LSTM64 lv huber d=.02", "LSTMRegressor", {"loss": huber(0.02)}),
        ("LSTM64 lv mae", "LSTMRegressor", {"loss": "mae"}),
        ("LSTM16 last_value", "LSTMRegressor", {"units": 16}),
        ("LSTM8 last_value", "LSTMRegressor", {"units": 8}),
        ("LSTM64 lv wd=0.1", "LSTMRegressor", {"weight_decay": 0.1}),
        ("LSTM64 lv wd=1", "LSTMRegressor", {"weight_decay": 1.0}),
        ("LSTM64 standard", "LSTMRegressor", {"normalize": "standard"}),
        ("GRU64 last_value", "GRURegressor", {}),
        ("LSTM64 lv no val/ES", "LSTMRegressor", no_val),
        ("LSTM16 lv no val/ES", "LSTMRegressor", {**no_val, "units": 16}),
        ("LSTM64 lv no val/ES wd=1", "LSTMRegressor", {**no_val, "weight_decay": 1.0}),
        ("LSTM64 lv no val/ES 2x ep", "LSTMRegressor", {**no_val, "epochs": 2 * epochs}),
    ]
    return [(name, cls, {**base, **over}) for name, cls, over in rows]


def evaluate(y, pred, base, naive, ridge):
    from skrnn.study._models import regression_metrics

    m = regression_metrics(y, pred, base)
    return {
        "mse": m["mse"], "mse_zb": m["mse_zb"], "mae": m["mae"],
        "r_naive": m["mse"] / naive["mse"], "r_ridge": m["mse"] / ridge["mse"],
        "zr_naive": m["mse_zb"] / naive["mse_zb"], "zr_ridge": m["mse_zb"] / ridge["mse_zb"],
    }


HEAD = (f"  {'model':<26} {'MSE USD^2':>10} {'/naive [min-max]':>20} {'/ridge':>7} "
        f"{'zb MSE':>9} {'/naive [min-max]':>20} {'/ridge':>7} {'MAE':>7} {'ep':>5} {'fit s':>6}")


def line(name, m, lo=None, hi=None, ep=None, fit=None):
    def rng(key, key_lo):
        r = f"{m[key]:.3f}"
        if lo is not None:
            r += f" [{lo[key_lo]:.3f}-{hi[key_lo]:.3f}]"
        return r

    ep_s = "" if ep is None else f"{ep:.1f}"
    fit_s = "" if fit is None else f"{fit:.1f}"
    return (f"  {name:<26} {m['mse']:>10.1f} {rng('r_naive', 'r_naive'):>20} "
            f"{m['r_ridge']:>7.3f} {m['mse_zb']:>9.5f} {rng('zr_naive', 'zr_naive'):>20} "
            f"{m['zr_ridge']:>7.3f} {m['mae']:>7.2f} {ep_s:>5} {fit_s:>6}")


def run_features(frame, fs_name, columns, cfgs, seeds, summary):
    from sklearn.ensemble import VotingRegressor

    import skrnn
    from skrnn import ZeroBaseRegressor
    from skrnn.study._models import prepare_data, regression_metrics

    d = prepare_data(frame, columns)
    y, base = d.y_test, d.base_test
    naive = regression_metrics(y, d.naive_test, base)
    t0 = time.perf_counter()
    ridge_model = ZeroBaseRegressor(target_channel=d.target_channel).fit(d.W_train, d.y_train)
    ridge_pred = ridge_model.predict(d.W_test)
    t_ridge = time.perf_counter() - t0
    ridge = regression_metrics(y, ridge_pred, base)

    print()
    print(f"--- features {fs_name} {d.columns}: {len(d.W_train)} training windows "
          f"x {d.window_len} x {d.n_features}, {len(y)} test days "
          f"{d.test_dates[0]:%Y-%m-%d}..{d.test_dates[-1]:%Y-%m-%d}, seeds {list(seeds)}; "
          f"load average {C.load_average()}")
    print(HEAD)
    print(line("naive (tomorrow = today)", evaluate(y, d.naive_test, base, naive, ridge)))
    print(line("ridge (ZeroBaseRegressor)", evaluate(y, ridge_pred, base, naive, ridge), fit=t_ridge))
    for name, cls_name, params in cfgs:
        cls = getattr(skrnn, cls_name)
        members = [(f"seed{s}", cls(target_channel=d.target_channel, random_state=s, **params))
                   for s in seeds]
        t0 = time.perf_counter()
        vote = VotingRegressor(members).fit(d.W_train, d.y_train)
        t_fit = time.perf_counter() - t0
        per_seed = [evaluate(y, est.predict(d.W_test), base, naive, ridge) for est in vote.estimators_]
        epochs = float(np.mean([est.n_epochs_ for est in vote.estimators_]))
        mean = {k: float(np.mean([m[k] for m in per_seed])) for k in per_seed[0]}
        lo = {k: float(np.min([m[k] for m in per_seed])) for k in per_seed[0]}
        hi = {k: float(np.max([m[k] for m in per_seed])) for k in per_seed[0]}
        ens = evaluate(y, vote.predict(d.W_test), base, naive, ridge)
        print(line(name, mean, lo, hi, ep=epochs, fit=t_fit / len(seeds)), flush=True)
        print(line(f"  ens {len(seeds)} seeds", ens, fit=t_fit), flush=True)
        summary.append((fs_name, name, mean, ens))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true",
                   help="smoke run: 2 seeds, 3 epochs (unless --seeds / --epochs are given)")
    p.add_argument("--seeds", default=None,
                   help="a count N (seeds 0..N-1) or a comma-separated list (default 5)")
    p.add_argument("--epochs", type=int, default=None, help="maximum epochs (default 20)")
    p.add_argument("--features", default="close,ohlcv",
                   help="comma-separated feature sets: close, ohlcv (default both)")
    p.add_argument("--only", default=None,
                   help="run only the rows whose name contains one of these comma-separated words")
    args = p.parse_args(argv)
    seeds_arg = args.seeds or ("2" if args.quick else "5")
    seeds = (list(range(int(seeds_arg))) if "," not in seeds_arg
             else [int(s) for s in seeds_arg.split(",")])
    epochs = args.epochs or (3 if args.quick else 20)

    warnings.simplefilter("ignore", FutureWarning)
    from skrnn.datasets import load_eth

    frame = load_eth()
    cfgs = configs(epochs)
    if args.only:
        words = args.only.split(",")
        cfgs = [c for c in cfgs if any(w in c[0] for w in words)]
    C.header("one-step-ahead accuracy, ETH close, window 10, 80/20 split, fitted once",
             days=len(frame), seeds=",".join(map(str, seeds)), epochs=epochs,
             configurations=len(cfgs))
    C.versions("numpy", "sklearn", "tensorflow", "keras")
    t_all = time.perf_counter()
    summary = []
    for fs in args.features.split(","):
        run_features(frame, fs, FEATURE_SETS[fs], cfgs, seeds, summary)

    print()
    print("--- networks at least as accurate as ridge on the same features in both MSEs "
          "and <= 0.93 x naive MSE (mean over seeds / ensemble):")
    hits = [(fs, name, kind, m) for fs, name, mean, ens in summary
            for kind, m in (("mean", mean), ("ens", ens))
            if m["r_naive"] <= 0.93 and m["r_ridge"] <= 1 and m["zr_ridge"] <= 1]
    for fs, name, kind, m in hits:
        print(f"  {fs:<6} {name:<24} {kind:<4} /naive {m['r_naive']:.3f}  /ridge {m['r_ridge']:.3f}  "
              f"zb /naive {m['zr_naive']:.3f}  zb /ridge {m['zr_ridge']:.3f}")
    if not hits:
        print("  none")
    best = min(summary, key=lambda r: r[3]["r_naive"])
    print(f"best ensemble by USD MSE: {best[0]} {best[1]} -> /naive {best[3]['r_naive']:.3f}, "
          f"/ridge {best[3]['r_ridge']:.3f}, zb /naive {best[3]['zr_naive']:.3f}, "
          f"zb /ridge {best[3]['zr_ridge']:.3f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(f"total {time.perf_counter() - t_all:.0f} s; peak RSS {C.fmt_bytes(peak)}")


if __name__ == "__main__":
    main()
