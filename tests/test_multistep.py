"""The multi-step study: recursive, direct, MIMO and naive forecasts."""

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("sktime")
pytest.importorskip("matplotlib")

from skrnn.study import multistep_study  # noqa: E402
from skrnn.study._multistep import HORIZON  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def frame():
    """The last 300 days of the bundled ETH close."""
    from importlib.resources import files

    path = files("skrnn.datasets") / "data" / "eth_binance_1d.csv"
    eth = pd.read_csv(path, index_col="timestamp", parse_dates=True)
    return eth[["close"]].iloc[-300:]


@pytest.fixture(scope="module")
def study(frame, tmp_path_factory):
    out = tmp_path_factory.mktemp("multistep")
    lines = []
    result = multistep_study(frame, out, quick=True, seed=0, progress=lines.append)
    return result, out, lines


def test_table_has_every_horizon_and_strategy(study):
    result, _, lines = study
    table = result["table"]
    assert list(table.index) == list(range(1, HORIZON + 1))
    assert table.index.name == "horizon"
    for metric in ("mse", "mae"):
        for strategy in ("recursive", "direct", "mimo", "naive"):
            assert (metric, strategy) in table.columns
    direct_h = table.attrs["direct_horizons"]
    assert direct_h == [1, 7, 30]
    assert "direct" in table.attrs["note"]
    for (metric, strategy), col in table.items():
        if strategy == "direct":
            assert np.isfinite(col.loc[direct_h]).all()
            assert col.drop(direct_h).isna().all()
        else:
            assert np.isfinite(col).all(), (metric, strategy)
        assert (col.dropna() >= 0).all()
    jensen = (table["mse"] >= table["mae"] ** 2 * (1 - 1e-9)) | table["mse"].isna()
    assert jensen.all().all()  # MSE >= MAE^2 at every horizon
    assert any("recursive" in line for line in lines)


def test_naive_matches_an_independent_computation(study, frame):
    result, _, _ = study
    table = result["table"]
    close = frame["close"].to_numpy()
    n = len(close)
    n_train = int(round(0.8 * n))
    origins = np.arange(n_train - 1, n - HORIZON, max(1, (n - HORIZON - n_train + 1) // 20))
    assert table.attrs["n_origins"] == len(origins)
    for h in (1, 7, 30):
        err = close[origins + h] - close[origins]
        np.testing.assert_allclose(table.loc[h, ("mse", "naive")], np.mean(err ** 2))
        np.testing.assert_allclose(table.loc[h, ("mae", "naive")], np.mean(np.abs(err)))


def test_one_step_recursive_equals_direct_at_h1(study):
    # the same network (seed, windows, one-step targets) in both strategies
    table = study[0]["table"]
    np.testing.assert_allclose(table.loc[1, ("mse", "recursive")], table.loc[1, ("mse", "direct")],
                               rtol=1e-4)  # MSE of float32 forecasts


def test_figures_and_csv(study):
    result, out, _ = study
    names = sorted(p.split("/")[-1] for p in result["figures"])
    assert names == ["multistep_errors.png", "multistep_forecast_30d.png",
                     "multistep_forecast_7d.png"]
    for path in result["figures"]:
        with open(path, "rb") as fh:
            head = fh.read(8)
        assert head == PNG
    csv = pd.read_csv(result["csv"], header=[0, 1], index_col=0)
    np.testing.assert_allclose(csv.to_numpy(dtype=float), result["table"].to_numpy(), rtol=1e-9)


def test_too_short_series_is_rejected(tmp_path):
    frame = pd.DataFrame({"close": np.linspace(1, 2, 40)},
                         index=pd.date_range("2020-01-01", periods=40, freq="D"))
    with pytest.raises(ValueError, match="training rows"):
        multistep_study(frame, tmp_path, quick=True, seed=0)
    with pytest.raises(ValueError, match="'close' column"):
        multistep_study(frame.rename(columns={"close": "price"}), tmp_path, quick=True, seed=0)


def test_cli_study_multistep_quick(tmp_path, capsys):
    """``skrnn study --parts multistep --quick`` writes the table and the plots."""
    main = pytest.importorskip("skrnn.cli").main
    code = main(["study", "multistep", "--quick", "--out", str(tmp_path)])
    assert code == 0, capsys.readouterr().err
    written = {p.name for p in (tmp_path / "multistep").iterdir()}
    assert {"multistep_errors.csv", "multistep_errors.png", "multistep_forecast_7d.png",
            "multistep_forecast_30d.png"} <= written
