"""The ``benchmark`` part: one-step forecasts of several series, every model next to simple ones.

One protocol for every series (``skrnn study benchmark``):

* **Split.** The one-step pairs ``(x[t], x[t+1])`` of a series of ``n``
  values are split chronologically as the study splits its rows:
  ``n_test = int(0.2 (n - 1))`` test targets at the end, the first ``n -
  n_test`` values are the training part. Every model is fitted **once** on
  the training part and never refitted.
* **Rolling origins.** Every test value is forecast one step ahead from the
  values before it (the training part plus the test values already seen).
* **Models.** *naive* (the last value); *ridge* on the same windows
  (zero-base windows for a strictly positive series, standardised windows
  otherwise); *AutoETS* (statsforecast, through sktime's adapter, optional);
  the reference LSTM (:func:`~skrnn.study.lab_regressor`: ``LSTM(256)``,
  dropout 0.2, zero-base windows, early stopping); an ``LSTM(64)`` and a
  ``GRU(64)`` on last-value windows, 20 epochs, no validation tail, the
  best configuration measured by ``benchmarks/bench_accuracy.py``. The
  networks run through :class:`~skrnn.forecasting.RNNForecaster` and
  :meth:`~skrnn.forecasting.RNNForecaster.predict_rolling`, which also gives
  their calibrated 90 % bands, adapted online from the hits and misses of
  the earlier origins.
* **Bands.** Coverage of the test values and median width, the width as a
  ratio to the random-walk band (the last value moved by the 5th/95th
  percentiles of the training part's one-step changes,
  :func:`~skrnn.study._baselines.random_walk_band`).

The series: the ETH and BTC daily close, the USD/PLN close (60-day windows)
and a noisy logistic map where a network should beat a linear model, or
any CSV column (``--csv FILE --target COLUMN``, read by
:func:`skrnn.cli._csv.read_forecast_csv`).
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd

from ._config import StudyError

#: The USD/PLN series starts here (about 1,350 business days to 2024-05-23).
USDPLN_START = "2019-01-01"
#: Window of the USD/PLN series (60 days, as in the USD/PLN example).
USDPLN_WINDOW = 60
#: Length of the synthetic series (quick mode: :data:`QUICK_LENGTH`).
SYNTHETIC_LENGTH = 1500
#: Values of each series in quick mode (the last ones of a real series).
QUICK_LENGTH = 500
#: Seed of the synthetic series (fixed: the data do not move with ``--seed``).
SYNTHETIC_SEED = 0
#: The measured best configuration: units and epochs.
BEST_UNITS, BEST_EPOCHS = 64, 20
#: Epochs of every network in quick mode (unless ``--epochs`` is given).
QUICK_EPOCHS = 2

NAIVE, RIDGE, ETS = "naive (last value)", "ridge", "AutoETS"

#: Columns of ``benchmark.csv`` (and the part's table), in order.
COLUMNS = ["part", "experiment", "model", "setup", "window_len", "n_train", "n_test", "n_seeds",
           "mse", "mse_min", "mse_max", "mae", "mape", "mse_to_naive", "mse_to_ridge",
           "coverage", "median_width", "width_to_rw", "train_time_s", "epochs"]


# --------------------------------------------------------------------------- #
# series
# --------------------------------------------------------------------------- #
@dataclass
class BenchmarkSeries:
    """One series of the benchmark.

    Attributes
    ----------
    name : str
    values : pandas.Series
        Oldest first; the index holds dates or row numbers.
    window_len : int
    source : str
        Where the values come from (one line for the report).
    """

    name: str
    values: pd.Series
    window_len: int
    source: str

    @property
    def positive(self) -> bool:
        """Whether every value is strictly positive (zero-base / relative scaling apply)."""
        return bool((self.values.to_numpy(dtype=float) > 0).all())


def logistic_map_series(n=SYNTHETIC_LENGTH, seed=SYNTHETIC_SEED, r=3.8, noise=0.02):
    """A noisy logistic map, centred on 0: ``x[t+1] = r x[t] (1 - x[t]) + e[t]``, minus 0.5.

    ``e`` is Gaussian with standard deviation ``noise`` (the state is kept in
    ``[0.001, 0.999]``). Tomorrow is a parabola of today, which no linear
    model of the past values can follow; a small recurrent network learns
    it. The values are centred on 0, so every model uses standardised
    windows (no zero-base or relative scaling).

    Examples
    --------
    >>> from skrnn.study._benchmark import logistic_map_series
    >>> y = logistic_map_series(200)
    >>> len(y), bool(y.between(-0.5, 0.5).all())
    (200, True)
    """
    rng = np.random.default_rng(seed)
    x = np.empty(int(n))
    x[0] = 0.3
    e = noise * rng.standard_normal(int(n))
    for t in range(1, int(n)):
        x[t] = min(max(r * x[t - 1] * (1.0 - x[t - 1]) + e[t], 1e-3), 1 - 1e-3)
    return pd.Series(x - 0.5, index=pd.RangeIndex(int(n), name="step"), name="value")


def _close(frame, what):
    y = frame["close"].astype(float)
    if len(y) == 0:
        raise StudyError(f"no {what} rows in the chosen dates.")
    return y


def benchmark_series(study) -> list[BenchmarkSeries]:
    """The series of a run: the user's CSV column, or the bundled series (fewer in quick mode)."""
    cfg = study.config
    if cfg.benchmark_csv is not None:
        return [_csv_series(cfg)]
    quick = cfg.quick
    n_syn = QUICK_LENGTH if quick else SYNTHETIC_LENGTH
    synthetic = BenchmarkSeries(
        "synthetic", logistic_map_series(n_syn), cfg.window_len,
        f"noisy logistic map (r = 3.8, noise sd 0.02, seed {SYNTHETIC_SEED}) minus 0.5, "
        f"{n_syn} steps")
    eth = _close(study.eth(), "ETH")
    if quick:
        eth = eth.iloc[-QUICK_LENGTH:]
        return [synthetic, BenchmarkSeries("ETH", eth, cfg.window_len,
                                           f"ETH close (load_eth), last {len(eth)} days")]
    from ..datasets import load_usdpln

    usd = _close(load_usdpln(start=study.start or USDPLN_START, end=study.end), "USD/PLN")
    return [
        BenchmarkSeries("ETH", eth, cfg.window_len, "ETH/USDT daily close (load_eth)"),
        BenchmarkSeries("BTC", _close(study.btc(), "BTC"), cfg.window_len,
                        "BTC/USDT daily close (load_btc)"),
        BenchmarkSeries("USD/PLN", usd, USDPLN_WINDOW,
                        "USD/PLN close, business days (load_usdpln)"),
        synthetic,
    ]


