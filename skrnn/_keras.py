"""The Keras room: every line of skrnn that touches Keras or TensorFlow.

The estimators describe *what* network to build (plain hyper-parameters);
this module builds it, trains it, runs it (batched, and with Monte-Carlo
dropout), seeds its dropout and turns it into bytes and back. Nothing else
in skrnn imports ``keras`` or ``tensorflow``; other modules call the
functions listed in ``__all__`` (the documented helpers of this room).

Keras is imported lazily, on the first call that needs it, so ``import
skrnn`` stays free of TensorFlow.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
import warnings

import numpy as np

__all__ = [
    "CELLS",
    "import_keras",
    "import_keras_quietly",
    "quiet_retracing",
    "build_recurrent_network",
    "compile_network",
    "training_callbacks",
    "set_global_seed",
    "fit_network",
    "batched_predict",
    "mc_dropout_model",
    "reset_dropout_seeds",
    "seed_dropout",
    "model_to_bytes",
    "model_from_bytes",
    "epoch_logger_class",
    "NetworkMixin",
]

#: skrnn's cell names -> Keras layer class names.
CELLS = {"lstm": "LSTM", "gru": "GRU", "rnn": "SimpleRNN"}

#: TensorFlow's C++ log level while skrnn loads it: errors only (3 would also
#: hide fatal errors; 2 keeps them, and both the library and the CLI use it).
_TF_CPP_LOG_LEVEL = "2"

#: Rows per compiled forward call (predict and Monte-Carlo passes).
PREDICT_BATCH = 8192


# --------------------------------------------------------------------------
# import
# --------------------------------------------------------------------------
def import_keras():
    """Import Keras lazily, with TensorFlow's C++ start-up log quieted."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", _TF_CPP_LOG_LEVEL)
    import keras

    return keras


def import_keras_quietly():
    """Import Keras with every start-up line of TensorFlow silenced (CLI).

    TensorFlow prints a few INFO lines from C++ while it loads, before its
    log level applies. File descriptor 2 goes to a temporary file during the
    import and is replayed only if the import fails. Python-side TensorFlow
    logging is set to errors, and the deprecation noise of Keras, TensorFlow
    and sktime is hidden.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", _TF_CPP_LOG_LEVEL)
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", category=FutureWarning, module=r"sktime\..*")
    warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"(keras|tensorflow)\..*")
    if "tensorflow" in sys.modules:
        return import_keras()
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        fd = None  # stderr is not a real file (captured in tests)
    if fd is None:
        return import_keras()
    sys.stderr.flush()
    saved = os.dup(fd)
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), fd)
        failed = None
        try:
            keras = import_keras()
        except Exception as exc:  # pragma: no cover - broken installation
            failed = exc
        finally:
            os.dup2(saved, fd)
            os.close(saved)
        if failed is not None:  # pragma: no cover
            tmp.seek(0)
            sys.stderr.write(tmp.read().decode("utf-8", "replace"))
            raise failed
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
def quiet_retracing():
    """Hide the retracing hint during skrnn's own Keras calls only."""
    logger = logging.getLogger("tensorflow")
    hint = _NoRetracingHint()
    logger.addFilter(hint)
    try:
        yield
    finally:
        logger.removeFilter(hint)


# --------------------------------------------------------------------------
# build, compile, train
# --------------------------------------------------------------------------
def build_recurrent_network(n_timesteps, n_features, n_outputs, *, cell, units, dropout,
                            recurrent_dropout, bidirectional, dense_units):
    """``[Bidirectional](cell(u)) -> Dropout`` per ``units``, dense head, linear output.

    ``units`` and ``dense_units`` are tuples of ints; all recurrent layers
    but the last return sequences.
    """
    keras = import_keras()
    layers = keras.layers
    Cell = getattr(layers, CELLS[cell])
    inputs = keras.Input(shape=(n_timesteps, n_features), name="windows")
    x = inputs
    for i, u in enumerate(units):
        layer = Cell(u, return_sequences=i < len(units) - 1, recurrent_dropout=recurrent_dropout)
        if bidirectional:
            layer = layers.Bidirectional(layer)
        x = layer(x)
        if dropout > 0:
            x = layers.Dropout(dropout)(x)
    for d in dense_units:
        x = layers.Dense(d, activation="relu")(x)
        if dropout > 0:
            x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(n_outputs, name="output")(x)
    return keras.Model(inputs, outputs)


