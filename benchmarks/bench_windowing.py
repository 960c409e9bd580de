"""Windowing and zero-base normalisation: skrnn against the lab's per-row loop.

The reference is the seed lab's ``extract_window_data`` /
``normalise_zero_base`` (reproduced below unchanged in behaviour): a Python
loop that slices, copies and normalises a DataFrame once per window.
``skrnn.SlidingWindow`` builds the windows with numpy stride tricks and
``skrnn.zero_base`` normalises all of them in one vectorised expression.

Alignment: the lab makes ``len(df) - window_len`` windows, window ``idx``
holding rows ``idx .. idx + window_len - 1``. ``SlidingWindow`` makes one
window per row, window ``t`` holding rows ``t - window_len + 1 .. t`` (the
first ``window_len - 1`` padded), so lab window ``idx`` is skrnn window
``idx + window_len - 1``. (The lab's ``range`` also skips the last complete
window, the one that ends on the last row.)

Run::

    PYTHONPATH=. python benchmarks/bench_windowing.py
    python benchmarks/bench_windowing.py --rows 5000 --repeat 3   # quicker
"""

from __future__ import annotations

import argparse
import gc
import tracemalloc

import numpy as np
import pandas as pd

import _common as C  # noqa: I001  (puts the repository root on sys.path)

import skrnn


# --------------------------------------------------------------------------
# the lab's reference implementation
# --------------------------------------------------------------------------
def normalise_zero_base(df):
    """The lab's per-window zero-base: ``df / df.iloc[0] - 1``, zero bases -> 1."""
    coefs = df.iloc[0].to_numpy(copy=True)
    for i in range(len(coefs)):
        if coefs[i] == 0:
            coefs[i] = 1
    return df / coefs - 1


def extract_window_data(df, window_len=10, zero_base=True):
    """The lab's per-row windowing loop."""
    window_data = []
    for idx in range(len(df) - window_len):
        tmp = df[idx: (idx + window_len)].copy()
        if zero_base:
            tmp = normalise_zero_base(tmp)
        window_data.append(tmp.values)
    return np.array(window_data)


# --------------------------------------------------------------------------
# skrnn
# --------------------------------------------------------------------------
def skrnn_windows(df, window_len):
    return skrnn.SlidingWindow(window_len=window_len).fit_transform(df)


def skrnn_windows_zero_base(df, window_len):
    scaled, _base = skrnn.zero_base(skrnn_windows(df, window_len))
    return scaled


# --------------------------------------------------------------------------
def make_frame(n_rows, n_features, seed=0):
    """Price-like random walks, plus one count column with exact zeros so the
    ``x0 == 0 -> 1`` rule is exercised."""
    rng = np.random.default_rng(seed)
    steps = rng.normal(0.0, 0.02, size=(n_rows, n_features))
    data = 100.0 * np.exp(np.cumsum(steps, axis=0)) * rng.uniform(0.5, 50.0, size=n_features)
    data[:, -1] = rng.poisson(0.7, size=n_rows)  # many zeros
    cols = ["close", "open", "high", "low", "volume", "tx_count", "active_addr",
            "fees", "rsi", "macd", "sentiment"]
    cols = (cols + [f"f{i}" for i in range(len(cols), n_features)])[:n_features]
    index = pd.date_range("2015-08-07", periods=n_rows, freq="D")
    return pd.DataFrame(data, index=index, columns=cols)