def _csv_series(cfg) -> BenchmarkSeries:
    """The ``--csv`` column, read with the command line's CSV rules."""
    from ..cli._csv import read_forecast_csv
    from ..cli._main import CLIError

    if cfg.benchmark_target is None:
        raise StudyError("benchmark_csv needs benchmark_target (the column to forecast).")
    try:
        data = read_forecast_csv(cfg.benchmark_csv, cfg.benchmark_target,
                                 window_len=cfg.window_len)
    except CLIError as exc:
        raise StudyError(str(exc)) from None
    y = data.frame[data.target].astype(float)
    return BenchmarkSeries(data.target, y, cfg.window_len,
                           f"column {data.target!r} of {data.path}")


# --------------------------------------------------------------------------- #
# split and metrics
# --------------------------------------------------------------------------- #
def split_sizes(n, test_size=0.2):
    """``(n_fit, n_test)``: training values are ``x[:n_fit + 1]``, test targets ``x[n_fit + 1:]``.

    The study's rule on the ``n - 1`` one-step pairs: the last
    ``int(test_size * (n - 1))`` pairs are the test part.

    Examples
    --------
    >>> from skrnn.study._benchmark import split_sizes
    >>> split_sizes(1363)
    (1090, 272)
    """
    n_test = int(test_size * (n - 1))
    return n - 1 - n_test, n_test


