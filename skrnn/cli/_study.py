"""``skrnn study``: run the ETH forecasting study with skrnn and write a report folder."""

from __future__ import annotations

import sys

from ._main import PROG, Formatter, int_at_least, quiet_tensorflow, require_matplotlib

_EPILOG = """\
parts (default: features ablation architectures indicators crossasset):
{parts}
  all            every part above

The defaults are the reference setup: window 10, zero-base windows, chronological
80/20 split, LSTM(256) -> Dropout(0.2) -> Dense(1), Adam, MSE, up to 100
epochs of batch 32, early stopping (patience 10, best weights restored) and
the learning rate x0.75 every 10 epochs. The networks of the features,
ablation and architectures parts are trained with 3 seeds (--seed, --seed + 1,
--seed + 2) and ranked by their mean test MSE, so seed noise is visible. The default parts
take about 11 minutes on 2 CPU cores, --parts all about half an hour (the
benchmark alone 9 to 15 minutes, the grid search about 4); --quick (16
units, 3 epochs, one seed) about 20 seconds.

The report folder gets report.md (tables and figures), results.csv,
results.json (every row, configuration, seed, package versions) and PNGs.

Resuming: every trained network and every finished part is kept in
DIR/runs as soon as it is done. Ctrl-C (or SIGTERM) stops the study within
the epoch that runs and prints the command that resumes it: the same
command again, which loads the kept runs instead of training them and
writes the report an uninterrupted run writes. DIR/runs/manifest.json
records the configuration and the skrnn and Keras versions; a folder holding
runs of another configuration or version is refused (use --fresh to discard
them, or another --out).

The benchmark part (not among the defaults, 9 to 15 minutes) fits every model
once on the first 80% of the ETH, BTC, USD/PLN and a synthetic series and
forecasts each later value one step ahead: networks next to naive, ridge and
AutoETS, with the coverage of their 90% bands. With --csv FILE --target COLUMN
it benchmarks that column alone (the CSV rules of 'skrnn forecast').

examples (the --csv file is bundled; the path works from the root of a clone):
  skrnn study --quick
  skrnn study benchmark --quick
  skrnn study benchmark --csv skrnn/datasets/data/usdpln_stooq_daily.csv --target Zamkniecie
  skrnn study --parts features ablation --out eth-report
  skrnn study --parts all --seed 1
  skrnn study search --optuna 8     # grid search and 8 Optuna trials, side by side
"""

#: Columns of a part's table printed to stdout, and their headers.
_COLUMNS = {"rank": "rank", "experiment": "experiment", "model": "model",
            "mse_mean": "MSE_mean", "mse_std": "MSE_sd", "mse": "MSE",
            "rmse": "RMSE", "mae": "MAE", "r2": "R2", "mape": "MAPE%", "mse_zb": "MSE_zb",
            "train_time_s": "train_s", "epochs": "epochs"}


#: The same for the benchmark part.
_BENCHMARK_COLUMNS = {"experiment": "series", "model": "model", "mse": "MSE",
                      "mse_to_naive": "MSE/naive", "mse_to_ridge": "MSE/ridge", "mae": "MAE",
                      "mape": "MAPE%", "coverage": "coverage", "width_to_rw": "width/RW",
                      "train_time_s": "fit_s"}


def add_parser(subparsers):
    """Add ``study`` and its options."""
    from ..study import PARTS

    parts_text = "\n".join(f"  {name:<14} {desc}" for name, desc in PARTS.items())
    study = subparsers.add_parser(
        "study", formatter_class=Formatter, help="run the ETH study and write a report",
        description="Run the ETH forecasting study with skrnn and write a report folder.",
        epilog=_EPILOG.format(parts=parts_text),
    )
    study.add_argument("part", nargs="*", metavar="PART",
                       help="parts to run, e.g. 'skrnn study multistep' (same as --parts)")
    study.add_argument("--parts", nargs="+", metavar="P",
                       help="parts to run (names or 'all', space or comma separated)")
    study.add_argument("--epochs", type=int_at_least(1, "--epochs"), metavar="N",
                       help="maximum epochs per network (default 100; 3 with --quick)")
    study.add_argument("--window", type=int_at_least(2, "--window"), metavar="W",
                       help="window length in days (default 10)")
    study.add_argument("--units", type=int_at_least(1, "--units"), metavar="U",
                       help="units of the recurrent layer (default 256; 16 with --quick)")
    study.add_argument("--seed", type=int_at_least(0, "--seed"), default=0, metavar="S",
                       help="random_state of every network (default 0)")
    study.add_argument("--out", default="skrnn-report", metavar="DIR",
                       help="report folder (default: skrnn-report)")
    study.add_argument("--fresh", action="store_true",
                       help="discard the finished runs kept in DIR/runs and train everything "
                            "(without it, runs kept there are loaded: the study resumes)")
    study.add_argument("--quick", action="store_true",
                       help="small model (16 units), 3 epochs: a fast smoke run")
    study.add_argument("--csv", metavar="FILE",
                       help="benchmark part: a CSV file whose --target column is benchmarked "
                            "instead of the bundled series")
    study.add_argument("--target", metavar="COLUMN",
                       help="benchmark part: the column of --csv to forecast")
    study.add_argument("--optuna", nargs="?", const="", metavar="TRIALS",
                       help="search part: also run Optuna's Bayesian search (OptunaSearchCV, TPE "
                            "seeded with --seed) with TRIALS trials (default 8; 4 with --quick) "
                            "and report it next to the grid search (pip install \"skrnn[optuna]\")")
    return study


