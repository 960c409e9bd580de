"""Import time of ``skrnn``, and which heavy packages it drags in.

Each repeat runs ``import skrnn`` in a fresh interpreter (so nothing is
cached in ``sys.modules``) and reports the in-process import time and the
whole subprocess wall time. Importing skrnn must not import TensorFlow,
Keras, sktime or matplotlib (DESIGN.md, principle 7); the script prints
which of them ended up in ``sys.modules``. For scale it also times the
imports skrnn cannot avoid (numpy, pandas, scikit-learn) and, with
``--tensorflow``, ``import keras``.

Run::

    PYTHONPATH=. python benchmarks/bench_import.py
    python benchmarks/bench_import.py --repeat 3 --tensorflow
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import _common as C

HEAVY = ("tensorflow", "keras", "sktime", "matplotlib", "scikeras", "torch", "jax")

CHILD = r"""
import sys, time, json
t0 = time.perf_counter()
{stmt}
dt = time.perf_counter() - t0
heavy = {heavy!r}
print(json.dumps({{"seconds": dt,
                  "loaded": [m for m in heavy if m in sys.modules],
                  "n_modules": len(sys.modules)}}))
"""


def run_child(stmt: str) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(C.ROOT), env.get("PYTHONPATH", "")]))
    code = CHILD.format(stmt=stmt, heavy=HEAVY)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"`{stmt}` failed in a fresh interpreter:\n{proc.stderr}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["wall"] = wall
    return result


def measure(stmt: str, repeat: int):
    runs = [run_child(stmt) for _ in range(repeat)]
    return (C.median([r["seconds"] for r in runs]), C.median([r["wall"] for r in runs]),
            runs[-1]["loaded"], runs[-1]["n_modules"])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=7, help="fresh interpreters per statement")
    p.add_argument("--tensorflow", action="store_true", help="also time `import keras` (slow)")
    args = p.parse_args(argv)

    C.header("import time (fresh interpreter each repeat, median)", repeat=args.repeat)
    stmts = [
        ("import numpy, pandas, sklearn.base", "the unavoidable dependencies"),
        ("import skrnn", "the package"),
        ("import skrnn; from skrnn import LSTMRegressor, SlidingWindow, chronological_split",
         "public names"),
    ]
    if args.tensorflow:
        stmts.append(("import keras", "for scale: what skrnn defers"))
    print(f"  {'statement':<84} {'import':>9} {'process':>9} {'modules':>7}  heavy loaded")
    figures = {}
    for stmt, _what in stmts:
        t, wall, loaded, n_mod = measure(stmt, args.repeat)
        figures[stmt] = t
        print(f"  {stmt:<84} {C.fmt_time(t):>9} {C.fmt_time(wall):>9} {n_mod:>7}  "
              f"{', '.join(loaded) if loaded else 'none'}")
    base = figures["import numpy, pandas, sklearn.base"]
    own = figures["import skrnn"] - base
    print()
    print(f"skrnn's own share (import skrnn - deps): {C.fmt_time(own)}")
    _, _, loaded, _ = measure("import skrnn", 1)
    for mod in HEAVY[:4]:
        print(f"  {mod:<11} in sys.modules after `import skrnn`: {mod in loaded}")
    if loaded:
        print(f"WARNING: import skrnn loaded {loaded}; DESIGN.md says they load on use.")


if __name__ == "__main__":
    main()
