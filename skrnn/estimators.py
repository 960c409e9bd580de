"""Recurrent and Transformer network regressors and the zero-base meta-estimator.

All estimators take windows: a 3D array ``(n_windows, n_timesteps,
n_features)`` as produced by :class:`~skrnn.SlidingWindow`, or a 2D array
``(n_windows, n_timesteps)`` read as univariate windows (one feature). A 1D
``y`` gives one output; a 2D ``y`` of shape ``(n_windows, H)`` trains ``H``
outputs at once (multi-step MIMO).

Keras (and TensorFlow) is imported only when a model is built or loaded.
"""

from __future__ import annotations

import inspect
import numbers

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, RegressorMixin, clone
from sklearn.utils import get_tags
from sklearn.utils.validation import check_is_fitted

from . import _keras
from ._intervals import CentralIntervalMixin, check_quantiles
from ._network import SHARED_CONSTRAINTS, WindowNetworkRegressor
from ._scaling import (
    inverse_zero_base_target,
    zero_base,
    zero_base_spread,
    zero_base_target,
)
from ._validation import (
    HasMethods,
    StrOptions,
    check_params,
    fraction,
    int_at_least,
    store_params,
    validate_windows,
)

__all__ = [
    "RNNRegressor",
    "LSTMRegressor",
    "GRURegressor",
    "SimpleRNNRegressor",
    "TransformerRegressor",
    "ZeroBaseRegressor",
]


