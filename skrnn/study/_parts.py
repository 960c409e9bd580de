"""The parts of the study, one function each: ``part_NAME(study)`` fills a :class:`_Study`.

A part asks the study for data and model runs, ranks them into its table
(:meth:`_Study.keep` / :meth:`_Study.finish_table`) and adds figures and
notes; :data:`RUNNERS` maps each name of :data:`PARTS` to its function. A new
part is one function here, one entry in ``RUNNERS`` and one in ``PARTS``.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from ._config import _ALL, _MODEL_NAMES, _TARGET, FEATURE_COMBINATIONS
from ._progress import _CountingLogger
from ._models import ModelRun, PreparedData, lab_regressor, regression_metrics
from ._tables import result_order, result_row


def part_features(study):
    """The four feature combinations, ranked; loss curves, errors and the MC-dropout band."""
    from ..datasets import feature_columns
    from ..plotting import plot_errors, plot_history, plot_predictions, plot_split

    frame = study.eth()
    runs = {}
    rows = []
    for name, groups in FEATURE_COMBINATIONS.items():
        cols = feature_columns(groups)
        runs[name] = study.run("features", name, frame, cols, "lstm")
        rows.append(result_row("features", runs[name], study.seeds("features")))
        rows.append(result_row("features", study.run("features", name, frame, cols, "linear"),
                         study.seeds("features")))
    naive = study.run("features", "close[t]", frame, ["close"], "naive")
    rows.append(result_row("features", naive, study.seeds("features")))
    table = study.finish_table("features", rows, naive.metrics["mse"])
    if study.seeds("features"):
        study.note("features", _seed_note(study.config))
    study.note("features", "In the loss curves the validation loss (last 10% of the training "
                           "windows) can sit below the training loss: dropout is only active "
                           "while training, and the validation period may simply be calmer. "
                           "Overfitting shows as a validation loss that rises while the training "
                           "loss keeps falling; early stopping then restores the best epoch.")

    some = next(iter(runs.values()))
    plot_split(frame[_TARGET], some.data.split_date, path=study.figure("features", "split.png"),
               title="ETH close: chronological 80/20 split (test = last 20%)")
    actual = some.actual
    plot_predictions(actual, {k: r.predicted for k, r in runs.items()},
                     path=study.figure("features", "features_predictions.png"),
                     title="ETH close, test part: actual vs LSTM per feature combination")
    last = actual.index[-min(60, len(actual))]
    plot_predictions(actual.loc[last:], {**{k: r.predicted.loc[last:] for k, r in runs.items()},
                                         "naive": naive.predicted.loc[last:]},
                     path=study.figure("features", "features_predictions_last60.png"),
                     title="Last 60 test days: actual vs LSTM per combination and naive")
    plot_history({k: r.history for k, r in runs.items() if r.history},
                 path=study.figure("features", "features_history.png"),
                 title="Training (solid) and validation (dashed) loss, zero-base MSE")
    best_name = min(runs, key=lambda k: (np.mean(runs[k].seed_mse) if runs[k].seed_mse
                                         else runs[k].metrics["mse"]))
    best = runs[best_name]
    plot_errors(actual, best.predicted, top=5, path=study.figure("features", "features_errors.png"),
                title=f"Absolute error over time, LSTM [{best_name}] (USD)", ylabel="|error| [USD]")
    err = (best.predicted - actual).abs().sort_values(ascending=False).head(5)
    study.extra["worst_days"] = pd.DataFrame({
        "date": [d.strftime("%Y-%m-%d") for d in err.index],
        "actual": actual.loc[err.index].to_numpy(),
        "predicted": best.predicted.loc[err.index].to_numpy(),
        "abs_error": err.to_numpy(),
        "actual_change_%": 100 * (actual.loc[err.index].to_numpy()
                                  / naive.predicted.loc[err.index].to_numpy() - 1),
    })
    # Monte-Carlo dropout interval of the best combination: raw, calibrated, random walk
    study.extra["interval"] = _interval_table(study, best_name, best, naive, last)
    study.data_info["eth"] = _data_info(frame, best.data)
    return table


def _interval_table(study, best_name, best, naive, last):
    """Raw MC-dropout, calibrated and random-walk bands of ``best`` on the test days.

    The raw band (``interval="mc"``: the Monte-Carlo dropout percentiles) and the calibrated one (the default:
    split conformal on the last training windows' errors, each divided by its window's volatility)
    come from the same fitted network: ``interval`` is read at predict time,
    so a deep copy with ``interval="mc"`` gives the raw band. The random-walk
    band moves the last close by the 5th/95th percentiles of the training
    period's one-day changes (:func:`random_walk_band`). The figures show the
    calibrated band (raw one dashed when there is one).
    """
    import copy

    from ..plotting import plot_interval
    from ._baselines import band_summary, random_walk_band

    cfg = study.config
    alpha = (1 - cfg.coverage) / 2
    levels = (alpha, 0.5, 1 - alpha)
    actual = best.actual
    W = best.data.W_test
    if study.progress is not None:
        study.progress.message(f"[features: {best_name}] MC dropout: {cfg.n_samples} passes")
    network = study.estimator_of(best, "features")  # trained again if it was loaded
    raw_est = copy.deepcopy(network)
    raw_est.set_params(interval="mc")
    q = raw_est.predict_quantiles(W, levels, n_samples=cfg.n_samples)
    raw = [pd.Series(q[:, i], index=actual.index) for i in range(3)]
    calibrated = None
    try:
        lo, hi = network.predict_interval(W, coverage=cfg.coverage, n_samples=cfg.n_samples)
        calibrated = [best.predicted, pd.Series(lo, index=actual.index),
                      pd.Series(hi, index=actual.index)]
    except ValueError as exc:  # too few calibration windows for this coverage
        study.note("features", f"No calibrated band: {exc}")
    train_close = best.data.X_train[_TARGET].to_numpy(dtype=float)
    rw_lo, rw_hi = random_walk_band(train_close, naive.predicted.to_numpy(), cfg.coverage,
                                    best.data.horizon)
    cal = getattr(network, "calibration_", None)
    rows = []

    def add(band, lower, upper, passes, n_cal, center):
        s = band_summary(actual, lower, upper) if lower is not None else {}
        width = (np.asarray(upper) - np.asarray(lower)) if lower is not None else None
        rows.append({
            "experiment": best_name, "band": band, "passes": passes,
            "nominal_coverage": cfg.coverage,
            "empirical_coverage": s.get("coverage", np.nan),
            "median_width_usd": s.get("median_width", np.nan),
            "median_width_%": (float(np.median(100 * width / actual.to_numpy()))
                               if width is not None else np.nan),
            "mean_width_usd": s.get("mean_width", np.nan),
            "n_calibration": n_cal,
            "mse_of_center": (float(np.mean((np.asarray(center) - actual.to_numpy()) ** 2))
                              if center is not None else np.nan),
        })

    add("MC dropout (raw)", raw[0], raw[2], cfg.n_samples, np.nan, raw[1])
    center, cal_lo, cal_hi = calibrated if calibrated else (None, None, None)
    add("calibrated (split conformal)", cal_lo, cal_hi, cfg.n_samples,
        cal.n_calibration_ if cal is not None else np.nan, center)
    add("random walk", rw_lo, rw_hi, np.nan, np.nan, naive.predicted.to_numpy())
    pct = f"{100 * alpha:g}-{100 * (1 - alpha):g}%"
    shown = calibrated or raw
    kind = "calibrated" if calibrated else "raw MC dropout"
    extra = {"raw MC dropout band": (raw[0], raw[2])} if calibrated else {}
    for suffix, since, what in (("", None, f"{cfg.n_samples} passes"),
                                ("_last60", last, "last 60 test days")):
        sl = slice(since, None)
        _plot_band(plot_interval, actual.loc[sl], *(x.loc[sl] for x in shown), cfg.coverage,
                   study.figure("features", f"features_interval{suffix}.png"),
                   f"{kind} {pct} band, LSTM [{best_name}], {what}",
                   {k: (a.loc[sl], b.loc[sl]) for k, (a, b) in extra.items()},
                   "LSTM prediction" if calibrated else None)
    return pd.DataFrame(rows)


def _plot_band(plot_interval, actual, center, lower, upper, coverage, path, title, extra,
               center_label=None):
    """``plot_interval`` of one band, with further bands drawn as dashed lines."""
    from ..plotting import save_figure, x_values

    fig = plot_interval(actual, center, lower, upper, coverage=coverage, title=title)
    ax = fig.axes[0]
    if center_label is not None:
        for line in ax.get_lines():
            if line.get_label() == "median":
                line.set_label(center_label)
    for (label, (lo, hi)), color in zip(extra.items(), ("tab:orange", "tab:green", "tab:red")):
        ax.plot(x_values(lo.index), lo.to_numpy(), linestyle="--", lw=0.9, color=color, label=label)
        ax.plot(x_values(hi.index), hi.to_numpy(), linestyle="--", lw=0.9, color=color)
    ax.legend(loc="best")
    save_figure(fig, path)


def part_ablation(study):
    """Drop one feature group at a time from all three; rank the groups by the MSE change."""
    from ..datasets import feature_columns

    frame = study.eth()
    groups = FEATURE_COMBINATIONS[_ALL]
    sets = {_ALL: feature_columns(groups)}
    for g in groups:
        rest = [x for x in groups if x != g]
        cols = feature_columns(rest)
        if _TARGET not in cols:
            cols = [_TARGET] + cols
        sets[f"without {g}"] = cols
    runs = {name: study.run("ablation", name, frame, cols, "lstm") for name, cols in sets.items()}
    lins = {name: study.run("ablation", name, frame, cols, "linear") for name, cols in sets.items()}
    naive = study.run("ablation", "close[t]", frame, ["close"], "naive")
    seeds = study.seeds("ablation")
    key = "mse_mean" if seeds else "mse"
    rows = [result_row("ablation", runs[name], seeds) for name in sets]
    rows += [result_row("ablation", lins[name], seeds) for name in sets]
    full = {r["model"]: r[key] for r in rows if r["experiment"] == _ALL}
    for r in rows:
        r["delta_mse"] = r[key] - full[r["model"]]
    rows.append(result_row("ablation", naive, seeds))
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
    table = study.keep("ablation", result_order(table))
    study.note("ablation", f"ΔMSE = {'mean ' if seeds else ''}MSE without the group - "
                           f"{'mean ' if seeds else ''}MSE with all three groups (same model "
                           "type); a positive ΔMSE means the group helped. Rows are ranked by the "
                           "LSTM's ΔMSE, most useful group first. 'without historical' keeps "
                           "`close` (the target's own history is needed for zero-base).")
    if seeds:
        study.note("ablation", _seed_note(study.config))
    from ..plotting import plot_history

    plot_history({k: r.history for k, r in runs.items() if r.history},
                 path=study.figure("ablation", "ablation_history.png"),
                 title="Ablation: training (solid) and validation (dashed) loss")
    return table


def part_architectures(study):
    """LSTM, GRU, bidirectional and stacked LSTM and a Transformer on the same features."""
    from ..datasets import feature_columns
    from ..plotting import plot_history

    frame = study.eth()
    name = study.config.arch_features
    cols = feature_columns(FEATURE_COMBINATIONS[name])
    seeds = study.seeds("architectures")
    runs = {kind: study.run("architectures", name, frame, cols, kind)
            for kind in ("lstm", "gru", "bilstm", "stacked", "transformer")}
    rows = [result_row("architectures", r, seeds) for r in runs.values()]
    rows.append(result_row("architectures", study.run("architectures", name, frame, cols, "linear"),
                           seeds))
    naive = study.run("architectures", "close[t]", frame, ["close"], "naive")
    rows.append(result_row("architectures", naive, seeds))
    table = study.finish_table("architectures", rows, naive.metrics["mse"])
    if seeds:
        study.note("architectures", _seed_note(study.config))
    actual = runs["lstm"].actual
    study.zoom("architectures", actual, {r.model: r.predicted for r in runs.values()}, naive,
               f"Architectures on [{name}]: actual vs predicted")
    plot_history({r.model: r.history for r in runs.values() if r.history},
                 path=study.figure("architectures", "architectures_history.png"),
                 title="Architectures: training (solid) and validation (dashed) loss")
    study.note("architectures", f"All on the [{name}] features. 2xLSTM = two stacked LSTM layers of "
                                f"{study.config.units} units (the first returns sequences); BiLSTM "
                                "= one Bidirectional LSTM layer. Transformer = a self-attention "
                                "encoder over the window (2 blocks of 4 heads, sinusoidal "
                                "positions, last step pooled) trained exactly as the LSTM. "
                                "'weights' = trainable parameters.")
    return table


def part_indicators(study):
    """RSI, MACD and Bollinger Bands as an extra feature group, with and without them."""
    from ..datasets import feature_columns
    from ..preprocessing import TechnicalIndicators

    frame = study.eth()
    ti = TechnicalIndicators(column=_TARGET).set_output(transform="pandas")
    rows, runs = [], {}
    for base_name in ("historical", _ALL):
        cols = feature_columns(FEATURE_COMBINATIONS[base_name])
        plain = study.run("indicators", base_name, frame, cols, "lstm")
        name = f"{base_name}+indicators"
        runs[base_name] = plain
        runs[name] = study.run("indicators", name, frame, cols, "lstm", ti, "indicators")
        rows += [result_row("indicators", plain), result_row("indicators", runs[name]),
                 result_row("indicators", study.run("indicators", base_name, frame, cols, "linear")),
                 result_row("indicators", study.run("indicators", name, frame, cols, "linear", ti,
                                              "indicators"))]
    naive = study.run("indicators", "close[t]", frame, ["close"], "naive")
    rows.append(result_row("indicators", naive))
    table = study.finish_table("indicators", rows, naive.metrics["mse"])
    actual = runs["historical"].actual
    study.zoom("indicators", actual, {k: r.predicted for k, r in runs.items()}, naive,
               "Technical indicators: actual vs LSTM with and without them")
    study.note("indicators", "Indicators (RSI 14, MACD 12/26/9 with signal and histogram, "
                             "Bollinger Bands 20/2) are computed from `close` by "
                             "`TechnicalIndicators`, fit on the training rows; test rows continue "
                             "from the training history (no warm-up in the test part). The MACD "
                             "lines enter as 1 + MACD/close (see setup).")
    return table


def part_crossasset(study):
    """The BTC close as an extra feature for ETH, and the two assets' correlation."""
    from ..datasets import feature_columns

    frame = study.eth_btc()
    rows, runs = [], {}
    for base_name in ("historical", _ALL):
        cols = feature_columns(FEATURE_COMBINATIONS[base_name])
        name = f"{base_name}+btc"
        runs[base_name] = study.run("crossasset", base_name, frame, cols, "lstm")
        runs[name] = study.run("crossasset", name, frame, cols + ["btc_close"], "lstm")
        rows += [result_row("crossasset", runs[base_name]), result_row("crossasset", runs[name]),
                 result_row("crossasset", study.run("crossasset", base_name, frame, cols, "linear")),
                 result_row("crossasset", study.run("crossasset", name, frame, cols + ["btc_close"],
                                              "linear"))]
    naive = study.run("crossasset", "close[t]", frame, ["close"], "naive")
    rows.append(result_row("crossasset", naive))
    table = study.finish_table("crossasset", rows, naive.metrics["mse"])
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
    study.extra["correlation"] = pd.DataFrame(rows_c)
    study.zoom("crossasset", runs["historical"].actual, {k: r.predicted for k, r in runs.items()},
               naive, "Cross-asset: ETH actual vs LSTM with and without the BTC close")
    return table


