"""The ``skrnn`` command: the parser, the dispatch to a command and the exit codes.

Every usage or input problem is a :class:`CLIError` (or the study's own
:class:`~skrnn.study.StudyError`, which reads the same); :func:`main` prints
it as one line ``skrnn: error: ...`` and returns 2.
"""

from __future__ import annotations

import argparse
import sys
import textwrap

PROG = "skrnn"


class CLIError(Exception):
    """A usage or input problem: printed as one line, exit status 2.

    :func:`main` catches it, prints ``skrnn: error: <message>`` to stderr and
    returns 2; code that calls :func:`read_forecast_csv` or
    :func:`run_forecast` directly sees the exception.

    Parameters
    ----------
    message : str
        One line that names the problem and its fix.

    Examples
    --------
    >>> from skrnn.cli import CLIError, build_parser
    >>> try:
    ...     build_parser().parse_args(["study", "--epochs", "0"])
    ... except CLIError as error:
    ...     print(error)
    argument --epochs: --epochs must be an integer >= 1, got '0' (see 'skrnn study --help')
    """


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing usage and exiting."""

    def error(self, message):
        raise CLIError(f"{message} (see '{self.prog} --help')")


class Formatter(argparse.RawDescriptionHelpFormatter):
    """Help text as written (descriptions and epilogs keep their lines), 100 columns."""

    def __init__(self, prog):
        super().__init__(prog, max_help_position=30, width=100)


def int_at_least(minimum, what):
    """An argparse ``type``: an integer ``>= minimum``, named ``what`` in the message."""

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


def _commands() -> dict:
    """The commands, by name: each module has ``add_parser(subparsers)`` and ``run(args, argv)``."""
    from . import _forecast, _study

    return {"study": _study, "forecast": _forecast}


def build_parser() -> argparse.ArgumentParser:
    """The ``skrnn`` argument parser (subcommands ``study`` and ``forecast``).

    Returns
    -------
    parser : argparse.ArgumentParser
        Its ``error`` raises :class:`CLIError` instead of exiting, so a bad
        option is one line and exit status 2 in :func:`main`.

    Examples
    --------
    >>> from skrnn.cli import build_parser
    >>> args = build_parser().parse_args(["forecast", "prices.csv", "--target", "close"])
    >>> args.command, args.file, args.target, args.window, args.out
    ('forecast', 'prices.csv', 'close', 10, 'skrnn-forecast')
    """
    from .. import __version__

    parser = _Parser(
        prog=PROG, formatter_class=Formatter,
        description=textwrap.dedent("""\
            skrnn: recurrent networks (LSTM, GRU) for time-series forecasting as
            scikit-learn estimators.

            commands:
              study      the ETH forecasting study on the bundled data (reference
                         network, ablations, architectures, ...); writes a report
              forecast   train the reference zero-base LSTM on your own CSV file and
                         compare it with the naive last-value forecast
            """),
        epilog="Run 'skrnn study --help' or 'skrnn forecast --help' for the options.",
    )
    parser.add_argument("--version", action="version", version=f"skrnn {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="{study,forecast}")
    for command in _commands().values():
        command.add_parser(sub)
    return parser


def require_matplotlib(command):
    """Fail before any training when the plots could not be drawn."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise CLIError(
            f"'skrnn {command}' draws its figures with matplotlib, which is not "
            'installed: pip install "skrnn[plot]"'
        ) from None


def quiet_tensorflow():
    """Load Keras before a command runs, without TensorFlow's start-up chatter."""
    from .._keras import import_keras_quietly

    import_keras_quietly()


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
        report was written), 2 for a usage or input error, 130 when
        interrupted (143 when a study is stopped by SIGTERM).

    Examples
    --------
    An unknown study part is a usage error: one line ``skrnn: error: unknown
    part 'nope'; choose from ...`` on stderr, nothing written, status 2.

    >>> from skrnn.cli import main
    >>> main(["study", "--parts", "nope"])
    2
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    from ..study import StudyError

    try:
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # --help / --version
            return int(exc.code or 0)
        if args.command is None:
            raise CLIError("choose a command: study or forecast (see 'skrnn --help')")
        return _commands()[args.command].run(args, argv)
    except (CLIError, StudyError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: error: interrupted", file=sys.stderr)
        return 130
