"""Figures for forecasting studies: data split, predictions, errors, intervals.

matplotlib is an optional dependency (``pip install "skrnn[plot]"``) and is
imported inside the functions only. Without a display (a server, CI) the
non-interactive Agg backend is selected. Every function returns the
:class:`matplotlib.figure.Figure`; with ``path`` it also saves it (PNG unless
the file name says otherwise, 110 dpi) and closes it, so loops that write
many figures do not accumulate open windows.
"""

from __future__ import annotations

import inspect
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "plot_errors",
    "plot_history",
    "plot_horizon_errors",
    "plot_interval",
    "plot_predictions",
    "plot_split",
]

_DPI = 110

#: The parameters every figure function has: name -> (type, description);
#: ``{default}`` is the function's own default.
_SHARED_PARAMETERS = {
    "path": ("str or path-like, optional", "Save the figure there (PNG, 110 dpi) and close it."),
    "title": ('str, default ``"{default}"``', "Figure title."),
    "ylabel": ('str, default ``"{default}"``', "Label of the y axis."),
}


def _figure_doc(func):
    """Write the shared parameters and the return value into ``func``'s docstring.

    A line ``<path, title>`` in the Parameters section becomes those entries
    of :data:`_SHARED_PARAMETERS`, with the defaults of ``func``'s signature;
    a line ``<returns>`` becomes the Returns section (the figure), and lines
    indented below it describe the figure.
    """
    defaults = {name: p.default for name, p in inspect.signature(func).parameters.items()}
    lines = []
    for line in func.__doc__.splitlines():
        text = line.strip()
        indent = line[: len(line) - len(text)]
        if text == "<returns>":
            lines += [f"{indent}Returns", f"{indent}-------", f"{indent}fig : matplotlib.figure.Figure"]
        elif text.startswith("<") and text.endswith(">"):
            for name in text[1:-1].split(", "):
                kind, description = _SHARED_PARAMETERS[name]
                lines += [f"{indent}{name} : {kind.format(default=defaults[name])}",
                          f"{indent}    {description}"]
        else:
            lines.append(line)
    func.__doc__ = "\n".join(lines)
    return func


def load_pyplot():
    """Import pyplot lazily, choosing Agg when there is no display."""
    try:
        import matplotlib
    except ImportError as exc:
        raise ImportError(
            "skrnn.plotting needs matplotlib, an optional dependency: "
            'pip install "skrnn[plot]"'
        ) from exc
    if "matplotlib.pyplot" not in sys.modules:
        headless = sys.platform.startswith("linux") and not (
            os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
        )
        if headless and "MPLBACKEND" not in os.environ:
            matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def label_axes(ax, title, /, xlabel=None, ylabel=None, **legend):
    """The common dress of an axes: title, axis labels, a light grid and the legend.

    ``legend`` goes to ``ax.legend`` (default ``loc="best"``; its ``title`` is
    the legend's own).
    """
    ax.set_title(title)
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(**{"loc": "best", **legend})


def save_figure(fig, path):
    """Lay the figure out; with ``path``, save it (110 dpi) and close it."""
    fig.tight_layout()
    if path is not None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=_DPI, format=path.suffix[1:] or "png")
        load_pyplot().close(fig)
    return fig


def x_values(index):
    """An index matplotlib can plot: tz-aware dates become wall-clock dates."""
    if isinstance(index, pd.DatetimeIndex) and index.tz is not None:
        return index.tz_localize(None)
    return index


def _series(obj, name: str) -> pd.Series:
    if isinstance(obj, pd.DataFrame):
        if "close" in obj.columns:
            return obj["close"]
        if obj.shape[1] == 1:
            return obj.iloc[:, 0]
        raise ValueError(
            f"{name} must be a Series (or a DataFrame with one column or a 'close' "
            f"column), got a DataFrame with columns {list(obj.columns)}."
        )
    if isinstance(obj, pd.Series):
        return obj
    array = np.asarray(obj, dtype=float)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}.")
    return pd.Series(array)


def _align(actual: pd.Series, predicted: pd.Series, name: str):
    common = actual.index.intersection(predicted.index)
    if len(common) == 0:
        raise ValueError(
            f"{name} shares no index label with actual; both must be indexed by "
            "the same dates (actual covers "
            f"{actual.index[0] if len(actual) else None} .. "
            f"{actual.index[-1] if len(actual) else None})."
        )
    return actual.loc[common], predicted.loc[common]