def _scores(y, pred, positive, lower=None, upper=None) -> dict:
    e = np.asarray(pred, dtype=float) - y
    out = {"mse": float(np.mean(e ** 2)), "mae": float(np.mean(np.abs(e))),
           "mape": float(100 * np.mean(np.abs(e) / np.abs(y))) if positive else np.nan,
           "coverage": np.nan, "median_width": np.nan}
    if lower is not None:
        out["coverage"] = float(np.mean((y >= lower) & (y <= upper)))
        out["median_width"] = float(np.median(np.asarray(upper) - np.asarray(lower)))
    return out


# --------------------------------------------------------------------------- #
# models
# --------------------------------------------------------------------------- #
@dataclass
class ModelResult:
    """The test forecasts of one model (one entry per seed for a network)."""

    name: str
    setup: str
    preds: list
    lowers: list = field(default_factory=list)
    uppers: list = field(default_factory=list)
    fit_times: list = field(default_factory=list)
    epochs: list = field(default_factory=list)
    seeds: int = 0

    def scores(self, y, positive) -> list[dict]:
        bands = zip(self.lowers, self.uppers) if self.lowers else [(None, None)] * len(self.preds)
        return [_scores(y, p, positive, lo, hi) for p, (lo, hi) in zip(self.preds, bands)]

    def hits(self, y):
        """Share of the seeds whose band covers each test value, or None."""
        if not self.lowers:
            return None
        return np.mean([(y >= lo) & (y <= hi) for lo, hi in zip(self.lowers, self.uppers)], axis=0)


def _ridge(v, n_fit, L, positive, alpha):
    """Ridge on the windows before every test value: zero-base or standardised windows."""
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline

    from ..preprocessing import FlattenWindows, windows_of
    from ._models import linear_baseline

    if positive:
        z, model, setup = v, linear_baseline(alpha), "zero-base windows"
        unscale = (lambda p: p)
    else:
        mean, sd = float(v[:n_fit + 1].mean()), float(v[:n_fit + 1].std()) or 1.0
        z = (v - mean) / sd
        model = make_pipeline(FlattenWindows(), Ridge(alpha=alpha))
        setup = "standardised windows"
        unscale = (lambda p: p * sd + mean)
    W = windows_of(z[:, None], L)  # window i ends at value i + L - 1
    ends = np.arange(L - 1, len(v))
    train = ends <= n_fit - 1  # targets up to x[n_fit]
    test = (ends >= n_fit) & (ends <= len(v) - 2)
    t0 = time.perf_counter()
    model.fit(W[train], z[ends[train] + 1])
    elapsed = time.perf_counter() - t0
    pred = unscale(np.asarray(model.predict(W[test]), dtype=float))
    return ModelResult(RIDGE, f"{setup}, alpha {alpha:g}", [pred], fit_times=[elapsed])


def _ets(v, n_fit, coverage):
    """AutoETS fitted once on the training part; one-step forecasts from every origin.

    Returns a :class:`ModelResult`, or a string saying why it did not run.
    The parameters chosen on the training part stay fixed; at each origin
    the fitted model is run over the values seen so far
    (statsforecast's ``forward``), which moves the level (and trend) to the
    origin and re-estimates the error variance from the residuals so far.
    """
    import importlib.util

    if importlib.util.find_spec("statsforecast") is None:
        return "not run: statsforecast is not installed (pip install statsforecast)"
    try:
        from sktime.forecasting.statsforecast import StatsForecastAutoETS
    except ImportError as exc:  # pragma: no cover - sktime without the adapter
        return f"not run: {exc}"
    level = round(100 * coverage, 6)
    level = int(level) if float(level).is_integer() else level
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        f = StatsForecastAutoETS(season_length=1)
        f.fit(pd.Series(v[:n_fit + 1], name="value"))
        elapsed = time.perf_counter() - t0
        model = getattr(f, "_fitted_forecaster", None)
        if model is None or not hasattr(model, "forward"):
            from statsforecast.models import AutoETS

            model = AutoETS(season_length=1).fit(v[:n_fit + 1])
        out = [model.forward(y=v[:t + 1], h=1, level=[level]) for t in range(n_fit, len(v) - 1)]
    pred = np.array([o["mean"][0] for o in out], dtype=float)
    lower = np.array([o[f"lo-{level}"][0] for o in out], dtype=float)
    upper = np.array([o[f"hi-{level}"][0] for o in out], dtype=float)
    method = model.model_.get("method", "ETS") if isinstance(model.model_, dict) else "ETS"
    return ModelResult(ETS, f"{method} chosen by AICc on the training part, its own band",
                       [pred], [lower], [upper], fit_times=[elapsed])


