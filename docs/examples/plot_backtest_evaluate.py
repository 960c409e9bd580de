"""
A backtest with sktime's evaluate: RNNForecaster against the naive forecast
===========================================================================

One test period says little about a forecaster; a backtest refits it on an
expanding window and scores it on the days after each cutoff.
``sktime.forecasting.model_evaluation.evaluate`` runs that loop for any
sktime forecaster, ``RNNForecaster`` included: ``ExpandingWindowSplitter``
sets the folds (every fold trains on all the days up to its cutoff and
forecasts the next 7), ``strategy="refit"`` trains a fresh network in each
fold. The same folds score sktime's ``NaiveForecaster`` (the last value for
every step); the script prints both errors fold by fold and draws them.

Run ``python docs/examples/plot_backtest_evaluate.py [OUT_DIR]``; the figure goes
to ``OUT_DIR`` (default: ``$SKRNN_EXAMPLE_OUT`` or ``<tmp>/skrnn-examples``).
``SKRNN_EXAMPLE_QUICK=1`` runs a small version in seconds.
"""

import os
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
from sktime.forecasting.model_evaluation import evaluate
from sktime.forecasting.naive import NaiveForecaster
from sktime.performance_metrics.forecasting import MeanAbsoluteError
from sktime.split import ExpandingWindowSplitter

from skrnn import LSTMRegressor
from skrnn.datasets import load_eth


def main(quick=False, out_dir=None):
    """Backtest the network and the naive forecast on the same folds; returns the errors and the figure."""
    out_dir = Path(out_dir or os.environ.get("SKRNN_EXAMPLE_OUT")
                   or Path(tempfile.gettempdir()) / "skrnn-examples")
    units, epochs, n_folds, step_length = (8, 2, 3, 60) if quick else (32, 30, 8, 30)
    y = load_eth(start="2019-06-01" if quick else "2018-01-01")["close"]
    fh = list(range(1, 8))
    initial = len(y) - max(fh) - (n_folds - 1) * step_length  # the last fold ends on the last day
    cv = ExpandingWindowSplitter(fh=fh, initial_window=initial, step_length=step_length)

    from skrnn.forecasting import RNNForecaster

    network = RNNForecaster(LSTMRegressor(units=units, dropout=0.1, epochs=epochs, batch_size=32,
                                          early_stopping=10),
                            window_len=10, strategy="mimo", random_state=0)
    results = {}
    with warnings.catch_warnings():
        # sktime announces a change of a default that evaluate(strategy="refit") does not use
        warnings.filterwarnings("ignore", message="The default of config ``remember_data``",
                                category=FutureWarning)
        for name, forecaster in (("LSTM (mimo)", network),
                                 ("naive (last value)", NaiveForecaster("last"))):
            results[name] = evaluate(forecaster=forecaster, y=y, cv=cv, strategy="refit",
                                     scoring=MeanAbsoluteError())
    cutoffs = [str(c.date()) for c in results["naive (last value)"]["cutoff"]]
    lstm_mae = results["LSTM (mimo)"]["test_MeanAbsoluteError"].to_numpy()
    naive_mae = results["naive (last value)"]["test_MeanAbsoluteError"].to_numpy()
    fit_time = results["LSTM (mimo)"]["fit_time"].to_numpy()
    print(f"{n_folds} folds, expanding window from {initial} days, 7 days forecast after each cutoff")
    print(f"{'cutoff':<12}{'MAE LSTM':>10}{'MAE naive':>11}{'vs naive':>10}{'fit (s)':>9}")
    for c, a, b, t in zip(cutoffs, lstm_mae, naive_mae, fit_time):
        print(f"{c:<12}{a:>10.1f}{b:>11.1f}{a / b - 1:>+10.1%}{t:>9.1f}")
    print(f"{'mean':<12}{lstm_mae.mean():>10.1f}{naive_mae.mean():>11.1f}"
          f"{lstm_mae.mean() / naive_mae.mean() - 1:>+10.1%}")

    from skrnn.plotting import load_pyplot

    plt = load_pyplot()
    fig, ax = plt.subplots(figsize=(8, 4))
    x = np.arange(n_folds)
    ax.bar(x - 0.2, lstm_mae, width=0.4, label="LSTM (mimo)")
    ax.bar(x + 0.2, naive_mae, width=0.4, label="naive (last value)")
    ax.set_xticks(x, cutoffs, rotation=30)
    ax.set(title="ETH close, 7 days ahead: MAE per backtest fold", xlabel="cutoff",
           ylabel="MAE (USD)")
    ax.legend(loc="upper left")
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "backtest_evaluate.png"
    fig.savefig(path, dpi=110)
    print(f"figure: {path}")
    return {"mae": {"LSTM (mimo)": lstm_mae, "naive (last value)": naive_mae},
            "fit_time": fit_time, "figure": path}


if __name__ == "__main__":
    main(quick=os.environ.get("SKRNN_EXAMPLE_QUICK") == "1",
         out_dir=sys.argv[1] if len(sys.argv) > 1 else None)