# --------------------------------------------------------------------------
# the recurrent regressor
# --------------------------------------------------------------------------
class RNNRegressor(WindowNetworkRegressor):
    """A recurrent-network regressor built from plain hyper-parameters.

    The network is ``[Bidirectional](cell(units[0])) -> Dropout -> ... ->
    cell(units[-1]) -> Dropout -> [Dense(d) -> Dropout]* -> Dense(n_outputs)``.
    :class:`LSTMRegressor`, :class:`GRURegressor` and
    :class:`SimpleRNNRegressor` fix ``cell``.

    The ETH study's reference network is in :class:`LSTMRegressor`'s example.

    Parameters
    ----------
    cell : {"lstm", "gru", "rnn"}, default="lstm"
        Recurrent cell.
    units : int or tuple of int, default=64
        Units of the recurrent layer; a tuple stacks layers (all but the last
        return sequences).
    dropout : float, default=0.2
        Dropout rate after each recurrent and hidden dense layer. Also the
        source of Monte-Carlo uncertainty.
    recurrent_dropout : float, default=0.0
        Dropout on the recurrent state (disables the fused cuDNN kernels).
    bidirectional : bool, default=False
        Wrap each recurrent layer in ``Bidirectional``.
    dense_units : int or tuple of int, default=()
        Hidden ReLU dense layers between the recurrent part and the output.
    optimizer : str, default="adam"
        Any Keras optimizer name.
    learning_rate : float, default=1e-3
    weight_decay : float or None, default=None
        Decoupled weight decay of the optimizer (Keras' ``weight_decay``;
        with ``optimizer="adamw"`` this is AdamW).
    loss : str, default="mse"
        Any Keras loss name.
    epochs : int, default=100
        Maximum number of epochs.
    batch_size : int, default=32
    validation_fraction : float, default=0.1
        Fraction of the training windows held out for validation and early
        stopping: always the *last* windows in time, never a random draw.
        ``0`` uses no validation (early stopping then watches the training
        loss).
    early_stopping : int or None, default=10
        Patience in epochs; the best weights are restored. ``None`` trains
        all ``epochs``.
    lr_decay : float or None, default=None
        Multiply the learning rate by this factor every ``lr_decay_every``
        epochs (the ETH study's reference network: 0.75 every 10).
    lr_decay_every : int, default=10
    clipnorm : float or None, default=None
        Gradient clipping by norm.
    shuffle : bool, default=True
        Shuffle the training windows each epoch (windows are independent
        samples; the chronological split is done before shuffling).
    normalize : {"auto", "zero_base", "last_value", "standard"} or None, default="auto"
        How windows and targets are scaled for the network; predictions
        always come back in the data's units.

        - ``"zero_base"``: every window by its first row (``x / x0 - 1``), the
          target by the first value of its own channel (the reference scaling;
          the same mechanism as :class:`ZeroBaseRegressor`).
        - ``"last_value"``: the same with the window's *last* row, so the
          network predicts a return and 0 means "no change".
        - ``"standard"``: ``(x - mean) / std`` per feature, fitted on the
          training windows (for series with zeros or negative values).
        - ``"auto"``: ``"last_value"`` when every training value is strictly
          positive (prices, rates), else ``"standard"``.
        - ``None``: raw values (train on data already scaled).
    target_channel : int, default=0
        Position of the target's column in the window features, used by the
        scaling of the target.
    n_samples : int, default=100
        Monte-Carlo dropout passes for :meth:`predict_samples`,
        :meth:`predict_quantiles` and :meth:`predict_interval`.
    interval : {"conformal_vol", "conformal", "conformal_mc", "mc"}, default="conformal_vol"
        How :meth:`predict_interval`, :meth:`predict_quantiles` and
        ``predict(X, return_std=True)`` make a band. ``"conformal_vol"``:
        the point prediction plus the conformal quantiles (split conformal,
        with the finite-sample correction) of the residuals on the
        calibration tail, each divided by its window's volatility (the std
        of the target channel's one-step changes), so a 90 % band covers
        about 90 % of new points and widens after volatile days.
        ``"conformal"``: the same with residuals measured in the network's
        normalised space (relative errors under zero-base or last-value
        scaling): a band that scales with the price only, and under-covers
        a test period more volatile than the calibration tail.
        ``"conformal_mc"``: residuals normalised by the Monte-Carlo dropout
        spread, so the band is wide where the network is unsure -- narrower
        only where that spread tracks the errors. ``"mc"``: the raw
        Monte-Carlo dropout percentiles, usually far too narrow.
    calibration_fraction : float, default=0.1
        Fraction of the training windows held out, after the validation
        windows, as the calibration tail: the *last* windows in time, used
        neither for the weights nor for early stopping. ``0`` reuses the
        validation tail instead, which also chose the epoch and so gives
        slightly optimistic bands. A 90 % band needs at least 19 calibration
        windows.
    random_state : int or None, default=None
        Seed for weights, dropout and shuffling: Python's, numpy's and
        Keras' random streams are reset to it (TensorFlow's global seed is
        set by the first seeded fit of a process only, see
        ``skrnn._keras.set_global_seed``). Same seed, same data => same
        predictions.
    verbose : int, default=0
        Keras' verbosity during fit.
    callbacks : list of keras.callbacks.Callback or None, default=None
        Extra callbacks, added after the built-in ones. Keras runs up to 32
        batches per call of the traced train step, so batch-level hooks see
        every such group, epoch-level hooks every epoch. On TensorFlow the network may train
        as a compiled twin kept from an earlier fit of the same kind
        (``callback.model`` is then that twin; ``model_`` receives its
        final state).

    Attributes
    ----------
    model_ : keras.Model
        The trained network.
    history_ : dict of list of float
        Per-epoch ``loss`` (and ``val_loss``, ``learning_rate``).
    n_epochs_ : int
        Epochs actually run.
    n_features_in_ : int
        Features per time step (3D input) or columns (2D input).
    n_timesteps_in_ : int
        Window length seen in fit.
    n_outputs_ : int
        Number of outputs (columns of a 2D ``y``).
    scaler_ : WindowScaler
        The fitted scaling of windows and targets (``normalize`` resolved).
    calibration_ : skrnn._conformal.SplitConformal or None
        Spread-normalised residuals of the calibration tail (None when no
        window was held out or ``interval="mc"``).
    volatility_ratio_ : float or ndarray of shape (n_outputs,)
        With ``interval="conformal_vol"``: the calibration windows' median
        volatility per unit of level, blended into every window's volatility
        (present when the windows have at least 2 time steps).
    n_windows_fit_ : int
        Windows passed to fit (training + validation + calibration).

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn import LSTMRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(64, 5, 2))
    >>> y = X[:, -1, 0]
    >>> reg = LSTMRegressor(units=4, epochs=2, random_state=0).fit(X, y)
    >>> reg.predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints = {
        **SHARED_CONSTRAINTS,
        "cell": [StrOptions(set(_keras.CELLS))],
        "units": [int_at_least(1), tuple, list],
        "recurrent_dropout": [fraction()],
        "bidirectional": ["boolean"],
        "dense_units": [int_at_least(1), tuple, list],
    }
    _DROPOUT_PARAMS = ("dropout", "recurrent_dropout")

    def __init__(
        self,
        cell="lstm",
        units=64,
        dropout=0.2,
        recurrent_dropout=0.0,
        bidirectional=False,
        dense_units=(),
        optimizer="adam",
        learning_rate=1e-3,
        weight_decay=None,
        loss="mse",
        epochs=100,
        batch_size=32,
        validation_fraction=0.1,
        early_stopping=10,
        lr_decay=None,
        lr_decay_every=10,
        clipnorm=None,
        shuffle=True,
        normalize="auto",
        target_channel=0,
        n_samples=100,
        interval="conformal_vol",
        calibration_fraction=0.1,
        random_state=None,
        verbose=0,
        callbacks=None,
    ):
        # sklearn reads the parameters from this signature and requires them
        # stored unchanged; one line stores all 25 (the subclasses share it)
        store_params(self, locals())

    # ------------------------------------------------------------------ params
    def _cell_name(self):
        cell = getattr(self, "cell", None) or self._fixed_cell
        if cell not in _keras.CELLS:
            raise ValueError(f"cell must be one of {sorted(_keras.CELLS)}, got {cell!r}.")
        return cell

    def _check_params(self):
        """Declared constraints, then the element rules of ``units``/``dense_units``."""
        super()._check_params()
        self._cell_name()
        _as_tuple(self.dense_units, "dense_units", allow_empty=True)
        return _as_tuple(self.units, "units")

    # ------------------------------------------------------------------ model
    def _build_model(self, n_timesteps, n_features, n_outputs):
        model = _keras.build_recurrent_network(
            n_timesteps, n_features, n_outputs, cell=self._cell_name(),
            units=_as_tuple(self.units, "units"), dropout=self.dropout,
            recurrent_dropout=self.recurrent_dropout, bidirectional=self.bidirectional,
            dense_units=_as_tuple(self.dense_units, "dense_units", allow_empty=True))
        return self._compile(model)


def _as_tuple(value, name, allow_empty=False):
    values = (value,) if isinstance(value, numbers.Integral) and not isinstance(value, bool) else value
    try:
        values = tuple(values)
    except TypeError:
        raise ValueError(f"{name} must be an int or a tuple of ints, got {value!r}.") from None
    if (not values and not allow_empty) or any(
        isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1 for v in values
    ):
        raise ValueError(f"{name} must be a positive int or a tuple of positive ints, got {value!r}.")
    return tuple(int(v) for v in values)


def _with_fixed_cell(cls, cell):
    """Give a subclass the base's constructor and documentation without ``cell``.

    sklearn reads hyper-parameters from the ``__init__`` signature, so the
    subclass exposes every base parameter except ``cell``, which is fixed;
    its docstring gets the base's parameter and attribute sections (less
    ``cell``), so its reference page lists what it takes.
    """
    base_sig = inspect.signature(RNNRegressor.__init__)
    params = [p for name, p in base_sig.parameters.items() if name != "cell"]
    sig = base_sig.replace(parameters=params)
    defaults = {p.name: p.default for p in params[1:]}

    def __init__(self, *args, **kwargs):
        bound = sig.bind(self, *args, **kwargs)
        store_params(self, {**defaults, **bound.arguments})

    __init__.__signature__ = sig
    __init__.__doc__ = RNNRegressor.__init__.__doc__
    cls.__init__ = __init__
    cls.__doc__ = _fixed_cell_doc(cls.__doc__)
    cls._fixed_cell = cell
    return cls


def _fixed_cell_doc(own):
    """``own`` summary, then RNNRegressor's sections less ``cell``, then ``own`` examples."""
    base = inspect.cleandoc(RNNRegressor.__doc__)
    own = inspect.cleandoc(own)
    start, end = base.index("Parameters\n----------"), base.index("Examples\n--------")
    lines = base[start:end].splitlines()
    at = lines.index(next(line for line in lines if line.startswith("cell : ")))
    stop = next(i for i in range(at + 1, len(lines)) if not lines[i].startswith(" "))
    sections = "\n".join(lines[:at] + lines[stop:])
    summary, _, examples = own.partition("Examples\n--------")
    return f"{summary.rstrip()}\n\n{sections.rstrip()}\n\nExamples\n--------{examples}\n"


