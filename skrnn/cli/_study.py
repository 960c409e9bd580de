"""``skrnn study``: reproduce the ETH lab with skrnn and write a report folder."""

from __future__ import annotations

import sys

from ._main import PROG, Formatter, int_at_least, quiet_tensorflow, require_matplotlib

_EPILOG = """\
parts (default: features ablation architectures indicators crossasset):
{parts}
  all            every part above

The defaults are the lab's setup: window 10, zero-base windows, chronological
80/20 split, LSTM(256) -> Dropout(0.2) -> Dense(1), Adam, MSE, up to 100
epochs of batch 32, early stopping (patience 10, best weights restored) and
the learning rate x0.75 every 10 epochs. The networks of the features and
ablation parts are trained with 3 seeds (--seed, --seed + 1, --seed + 2) and
ranked by their mean test MSE, so seed noise is visible. The default parts
take about 8 minutes on 2 CPU cores, --parts all about 50 (the benchmark
alone about 30, the grid search about 8); --quick (16 units, 3 epochs, one
seed) well under a minute.

The report folder gets report.md (tables and figures), results.csv,
results.json (every row, configuration, seed, package versions) and PNGs.

The benchmark part (not among the defaults, about 30 minutes) fits every model
once on the first 80% of the ETH, BTC, USD/PLN and a synthetic series and
forecasts each later value one step ahead: networks next to naive, ridge and
AutoETS, with the coverage of their 90% bands. With --csv FILE --target COLUMN
it benchmarks that column alone (the CSV rules of 'skrnn forecast').

examples:
  skrnn study --quick
  skrnn study benchmark --quick
  skrnn study benchmark --csv prices.csv --target close
  skrnn study --parts features ablation --out eth-report
  skrnn study --parts all --seed 1
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
        description="Reproduce the ETH forecasting lab with skrnn and write a report folder.",
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
    study.add_argument("--quick", action="store_true",
                       help="small model (16 units), 3 epochs: a fast smoke run")
    study.add_argument("--csv", metavar="FILE",
                       help="benchmark part: a CSV file whose --target column is benchmarked "
                            "instead of the bundled series")
    study.add_argument("--target", metavar="COLUMN",
                       help="benchmark part: the column of --csv to forecast")
    return study


def run(args, argv) -> int:
    """Run the study parts; print each table and the report path (0, or 1 if a part failed)."""
    from ..study import Progress, StudyConfig, check_out_dir, resolve_parts, run_study

    require_matplotlib("study")
    named = args.part + (args.parts or [])
    if args.csv is not None and not named:
        named = ["benchmark"]  # a CSV is only read by the benchmark part
    parts = resolve_parts(named)
    _check_benchmark_csv(args, parts)
    config = StudyConfig.from_options(quick=args.quick, epochs=args.epochs, window_len=args.window,
                                      units=args.units, seed=args.seed,
                                      benchmark_csv=args.csv, benchmark_target=args.target)
    check_out_dir(args.out, create=False)  # before TensorFlow loads: fail fast
    quiet_tensorflow()
    progress = Progress()
    progress.message(f"skrnn study: parts {', '.join(parts)} -> {args.out}/"
                     + (" (quick mode)" if args.quick else ""))
    result = run_study(parts, config=config, out_dir=args.out, progress=progress, argv=argv)
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
    if "multistep" in result.tables and "multistep" not in result.errors:
        print("\n== multistep: see report.md", file=out)
    print(f"\nreport: {result.report}  ({result.timings.get('total', 0):.0f} s)", file=out)
    if result.errors:
        for msg in result.errors.values():
            print(f"{PROG}: error: {msg}", file=sys.stderr)
        return 1
    return 0


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
