"""Command line of skrnn: ``skrnn study`` and ``skrnn forecast``.

Also runs as ``python -m skrnn``. Problems with the options or the input
(an unknown part, a folder that cannot be written, a bad value, a CSV file
that cannot be used) print one line ``skrnn: error: ...`` to stderr and exit
with status 2. A study part that fails while the others succeed is reported
the same way and the command exits with status 1 after writing the report.
Progress (one line per epoch) goes to stderr, results to stdout.

The rooms: ``_main`` (the parser, the dispatch, :class:`CLIError` and the
exit codes), one module per command (``_study``, ``_forecast``) with its
options and its run, and ``_csv`` (reading and checking the user's CSV file
for ``skrnn forecast``). A new command is one module with ``add_parser`` and
``run``, registered in ``_main._commands``.
"""

from ._csv import ForecastData, read_forecast_csv
from ._forecast import run_forecast
from ._main import CLIError, build_parser, main

__all__ = [
    "main",
    "build_parser",
    "CLIError",
    "ForecastData",
    "read_forecast_csv",
    "run_forecast",
]