@dataclass
class _Network:
    name: str
    build: object  # callable: calibration_fraction -> estimator
    normalize: str
    setup: str


def _networks(cfg, positive, which=True) -> list[_Network]:
    """The reference LSTM, the measured best LSTM and the GRU with the same settings.

    ``which``: True for all, or some of ``"lab"``, ``"lstm"``, ``"gru"``.
    """
    from ..estimators import GRURegressor, LSTMRegressor
    from ._models import lab_regressor

    quick_epochs = QUICK_EPOCHS if cfg.quick and not cfg.epochs_given else None
    lab_epochs = quick_epochs or cfg.epochs
    best_epochs = quick_epochs or (cfg.epochs if cfg.epochs_given else BEST_EPOCHS)
    best_units = min(BEST_UNITS, cfg.units) if cfg.quick else BEST_UNITS
    scale = "last-value" if positive else "standardised"
    lab_scale = "zero-base" if positive else "standardised"
    stop = (f", early stopping {cfg.early_stopping}" if cfg.early_stopping and
            cfg.validation_fraction else "")

    def lab(cal):
        return lab_regressor("lstm", cfg, epochs=lab_epochs, normalize="auto",
                             calibration_fraction=cal)

    def best(cls):
        def make(cal):
            return cls(units=best_units, dropout=0.2, epochs=best_epochs,
                       batch_size=cfg.batch_size, learning_rate=cfg.learning_rate,
                       validation_fraction=0.0, early_stopping=None, normalize="auto",
                       calibration_fraction=cal)
        return make

    best_setup = f"{scale} windows, {best_epochs} epochs, no validation tail"
    nets = {
        "lab": _Network(f"LSTM({cfg.units}) reference", lab, "zero_base" if positive else "standard",
                        f"{lab_scale} windows, up to {lab_epochs} epochs{stop}"),
        "lstm": _Network(f"LSTM({best_units})", best(LSTMRegressor), "auto", best_setup),
        "gru": _Network(f"GRU({best_units})", best(GRURegressor), "auto", best_setup),
    }
    keys = list(nets) if which is True else list(which)
    unknown = [k for k in keys if k not in nets]
    if unknown:
        raise StudyError(f"unknown network(s) {unknown}; choose from {list(nets)}.")
    return [nets[k] for k in keys]


def _fit_network(net, y_fit, y_test, L, seed, cal, coverage, progress, label):
    """Fit ``net`` once and forecast every test value; (pred, lower, upper, seconds, epochs)."""
    from ..forecasting import RNNForecaster

    est = net.build(cal)
    if progress is not None:
        est.set_params(callbacks=[progress.callback(label)])
    f = RNNForecaster(est, window_len=L, normalize=net.normalize, random_state=seed)
    t0 = time.perf_counter()
    f.fit(y_fit)
    elapsed = time.perf_counter() - t0
    point, bands = f.predict_rolling(y_test, fh=1, coverage=coverage)
    # the last origin (the last test value) forecasts beyond the data: dropped
    pred = point.to_numpy(dtype=float)[:-1, 0]
    lower, upper = bands.to_numpy(dtype=float)[:-1, 0], bands.to_numpy(dtype=float)[:-1, 1]
    epochs = getattr(f.estimators_[0], "n_epochs_", np.nan)
    return pred, lower, upper, elapsed, epochs