def _date_axis(fig, index):
    if isinstance(index, pd.DatetimeIndex):
        fig.autofmt_xdate()


@_figure_doc
def plot_split(series, split_date, path=None, title="Train / test split"):
    """Plot a price series with the train / test split marked.

    Parameters
    ----------
    series : pandas.Series or pandas.DataFrame
        The series (a DataFrame's ``close`` column is used), indexed by date.
    split_date : str or datetime-like
        First day of the test part; a naive date is read in the index's time
        zone.
    <path, title>

    <returns>

    Raises
    ------
    ValueError
        If ``split_date`` is not strictly inside the series' date range.

    Examples
    --------
    >>> import pandas as pd
    >>> from skrnn.plotting import plot_split
    >>> s = pd.Series(range(10), index=pd.date_range("2020-01-01", periods=10, tz="UTC"))
    >>> fig = plot_split(s, "2020-01-08")
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['train (7)', 'test (3)', 'split 2020-01-08']
    """
    plt = load_pyplot()
    series = _series(series, "series")
    split = pd.Timestamp(split_date)
    index = series.index
    if isinstance(index, pd.DatetimeIndex) and index.tz is not None:
        split = split.tz_localize(index.tz) if split.tzinfo is None else split.tz_convert(index.tz)
    if not (len(index) and index[0] < split <= index[-1]):
        raise ValueError(
            f"split_date {split_date!r} must lie inside the series, after its first "
            f"date {index[0] if len(index) else None} and at or before its last "
            f"date {index[-1] if len(index) else None}."
        )
    train = series.loc[index < split]
    test = series.loc[index >= split]
    fig, ax = plt.subplots(figsize=(11, 4.5))
    ax.plot(x_values(train.index), train.to_numpy(), color="tab:blue", lw=1.2, label=f"train ({len(train)})")
    ax.plot(x_values(test.index), test.to_numpy(), color="tab:orange", lw=1.2, label=f"test ({len(test)})")
    xsplit = split.tz_localize(None) if split.tzinfo is not None else split
    ax.axvline(xsplit, color="black", ls="--", lw=1, label=f"split {split.date()}")
    label_axes(ax, title, index.name or "date", series.name if series.name is not None else "value")
    _date_axis(fig, index)
    return save_figure(fig, path)


@_figure_doc
def plot_predictions(actual, predicted, path=None, title="Actual vs predicted", ylabel="Price [USD]"):
    """Plot the actual series and one or more predictions.

    Parameters
    ----------
    actual : pandas.Series
        Observed values, indexed by date.
    predicted : dict of str to pandas.Series, or pandas.Series
        Predictions by label (e.g. model name), indexed like ``actual``. A
        single Series is labelled ``"predicted"``.
    <path, title, ylabel>

    <returns>

    Raises
    ------
    ValueError
        If ``predicted`` is empty.

    Examples
    --------
    >>> import pandas as pd
    >>> from skrnn.plotting import plot_predictions
    >>> y = pd.Series([1.0, 2.0, 3.0])
    >>> fig = plot_predictions(y, {"naive": y.shift(1), "lstm": y * 1.1})
    >>> len(fig.axes[0].get_lines())
    3
    """
    plt = load_pyplot()
    actual = _series(actual, "actual")
    if isinstance(predicted, (pd.Series, pd.DataFrame)):
        predicted = {"predicted": predicted}
    if not predicted:
        raise ValueError("predicted is empty; pass {label: series}.")
    fig, ax = plt.subplots(figsize=(11, 4.5))
    ax.plot(x_values(actual.index), actual.to_numpy(), color="black", lw=1.5, label="actual")
    for label, pred in predicted.items():
        pred = _series(pred, f"predicted[{label!r}]")
        ax.plot(x_values(pred.index), pred.to_numpy(), lw=1.1, label=str(label))
    label_axes(ax, title, ylabel=ylabel)
    _date_axis(fig, actual.index)
    return save_figure(fig, path)