def compile_network(model, *, optimizer, learning_rate, clipnorm, loss, weight_decay=None):
    """Compile with a named optimizer and loss; unknown names raise ValueError."""
    keras = import_keras()
    config = {"learning_rate": float(learning_rate)}
    if weight_decay is not None:
        config["weight_decay"] = float(weight_decay)
    if clipnorm is not None:
        config["clipnorm"] = float(clipnorm)
    try:
        opt = keras.optimizers.get({"class_name": optimizer, "config": config})
    except (ValueError, TypeError) as exc:
        raise ValueError(f"Unknown Keras optimizer {optimizer!r}: {exc}") from None
    try:
        keras.losses.get(loss)
    except (ValueError, TypeError):
        raise ValueError(
            f"Unknown Keras loss {loss!r}; use a name such as 'mse', 'mae', "
            "'huber' or a keras.losses.Loss instance."
        ) from None
    model.compile(optimizer=opt, loss=loss)
    return model


def training_callbacks(*, early_stopping, has_validation, lr_decay, lr_decay_every, extra):
    """Early stopping (best weights restored), step learning-rate decay, user callbacks."""
    keras = import_keras()
    cbs = []
    if early_stopping is not None:
        cbs.append(keras.callbacks.EarlyStopping(
            monitor="val_loss" if has_validation else "loss",
            patience=int(early_stopping), restore_best_weights=True))
    if lr_decay is not None and lr_decay != 1:
        decay, every = float(lr_decay), int(lr_decay_every)
        cbs.append(keras.callbacks.LearningRateScheduler(
            lambda epoch, lr: lr * decay if epoch > 0 and epoch % every == 0 else lr))
    extra = list(extra or [])
    bad = [cb for cb in extra if not isinstance(cb, keras.callbacks.Callback)]
    if bad:
        raise ValueError(f"callbacks must be keras.callbacks.Callback instances; got {bad[0]!r}.")
    return cbs + extra


def set_global_seed(seed):
    """Seed Python, numpy and the backend (``keras.utils.set_random_seed``)."""
    import_keras().utils.set_random_seed(int(seed))


def fit_network(model, X, Y, *, sample_weight, epochs, batch_size, shuffle, verbose,
                callbacks, validation_data):
    """Train ``model`` and return its history as plain floats."""
    kwargs = {} if validation_data is None else {"validation_data": validation_data}
    with quiet_retracing():
        hist = model.fit(X, Y, sample_weight=sample_weight, epochs=int(epochs),
                         batch_size=int(batch_size), shuffle=bool(shuffle), verbose=verbose,
                         callbacks=callbacks, **kwargs)
    return {k: [float(v) for v in vals] for k, vals in hist.history.items()}


# --------------------------------------------------------------------------
# predict and Monte-Carlo dropout
# --------------------------------------------------------------------------
def batched_predict(model, X, n_rows=None):
    """Forward ``n_rows`` rows through ``model`` in large compiled batches.

    Row ``r`` is ``X[r % len(X)]``, so Monte-Carlo passes over the windows
    repeated ``n_samples`` times never materialise the repeated array: each
    chunk of at most ``PREDICT_BATCH`` rows is gathered, run, and written
    into one preallocated output.
    """
    n = len(X)
    n_rows = n if n_rows is None else n_rows
    with quiet_retracing():
        if n_rows <= PREDICT_BATCH and n_rows == n:
            return np.asarray(model.predict_on_batch(X))
        out = None
        for start in range(0, n_rows, PREDICT_BATCH):
            stop = min(start + PREDICT_BATCH, n_rows)
            part = np.asarray(model.predict_on_batch(X[np.arange(start, stop) % n]))
            if out is None:
                out = np.empty((n_rows,) + part.shape[1:], dtype=part.dtype)
            out[start:stop] = part
    return out


def mc_dropout_model(model):
    """A wrapper that runs ``model`` with dropout kept on (``training=True``)."""
    keras = import_keras()

    class MCDropout(keras.Model):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def call(self, x):
            return self.inner(x, training=True)

    return MCDropout(model)


def reset_dropout_seeds(model, seed):
    """Reset the dropout random state of a Keras model to ``seed``.

    Keras draws dropout masks from per-layer seed generators whose state
    advances on every call; resetting them makes a Monte-Carlo draw depend
    only on ``seed`` and the weights (repeatable, also after pickling).
    """
    i = 0
    for layer in model._flatten_layers(include_self=True, recursive=True):
        for gen in getattr(layer, "_seed_generators", ()):
            state = gen.state
            dtype = np.dtype(getattr(state.dtype, "name", state.dtype))
            state.assign(np.array([(int(seed) * 7919 + i) % 2**31, 0], dtype=dtype))
            i += 1