# --------------------------------------------------------------------------- #
# one series
# --------------------------------------------------------------------------- #
@dataclass
class SeriesResult:
    """Everything measured on one series."""

    series: BenchmarkSeries
    n_fit: int
    n_test: int
    actual: np.ndarray
    dates: pd.Index
    models: list
    rw_lower: np.ndarray
    rw_upper: np.ndarray
    notes: list = field(default_factory=list)


def evaluate_series(series: BenchmarkSeries, cfg, progress=None, networks=True,
                    stored=None) -> SeriesResult:
    """Fit every model once on the training part of ``series`` and forecast each test value.

    Parameters
    ----------
    series : BenchmarkSeries
    cfg : StudyConfig
        Seeds (``seed``, ``n_seeds``), coverage, test size, ridge alpha and
        the networks' settings.
    progress : Progress, optional
    networks : bool or iterable of str, default=True
        Which networks to fit: all (True), none (False: naive, ridge and
        AutoETS only) or some of ``"lab"``, ``"lstm"``, ``"gru"``.
    stored : callable, optional
        The study's :meth:`~skrnn.study._context._Study.stored`: each network
        (one seed) is kept when it finishes and loaded instead of fitted
        when a resumed study finds it.

    Returns
    -------
    SeriesResult
    """
    from ..cli._csv import MIN_CALIBRATION, calibration_fraction
    from ._baselines import random_walk_band

    v = series.values.to_numpy(dtype=float)
    if not np.isfinite(v).all():
        raise StudyError(f"the {series.name} series has missing or infinite values.")
    n, L = len(v), int(series.window_len)
    n_fit, n_test = split_sizes(n, cfg.test_size)
    n_windows = n_fit + 1 - L
    if n_windows < 2 * MIN_CALIBRATION or n_test < 2:
        raise StudyError(
            f"the {series.name} series has {n} values: {max(n_windows, 0)} training windows of "
            f"{L} and {n_test} test values after the split; at least {2 * MIN_CALIBRATION} "
            "training windows and 2 test values are needed.")
    positive = series.positive
    actual = v[n_fit + 1:]
    dates = series.values.index[n_fit + 1:]
    say = progress.message if progress is not None else (lambda text: None)
    say(f"[benchmark: {series.name}] {n} values, {n_windows} training windows of {L}, "
        f"{n_test} test values")

    models = [ModelResult(NAIVE, "x[t+1] = x[t]", [v[n_fit:-1]], fit_times=[0.0])]
    models.append(_ridge(v, n_fit, L, positive, cfg.ridge_alpha))
    notes = []
    ets = _ets(v, n_fit, cfg.coverage)
    if isinstance(ets, str):
        models.append(ModelResult(ETS, ets, []))
        notes.append(f"AutoETS {ets}.")
    else:
        models.append(ets)
    if networks:
        cal = calibration_fraction(n_windows)
        y_fit = pd.Series(v[:n_fit + 1], index=pd.RangeIndex(n_fit + 1), name="value")
        y_test = pd.Series(actual, index=pd.RangeIndex(n_fit + 1, n), name="value")
        seeds = [cfg.seed + i for i in range(cfg.n_seeds)]
        for net in _networks(cfg, positive, networks):
            res = ModelResult(net.name, net.setup, [], seeds=len(seeds))
            for seed in seeds:
                label = f"benchmark: {series.name} {net.name} seed {seed}"
                fit = partial(_fit_network, net, y_fit, y_test, L, seed, cal, cfg.coverage,
                              progress, label)
                if stored is not None:  # loaded when an earlier session finished it
                    fit = partial(stored, f"{series.name}-{net.name}-seed{seed}",
                                  {"setup": net.setup, "normalize": net.normalize, "window_len": L,
                                   "seed": seed, "calibration": cal, "n_fit": n_fit}, fit, (v,),
                                  label=label)
                pred, lo, hi, secs, ep = fit()
                res.preds.append(pred)
                res.lowers.append(lo)
                res.uppers.append(hi)
                res.fit_times.append(secs)
                res.epochs.append(ep)
                s = _scores(actual, pred, positive, lo, hi)
                say(f"[{label}] fit {secs:.1f} s, {ep} epochs, MSE {s['mse']:.4g}, "
                    f"coverage {s['coverage']:.1%}")
            models.append(res)
        if cal != 0.1:
            notes.append(f"{series.name}: the networks hold out {cal:.0%} of the training windows "
                         f"to calibrate the bands (the default 10% would be fewer than "
                         f"{MIN_CALIBRATION}).")
    rw_lower, rw_upper = random_walk_band(v[:n_fit + 1], v[n_fit:-1], cfg.coverage, 1)
    return SeriesResult(series, n_fit, n_test, actual, dates, models,
                        np.asarray(rw_lower), np.asarray(rw_upper), notes)