def peak_memory(func):
    """Peak traced allocation (bytes) while ``func()`` runs, and its result."""
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        result = func()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, result


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=20_000)
    p.add_argument("--features", type=int, default=11)
    p.add_argument("--window", type=int, default=10)
    p.add_argument("--repeat", type=int, default=7, help="timeit rounds for skrnn (best is kept)")
    p.add_argument("--lab-repeat", type=int, default=2, help="rounds for the (slow) lab loop")
    p.add_argument("--no-memory", action="store_true", help="skip the tracemalloc peaks")
    args = p.parse_args(argv)
    n, w = args.rows, args.window

    C.header("windowing: skrnn.SlidingWindow + zero_base vs the lab's per-row loop",
             rows=n, features=args.features, window_len=w)
    C.versions("numpy", "pandas")
    df = make_frame(n, args.features)
    print(f"first-row zeros in lab windows: "
          f"{int((df.iloc[:n - w, -1] == 0).sum())} of {n - w}")

    # ---- correctness: matching slices -----------------------------------
    lab_raw = extract_window_data(df, w, zero_base=False)
    lab_zb = extract_window_data(df, w, zero_base=True)
    sk_raw = skrnn_windows(df, w)
    sk_zb = skrnn_windows_zero_base(df, w)
    match = slice(w - 1, n - 1)  # lab idx -> skrnn idx + w - 1
    print()
    print(f"shapes: lab {lab_raw.shape}, skrnn {sk_raw.shape} "
          f"(skrnn[{w - 1}:{n - 1}] <-> lab[0:{n - w}])")
    for name, lab, sk in (("raw", lab_raw, sk_raw), ("zero-base", lab_zb, sk_zb)):
        part = sk[match]
        same_shape = part.shape == lab.shape
        ok = same_shape and np.allclose(part, lab, rtol=1e-12, atol=1e-12)
        diff = float(np.max(np.abs(part - lab))) if same_shape else float("nan")
        print(f"  {name:<9}: allclose={ok}  max |diff| = {diff:.3g}")

    # ---- timings ----------------------------------------------------------
    t_lab_raw = C.best_of(lambda: extract_window_data(df, w, zero_base=False), repeat=args.lab_repeat)
    t_lab_zb = C.best_of(lambda: extract_window_data(df, w, zero_base=True), repeat=args.lab_repeat)
    t_sk_raw = C.best_of(lambda: skrnn_windows(df, w), repeat=args.repeat)
    t_sk_zb = C.best_of(lambda: skrnn_windows_zero_base(df, w), repeat=args.repeat)
    t_zb_only = C.best_of(lambda: skrnn.zero_base(sk_raw), repeat=args.repeat)
    arr = df.to_numpy()
    t_sk_arr = C.best_of(lambda: skrnn.SlidingWindow(window_len=w).fit_transform(arr), repeat=args.repeat)

    print()
    print(f"time per call (best of {args.lab_repeat} for the lab, {args.repeat} for skrnn):")
    rows = [
        ("lab extract_window_data(zero_base=False)", t_lab_raw, None),
        ("skrnn SlidingWindow.fit_transform(DataFrame)", t_sk_raw, t_lab_raw),
        ("skrnn SlidingWindow.fit_transform(ndarray)", t_sk_arr, t_lab_raw),
        ("lab extract_window_data(zero_base=True)", t_lab_zb, None),
        ("skrnn SlidingWindow + zero_base", t_sk_zb, t_lab_zb),
        ("skrnn zero_base alone (on windows)", t_zb_only, None),
    ]
    for label, t, ref in rows:
        extra = f"   speed-up x{ref / t:,.0f}" if ref else ""
        print(f"  {label:<46} {C.fmt_time(t):>10}{extra}")

    # ---- memory -----------------------------------------------------------
    print()
    print("output size (nbytes):")
    print(f"  lab raw {C.fmt_bytes(lab_raw.nbytes)}, lab zero-base {C.fmt_bytes(lab_zb.nbytes)}, "
          f"skrnn raw {C.fmt_bytes(sk_raw.nbytes)}, skrnn zero-base {C.fmt_bytes(sk_zb.nbytes)} "
          f"(dtype {sk_zb.dtype})")
    if not args.no_memory:
        del lab_raw, lab_zb, sk_zb
        print("peak traced allocation during one call (tracemalloc; input frame excluded):")
        for label, func in (
            ("lab zero_base=False", lambda: extract_window_data(df, w, zero_base=False)),
            ("lab zero_base=True", lambda: extract_window_data(df, w, zero_base=True)),
            ("skrnn SlidingWindow", lambda: skrnn_windows(df, w)),
            ("skrnn SlidingWindow + zero_base", lambda: skrnn_windows_zero_base(df, w)),
            ("skrnn zero_base alone", lambda: skrnn.zero_base(sk_raw)),
        ):
            peak, out = peak_memory(func)
            out = out[0] if isinstance(out, tuple) else out
            print(f"  {label:<32} {C.fmt_bytes(peak):>10}  = {peak / out.nbytes:.2f} x its output")
            del out


if __name__ == "__main__":
    main()
