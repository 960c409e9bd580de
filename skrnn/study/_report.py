"""Outputs of a study: :class:`StudyResult`, ``results.csv``, ``results.json`` and ``report.md``."""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ._config import _MODEL_NAMES, StudyConfig, StudyError
from ._tables import display_table, markdown_table

if TYPE_CHECKING:
    from ._context import _Study


@dataclass
class StudyResult:
    """What :func:`run_study` produced.

    Parameters
    ----------
    results : DataFrame
        One row per model and experiment of every part (``results.csv``).
    tables : dict of part -> DataFrame
        The ranked table of each part.
    extra_tables : dict of name -> DataFrame
        Further tables (interval, worst days, correlations, grid search, ...).
    figures : dict of part -> list of Path
        The figures of each part (empty when ``out_dir`` is None).
    runs : dict of (part, experiment, model) -> ModelRun
        The model runs of the parts computed in this call.
    errors : dict of part -> str
        One line for each part that failed (details in ``errors.log``).
    timings : dict of part -> float
        Seconds each part took, and ``"total"``.
    config : StudyConfig
        The configuration the study ran with.
    out_dir : Path or None
        The report folder (None when :func:`run_study` wrote nothing).
    report : Path or None
        ``report.md`` once it is written, else None.
    data_info : dict of dataset -> dict
        Rows, dates and split of each table, for the report's setup section.

    Examples
    --------
    A quick run of the ``features`` part (small networks, but it trains
    them, so it is not run here):

    >>> from skrnn.study import StudyConfig, run_study
    >>> result = run_study(["features"], config=StudyConfig.quick_config(),
    ...                    out_dir="study-out")  # doctest: +SKIP
    >>> result.tables["features"].head()  # doctest: +SKIP

    The same fields, filled by hand (no part run, nothing written):

    >>> import pandas as pd
    >>> from skrnn.study import StudyResult
    >>> empty = StudyResult(results=pd.DataFrame(), tables={}, extra_tables={}, figures={},
    ...                     runs={}, errors={}, timings={"total": 0.0},
    ...                     config=StudyConfig.quick_config(), out_dir=None, report=None,
    ...                     data_info={})
    >>> empty.config.units, empty.out_dir, empty.report
    (16, None, None)
    """

    results: pd.DataFrame
    tables: dict
    extra_tables: dict
    figures: dict
    runs: dict
    errors: dict
    timings: dict
    config: StudyConfig
    out_dir: Path | None
    report: Path | None
    data_info: dict


def check_out_dir(out_dir, what="report folder", create=True) -> Path:
    """Check that ``out_dir`` can be written (and create it), or raise StudyError.

    With ``create=False`` nothing is created: the folder, or its nearest
    existing parent, must be a writable folder.
    """
    path = Path(out_dir)

    def fail(reason):
        raise StudyError(f"cannot write the {what} {str(path)!r}: {reason}.")

    if not create:
        probe = path
        while not probe.exists() and probe.parent != probe:
            probe = probe.parent
        if not probe.is_dir():
            fail(f"{str(probe)!r} is a file, not a folder")
        if not os.access(probe, os.W_OK | os.X_OK):
            fail(f"no permission to write in {str(probe)!r}")
        return path
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".skrnn-write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        fail(exc.strerror or type(exc).__name__)
    return path


def _versions() -> dict:
    import importlib.metadata as md

    out = {"python": platform.python_version(), "platform": platform.platform()}
    for name in ("skrnn", "numpy", "pandas", "scikit-learn", "keras", "tensorflow", "matplotlib"):
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            if name == "skrnn":
                from .. import __version__

                out[name] = __version__
            else:
                out[name] = None
    return out


# --------------------------------------------------------------------------- #
# outputs
# --------------------------------------------------------------------------- #
def _json_safe(obj):
    if isinstance(obj, dict):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if np.isfinite(obj) else None
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    if isinstance(obj, (pd.Timestamp, _dt.date)):
        return obj.isoformat()
    if isinstance(obj, Path):
        return str(obj)
    return obj