def part_btc(study):
    """The reference setup on the bundled Bitcoin candles (historical features)."""
    from ..datasets import feature_columns

    frame = study.btc()
    cols = feature_columns(["historical"])
    study.asset = "BTC"
    try:
        return _btc_tables(study, frame, cols)
    finally:
        study.asset = "ETH"


def _btc_tables(study, frame, cols):
    """The ``btc`` part on ``frame`` (run while ``study.asset`` is ``"BTC"``)."""
    from ..plotting import plot_history, plot_predictions, plot_split

    lstm = study.run("btc", "historical", frame, cols, "lstm")
    rows = [result_row("btc", lstm), result_row("btc", study.run("btc", "historical", frame, cols, "linear"))]
    naive = study.run("btc", "close[t]", frame, ["close"], "naive")
    rows.append(result_row("btc", naive))
    table = study.finish_table("btc", rows, naive.metrics["mse"])
    plot_split(frame[_TARGET], lstm.data.split_date, path=study.figure("btc", "btc_split.png"),
               title="BTC close: chronological 80/20 split")
    plot_predictions(lstm.actual, {"LSTM": lstm.predicted, "naive": naive.predicted},
                     path=study.figure("btc", "btc_predictions.png"),
                     title="BTC close, test part: actual vs LSTM [historical]")
    study.zoom("btc", lstm.actual, {"LSTM": lstm.predicted}, naive, "BTC close: actual vs LSTM")
    if lstm.history:
        plot_history({"BTC LSTM": lstm.history}, path=study.figure("btc", "btc_history.png"),
                     title="BTC: training (solid) and validation (dashed) loss")
    study.data_info["btc"] = _data_info(frame, lstm.data)
    study.note("btc", "Task 4 asks for a Kaggle data set of one's choice; this uses the bundled "
                      "Binance BTCUSDT daily candles (the same source as the ETH prices), "
                      f"{frame.index[0].date()} .. {frame.index[-1].date()}.")
    return table


