"""Configuration of the study: parts, feature combinations, :class:`StudyConfig`."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import ClassVar

from .._validation import InvalidParameterError, StrOptions, fraction, int_at_least
from .._validation import check_params as _check_declared

#: Every part of the study, with a one-line description.
PARTS: dict[str, str] = {
    "features": "the four feature combinations ranked by test MSE (+ MC-dropout interval)",
    "ablation": "drop one feature group at a time from all three, rank by MSE change",
    "architectures": "LSTM, GRU, bidirectional LSTM, stacked 2xLSTM and a Transformer: MSE over "
                     "seeds and training time",
    "indicators": "RSI, MACD and Bollinger Bands as an extra feature group",
    "crossasset": "the BTC close as a feature for ETH",
    "btc": "the same study on Bitcoin, historical features",
    "search": "GridSearchCV + TimeSeriesSplit over window, units and dropout",
    "multistep": "multi-step forecasts, 7 and 30 days ahead (needs sktime)",
    "benchmark": "one-step forecasts of ETH, BTC, USD/PLN and a synthetic series (or --csv): "
                 "networks vs naive, ridge and AutoETS, with 90% band coverage",
}

#: Parts run when none are given (about 10 minutes on 2 CPU cores).
DEFAULT_PARTS: tuple[str, ...] = ("features", "ablation", "architectures", "indicators", "crossasset")

#: The four feature combinations, by name -> feature groups.
FEATURE_COMBINATIONS: dict[str, tuple[str, ...]] = {
    "historical": ("historical",),
    "historical+blockchain": ("historical", "blockchain"),
    "historical+twitter": ("historical", "twitter"),
    "historical+blockchain+twitter": ("historical", "blockchain", "twitter"),
}

_ALL = "historical+blockchain+twitter"
_TARGET = "close"
_MACD_COLUMNS = ("macd", "macd_signal", "macd_hist")

_MODEL_NAMES = {
    "lstm": "LSTM",
    "gru": "GRU",
    "bilstm": "BiLSTM",
    "stacked": "2xLSTM",
    "transformer": "Transformer",
    "linear": "linear (ridge)",
    "naive": "naive (last value)",
}


class StudyError(ValueError):
    """A problem with the study's input or options (one clear line)."""


