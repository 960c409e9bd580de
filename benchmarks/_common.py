"""Shared helpers for the skrnn benchmark scripts (not part of the package).

Every script in this folder prints its figures; none asserts on timings.
The scripts benchmark the checkout they live in: the repository root is put
first on ``sys.path``, so ``python benchmarks/bench_x.py`` works without
installing skrnn.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# quiet TensorFlow's C++ start-up log in every script (skrnn does the same)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def cpu_count() -> int:
    """CPUs this process may run on (the affinity mask, not the host)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def load_average() -> str:
    try:
        return "%.2f %.2f %.2f" % os.getloadavg()
    except (AttributeError, OSError):  # pragma: no cover
        return "n/a"


def header(title: str, **sizes) -> None:
    """Print what was measured and where, so pasted figures stay readable."""
    print(f"== {title} ==")
    print(f"python {platform.python_version()} | {platform.machine()} | "
          f"{cpu_count()} CPU(s) | load average {load_average()}")
    if sizes:
        print("sizes: " + ", ".join(f"{k}={v}" for k, v in sizes.items()))


def versions(*names: str) -> None:
    """Print the versions of already-importable packages (imports them)."""
    out = []
    for name in names:
        try:
            mod = __import__(name)
            out.append(f"{name} {getattr(mod, '__version__', '?')}")
        except ImportError:
            out.append(f"{name} (not installed)")
    print("versions: " + ", ".join(out))


def best_of(func, repeat: int = 5, number: int = 1) -> float:
    """Best (minimum) seconds per call over ``repeat`` rounds of ``number`` calls."""
    times = timeit.repeat(func, repeat=repeat, number=number)
    return min(times) / number


def wall(func):
    """Run ``func()`` once; return ``(seconds, result)``."""
    t0 = time.perf_counter()
    result = func()
    return time.perf_counter() - t0, result


def median(values) -> float:
    return statistics.median(values)


def fmt_time(seconds: float) -> str:
    a = abs(seconds)
    if a < 1e-3:
        return f"{seconds * 1e6:.1f} us"
    if a < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.3f} s"


def fmt_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    return f"{n:.1f} GiB"  # pragma: no cover
