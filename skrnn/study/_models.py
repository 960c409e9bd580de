"""Models, data preparation, fitting and metrics: one :class:`ModelRun` per model."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._config import _MACD_COLUMNS, _MODEL_NAMES, _TARGET, StudyConfig, StudyError


# --------------------------------------------------------------------------- #
# models
# --------------------------------------------------------------------------- #
def lab_regressor(kind="lstm", config: StudyConfig | None = None, target_channel=0, **overrides):
    """The reference zero-base recurrent network (or a variant of it).

    Parameters
    ----------
    kind : {"lstm", "gru", "bilstm", "stacked", "transformer"}, default="lstm"
        ``"lstm"`` is the reference ``LSTM(units) -> Dropout -> Dense(1)``;
        ``"gru"`` swaps the cell, ``"bilstm"`` wraps it in ``Bidirectional``,
        ``"stacked"`` puts two LSTM layers of ``units`` on top of each other.
        ``"transformer"`` is a :class:`~skrnn.TransformerRegressor` sized
        from ``units``: two blocks of 4 heads of ``units // 16`` (``d_model =
        units / 4``, 64 for the reference 256) and a feed-forward part of
        ``units``, sinusoidal positions, the last step pooled; every
        training setting (dropout, epochs, early stopping, learning rate and
        its decay, zero-base scaling, seed) is the LSTM's.
    config : StudyConfig, optional
        Hyper-parameters (the reference defaults when omitted).
    target_channel : int, default=0
        Position of ``close`` among the features.
    **overrides
        Any parameter of the estimator (:class:`~skrnn.RNNRegressor`,
        :class:`~skrnn.TransformerRegressor`).

    Returns
    -------
    skrnn.RNNRegressor or skrnn.TransformerRegressor
        Unfitted; ``random_state`` is ``config.seed``.

    Examples
    --------
    >>> from skrnn.study import lab_regressor
    >>> lab_regressor().get_params()["units"]
    256
    """
    from ..estimators import GRURegressor, LSTMRegressor, TransformerRegressor

    config = config or StudyConfig()
    if kind not in ("lstm", "gru", "bilstm", "stacked", "transformer"):
        raise StudyError(f"kind must be 'lstm', 'gru', 'bilstm', 'stacked' or 'transformer', "
                         f"got {kind!r}.")
    if kind == "transformer":
        cls = TransformerRegressor
        params = dict(n_heads=4, key_dim=max(1, config.units // 16), ff_units=config.units,
                      n_blocks=2)
    else:
        cls = GRURegressor if kind == "gru" else LSTMRegressor
        params = dict(units=(config.units, config.units) if kind == "stacked" else config.units,
                      bidirectional=kind == "bilstm")
    params.update(
        dropout=config.dropout, epochs=config.epochs, batch_size=config.batch_size,
        early_stopping=config.early_stopping, lr_decay=config.lr_decay,
        lr_decay_every=config.lr_decay_every, learning_rate=config.learning_rate,
        validation_fraction=config.validation_fraction, normalize="zero_base",
        target_channel=target_channel, n_samples=config.n_samples, random_state=config.seed,
    )
    params.update(overrides)
    return cls(**params)


def linear_baseline(alpha=1.0, target_channel=0):
    """Ridge regression on the same zero-base windows as the networks.

    ``ZeroBaseRegressor(make_pipeline(FlattenWindows(), Ridge(alpha)))``.

    Examples
    --------
    >>> from skrnn.study import linear_baseline
    >>> type(linear_baseline()).__name__
    'ZeroBaseRegressor'
    """
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline

    from ..estimators import ZeroBaseRegressor
    from ..preprocessing import FlattenWindows

    return ZeroBaseRegressor(make_pipeline(FlattenWindows(), Ridge(alpha=alpha)),
                             target_channel=target_channel)


# --------------------------------------------------------------------------- #
# data preparation, fitting, metrics
# --------------------------------------------------------------------------- #
def zero_base_safe(frame: pd.DataFrame, target: str = _TARGET) -> pd.DataFrame:
    """Make signed features positive so that zero-base ``x / x0 - 1`` is tame.

    ``sentiment`` (-1 .. 1) becomes ``1 + sentiment``; the MACD lines become
    ``1 + MACD / close`` (a percentage-price oscillator around 1). Other
    columns are returned unchanged. Row-wise, so it never looks ahead.

    Examples
    --------
    >>> import pandas as pd
    >>> from skrnn.study import zero_base_safe
    >>> zero_base_safe(pd.DataFrame({"close": [100.0], "sentiment": [-0.2]}))["sentiment"].tolist()
    [0.8]
    """
    out = frame.copy()
    if "sentiment" in out.columns:
        out["sentiment"] = 1.0 + out["sentiment"]
    if target in out.columns:
        for col in _MACD_COLUMNS:
            if col in out.columns:
                out[col] = 1.0 + out[col] / out[target].where(out[target] != 0, 1.0)
    return out


@dataclass
class PreparedData:
    """Windows and targets of one feature set, split chronologically.

    Made by :func:`prepare_data`; the fields are its parts.

    Parameters
    ----------
    columns : list of str
        Input columns (after the optional preprocessor), target first.
    target : str
        The target column (``close``).
    horizon : int
        Steps ahead of the target.
    window_len : int
        Rows in each window.
    X_train, X_test : DataFrame
        Feature rows (dates ``t``) of the two parts.
    y_train, y_test : ndarray
        Targets ``close[t + horizon]``; ``y_train`` without the first
        ``window_len - 1`` rows (no complete history) and the last
        ``horizon - 1`` rows (targets in the test period).
    W_train, W_test : ndarray
        Windows ``(n, window_len, n_features)``, aligned with ``y_*``.
    window : SlidingWindow
        Fitted on the training rows.
    preprocessor : transformer or None
        Fitted on the training rows.
    target_channel : int
        Position of the target among the window's channels.
    test_dates : DatetimeIndex
        Dates of the test targets (``t + horizon``).
    train_dates : DatetimeIndex
        Dates of the training targets.
    base_test : ndarray
        ``close`` at the first row of each test window (zero-base ``x0``).
    naive_test : ndarray
        The last-value forecast ``close[t]``.

    Examples
    --------
    >>> from skrnn.datasets import load_eth
    >>> from skrnn.study import prepare_data
    >>> data = prepare_data(load_eth(), ["close"], window_len=10)
    >>> data.W_train.shape[1:], data.horizon, data.columns
    ((10, 1), 1, ['close'])
    """

    columns: list
    target: str
    horizon: int
    window_len: int
    X_train: pd.DataFrame
    X_test: pd.DataFrame
    y_train: np.ndarray
    y_test: np.ndarray
    W_train: np.ndarray
    W_test: np.ndarray
    window: object
    preprocessor: object
    target_channel: int
    test_dates: pd.Index
    train_dates: pd.Index
    base_test: np.ndarray
    naive_test: np.ndarray

    @property
    def split_date(self):
        """Date of the first test target."""
        return self.test_dates[0]

    @property
    def n_features(self) -> int:
        return self.W_train.shape[2]


def _target_dates(frame_index, positions, horizon):
    return frame_index[np.asarray(positions) + horizon]


def prepare_data(frame, columns, target=_TARGET, horizon=1, window_len=10, test_size=0.2,
                 preprocessor=None, safe=True) -> PreparedData:
    """The reference data pipeline for one feature set.

    ``make_supervised(frame[columns], target, horizon)`` -> chronological
    split of the rows (``split_row = n - int(test_size * n)``) -> optional
    ``preprocessor`` (fit on the training rows) -> :func:`zero_base_safe` ->
    :class:`~skrnn.SlidingWindow` fit on the training rows. The first
    ``window_len - 1`` training rows are history only; the test rows take
    their history from the end of the training part, so no window is padded.
    With ``horizon > 1`` the last ``horizon - 1`` training windows are not
    training samples either: their targets lie in the test period.

    Parameters
    ----------
    frame : DataFrame
        Time-ordered table with a sorted, unique index.
    columns : list of str
        Feature columns; ``target`` is moved to the front if present.
    target : str, default="close"
    horizon : int, default=1
    window_len : int, default=10
    test_size : float, default=0.2
    preprocessor : sklearn transformer, optional
        Applied to the feature rows before windowing (e.g.
        ``TechnicalIndicators().set_output(transform="pandas")``).
    safe : bool, default=True
        Apply :func:`zero_base_safe`.

    Returns
    -------
    PreparedData
    """
    from sklearn.base import clone

    from ..model_selection import chronological_split
    from ..preprocessing import SlidingWindow, make_supervised

    columns = list(dict.fromkeys(columns))
    if isinstance(frame.index, pd.RangeIndex):
        # a RangeIndex carries no time for SlidingWindow: use plain row labels
        # so that the test rows continue the training rows (no padding)
        frame = frame.set_axis(pd.Index(np.asarray(frame.index), name=frame.index.name))
    missing = [c for c in columns + [target] if c not in frame.columns]
    if missing:
        raise StudyError(f"column(s) {missing} not in the data; columns are {list(frame.columns)}.")
    if target in columns:
        columns = [target] + [c for c in columns if c != target]
    else:
        columns = [target] + columns
    X, y = make_supervised(frame[columns], target, horizon)
    positions = np.arange(len(X))
    X_train, X_test, y_train, y_test, p_train, p_test = chronological_split(
        X, y, positions, test_size=test_size)
    if len(X_train) - (window_len - 1) - (horizon - 1) < 10:
        raise StudyError(
            f"only {len(X_train)} training rows for windows of {window_len}; use more data "
            "(an earlier start) or a shorter window."
        )
    if preprocessor is not None:
        preprocessor = clone(preprocessor)
        X_train = preprocessor.fit_transform(X_train)
        X_test = preprocessor.transform(X_test)
        if not isinstance(X_train, pd.DataFrame):
            raise StudyError("the preprocessor must output DataFrames: call set_output(transform='pandas').")
    naive = X_test[target].to_numpy(dtype=float)
    if safe:
        X_train, X_test = zero_base_safe(X_train, target), zero_base_safe(X_test, target)
    window = SlidingWindow(window_len).fit(X_train)
    # training samples: rows with a full history (no padding) whose target
    # close[t + horizon] is still before the test part (no overlap, no leak)
    keep = slice(window_len - 1, len(X_train) - (horizon - 1))
    W_train = window.transform(X_train)[keep]
    W_test = window.transform(X_test)
    channel = list(X_train.columns).index(target)
    base = W_test[:, 0, channel].astype(float).copy()
    base[base == 0] = 1.0
    return PreparedData(
        columns=list(X_train.columns), target=target, horizon=horizon, window_len=window_len,
        X_train=X_train, X_test=X_test,
        y_train=np.asarray(y_train, dtype=float)[keep],
        y_test=np.asarray(y_test, dtype=float),
        W_train=W_train, W_test=W_test, window=window, preprocessor=preprocessor,
        target_channel=channel,
        test_dates=_target_dates(frame.index, p_test, horizon),
        train_dates=_target_dates(frame.index, p_train, horizon)[keep],
        base_test=base,
        naive_test=naive,
    )


def regression_metrics(y_true, y_pred, base=None) -> dict:
    """MSE, RMSE, MAE, R², MAPE (%) and, with ``base``, MSE in zero-base units.

    The zero-base error of a window is ``(y / x0 - 1) - (y_hat / x0 - 1) =
    (y - y_hat) / x0``: the scale of the reference results (about 0.002).

    Examples
    --------
    >>> from skrnn.study import regression_metrics
    >>> m = regression_metrics([100.0, 110.0], [101.0, 108.0], base=[100.0, 100.0])
    >>> round(m["mse"], 3), round(m["mse_zb"], 6)
    (2.5, 0.00025)
    """
    y = np.asarray(y_true, dtype=float)
    p = np.asarray(y_pred, dtype=float)
    e = y - p
    mse = float(np.mean(e ** 2))
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    out = {
        "mse": mse,
        "rmse": math.sqrt(mse),
        "mae": float(np.mean(np.abs(e))),
        "r2": float(1.0 - np.sum(e ** 2) / ss_tot) if ss_tot > 0 else float("nan"),
        "mape": float(100.0 * np.mean(np.abs(e) / np.where(y == 0, np.nan, np.abs(y)))),
    }
    if base is not None:
        out["mse_zb"] = float(np.mean((e / np.asarray(base, dtype=float)) ** 2))
    return out


@dataclass
class ModelRun:
    """One fitted and evaluated model.

    Made by :func:`fit_evaluate` and :func:`naive_run`; the fields are its
    findings.

    Parameters
    ----------
    experiment : str
        Feature set (or other experiment) name.
    model : str
        Display name (``LSTM``, ``linear (ridge)``, ``naive (last value)``, ...).
    kind : str
        The model's kind (``lstm``, ``gru``, ``linear``, ``naive``, ...).
    columns : list of str
        Input columns, target first.
    actual, predicted : Series
        Test targets and predictions indexed by target date (USD).
    metrics : dict
        :func:`regression_metrics` of the test part.
    train_time : float
        Seconds spent in ``fit``.
    n_epochs : int or None
    history : dict or None
        ``loss`` / ``val_loss`` per epoch.
    estimator : fitted estimator or None
    pipeline : sklearn Pipeline or None
        ``Pipeline([("window", SlidingWindow), ("rnn", estimator)])`` that
        predicts from feature rows (preprocessor included when there is one).
    n_params : int or None
        Trainable weights of a network.
    n_train : int, default=0
        Training windows.
    data : PreparedData or None, default=None
        The windows the model was trained and tested on.
    seed_mse, seed_mse_zb : list of float or None, default=None
        Test MSE (in USD, and on the zero-base scale) of each seed when the
        network was trained with several seeds.

    Examples
    --------
    >>> import pandas as pd
    >>> from skrnn.study import ModelRun
    >>> days = pd.to_datetime(["2024-01-02", "2024-01-03"])
    >>> run = ModelRun("close", "naive (last value)", "naive", ["close"],
    ...                actual=pd.Series([2.0, 3.0], index=days),
    ...                predicted=pd.Series([1.0, 2.0], index=days), metrics={"mse": 1.0})
    >>> run.model, run.metrics["mse"]
    ('naive (last value)', 1.0)
    """

    experiment: str
    model: str
    kind: str
    columns: list
    actual: pd.Series
    predicted: pd.Series
    metrics: dict
    train_time: float = 0.0
    n_epochs: int | None = None
    history: dict | None = None
    estimator: object = None
    pipeline: object = None
    n_params: int | None = None
    n_train: int = 0
    data: PreparedData | None = field(default=None, repr=False)
    seed_mse: list | None = None
    seed_mse_zb: list | None = None


def _pipeline(prepared, estimator):
    from sklearn.pipeline import Pipeline

    steps = []
    if prepared.preprocessor is not None:
        steps.append(("features", prepared.preprocessor))
    steps += [("window", prepared.window), ("rnn", estimator)]
    return Pipeline(steps)


def fit_evaluate(prepared: PreparedData, estimator, experiment="", kind="lstm", progress=None,
                 label=None) -> ModelRun:
    """Fit a clone of ``estimator`` on the training windows, score the test part.

    Parameters
    ----------
    prepared : PreparedData
    estimator : regressor taking windows
        A skrnn recurrent regressor or :func:`linear_baseline`.
    experiment, kind : str
        Names stored in the result.
    progress : Progress, optional
        Per-epoch progress lines for networks.
    label : str, optional
        Progress label (default ``experiment``).

    Returns
    -------
    ModelRun
    """
    from sklearn.base import clone

    est = clone(estimator)
    is_net = hasattr(est, "callbacks")
    name = _MODEL_NAMES.get(kind, kind)
    lab = label or experiment
    if is_net and progress is not None:
        progress.message(
            f"[{lab}] training {name}({_units_text(est)}) on "
            f"{len(prepared.W_train)} windows x {prepared.window_len} steps x "
            f"{prepared.n_features} features"
        )
        est.set_params(callbacks=[progress.callback(lab)])
    t0 = time.perf_counter()
    est.fit(prepared.W_train, prepared.y_train)
    elapsed = time.perf_counter() - t0
    pred = np.asarray(est.predict(prepared.W_test), dtype=float)
    if is_net:
        est.set_params(callbacks=None)
    metrics = regression_metrics(prepared.y_test, pred, prepared.base_test)
    history = getattr(est, "history_", None)
    n_epochs = getattr(est, "n_epochs_", None)
    model = getattr(est, "model_", None)
    if is_net and progress is not None:
        progress.message(
            f"[{lab}] done in {elapsed:.1f} s, {n_epochs} epochs, "
            f"test MSE {metrics['mse']:.6g} (zero-base {metrics['mse_zb']:.3g})"
        )
    return ModelRun(
        experiment=experiment, model=name, kind=kind,
        columns=list(prepared.columns),
        actual=pd.Series(prepared.y_test, index=prepared.test_dates, name="actual"),
        predicted=pd.Series(pred, index=prepared.test_dates, name=name),
        metrics=metrics, train_time=elapsed, n_epochs=n_epochs, history=history, estimator=est,
        pipeline=_pipeline(prepared, est), n_params=int(model.count_params()) if model is not None else None,
        n_train=len(prepared.W_train), data=prepared,
    )


def _units_text(est):
    params = est.get_params()
    if "units" not in params:  # the Transformer
        return f"{params['n_blocks']} blocks, {params['n_heads']} heads x {params['key_dim']}"
    units = params["units"]
    return "x".join(str(u) for u in units) if isinstance(units, tuple) else str(units)


def naive_run(prepared: PreparedData, experiment="") -> ModelRun:
    """The last-value forecast ``y_hat[t + h] = close[t]`` on the test part."""
    pred = prepared.naive_test
    return ModelRun(
        experiment=experiment, model=_MODEL_NAMES["naive"], kind="naive",
        columns=[prepared.target],
        actual=pd.Series(prepared.y_test, index=prepared.test_dates, name="actual"),
        predicted=pd.Series(pred, index=prepared.test_dates, name="naive"),
        metrics=regression_metrics(prepared.y_test, pred, prepared.base_test),
        n_train=len(prepared.W_train), data=prepared,
    )
