"""Recurrent-network regressors and the zero-base meta-estimator.

All estimators take windows: a 3D array ``(n_windows, n_timesteps,
n_features)`` as produced by :class:`~skrnn.SlidingWindow`, or a 2D array
``(n_windows, n_timesteps)`` read as univariate windows (one feature). A 1D
``y`` gives one output; a 2D ``y`` of shape ``(n_windows, H)`` trains ``H``
outputs at once (multi-step MIMO).

Keras (and TensorFlow) is imported only when a model is built or loaded.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import numbers
import os
import tempfile
import warnings

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, RegressorMixin, clone
from sklearn.utils import get_tags
from sklearn.utils.validation import check_is_fitted

from ._validation import check_positive_int, validate_windows
from .preprocessing import inverse_zero_base_target, zero_base, zero_base_target

__all__ = [
    "RNNRegressor",
    "LSTMRegressor",
    "GRURegressor",
    "SimpleRNNRegressor",
    "ZeroBaseRegressor",
]

_CELLS = {"lstm": "LSTM", "gru": "GRU", "rnn": "SimpleRNN"}


def _keras():
    """Import Keras lazily (quiet TensorFlow's C++ start-up log)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    return keras


class _NoRetracingHint(logging.Filter):
    """Drop TensorFlow's "triggered tf.function retracing" hint.

    Every fitted network owns its compiled train and predict functions, so a
    grid search that fits many networks traces many functions by design;
    TensorFlow then suggests a fix for a problem that is not there.
    """

    def filter(self, record):
        return "triggered tf.function retracing" not in record.getMessage()


@contextlib.contextmanager
def _quiet_retracing():
    """Hide the retracing hint during skrnn's own Keras calls only."""
    logger = logging.getLogger("tensorflow")
    hint = _NoRetracingHint()
    logger.addFilter(hint)
    try:
        yield
    finally:
        logger.removeFilter(hint)


# --------------------------------------------------------------------------
# Monte-Carlo sampling -> quantiles and intervals
# --------------------------------------------------------------------------
class _SamplingMixin:
    """``predict_quantiles`` / ``predict_interval`` from ``predict_samples``."""

    def predict_quantiles(self, X, quantiles=(0.05, 0.5, 0.95), n_samples=None):
        """Quantiles of the Monte-Carlo dropout predictive distribution.

        Parameters
        ----------
        X : array-like of windows
        quantiles : sequence of float in [0, 1], default=(0.05, 0.5, 0.95)
        n_samples : int, optional
            Forward passes; defaults to the estimator's ``n_samples``.

        Returns
        -------
        q : ndarray of shape (n_windows, n_quantiles) for a 1D target, or
            (n_windows, n_outputs, n_quantiles) for a 2D target.
        """
        q = np.asarray(quantiles, dtype=float)
        if q.ndim != 1 or q.size == 0 or np.any((q < 0) | (q > 1)):
            raise ValueError(f"quantiles must be a non-empty list of floats in [0, 1], got {quantiles!r}.")
        samples = self.predict_samples(X, n_samples=n_samples)
        return np.moveaxis(np.quantile(samples, q, axis=0), 0, -1)

    def predict_interval(self, X, coverage=0.9, n_samples=None):
        """Central prediction interval from Monte-Carlo dropout.

        ``coverage=0.9`` is the 5th-95th percentile band.

        Returns
        -------
        lower, upper : ndarrays shaped like :meth:`predict`'s output.
        """
        if isinstance(coverage, bool) or not isinstance(coverage, numbers.Real) or not 0 < coverage < 1:
            raise ValueError(f"coverage must be a float in (0, 1), got {coverage!r}.")
        alpha = (1.0 - coverage) / 2.0
        q = self.predict_quantiles(X, quantiles=(alpha, 1.0 - alpha), n_samples=n_samples)
        return q[..., 0], q[..., 1]


def _n_samples(est, n_samples):
    n = est.n_samples if n_samples is None else n_samples
    return check_positive_int(n, "n_samples")


# --------------------------------------------------------------------------
# the recurrent regressor
# --------------------------------------------------------------------------
class RNNRegressor(_SamplingMixin, RegressorMixin, BaseEstimator):
    """A recurrent-network regressor built from plain hyper-parameters.

    The network is ``[Bidirectional](cell(units[0])) -> Dropout -> ... ->
    cell(units[-1]) -> Dropout -> [Dense(d) -> Dropout]* -> Dense(n_outputs)``.
    :class:`LSTMRegressor`, :class:`GRURegressor` and
    :class:`SimpleRNNRegressor` fix ``cell``.

    The lab's model (``LSTM(256) -> Dropout(0.2) -> Dense(1)``, Adam, MSE,
    batch 32, early stopping with patience 10 restoring the best weights,
    learning rate x0.75 every 10 epochs, zero-base windows) is::

        LSTMRegressor(units=256, dropout=0.2, epochs=100, batch_size=32,
                      early_stopping=10, lr_decay=0.75, lr_decay_every=10,
                      normalize="zero_base")

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
        epochs (the lab: 0.75 every 10).
    lr_decay_every : int, default=10
    clipnorm : float or None, default=None
        Gradient clipping by norm.
    shuffle : bool, default=True
        Shuffle the training windows each epoch (windows are independent
        samples; the chronological split is done before shuffling).
    normalize : {None, "zero_base"}, default=None
        ``"zero_base"`` scales every window by its first row (``x / x0 - 1``)
        and the target by the first value of its own channel, and maps
        predictions back, so :meth:`predict` returns the data's units. It is
        the same mechanism as :class:`ZeroBaseRegressor`.
    target_channel : int, default=0
        Position of the target's column in the window features, used by
        ``normalize="zero_base"``.
    n_samples : int, default=100
        Monte-Carlo dropout passes for :meth:`predict_samples`,
        :meth:`predict_quantiles` and :meth:`predict_interval`.
    random_state : int or None, default=None
        Seed for weights, dropout and shuffling (through
        ``keras.utils.set_random_seed``). Same seed, same data => same
        predictions.
    verbose : int, default=0
        Keras' verbosity during fit.
    callbacks : list of keras.callbacks.Callback or None, default=None
        Extra callbacks, added after the built-in ones.

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
        loss="mse",
        epochs=100,
        batch_size=32,
        validation_fraction=0.1,
        early_stopping=10,
        lr_decay=None,
        lr_decay_every=10,
        clipnorm=None,
        shuffle=True,
        normalize=None,
        target_channel=0,
        n_samples=100,
        random_state=None,
        verbose=0,
        callbacks=None,
    ):
        self.cell = cell
        self.units = units
        self.dropout = dropout
        self.recurrent_dropout = recurrent_dropout
        self.bidirectional = bidirectional
        self.dense_units = dense_units
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.loss = loss
        self.epochs = epochs
        self.batch_size = batch_size
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.lr_decay = lr_decay
        self.lr_decay_every = lr_decay_every
        self.clipnorm = clipnorm
        self.shuffle = shuffle
        self.normalize = normalize
        self.target_channel = target_channel
        self.n_samples = n_samples
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks

    # ------------------------------------------------------------------ params
    def _cell_name(self):
        cell = getattr(self, "cell", None) or self._fixed_cell
        if cell not in _CELLS:
            raise ValueError(f"cell must be one of {sorted(_CELLS)}, got {cell!r}.")
        return cell

    def _check_params(self):
        self._cell_name()
        units = _as_tuple(self.units, "units")
        _as_tuple(self.dense_units, "dense_units", allow_empty=True)
        for name in ("dropout", "recurrent_dropout"):
            v = getattr(self, name)
            if not isinstance(v, numbers.Real) or not 0 <= v < 1:
                raise ValueError(f"{name} must be a float in [0, 1), got {v!r}.")
        vf = self.validation_fraction
        if not isinstance(vf, numbers.Real) or not 0 <= vf < 1:
            raise ValueError(f"validation_fraction must be a float in [0, 1), got {vf!r}.")
        check_positive_int(self.epochs, "epochs")
        check_positive_int(self.batch_size, "batch_size")
        check_positive_int(self.lr_decay_every, "lr_decay_every")
        if self.early_stopping is not None:
            check_positive_int(self.early_stopping, "early_stopping")
        if self.lr_decay is not None and not (isinstance(self.lr_decay, numbers.Real) and 0 < self.lr_decay <= 1):
            raise ValueError(f"lr_decay must be a float in (0, 1] or None, got {self.lr_decay!r}.")
        if not isinstance(self.learning_rate, numbers.Real) or self.learning_rate <= 0:
            raise ValueError(f"learning_rate must be a positive float, got {self.learning_rate!r}.")
        if self.clipnorm is not None and (not isinstance(self.clipnorm, numbers.Real) or self.clipnorm <= 0):
            raise ValueError(f"clipnorm must be a positive float or None, got {self.clipnorm!r}.")
        if self.normalize not in (None, "zero_base"):
            raise ValueError(
                f'normalize must be None or "zero_base", got {self.normalize!r}. For '
                "global scaling put a MinMaxScaler/StandardScaler before SlidingWindow "
                "and use TransformedTargetRegressor."
            )
        if self.random_state is not None and (
            isinstance(self.random_state, bool) or not isinstance(self.random_state, numbers.Integral)
        ):
            raise ValueError(f"random_state must be an int or None, got {self.random_state!r}.")
        return units

    # ------------------------------------------------------------------ model
    def _build_model(self, n_timesteps, n_features, n_outputs):
        keras = _keras()
        layers = keras.layers
        units = _as_tuple(self.units, "units")
        Cell = getattr(layers, _CELLS[self._cell_name()])
        inputs = keras.Input(shape=(n_timesteps, n_features), name="windows")
        x = inputs
        for i, u in enumerate(units):
            layer = Cell(u, return_sequences=i < len(units) - 1,
                         recurrent_dropout=self.recurrent_dropout)
            if self.bidirectional:
                layer = layers.Bidirectional(layer)
            x = layer(x)
            if self.dropout > 0:
                x = layers.Dropout(self.dropout)(x)
        for d in _as_tuple(self.dense_units, "dense_units", allow_empty=True):
            x = layers.Dense(d, activation="relu")(x)
            if self.dropout > 0:
                x = layers.Dropout(self.dropout)(x)
        outputs = layers.Dense(n_outputs, name="output")(x)
        model = keras.Model(inputs, outputs)
        config = {"learning_rate": float(self.learning_rate)}
        if self.clipnorm is not None:
            config["clipnorm"] = float(self.clipnorm)
        try:
            optimizer = keras.optimizers.get({"class_name": self.optimizer, "config": config})
        except (ValueError, TypeError) as exc:
            raise ValueError(f"Unknown Keras optimizer {self.optimizer!r}: {exc}") from None
        try:
            keras.losses.get(self.loss)
        except (ValueError, TypeError):
            raise ValueError(
                f"Unknown Keras loss {self.loss!r}; use a name such as 'mse', 'mae', "
                "'huber' or a keras.losses.Loss instance."
            ) from None
        model.compile(optimizer=optimizer, loss=self.loss)
        return model

    def _callbacks(self, has_validation):
        keras = _keras()
        cbs = []
        if self.early_stopping is not None:
            cbs.append(keras.callbacks.EarlyStopping(
                monitor="val_loss" if has_validation else "loss",
                patience=self.early_stopping, restore_best_weights=True))
        if self.lr_decay is not None and self.lr_decay != 1:
            decay, every = float(self.lr_decay), int(self.lr_decay_every)
            cbs.append(keras.callbacks.LearningRateScheduler(
                lambda epoch, lr: lr * decay if epoch > 0 and epoch % every == 0 else lr))
        extra = list(self.callbacks or [])
        bad = [cb for cb in extra if not isinstance(cb, keras.callbacks.Callback)]
        if bad:
            raise ValueError(
                f"callbacks must be keras.callbacks.Callback instances; got {bad[0]!r}."
            )
        return cbs + extra

    # ------------------------------------------------------------------ fit
    def fit(self, X, y, sample_weight=None):
        """Train the network on windows ``X`` and targets ``y``.

        Parameters
        ----------
        X : array-like of shape (n_windows, n_timesteps, n_features) or (n_windows, n_timesteps)
        y : array-like of shape (n_windows,) or (n_windows, n_outputs)
        sample_weight : array-like of shape (n_windows,), optional

        Returns
        -------
        self
        """
        self._check_params()
        X, y, sample_weight = validate_windows(self, X, y, reset=True, sample_weight=sample_weight)
        self._y_ndim = y.ndim
        Y = y.reshape(len(y), -1)
        if self.normalize == "zero_base":
            X, base = zero_base(X)
            Y = zero_base_target(Y, base, self.target_channel)
        self.n_outputs_ = Y.shape[1]
        keras = _keras()
        if self.random_state is not None:
            keras.utils.set_random_seed(int(self.random_state))
        X = X.astype(np.float32)
        Y = Y.astype(np.float32)
        n = len(X)
        n_val = int(self.validation_fraction * n) if self.validation_fraction else 0
        if n_val and n - n_val < 1:
            n_val = 0
        fit_kwargs = {}
        if n_val:
            val = (X[n - n_val:], Y[n - n_val:])
            if sample_weight is not None:
                val = val + (sample_weight[n - n_val:],)
            fit_kwargs["validation_data"] = val
            X, Y = X[: n - n_val], Y[: n - n_val]
            sample_weight = None if sample_weight is None else sample_weight[: n - n_val]
        self.model_ = self._build_model(X.shape[1], X.shape[2], self.n_outputs_)
        self._mc_model = None
        with _quiet_retracing():
            hist = self.model_.fit(
                X, Y, sample_weight=sample_weight, epochs=int(self.epochs),
                batch_size=int(self.batch_size), shuffle=bool(self.shuffle),
                verbose=self.verbose, callbacks=self._callbacks(bool(n_val)), **fit_kwargs,
            )
        self.history_ = {k: [float(v) for v in vals] for k, vals in hist.history.items()}
        self.n_epochs_ = len(self.history_.get("loss", []))
        return self

    # ------------------------------------------------------------------ predict
    def _prepare(self, X):
        check_is_fitted(self, "model_")
        X = validate_windows(self, X, reset=False)
        base = None
        if self.normalize == "zero_base":
            X, base = zero_base(X)
        return X.astype(np.float32), base

    def _finish(self, out, base):
        """Map network outputs back to the data's units and ``y``'s shape."""
        if base is not None:
            out = inverse_zero_base_target(out, base, self.target_channel)
        out = out.astype(np.float64)
        return out[..., 0] if self._y_ndim == 1 else out

    def predict(self, X):
        """Predict in the data's units.

        Returns
        -------
        y_pred : ndarray of shape (n_windows,) or (n_windows, n_outputs)
        """
        Xs, base = self._prepare(X)
        out = _batched_predict(self.model_, Xs)
        return self._finish(out, base)

    def predict_samples(self, X, n_samples=None):
        """Monte-Carlo dropout samples: dropout stays on at inference.

        All passes run as one batched forward pass over the windows repeated
        ``n_samples`` times (in chunks of 8192 rows, without materialising
        the repeated array). With an int ``random_state`` the dropout masks
        are drawn from that seed on every call, so samples, quantiles and
        intervals are the same on every call and after pickling; with
        ``random_state=None`` every call draws afresh.

        Returns
        -------
        samples : ndarray of shape (n_samples, n_windows) or (n_samples, n_windows, n_outputs)
        """
        n_samples = _n_samples(self, n_samples)
        if self.dropout == 0 and self.recurrent_dropout == 0:
            raise ValueError(
                "Monte-Carlo dropout needs dropout > 0 or recurrent_dropout > 0; this "
                "model was built without dropout, so all passes would be identical."
            )
        Xs, base = self._prepare(X)
        n = len(Xs)
        if self.random_state is not None:
            reset_dropout_seeds(self.model_, self.random_state)
        out = _batched_predict(self._mc(), Xs, n_rows=n_samples * n).reshape(n_samples, n, -1)
        if base is not None:
            out = _inverse_samples(out, base, self.target_channel)
        out = out.astype(np.float64)
        return out[..., 0] if self._y_ndim == 1 else out

    def _mc(self):
        if getattr(self, "_mc_model", None) is None:
            self._mc_model = _mc_dropout_model(_keras(), self.model_)
        return self._mc_model

    # ------------------------------------------------------------------ pickling
    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_mc_model", None)
        if "model_" in state:
            state["model_"] = _model_to_bytes(state["model_"])
        return state

    def __setstate__(self, state):
        if isinstance(state.get("model_"), bytes):
            state["model_"] = _model_from_bytes(state["model_"])
        self.__dict__.update(state)
        self._mc_model = None

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.target_tags.multi_output = True
        tags.regressor_tags.poor_score = True
        tags.non_deterministic = self.random_state is None
        return tags


def _inverse_samples(out, base, target_channel):
    """Zero-base inverse for MC samples shaped (n_samples, n, n_outputs)."""
    b = np.asarray(base, dtype=float)[:, target_channel]
    return b[None, :, None] * (1.0 + out)


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


_PREDICT_BATCH = 8192


def _batched_predict(model, X, n_rows=None):
    """Forward ``n_rows`` rows through ``model`` in large compiled batches.

    Row ``r`` is ``X[r % len(X)]``, so Monte-Carlo passes over the windows
    repeated ``n_samples`` times never materialise the repeated array: each
    chunk of at most ``_PREDICT_BATCH`` rows is gathered, run, and written
    into one preallocated output.
    """
    n = len(X)
    n_rows = n if n_rows is None else n_rows
    with _quiet_retracing():
        if n_rows <= _PREDICT_BATCH and n_rows == n:
            return np.asarray(model.predict_on_batch(X))
        out = None
        for start in range(0, n_rows, _PREDICT_BATCH):
            stop = min(start + _PREDICT_BATCH, n_rows)
            part = np.asarray(model.predict_on_batch(X[np.arange(start, stop) % n]))
            if out is None:
                out = np.empty((n_rows,) + part.shape[1:], dtype=part.dtype)
            out[start:stop] = part
    return out


def reset_dropout_seeds(model, seed):
    """Reset the dropout random state of a Keras model to ``seed``.

    Keras draws dropout masks from per-layer seed generators whose state
    advances on every call; resetting them makes a Monte-Carlo draw depend
    only on ``seed`` and the weights.
    """
    i = 0
    for layer in model._flatten_layers(include_self=True, recursive=True):
        for gen in getattr(layer, "_seed_generators", ()):
            state = gen.state
            dtype = np.dtype(getattr(state.dtype, "name", state.dtype))
            state.assign(np.array([(int(seed) * 7919 + i) % 2**31, 0], dtype=dtype))
            i += 1


def _mc_dropout_model(keras, model):
    """A wrapper that runs ``model`` with dropout kept on (training=True)."""

    class MCDropout(keras.Model):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def call(self, x):
            return self.inner(x, training=True)

    return MCDropout(model)


def _model_to_bytes(model):
    keras = _keras()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.keras")
        keras.saving.save_model(model, path)
        with open(path, "rb") as fh:
            return fh.read()


def _model_from_bytes(data):
    keras = _keras()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.keras")
        with open(path, "wb") as fh:
            fh.write(data)
        return keras.saving.load_model(path)


def _with_fixed_cell(cls, cell):
    """Give a subclass the base's constructor without the ``cell`` parameter.

    sklearn reads hyper-parameters from the ``__init__`` signature, so the
    subclass exposes every base parameter except ``cell``, which is fixed.
    """
    base_sig = inspect.signature(RNNRegressor.__init__)
    params = [p for name, p in base_sig.parameters.items() if name != "cell"]
    sig = base_sig.replace(parameters=params)
    names = [p.name for p in params[1:]]
    defaults = {p.name: p.default for p in params[1:]}

    def __init__(self, *args, **kwargs):
        bound = sig.bind(self, *args, **kwargs)
        values = {**defaults, **{k: v for k, v in bound.arguments.items() if k != "self"}}
        for name in names:
            setattr(self, name, values[name])

    __init__.__signature__ = sig
    __init__.__doc__ = RNNRegressor.__init__.__doc__
    cls.__init__ = __init__
    cls._fixed_cell = cell
    return cls


class LSTMRegressor(RNNRegressor):
    """:class:`RNNRegressor` with LSTM cells (all parameters but ``cell``).

    Examples
    --------
    >>> from skrnn import LSTMRegressor
    >>> lab = LSTMRegressor(units=256, dropout=0.2, epochs=100, batch_size=32,
    ...                     early_stopping=10, lr_decay=0.75, lr_decay_every=10,
    ...                     normalize="zero_base")
    """


class GRURegressor(RNNRegressor):
    """:class:`RNNRegressor` with GRU cells (all parameters but ``cell``)."""


class SimpleRNNRegressor(RNNRegressor):
    """:class:`RNNRegressor` with plain (Elman) recurrent cells."""


for _cls, _cell in ((LSTMRegressor, "lstm"), (GRURegressor, "gru"), (SimpleRNNRegressor, "rnn")):
    _with_fixed_cell(_cls, _cell)
RNNRegressor._fixed_cell = "lstm"


# --------------------------------------------------------------------------
# zero-base for any regressor
# --------------------------------------------------------------------------
class ZeroBaseRegressor(_SamplingMixin, MetaEstimatorMixin, RegressorMixin, BaseEstimator):
    """Fit any regressor on zero-base windows and predict in the data's units.

    Like :class:`~sklearn.compose.TransformedTargetRegressor`, but the
    transform depends on each window: windows become ``x / x0 - 1`` (``x0``
    their first row, zeros replaced by 1) and the target ``y / x0_target -
    1`` with ``x0_target`` the first value of the target's own channel.
    Predictions are mapped back with ``x0_target * (1 + y_hat)``.

    Parameters
    ----------
    regressor : estimator
        Any regressor that takes the windows: a skrnn recurrent regressor, a
        scikeras ``KerasRegressor``, or a tabular model behind
        :class:`~skrnn.FlattenWindows` (``make_pipeline(FlattenWindows(),
        Ridge())``).
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

    def __init__(self, regressor=None, target_channel=0):
        self.regressor = regressor
        self.target_channel = target_channel

    def fit(self, X, y, **fit_params):
        """Fit ``regressor`` on zero-base windows and targets.

        ``fit_params`` (e.g. ``sample_weight``) are passed to the regressor.
        """
        if self.regressor is None:
            raise ValueError(
                "ZeroBaseRegressor needs a regressor, e.g. "
                "ZeroBaseRegressor(LSTMRegressor()) or "
                "ZeroBaseRegressor(make_pipeline(FlattenWindows(), Ridge()))."
            )
        X, y, _ = validate_windows(self, X, y, reset=True)
        Xs, base = zero_base(X)
        ys = zero_base_target(y, base, self.target_channel)
        self.regressor_ = clone(self.regressor)
        self.regressor_.fit(Xs if self._input_ndim == 3 else Xs[:, :, 0], ys, **fit_params)
        self._y_ndim = y.ndim
        return self

    def _scaled(self, X):
        check_is_fitted(self, "regressor_")
        X = validate_windows(self, X, reset=False)
        Xs, base = zero_base(X)
        return (Xs if self._input_ndim == 3 else Xs[:, :, 0]), base

    def predict(self, X):
        """Predict in the data's units."""
        Xs, base = self._scaled(X)
        out = np.asarray(self.regressor_.predict(Xs), dtype=float)
        return inverse_zero_base_target(out, base, self.target_channel)

    def predict_samples(self, X, n_samples=None):
        """Samples of the inner regressor's ``predict_samples`` in data units."""
        if not hasattr(self.regressor, "predict_samples"):
            raise ValueError(
                f"{type(self.regressor).__name__} has no predict_samples; use a skrnn "
                "recurrent regressor with dropout for intervals."
            )
        Xs, base = self._scaled(X)
        out = np.asarray(self.regressor_.predict_samples(Xs, n_samples=n_samples), dtype=float)
        squeeze = out.ndim == 2
        out = _inverse_samples(out[..., None] if squeeze else out, base, self.target_channel)
        return out[..., 0] if squeeze else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.target_tags.multi_output = True
        if self.regressor is not None:
            inner = get_tags(self.regressor)
            # scikeras 0.13 reports no regressor_tags (its mixin order predates sklearn 1.6)
            if inner.regressor_tags is not None:
                tags.regressor_tags.poor_score = inner.regressor_tags.poor_score
            tags.non_deterministic = inner.non_deterministic
        return tags