def part_search(study):
    """GridSearchCV + TimeSeriesSplit on the training rows against the reference network."""
    from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
    from sklearn.pipeline import Pipeline

    from ..datasets import feature_columns
    from ..preprocessing import SlidingWindow

    cfg = study.config
    frame = study.eth()
    name = cfg.arch_features
    cols = feature_columns(FEATURE_COMBINATIONS[name])
    lab = study.run("search", name, frame, cols, "lstm")
    data = lab.data
    grid = cfg.grid()
    pipe = Pipeline([("window", SlidingWindow(cfg.window_len)),
                     ("rnn", lab_regressor("lstm", cfg, data.target_channel))])
    n_fits = int(np.prod([len(v) for v in grid.values()])) * cfg.search_splits + 1
    if study.progress is not None:
        study.progress.message(f"[search] GridSearchCV: {n_fits - 1} fits + 1 refit on the "
                               f"training rows, grid {grid}")
        pipe.set_params(rnn__callbacks=[_CountingLogger(study.progress, "search", n_fits)])
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
    study.runs[("search", best_run.experiment, best_run.model)] = best_run
    lab_row = result_row("search", lab)
    lab_row["experiment"] = f"{name} (reference: window={cfg.window_len}, units={cfg.units}, dropout={cfg.dropout})"
    naive = study.run("search", "close[t]", frame, ["close"], "naive")
    rows = [result_row("search", best_run), lab_row,
            result_row("search", study.run("search", name, frame, cols, "linear")), result_row("search", naive)]
    if cfg.optuna_trials:  # Bayesian search next to the grid (skrnn study search --optuna)
        from ._optuna import optuna_part

        counting = (None if study.progress is None else
                    lambda total: [_CountingLogger(study.progress, "search optuna", total)])
        rows.insert(1, result_row("search", optuna_part(study, pipe, data, X_train, y_train, search,
                                                        elapsed, metrics["mse"], naive, counting)))
    table = study.finish_table("search", rows, naive.metrics["mse"])
    cv = pd.DataFrame(search.cv_results_)
    keep = [c for c in cv.columns if c.startswith("param_")]
    cvt = cv[keep].copy()
    cvt.columns = [c.split("__")[-1] for c in keep]
    cvt["cv_mse"] = -cv["mean_test_score"]
    cvt["cv_mse_std"] = cv["std_test_score"]
    cvt["fit_s"] = cv["mean_fit_time"]
    cvt["rank"] = cv["rank_test_score"]
    study.extra["grid"] = cvt.sort_values("rank").reset_index(drop=True)
    study.zoom("search", lab.actual, {"LSTM (reference)": lab.predicted,
                                      f"LSTM ({best_label})": best_run.predicted}, naive,
               "Grid search: best candidate vs the reference network")
    study.note("search", f"GridSearchCV over {grid} with TimeSeriesSplit({cfg.search_splits}) on "
                         "the training rows only, scoring = -MSE (USD); the best candidate is "
                         f"refit on all training rows and tested once. The total search took "
                         f"{elapsed:.0f} s (train s). In the folds the first window_len - 1 rows "
                         "of the first fold have padded windows (a Pipeline cannot drop rows).")
    return table


