"""The state of one study run: :class:`_Study` (data, cached model runs, collected outputs)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from ._config import _MODEL_NAMES
from ._models import ModelRun, fit_evaluate, lab_regressor, linear_baseline, naive_run, prepare_data
from ._store import RUNS_DIR, run_key
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
    store : RunStore or None
        Where finished networks are kept (:mod:`skrnn.study._store`): a
        network found there is loaded instead of trained.
    """

    def __init__(self, config, out_dir, progress, frame, btc_frame, start, end, store=None):
        self.config = config
        self.store = store
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
        self.log_lines = []  # tracebacks of failed parts (errors.log)
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
                run = self._network(data, kind, self.config, experiment, _run_label(part, experiment, kind))
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
            extra = self._network(data, kind, cfg, experiment,
                                  f"{_run_label(part, experiment, kind)} seed {cfg.seed}")
            mse.append(extra.metrics["mse"])
            mse_zb.append(extra.metrics["mse_zb"])
        return dataclasses.replace(run, seed_mse=mse, seed_mse_zb=mse_zb)

    def _network(self, data, kind, config, experiment, label) -> ModelRun:
        """A network of ``kind`` trained with ``config.seed`` (loaded when the store has it)."""
        estimator = lab_regressor(kind, config, data.target_channel)
        if self.store is None:
            return fit_evaluate(data, estimator, experiment, kind, self.progress, label=label)
        if self.store.guard is not None:
            self.store.guard.check()
        key = network_key(self.asset, kind, config.seed, data, estimator)
        record = self.store.load(key)
        if record is not None and len(record["predicted"]) == len(data.y_test):
            if self.progress is not None:
                self.progress.message(f"[{label}] reused the finished run {RUNS_DIR}/{key}.json")
            return run_from_record(record, data, experiment, kind)
        run = fit_evaluate(data, estimator, experiment, kind, self.progress, label=label)
        self.store.save(key, run_record(run, config.seed))
        return run

    def estimator_of(self, run: ModelRun, part: str):
        """The fitted network of ``run``, trained again if ``run`` was loaded from the store.

        Training is seeded (``random_state``), so the network trained again
        is the one that was stored: same weights, same predictions.
        """
        if run.estimator is not None:
            return run.estimator
        label = f"{_run_label(part, run.experiment, run.kind)} (again: stored runs keep no network)"
        again = fit_evaluate(run.data, lab_regressor(run.kind, self.config, run.data.target_channel),
                             run.experiment, run.kind, self.progress, label=label)
        run.estimator, run.pipeline = again.estimator, again.pipeline
        return run.estimator

    def stored(self, name, fields, compute, arrays=(), label=None):
        """``compute()`` (plain data), kept in the store, or its value kept by an earlier session.

        ``name`` and ``fields`` (with the configuration and the digest of
        ``arrays``) make the key (:func:`~skrnn.study._store.run_key`):
        everything the value depends on must be among them. Without a
        store, ``compute()``.
        """
        if self.store is None:
            return compute()
        if self.store.guard is not None:
            self.store.guard.check()
        key = run_key(name, dict(fields, config=self.config.to_dict()), arrays)
        record = self.store.load(key)
        if record is not None:
            if self.progress is not None:
                self.progress.message(f"[{label or name}] reused the finished run {RUNS_DIR}/{key}.json")
            return record["value"]
        value = compute()
        self.store.save(key, {"value": value})
        return value

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


def network_key(asset, kind, seed, data, estimator) -> str:
    """The store key of a network: its kind, seed, parameters and the exact windows it sees."""
    params = {k: repr(v) for k, v in estimator.get_params(deep=False).items() if k != "callbacks"}
    fields = {"kind": kind, "seed": int(seed), "class": type(estimator).__name__, "params": params,
              "columns": list(data.columns), "target_channel": int(data.target_channel),
              "horizon": int(data.horizon)}
    return run_key(f"{asset}-{kind}-seed{seed}", fields,
                   (data.W_train, data.y_train, data.W_test, data.y_test))


def run_record(run: ModelRun, seed) -> dict:
    """What the study keeps of a trained network: predictions, metrics, history (plain data)."""
    return {"kind": run.kind, "seed": int(seed), "model": run.model, "experiment": run.experiment,
            "predicted": np.asarray(run.predicted, dtype=float), "metrics": dict(run.metrics),
            "train_time": float(run.train_time), "n_epochs": run.n_epochs, "history": run.history,
            "n_params": run.n_params, "n_train": int(run.n_train)}


def run_from_record(record, data, experiment, kind) -> ModelRun:
    """The :class:`ModelRun` of a stored network (without the network itself)."""
    name = record["model"]
    return ModelRun(
        experiment=experiment, model=name, kind=kind, columns=list(data.columns),
        actual=pd.Series(data.y_test, index=data.test_dates, name="actual"),
        predicted=pd.Series(np.asarray(record["predicted"], dtype=float), index=data.test_dates,
                            name=name),
        metrics=dict(record["metrics"]), train_time=record["train_time"],
        n_epochs=record["n_epochs"], history=record["history"], n_params=record["n_params"],
        n_train=record["n_train"], data=data,
    )
