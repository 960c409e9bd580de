"""Finished runs kept in the report folder, so that a study can stop and resume.

Every network the study trains (one network, one seed, one data set) is
written to ``<out>/runs/<key>.json`` as soon as it has been scored, and
every part that finished to ``<out>/runs/part-<name>.json``. The key is a
digest of everything the result depends on (the windows and targets, the
estimator's parameters, the seed), so a file is only ever read back for
the same run. ``<out>/runs/manifest.json`` records the configuration and
the skrnn and Keras versions; a folder whose manifest differs is refused
(:func:`check_resumable`) instead of mixing runs of two setups.

Files hold plain JSON (numbers, strings, lists): no pickles, nothing that
runs code when it is read. Each is written to a temporary file in the same
folder and renamed over the target (``os.replace``), so a study killed at
any moment leaves either the whole file or none.

:class:`InterruptGuard` turns SIGINT and SIGTERM into
:class:`StudyInterrupted` (a ``KeyboardInterrupt``) and holds them back
while a file is being written.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import os
import re
import secrets
import signal
import sys
import threading
from contextlib import contextmanager, suppress
from pathlib import Path

import numpy as np
import pandas as pd

from ._config import StudyError

#: Version of the record format (a folder of another format is refused).
STORE_FORMAT = 1
#: The folder of the report that holds the finished runs.
RUNS_DIR = "runs"
MANIFEST = "manifest.json"


# --------------------------------------------------------------------------- #
# plain JSON: numbers, arrays, tables
# --------------------------------------------------------------------------- #
def to_plain(obj):
    """``obj`` as JSON types only; arrays, tables and non-finite floats are tagged.

    Raises TypeError for anything else (an object that would need code to
    be rebuilt).
    """
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        value = float(obj)
        return value if math.isfinite(value) else {"$float": repr(value)}
    if obj is pd.NA:
        return {"$na": True}
    if isinstance(obj, pd.Timestamp):
        return {"$timestamp": obj.isoformat()}
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind not in "biuf":
            raise TypeError(f"cannot store an array of {obj.dtype}")
        return {"$array": obj.dtype.str, "shape": list(obj.shape),
                "data": [to_plain(v) for v in obj.ravel().tolist()]}
    if isinstance(obj, pd.DataFrame):
        return {"$frame": _frame_to_plain(obj)}
    if isinstance(obj, dict):
        if not all(isinstance(k, str) and not k.startswith("$") for k in obj):
            raise TypeError("cannot store a dict whose keys are not plain strings")
        return {k: to_plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_plain(v) for v in obj]
    raise TypeError(f"cannot store a {type(obj).__name__}")


def _frame_to_plain(df):
    index = df.index
    plain_index = None
    if not (isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1):
        if isinstance(index, pd.MultiIndex):
            raise TypeError("cannot store a table with a MultiIndex")
        plain_index = {"values": [to_plain(v) for v in index.tolist()], "dtype": str(index.dtype),
                       "name": to_plain(index.name)}
    if isinstance(df.columns, pd.MultiIndex):
        raise TypeError("cannot store a table with MultiIndex columns")
    return {"columns": [to_plain(c) for c in df.columns],
            "dtypes": [str(df[c].dtype) for c in df.columns] if df.columns.is_unique
            else [str(t) for t in df.dtypes],
            "data": [[to_plain(v) for v in df.iloc[:, i].tolist()] for i in range(df.shape[1])],
            "index": plain_index}


def _hook(obj):
    """``json.loads`` object hook: the inverse of :func:`to_plain`'s tags."""
    if "$float" in obj:
        return float(obj["$float"])
    if "$na" in obj:
        return pd.NA
    if "$timestamp" in obj:
        return pd.Timestamp(obj["$timestamp"])
    if "$array" in obj:
        return np.array(obj["data"], dtype=np.dtype(obj["$array"])).reshape(obj["shape"])
    if "$frame" in obj:
        spec = obj["$frame"]
        columns = {i: pd.Series(values, dtype=dtype)
                   for i, (values, dtype) in enumerate(zip(spec["data"], spec["dtypes"]))}
        df = pd.DataFrame(columns)
        df.columns = pd.Index(spec["columns"], dtype=object)
        if spec["index"] is not None:
            ix = spec["index"]
            df.index = pd.Index(ix["values"], dtype=ix["dtype"], name=ix["name"])
        return df
    return obj