def series_rows(res: SeriesResult) -> list[dict]:
    """The table rows of one series (naive, ridge, AutoETS, networks)."""
    s = res.series
    y = res.actual
    rw = _scores(y, res.models[0].preds[0], s.positive, res.rw_lower, res.rw_upper)
    rows = []
    for m in res.models:
        row = {"part": "benchmark", "experiment": s.name, "model": m.name, "setup": m.setup,
               "window_len": s.window_len, "n_train": res.n_fit + 1 - s.window_len,
               "n_test": res.n_test, "n_seeds": m.seeds or np.nan}
        if not m.preds:  # not run
            rows.append(row)
            continue
        scores = m.scores(y, s.positive)
        if m.name == NAIVE:  # the naive forecast's band is the random walk's
            scores = [dict(scores[0], coverage=rw["coverage"], median_width=rw["median_width"])]
        mses = [sc["mse"] for sc in scores]
        row.update({k: float(np.mean([sc[k] for sc in scores]))
                    for k in ("mse", "mae", "mape", "coverage", "median_width")})
        if m.seeds:
            row.update(mse_min=float(np.min(mses)), mse_max=float(np.max(mses)),
                       epochs=float(np.mean(m.epochs)))
        row["train_time_s"] = float(np.mean(m.fit_times))
        rows.append(row)
    naive_mse = rows[0]["mse"]
    ridge_mse = next(r["mse"] for r in rows if r["model"] == RIDGE)
    for row in rows:
        if "mse" in row:
            row["mse_to_naive"] = row["mse"] / naive_mse if naive_mse > 0 else np.nan
            row["mse_to_ridge"] = row["mse"] / ridge_mse if ridge_mse > 0 else np.nan
            if np.isfinite(row.get("median_width", np.nan)) and rw["median_width"] > 0:
                row["width_to_rw"] = row["median_width"] / rw["median_width"]
    return rows


def series_info(res: SeriesResult) -> dict:
    """Span, window and split of one series (the report's list of series)."""
    s = res.series

    def fmt(x):
        return x.strftime("%Y-%m-%d") if hasattr(x, "strftime") else str(x)

    idx = s.values.index
    return {"series": s.name, "source": s.source, "values": len(s.values),
            "from": fmt(idx[0]), "to": fmt(idx[-1]), "window_len": s.window_len,
            "train_windows": res.n_fit + 1 - s.window_len, "n_test": res.n_test,
            "test_from": fmt(res.dates[0]), "test_to": fmt(res.dates[-1]),
            "positive": s.positive}


# --------------------------------------------------------------------------- #
# the part
# --------------------------------------------------------------------------- #
def benchmark_part(study) -> pd.DataFrame:
    """Run the benchmark on every series of :func:`benchmark_series`; the part's table.

    Writes ``benchmark.csv`` and one coverage figure per series into the
    study's folder and keeps the table, the list of series and notes.
    """
    cfg = study.config
    rows, infos = [], []
    for series in benchmark_series(study):
        res = evaluate_series(series, cfg, study.progress, stored=study.stored)
        rows += series_rows(res)
        infos.append(series_info(res))
        for text in res.notes:
            study.note("benchmark", text)
        plot_coverage(res, cfg.coverage,
                      study.figure("benchmark", f"benchmark_coverage_{_slug(series.name)}.png"))
        table = pd.DataFrame(rows).reindex(columns=COLUMNS)
        # written after every series, so a long run that stops keeps what it finished
        table.drop(columns="part").rename(columns={"experiment": "series"}).to_csv(
            study.out / "benchmark.csv", index=False)
    study.keep("benchmark", table)
    study.extra["benchmark_series"] = pd.DataFrame(infos)
    if cfg.n_seeds > 1:
        seeds = ", ".join(str(cfg.seed + i) for i in range(cfg.n_seeds))
        study.note("benchmark", f"Each network was trained {cfg.n_seeds} times (random_state "
                                f"{seeds}); its row gives the mean over the seeds and the MSE's "
                                "range over them (min–max).")
    return table