def run(args, argv) -> int:
    """Run the study parts; print each table and the report path (0, or 1 if a part failed)."""
    from ..study import (Progress, StudyConfig, StudyInterrupted, check_out_dir, check_resumable,
                         resolve_parts, run_study)

    require_matplotlib("study")
    named = args.part + (args.parts or [])
    if args.csv is not None and not named:
        named = ["benchmark"]  # a CSV is only read by the benchmark part
    optuna_trials = _optuna_trials(args, named)
    parts = resolve_parts(named)
    _check_benchmark_csv(args, parts)
    _check_optuna(optuna_trials, parts)
    _check_multistep(parts)
    config = StudyConfig.from_options(quick=args.quick, epochs=args.epochs, window_len=args.window,
                                      units=args.units, seed=args.seed,
                                      benchmark_csv=args.csv, benchmark_target=args.target,
                                      optuna_trials=optuna_trials)
    check_out_dir(args.out, create=False)  # before TensorFlow loads: fail fast
    check_resumable(args.out, config, fresh=args.fresh)  # runs of another setup: refused now
    quiet_tensorflow()
    progress = Progress()
    progress.message(f"skrnn study: parts {', '.join(parts)} -> {args.out}/"
                     + (" (quick mode)" if args.quick else ""))
    try:
        result = run_study(parts, config=config, out_dir=args.out, progress=progress, argv=argv,
                           fresh=args.fresh)
    except StudyInterrupted as exc:
        print(_resume_hint(exc, argv), file=sys.stderr, flush=True)
        return exc.exit_code
    out = sys.stdout
    for name in parts:
        table = result.tables.get(name)
        if table is None or name == "multistep":
            continue
        print(f"\n== {name}", file=out)
        cols = dict(_COLUMNS, delta_mse="dMSE") if name == "ablation" else _COLUMNS
        cols = _BENCHMARK_COLUMNS if name == "benchmark" else cols
        show = table[[c for c in cols if c in table.columns and table[c].notna().any()]]
        show = show.rename(columns=cols)
        print(show.to_string(index=False, float_format=lambda v: f"{v:.6g}", na_rep=""), file=out)
    compare = result.extra_tables.get("search_comparison")
    if compare is not None:
        print("\n== search: grid vs Optuna", file=out)
        print(compare.to_string(index=False, float_format=lambda v: f"{v:.6g}"), file=out)
    if "multistep" in result.tables and "multistep" not in result.errors:
        print("\n== multistep: see report.md", file=out)
    print(f"\nreport: {result.report}  ({result.timings.get('total', 0):.0f} s)", file=out)
    if result.errors:
        for msg in result.errors.values():
            print(f"{PROG}: error: {msg}", file=sys.stderr)
        return 1
    return 0


def _resume_hint(exc, argv) -> str:
    """The one line printed on SIGINT / SIGTERM: what was kept and the command that resumes."""
    import shlex
    import signal

    command = shlex.join([PROG] + [a for a in argv if a != "--fresh"])
    name = signal.Signals(exc.signum).name
    runs = f"{exc.n_runs} finished run{'' if exc.n_runs == 1 else 's'}"
    kept = f"{runs} kept in {exc.folder}" if exc.folder else "nothing kept"
    return f"{PROG}: interrupted ({name}): {kept}; resume with: {command}"


def _check_benchmark_csv(args, parts):
    """``--csv`` and ``--target`` go together, with the benchmark part; the file is read now."""
    from ._csv import read_forecast_csv
    from ._main import CLIError

    if args.csv is None and args.target is None:
        return
    if args.csv is None or args.target is None:
        raise CLIError("--csv FILE and --target COLUMN go together (the benchmark part's own "
                       "series); give both")
    if "benchmark" not in parts:
        raise CLIError("--csv is read by the benchmark part only: run "
                       f"'skrnn study benchmark --csv {args.csv} --target {args.target}'")
    # fail before TensorFlow loads; the part reads the file again
    read_forecast_csv(args.csv, args.target, window_len=args.window or 10)


def _optuna_trials(args, named):
    """Trials of ``--optuna`` (None without it); a part name right after it is a part."""
    from ..study import PARTS
    from ._main import CLIError

    value = args.optuna
    if value is None:
        return None
    default = 4 if args.quick else 8
    if value == "":
        return default
    if value in PARTS or value == "all":  # 'skrnn study --optuna search'
        named.append(value)
        return default
    try:
        trials = int(value)
    except ValueError:
        trials = 0
    if trials < 1:
        raise CLIError(f"--optuna takes a number of trials >= 1, got {value!r} "
                       "(e.g. 'skrnn study search --optuna 8')")
    return trials


def _check_multistep(parts):
    """The multistep part forecasts with :mod:`skrnn.forecasting`, which needs sktime."""
    import importlib.util

    from ._main import CLIError

    if "multistep" in parts and importlib.util.find_spec("sktime") is None:
        raise CLIError('the multistep part needs sktime, which is not installed: '
                       'pip install "skrnn[sktime]"')


def _check_optuna(trials, parts):
    """``--optuna`` goes with the search part, and needs optuna and optuna-integration."""
    import importlib.util

    from ._main import CLIError

    if trials is None:
        return
    if "search" not in parts:
        raise CLIError("--optuna is read by the search part only: run "
                       "'skrnn study search --optuna'")
    missing = [m for m in ("optuna", "optuna_integration") if importlib.util.find_spec(m) is None]
    if missing:
        raise CLIError(f"--optuna needs {' and '.join(missing)}: pip install \"skrnn[optuna]\"")
