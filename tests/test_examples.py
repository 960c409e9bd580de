"""Every script in docs/examples runs at its quick size and writes its figure."""

import runpy
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib")

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"
#: the gallery's other examples are run by tests/test_gallery.py
GALLERY = {"plot_eth_one_step", "plot_multistep_intervals", "plot_backtest_evaluate",
           "plot_negative_series"}
SCRIPTS = sorted(p for p in EXAMPLES.glob("*.py")
                 if not p.name.startswith("_") and p.stem not in GALLERY)


def finite_numbers(value):
    """Every number inside nested dicts, lists and arrays of an example's result."""
    if isinstance(value, dict):
        return [x for v in value.values() for x in finite_numbers(v)]
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in finite_numbers(v)]
    if isinstance(value, np.ndarray) and value.dtype.kind in "fi":
        return list(value.ravel())
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        return [value]
    return []


def test_five_examples():
    assert [p.stem for p in SCRIPTS] == ["plot_rnn_variants", "plot_sine_lstm", "plot_stock_tuning",
                                         "plot_usdpln_lstm", "plot_usdpln_rnn_vs_lstm"]
    for path in SCRIPTS:
        doc = runpy.run_path(str(path), run_name="example")["__doc__"]
        # one sentence on what the lab did and what the skrnn version does differently
        assert "The original" in doc and "this version" in doc, path.name


@pytest.mark.slow
@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.stem)
def test_example_runs_quick(path, tmp_path, capsys, monkeypatch):
    from skrnn.plotting import load_pyplot

    monkeypatch.setattr(sys, "argv", [str(path)])
    main = runpy.run_path(str(path), run_name="example")["main"]
    result = main(quick=True, out_dir=tmp_path)
    load_pyplot().close("all")
    out = capsys.readouterr().out
    figure = Path(result["figure"])
    assert figure.parent == tmp_path and figure.stat().st_size > 5000
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    numbers = finite_numbers({k: v for k, v in result.items() if k != "figure"})
    assert numbers and np.isfinite(numbers).all()
    assert "naive" in out  # every error is printed next to the naive forecast
    if "mse" in result:
        assert any(name.startswith("naive") for name in result["mse"])
    if path.stem == "plot_usdpln_lstm":  # the lab's look-ahead scaling, measured
        assert "LSTM, scaler in the pipeline" in out and "LSTM, lab's fit-on-all scaler" in out
        assert len(result["forecast"]) == 30
        mse = result["mse"]
        assert result["look_ahead_gap"] == pytest.approx(
            mse["LSTM, lab's fit-on-all scaler"] / mse["LSTM, scaler in the pipeline"] - 1)