@_figure_doc
def plot_history(histories, path=None, title="Training history", logy=False):
    """Plot training (and validation) loss per epoch for one or more models.

    Parameters
    ----------
    histories : dict of str to dict
        ``{label: {"loss": [...], "val_loss": [...]}}``; ``val_loss`` is
        optional. A Keras ``History`` (anything with a ``.history`` dict) is
        accepted as a value too.
    <path, title>
    logy : bool, default=False
        Logarithmic loss axis.

    <returns>
        Training loss as solid lines, validation loss dashed in the same
        colour.

    Raises
    ------
    ValueError
        If ``histories`` is empty or an entry has no ``loss``.

    Examples
    --------
    >>> from skrnn.plotting import plot_history
    >>> fig = plot_history({"lstm": {"loss": [1.0, 0.5, 0.4], "val_loss": [1.1, 0.7, 0.6]}})
    >>> [line.get_label() for line in fig.axes[0].get_lines()]
    ['lstm loss', 'lstm val_loss']
    """
    plt = load_pyplot()
    if not histories:
        raise ValueError("histories is empty; pass {label: {'loss': [...]}}.")
    fig, ax = plt.subplots(figsize=(8, 4.5))
    colors = plt.rcParams["axes.prop_cycle"].by_key().get("color", ["C0"])
    for i, (label, hist) in enumerate(histories.items()):
        hist = getattr(hist, "history", hist)
        if not isinstance(hist, dict) or "loss" not in hist:
            raise ValueError(
                f"histories[{label!r}] must be a dict with a 'loss' list (and "
                f"optionally 'val_loss'), got {type(hist).__name__}"
                + (f" with keys {list(hist)}" if isinstance(hist, dict) else "") + "."
            )
        color = colors[i % len(colors)]
        loss = np.asarray(hist["loss"], dtype=float)
        ax.plot(np.arange(1, len(loss) + 1), loss, color=color, lw=1.5, label=f"{label} loss")
        if hist.get("val_loss") is not None and len(hist["val_loss"]):
            val = np.asarray(hist["val_loss"], dtype=float)
            ax.plot(np.arange(1, len(val) + 1), val, color=color, lw=1.5, ls="--",
                    label=f"{label} val_loss")
    if logy:
        ax.set_yscale("log")
    label_axes(ax, title, "epoch", "loss")
    return save_figure(fig, path)


@_figure_doc
def plot_errors(actual, predicted, top=5, path=None, title="Absolute error over time", ylabel="|error|"):
    """Plot the absolute error over time and mark the ``top`` worst days.

    Parameters
    ----------
    actual, predicted : pandas.Series
        Observed and predicted values; only index labels present in both are
        used.
    top : int, default=5
        Number of largest errors to mark and annotate with their date and
        size (0 for none).
    <path, title, ylabel>

    <returns>
        Each annotation's text starts with the date (``YYYY-MM-DD``) or the
        index label of a marked point.

    Raises
    ------
    ValueError
        If the two series share no index label or ``top`` is negative.

    Examples
    --------
    >>> import pandas as pd
    >>> from skrnn.plotting import plot_errors
    >>> idx = pd.date_range("2021-01-01", periods=4)
    >>> fig = plot_errors(pd.Series([1.0, 2, 3, 4], idx), pd.Series([1.0, 5, 3, 3], idx), top=1)
    >>> [t.get_text() for t in fig.axes[0].texts]
    ['2021-01-02\\n3']
    """
    plt = load_pyplot()
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 0:
        raise ValueError(f"top must be an integer >= 0, got {top!r}.")
    actual, predicted = _align(_series(actual, "actual"), _series(predicted, "predicted"), "predicted")
    error = (predicted - actual).abs()
    fig, ax = plt.subplots(figsize=(11, 4.5))
    x = x_values(error.index)
    ax.plot(x, error.to_numpy(), color="tab:red", lw=1.0, label="absolute error")
    worst = error.dropna().nlargest(top)
    if len(worst):
        pos = error.index.get_indexer(worst.index)
        ax.scatter(x[pos], worst.to_numpy(), color="black", zorder=3, s=25,
                   label=f"{len(worst)} largest")
        for xi, (label, value) in zip(x[pos], worst.items()):
            name = label.strftime("%Y-%m-%d") if isinstance(label, pd.Timestamp) else str(label)
            ax.annotate(f"{name}\n{value:.4g}", (xi, value), textcoords="offset points",
                        xytext=(0, 6), ha="center", fontsize=8)
    label_axes(ax, title, ylabel=ylabel)
    _date_axis(fig, error.index)
    return save_figure(fig, path)


