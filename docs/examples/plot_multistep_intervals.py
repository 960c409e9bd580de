"""
A week ahead with sktime: RNNForecaster and a 90 % interval per step
====================================================================

``RNNForecaster`` is an sktime forecaster: fitted on the ETH close, it
forecasts the next 7 days (``fh=1..7``) with one network that predicts the
whole week at once (``strategy="mimo"``), and calibrates a 90 % interval for
each step on its own, from the held-out windows' errors at that step (the
band widens with the horizon). ``predict_rolling`` forecasts the week from
every day of the test part without refitting; the script prints, for each
step, the network's MSE next to the naive forecast's (the last close, for
every step) and the band's coverage next to its median width, then draws
the forecast from the last day.

Run ``python docs/examples/plot_multistep_intervals.py [OUT_DIR]``; the figure
goes to ``OUT_DIR`` (default: ``$SKRNN_EXAMPLE_OUT`` or
``<tmp>/skrnn-examples``). ``SKRNN_EXAMPLE_QUICK=1`` runs a small version in
seconds.
"""

import os
import sys
import tempfile
from pathlib import Path

import numpy as np

from skrnn import LSTMRegressor, chronological_split
from skrnn.datasets import load_eth
from skrnn.forecasting import RNNForecaster


def main(quick=False, out_dir=None):
    """Fit, forecast a week from every test day; returns the per-step figures and the figure path."""
    out_dir = Path(out_dir or os.environ.get("SKRNN_EXAMPLE_OUT")
                   or Path(tempfile.gettempdir()) / "skrnn-examples")
    units, epochs = (8, 3) if quick else (32, 40)
    steps = list(range(1, 8))
    y = load_eth(start="2019-06-01" if quick else None)["close"]  # daily, freq="D"
    y_train, y_test = chronological_split(y, test_size=0.2)
    forecaster = RNNForecaster(
        LSTMRegressor(units=units, dropout=0.1, epochs=epochs, batch_size=32, early_stopping=10),
        window_len=10, strategy="mimo", random_state=0)
    forecaster.fit(y_train, fh=steps)
    print(f"ETH close {y.index[0].date()} .. {y.index[-1].date()}; trained on {len(y_train)} days, "
          f"forecasts from each of the {len(y_test)} test days")

    # every origin from the end of training to the last test day but one week
    origins = [forecaster.cutoff[0]] + list(y_test.index[:-max(steps)])
    forecasts, bands = forecaster.predict_rolling(y_test, fh=steps, origins=origins, coverage=0.9)
    cutoff = forecasts.index.get_level_values(0)
    time = forecasts.index.get_level_values(1)
    actual = y.reindex(time).to_numpy()
    naive = y.reindex(cutoff).to_numpy()  # the last close known at the origin
    pred = forecasts["close"].to_numpy()
    lower = bands[("close", 0.9, "lower")].to_numpy()
    upper = bands[("close", 0.9, "upper")].to_numpy()
    step = np.asarray((time - cutoff) / (y.index[1] - y.index[0]), dtype=int)

    mse, naive_mse, coverage, width = {}, {}, {}, {}
    print(f"{'step':>4}{'MSE LSTM':>12}{'MSE naive':>12}{'vs naive':>10}"
          f"{'90 % covers':>13}{'median width':>14}")
    for h in steps:
        at = step == h
        mse[h] = float(np.mean((pred[at] - actual[at]) ** 2))
        naive_mse[h] = float(np.mean((naive[at] - actual[at]) ** 2))
        coverage[h] = float(np.mean((actual[at] >= lower[at]) & (actual[at] <= upper[at])))
        width[h] = float(np.median(upper[at] - lower[at]))
        print(f"{h:>4}{mse[h]:>12,.0f}{naive_mse[h]:>12,.0f}{mse[h] / naive_mse[h] - 1:>+10.1%}"
              f"{coverage[h]:>13.1%}{width[h]:>14.1f}")

    # the week after the last bundled day: update the window, forecast, band
    forecaster.update(y_test, update_params=False)
    week = forecaster.predict()
    band = forecaster.predict_interval(coverage=0.9)
    print(f"from {y.index[-1].date()} (close {y.iloc[-1]:,.0f} USD): "
          + ", ".join(f"{t.date()} {v:,.0f}" for t, v in week.items()))

    from skrnn.plotting import load_pyplot

    plt = load_pyplot()
    fig, ax = plt.subplots(figsize=(10, 4))
    recent = y.iloc[-45:]
    ax.plot(recent.index.tz_localize(None), recent, color="k", lw=1, label="close")
    days = week.index.tz_localize(None)
    ax.fill_between(days, band.iloc[:, 0], band.iloc[:, 1], color="C0", alpha=0.25,
                    label="90 % band, calibrated per step")
    ax.plot(days, week, color="C0", marker="o", ms=3, lw=1.2, label="LSTM, fh = 1..7")
    ax.axhline(y.iloc[-1], color="C1", lw=1, ls="--", label="naive (last value)")
    ax.set(title="ETH close: the week after the last bundled day", ylabel="USD")
    ax.legend(loc="upper left")
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "multistep_intervals.png"
    fig.savefig(path, dpi=110)
    print(f"figure: {path}")
    return {"mse": {"LSTM": mse, "naive (last value)": naive_mse}, "coverage": coverage,
            "width": width, "forecast": week.to_numpy(), "figure": path}


if __name__ == "__main__":
    main(quick=os.environ.get("SKRNN_EXAMPLE_QUICK") == "1",
         out_dir=sys.argv[1] if len(sys.argv) > 1 else None)