@dataclass
class StudyConfig:
    """Everything that defines a study run (written to ``results.json``).

    The defaults are the reference setup. :meth:`quick_config` gives a small model
    (16 units, 3 epochs) for smoke tests.

    Parameters
    ----------
    window_len : int, default=10
        Days in each input window.
    units : int, default=256
        Units of the recurrent layer (each layer for the stacked model).
    dropout : float, default=0.2
    epochs : int, default=100
        Maximum epochs (early stopping usually ends training sooner).
    batch_size : int, default=32
    early_stopping : int or None, default=10
        Patience in epochs; the best weights are restored.
    lr_decay, lr_decay_every : float, int, default=0.75, 10
        Learning rate x ``lr_decay`` every ``lr_decay_every`` epochs.
    learning_rate : float, default=1e-3
        Adam's initial learning rate (Keras' default, as in the reference setup).
    validation_fraction : float, default=0.1
        Last part of the training windows used for early stopping.
    test_size : float, default=0.2
        Share of rows in the test part (the reference split rule).
    seed : int, default=0
        ``random_state`` of every network (weights, dropout, shuffling).
    n_samples : int, default=100
        Monte-Carlo dropout passes for the interval.
    coverage : float, default=0.9
        Nominal coverage of the interval (0.9 = 5th-95th percentile).
    ridge_alpha : float, default=1.0
        Regularisation of the linear baseline.
    n_seeds : int, default=3
        In the ``seed_parts``, every network is trained with the seeds
        ``seed, seed + 1, ...``; tables are ranked by the mean test MSE and
        show its standard deviation, so a reader sees which differences are
        noise. The figures and the other metrics are those of ``seed``.
    seed_parts : tuple of str, default=("features", "ablation", "architectures")
        Parts whose networks are repeated over ``n_seeds`` seeds.
    zero_base_safe : bool, default=True
        Shift signed features (sentiment, MACD) positive before zero-base.
    arch_features : str, default="historical"
        Feature combination of the ``architectures`` and ``search`` parts.
    search_grid : dict or None, default=None
        Grid of the ``search`` part (pipeline parameter names); ``None``:
        window 5/10/20, units units/4 and units, dropout 0.1/0.2.
    search_splits : int, default=3
        ``TimeSeriesSplit`` folds of the ``search`` part.
    optuna_trials : int or None, default=None
        With a number, the ``search`` part also runs Optuna's Bayesian search
        (``OptunaSearchCV``, TPE sampler seeded with ``seed``) with that many
        trials over the box the grid spans, and reports it next to the grid
        search (needs ``pip install "skrnn[optuna]"``).
    quick : bool, default=False
        Marks a quick (smoke-test) run in the report.
    epochs_given : bool, default=False
        Whether ``epochs`` was chosen by the user (passed on to the
        ``multistep`` part, which otherwise uses its own default).
    benchmark_csv : str or None, default=None
        A CSV file for the ``benchmark`` part (read as ``skrnn forecast``
        reads its file); the part then benchmarks that series alone.
    benchmark_target : str or None, default=None
        The column of ``benchmark_csv`` to forecast.

    Examples
    --------
    >>> from skrnn.study import StudyConfig
    >>> StudyConfig().units, StudyConfig().epochs
    (256, 100)
    >>> quick = StudyConfig.quick_config(seed=1)
    >>> quick.units, quick.epochs, quick.seed
    (16, 3, 1)
    """

    window_len: int = 10
    units: int = 256
    dropout: float = 0.2
    epochs: int = 100
    batch_size: int = 32
    early_stopping: int | None = 10
    lr_decay: float | None = 0.75
    lr_decay_every: int = 10
    learning_rate: float = 1e-3
    validation_fraction: float = 0.1
    test_size: float = 0.2
    seed: int = 0
    n_samples: int = 100
    coverage: float = 0.9
    ridge_alpha: float = 1.0
    n_seeds: int = 3
    seed_parts: tuple = ("features", "ablation", "architectures")
    zero_base_safe: bool = True
    arch_features: str = "historical"
    search_grid: dict | None = None
    search_splits: int = 3
    optuna_trials: int | None = None
    quick: bool = False
    epochs_given: bool = False
    benchmark_csv: str | None = None
    benchmark_target: str | None = None

    # what each field accepts; the estimators check the fields passed on to
    # them unchanged (early stopping, learning rate, ...) when they are built
    _parameter_constraints: ClassVar[dict] = {
        "window_len": [int_at_least(2)],
        "units": [int_at_least(1)],
        "dropout": [fraction("left")],
        "epochs": [int_at_least(1)],
        "batch_size": [int_at_least(1)],
        "early_stopping": "no_validation",
        "lr_decay": "no_validation",
        "lr_decay_every": [int_at_least(1)],
        "learning_rate": "no_validation",
        "validation_fraction": "no_validation",
        "test_size": [fraction("neither")],
        "seed": [int_at_least(0)],
        "n_samples": [int_at_least(1)],
        "coverage": [fraction("neither")],
        "ridge_alpha": "no_validation",
        "n_seeds": [int_at_least(1)],
        "seed_parts": "no_validation",
        "zero_base_safe": "no_validation",
        "arch_features": [StrOptions(set(FEATURE_COMBINATIONS))],
        "search_grid": "no_validation",
        "search_splits": [int_at_least(2)],
        "optuna_trials": [int_at_least(1), None],
        "quick": "no_validation",
        "epochs_given": "no_validation",
        "benchmark_csv": [str, None],
        "benchmark_target": [str, None],
    }

    @classmethod
    def quick_config(cls, **overrides) -> "StudyConfig":
        """A small, fast configuration: 16 units, 3 epochs, small search grid."""
        params = dict(units=16, epochs=3, quick=True, search_splits=2, n_seeds=1)
        params.update(overrides)
        return cls(**params)

    @classmethod
    def from_options(cls, quick=False, **options) -> "StudyConfig":
        """The reference configuration (or :meth:`quick_config`) with the options given.

        Options that are ``None`` keep their default; a given ``epochs`` is
        marked ``epochs_given``. The result is checked (:meth:`check_params`).

        Examples
        --------
        >>> from skrnn.study import StudyConfig
        >>> config = StudyConfig.from_options(quick=True, epochs=2, units=None, seed=1)
        >>> config.units, config.epochs, config.epochs_given, config.seed
        (16, 2, True, 1)
        """
        given = {name: value for name, value in options.items() if value is not None}
        if "epochs" in given:
            given["epochs_given"] = True
        config = cls.quick_config(**given) if quick else cls(**given)
        return config.check_params()

    def check_params(self) -> "StudyConfig":
        """Check every field against :attr:`_parameter_constraints`; returns ``self``.

        Raises
        ------
        StudyError
            Naming the first invalid field, in one line.
        """
        try:
            _check_declared(self, dataclasses.asdict(self))
        except InvalidParameterError as exc:
            raise StudyError(str(exc)) from None
        return self

    def validate(self) -> "StudyConfig":
        """Same as :meth:`check_params` (the name of earlier versions)."""
        return self.check_params()

    def to_dict(self) -> dict:
        """The configuration as plain JSON types (tuples become lists)."""
        return json.loads(json.dumps(dataclasses.asdict(self)))

    def grid(self) -> dict:
        """The ``search`` part's parameter grid."""
        if self.search_grid is not None:
            return {k: list(v) for k, v in self.search_grid.items()}
        if self.quick:
            return {"window__window_len": [5, self.window_len], "rnn__units": [self.units],
                    "rnn__dropout": [0.1, 0.2]}
        windows = sorted({5, self.window_len, 20})
        units = sorted({max(1, self.units // 4), self.units})
        return {"window__window_len": windows, "rnn__units": units, "rnn__dropout": [0.1, 0.2]}



def resolve_parts(parts) -> list[str]:
    """Validate part names; ``None`` -> :data:`DEFAULT_PARTS`, ``"all"`` -> every part.

    Accepts names separated by spaces or commas. Raises :class:`StudyError`
    for an unknown name.
    """
    if parts is None:
        return list(DEFAULT_PARTS)
    if isinstance(parts, str):
        parts = [parts]
    names = []
    for item in parts:
        names.extend(p.strip() for p in str(item).split(",") if p.strip())
    if not names:
        return list(DEFAULT_PARTS)
    out = []
    for name in names:
        if name == "all":
            out.extend(PARTS)
        elif name in PARTS:
            out.append(name)
        else:
            raise StudyError(f"unknown part {name!r}; choose from {', '.join(PARTS)} or all.")
    return list(dict.fromkeys(out))
