"""The parts of the study: :class:`_Study` runs them and collects rows, tables and figures."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ._config import _ALL, _MODEL_NAMES, _TARGET, FEATURE_COMBINATIONS
from ._progress import _CountingLogger
from ._runs import (ModelRun, PreparedData, fit_evaluate, lab_regressor, linear_baseline, naive_run,
                    prepare_data, regression_metrics)
from ._tables import _rank_table, _result_order, _row


class _Study:
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
        if self._frame is None:
            from ..datasets import load_eth

            self._frame = load_eth(start=self.start, end=self.end)
        return self._frame

    def eth_btc(self) -> pd.DataFrame:
        frame = self.eth()
        if "btc_close" in frame.columns:
            return frame
        btc = self.btc()[["close"]].rename(columns={"close": "btc_close"})
        return frame.join(btc, how="inner")

    def btc(self) -> pd.DataFrame:
        if self._btc_frame is None:
            from ..datasets import load_btc

            self._btc_frame = load_btc(start=self.start, end=self.end)
        return self._btc_frame

    # -- experiments -------------------------------------------------------- #
    def prepared(self, frame, columns, preprocessor=None, prep_key=None, window_len=None):
        window_len = window_len or self.config.window_len
        key = (_frame_key(frame, self.asset), tuple(columns), prep_key, window_len)
        if key not in self._prepared:
            self._prepared[key] = prepare_data(
                frame, columns, window_len=window_len, test_size=self.config.test_size,
                preprocessor=preprocessor, safe=self.config.zero_base_safe)
        return self._prepared[key]

    def run(self, part, experiment, frame, columns, kind, preprocessor=None, prep_key=None) -> ModelRun:
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
        return self.config.n_seeds > 1 and part in self.config.seed_parts

    def figure(self, part, name):
        path = self.out / name
        self.figures.setdefault(part, []).append(path)
        return path

    def finish_table(self, part, rows, naive_mse):
        return self.keep(part, _rank_table(rows, naive_mse))

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
        self.notes.setdefault(part, []).append(text)

    # -- parts ---------------------------------------------------------------- #
    def part_features(self):
        from ..datasets import feature_columns
        from ..plotting import plot_errors, plot_history, plot_interval, plot_predictions, plot_split

        frame = self.eth()
        runs = {}
        rows = []
        for name, groups in FEATURE_COMBINATIONS.items():
            cols = feature_columns(groups)
            runs[name] = self.run("features", name, frame, cols, "lstm")
            rows.append(_row("features", runs[name], self.seeds("features")))
            rows.append(_row("features", self.run("features", name, frame, cols, "linear"),
                             self.seeds("features")))
        naive = self.run("features", "close[t]", frame, ["close"], "naive")
        rows.append(_row("features", naive, self.seeds("features")))
        table = self.finish_table("features", rows, naive.metrics["mse"])
        if self.seeds("features"):
            self.note("features", _seed_note(self.config))
        self.note("features", "In the loss curves the validation loss (last 10% of the training "
                              "windows) can sit below the training loss: dropout is only active "
                              "while training, and the validation period may simply be calmer. "
                              "Overfitting shows as a validation loss that rises while the training "
                              "loss keeps falling; early stopping then restores the best epoch.")

        some = next(iter(runs.values()))
        plot_split(frame[_TARGET], some.data.split_date, path=self.figure("features", "split.png"),
                   title="ETH close: chronological 80/20 split (test = last 20%)")
        actual = some.actual
        plot_predictions(actual, {k: r.predicted for k, r in runs.items()},
                         path=self.figure("features", "features_predictions.png"),
                         title="ETH close, test part: actual vs LSTM per feature combination")
        last = actual.index[-min(60, len(actual))]
        plot_predictions(actual.loc[last:], {**{k: r.predicted.loc[last:] for k, r in runs.items()},
                                             "naive": naive.predicted.loc[last:]},
                         path=self.figure("features", "features_predictions_last60.png"),
                         title="Last 60 test days: actual vs LSTM per combination and naive")
        plot_history({k: r.history for k, r in runs.items() if r.history},
                     path=self.figure("features", "features_history.png"),
                     title="Training (solid) and validation (dashed) loss, zero-base MSE")
        best_name = min(runs, key=lambda k: (np.mean(runs[k].seed_mse) if runs[k].seed_mse
                                             else runs[k].metrics["mse"]))
        best = runs[best_name]
        plot_errors(actual, best.predicted, top=5, path=self.figure("features", "features_errors.png"),
                    title=f"Absolute error over time, LSTM [{best_name}] (USD)", ylabel="|error| [USD]")
        err = (best.predicted - actual).abs().sort_values(ascending=False).head(5)
        self.extra["worst_days"] = pd.DataFrame({
            "date": [d.strftime("%Y-%m-%d") for d in err.index],
            "actual": actual.loc[err.index].to_numpy(),
            "predicted": best.predicted.loc[err.index].to_numpy(),
            "abs_error": err.to_numpy(),
            "actual_change_%": 100 * (actual.loc[err.index].to_numpy()
                                      / naive.predicted.loc[err.index].to_numpy() - 1),
        })
        # Monte-Carlo dropout interval of the best combination
        cfg = self.config
        alpha = (1 - cfg.coverage) / 2
        if self.progress is not None:
            self.progress.message(f"[features: {best_name}] MC dropout: {cfg.n_samples} passes")
        q = best.estimator.predict_quantiles(best.data.W_test, (alpha, 0.5, 1 - alpha),
                                             n_samples=cfg.n_samples)
        lower, median, upper = (pd.Series(q[:, i], index=actual.index) for i in range(3))
        inside = (actual >= lower) & (actual <= upper)
        band = f"MC dropout {100 * alpha:g}-{100 * (1 - alpha):g}% band, LSTM [{best_name}]"
        plot_interval(actual, median, lower, upper, coverage=cfg.coverage,
                      path=self.figure("features", "features_interval.png"),
                      title=f"{band}, {cfg.n_samples} passes")
        plot_interval(actual.loc[last:], median.loc[last:], lower.loc[last:], upper.loc[last:],
                      coverage=cfg.coverage,
                      path=self.figure("features", "features_interval_last60.png"),
                      title=f"{band}, last 60 test days")
        self.extra["interval"] = pd.DataFrame([{
            "experiment": best_name, "passes": cfg.n_samples, "nominal_coverage": cfg.coverage,
            "empirical_coverage": float(inside.mean()),
            "mean_width_usd": float((upper - lower).mean()),
            "mean_width_%": float(100 * ((upper - lower) / actual).mean()),
            "mse_of_median": float(np.mean((median - actual) ** 2)),
        }])
        self.data_info["eth"] = _data_info(frame, best.data)
        return table

    def part_ablation(self):
        from ..datasets import feature_columns

        frame = self.eth()
        groups = FEATURE_COMBINATIONS[_ALL]
        sets = {_ALL: feature_columns(groups)}
        for g in groups:
            rest = [x for x in groups if x != g]
            cols = feature_columns(rest)
            if _TARGET not in cols:
                cols = [_TARGET] + cols
            sets[f"without {g}"] = cols
        runs = {name: self.run("ablation", name, frame, cols, "lstm") for name, cols in sets.items()}
        lins = {name: self.run("ablation", name, frame, cols, "linear") for name, cols in sets.items()}
        naive = self.run("ablation", "close[t]", frame, ["close"], "naive")
        seeds = self.seeds("ablation")
        key = "mse_mean" if seeds else "mse"
        rows = [_row("ablation", runs[name], seeds) for name in sets]
        rows += [_row("ablation", lins[name], seeds) for name in sets]
        full = {r["model"]: r[key] for r in rows if r["experiment"] == _ALL}
        for r in rows:
            r["delta_mse"] = r[key] - full[r["model"]]
        rows.append(_row("ablation", naive, seeds))
        table = pd.DataFrame(rows)
        table["mse_vs_naive"] = table[key] / naive.metrics["mse"] - 1
        # rank the dropped groups by how much the LSTM's MSE grows without them
        order = {"LSTM": 0, _MODEL_NAMES["linear"]: 1, _MODEL_NAMES["naive"]: 2}
        table["_o"] = table["model"].map(order)
        table = table.sort_values(["_o", "delta_mse"], ascending=[True, False], kind="stable")
        table = table.drop(columns="_o").reset_index(drop=True)
        table["rank"] = np.nan
        dropped = (table["model"] == "LSTM") & table["experiment"].str.startswith("without ")
        table.loc[dropped, "rank"] = np.arange(1, dropped.sum() + 1)
        table = self.keep("ablation", _result_order(table))
        self.note("ablation", f"ΔMSE = {'mean ' if seeds else ''}MSE without the group - "
                              f"{'mean ' if seeds else ''}MSE with all three groups (same model "
                              "type); a positive ΔMSE means the group helped. Rows are ranked by the "
                              "LSTM's ΔMSE, most useful group first. 'without historical' keeps "
                              "`close` (the target's own history is needed for zero-base).")
        if seeds:
            self.note("ablation", _seed_note(self.config))
        from ..plotting import plot_history

        plot_history({k: r.history for k, r in runs.items() if r.history},
                     path=self.figure("ablation", "ablation_history.png"),
                     title="Ablation: training (solid) and validation (dashed) loss")
        return table

    def part_architectures(self):
        from ..datasets import feature_columns
        from ..plotting import plot_history

        frame = self.eth()
        name = self.config.arch_features
        cols = feature_columns(FEATURE_COMBINATIONS[name])
        runs = {kind: self.run("architectures", name, frame, cols, kind)
                for kind in ("lstm", "gru", "bilstm", "stacked")}
        rows = [_row("architectures", r) for r in runs.values()]
        rows.append(_row("architectures", self.run("architectures", name, frame, cols, "linear")))
        naive = self.run("architectures", "close[t]", frame, ["close"], "naive")
        rows.append(_row("architectures", naive))
        table = self.finish_table("architectures", rows, naive.metrics["mse"])
        actual = runs["lstm"].actual
        self.zoom("architectures", actual, {r.model: r.predicted for r in runs.values()}, naive,
                  f"Architectures on [{name}]: actual vs predicted")
        plot_history({r.model: r.history for r in runs.values() if r.history},
                     path=self.figure("architectures", "architectures_history.png"),
                     title="Architectures: training (solid) and validation (dashed) loss")
        self.note("architectures", f"All on the [{name}] features. 2xLSTM = two stacked LSTM layers of "
                                   f"{self.config.units} units (the first returns sequences); BiLSTM "
                                   "= one Bidirectional LSTM layer. 'weights' = trainable parameters.")
        return table

    def part_indicators(self):
        from ..datasets import feature_columns
        from ..preprocessing import TechnicalIndicators

        frame = self.eth()
        ti = TechnicalIndicators(column=_TARGET).set_output(transform="pandas")
        rows, runs = [], {}
        for base_name in ("historical", _ALL):
            cols = feature_columns(FEATURE_COMBINATIONS[base_name])
            plain = self.run("indicators", base_name, frame, cols, "lstm")
            name = f"{base_name}+indicators"
            runs[base_name] = plain
            runs[name] = self.run("indicators", name, frame, cols, "lstm", ti, "indicators")
            rows += [_row("indicators", plain), _row("indicators", runs[name]),
                     _row("indicators", self.run("indicators", base_name, frame, cols, "linear")),
                     _row("indicators", self.run("indicators", name, frame, cols, "linear", ti,
                                                 "indicators"))]
        naive = self.run("indicators", "close[t]", frame, ["close"], "naive")
        rows.append(_row("indicators", naive))
        table = self.finish_table("indicators", rows, naive.metrics["mse"])
        actual = runs["historical"].actual
        self.zoom("indicators", actual, {k: r.predicted for k, r in runs.items()}, naive,
                  "Technical indicators: actual vs LSTM with and without them")
        self.note("indicators", "Indicators (RSI 14, MACD 12/26/9 with signal and histogram, "
                                "Bollinger Bands 20/2) are computed from `close` by "
                                "`TechnicalIndicators`, fit on the training rows; test rows continue "
                                "from the training history (no warm-up in the test part). The MACD "
                                "lines enter as 1 + MACD/close (see setup).")
        return table

    def part_crossasset(self):
        from ..datasets import feature_columns

        frame = self.eth_btc()
        rows, runs = [], {}
        for base_name in ("historical", _ALL):
            cols = feature_columns(FEATURE_COMBINATIONS[base_name])
            name = f"{base_name}+btc"
            runs[base_name] = self.run("crossasset", base_name, frame, cols, "lstm")
            runs[name] = self.run("crossasset", name, frame, cols + ["btc_close"], "lstm")
            rows += [_row("crossasset", runs[base_name]), _row("crossasset", runs[name]),
                     _row("crossasset", self.run("crossasset", base_name, frame, cols, "linear")),
                     _row("crossasset", self.run("crossasset", name, frame, cols + ["btc_close"],
                                                 "linear"))]
        naive = self.run("crossasset", "close[t]", frame, ["close"], "naive")
        rows.append(_row("crossasset", naive))
        table = self.finish_table("crossasset", rows, naive.metrics["mse"])
        # correlation of the two assets on the training part (levels and daily log returns)
        split = runs["historical"].data.split_date
        train = frame.loc[frame.index < split, ["close", "btc_close"]]
        test = frame.loc[frame.index >= split, ["close", "btc_close"]]

        def corr(part):
            r = np.log(part).diff().dropna()
            return float(part.corr().iloc[0, 1]), float(r.corr().iloc[0, 1])

        rows_c = []
        for label, part in (("train", train), ("test", test)):
            lvl, ret = corr(part)
            rows_c.append({"period": label, "from": part.index[0].strftime("%Y-%m-%d"),
                           "to": part.index[-1].strftime("%Y-%m-%d"), "corr_close": lvl,
                           "corr_daily_log_return": ret})
        self.extra["correlation"] = pd.DataFrame(rows_c)
        self.zoom("crossasset", runs["historical"].actual, {k: r.predicted for k, r in runs.items()},
                  naive, "Cross-asset: ETH actual vs LSTM with and without the BTC close")
        return table

    def part_btc(self):
        from ..datasets import feature_columns

        frame = self.btc()
        cols = feature_columns(["historical"])
        self.asset = "BTC"
        try:
            return self._btc_part(frame, cols)
        finally:
            self.asset = "ETH"

    def _btc_part(self, frame, cols):
        from ..plotting import plot_history, plot_predictions, plot_split

        lstm = self.run("btc", "historical", frame, cols, "lstm")
        rows = [_row("btc", lstm), _row("btc", self.run("btc", "historical", frame, cols, "linear"))]
        naive = self.run("btc", "close[t]", frame, ["close"], "naive")
        rows.append(_row("btc", naive))
        table = self.finish_table("btc", rows, naive.metrics["mse"])
        plot_split(frame[_TARGET], lstm.data.split_date, path=self.figure("btc", "btc_split.png"),
                   title="BTC close: chronological 80/20 split")
        plot_predictions(lstm.actual, {"LSTM": lstm.predicted, "naive": naive.predicted},
                         path=self.figure("btc", "btc_predictions.png"),
                         title="BTC close, test part: actual vs LSTM [historical]")
        self.zoom("btc", lstm.actual, {"LSTM": lstm.predicted}, naive, "BTC close: actual vs LSTM")
        if lstm.history:
            plot_history({"BTC LSTM": lstm.history}, path=self.figure("btc", "btc_history.png"),
                         title="BTC: training (solid) and validation (dashed) loss")
        self.data_info["btc"] = _data_info(frame, lstm.data)
        self.note("btc", "Task 4 asks for a Kaggle data set of one's choice; this uses the bundled "
                         "Binance BTCUSDT daily candles (the same source as the ETH prices), "
                         f"{frame.index[0].date()} .. {frame.index[-1].date()}.")
        return table

    def part_search(self):
        from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
        from sklearn.pipeline import Pipeline

        from ..datasets import feature_columns
        from ..preprocessing import SlidingWindow

        cfg = self.config
        frame = self.eth()
        name = cfg.arch_features
        cols = feature_columns(FEATURE_COMBINATIONS[name])
        lab = self.run("search", name, frame, cols, "lstm")
        data = lab.data
        grid = cfg.grid()
        pipe = Pipeline([("window", SlidingWindow(cfg.window_len)),
                         ("rnn", lab_regressor("lstm", cfg, data.target_channel))])
        n_fits = int(np.prod([len(v) for v in grid.values()])) * cfg.search_splits + 1
        if self.progress is not None:
            self.progress.message(f"[search] GridSearchCV: {n_fits - 1} fits + 1 refit on the "
                                  f"training rows, grid {grid}")
            pipe.set_params(rnn__callbacks=[_CountingLogger(self.progress, "search", n_fits)])
        # all training rows (zero-base-safe, not windowed) and their targets close[t + 1]
        X_train = data.X_train
        y_train = frame[_TARGET].shift(-data.horizon).reindex(X_train.index).to_numpy(dtype=float)
        search = GridSearchCV(pipe, grid, cv=TimeSeriesSplit(n_splits=cfg.search_splits),
                              scoring="neg_mean_squared_error", refit=True, error_score="raise")
        t0 = time.perf_counter()
        search.fit(X_train, y_train)
        elapsed = time.perf_counter() - t0
        best = search.best_estimator_
        best.set_params(rnn__callbacks=None)
        pred = best.predict(data.X_test)
        metrics = regression_metrics(data.y_test, pred, data.base_test)
        params = search.best_params_
        best_label = ", ".join(f"{k.split('__')[1]}={v}" for k, v in params.items())
        best_run = ModelRun(
            experiment=f"{name} (best: {best_label})", model="LSTM (grid search)", kind="search",
            columns=list(data.columns),
            actual=lab.actual, predicted=pd.Series(pred, index=lab.actual.index, name="search"),
            metrics=metrics, train_time=elapsed,
            n_epochs=getattr(best.named_steps["rnn"], "n_epochs_", None),
            history=getattr(best.named_steps["rnn"], "history_", None),
            estimator=best, pipeline=best, n_train=len(X_train), data=data,
            n_params=int(best.named_steps["rnn"].model_.count_params()),
        )
        self.runs[("search", best_run.experiment, best_run.model)] = best_run
        lab_row = _row("search", lab)
        lab_row["experiment"] = f"{name} (lab: window={cfg.window_len}, units={cfg.units}, dropout={cfg.dropout})"
        naive = self.run("search", "close[t]", frame, ["close"], "naive")
        rows = [_row("search", best_run), lab_row,
                _row("search", self.run("search", name, frame, cols, "linear")), _row("search", naive)]
        table = self.finish_table("search", rows, naive.metrics["mse"])
        cv = pd.DataFrame(search.cv_results_)
        keep = [c for c in cv.columns if c.startswith("param_")]
        cvt = cv[keep].copy()
        cvt.columns = [c.split("__")[-1] for c in keep]
        cvt["cv_mse"] = -cv["mean_test_score"]
        cvt["cv_mse_std"] = cv["std_test_score"]
        cvt["fit_s"] = cv["mean_fit_time"]
        cvt["rank"] = cv["rank_test_score"]
        self.extra["grid"] = cvt.sort_values("rank").reset_index(drop=True)
        self.zoom("search", lab.actual, {"LSTM (lab setup)": lab.predicted,
                                         f"LSTM ({best_label})": best_run.predicted}, naive,
                  "Grid search: best candidate vs the lab's setup")
        self.note("search", f"GridSearchCV over {grid} with TimeSeriesSplit({cfg.search_splits}) on "
                            "the training rows only, scoring = -MSE (USD); the best candidate is "
                            f"refit on all training rows and tested once. The total search took "
                            f"{elapsed:.0f} s (train s). In the folds the first window_len - 1 rows "
                            "of the first fold have padded windows (a Pipeline cannot drop rows).")
        return table

    def part_multistep(self):
        try:
            from .._multistep import multistep_study
        except ImportError as exc:
            raise _PartUnavailable(f"multistep part not available: {exc}") from None
        cfg = self.config
        out = self.out / "multistep"
        out.mkdir(parents=True, exist_ok=True)
        result = multistep_study(self.eth(), out, quick=cfg.quick, seed=cfg.seed,
                                 epochs=cfg.epochs if cfg.epochs_given else None,
                                 window_len=cfg.window_len, units=cfg.units,
                                 progress=self.progress.message if self.progress is not None else None)
        wide = result["table"]
        self.figures["multistep"] = [Path(p) for p in result.get("figures", [])]
        rows = []
        if isinstance(wide.columns, pd.MultiIndex):
            metrics = list(dict.fromkeys(wide.columns.get_level_values(0)))
            strategies = list(dict.fromkeys(wide.columns.get_level_values(1)))
            for h in wide.index:
                for strategy in strategies:
                    row = {"part": "multistep", "experiment": f"horizon {h}", "model": strategy,
                           "horizon": int(h)}
                    for m in metrics:
                        if (m, strategy) in wide.columns:
                            row[m] = wide.loc[h, (m, strategy)]
                    if any(np.isfinite(row.get(m, np.nan)) for m in metrics):
                        rows.append(row)
            flat = wide.copy()
            flat.columns = [f"{m} {s}" for m, s in wide.columns]
        else:
            flat = wide.copy()
            rows = [{"part": "multistep", **r} for r in wide.reset_index().to_dict("records")]
        flat = flat.reset_index()
        table = pd.DataFrame(rows)
        self.tables["multistep"] = table
        self.extra["multistep"] = flat
        self.rows.extend(rows)
        if wide.attrs.get("note"):
            self.note("multistep", str(wide.attrs["note"]))
        return table


def _run_label(part, experiment, kind):
    """Progress label of a network: ``features: historical`` or ``architectures: historical GRU``."""
    return f"{part}: {experiment}" + ("" if kind == "lstm" else f" {_MODEL_NAMES[kind]}")


def _seed_note(config):
    seeds = ", ".join(str(config.seed + i) for i in range(config.n_seeds))
    return (f"Every network here was trained {config.n_seeds} times (random_state {seeds}); rows "
            "are ranked by the mean test MSE over the seeds ('sd' = its standard deviation across "
            f"seeds). The other metrics and the figures are those of random_state {config.seed}. "
            "Differences smaller than about one sd are seed noise, not a property of the features.")


class _PartUnavailable(Exception):
    """A part that cannot run here (missing optional module)."""


def _frame_key(frame, asset):
    """Cache key of a table: the asset and its rows (the ETH table with and
    without ``btc_close`` has the same rows, hence the same runs)."""
    return (asset, frame.index[0], frame.index[-1], len(frame))


def _data_info(frame, data: PreparedData) -> dict:
    return {
        "rows": len(frame),
        "first_date": str(frame.index[0].date()),
        "last_date": str(frame.index[-1].date()),
        "columns": list(frame.columns),
        "train_windows": len(data.W_train),
        "train_targets": f"{data.train_dates[0].date()} .. {data.train_dates[-1].date()}",
        "test_targets": f"{data.test_dates[0].date()} .. {data.test_dates[-1].date()}",
        "n_test": len(data.y_test),
        "split_date": str(data.split_date.date()),
    }
