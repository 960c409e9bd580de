"""The ETH forecasting study, end to end.

Trains the reference network and its variants on the bundled data and writes a report folder
(``results.csv``, ``results.json``, ``report.md`` and PNG figures):

* ``features`` -- the four feature combinations (historical;
  historical + blockchain; historical + twitter; all three) ranked by test
  MSE, with MC-dropout intervals and the error over time of the best one;
* ``ablation`` -- drop one feature group at a time from all three;
* ``architectures`` -- LSTM, GRU, bidirectional LSTM, stacked 2xLSTM, Transformer;
* ``indicators`` -- RSI, MACD and Bollinger Bands as an extra group;
* ``crossasset`` -- the BTC close as a feature for ETH;
* ``btc`` -- the same study on Bitcoin;
* ``search`` -- GridSearchCV + TimeSeriesSplit on the training part (the grid search);
* ``multistep`` -- multi-step forecasts, :func:`multistep_study`.

Every table also shows the naive last-value forecast
(``y_hat[t+1] = close[t]``) and a ridge regression on the same zero-base
windows, so a reader sees whether the network beats them.

The reference setup: windows of 10 days, zero-base normalisation
(``x / x0 - 1`` per window), a chronological 80/20 split
(``split_row = n - int(0.2 n)``), ``LSTM(256) -> Dropout(0.2) -> Dense(1)``,
Adam, MSE, at most 100 epochs of batch 32, early stopping with patience 10
restoring the best weights (validation: the last 10% of the training windows)
and the learning rate x0.75 every 10 epochs.

Choices the reference setup leaves open, made here and written into every report:

* **Seeds.** One training run says little when the feature sets differ by
  less than the seed-to-seed spread, so the networks of the ``features`` and
  ``ablation`` parts are trained with ``n_seeds`` (3) seeds and ranked by
  their mean test MSE, with its standard deviation in the table.

* **No padded training window.** The first ``window_len - 1`` training rows
  have no complete history. They serve as history for the first full window
  but are not training samples themselves (as in the reference
  ``extract_window_data``). The test rows use the end of the training part as
  history, so no test window is padded either.
* **Signed features are made positive before zero-base.** ``x / x0 - 1``
  explodes when ``x0`` is close to 0, which happens for a signed feature: the
  tweet ``sentiment`` (a VADER compound score in -1 .. 1) becomes
  ``1 + sentiment`` and the MACD lines become ``1 + MACD / close``. Prices,
  volumes, on-chain counts, RSI and Bollinger Bands are positive and stay as
  they are. Turn it off with ``StudyConfig(zero_base_safe=False)``.

Examples
--------
A tiny, fast run (real reports use the defaults)::

    from skrnn.study import StudyConfig, run_study
    result = run_study(["features"], config=StudyConfig.quick_config(),
                       start="2020-01-01", out_dir="skrnn-report")
    result.tables["features"]
"""

from ._config import DEFAULT_PARTS, FEATURE_COMBINATIONS, PARTS, StudyConfig, StudyError, resolve_parts
from ._driver import run_study
from ._models import (ModelRun, PreparedData, fit_evaluate, lab_regressor, linear_baseline, naive_run,
                      prepare_data, regression_metrics, zero_base_safe)
from ._multistep import multistep_study
from ._optuna import optuna_search, search_space
from ._progress import Progress
from ._report import StudyResult
from ._report import check_out_dir as check_out_dir  # the command line checks its folders
from ._store import StudyInterrupted
from ._store import check_resumable as check_resumable  # the command line checks its folders
from ._tables import markdown_table

__all__ = [
    "PARTS",
    "DEFAULT_PARTS",
    "FEATURE_COMBINATIONS",
    "StudyConfig",
    "StudyError",
    "StudyInterrupted",
    "StudyResult",
    "Progress",
    "ModelRun",
    "PreparedData",
    "lab_regressor",
    "linear_baseline",
    "prepare_data",
    "fit_evaluate",
    "naive_run",
    "regression_metrics",
    "zero_base_safe",
    "markdown_table",
    "resolve_parts",
    "run_study",
    "multistep_study",
    "optuna_search",
    "search_space",
]