def dumps(obj) -> str:
    """Plain JSON text of ``obj`` (see :func:`to_plain`)."""
    return json.dumps(to_plain(obj), allow_nan=False, ensure_ascii=False)


def loads(text: str):
    """The object of :func:`dumps`."""
    return json.loads(text, object_hook=_hook)


def write_atomic(path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename."""
    path = Path(path)
    # a fresh name in the same folder (so os.replace is atomic), opened
    # exclusively; unlike tempfile.mkstemp it gets the usual permissions
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "x", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise


def run_key(name: str, fields: dict, arrays=()) -> str:
    """A stable file name for a run: ``name`` and a digest of it, ``fields`` and ``arrays``.

    ``name`` and ``fields`` are turned into canonical JSON (sorted keys, values that are not
    JSON by their ``repr``); each array adds its dtype, shape and bytes. The
    same inputs give the same key on every machine and in every session.

    Examples
    --------
    >>> from skrnn.study._store import run_key
    >>> run_key("eth-lstm-seed0", {"units": 16})
    'eth-lstm-seed0-a80b0fe5e37d033d'
    """
    digest = hashlib.sha256()
    digest.update(json.dumps([name, fields], sort_keys=True, default=repr).encode())
    for a in arrays:
        a = np.ascontiguousarray(a)
        digest.update(f"|{a.dtype.str}{a.shape}|".encode())
        digest.update(a.tobytes())
    slug = "".join(c if c.isalnum() or c in "-_." else "_" for c in name.lower()).strip("_.")
    return f"{slug}-{digest.hexdigest()[:16]}"


# --------------------------------------------------------------------------- #
# the manifest
# --------------------------------------------------------------------------- #
def current_versions() -> dict:
    """The versions that decide whether stored runs can be reused: skrnn, Keras, backend."""
    import importlib.metadata as md

    from .. import __version__

    out = {"skrnn": __version__}
    for name in ("keras", "tensorflow"):
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            out[name] = None
    return out


def data_identity(config, frame, btc_frame, start, end) -> dict:
    """What identifies the study's data in the manifest: the date range and fingerprints.

    The bundled data are identified by ``start`` and ``end`` (and the skrnn
    version in the manifest); tables passed in and a ``benchmark_csv`` file
    by a digest of their content.
    """
    out = {"start": None if start is None else str(start), "end": None if end is None else str(end)}
    for name, table in (("frame", frame), ("btc_frame", btc_frame)):
        if table is not None:
            hashed = pd.util.hash_pandas_object(table, index=True).to_numpy()
            cols = "|".join(map(str, table.columns)).encode()
            out[name] = hashlib.sha256(hashed.tobytes() + cols).hexdigest()[:16]
    csv = getattr(config, "benchmark_csv", None)
    if csv is not None and Path(csv).is_file():
        out["benchmark_csv"] = hashlib.sha256(Path(csv).read_bytes()).hexdigest()[:16]
    return out


def _manifest(config, data):
    return {"format": STORE_FORMAT, "config": config.to_dict(), "data": data,
            "versions": current_versions()}


def _differences(old: dict, new: dict, most=4) -> str:
    """``a 1 -> 2, b 'x' -> 'y'``: the first ``most`` differing entries (and how many more)."""
    keys = [k for k in dict.fromkeys([*new, *old]) if old.get(k) != new.get(k)]
    text = ", ".join(f"{k} {old.get(k)!r} -> {new.get(k)!r}" for k in keys[:most])
    return text + (f" and {len(keys) - most} more" if len(keys) > most else "")


_RUN_FILE = re.compile(r"^[\w.-]+-[0-9a-f]{16}\.json$")
_PART_FILE = re.compile(r"^part-[\w.-]+\.json$")


def _stored_runs(folder: Path) -> list[Path]:
    """The run files in ``folder`` (by their names: a key ends in 16 hex digits)."""
    return sorted(p for p in folder.glob("*.json")
                  if _RUN_FILE.match(p.name) and not _PART_FILE.match(p.name))


def check_resumable(out_dir, config, *, data=None, fresh=False) -> int:
    """How many finished runs ``out_dir`` holds for ``config`` (0 for a new folder).

    Reads ``<out_dir>/runs/manifest.json`` only; nothing is written.
    ``data`` is :func:`data_identity` (default: the bundled data, whole).

    Raises
    ------
    StudyError
        When the folder holds runs of another configuration, data, record
        format or skrnn / Keras version (unless ``fresh``): one line naming
        the difference and the fix (``--fresh`` or another ``--out``).
    """
    folder = Path(out_dir) / RUNS_DIR
    path = folder / MANIFEST
    if fresh or not path.is_file():
        return 0
    fix = "run again with --fresh to discard them, or choose another --out folder"
    if data is None:
        data = data_identity(config, None, None, None, None)
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise StudyError(f"{path} cannot be read; {fix}.") from None
    new = _manifest(config, data)
    if not isinstance(old, dict) or old.get("format") != STORE_FORMAT:
        raise StudyError(f"{folder} holds runs in another record format; {fix}.")
    if old.get("versions") != new["versions"]:
        was, now = old.get("versions") or {}, new["versions"]
        names = _differences(was, now)
        raise StudyError(f"{folder} holds runs made with other package versions ({names}); {fix}.")
    if old.get("config") != new["config"]:
        diff = _differences(old.get("config") or {}, new["config"])
        raise StudyError(f"{folder} holds runs of another configuration ({diff}); {fix}.")
    if old.get("data") != new["data"]:
        diff = _differences(old.get("data") or {}, new["data"] or {})
        raise StudyError(f"{folder} holds runs on other data ({diff}); {fix}.")
    return len(_stored_runs(folder))


# --------------------------------------------------------------------------- #
# the store
# --------------------------------------------------------------------------- #
class RunStore:
    """The finished runs of one report folder (``<out>/runs``).

    Open it with :meth:`open`, which checks the manifest
    (:func:`check_resumable`), discards the old runs with ``fresh=True`` and
    writes the manifest. :meth:`load` returns a stored record or ``None``,
    :meth:`save` writes one atomically. :attr:`reused` holds the keys
    loaded in this session, :attr:`touched` those loaded or written.

    Parameters
    ----------
    folder : pathlib.Path
        The ``runs`` folder (created).
    guard : InterruptGuard or None
        Holds signals back while a file is written.
    """

    def __init__(self, folder, guard=None):
        self.folder = Path(folder)
        self.guard = guard
        self.reused = set()  # keys loaded in this session
        self.touched = set()  # keys loaded or written in this session

    @classmethod
    def open(cls, out_dir, config, *, data=None, fresh=False, guard=None) -> "RunStore":
        """Check (or with ``fresh`` clear) ``<out_dir>/runs`` and write its manifest."""
        if data is None:
            data = data_identity(config, None, None, None, None)
        check_resumable(out_dir, config, data=data, fresh=fresh)
        store = cls(Path(out_dir) / RUNS_DIR, guard)
        store.folder.mkdir(parents=True, exist_ok=True)
        for stale in store.folder.glob(".*.tmp"):  # left by a process killed with SIGKILL
            stale.unlink()
        if fresh and (store.folder / MANIFEST).is_file():  # only a folder the study wrote
            for old in store.folder.glob("*.json"):
                if old.name == MANIFEST or _RUN_FILE.match(old.name) or _PART_FILE.match(old.name):
                    old.unlink()
        manifest = _manifest(config, data)
        manifest["created"] = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
        path = store.folder / MANIFEST
        if not path.exists():
            store._write(path, manifest)
        return store

    @property
    def n_runs(self) -> int:
        """Finished runs in the folder."""
        return len(_stored_runs(self.folder))

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def load(self, key: str):
        """The record stored under ``key``, or ``None`` (also for an unreadable file)."""
        path = self.path(key)
        if not path.is_file():
            return None
        try:
            record = loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, TypeError):
            return None
        if not isinstance(record, dict) or record.get("key") != key:
            return None
        if not key.startswith("part-"):
            self.reused.add(key)
            self.touched.add(key)
        return record

    def save(self, key: str, record: dict) -> bool:
        """Write ``record`` under ``key``; ``False`` if it holds something that is not plain data."""
        try:
            self._write(self.path(key), dict(record, key=key))
        except TypeError:
            return False
        if not key.startswith("part-"):
            self.touched.add(key)
        return True

    def _write(self, path, payload):
        text = dumps(payload)  # TypeError before anything is written
        if self.guard is None:
            write_atomic(path, text)
        else:
            with self.guard.deferred():
                write_atomic(path, text)


# --------------------------------------------------------------------------- #
# interruption
# --------------------------------------------------------------------------- #
class StudyInterrupted(KeyboardInterrupt):
    """The study stopped on SIGINT (Ctrl-C) or SIGTERM; its finished runs are kept.

    Attributes
    ----------
    signum : int
        The signal (``signal.SIGINT`` or ``signal.SIGTERM``).
    folder : pathlib.Path or None
        The ``runs`` folder holding the finished runs.
    n_runs : int
        Finished runs in it.
    exit_code : int
        ``128 + signum``: 130 for SIGINT, 143 for SIGTERM.
    """

    def __init__(self, signum=signal.SIGINT, folder=None, n_runs=0):
        self.signum = int(signum)
        self.folder = folder
        self.n_runs = int(n_runs)
        super().__init__(f"interrupted by {signal.Signals(self.signum).name}")

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


class InterruptGuard:
    """SIGINT and SIGTERM raise :class:`StudyInterrupted` while the guard is entered.

    Inside :meth:`deferred` (writing a file) a signal is remembered and
    raised when the block ends, so no file is left half-written. Handlers
    are installed in the main thread only (elsewhere Python cannot) and the
    previous ones come back on exit.

    A signal can arrive while Python runs code whose exceptions it cannot
    propagate (a garbage-collector callback, such as the one JAX installs,
    or a ``__del__``): Python then prints the exception as "ignored" with
    a traceback. While the guard is entered such a :class:`StudyInterrupted`
    is kept quiet (other unraisable exceptions are reported as before) and
    :meth:`check`, called between runs, raises it where it can be handled.
    """

    _SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self):
        self.signum = None
        self._depth = 0
        self._previous = {}
        self._unraisable = None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for sig in self._SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)
            self._unraisable = sys.unraisablehook
            sys.unraisablehook = self._quiet_unraisable
        return self

    def __exit__(self, *exc):
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous = {}
        if self._unraisable is not None:
            sys.unraisablehook = self._unraisable
            self._unraisable = None
        return False

    def _quiet_unraisable(self, unraisable):
        if isinstance(unraisable.exc_value, StudyInterrupted):
            return
        (self._unraisable or sys.__unraisablehook__)(unraisable)

    def _handle(self, signum, frame):
        if self.signum is None:
            self.signum = signum
        if self._depth == 0:
            raise StudyInterrupted(signum)

    def check(self):
        """Raise :class:`StudyInterrupted` if a signal arrived (and was swallowed somewhere)."""
        if self.signum is not None and self._depth == 0:
            raise StudyInterrupted(self.signum)

    @contextmanager
    def deferred(self):
        """Hold signals back until the block ends."""
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
        self.check()
