"""Multi-step study: recursive, direct and MIMO forecasts of the ETH close.

Called by ``skrnn study --parts multistep`` (and usable on any frame with a
``close`` column, as :func:`skrnn.study.multistep_study`). The series is split chronologically 80/20; the networks
are trained once on the first 80% and never refitted; forecasts for
horizons 1..30 are made from rolling origins over the last 20% (every
origin in full mode, a thinned set in quick mode) and scored per horizon
with MSE and MAE in the data's units. sktime's ``NaiveForecaster(strategy=
"last")`` is the baseline. The 7- and 30-day forecasts from the end of the
training period, with 5-95% Monte-Carlo dropout intervals, are plotted
against the actual prices.

sktime and matplotlib are imported inside :func:`multistep_study`.
"""

from __future__ import annotations

import time
import warnings
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from ..plotting import save_figure, label_axes, load_pyplot

HORIZON = 30
#: Horizons at which the fans' coverage is reported.
COVERAGE_HORIZONS = (1, 7, 30)
STRATEGIES = ("recursive", "direct", "mimo")
DIRECT_HORIZONS_FULL = (1, 2, 3, 5, 7, 10, 14, 21, 30)
DIRECT_HORIZONS_QUICK = (1, 7, 30)
PLOT_HORIZONS = (7, 30)