@_figure_doc
def plot_interval(actual, median, lower, upper, coverage=None, path=None,
                  title="Forecast interval", ylabel="Price [USD]"):
    """Plot a prediction interval as a band around the median forecast.

    Parameters
    ----------
    actual : pandas.Series or None
        Observed values (``None`` for a pure forecast).
    median, lower, upper : pandas.Series
        Median (or point) forecast and the interval bounds, same index.
    coverage : float, optional
        Nominal coverage of the interval (e.g. 0.9), shown in the legend.
    <path>
    title : str, default="Forecast interval"
        Figure title; when ``actual`` is given, the empirical coverage (the
        share of actual values inside the band) is appended.
    <ylabel>

    <returns>

    Raises
    ------
    ValueError
        If ``coverage`` is not in (0, 1), the three forecast series have
        different lengths, or ``lower > upper`` somewhere.

    Examples
    --------
    >>> import pandas as pd
    >>> from skrnn.plotting import plot_interval
    >>> y = pd.Series([1.0, 2.0, 3.0, 4.0])
    >>> fig = plot_interval(y, y, y - 0.5, y + 0.5, coverage=0.9)
    >>> fig.axes[0].get_title()
    'Forecast interval (empirical coverage 100.0%)'
    """
    plt = load_pyplot()
    median = _series(median, "median")
    lower = _series(lower, "lower")
    upper = _series(upper, "upper")
    if not (len(median) == len(lower) == len(upper)):
        raise ValueError(
            f"median, lower and upper must have the same length, got "
            f"{len(median)}, {len(lower)}, {len(upper)}."
        )
    lo, hi = lower.to_numpy(dtype=float), upper.to_numpy(dtype=float)
    if np.any(lo > hi):
        pos = int(np.flatnonzero(lo > hi)[0])
        raise ValueError(
            f"lower > upper at row {pos} (index {lower.index[pos]!r}): "
            f"{lo[pos]} > {hi[pos]}."
        )
    if coverage is not None and not (isinstance(coverage, (float, int, np.floating)) and 0 < coverage < 1):
        raise ValueError(f"coverage must be a number in (0, 1), got {coverage!r}.")
    fig, ax = plt.subplots(figsize=(11, 4.5))
    x = x_values(median.index)
    band = "interval" if coverage is None else f"{100 * coverage:g}% interval"
    ax.fill_between(x, lo, hi, color="tab:blue", alpha=0.25, lw=0, label=band)
    ax.plot(x, median.to_numpy(), color="tab:blue", lw=1.3, label="median")
    if actual is not None:
        actual = _series(actual, "actual")
        ax.plot(x_values(actual.index), actual.to_numpy(), color="black", lw=1.2, label="actual")
        common = actual.index.intersection(median.index)
        if len(common):
            a = actual.loc[common].to_numpy(dtype=float)
            inside = (a >= lower.loc[common].to_numpy(dtype=float)) & (
                a <= upper.loc[common].to_numpy(dtype=float)
            )
            title = f"{title} (empirical coverage {100 * inside.mean():.1f}%)"
    label_axes(ax, title, ylabel=ylabel)
    _date_axis(fig, median.index)
    return save_figure(fig, path)


@_figure_doc
def plot_horizon_errors(table, path=None, ylabel="MSE", title="Error by forecast horizon"):
    """Plot an error metric against the forecast horizon, one line per strategy.

    Parameters
    ----------
    table : pandas.DataFrame
        Index: horizon (steps ahead); columns: strategies (e.g. recursive,
        direct, MIMO); values: the error.
    <path>
    ylabel : str, default="MSE"
        Name of the metric.
    <title>

    <returns>

    Raises
    ------
    ValueError
        If ``table`` is not a non-empty DataFrame.

    Examples
    --------
    >>> import pandas as pd
    >>> from skrnn.plotting import plot_horizon_errors
    >>> table = pd.DataFrame({"recursive": [1.0, 2.0, 4.0], "mimo": [1.0, 1.5, 2.0]},
    ...                      index=pd.Index([1, 2, 3], name="horizon"))
    >>> len(plot_horizon_errors(table).axes[0].get_lines())
    2
    """
    plt = load_pyplot()
    if not isinstance(table, pd.DataFrame) or table.empty:
        raise ValueError(
            "table must be a non-empty DataFrame (index: horizon, columns: "
            f"strategy), got {type(table).__name__}."
        )
    fig, ax = plt.subplots(figsize=(8, 4.5))
    x = table.index.to_numpy()
    for column in table.columns:
        ax.plot(x, table[column].to_numpy(dtype=float), marker="o", lw=1.5, label=str(column))
    if np.issubdtype(np.asarray(x).dtype, np.integer) and len(x) <= 30:
        ax.set_xticks(x)
    label_axes(ax, title, table.index.name or "horizon", ylabel, title=table.columns.name)
    return save_figure(fig, path)
