"""Command line of skrnn: ``skrnn study`` and ``skrnn forecast``.

Also runs as ``python -m skrnn``. Problems with the options or the input
(an unknown part, a folder that cannot be written, a bad value, a CSV file
that cannot be used) print one line ``skrnn: error: ...`` to stderr and exit
with status 2. A study part that fails while the others succeed is reported
the same way and the command exits with status 1 after writing the report.
Progress (one line per epoch) goes to stderr, results to stdout.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import textwrap
import warnings

__all__ = ["main", "build_parser"]

_PROG = "skrnn"


class CLIError(Exception):
    """A usage or input problem: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing usage and exiting."""

    def error(self, message):
        raise CLIError(f"{message} (see '{self.prog} --help')")


class _Formatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog):
        super().__init__(prog, max_help_position=30, width=100)


def _int_at_least(minimum, what):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be an integer >= {minimum}, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{what} must be an integer >= {minimum}, got {text!r}")
        return value

    parse.__name__ = what
    return parse


_STUDY_EPILOG = """\
parts (default: features ablation architectures indicators crossasset):
{parts}
  all            every part above

The defaults are the lab's setup: window 10, zero-base windows, chronological
80/20 split, LSTM(256) -> Dropout(0.2) -> Dense(1), Adam, MSE, up to 100
epochs of batch 32, early stopping (patience 10, best weights restored) and
the learning rate x0.75 every 10 epochs. The networks of the features and
ablation parts are trained with 3 seeds (--seed, --seed + 1, --seed + 2) and
ranked by their mean test MSE, so seed noise is visible. The default parts
take about 8 minutes on 2 CPU cores, --parts all about 20 (the grid search
alone about 8); --quick (16 units, 3 epochs, one seed) well under a minute.

The report folder gets report.md (tables and figures), results.csv,
results.json (every row, configuration, seed, package versions) and PNGs.

examples:
  skrnn study --quick
  skrnn study --parts features ablation --out eth-report
  skrnn study --parts all --seed 1
"""

_FORECAST_EPILOG = """\
The CSV needs a header line. The date column (--date, default: the first
column when it holds dates) becomes the time index: rows are sorted by it
(with a note), duplicated or unparsable dates are errors, gaps in time are
reported. All other numeric columns are features, the target first; text
columns are ignored. Missing feature values are filled forward (then
backward); a missing target value is an error.

The model is the lab's zero-base LSTM trained on the first 80% of the rows
(chronological split); the last 20% are the test part. The command prints the
test metrics of the LSTM, of a ridge regression on the same windows and of
the naive forecast (the last known value), and writes to the output folder:
  predictions.csv  date, actual, predicted, naive (one row per test target)
  forecast.png     actual vs predicted on the test part
  history.png      training and validation loss per epoch
  metrics.csv      the metrics table

examples:
  skrnn forecast prices.csv --target close
  skrnn forecast usdpln.csv --target close --date Date --horizon 7 --quick
"""


def build_parser() -> argparse.ArgumentParser:
    """The ``skrnn`` argument parser (subcommands ``study`` and ``forecast``)."""
    from .study import PARTS

    parser = _Parser(
        prog=_PROG, formatter_class=_Formatter,
        description=textwrap.dedent("""\
            skrnn: recurrent networks (LSTM, GRU) for time-series forecasting as
            scikit-learn estimators.

            commands:
              study      reproduce the ETH forecasting lab (practical work no. 6) and
                         its extension tasks on the bundled data; writes a report
              forecast   train the lab's zero-base LSTM on your own CSV file and
                         compare it with the naive last-value forecast
            """),
        epilog="Run 'skrnn study --help' or 'skrnn forecast --help' for the options.",
    )
    from . import __version__

    parser.add_argument("--version", action="version", version=f"skrnn {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="{study,forecast}")

    parts_text = "\n".join(f"  {name:<14} {desc}" for name, desc in PARTS.items())
    study = sub.add_parser(
        "study", formatter_class=_Formatter, help="run the ETH study and write a report",
        description="Reproduce the ETH forecasting lab with skrnn and write a report folder.",
        epilog=_STUDY_EPILOG.format(parts=parts_text),
    )
    study.add_argument("part", nargs="*", metavar="PART",
                       help="parts to run, e.g. 'skrnn study multistep' (same as --parts)")
    study.add_argument("--parts", nargs="+", metavar="P",
                       help="parts to run (names or 'all', space or comma separated)")
    study.add_argument("--epochs", type=_int_at_least(1, "--epochs"), metavar="N",
                       help="maximum epochs per network (default 100; 3 with --quick)")
    study.add_argument("--window", type=_int_at_least(2, "--window"), metavar="W",
                       help="window length in days (default 10)")
    study.add_argument("--units", type=_int_at_least(1, "--units"), metavar="U",
                       help="units of the recurrent layer (default 256; 16 with --quick)")
    study.add_argument("--seed", type=_int_at_least(0, "--seed"), default=0, metavar="S",
                       help="random_state of every network (default 0)")
    study.add_argument("--out", default="skrnn-report", metavar="DIR",
                       help="report folder (default: skrnn-report)")
    study.add_argument("--quick", action="store_true",
                       help="small model (16 units), 3 epochs: a fast smoke run")

    fc = sub.add_parser(
        "forecast", formatter_class=_Formatter, help="forecast a column of your own CSV file",
        description="Train the lab's zero-base LSTM on a CSV file and evaluate it on its last 20%%.",
        epilog=_FORECAST_EPILOG,
    )
    fc.add_argument("file", metavar="FILE.csv", help="CSV file with a header line")
    fc.add_argument("--target", required=True, metavar="COLUMN", help="column to forecast")
    fc.add_argument("--date", metavar="COLUMN",
                    help="date column (default: the first column if it holds dates)")
    fc.add_argument("--horizon", type=_int_at_least(1, "--horizon"), default=1, metavar="N",
                    help="steps ahead to forecast (default 1)")
    fc.add_argument("--window", type=_int_at_least(2, "--window"), default=10, metavar="W",
                    help="window length in rows (default 10)")
    fc.add_argument("--epochs", type=_int_at_least(1, "--epochs"), metavar="N",
                    help="maximum epochs (default 100; 3 with --quick)")
    fc.add_argument("--units", type=_int_at_least(1, "--units"), metavar="U",
                    help="LSTM units (default 256; 16 with --quick)")
    fc.add_argument("--out", default="skrnn-forecast", metavar="DIR",
                    help="output folder (default: skrnn-forecast)")
    fc.add_argument("--seed", type=_int_at_least(0, "--seed"), default=0, metavar="S",
                    help="random_state of the network (default 0)")
    fc.add_argument("--quick", action="store_true", help="small model (16 units), 3 epochs")
    return parser


# --------------------------------------------------------------------------- #
# quiet TensorFlow start-up (CLI only)
# --------------------------------------------------------------------------- #
def _quiet_tensorflow():
    """Import Keras with TensorFlow's C++ start-up chatter silenced.

    TensorFlow prints a few INFO lines from C++ while it loads, before its
    log level applies. The CLI sends file descriptor 2 to a temporary file
    during the import and replays it only if the import fails.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", category=FutureWarning, module=r"sktime\..*")
    warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"(keras|tensorflow)\..*")
    if "tensorflow" in sys.modules:
        return
    import tempfile

    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        fd = None  # stderr is not a real file (captured in tests)
    if fd is None:
        import keras  # noqa: F401

        return
    sys.stderr.flush()
    saved = os.dup(fd)
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), fd)
        failed = None
        try:
            import keras  # noqa: F401
        except Exception as exc:  # pragma: no cover - broken installation
            failed = exc
        finally:
            os.dup2(saved, fd)
            os.close(saved)
        if failed is not None:  # pragma: no cover
            tmp.seek(0)
            sys.stderr.write(tmp.read().decode("utf-8", "replace"))
            raise failed