def multistep_study(frame, out_dir, *, quick=False, seed=0, epochs=None, window_len=10,
                    units=256, progress=None, stored=None):
    """Compare recursive, direct and MIMO multi-step forecasts of ``close``.

    Parameters
    ----------
    frame : pandas.DataFrame
        Time-ordered table with a ``close`` column (e.g.
        :func:`skrnn.datasets.load_eth`). Other columns are not used.
    out_dir : str or path-like
        Folder for the figures and ``multistep_errors.csv`` (created).
    quick : bool, default=False
        Small networks (at most 16 units), 2 epochs, about 20 rolling origins,
        20 Monte-Carlo samples and direct networks at horizons 1, 7, 30 only:
        a smoke run of the whole pipeline in well under a minute.
    seed : int, default=0
        ``random_state`` of every network and of the Monte-Carlo draws.
    epochs : int, optional
        Maximum epochs (early stopping with patience 5 on the last 10% of
        the training windows in full mode). Default 2 (quick) or 40.
    window_len : int, default=10
        Input window of every network.
    units : int, default=256
        LSTM units (capped at 16 in quick mode).
    progress : callable, optional
        Called with one line of text per stage.
    stored : callable, optional
        The study's :meth:`~skrnn.study._context._Study.stored`: each
        strategy's networks and forecasts are kept when they finish and
        loaded instead of fitted when a resumed study finds them.

    Returns
    -------
    result : dict
        ``table``: DataFrame indexed by horizon (1..30) with columns
        ``(metric, strategy)`` for metric in ``mse``, ``mae`` and strategy in
        ``recursive``, ``direct``, ``mimo``, ``naive``. Direct networks are
        trained at a subset of horizons only (``table.attrs["direct_horizons"]``);
        their other rows are NaN, as ``table.attrs["note"]`` says.
        ``figures``: paths of the PNG files (errors against horizon, 7- and
        30-day forecasts with intervals). ``csv``: path of the table as CSV.
        ``timings``: seconds per stage.
    """
    from sktime.forecasting.naive import NaiveForecaster

    from ..estimators import LSTMRegressor

    say = progress or (lambda msg: None)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if "close" not in frame.columns:
        raise ValueError(f"multistep_study needs a 'close' column; columns are {list(frame.columns)}.")
    close = frame["close"].astype(float)
    if close.isna().any():
        raise ValueError("the close column has missing values; fill or drop them first.")
    dates = close.index
    # integer time index: robust to calendar gaps, mapped back to dates for plots
    y = pd.Series(close.to_numpy(), index=pd.RangeIndex(len(close)), name="close")
    n = len(y)
    n_train = int(round(0.8 * n))
    if n_train < window_len + HORIZON + 10 or n - n_train < HORIZON + 1:
        raise ValueError(
            f"close has {n} rows; the study needs at least {window_len + HORIZON + 10} "
            f"training rows and {HORIZON + 1} test rows after the 80/20 split."
        )
    y_train, y_test = y.iloc[:n_train], y.iloc[n_train:]

    units = min(int(units), 16) if quick else int(units)
    epochs = int(epochs) if epochs is not None else (2 if quick else 40)
    n_samples = 20 if quick else 100
    direct_h = DIRECT_HORIZONS_QUICK if quick else DIRECT_HORIZONS_FULL
    # origins: cutoffs from the end of training to the last one with a full 30-day future
    first, last = n_train - 1, n - 1 - HORIZON
    every = max(1, (last - first + 1) // 20) if quick else 1
    origins = np.arange(first, last + 1, every)
    say(f"multistep: {n_train} training days, {n - n_train} test days, "
        f"{len(origins)} rolling origins (every {every}), horizons 1..{HORIZON}")

    # the fans are calibrated per step on held-out origins: enough of them for
    # a 90 % band 30 steps ahead (19 points at step 30), at least the default 10 %
    n_windows = n_train - window_len
    calibration = max(0.1, (HORIZON + 19) / n_windows)

    def network():
        return LSTMRegressor(
            units=units, dropout=0.2, epochs=epochs, batch_size=32,
            validation_fraction=0.0 if quick else 0.1,
            early_stopping=None if quick else 5,
            lr_decay=None if quick else 0.75, lr_decay_every=10,
            n_samples=n_samples, random_state=seed, calibration_fraction=calibration,
        )

    fh_all = list(range(1, HORIZON + 1))
    fh_of = {"recursive": fh_all, "direct": list(direct_h), "mimo": fh_all}
    actual = y.to_numpy()
    target_pos = origins[:, None] + np.arange(1, HORIZON + 1)[None, :]  # (n_origins, 30)
    truth = actual[target_pos]

    errors = {}
    fans = {}
    timings = {}
    coverage = {}
    for strategy in STRATEGIES:
        steps = np.asarray(fh_of[strategy])
        fit = partial(_fit_strategy, strategy, network, window_len, seed, y_train, y_test, steps,
                      origins)
        if stored is not None:  # loaded when an earlier session finished it
            fit = partial(stored, f"multistep-{strategy}",
                          {"strategy": strategy, "units": units, "epochs": epochs,
                           "n_samples": n_samples, "window_len": window_len, "seed": seed,
                           "calibration": calibration, "quick": bool(quick), "n_train": n_train},
                          fit, (y.to_numpy(), origins), label=f"multistep: {strategy}")
        done = fit()
        point, lower, upper, t_fit = done["point"], done["lower"], done["upper"], done["fit_s"]
        inside = (truth[:, steps - 1] >= lower) & (truth[:, steps - 1] <= upper)
        coverage[strategy] = pd.DataFrame(
            {"coverage": inside.mean(axis=0), "median_width": np.median(upper - lower, axis=0)},
            index=pd.Index(steps, name="horizon"))
        err = point - truth[:, steps - 1]
        errors[strategy] = pd.DataFrame(
            {"mse": (err ** 2).mean(axis=0), "mae": np.abs(err).mean(axis=0)},
            index=pd.Index(steps, name="horizon"),
        )
        # the 7- and 30-day forecasts from the end of training, with intervals
        fans[strategy] = pd.DataFrame(done["fan"], index=steps[steps <= max(PLOT_HORIZONS)],
                                      columns=["lower", "median", "upper"])
        timings[strategy] = done["total_s"]
        epochs_run = done["epochs"]
        say(f"multistep: {strategy:9s} {len(epochs_run)} network(s), epochs {epochs_run}, "
            f"fit {t_fit:.1f}s, total {timings[strategy]:.1f}s, "
            f"MSE h=1 {errors[strategy]['mse'].iloc[0]:.2f}")

    # sktime's naive baseline: the last observed close, refitted at every origin
    t0 = time.perf_counter()
    naive = np.empty((len(origins), HORIZON))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # sktime's remember_data notice
        for i, c in enumerate(origins):
            nf = NaiveForecaster(strategy="last")
            nf.fit(y.iloc[: c + 1])
            naive[i] = nf.predict(fh=fh_all).to_numpy()
    err = naive - truth
    errors["naive"] = pd.DataFrame(
        {"mse": (err ** 2).mean(axis=0), "mae": np.abs(err).mean(axis=0)},
        index=pd.Index(fh_all, name="horizon"),
    )
    timings["naive"] = time.perf_counter() - t0

    table = _assemble(errors, direct_h, len(origins))
    csv = out_dir / "multistep_errors.csv"
    table.to_csv(csv)
    # coverage of the calibrated 90 % fan at the reported horizons, next to the
    # random-walk band over the same origins (relative moves of the training period)
    from ._baselines import random_walk_band

    shown = [h for h in COVERAGE_HORIZONS if h <= HORIZON]
    rows = []
    for h in shown:
        rw_lo, rw_hi = random_walk_band(actual[:n_train], actual[origins], coverage=0.9,
                                        horizon=h)
        rw_in = (truth[:, h - 1] >= rw_lo) & (truth[:, h - 1] <= rw_hi)
        row = {"horizon": h, "random_walk_coverage": rw_in.mean(),
               "random_walk_median_width": float(np.median(rw_hi - rw_lo))}
        for strategy, cov in coverage.items():
            if h in cov.index:
                row[f"{strategy}_coverage"] = cov.loc[h, "coverage"]
                row[f"{strategy}_median_width"] = cov.loc[h, "median_width"]
        rows.append(row)
    coverage_table = pd.DataFrame(rows).set_index("horizon")
    coverage_table.to_csv(out_dir / "multistep_coverage.csv")

    plt = load_pyplot()
    figures = [
        _plot_errors(plt, table, out_dir / "multistep_errors.png"),
    ]
    for h in PLOT_HORIZONS:
        context = close.iloc[max(0, n_train - max(30, 3 * h)): n_train]
        figures.append(_plot_fans(plt, fans, close, context, dates, n_train, h,
                                  out_dir / f"multistep_forecast_{h}d.png"))
    say(f"multistep: wrote {csv.name} and {len(figures)} figures to {out_dir}")
    return {"table": table, "figures": [str(p) for p in figures], "csv": str(csv),
            "timings": timings, "coverage": coverage_table}


def _fit_strategy(strategy, network, window_len, seed, y_train, y_test, steps, origins) -> dict:
    """Fit one strategy's networks and forecast from every origin (plain arrays and numbers)."""
    from ..forecasting import RNNForecaster

    t0 = time.perf_counter()
    f = RNNForecaster(network(), window_len=window_len, strategy=strategy,
                      normalize="zero_base", random_state=seed)
    f.fit(y_train, fh=None if strategy == "recursive" else [int(h) for h in steps])
    t_fit = time.perf_counter() - t0
    pred, bands = f.predict_rolling(y_test, fh=steps, origins=origins, coverage=0.9)
    shape = (len(origins), len(steps))
    fh_plot = steps[steps <= max(PLOT_HORIZONS)]
    fan = f.predict_quantiles(fh=list(fh_plot), alpha=[0.05, 0.5, 0.95]).to_numpy()
    return {"point": pred.to_numpy().reshape(shape),
            "lower": bands.iloc[:, 0].to_numpy().reshape(shape),
            "upper": bands.iloc[:, 1].to_numpy().reshape(shape),
            "fan": np.asarray(fan, dtype=float), "fit_s": t_fit,
            "total_s": time.perf_counter() - t0,
            "epochs": [getattr(e, "n_epochs_", None) for e in f.estimators_]}


def _assemble(errors, direct_h, n_origins):
    horizons = pd.Index(range(1, HORIZON + 1), name="horizon")
    cols = {}
    for metric in ("mse", "mae"):
        for strategy in (*STRATEGIES, "naive"):
            cols[(metric, strategy)] = errors[strategy][metric].reindex(horizons)
    table = pd.DataFrame(cols, index=horizons)
    table.columns = pd.MultiIndex.from_tuples(table.columns, names=["metric", "strategy"])
    table.attrs["direct_horizons"] = list(direct_h)
    table.attrs["n_origins"] = int(n_origins)
    table.attrs["note"] = (
        "direct: one network per horizon, trained at horizons "
        + ", ".join(str(h) for h in direct_h)
        + " only (other rows NaN); errors in USD over "
        + f"{n_origins} rolling origins in the last 20% of the series, no refit."
    )
    return table


# --------------------------------------------------------------------------
# figures
# --------------------------------------------------------------------------
_COLORS = {"recursive": "tab:blue", "direct": "tab:orange", "mimo": "tab:green", "naive": "tab:gray"}


def _plot_errors(plt, table, path):
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for ax, metric, label in zip(axes, ("mse", "mae"), ("MSE [USD²]", "MAE [USD]")):
        for strategy in table[metric].columns:
            s = table[(metric, strategy)].dropna()
            style = "--" if strategy == "naive" else "-"
            ax.plot(s.index, s.to_numpy(), style, marker="o", ms=3, lw=1.5,
                    color=_COLORS.get(strategy), label=strategy)
        label_axes(ax, f"{metric.upper()} against horizon", "horizon [days]", label)
    fig.suptitle("Multi-step ETH close forecasts, rolling origins over the test period")
    save_figure(fig, path)
    return path


def _plot_fans(plt, fans, close, context, dates, n_train, h, path):
    fig, axes = plt.subplots(len(fans), 1, figsize=(10, 3.2 * len(fans)), sharex=True)
    axes = np.atleast_1d(axes)
    actual = close.iloc[n_train - 1: n_train + h]  # from the last training day on
    for ax, (strategy, fan) in zip(axes, fans.items()):
        fan = fan.loc[fan.index <= h]
        x = dates[n_train - 1 + fan.index.to_numpy()]
        ax.plot(context.index, context.to_numpy(), color="black", lw=1.0, alpha=0.6,
                label="actual (training)")
        ax.plot(actual.index, actual.to_numpy(), color="black", lw=1.4, label="actual")
        marker = "o" if len(fan) < h else None
        ax.fill_between(x, fan["lower"], fan["upper"], color=_COLORS[strategy], alpha=0.25,
                        lw=0, label="5-95% interval")
        ax.plot(x, fan["median"], color=_COLORS[strategy], lw=1.5, marker=marker, label="median")
        inside = (actual.reindex(x).to_numpy() >= fan["lower"].to_numpy()) & (
            actual.reindex(x).to_numpy() <= fan["upper"].to_numpy())
        title = (f"{strategy}: {h}-day forecast from {dates[n_train - 1]:%Y-%m-%d} "
                 f"({100 * np.mean(inside):.0f}% of actual prices inside)"
                 if hasattr(dates[n_train - 1], "strftime") else f"{strategy}: {h}-step forecast")
        label_axes(ax, title, ylabel="close [USD]", loc="upper left", fontsize=8)
    fig.autofmt_xdate()
    save_figure(fig, path)
    return path