def _records(df: pd.DataFrame) -> list:
    return _json_safe(df.to_dict("records"))


def write_outputs(result: StudyResult, study: _Study, names, argv):
    out = result.out_dir
    result.results.to_csv(out / "results.csv", index=False)
    payload = {
        "title": "skrnn ETH study",
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "command": argv,
        "parts": names,
        "seed": result.config.seed,
        "config": result.config.to_dict(),
        "versions": _versions(),
        "data": study.data_info,
        "timings_s": result.timings,
        "errors": result.errors,
        "results": _records(result.results),
        "tables": {k: _records(v) for k, v in result.tables.items()},
        "extra_tables": {k: _records(v) for k, v in result.extra_tables.items()},
        "figures": {k: [str(Path(p).relative_to(out)) if Path(p).is_relative_to(out) else str(p)
                        for p in v] for k, v in result.figures.items()},
        "notes": study.notes,
    }
    with open(out / "results.json", "w", encoding="utf-8") as fh:
        json.dump(_json_safe(payload), fh, indent=2, allow_nan=False, ensure_ascii=False)
    report = out / "report.md"
    report.write_text(_report_markdown(result, study, names, argv), encoding="utf-8")
    result.report = report


def _img(out, path, alt):
    rel = Path(path)
    try:
        rel = rel.relative_to(out)
    except ValueError:
        pass
    return f"![{alt}]({rel.as_posix()})"


def _verdict(table: pd.DataFrame) -> str:
    """One paragraph comparing the best network with the naive and linear rows."""
    nets = table[~table["model"].isin([_MODEL_NAMES["linear"], _MODEL_NAMES["naive"]])]
    naive = table[table["model"] == _MODEL_NAMES["naive"]]
    lin = table[table["model"] == _MODEL_NAMES["linear"]]
    if nets.empty or naive.empty:
        return ""
    seeds = "mse_mean" in table.columns and table["mse_mean"].notna().any()
    key, zkey = ("mse_mean", "mse_zb_mean") if seeds else ("mse", "mse_zb")
    best = nets.sort_values(key).iloc[0]
    nmse = float(naive["mse"].iloc[0])
    nzb = float(naive["mse_zb"].iloc[0])
    rel = best[key] / nmse - 1
    rel_zb = best[zkey] / nzb - 1
    word = "lower" if rel < 0 else "higher"
    word_zb = "lower" if rel_zb < 0 else "higher"
    what = "mean test MSE over the seeds" if seeds else "test MSE"
    text = (f"Best network: **{best['model']} [{best['experiment']}]**, {what} "
            f"{best[key]:,.1f} USD², {abs(rel):.1%} {word} than the naive last-value forecast "
            f"({nmse:,.1f}); in zero-base units {best[zkey]:.5f} vs {nzb:.5f} "
            f"({abs(rel_zb):.1%} {word_zb}).")
    if seeds and np.isfinite(best.get("mse_std", np.nan)):
        text += f" Its seed-to-seed sd is {best['mse_std']:,.1f}."
    if not lin.empty:
        bl = lin.sort_values("mse").iloc[0]
        rel_lin = best[key] / bl["mse"] - 1
        text += (f" Best linear model on the same windows: [{bl['experiment']}] {bl['mse']:,.1f} "
                 f"({bl['mse'] / nmse - 1:+.1%} vs naive); the network is {abs(rel_lin):.1%} "
                 f"{'better' if rel_lin < 0 else 'worse'} than it.")
    return text


def _noise_note(result: StudyResult, name: str) -> str:
    """For a single-seed part: the seed spread measured in the features part."""
    cfg = result.config
    if cfg.n_seeds <= 1 or name in cfg.seed_parts or name in ("multistep", "btc"):
        return ""
    feats = result.tables.get("features")
    if feats is None or "mse_std" not in feats.columns:
        return ""
    sd = feats.loc[feats["model"] == "LSTM", "mse_std"].dropna()
    if sd.empty:
        return ""
    return (f"Networks in this part are trained once (random_state {cfg.seed}). For scale: in the "
            f"features part the seed-to-seed sd of the LSTM's test MSE was {sd.min():,.0f}-"
            f"{sd.max():,.0f} USD², so smaller differences here are not evidence.")