def _slug(name):
    return "".join(c if c.isalnum() else "_" for c in str(name).lower()).strip("_") or "series"


def plot_coverage(res: SeriesResult, coverage, path):
    """Rolling empirical coverage of the 90 % bands over the test period."""
    from ..plotting import label_axes, load_pyplot, save_figure, x_values

    plt = load_pyplot()
    y = res.actual
    w = int(min(60, max(10, res.n_test // 5)))
    fig, ax = plt.subplots(figsize=(11, 4.5))
    x = x_values(res.dates) if isinstance(res.dates, pd.DatetimeIndex) else np.asarray(res.dates)
    curves = [(m.name, m.hits(y)) for m in res.models if m.preds and m.hits(y) is not None]
    curves.append(("random walk", (y >= res.rw_lower) & (y <= res.rw_upper)))
    styles = {"random walk": {"color": "black", "ls": "--"}, ETS: {"color": "tab:gray"}}
    for name, hits in curves:
        rolling = pd.Series(np.asarray(hits, dtype=float)).rolling(w, min_periods=w).mean()
        ax.plot(x, rolling.to_numpy(), lw=1.3, label=f"{name} ({np.mean(hits):.1%})",
                **styles.get(name, {}))
    ax.axhline(coverage, color="tab:red", lw=0.9, ls=":", label=f"nominal {coverage:.0%}")
    ax.set_ylim(max(0.0, ax.get_ylim()[0]), 1.02)
    label_axes(ax, f"{res.series.name}: coverage of the {coverage:.0%} one-step bands, "
                    f"rolling over {w} test points (overall in brackets)",
                ylabel="share of values inside", loc="lower left", fontsize=8)
    save_figure(fig, path)
    return path


# --------------------------------------------------------------------------- #
# the report section
# --------------------------------------------------------------------------- #
def benchmark_markdown(result) -> list[str]:
    """The report's benchmark section: how to read it, the series, the table, the losses."""
    from ._tables import markdown_table

    table = result.tables.get("benchmark")
    if table is None or not len(table):
        return []
    cfg = result.config
    pct = f"{cfg.coverage:.0%}"
    how = (
        "How to read it: every model is fitted once on the first 80 % of a series and forecasts "
        "each test value one step ahead from the values before it (no refit). *MSE/naive* and "
        "*MSE/ridge* are ratios of test MSEs: below 1 beats the last value (or a ridge "
        "regression on the same windows), above 1 loses to it. *coverage* is the share of test "
        f"values inside the model's {pct} band (the networks' bands are calibrated and adapted "
        "online; AutoETS gives its own; the naive row shows the random-walk band: the last value "
        "moved by the 5th/95th percentiles of the training part's one-step changes). *width/RW* "
        "is the band's median width over the random walk's: a band is only worth its width if "
        f"it covers about {pct} and is narrower than 1. *fit s* is the seconds of one fit. MSE "
        "is in the series' units squared, so compare ratios across series, not MSEs. The same "
        "table, with every column, is in `benchmark.csv`.")
    lines = [how, ""]
    info = result.extra_tables.get("benchmark_series")
    if info is not None and len(info):
        lines += [markdown_table(info, {}, {
            "series": "series", "source": "source", "from": "from", "to": "to",
            "values": "values", "window_len": "window", "train_windows": "training windows",
            "n_test": "test values", "test_from": "test from", "test_to": "test to"}), ""]
    show = table.copy()
    show["mse_range"] = [
        f"{lo:.4g}–{hi:.4g}" if np.isfinite(lo) and r > 1 else ""
        for lo, hi, r in zip(show["mse_min"].astype(float), show["mse_max"].astype(float),
                             show["n_seeds"].fillna(0).astype(float))]
    fmt = {"mse": "{:.4g}", "mae": "{:.4g}", "mape": "{:.2f}", "mse_to_naive": "{:.3f}",
           "mse_to_ridge": "{:.3f}", "coverage": "{:.1%}", "width_to_rw": "{:.2f}",
           "train_time_s": "{:.1f}"}
    cols = {"experiment": "series", "model": "model", "setup": "setup", "mse": "MSE",
            "mse_range": "MSE min–max", "mse_to_naive": "MSE/naive", "mse_to_ridge": "MSE/ridge",
            "mae": "MAE", "mape": "MAPE %", "coverage": "coverage", "width_to_rw": "width/RW",
            "train_time_s": "fit s"}
    if not (show["n_seeds"].fillna(0) > 1).any():
        cols.pop("mse_range")
    lines += [markdown_table(show, fmt, cols), ""]
    lines += [losses_text(table, cfg.coverage), ""]
    return lines


def losses_text(table, coverage=0.9) -> str:
    """One paragraph: where the networks lose to naive, to ridge, and where their bands lose.

    A band under-covers when its coverage is more than two binomial standard
    errors below ``coverage``; it is wider when its median width rounds above
    the random walk's.
    """
    nets = table[~table["model"].isin([NAIVE, RIDGE, ETS])]
    ridges = table[table["model"] == RIDGE].set_index("experiment")
    parts = []
    for series, group in nets.groupby("experiment", sort=False):
        group = group.dropna(subset=["mse"])
        if group.empty:
            continue
        n_test = float(group["n_test"].iloc[0])
        slack = 2 * np.sqrt(coverage * (1 - coverage) / max(n_test, 1))
        worse_naive = group[group["mse_to_naive"] > 1]
        worse_ridge = group[group["mse_to_ridge"] > 1]
        low = group[group["coverage"] < coverage - slack]
        wide = group[group["width_to_rw"].round(2) > 1]
        said = []

        def names(g, key):
            return ", ".join(f"{m} (x{r:.2f})" for m, r in zip(g["model"], g[key]))

        for worse, key, whom in ((worse_naive, "mse_to_naive", "the naive last value"),
                                 (worse_ridge, "mse_to_ridge", "ridge")):
            if len(worse) == len(group) and len(group) > 1:
                said.append(f"every network loses to {whom} (MSE x{worse[key].min():.2f}-"
                            f"{worse[key].max():.2f})")
            elif len(worse):
                verb = "loses" if len(worse) == 1 else "lose"
                said.append(f"{names(worse, key)} {verb} to {whom}")
        if len(low):
            said.append("the bands of " + ", ".join(
                f"{m} cover only {c:.1%}" for m, c in zip(low["model"], low["coverage"])))
        if len(wide):
            said.append("the bands of " + ", ".join(
                f"{m} are {w:.2f}x" for m, w in zip(wide["model"], wide["width_to_rw"]))
                + " the random walk's width")
        if said:
            text = f"**{series}**: " + "; ".join(said) + "."
        else:
            best = group.sort_values("mse").iloc[0]
            text = (f"**{series}**: no network loses; the best, {best['model']}, has "
                    f"{best['mse_to_naive']:.3g} times naive's MSE and "
                    f"{best['mse_to_ridge']:.3g} times ridge's.")
        if series in ridges.index and ridges.loc[series, "mse_to_naive"] > 1.5:
            text += (f" Ridge itself has {ridges.loc[series, 'mse_to_naive']:.2f} times naive's "
                     "MSE here, so beating it says little.")
        parts.append(text)
    if not parts:
        return ""
    return "**Where the networks lose.** " + " ".join(parts)
