"""The gallery's forecasting examples run at their quick size and show their plots."""

import re
import runpy
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib")

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"
GALLERY = ["plot_eth_one_step", "plot_multistep_intervals", "plot_backtest_evaluate",
           "plot_negative_series"]


def numbers_in(value):
    """Every number inside nested dicts, lists and arrays of an example's result."""
    if isinstance(value, dict):
        return [x for v in value.values() for x in numbers_in(v)]
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in numbers_in(v)]
    if isinstance(value, np.ndarray) and value.dtype.kind in "fi":
        return list(value.ravel())
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        return [value]
    return []


def test_examples_leave_their_figure_open():
    # sphinx-gallery shows the figures still open when a script ends: a script
    # that closes its figure would have no image on its gallery page
    scripts = sorted(EXAMPLES.glob("*.py"))
    assert {p.stem for p in scripts} >= set(GALLERY)
    for path in scripts:
        source = path.read_text()
        assert not re.search(r"\b(plt|pyplot|fig)\.close\(", source), path.name
        assert "savefig(" in source and "__main__" in source, path.name


@pytest.mark.slow
@pytest.mark.parametrize("name", GALLERY)
def test_gallery_example_runs_quick(name, tmp_path, capsys, monkeypatch):
    if name in ("plot_multistep_intervals", "plot_backtest_evaluate"):
        pytest.importorskip("sktime")
    from skrnn.plotting import load_pyplot

    monkeypatch.setattr(sys, "argv", [str(EXAMPLES / f"{name}.py")])
    main = runpy.run_path(str(EXAMPLES / f"{name}.py"), run_name="example")["main"]
    try:
        result = main(quick=True, out_dir=tmp_path)
    finally:
        load_pyplot().close("all")
    out = capsys.readouterr().out
    figure = Path(result["figure"])
    assert figure.parent == tmp_path and figure.stat().st_size > 5000
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    numbers = numbers_in({k: v for k, v in result.items() if k != "figure"})
    assert numbers and np.isfinite(numbers).all()
    # every error stands next to the naive forecast's, every coverage next to a width
    errors = result.get("mse") or result.get("mae")
    assert "naive (last value)" in errors and "naive" in out
    if "coverage" in result:
        assert result["coverage"].keys() == result["width"].keys()
        assert all(0 <= c <= 1 for c in result["coverage"].values())
        assert all(w > 0 for w in result["width"].values())
        assert "width" in out
    if name == "plot_eth_one_step":
        assert set(result["coverage"]) == {"LSTM, calibrated", "random walk"}
    if name == "plot_multistep_intervals":
        assert list(result["coverage"]) == list(range(1, 8)) and len(result["forecast"]) == 7
        assert list(errors["LSTM"]) == list(range(1, 8))
    if name == "plot_backtest_evaluate":
        assert len(errors["LSTM (mimo)"]) == len(errors["naive (last value)"]) == 3
    if name == "plot_negative_series":
        assert result["chosen_scaling"] == "StandardWindowScaler"
        assert len(errors) == 4