def _interval_markdown(iv: pd.DataFrame, cfg) -> list:
    """The uncertainty paragraph and table of the features part."""
    by = {r["band"]: r for _, r in iv.iterrows()}
    raw = by.get("MC dropout (raw)")
    calib = by.get("calibrated (split conformal)")
    rw = by.get("random walk")
    first = iv.iloc[0]
    pct = f"{100 * (1 - cfg.coverage) / 2:g}-{100 * (1 + cfg.coverage) / 2:g}%"

    def cov(r):
        return "n/a" if r is None or not np.isfinite(r["empirical_coverage"]) \
            else f"{r['empirical_coverage']:.1%}"

    def width(r):
        return "n/a" if r is None or not np.isfinite(r["median_width_usd"]) \
            else f"{r['median_width_usd']:,.1f} USD"

    text = (f"**Uncertainty**: {pct} bands of the best combination [{first['experiment']}] on "
            f"the test days (nominal coverage {first['nominal_coverage']:.0%}). The raw "
            f"Monte-Carlo dropout band ({int(first['passes'])} forward passes with dropout on) "
            f"covers **{cov(raw)}** with a median width "
            f"of {width(raw)}: it only reflects the network's weight uncertainty, not the "
            "market's noise, so it under-covers. The calibrated band (the default "
            "`interval=\"conformal_vol\"`: split conformal on the errors of the last")
    if calib is not None and np.isfinite(calib["n_calibration"]):
        text += f" {int(calib['n_calibration'])}"
    text += (f" training windows, which the network never trained on, each divided by its "
             f"window's volatility) covers **{cov(calib)}**, "
             f"median width {width(calib)}. The random-walk band (the last close moved by the "
             "5th/95th percentiles of the training period's one-day changes) covers "
             f"{cov(rw)}, median width {width(rw)}: a band is only useful if it is narrower "
             "than this one at a similar coverage.")
    table = markdown_table(
        iv,
        {"empirical_coverage": "{:.1%}", "median_width_usd": "{:,.1f}",
         "median_width_%": "{:.2f}", "mean_width_usd": "{:,.1f}", "passes": "{:.0f}",
         "n_calibration": "{:.0f}"},
        {"band": "band", "empirical_coverage": "coverage", "median_width_usd": "median width USD",
         "median_width_%": "median width % of price", "mean_width_usd": "mean width USD",
         "passes": "MC passes", "n_calibration": "calibration windows"})
    return [text, "", table, ""]