def part_multistep(study):
    """Recursive, direct and MIMO forecasts 1..30 days ahead (:func:`multistep_study`)."""
    try:
        from ._multistep import multistep_study
    except ImportError as exc:
        raise _PartUnavailable(f"multistep part not available: {exc}") from None
    cfg = study.config
    out = study.out / "multistep"
    out.mkdir(parents=True, exist_ok=True)
    result = multistep_study(study.eth(), out, quick=cfg.quick, seed=cfg.seed,
                             epochs=cfg.epochs if cfg.epochs_given else None,
                             window_len=cfg.window_len, units=cfg.units,
                             progress=study.progress.message if study.progress is not None else None,
                             stored=study.stored)
    wide = result["table"]
    study.figures["multistep"] = [Path(p) for p in result.get("figures", [])]
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
    study.tables["multistep"] = table
    study.extra["multistep"] = flat
    if result.get("coverage") is not None:
        study.extra["multistep_coverage"] = result["coverage"].reset_index()
    study.rows.extend(rows)
    if wide.attrs.get("note"):
        study.note("multistep", str(wide.attrs["note"]))
    return table


def part_benchmark(study):
    """One-step forecasts of several series: networks vs naive, ridge and AutoETS (:mod:`._benchmark`)."""
    from ._benchmark import benchmark_part

    return benchmark_part(study)


def _seed_note(config):
    """The note under a table whose networks were trained with several seeds."""
    seeds = ", ".join(str(config.seed + i) for i in range(config.n_seeds))
    return (f"Every network here was trained {config.n_seeds} times (random_state {seeds}); rows "
            "are ranked by the mean test MSE over the seeds ('sd' = its standard deviation across "
            f"seeds). The other metrics and the figures are those of random_state {config.seed}. "
            "Differences smaller than about one sd are seed noise, not a property of the features.")


class _PartUnavailable(Exception):
    """A part that cannot run here (missing optional module)."""


def _data_info(frame, data: PreparedData) -> dict:
    """Rows, dates and split of a table, for the report's setup section."""
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


#: The function of each part, by name (the keys of :data:`PARTS`).
RUNNERS = {
    "features": part_features,
    "ablation": part_ablation,
    "architectures": part_architectures,
    "indicators": part_indicators,
    "crossasset": part_crossasset,
    "btc": part_btc,
    "search": part_search,
    "multistep": part_multistep,
    "benchmark": part_benchmark,
}