class LSTMRegressor(RNNRegressor):
    """:class:`RNNRegressor` with LSTM cells (all parameters but ``cell``).

    The long short-term memory cell (Hochreiter and Schmidhuber, 1997) keeps
    a cell state next to its output, with input, forget and output gates.

    Examples
    --------
    The ETH study's reference network:

    >>> from skrnn import LSTMRegressor
    >>> reference = LSTMRegressor(units=256, dropout=0.2, epochs=100, batch_size=32,
    ...                           early_stopping=10, lr_decay=0.75, lr_decay_every=10,
    ...                           normalize="zero_base")
    """


class GRURegressor(RNNRegressor):
    """:class:`RNNRegressor` with GRU cells (all parameters but ``cell``).

    The gated recurrent unit (Cho et al., 2014) has update and reset gates and
    no separate cell state: fewer weights than an LSTM of the same width.

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn import GRURegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(64, 5, 2))
    >>> y = X[:, -1, 0]
    >>> reg = GRURegressor(units=4, epochs=2, random_state=0).fit(X, y)
    >>> reg.predict(X[:3]).shape
    (3,)
    """


class SimpleRNNRegressor(RNNRegressor):
    """:class:`RNNRegressor` with plain (Elman) recurrent cells.

    Each step's output is ``tanh(W x_t + U h_{t-1} + b)``: no gates, the
    fewest weights, and the shortest memory of the three cells.

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn import SimpleRNNRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(64, 5, 2))
    >>> y = X[:, -1, 0]
    >>> reg = SimpleRNNRegressor(units=(8, 4), epochs=2, random_state=0).fit(X, y)
    >>> reg.predict(X[:3]).shape
    (3,)
    """