def _report_markdown(result: StudyResult, study: _Study, names, argv) -> str:
    cfg = result.config
    out = result.out_dir
    v = _versions()
    lines = ["# ETH price forecasting with recurrent networks: the skrnn study", ""]
    lines.append(
        "Forecasting the Ethereum daily close with the reference LSTM, its variants and "
        "extensions on the data bundled with skrnn. Generated "
        f"{_dt.datetime.now(_dt.timezone.utc):%Y-%m-%d %H:%M} UTC by skrnn {v.get('skrnn')} "
        f"(TensorFlow {v.get('tensorflow')}, Keras {v.get('keras')}, scikit-learn "
        f"{v.get('scikit-learn')}), seed {cfg.seed}."
    )
    if cfg.quick:
        lines += ["", "> **Quick mode**: a small model (%d units, %d epochs). The numbers only "
                  "show that the pipeline runs; run `skrnn study` without `--quick` for the "
                  "reference setup." % (cfg.units, cfg.epochs)]
    if argv is not None:
        lines += ["", "Command: `skrnn " + " ".join(argv) + "`"]
    lines += ["", "## Setup", ""]
    info = result.data_info.get("eth")
    if info:
        lines.append(
            f"* **Data**: `load_eth()` — Binance ETHUSDT daily candles, Etherscan on-chain "
            f"statistics and the daily mean VADER sentiment of ETH tweets, inner-joined on the UTC "
            f"day: {info['rows']} days, {info['first_date']} .. {info['last_date']}. The reference study's "
            "positive/negative/neutral tweet shares are not public; one daily compound score "
            "stands in for them."
        )
        lines.append(
            f"* **Split**: chronological (split_row = n - int({cfg.test_size} n)) "
            f"on the supervised rows: {info['train_windows']} training windows (targets "
            f"{info['train_targets']}), {info['n_test']} test targets ({info['test_targets']})."
        )
    lines += [
        "* **Target**: `close` of the next day (`make_supervised(frame[cols], 'close', 1)`).",
        f"* **Windows**: {cfg.window_len} days, zero-base `x / x0 - 1` per window and feature; the "
        "target is scaled by the window's first close and predictions are mapped back to USD. The "
        f"first {cfg.window_len - 1} training rows are history only (no padded window is trained "
        "on); test windows take their history from the end of the training part.",
        f"* **Network**: `LSTM({cfg.units}) -> Dropout({cfg.dropout}) -> Dense(1)`, Adam "
        f"(lr {cfg.learning_rate:g}), MSE, up to {cfg.epochs} epochs, batch {cfg.batch_size}, "
        f"early stopping (patience {cfg.early_stopping}, best weights restored; validation = last "
        f"{cfg.validation_fraction:.0%} of the training windows), learning rate x{cfg.lr_decay} "
        f"every {cfg.lr_decay_every} epochs, `random_state={cfg.seed}`.",
        f"* **Baselines** in every table: *naive (last value)* `y_hat[t+1] = close[t]`, and "
        f"*linear (ridge)* = `ZeroBaseRegressor(make_pipeline(FlattenWindows(), "
        f"Ridge(alpha={cfg.ridge_alpha:g})))` on the same windows.",
        "* **Metrics** on the test part: MSE, RMSE, MAE, R², MAPE in USD; *MSE zero-base* is the "
        "MSE of `y / x0 - 1` (x0 = first close of the window), the scale of the reference "
        "results (~0.0015-0.004); *MSE vs naive* is the relative change of the USD MSE against the naive "
        "forecast (negative = better than naive). Tables are sorted by test MSE (USD).",
    ]
    if cfg.zero_base_safe:
        lines.append(
            "* **Signed features**: zero-base divides by the window's first value, which explodes "
            "for a feature near 0, so `sentiment` enters as `1 + sentiment` and MACD lines as "
            "`1 + MACD / close`."
        )
    lines.append("")
    if "features" in result.figures:
        split_png = next((p for p in result.figures["features"] if Path(p).name == "split.png"), None)
        if split_png is not None:
            lines += [_img(out, split_png, "train/test split"), ""]

    titles = {
        "features": "Feature combinations",
        "ablation": "Ablation: drop one feature group",
        "architectures": "Architectures: LSTM, GRU, BiLSTM, stacked LSTM, Transformer",
        "indicators": "Technical indicators: RSI, MACD, Bollinger Bands",
        "crossasset": "Cross-asset feature: the BTC close",
        "btc": "Bitcoin",
        "search": "Grid search with TimeSeriesSplit",
        "multistep": "Multi-step forecasts",
        "benchmark": "Benchmark: one-step forecasts of several series, networks vs simple models",
    }
    for i, name in enumerate(names, 1):
        lines += [f"## {i}. {titles[name]}", ""]
        if name in result.errors:
            lines += [f"**Not run**: {result.errors[name]}", ""]
            continue
        table = result.tables.get(name)
        if table is None:
            continue
        t = result.timings.get(name)
        if name == "multistep":
            flat = result.extra_tables.get("multistep")
            if flat is not None and "horizon" in flat.columns:
                show = flat[flat["horizon"].isin([1, 2, 3, 7, 14, 21, 30])]
                fmt = {c: "{:,.1f}" for c in show.columns if c != "horizon"}
                lines += ["Test errors (USD) by horizon (all 30 horizons in `results.csv` and "
                          "`multistep/multistep_errors.csv`):", "", markdown_table(show, fmt)]
            cov = result.extra_tables.get("multistep_coverage")
            if cov is not None:
                fmt = {c: ("{:.1%}" if c.endswith("coverage") else "{:,.1f}")
                       for c in cov.columns if c != "horizon"}
                lines += ["", "Calibrated 90 % fans (split conformal per step, adapted online "
                          "over the rolling origins): coverage of the test values and median "
                          "width (USD), next to the random-walk band of relative moves:", "",
                          markdown_table(cov, fmt)]
            else:
                lines.append(markdown_table(table.drop(columns=["part"], errors="ignore")))
        elif name == "benchmark":
            from ._benchmark import benchmark_markdown

            lines += benchmark_markdown(result)
        else:
            drop = ("delta_mse",) if name != "ablation" else ()
            lines.append(display_table(table, drop=drop))
            lines += ["", _verdict(table)]
            noise = _noise_note(result, name)
            if noise:
                lines += ["", noise]
        for text in study.notes.get(name, []):
            lines += ["", text]
        if t is not None:
            lines += ["", f"*Part run time: {t:.0f} s (models shared with earlier parts are not retrained).*"]
        lines.append("")
        if name == "features":
            iv = result.extra_tables.get("interval")
            if iv is not None and len(iv):
                lines += _interval_markdown(iv, cfg)
            wd = result.extra_tables.get("worst_days")
            if wd is not None and len(wd):
                lines += ["**Largest errors** of the best combination (the market moves the "
                          "network could not anticipate):", "",
                          markdown_table(wd, {"actual": "{:,.2f}", "predicted": "{:,.2f}",
                                              "abs_error": "{:,.2f}", "actual_change_%": "{:+.1f}"},
                                         {"date": "date", "actual": "actual", "predicted": "predicted",
                                          "abs_error": "|error|",
                                          "actual_change_%": "day's change %"}), ""]
        if name == "crossasset":
            corr = result.extra_tables.get("correlation")
            if corr is not None:
                lines += ["Correlation of ETH and BTC:", "",
                          markdown_table(corr, {"corr_close": "{:.3f}", "corr_daily_log_return": "{:.3f}"},
                                         {"period": "period", "from": "from", "to": "to",
                                          "corr_close": "close", "corr_daily_log_return": "daily log return"}), ""]
        if name == "search":
            grid = result.extra_tables.get("grid")
            if grid is not None:
                fmt = {"cv_mse": "{:,.1f}", "cv_mse_std": "{:,.1f}", "fit_s": "{:.1f}"}
                lines += ["Cross-validation (MSE in USD², mean over the folds):", "",
                          markdown_table(grid, fmt), ""]
            compare = result.extra_tables.get("search_comparison")
            if compare is not None:
                lines += ["Grid search vs Optuna (best CV MSE and test MSE in USD², networks "
                          "trained, seconds):", "",
                          markdown_table(compare, {"best_cv_mse": "{:,.1f}", "test_mse": "{:,.1f}",
                                                   "time_s": "{:.0f}",
                                                   "test_mse_vs_naive": "{:+.1%}"}), ""]
        for path in result.figures.get(name, []):
            if Path(path).name == "split.png":
                continue
            lines += [_img(out, path, Path(path).stem.replace("_", " ")), ""]

    lines += ["## Files", "",
              "* `results.csv` — one row per model and experiment of every part.",
              "* `results.json` — the same rows, every table, the configuration, the seed, the "
              "package versions and the run times.",
              "* `*.png` — the figures above."]
    if result.errors:
        lines += ["", "## Errors", ""] + [f"* {k}: {v}" for k, v in result.errors.items()]
    lines += ["", f"Total run time: {result.timings.get('total', 0):.0f} s.", ""]
    return "\n".join(lines)
