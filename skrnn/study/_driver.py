"""The driver: :func:`run_study` runs the chosen parts, one after another, and writes the report."""

from __future__ import annotations

import signal
import time
import traceback
from pathlib import Path

import pandas as pd

from ._config import PARTS, StudyConfig, resolve_parts
from ._context import _Study
from ._parts import RUNNERS, _PartUnavailable
from ._progress import Progress
from ._report import StudyResult, check_out_dir, write_outputs
from ._resume import part_key, restore_part, save_part, snapshot
from ._store import InterruptGuard, RunStore, StudyInterrupted, data_identity
from ._tables import _RESULT_COLUMNS


def run_study(parts=None, *, config: StudyConfig | None = None, out_dir="skrnn-report",
              frame: pd.DataFrame | None = None, btc_frame: pd.DataFrame | None = None,
              start=None, end=None, progress: Progress | None = None, argv=None,
              raise_errors=False, fresh=False) -> StudyResult:
    """Run parts of the ETH study and write the report folder.

    Every network is written to ``out_dir/runs/`` as soon as it has been
    scored, and every part as soon as it has finished; running the same
    study into the same folder again loads them instead of training again
    (resuming a study that was interrupted), and the report is the one an
    uninterrupted run writes. ``out_dir/runs/manifest.json`` records the
    configuration, the data and the skrnn and Keras versions: a folder
    holding runs of another setup is refused (``fresh=True`` discards them).

    Parameters
    ----------
    parts : list of str or None
        Part names from :data:`PARTS` (``"all"`` for every part); ``None``
        runs :data:`DEFAULT_PARTS`.
    config : StudyConfig, optional
        The reference setup when omitted; :meth:`StudyConfig.quick_config` for a
        smoke test.
    out_dir : path or None, default="skrnn-report"
        Report folder (created). ``None`` writes nothing (no figures, no
        stored runs either).
    frame : DataFrame, optional
        ETH table in :func:`skrnn.datasets.load_eth`'s layout (default:
        ``load_eth(start=start, end=end)``).
    btc_frame : DataFrame, optional
        BTC candles (default ``load_btc(start=start, end=end)``), for the
        ``btc`` and ``crossasset`` parts.
    start, end : date-like, optional
        Restrict the bundled data (e.g. for a fast test).
    progress : Progress, optional
        Progress lines (one per epoch); ``None`` is silent.
    argv : list of str, optional
        Command line to record in ``results.json``.
    raise_errors : bool, default=False
        Re-raise the first error of a part instead of recording it in
        ``errors`` (and ``errors.log``) and going on with the next part.
    fresh : bool, default=False
        Discard the runs stored in ``out_dir/runs`` and train everything.

    Returns
    -------
    StudyResult
        ``runs`` holds the model runs of the parts computed in this call
        (not of the parts loaded whole from ``out_dir/runs``).

    Raises
    ------
    StudyError
        For an unknown part, an invalid configuration, an unwritable
        ``out_dir`` or one holding runs of another configuration or version
        (checked before anything is trained).
    StudyInterrupted
        On SIGINT (Ctrl-C) or SIGTERM: the study stops within the epoch
        that is running; finished runs stay in ``out_dir/runs`` and no
        report is written. A ``KeyboardInterrupt``, so callers that only
        know that one stop as before.
    """
    names = resolve_parts(parts)
    config = (config or StudyConfig()).check_params()
    out = check_out_dir(out_dir) if out_dir is not None else None
    if out is None:
        import tempfile

        tmp = tempfile.TemporaryDirectory()
        work = Path(tmp.name)
    else:
        tmp, work = None, out
    guard = InterruptGuard()
    store = None
    try:
        with guard:
            if out is not None:
                data = data_identity(config, frame, btc_frame, start, end)
                store = RunStore.open(out, config, data=data, fresh=fresh, guard=guard)
                if progress is not None and store.n_runs:
                    progress.message(f"resuming: {_runs(store.n_runs)} in {store.folder} are "
                                     "loaded, not trained again (--fresh discards them)")
            study = _Study(config, work, progress, frame, btc_frame, start, end, store=store)
            result = _run_parts(study, names, progress, raise_errors, guard)
            if out is not None:
                with guard.deferred():  # a signal waits until the report is written
                    if study.log_lines:
                        (out / "errors.log").write_text("\n".join(study.log_lines))
                    write_outputs(result, study, names, argv)
            if store is not None and store.reused and progress is not None:
                progress.message(f"reused {_runs(len(store.reused))} from {store.folder}")
    except KeyboardInterrupt as exc:
        signum = getattr(exc, "signum", signal.SIGINT)
        folder = store.folder if store is not None else None
        raise StudyInterrupted(signum, folder, store.n_runs if store is not None else 0) from None
    finally:
        if tmp is not None:
            tmp.cleanup()
    return result


def _run_parts(study, names, progress, raise_errors, guard) -> StudyResult:
    """Run (or load) each part; the result without its report."""
    errors, timings = {}, {}
    started = time.perf_counter()
    for name in names:
        guard.check()
        if progress is not None:
            progress.message(f"== part {name}: {PARTS[name]}")
        t0 = time.perf_counter()
        if restore_part(study, name):
            if progress is not None:
                progress.message(f"== part {name}: loaded, finished earlier "
                                 f"({study.store.folder / part_key(name)}.json)")
            timings[name] = time.perf_counter() - t0
            continue
        before = snapshot(study)
        try:
            RUNNERS[name](study)
        except _PartUnavailable as exc:
            errors[name] = str(exc)
            if progress is not None:
                progress.message(f"== part {name} not run: {exc}")
        except Exception as exc:  # a failing part must not stop the others
            if raise_errors:
                raise
            msg = f"part {name} failed: {type(exc).__name__}: {exc}".splitlines()[0]
            errors[name] = msg
            study.log_lines.append(f"== {name}\n{traceback.format_exc()}")
            if progress is not None:
                progress.message(f"== {msg} (traceback in errors.log)")
        else:
            save_part(study, name, before)
        timings[name] = time.perf_counter() - t0
    guard.check()  # a signal that a part turned into an error stops the study here
    timings["total"] = time.perf_counter() - started
    results = pd.DataFrame(study.rows)
    if len(results):
        front = [c for c in _RESULT_COLUMNS if c in results.columns]
        results = results[front + [c for c in results.columns if c not in front]]
    keep_figures = study.store is not None
    return StudyResult(
        results=results, tables=study.tables, extra_tables=study.extra,
        figures=study.figures if keep_figures else {}, runs=study.runs, errors=errors,
        timings=timings, config=study.config, out_dir=study.out if keep_figures else None,
        report=None, data_info=study.data_info,
    )


def _runs(n):
    return f"{n} finished run{'' if n == 1 else 's'}"
