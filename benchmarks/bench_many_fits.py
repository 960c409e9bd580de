"""Many small fits in one process: does the process give the memory back?

``--fits`` fits (default 120) of ``LSTMRegressor(units=4, epochs=2)`` on 300
windows of 10 x 3, one after another in one process, as
``GridSearchCV(n_jobs=1)`` or a study does. Prints the resident set after
each block of fits, the growth after the first ``--settle`` fits (the
target: at most 200 MB over 120 fits on TensorFlow) and, with ``--census``,
which Python object types grew between the fit ``--settle`` and the last
(``gc.get_objects()`` counts) and TensorFlow's live traced functions.

Run::

    PYTHONPATH=. python benchmarks/bench_many_fits.py
    PYTHONPATH=. python benchmarks/bench_many_fits.py --fits 40 --census   # what is left behind
"""

from __future__ import annotations

import argparse
import collections
import gc
import time

import numpy as np

import _common as C  # noqa: I001  (puts the repository root on sys.path)


def rss():
    """Current resident set in bytes (Linux)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096


def census():
    gc.collect()
    return collections.Counter(type(o).__qualname__ for o in gc.get_objects())


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--fits", type=int, default=120)
    p.add_argument("--settle", type=int, default=20)
    p.add_argument("--windows", type=int, default=300)
    p.add_argument("--every", type=int, default=10, help="print every N fits")
    p.add_argument("--census", action="store_true")
    args = p.parse_args(argv)

    from skrnn import LSTMRegressor

    C.header("many fits in one process", fits=args.fits, windows=args.windows,
             model="LSTMRegressor(units=4, epochs=2)")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(args.windows, 10, 3))
    y = X[:, -1, 0] + 0.1 * rng.normal(size=args.windows)
    import keras
    import tensorflow as tf

    print(f"versions: keras {keras.__version__}, tensorflow {tf.__version__}")
    start = rss()
    marks, times, counts = {}, [], None
    print(f"  {'fit':>5} {'RSS':>10} {'growth':>10} {'s/fit':>7}")
    for i in range(1, args.fits + 1):
        t0 = time.perf_counter()
        LSTMRegressor(units=4, epochs=2, random_state=i).fit(X, y)
        times.append(time.perf_counter() - t0)
        marks[i] = rss()
        if args.census and i == args.settle:
            counts = census()
        if i % args.every == 0 or i == 1:
            print(f"  {i:>5} {C.fmt_bytes(marks[i]):>10} {C.fmt_bytes(marks[i] - start):>10} "
                  f"{C.median(times[-args.every:]):>7.2f}")
    settle = min(args.settle, args.fits)
    growth = marks[args.fits] - marks[settle]
    per_fit = growth / max(1, args.fits - settle)
    print(f"growth after fit {settle}: {C.fmt_bytes(growth)} over {args.fits - settle} fits "
          f"({C.fmt_bytes(per_fit)} per fit; extrapolated to 100 fits: "
          f"{C.fmt_bytes(100 * per_fit)}); median fit {C.median(times):.2f} s")
    if counts is not None:
        grown = census() - counts
        n = args.fits - settle
        print(f"object types grown between fit {settle} and fit {args.fits} (per fit):")
        for name, k in grown.most_common(15):
            print(f"  {name:<40} +{k:>7} ({k / n:.1f})")


if __name__ == "__main__":
    main()