for _cls, _cell in ((LSTMRegressor, "lstm"), (GRURegressor, "gru"), (SimpleRNNRegressor, "rnn")):
    _with_fixed_cell(_cls, _cell)
RNNRegressor._fixed_cell = "lstm"


# --------------------------------------------------------------------------
# the transformer regressor
# --------------------------------------------------------------------------
class TransformerRegressor(WindowNetworkRegressor):
    """A self-attention (Transformer encoder) regressor over the window.

    The network is ``Dense(d_model) + positional encoding -> Dropout ->
    n_blocks x [x + Dropout(MultiHeadAttention(LayerNorm(x))), x +
    Dropout(Dense(d_model)(Dropout(Dense(ff_units, relu)(LayerNorm(x)))))] ->
    LayerNorm -> pooling -> [Dense(d) -> Dropout]* -> Dense(n_outputs)``, with
    ``d_model = n_heads * key_dim`` (each head sees ``key_dim`` of the
    ``d_model`` channels, as in Vaswani et al., 2017). Every time step of the
    window attends to every other, so the network is not bound to read the
    window in order as a recurrent one is.

    It is one of skrnn's window networks: fitting (the chronological train |
    validation | calibration split, early stopping, learning-rate decay),
    scaling (``normalize``), Monte-Carlo dropout samples, calibrated
    intervals, pickling, 2D ``y`` (MIMO) and :class:`~skrnn.RNNForecaster`'s
    ``estimator=`` work as for :class:`RNNRegressor`, whose shared
    parameters it takes with the same meaning.

    Parameters
    ----------
    n_heads : int, default=4
        Attention heads per block.
    key_dim : int, default=16
        Size of each head's queries and keys; the model width ``d_model`` is
        ``n_heads * key_dim``.
    ff_units : int, default=128
        Units of the hidden ReLU layer of each block's feed-forward part.
    n_blocks : int, default=2
        Encoder blocks (attention + feed-forward) stacked.
    positional : {"sinusoidal", "learned"} or None, default="sinusoidal"
        Positional encoding added to the projected steps: the fixed sines and
        cosines of the original Transformer, a learned ``Embedding`` of the
        step positions (``n_timesteps * d_model`` weights), or none (the
        attention then sees the steps as a set; only ``pooling="last"``
        still marks the last one).
    pooling : {"last", "average"}, default="last"
        How the encoded window becomes one vector: the last time step
        (which attends to the whole window and sits next to the forecast) or
        the average over the steps.
    dense_units : int or tuple of int, default=()
        Hidden ReLU dense layers between the pooling and the output.
    dropout : float, default=0.1
        Dropout rate after the positional encoding, on the attention weights,
        after the attention and feed-forward parts and after each hidden
        dense layer. Also the source of Monte-Carlo uncertainty.
    optimizer : str, default="adam"
        Any Keras optimizer name.
    learning_rate : float, default=1e-3
    weight_decay : float or None, default=None
        Decoupled weight decay of the optimizer (with ``optimizer="adamw"``
        this is AdamW).
    loss : str, default="mse"
        Any Keras loss name.
    epochs : int, default=100
        Maximum number of epochs.
    batch_size : int, default=32
    validation_fraction : float, default=0.1
        Fraction of the training windows held out (the *last* ones in time)
        for validation and early stopping; ``0`` uses none.
    early_stopping : int or None, default=10
        Patience in epochs; the best weights are restored. ``None`` trains
        all ``epochs``.
    lr_decay : float or None, default=None
        Multiply the learning rate by this factor every ``lr_decay_every``
        epochs.
    lr_decay_every : int, default=10
    clipnorm : float or None, default=None
        Gradient clipping by norm.
    shuffle : bool, default=True
        Shuffle the training windows each epoch (after the chronological
        split).
    normalize : {"auto", "zero_base", "last_value", "standard"} or None, default="auto"
        How windows and targets are scaled for the network (see
        :class:`RNNRegressor`); predictions always come back in the data's
        units.
    target_channel : int, default=0
        Position of the target's column in the window features.
    n_samples : int, default=100
        Monte-Carlo dropout passes for :meth:`predict_samples`,
        :meth:`predict_quantiles` and :meth:`predict_interval`.
    interval : {"conformal_vol", "conformal", "conformal_mc", "mc"}, default="conformal_vol"
        How bands are made: calibrated on the held-out tail
        (``"conformal_vol"``, ``"conformal"``, ``"conformal_mc"``) or the raw
        Monte-Carlo percentiles (``"mc"``); see :class:`RNNRegressor`.
    calibration_fraction : float, default=0.1
        Fraction of the training windows held out, after the validation
        windows, to calibrate the intervals (never trained on).
    random_state : int or None, default=None
        Seed for weights, dropout and shuffling. Same seed, same data => same
        predictions.
    verbose : int, default=0
        Keras' verbosity during fit.
    callbacks : list of keras.callbacks.Callback or None, default=None
        Extra callbacks, added after the built-in ones; they see training as
        described under :class:`RNNRegressor` (groups of batches, a compiled
        twin of the network).

    Attributes
    ----------
    model_ : keras.Model
        The trained network.
    history_ : dict of list of float
        Per-epoch ``loss`` (and ``val_loss``, ``learning_rate``).
    n_epochs_ : int
        Epochs actually run.
    n_features_in_ : int
        Features per time step (3D input) or columns (2D input).
    n_timesteps_in_ : int
        Window length seen in fit.
    n_outputs_ : int
        Number of outputs (columns of a 2D ``y``).
    scaler_ : WindowScaler
        The fitted scaling of windows and targets (``normalize`` resolved).
    calibration_ : skrnn._conformal.SplitConformal or None
        Normalised residuals of the calibration tail.
    volatility_ratio_ : float or ndarray of shape (n_outputs,)
        With ``interval="conformal_vol"``: see :class:`RNNRegressor`.
    n_windows_fit_ : int
        Windows passed to fit (training + validation + calibration).

    See Also
    --------
    RNNRegressor : the recurrent networks, same parameters for training.

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn import TransformerRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(64, 5, 2))
    >>> y = X[:, -1, 0]
    >>> reg = TransformerRegressor(n_heads=1, key_dim=4, ff_units=8, n_blocks=1,
    ...                            epochs=2, random_state=0).fit(X, y)
    >>> reg.predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints = {
        **SHARED_CONSTRAINTS,
        "n_heads": [int_at_least(1)],
        "key_dim": [int_at_least(1)],
        "ff_units": [int_at_least(1)],
        "n_blocks": [int_at_least(1)],
        "positional": [StrOptions({"sinusoidal", "learned"}), None],
        "pooling": [StrOptions({"last", "average"})],
        "dense_units": [int_at_least(1), tuple, list],
    }

    def __init__(
        self,
        n_heads=4,
        key_dim=16,
        ff_units=128,
        n_blocks=2,
        positional="sinusoidal",
        pooling="last",
        dense_units=(),
        dropout=0.1,
        optimizer="adam",
        learning_rate=1e-3,
        weight_decay=None,
        loss="mse",
        epochs=100,
        batch_size=32,
        validation_fraction=0.1,
        early_stopping=10,
        lr_decay=None,
        lr_decay_every=10,
        clipnorm=None,
        shuffle=True,
        normalize="auto",
        target_channel=0,
        n_samples=100,
        interval="conformal_vol",
        calibration_fraction=0.1,
        random_state=None,
        verbose=0,
        callbacks=None,
    ):
        store_params(self, locals())

    def _check_params(self):
        """Declared constraints, then the element rule of ``dense_units``."""
        super()._check_params()
        _as_tuple(self.dense_units, "dense_units", allow_empty=True)

    def _build_model(self, n_timesteps, n_features, n_outputs):
        model = _keras.build_transformer_network(
            n_timesteps, n_features, n_outputs, n_heads=self.n_heads, key_dim=self.key_dim,
            ff_units=self.ff_units, n_blocks=self.n_blocks, dropout=self.dropout,
            positional=self.positional, pooling=self.pooling,
            dense_units=_as_tuple(self.dense_units, "dense_units", allow_empty=True))
        return self._compile(model)


# --------------------------------------------------------------------------
# zero-base for any regressor
# --------------------------------------------------------------------------
class ZeroBaseRegressor(CentralIntervalMixin, MetaEstimatorMixin, RegressorMixin, BaseEstimator):
    """Fit any regressor on zero-base windows and predict in the data's units.

    Like :class:`~sklearn.compose.TransformedTargetRegressor`, but the
    transform depends on each window: windows become ``x / x0 - 1`` (``x0``
    their first row, zeros replaced by 1) and the target ``y / x0_target -
    1`` with ``x0_target`` the first value of the target's own channel.
    Predictions are mapped back with ``x0_target * (1 + y_hat)``.

    Parameters
    ----------
    regressor : estimator or None, default=None
        Any regressor that takes the windows: a skrnn recurrent regressor, a
        scikeras ``KerasRegressor``, or a tabular model behind
        :class:`~skrnn.FlattenWindows`. ``None`` means
        ``make_pipeline(FlattenWindows(), Ridge())``: the linear baseline on
        the same windows (as :class:`~sklearn.compose.TransformedTargetRegressor`
        defaults to ``LinearRegression``); cheap, deterministic, and the model
        a network should beat.
    target_channel : int, default=0
        Position of the target's column among the window features.

    Attributes
    ----------
    regressor_ : estimator
        The fitted clone of ``regressor``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.pipeline import make_pipeline
    >>> from skrnn import FlattenWindows, SlidingWindow, ZeroBaseRegressor
    >>> price = 100 * np.exp(np.cumsum(np.full(50, 0.01)))[:, None]
    >>> W = SlidingWindow(5).fit_transform(price[:-1])
    >>> reg = ZeroBaseRegressor(make_pipeline(FlattenWindows(), Ridge(1e-6)))
    >>> pred = reg.fit(W[4:], price[5:, 0]).predict(W[-1:])
    >>> bool(abs(pred[0] - price[-1, 0]) < 1e-3)
    True
    """

    _parameter_constraints = {
        "regressor": [HasMethods(["fit", "predict"]), None],
        "target_channel": [numbers.Integral],
    }

    def __init__(self, regressor=None, target_channel=0):
        self.regressor = regressor
        self.target_channel = target_channel

    def _regressor(self):
        """``regressor``, or ridge on the flattened windows when it is None."""
        if self.regressor is not None:
            return self.regressor
        from sklearn.linear_model import Ridge
        from sklearn.pipeline import make_pipeline

        from .preprocessing import FlattenWindows

        return make_pipeline(FlattenWindows(), Ridge())

    def fit(self, X, y, **fit_params):
        """Fit ``regressor`` on zero-base windows and targets.

        ``fit_params`` (e.g. ``sample_weight``) are passed to the regressor.
        """
        check_params(self)
        X, y, _ = validate_windows(self, X, y, reset=True)
        Xs, base = zero_base(X)
        ys = zero_base_target(y, base, self.target_channel)
        self.regressor_ = clone(self._regressor())
        if self.regressor_.get_params().get("normalize") == "auto":
            # the windows are zero-base already: "auto" defers to this scaling
            self.regressor_.set_params(normalize=None)
        self.regressor_.fit(Xs if self._input_ndim == 3 else Xs[:, :, 0], ys, **fit_params)
        self._y_ndim = y.ndim
        return self

    def _scaled(self, X):
        check_is_fitted(self, "regressor_")
        X = validate_windows(self, X, reset=False)
        Xs, base = zero_base(X)
        return (Xs if self._input_ndim == 3 else Xs[:, :, 0]), base

    def predict(self, X, return_std=False):
        """Predict in the data's units.

        ``return_std=True`` also returns the inner regressor's std (it must
        accept ``return_std``, as skrnn's networks do) mapped to the data's
        units (times the absolute base).
        """
        Xs, base = self._scaled(X)
        if not return_std:
            out = np.asarray(self.regressor_.predict(Xs), dtype=float)
            return inverse_zero_base_target(out, base, self.target_channel)
        out, std = self.regressor_.predict(Xs, return_std=True)
        pred = inverse_zero_base_target(np.asarray(out, dtype=float), base, self.target_channel)
        return pred, zero_base_spread(np.asarray(std, dtype=float), base, self.target_channel)

    def _check_sampling(self):
        if not hasattr(self._regressor(), "predict_samples"):
            raise ValueError(
                f"{type(self._regressor()).__name__} has no predict_samples; use a skrnn "
                "recurrent regressor with dropout for intervals."
            )

    def predict_samples(self, X, n_samples=None):
        """Samples of the inner regressor's ``predict_samples`` in data units."""
        self._check_sampling()
        Xs, base = self._scaled(X)
        out = np.asarray(self.regressor_.predict_samples(Xs, n_samples=n_samples), dtype=float)
        squeeze = out.ndim == 2  # (n_samples, n_windows): a 1D target
        out = inverse_zero_base_target(out[..., None] if squeeze else out, base, self.target_channel)
        return out[..., 0] if squeeze else out

    def predict_quantiles(self, X, quantiles=(0.05, 0.5, 0.95), n_samples=None):
        """The inner regressor's quantiles (calibrated by default) in data units.

        Returns
        -------
        q : ndarray of shape (n_windows, n_quantiles) or (n_windows, n_outputs, n_quantiles)
        """
        self._check_sampling()
        levels = check_quantiles(quantiles)
        Xs, base = self._scaled(X)
        q = np.asarray(self.regressor_.predict_quantiles(Xs, quantiles=levels, n_samples=n_samples))
        lead = np.moveaxis(q, -1, 0)  # (n_quantiles, n_windows[, n_outputs])
        if lead.ndim == 2:
            lead = lead[..., None]
        back = inverse_zero_base_target(lead, base, self.target_channel)
        back = np.moveaxis(back if q.ndim == 3 else back[..., 0], 0, -1)
        return np.sort(back, axis=-1) if np.all(np.diff(levels) >= 0) else back  # a negative base flips

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.target_tags.multi_output = True
        if self.regressor is not None:  # the default ridge keeps the base tags
            inner = get_tags(self.regressor)
            # scikeras 0.13 reports no regressor_tags (its mixin order predates sklearn 1.6)
            if inner.regressor_tags is not None:
                tags.regressor_tags.poor_score = inner.regressor_tags.poor_score
            tags.non_deterministic = inner.non_deterministic
        return tags
