"""The driver: :func:`run_study` runs the chosen parts, one after another, and writes the report."""

from __future__ import annotations

import time
import traceback
from pathlib import Path

import pandas as pd

from ._config import PARTS, StudyConfig, resolve_parts
from ._context import _Study
from ._parts import RUNNERS, _PartUnavailable
from ._progress import Progress
from ._report import StudyResult, check_out_dir, write_outputs
from ._tables import _RESULT_COLUMNS


def run_study(parts=None, *, config: StudyConfig | None = None, out_dir="skrnn-report",
              frame: pd.DataFrame | None = None, btc_frame: pd.DataFrame | None = None,
              start=None, end=None, progress: Progress | None = None, argv=None,
              raise_errors=False) -> StudyResult:
    """Run parts of the ETH study and write the report folder.

    Parameters
    ----------
    parts : list of str or None
        Part names from :data:`PARTS` (``"all"`` for every part); ``None``
        runs :data:`DEFAULT_PARTS`.
    config : StudyConfig, optional
        The lab's setup when omitted; :meth:`StudyConfig.quick_config` for a
        smoke test.
    out_dir : path or None, default="skrnn-report"
        Report folder (created). ``None`` writes nothing (no figures either).
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

    Returns
    -------
    StudyResult

    Raises
    ------
    StudyError
        For an unknown part, an invalid configuration or an unwritable
        ``out_dir`` (checked before anything is trained).
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
    study = _Study(config, work, progress, frame, btc_frame, start, end)
    errors, timings = {}, {}
    log_lines = []
    started = time.perf_counter()
    for name in names:
        if progress is not None:
            progress.message(f"== part {name}: {PARTS[name]}")
        t0 = time.perf_counter()
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
            log_lines.append(f"== {name}\n{traceback.format_exc()}")
            if progress is not None:
                progress.message(f"== {msg} (traceback in errors.log)")
        timings[name] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - started
    results = pd.DataFrame(study.rows)
    if len(results):
        front = [c for c in _RESULT_COLUMNS if c in results.columns]
        results = results[front + [c for c in results.columns if c not in front]]
    result = StudyResult(
        results=results, tables=study.tables, extra_tables=study.extra,
        figures=study.figures if out is not None else {}, runs=study.runs, errors=errors,
        timings=timings, config=config, out_dir=out, report=None, data_info=study.data_info,
    )
    if out is not None:
        if log_lines:
            (out / "errors.log").write_text("\n".join(log_lines))
        write_outputs(result, study, names, argv)
    if tmp is not None:
        tmp.cleanup()
    return result
