"""Tests of skrnn.plotting: files are written and the figures show the data."""

import sys

import numpy as np
import pandas as pd
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from skrnn import plotting  # noqa: E402
from skrnn.plotting import (  # noqa: E402
    plot_errors,
    plot_history,
    plot_horizon_errors,
    plot_interval,
    plot_predictions,
    plot_split,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def series():
    index = pd.date_range("2021-01-01", periods=60, freq="D", tz="UTC", name="date")
    return pd.Series(100 + np.cumsum(np.random.default_rng(0).normal(size=60)), index=index, name="close")


def _check_png(path, fig):
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    assert len(data) > 5_000
    assert not plt.fignum_exists(fig.number)  # closed after saving
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    w_in, h_in = fig.get_size_inches()
    assert (width, height) == (round(w_in * 110), round(h_in * 110))  # dpi 110


def test_plot_split(tmp_path, series):
    path = tmp_path / "split.png"
    fig = plot_split(series, "2021-02-15", path=path, title="ETH")
    _check_png(path, fig)
    ax = fig.axes[0]
    train, test = ax.get_lines()[:2]
    assert len(train.get_xdata()) == 45 and len(test.get_xdata()) == 15
    assert ax.get_title() == "ETH"
    assert plot_split(series.to_frame(), pd.Timestamp("2021-02-15", tz="UTC")).axes  # DataFrame + aware date
    with pytest.raises(ValueError, match="split_date '2020-01-01' must lie inside the series"):
        plot_split(series, "2020-01-01")


def test_plot_predictions(tmp_path, series):
    path = tmp_path / "sub" / "pred.png"
    preds = {"naive": series.shift(1), "lstm": series * 1.01}
    fig = plot_predictions(series, preds, path=path, ylabel="Price [USDT]")
    _check_png(path, fig)
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.get_lines()] == ["actual", "naive", "lstm"]
    np.testing.assert_allclose(ax.get_lines()[2].get_ydata(), series.to_numpy() * 1.01)
    assert ax.get_ylabel() == "Price [USDT]"
    assert len(plot_predictions(series, series).axes[0].get_lines()) == 2
    with pytest.raises(ValueError, match="predicted is empty"):
        plot_predictions(series, {})


def test_plot_history(tmp_path):
    class FakeKerasHistory:
        history = {"loss": [3.0, 2.0]}

    path = tmp_path / "history.png"
    histories = {"lstm": {"loss": [1.0, 0.6, 0.5], "val_loss": [1.2, 0.9, 0.8]}, "gru": FakeKerasHistory()}
    fig = plot_history(histories, path=path)
    _check_png(path, fig)
    lines = fig.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["lstm loss", "lstm val_loss", "gru loss"]
    assert lines[1].get_linestyle() == "--" and lines[0].get_color() == lines[1].get_color()
    np.testing.assert_array_equal(lines[1].get_xdata(), [1, 2, 3])
    with pytest.raises(ValueError, match=r"histories\['x'\] must be a dict with a 'loss' list"):
        plot_history({"x": {"val_loss": [1.0]}})


def test_plot_errors_marks_the_worst_days(tmp_path, series):
    predicted = series + np.random.default_rng(1).normal(scale=2.0, size=len(series))
    path = tmp_path / "errors.png"
    fig = plot_errors(series, predicted, top=3, path=path)
    _check_png(path, fig)
    worst = (predicted - series).abs().sort_values(ascending=False).index[:3]
    texts = [t.get_text().split("\n")[0] for t in fig.axes[0].texts]
    assert texts == worst.strftime("%Y-%m-%d").tolist()
    # only the overlap of the two series is used
    fig = plot_errors(series, predicted.iloc[10:], top=0)
    assert len(fig.axes[0].get_lines()[0].get_xdata()) == 50 and not fig.axes[0].texts
    with pytest.raises(ValueError, match="top must be an integer >= 0"):
        plot_errors(series, predicted, top=-1)
    with pytest.raises(ValueError, match="shares no index label"):
        plot_errors(series, predicted.reset_index(drop=True) + 0, top=1)


def test_plot_interval(tmp_path, series):
    lower, upper = series - 1.0, series + 1.0
    actual = series.copy()
    actual.iloc[:6] += 5.0  # 6 of 60 outside -> 90.0% covered
    path = tmp_path / "interval.png"
    fig = plot_interval(actual, series, lower, upper, coverage=0.9, path=path)
    _check_png(path, fig)
    ax = fig.axes[0]
    assert ax.get_title() == "Forecast interval (empirical coverage 90.0%)"
    assert "90% interval" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert plot_interval(None, series, lower, upper).axes[0].get_title() == "Forecast interval"
    with pytest.raises(ValueError, match="lower > upper at row 0"):
        plot_interval(actual, series, upper, lower)
    with pytest.raises(ValueError, match=r"coverage must be a number in \(0, 1\)"):
        plot_interval(actual, series, lower, upper, coverage=90)


def test_plot_horizon_errors(tmp_path):
    table = pd.DataFrame(
        {"recursive": [1.0, 2.0, 4.0, 8.0], "direct": [1.0, 1.8, 3.0, 4.0], "mimo": [1.1, 1.5, 2.0, 2.4]},
        index=pd.Index([1, 2, 3, 4], name="horizon"),
    )
    path = tmp_path / "horizon.png"
    fig = plot_horizon_errors(table, path=path, ylabel="RMSE")
    _check_png(path, fig)
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.get_lines()] == ["recursive", "direct", "mimo"]
    assert ax.get_ylabel() == "RMSE" and ax.get_xlabel() == "horizon"
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), [1.0, 2.0, 4.0, 8.0])
    with pytest.raises(ValueError, match="non-empty DataFrame"):
        plot_horizon_errors(pd.DataFrame())


def test_figure_is_returned_open_without_path(series):
    fig = plot_predictions(series, {"p": series})
    assert plt.fignum_exists(fig.number)


def test_missing_matplotlib_gives_install_hint(monkeypatch, series):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r'pip install "skrnn\[plot\]"'):
        plotting.plot_split(series, "2021-02-01")