# --------------------------------------------------------------------------- #
# commands
# --------------------------------------------------------------------------- #
def _require_matplotlib(command):
    """Fail before any training when the plots could not be drawn."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise CLIError(
            f"'skrnn {command}' draws its figures with matplotlib, which is not "
            "installed: pip install 'skrnn[plot]'"
        ) from None


def _cmd_study(args, argv) -> int:
    from .study import Progress, StudyConfig, _check_out_dir, resolve_parts, run_study

    _require_matplotlib("study")
    parts = resolve_parts(args.part + (args.parts or []))
    config = StudyConfig.quick_config() if args.quick else StudyConfig()
    if args.epochs is not None:
        config.epochs = args.epochs
        config.epochs_given = True
    if args.window is not None:
        config.window_len = args.window
    if args.units is not None:
        config.units = args.units
    config.seed = args.seed
    config.validate()
    _check_out_dir(args.out, create=False)  # before TensorFlow loads: fail fast
    _quiet_tensorflow()
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
        cols = {"rank": "rank", "experiment": "experiment", "model": "model",
                "mse_mean": "MSE_mean", "mse_std": "MSE_sd", "mse": "MSE",
                "rmse": "RMSE", "mae": "MAE", "r2": "R2", "mape": "MAPE%", "mse_zb": "MSE_zb",
                "train_time_s": "train_s", "epochs": "epochs"}
        if name == "ablation":
            cols["delta_mse"] = "dMSE"
        show = table[[c for c in cols if c in table.columns and table[c].notna().any()]]
        show = show.rename(columns=cols)
        print(show.to_string(index=False, float_format=lambda v: f"{v:.6g}", na_rep=""), file=out)
    if "multistep" in result.tables and "multistep" not in result.errors:
        print("\n== multistep: see report.md", file=out)
    print(f"\nreport: {result.report}  ({result.timings.get('total', 0):.0f} s)", file=out)
    if result.errors:
        for msg in result.errors.values():
            print(f"{_PROG}: error: {msg}", file=sys.stderr)
        return 1
    return 0


def _cmd_forecast(args) -> int:
    from ._cli_forecast import read_forecast_csv, run_forecast
    from .study import Progress, _check_out_dir

    _require_matplotlib("forecast")
    progress = Progress()
    _check_out_dir(args.out, "output folder", create=False)  # fail fast
    data = read_forecast_csv(args.file, args.target, date=args.date, horizon=args.horizon,
                             window_len=args.window)
    for text in data.notes:  # only once the file passed every check
        progress.message(f"{_PROG}: note: {text}")
    _quiet_tensorflow()
    run_forecast(data, horizon=args.horizon, window_len=args.window, epochs=args.epochs,
                 units=args.units, out_dir=args.out, seed=args.seed, quick=args.quick,
                 progress=progress, stdout=sys.stdout)
    return 0


def main(argv=None) -> int:
    """Run the ``skrnn`` command line; returns the exit status.

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 1 when a study part failed (the others ran and the
        report was written), 2 for a usage or input error.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    from .study import StudyError

    try:
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # --help / --version
            return int(exc.code or 0)
        if args.command is None:
            raise CLIError("choose a command: study or forecast (see 'skrnn --help')")
        if args.command == "study":
            return _cmd_study(args, argv)
        return _cmd_forecast(args)
    except (CLIError, StudyError) as exc:
        print(f"{_PROG}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{_PROG}: error: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
