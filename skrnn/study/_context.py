"""The state of one study run: :class:`_Study` (data, cached model runs, collected outputs)."""

from __future__ import annotations

import dataclasses

import pandas as pd

from ._config import _MODEL_NAMES
from ._models import ModelRun, fit_evaluate, lab_regressor, linear_baseline, naive_run, prepare_data
from ._tables import rank_table


class _Study:
    """One run of the study: its data, its trained models and what the parts produce.

    The parts (functions of :mod:`skrnn.study._parts`) ask it for the data
    (:meth:`eth`, :meth:`btc`, loaded once), for model runs (:meth:`run`, which
    prepares the windows once per table and column set and trains each model
    once, over several seeds in the ``seed_parts``) and hand it their outputs:
    result rows and tables (:meth:`keep`), figure paths (:meth:`figure`) and
    notes (:meth:`note`). :func:`skrnn.study.run_study` turns these into the
    report.

    Parameters
    ----------
    config : StudyConfig
    out_dir : pathlib.Path
        Folder for the figures.
    progress : Progress or None
    frame, btc_frame : DataFrame or None
        The ETH and BTC tables (default: the bundled data from ``start`` to ``end``).
    start, end : date-like or None
    """

    def __init__(self, config, out_dir, progress, frame, btc_frame, start, end):
        self.config = config
        self.out = out_dir
        self.progress = progress
        self._frame = frame
        self._btc_frame = btc_frame
        self.start, self.end = start, end
        self._cache = {}
        self._prepared = {}
        self.rows = []
        self.tables = {}
        self.extra = {}
        self.figures = {}
        self.runs = {}
        self.notes = {}
        self.data_info = {}
        self.asset = "ETH"

    # -- data --------------------------------------------------------------- #
    def eth(self) -> pd.DataFrame:
        """The ETH table (loaded once)."""
        if self._frame is None:
            from ..datasets import load_eth

            self._frame = load_eth(start=self.start, end=self.end)
        return self._frame

    def eth_btc(self) -> pd.DataFrame:
        """The ETH table with the BTC close as ``btc_close`` (days of both only)."""
        frame = self.eth()
        if "btc_close" in frame.columns:
            return frame
        btc = self.btc()[["close"]].rename(columns={"close": "btc_close"})
        return frame.join(btc, how="inner")

    def btc(self) -> pd.DataFrame:
        """The BTC candles (loaded once)."""
        if self._btc_frame is None:
            from ..datasets import load_btc

            self._btc_frame = load_btc(start=self.start, end=self.end)
        return self._btc_frame

    # -- experiments -------------------------------------------------------- #
    def prepared(self, frame, columns, preprocessor=None, prep_key=None, window_len=None):
        """The windows and split of ``frame[columns]`` (prepared once per key)."""
        window_len = window_len or self.config.window_len
        key = (_frame_key(frame, self.asset), tuple(columns), prep_key, window_len)
        if key not in self._prepared:
            self._prepared[key] = prepare_data(
                frame, columns, window_len=window_len, test_size=self.config.test_size,
                preprocessor=preprocessor, safe=self.config.zero_base_safe)
        return self._prepared[key]

    def run(self, part, experiment, frame, columns, kind, preprocessor=None, prep_key=None) -> ModelRun:
        """A fitted and scored model of ``kind`` (trained once per data and kind, shared by parts)."""
        data = self.prepared(frame, columns, preprocessor, prep_key)
        key = (_frame_key(frame, self.asset), tuple(columns), prep_key, self.config.window_len, kind)
        if key in self._cache:
            run = self._cache[key]
            run = dataclasses.replace(run, experiment=experiment)
        else:
            if kind == "naive":
                run = naive_run(data, experiment)
            elif kind == "linear":
                run = fit_evaluate(data, linear_baseline(self.config.ridge_alpha, data.target_channel),
                                   experiment, "linear")
            else:
                run = fit_evaluate(data, lab_regressor(kind, self.config, data.target_channel),
                                   experiment, kind, self.progress, label=_run_label(part, experiment, kind))
            self._cache[key] = run
        want = self.config.n_seeds if part in self.config.seed_parts else 1
        if kind not in ("naive", "linear") and want > 1 and len(run.seed_mse or ()) < want:
            run = self._more_seeds(part, experiment, data, kind, run, want)
            self._cache[key] = dataclasses.replace(run, experiment=self._cache[key].experiment)
        self.runs[(part, experiment, run.model)] = run
        return run

    def _more_seeds(self, part, experiment, data, kind, run, want):
        """``run`` with the test MSE of ``want`` seeds (the extra networks are not kept)."""
        mse = list(run.seed_mse or [run.metrics["mse"]])
        mse_zb = list(run.seed_mse_zb or [run.metrics["mse_zb"]])
        for i in range(len(mse), want):
            cfg = dataclasses.replace(self.config, seed=self.config.seed + i)
            extra = fit_evaluate(data, lab_regressor(kind, cfg, data.target_channel), experiment, kind,
                                 self.progress, label=f"{_run_label(part, experiment, kind)} seed {cfg.seed}")
            mse.append(extra.metrics["mse"])
            mse_zb.append(extra.metrics["mse_zb"])
        return dataclasses.replace(run, seed_mse=mse, seed_mse_zb=mse_zb)

    def seeds(self, part):
        """Whether the networks of ``part`` are trained with several seeds."""
        return self.config.n_seeds > 1 and part in self.config.seed_parts

    def figure(self, part, name):
        """The path of a new figure of ``part`` (listed in the report)."""
        path = self.out / name
        self.figures.setdefault(part, []).append(path)
        return path

    def finish_table(self, part, rows, naive_mse):
        """Rank ``rows`` by MSE (against the naive MSE) and keep them as the part's table."""
        return self.keep(part, rank_table(rows, naive_mse))

    def keep(self, part, table):
        """Store ``table`` as the part's table and its rows for ``results.csv``."""
        self.tables[part] = table
        self.rows.extend(table.to_dict("records"))
        return table

    def zoom(self, part, actual, predicted, naive, title, days=60):
        """Actual vs predicted (and naive) over the last ``days`` test days."""
        from ..plotting import plot_predictions

        last = actual.index[-min(days, len(actual))]
        preds = {k: v.loc[last:] for k, v in predicted.items()}
        preds["naive (last value)"] = naive.predicted.loc[last:]
        plot_predictions(actual.loc[last:], preds, path=self.figure(part, f"{part}_predictions_last{days}.png"),
                         title=f"{title}, last {days} test days")

    def note(self, part, text):
        """A paragraph under the part's table in the report."""
        self.notes.setdefault(part, []).append(text)


def _run_label(part, experiment, kind):
    """Progress label of a network: ``features: historical`` or ``architectures: historical GRU``."""
    return f"{part}: {experiment}" + ("" if kind == "lstm" else f" {_MODEL_NAMES[kind]}")


def _frame_key(frame, asset):
    """Cache key of a table: the asset and its rows (the ETH table with and
    without ``btc_close`` has the same rows, hence the same runs)."""
    return (asset, frame.index[0], frame.index[-1], len(frame))