def _keras_models(est, depth=0):
    """Fitted Keras models inside a skrnn regressor (or a wrapper around one)."""
    if est is None or depth > 4:
        return
    model = getattr(est, "model_", None)
    if model is not None:
        yield model
    inner = getattr(est, "regressor_", None)
    if inner is not None:
        yield from _keras_models(inner, depth + 1)
    for _, step in getattr(est, "steps", []) or []:
        yield from _keras_models(step, depth + 1)


def seed_dropout(estimator, seed):
    """:func:`reset_dropout_seeds` on every network inside ``estimator``.

    Finds the ``model_`` of a skrnn regressor, of a meta-estimator's
    ``regressor_`` and of the steps of a pipeline.
    """
    for model in _keras_models(estimator):
        reset_dropout_seeds(model, seed)


# --------------------------------------------------------------------------
# persistence
# --------------------------------------------------------------------------
def model_to_bytes(model):
    """The ``.keras`` archive of ``model`` as bytes (weights and architecture)."""
    keras = import_keras()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.keras")
        keras.saving.save_model(model, path)
        with open(path, "rb") as fh:
            return fh.read()


def model_from_bytes(data):
    """Load a network written by :func:`model_to_bytes`."""
    keras = import_keras()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.keras")
        with open(path, "wb") as fh:
            fh.write(data)
        return keras.saving.load_model(path)


class NetworkMixin:
    """Forward passes and pickling for an estimator holding a fitted ``model_``.

    Gives batched forward passes (:meth:`_forward`), Monte-Carlo dropout
    passes with seeded masks (:meth:`_forward_mc`), and pickling through the
    ``.keras`` archive (the network travels as bytes; the Monte-Carlo wrapper
    is rebuilt on first use).
    """

    def _forward(self, Xs):
        """The network on float32 windows: ``(n, n_outputs)``."""
        return batched_predict(self.model_, Xs)

    def _forward_mc(self, Xs, n_samples, seed):
        """``n_samples`` passes with dropout on: ``(n_samples, n, n_outputs)``.

        With an int ``seed`` the dropout masks are drawn from it on every
        call, so the passes repeat (also after pickling).
        """
        if seed is not None:
            reset_dropout_seeds(self.model_, seed)
        if getattr(self, "_mc_model", None) is None:
            self._mc_model = mc_dropout_model(self.model_)
        n = len(Xs)
        return batched_predict(self._mc_model, Xs, n_rows=n_samples * n).reshape(n_samples, n, -1)

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_mc_model", None)
        if "model_" in state:
            state["model_"] = model_to_bytes(state["model_"])
        return state

    def __setstate__(self, state):
        if isinstance(state.get("model_"), bytes):
            state["model_"] = model_from_bytes(state["model_"])
        self.__dict__.update(state)
        self._mc_model = None


# --------------------------------------------------------------------------
# progress
# --------------------------------------------------------------------------
_EPOCH_LOGGER = None


def epoch_logger_class():
    """A Keras callback class printing one line per epoch (built on first use).

    ``EpochLogger(label, write)`` calls ``write("[label] epoch e/E loss=...
    val_loss=...")`` after each epoch and counts the fits it has seen in
    ``n_fits``. Deep copies (sklearn's ``clone``) return the same object.
    """
    global _EPOCH_LOGGER
    if _EPOCH_LOGGER is not None:
        return _EPOCH_LOGGER
    keras = import_keras()

    class EpochLogger(keras.callbacks.Callback):
        """Print ``[label] epoch e/E loss=... val_loss=...`` after each epoch."""

        def __init__(self, label, write):
            super().__init__()
            self.label = label
            self.write = write
            self.n_fits = 0

        def on_train_begin(self, logs=None):
            self.n_fits += 1

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            total = (self.params or {}).get("epochs", "?")
            parts = [f"[{self.label}] epoch {epoch + 1}/{total}"]
            for key in ("loss", "val_loss"):
                if key in logs:
                    parts.append(f"{key}={float(logs[key]):.5g}")
            self.write(" ".join(parts))

        def __deepcopy__(self, memo):
            # sklearn's clone deep-copies parameters; the logger holds no
            # state worth copying (and a fitted one references a model)
            return self

    _EPOCH_LOGGER = EpochLogger
    return EpochLogger
