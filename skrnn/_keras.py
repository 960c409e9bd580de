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
import functools
import logging
import os
import random
import sys
import tempfile
import threading
import warnings

import numpy as np

__all__ = [
    "CELLS",
    "import_keras",
    "set_small_machine_threads",
    "usable_cpus",
    "import_keras_quietly",
    "quiet_retracing",
    "build_recurrent_network",
    "build_transformer_network",
    "compile_network",
    "training_callbacks",
    "set_global_seed",
    "private_layer_seeds",
    "thread_limit_env",
    "limit_started_threads",
    "fit_network",
    "unrolls",
    "UNROLL_MAX_STEPS",
    "array_batches",
    "last_batch_weights",
    "steps_per_execution",
    "copy_training_state",
    "TracedSteps",
    "TRACED_STEPS",
    "window_batches",
    "window_batches_class",
    "tf_window_feed",
    "batched_predict",
    "shape_free_forward",
    "mc_dropout_model",
    "reset_dropout_seeds",
    "seed_dropout",
    "model_to_bytes",
    "model_from_bytes",
    "UnsafeNetworkError",
    "network_problems",
    "check_network",
    "shareable_network",
    "check_safe_keras",
    "versions",
    "load_failure_message",
    "is_out_of_memory",
    "non_finite_stop_class",
    "non_finite_message",
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

#: Training windows up to this many float32 bytes (training and validation
#: parts together) are scaled once and given to Keras as arrays: Keras' own
#: batching of arrays is the fastest feed (the batch feeder measured 1.14-1.37x
#: its epoch time). Larger data go through :func:`window_batches`, one scaled
#: batch in memory at a time.
MATERIALISE_BYTES = 256 * 2**20

#: Float32 bytes per forward call when windows are scaled chunk by chunk
#: (fewer rows than ``PREDICT_BATCH`` for long windows of many features).
PREDICT_BYTES = 8 * 2**20


# --------------------------------------------------------------------------
# import
# --------------------------------------------------------------------------
def import_keras():
    """Import Keras lazily, with TensorFlow's C++ start-up log quieted.

    The first import also sets TensorFlow's thread pools for a small machine
    (:func:`set_small_machine_threads`).
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", _TF_CPP_LOG_LEVEL)
    import keras

    if not _THREADS["checked"]:
        _THREADS["checked"] = True
        _THREADS["set"] = set_small_machine_threads()
    return keras


#: Usable CPUs up to which TensorFlow runs on one intra-op and one inter-op
#: thread (:func:`set_small_machine_threads`).
SMALL_MACHINE_CPUS = 2

_THREADS = {"checked": False, "set": False}


def usable_cpus():
    """CPUs this process may run on (its affinity mask where the system has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def set_small_machine_threads():
    """On at most ``SMALL_MACHINE_CPUS`` CPUs, run TensorFlow's kernels on one thread.

    TensorFlow starts an intra-op pool (kernels split across threads) and an
    inter-op pool (independent kernels at once) of one thread per CPU. On two
    CPUs those threads, Python's thread and the data feed take turns on two
    cores: an epoch of skrnn's networks (batch 32, 32 to 256 units) burnt
    1.5-1.6 CPU seconds per second, and one epoch in three or four took 1.4
    to 2 times as long as the others, at random. With one thread in each
    pool the same epochs took the fast time every time (LSTM(32) over 60
    steps 9.3-10.0 s against 10.5-21.0 s; LSTM(256) 1.7 s against 1.7-2.6
    s) on one CPU second per second, leaving a core to Python and the feed.
    Results do not depend on the number of threads.

    Only on TensorFlow, before its runtime starts, and only where nobody
    chose: the environment variables ``TF_NUM_INTRAOP_THREADS`` and
    ``TF_NUM_INTEROP_THREADS`` (``0``: TensorFlow's own choice) and earlier
    ``tf.config.threading`` settings win. Machines with more CPUs keep
    TensorFlow's pools. Returns whether the pools were set.
    """
    if _backend_name() != "tensorflow" or usable_cpus() > SMALL_MACHINE_CPUS:
        return False
    if any(name in os.environ for name in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")):
        return False
    import tensorflow as tf

    threading_ = tf.config.threading
    if threading_.get_intra_op_parallelism_threads() or threading_.get_inter_op_parallelism_threads():
        return False
    try:
        threading_.set_intra_op_parallelism_threads(1)
        threading_.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # the runtime is up: its pools are fixed
        return False
    return True


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
#: Longest window whose recurrent layers are unrolled on TensorFlow.
UNROLL_MAX_STEPS = 32


def unrolls(n_timesteps):
    """Whether recurrent layers over ``n_timesteps`` steps are unrolled.

    On TensorFlow a recurrent layer is a ``while`` loop, whose graph and
    gradient are slow to build and run one step at a time; unrolled, every
    step is a plain operation. Measured with an LSTM(64), 960 windows, 20
    epochs, batch 32 on 2 cores: over 10 steps the first fit took 1.2-1.3 s
    instead of 1.8 s (the next fit of its kind 0.68 s either way); over 30
    steps the next fit took 1.19 s instead of 2.01 s (the first 2.5 s either
    way); over 60 steps unrolling gained nothing, and the graph grows with
    the window. The unrolled step takes longer to trace (0.8 s against 0.6 s
    for an LSTM(4) over 10 steps), once per kind of network and process: a
    2-epoch fit of 300 windows lost 0.3-0.4 s on its first fit and nothing
    on the next; the LSTM(64) above won from its first fit. JAX and PyTorch
    keep their loops (not measured there).
    """
    return _backend_name() == "tensorflow" and int(n_timesteps) <= UNROLL_MAX_STEPS


def build_recurrent_network(n_timesteps, n_features, n_outputs, *, cell, units, dropout,
                            recurrent_dropout, bidirectional, dense_units):
    """``[Bidirectional](cell(u)) -> Dropout`` per ``units``, dense head, linear output.

    ``units`` and ``dense_units`` are tuples of ints; all recurrent layers
    but the last return sequences. On TensorFlow, windows of at most
    :data:`UNROLL_MAX_STEPS` steps are unrolled (:func:`unrolls`).
    """
    keras = import_keras()
    layers = keras.layers
    Cell = getattr(layers, CELLS[cell])
    unroll = unrolls(n_timesteps)
    inputs = keras.Input(shape=(n_timesteps, n_features), name="windows")
    x = inputs
    for i, u in enumerate(units):
        layer = Cell(u, return_sequences=i < len(units) - 1, recurrent_dropout=recurrent_dropout,
                     unroll=unroll)
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


def build_transformer_network(n_timesteps, n_features, n_outputs, *, n_heads, key_dim, ff_units,
                              n_blocks, dropout, positional, pooling, dense_units):
    """A self-attention encoder over the window, pooled, dense head, linear output.

    Each time step is projected to ``d_model = n_heads * key_dim`` values
    (``Dense``), a positional encoding is added (``"sinusoidal"``: the fixed
    sines and cosines of Vaswani et al., 2017, a constant; ``"learned"``: an
    ``Embedding`` of the step positions; ``None``: none), then ``Dropout``.
    Each of the ``n_blocks`` pre-norm encoder blocks adds
    ``Dropout(MultiHeadAttention(LayerNorm(x)))`` (attention weights dropped
    at ``dropout`` too) and ``Dropout(Dense(d_model)(Dropout(Dense(ff_units,
    relu)(LayerNorm(x)))))`` to ``x``. A final ``LayerNormalization``, the
    pooling (``"last"``: the last time step, which attends to the whole
    window; ``"average"``: ``GlobalAveragePooling1D``), ``[Dense(d, relu) ->
    Dropout]`` per ``dense_units`` and ``Dense(n_outputs)`` follow. The output
    layer starts from zero weights: the untrained network predicts 0 in the
    scaled space (the window's last value under last-value scaling, its
    first under zero-base, the mean under standard scaling) instead of the
    values of order 1 that the final layer normalisation would give.

    Built from Keras layers and ``keras.ops`` only (no custom layer class),
    so the ``.keras`` archive loads without custom objects.
    """
    keras = import_keras()
    layers, ops = keras.layers, keras.ops
    d_model = int(n_heads) * int(key_dim)

    def dropped(x):
        return layers.Dropout(dropout)(x) if dropout > 0 else x

    inputs = keras.Input(shape=(n_timesteps, n_features), name="windows")
    x = layers.Dense(d_model, name="projection")(inputs)
    if positional == "sinusoidal":
        position = np.arange(n_timesteps)[:, None]
        channel = np.arange(d_model)[None, :]
        angle = position / np.power(10000.0, (2 * (channel // 2)) / d_model)
        x = x + np.where(channel % 2 == 0, np.sin(angle), np.cos(angle)).astype("float32")
    elif positional == "learned":
        steps = ops.zeros_like(inputs[:, :, 0], dtype="int32") + np.arange(n_timesteps, dtype="int32")
        x = layers.Add()([x, layers.Embedding(n_timesteps, d_model, name="positions")(steps)])
    x = dropped(x)
    for _ in range(n_blocks):
        h = layers.LayerNormalization(epsilon=1e-6)(x)
        h = layers.MultiHeadAttention(n_heads, key_dim, dropout=dropout)(h, h)
        x = layers.Add()([x, dropped(h)])
        h = layers.LayerNormalization(epsilon=1e-6)(x)
        h = dropped(layers.Dense(ff_units, activation="relu")(h))
        x = layers.Add()([x, dropped(layers.Dense(d_model)(h))])
    x = layers.LayerNormalization(epsilon=1e-6)(x)
    x = x[:, -1, :] if pooling == "last" else layers.GlobalAveragePooling1D()(x)
    for d in dense_units:
        x = dropped(layers.Dense(d, activation="relu")(x))
    outputs = layers.Dense(n_outputs, kernel_initializer="zeros", name="output")(x)
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
    """Stop at a non-finite loss, early stopping (best weights restored), step
    learning-rate decay, then user callbacks."""
    keras = import_keras()
    cbs = [non_finite_stop_class()()]
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
    """Seed Python, numpy and Keras' streams, as ``keras.utils.set_random_seed`` does.

    On TensorFlow, setting the global seed (``tf.random.set_seed``) also
    clears the runtime's caches of prepared functions, so every traced step
    and forward pass of the process is prepared again at its next call:
    about 0.35 s per small fit, which a study repeating its networks over
    seeds paid at every fit. Keras 3 layers draw their initial weights and
    dropout masks from their own seeded generator states (stateless
    TensorFlow ops), and skrnn shuffles with its own seeded order, so
    TensorFlow's global seed is set only while it is unset -- by the first
    seeded fit of the process -- and Python's, numpy's and Keras' streams are
    reset at every call. (Code of one's own that draws from TensorFlow's
    stateful random ops, ``tf.random.normal`` in a custom layer, is seeded
    by the first seeded fit only.)
    """
    keras = import_keras()
    seed = int(seed)
    if _backend_name() == "tensorflow" and _tf_global_seed() is not None:
        try:  # keras.utils.set_random_seed less its tf.random.set_seed
            from keras.src.backend.common import global_state
            from keras.src.random import seed_generator
            from keras.src.utils import rng_utils

            global_state.set_global_attribute(rng_utils.GLOBAL_RANDOM_SEED, seed)
            global_state.set_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR, None)
        except (ImportError, AttributeError):  # pragma: no cover - a Keras that moved them
            keras.utils.set_random_seed(seed)
            return
        random.seed(seed)
        np.random.seed(seed)
        return
    keras.utils.set_random_seed(seed)


def _tf_global_seed():
    """TensorFlow's global seed (None when unset, or when its internals moved)."""
    try:
        from tensorflow.python.eager import context

        return context.global_seed()
    except (ImportError, AttributeError):  # pragma: no cover
        return None


def thread_limit_env(n_threads):
    """Environment variables capping the threads of the backends and BLAS at ``n_threads``.

    Read when a framework starts, so they must be set before (in a worker's
    environment): TensorFlow's ``TF_NUM_INTRAOP_THREADS`` /
    ``TF_NUM_INTEROP_THREADS``, XLA's (JAX) CPU flags, OpenMP (PyTorch),
    MKL and OpenBLAS.
    """
    n = str(int(n_threads))
    xla = os.environ.get("XLA_FLAGS", "")
    flags = [f for f in xla.split() if not f.startswith(("--xla_cpu_multi_thread_eigen",
                                                          "intra_op_parallelism_threads"))]
    if int(n_threads) == 1:
        flags += ["--xla_cpu_multi_thread_eigen=false", "intra_op_parallelism_threads=1"]
    return {"TF_NUM_INTRAOP_THREADS": n, "TF_NUM_INTEROP_THREADS": n, "OMP_NUM_THREADS": n,
            "MKL_NUM_THREADS": n, "OPENBLAS_NUM_THREADS": n, "XLA_FLAGS": " ".join(flags)}


def limit_started_threads(n_threads):
    """Cap the threads of a framework already imported in this process.

    TensorFlow accepts it until its runtime starts (the first operation);
    PyTorch at any time. Returns the names of the frameworks whose threads
    are now capped at ``n_threads``, or whose cap could not change
    (``"tensorflow (started)"``). Imports nothing that is not loaded yet.
    """
    n, done = int(n_threads), []
    if "tensorflow" in sys.modules:
        tf = sys.modules["tensorflow"]
        try:
            tf.config.threading.set_intra_op_parallelism_threads(n)
            tf.config.threading.set_inter_op_parallelism_threads(n)
            done.append("tensorflow")
        except RuntimeError:  # the runtime is up: its pools are fixed
            same = (tf.config.threading.get_intra_op_parallelism_threads() == n
                    and tf.config.threading.get_inter_op_parallelism_threads() == n)
            done.append("tensorflow" if same else "tensorflow (started)")
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(n)
        done.append("torch")
    return done


_SEEDS_LOCK = threading.RLock()


@contextlib.contextmanager
def private_layer_seeds(seed):
    """Build layers whose unseeded initializers and dropout draw from ``seed`` alone.

    Keras gives every layer built without a ``seed`` one drawn from Python's
    global ``random`` module (``keras.src.random.seed_generator.
    make_default_seed``). That stream is shared by every thread of the
    process: a Dask worker's event loop, heartbeats and Ray's threads draw
    from it too, so after ``keras.utils.set_random_seed(seed)`` the layers of
    the same network got other seeds from one fit to the next and the
    scores of a search depended on where it ran. Inside this context Keras
    draws from a private ``random.Random(seed)`` instead -- the very stream
    ``random.seed(seed)`` starts, so a network gets the seeds it got in a
    quiet process -- and a lock keeps two threads' builds apart. Any
    ``_build_model`` (also a user's) is covered. ``seed=None`` changes
    nothing. Keras offers no public hook for this (its layers take a
    ``seed`` one by one); a Keras without the private name fails loudly.
    """
    if seed is None:
        yield
        return
    import_keras()
    from keras.src.random import seed_generator

    if not callable(getattr(getattr(seed_generator, "python_random", None), "randint", None)):
        raise RuntimeError(  # pragma: no cover - a Keras release that moved its seed stream
            "keras.src.random.seed_generator.python_random is gone: this Keras release "
            "draws default layer seeds elsewhere; skrnn cannot seed its networks.")
    with _SEEDS_LOCK:
        saved = seed_generator.python_random
        seed_generator.python_random = random.Random(int(seed))
        try:
            yield
        finally:
            seed_generator.python_random = saved


def fit_network(model, X, Y=None, *, sample_weight=None, epochs, batch_size=None, shuffle=False,
                seed=None, verbose, callbacks, validation_data):
    """Train ``model`` and return its history as plain floats.

    ``X`` is either float32 arrays (with ``Y``, ``sample_weight``,
    ``batch_size`` and ``shuffle`` used as Keras uses them; on TensorFlow
    they are batched by :func:`array_batches`, shuffled from ``seed``), or a
    :func:`window_batches` feeder, which shuffles, batches and scales the
    windows itself (``validation_data`` then a feeder too, or None).

    On TensorFlow every training batch has the same number of rows: an
    epoch's short last batch is filled up (:func:`last_batch_weights`), so
    the train step is traced for one static batch shape, which ran 15 to 25 %
    faster than the open batch dimension a short batch forces.
    """
    feeders = [X, validation_data]  # what release_fit_state looks for in TensorFlow's graph
    tf_feed = _backend_name() == "tensorflow"
    if tf_feed and isinstance(validation_data, window_batches_class()):
        validation_data = tf_window_feed(validation_data)
    kwargs = {} if validation_data is None else {"validation_data": validation_data}
    if isinstance(X, window_batches_class()):
        steps = X.batches_per_epoch
        if tf_feed:  # one epoch each time Keras reads it: any number of steps per call
            X, spe = tf_window_feed(X, fill=True), min(steps, MAX_STEPS_PER_EXECUTION)
            kwargs.update(shuffle=False)
        else:  # endless: a call must end where an epoch ends
            spe = steps_per_execution(steps)
            kwargs.update(steps_per_epoch=steps, shuffle=False)
    elif tf_feed:  # endless: calls end where epochs end
        X, steps = array_batches(X, Y, sample_weight, int(batch_size), seed, shuffle=shuffle)
        spe = steps_per_execution(steps)
        kwargs.update(steps_per_epoch=steps, shuffle=False)
    else:
        kwargs.update(y=Y, sample_weight=sample_weight, batch_size=int(batch_size),
                      shuffle=bool(shuffle))
        spe = steps_per_execution(-(-len(X) // int(batch_size)))
    model.steps_per_execution = spe
    with _counted_fit():
        return _fit(model, X, kwargs, epochs=epochs, verbose=verbose, callbacks=callbacks,
                    feeders=feeders, batch_size=batch_size)


def _fit(model, X, kwargs, *, epochs, verbose, callbacks, feeders, batch_size):
    """:func:`fit_network` once its feed is ready: on a twin of :data:`TRACED_STEPS` if any."""
    twin = TRACED_STEPS.take(model)
    runner = model if twin is None else twin
    fitted = False
    try:
        if twin is not None:
            copy_training_state(model, twin)
        with quiet_retracing(), warnings.catch_warnings():
            # tf.data runs the feeder's (Python) generator the same way either
            # way; its note about run_functions_eagerly says nothing to act on
            warnings.filterwarnings("ignore", message="Even though the `tf.config.experimental_run")
            hist = runner.fit(X, epochs=int(epochs), verbose=verbose, callbacks=callbacks, **kwargs)
        if twin is not None:
            copy_training_state(twin, model)
        fitted = True
    except Exception as exc:
        if not is_out_of_memory(exc):
            raise
        size = getattr(feeders[0], "batch_size", batch_size)
        shape = tuple(model.input_shape[1:])
        raise MemoryError(
            f"Out of memory while training on batches of batch_size={size} windows of shape "
            f"{shape} (time steps, features): use a smaller batch_size, shorter windows "
            "(window_len) or a smaller network.") from exc
    finally:
        release_fit_state(runner, feeders, keep_steps=twin is not None and fitted)
        if twin is not None:
            TRACED_STEPS.give_back(twin, reuse=fitted)
    stop = next((cb for cb in callbacks or () if isinstance(cb, non_finite_stop_class())), None)
    if stop is not None and stop.where is not None:
        raise ValueError(non_finite_message(model, stop.where))
    return {k: [float(v) for v in vals] for k, vals in hist.history.items()}


#: Fits between two clearings of TensorFlow's eager kernel cache. Each new
#: variable leaves cached kernels behind (about 0.6 MiB per small network
#: built, compiled and trained); clearing costs the next call of every traced
#: function its preparation again (about 0.35 s for a small train step), so
#: it happens once per this many fits, when no fit is running.
CLEAR_KERNEL_CACHE_EVERY = 64

_FITS_LOCK = threading.Lock()
_FITS = {"running": 0, "since_clear": 0}


@contextlib.contextmanager
def _counted_fit():
    """Count a fit; the last one out after ``CLEAR_KERNEL_CACHE_EVERY`` clears the kernel cache."""
    with _FITS_LOCK:
        _FITS["running"] += 1
    try:
        yield
    finally:
        with _FITS_LOCK:
            _FITS["running"] -= 1
            _FITS["since_clear"] += 1
            if (_FITS["running"] == 0 and _FITS["since_clear"] >= CLEAR_KERNEL_CACHE_EVERY
                    and _backend_name() == "tensorflow"):
                _FITS["since_clear"] = 0
                from tensorflow.python.eager import context

                context.context().clear_kernel_cache()


def last_batch_weights(n, batch_size):
    """Weights of the positions of an epoch of ``n`` rows whose short last batch is filled up.

    The training feeds on TensorFlow fill an epoch's last batch of ``rest =
    n % batch_size`` rows up to ``batch_size`` with the epoch's first rows
    again. Those copies weigh 0 and the batch's own rows ``batch_size /
    rest``: Keras divides a batch's weighted loss by its number of rows, so
    the batch's loss and gradients are those of its ``rest`` rows alone (the
    mean squared error of those rows, and so on). Every other position weighs
    1. The networks skrnn builds treat each window on its own, so the copies
    change nothing else; a user's network with batch normalisation would see
    them in its batch statistics. Keras' running mean of the training loss
    (``history_["loss"]``) counts that batch as a full one.
    """
    steps, rest = -(-n // batch_size), n % batch_size
    weights = np.ones(steps * batch_size, dtype=np.float32)
    if rest:
        weights[n - rest:n] = batch_size / rest
        weights[n:] = 0.0
    return weights


def array_batches(X, Y, sample_weight, batch_size, seed, shuffle=True):
    """Batches of ``(X, Y[, weight])`` of one static shape, reshuffled every epoch from ``seed``.

    Keras shuffles arrays with ``tf.random.shuffle``, whose op seed comes
    from the process-wide seed and a process-wide counter: two fits running
    in threads of one process (a Dask worker with several threads, joblib's
    threading backend) take each other's seeds, and each got another order
    than alone. Here epoch ``e`` visits the windows in the order of
    ``stateless_shuffle(range(n), seed=(seed, e))`` (``shuffle=False``: in
    their order), which depends on nothing else; ``seed=None`` draws one.
    Every batch has ``min(batch_size, n)`` rows, the last one filled up as
    :func:`last_batch_weights` says (a weight is then part of every batch).
    The dataset runs forever; ``steps`` (returned) is the number of batches
    per epoch.
    """
    import tensorflow as tf

    n = len(X)
    size = min(int(batch_size), n)
    steps, rest = -(-n // size), n % size
    arrays = (tf.constant(X), tf.constant(Y))
    weights = None if sample_weight is None else tf.constant(np.asarray(sample_weight, np.float32))
    filled = tf.constant(last_batch_weights(n, size).reshape(steps, size)) if rest else None
    if seed is None:
        seed = np.random.SeedSequence().entropy % 2**63
    key = np.random.SeedSequence(int(seed)).generate_state(1, np.uint32)[0]

    def epoch_batches(epoch):
        order = tf.range(n, dtype=tf.int64)
        if shuffle:
            order = tf.random.experimental.stateless_shuffle(
                order, seed=tf.stack([tf.constant(int(key), tf.int64), epoch]))
        if not rest:
            return tf.data.Dataset.from_tensor_slices(tf.reshape(order, (steps, size)))
        rows = tf.reshape(tf.concat([order, order[:size - rest]], 0), (steps, size))
        return tf.data.Dataset.from_tensor_slices((rows, filled))

    def gather(rows, fill=None):
        out = tuple(tf.gather(a, rows) for a in arrays)
        weight = None if weights is None else tf.gather(weights, rows)
        if fill is not None:
            weight = fill if weight is None else weight * fill
        return out if weight is None else out + (weight,)

    # endless, read by one iterator for the whole fit: a fresh iterator per
    # epoch (a dataset of one epoch per reading) cost 30 ms per epoch here.
    # range, not counter(): counter is a scan whose function stays in the global graph
    # plain Python to trace: AutoGraph's conversion cost 80 ms in a fresh process
    plain = tf.autograph.experimental.do_not_convert
    dataset = (tf.data.Dataset.range(2**62).flat_map(plain(epoch_batches))
               .map(plain(gather), num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE))
    return dataset, steps


#: Most train steps run by one call of the traced step function (Keras'
#: ``steps_per_execution``): each call costs about 0.8 ms of Python in Keras'
#: loop, 0.5 s of a 3 s fit of 620 small batches. A feed that ends with its
#: epoch (Keras' own arrays, the long-series feed on TensorFlow) takes any
#: number up to this one; an endless feed (seeded shuffling, a ``PyDataset``)
#: takes :func:`steps_per_execution`.
MAX_STEPS_PER_EXECUTION = 32


def steps_per_execution(steps_per_epoch):
    """The largest divisor of ``steps_per_epoch`` up to :data:`MAX_STEPS_PER_EXECUTION`.

    Keras runs ``steps_per_execution`` batches per call of the traced step
    (a ``tf.while_loop``) and reports to callbacks after each call. The
    endless feeds of :func:`fit_network` (seeded shuffling, the batch feeder)
    end their epochs after ``steps_per_epoch`` batches, so a call must not
    run across an epoch's end: the number divides the epoch.
    """
    n = max(int(steps_per_epoch), 1)
    return max(d for d in range(1, min(n, MAX_STEPS_PER_EXECUTION) + 1) if n % d == 0)


def _assign_all(targets, sources):
    targets, sources = list(targets), list(sources)
    if len(targets) != len(sources) or any(
            tuple(t.shape) != tuple(s.shape) for t, s in zip(targets, sources)):
        raise ValueError("the twin's variables do not match the network's")
    for t, s in zip(targets, sources):
        t.assign(s.value)


def copy_training_state(source, target):
    """Copy every variable a fit reads or writes from ``source`` to ``target``.

    The weights, the dropout seed states (``model.variables`` holds both) and
    the optimizer's variables: step count, learning rate and moments. An
    optimizer not built yet is built first (its moments start at zero, as a
    fit would start them).
    """
    _assign_all(target.variables, source.variables)
    for model in (source, target):
        if not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)
    _assign_all(target.optimizer.variables, source.optimizer.variables)


def architecture_key(model):
    """``model``'s architecture as a string, the same for every network built alike.

    Layer names are unique per process ("lstm_7"): each becomes its position
    in the model, wherever the config refers to it; each layer's own
    settings are kept verbatim beside the graph. None for a network Keras
    cannot describe.
    """
    import json

    try:
        layers = list(model._flatten_layers(include_self=True, recursive=True))
        position = {layer.name: f"#{i}" for i, layer in reversed(list(enumerate(layers)))}
        graph = _rename_values(model.get_config(), position)
        own = [(type(layer).__name__, {k: v for k, v in layer.get_config().items() if k != "name"})
               for layer in layers[1:]]
        return json.dumps([type(model).__name__, graph, own], sort_keys=True, default=repr)
    except Exception:  # a custom layer without a config
        return None


def _rename_values(obj, names):
    """``obj`` (a Keras config) with every string value found in ``names`` replaced."""
    if isinstance(obj, dict):
        return {k: _rename_values(v, names) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_rename_values(v, names) for v in obj]
    return names.get(obj, obj) if isinstance(obj, str) else obj


class TracedSteps:
    """Compiled twins of networks, kept so fits of the same kind reuse a traced train step.

    Tracing the train step is most of a small fit's time on TensorFlow
    (about 0.8 s of 1.2 s for a 4-unit LSTM on 300 windows), and a search
    or a study fits the same architecture again and again. A fit takes an
    idle twin of its network -- same architecture, optimizer settings, loss
    and steps per execution (the learning rate is a variable, so it may
    differ) -- copies the network's fresh weights, dropout seed states and
    optimizer state into it, trains the twin and copies every variable
    back: the network ends as if it had trained itself, bit for bit (the
    same graph runs on the same values), and a fit of another kind in the
    meantime changes nothing. The first fit of a kind builds its twin
    (a clone, ~30 ms) and traces it; a twin serves one fit at a time (a
    second fit of the kind running at once in another thread gets its own).
    At most ``size`` idle twins stay, the least recently used goes first;
    ``size=0`` turns the reuse off. Only on TensorFlow, where it was
    measured; on other backends, and for a network Keras cannot clone or
    describe, the network trains itself.
    """

    def __init__(self, size=8):
        self.size = int(size)
        self._idle = {}  # key -> [twins], in order of last use (dicts keep order)
        self._lock = threading.Lock()

    @staticmethod
    def key(model):
        """What the traced train step depends on, as a string; None when unknown."""
        import json

        arch = architecture_key(model)
        if arch is None or model.optimizer is None:
            return None
        try:
            opt = dict(model.optimizer.get_config())
            opt.pop("name", None)  # unique per process ("adam_3")
            lr = opt.pop("learning_rate", None)
            if not isinstance(lr, (int, float)):  # a schedule is traced in
                return None
            loss = model.loss
            if not isinstance(loss, str):
                loss = json.dumps(import_keras().losses.serialize(loss), sort_keys=True)
            return json.dumps([arch, type(model.optimizer).__name__, opt, loss,
                               str(model.jit_compile), model.steps_per_execution,
                               bool(model.run_eagerly)], sort_keys=True, default=repr)
        except Exception:  # an optimizer or loss Keras cannot describe: no twin
            return None

    def take(self, model):
        """An idle twin of ``model`` (or a new one), None when reuse does not apply."""
        if self.size <= 0 or _backend_name() != "tensorflow" or model.optimizer is None:
            return None
        key = self.key(model)
        if key is None:
            return None
        with self._lock:
            twins = self._idle.pop(key, [])
            twin = twins.pop() if twins else None
            if twins:
                self._idle[key] = twins
        if twin is None:
            twin = self._clone(model)
            if twin is None:
                return None
        twin._skrnn_twin_key = key
        return twin

    def _clone(self, model):
        keras = import_keras()
        try:
            with private_layer_seeds(0):  # leave the process-wide seed stream alone
                twin = keras.models.clone_model(model)
            optimizer = type(model.optimizer).from_config(model.optimizer.get_config())
            twin.compile(optimizer=optimizer, loss=model.loss, jit_compile=model.jit_compile,
                         steps_per_execution=model.steps_per_execution)
        except Exception:  # a layer Keras cannot clone: the network trains itself
            return None
        return twin

    def give_back(self, twin, reuse=True):
        """Keep ``twin`` for the next fit of its kind (or drop it)."""
        key = getattr(twin, "_skrnn_twin_key", None)
        if not reuse or key is None or self.size <= 0:
            return
        with self._lock:
            twins = self._idle.pop(key, [])
            twins.append(twin)
            self._idle[key] = twins
            while sum(len(t) for t in self._idle.values()) > self.size:
                oldest = next(iter(self._idle))
                gone = self._idle[oldest].pop(0)
                if not self._idle[oldest]:
                    del self._idle[oldest]
                release_fit_state(gone, [])

    def clear(self):
        """Drop every idle twin and its traced steps."""
        with self._lock:
            twins = [t for ts in self._idle.values() for t in ts]
            self._idle.clear()
        for twin in twins:
            release_fit_state(twin, [])

    def __len__(self):
        with self._lock:
            return sum(len(t) for t in self._idle.values())


#: The process-wide pool of compiled twins used by :func:`fit_network`.
TRACED_STEPS = TracedSteps()


def release_fit_state(model, datasets, keep_steps=False):
    """Let go of what a finished ``model.fit`` would otherwise keep alive.

    - TensorFlow ties the Python functions behind ``tf.data``'s
      ``from_generator`` (how Keras reads a ``PyDataset`` on TensorFlow) to
      the outermost graph; in eager mode that is the global default graph,
      which lives as long as the process, so every fit would keep its
      feeder -- and through it the training windows -- forever. Those of
      ``datasets`` are dropped from it (other fits' stay untouched).
    - Tracing a train step registers a uniquely named gradient for each
      ``all_reduce`` of the (default) distribution strategy in TensorFlow's
      process-wide gradient registry, and never removes it; each entry holds
      the traced graph (about 12 MB for a 4-unit LSTM). The entries whose
      graph used this model's variables are removed (see
      :func:`_drop_traced_gradients`).
    - The traced train and evaluation steps (unless ``keep_steps``: a twin
      of :data:`TRACED_STEPS` keeps them for the next fit of its kind).
    """
    if not keep_steps:
        model.train_function = None
        model.test_function = None
    if _backend_name() != "tensorflow":  # Keras on TensorFlow has loaded it
        return
    _drop_traced_gradients(model)
    ours = {id(d) for d in datasets if d is not None}
    if not ours:
        return
    from tensorflow.python.framework import ops

    used = getattr(ops.get_default_graph(), "_py_funcs_used_in_graph", None)
    if used:
        used[:] = [f for f in used if id(_generator_owner(f)) not in ours]


def _backend_name():
    keras = sys.modules.get("keras")
    return keras.backend.backend() if keras is not None else None


def _drop_traced_gradients(model):
    """Remove the gradient-registry entries of ``model``'s traced train steps.

    The registry is TensorFlow's private ``ops._gradient_registry``: no
    public call unregisters a gradient, and Keras offers no way to train
    without the default strategy's ``all_reduce``. An entry is removed only
    when the outermost graph it holds read this model's variables, so the
    steps other threads are tracing at the same time keep theirs; the graph
    is discarded with the model's train function, so its gradients are never
    looked up again. Entries of steps whose variables are all gone (a network
    deleted before, whatever built it) are removed too: such a step cannot
    run any more. Anything unexpected in TensorFlow's internals leaves the
    registry as it is.
    """
    try:
        from tensorflow.python.framework import func_graph, ops

        registry = ops._gradient_registry._registry
        entries = registry.copy()  # other threads may register meanwhile
    except (ImportError, AttributeError):
        return
    optimizer = getattr(model, "optimizer", None)
    variables = list(model.variables) + list(getattr(optimizer, "variables", None) or ())
    ours = {id(getattr(v, "value", v)) for v in variables}
    for name, entry in entries.items():
        if not name.startswith("CustomGradient-") or not isinstance(entry, dict):
            continue
        graph = _outermost_graph(entry.get("type"), func_graph.FuncGraph)
        if graph is None:
            continue
        used = [ref() for ref in getattr(graph, "_weak_variables", ())]
        # ours, or a step whose variables are all gone (it can never run again)
        if any(id(v) in ours for v in used) or (used and all(v is None for v in used)):
            registry.pop(name, None)


def _outermost_graph(func, graph_type, depth=0):
    """The outermost ``FuncGraph`` of a tensor in ``func``'s closures, or None."""
    for cell in getattr(func, "__closure__", None) or ():
        try:
            value = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        for obj in value if isinstance(value, (list, tuple)) else (value,):
            graph = getattr(obj, "graph", None)
            if isinstance(graph, graph_type):
                while isinstance(getattr(graph, "outer_graph", None), graph_type):
                    graph = graph.outer_graph
                return graph
        if callable(value) and depth < 3:
            graph = _outermost_graph(value, graph_type, depth + 1)
            if graph is not None:
                return graph
    return None


def _generator_owner(func, depth=0):
    """The ``PyDataset`` behind a ``from_generator`` py-function of Keras' adapter, or None.

    The registered function wraps ``GeneratorState.get_next_id`` or a closure
    over the ``GeneratorState``, whose generator is the adapter's bound method.
    """
    f = getattr(func, "_func", func)
    inner = [getattr(f, "__self__", None)]
    for cell in getattr(f, "__closure__", None) or ():
        try:
            inner.append(cell.cell_contents)
        except ValueError:  # an empty cell
            continue
    for obj in inner:
        if hasattr(obj, "_generator") and hasattr(obj, "get_next_id"):
            generator = getattr(obj._generator, "func", obj._generator)  # a partial
            adapter = getattr(generator, "__self__", None)
            if isinstance(adapter, window_batches_class()):  # tf_window_feed's generator
                return adapter
            return getattr(adapter, "py_dataset", None)
        if callable(obj) and depth < 3:
            owner = _generator_owner(obj, depth + 1)
            if owner is not None:
                return owner
    return None


def is_out_of_memory(exc):
    """Whether ``exc`` is the backend running out of (device or host) memory."""
    return (isinstance(exc, MemoryError)
            or type(exc).__name__ in ("ResourceExhaustedError", "OutOfMemoryError")
            or "RESOURCE_EXHAUSTED" in str(exc))


_NON_FINITE_STOP = None


def non_finite_stop_class():
    """A Keras callback class that stops training at the first NaN or infinite loss.

    Keras' ``TerminateOnNaN`` stops too, but says nothing; this one records
    where (``where``: the 1-based epoch and batch -- None for the
    validation loss --, their totals, the loss's name and value) so
    :func:`fit_network` can raise one clear error after ``fit`` returns.
    Built on first use.
    """
    global _NON_FINITE_STOP
    if _NON_FINITE_STOP is not None:
        return _NON_FINITE_STOP
    keras = import_keras()

    class NonFiniteLossStop(keras.callbacks.Callback):
        """Stop at the first non-finite ``loss`` (per batch) or ``val_loss`` (per epoch)."""

        def __init__(self):
            super().__init__()
            self.where = None
            self._epoch = 0

        def on_epoch_begin(self, epoch, logs=None):
            self._epoch = epoch

        def _check(self, batch, key, logs):
            value = (logs or {}).get(key)
            if self.where is None and value is not None and not np.isfinite(float(value)):
                params = self.params or {}
                self.where = dict(epoch=self._epoch + 1, epochs=params.get("epochs"),
                                  batch=None if batch is None else batch + 1,
                                  batches=params.get("steps"), key=key, value=float(value))
                self.model.stop_training = True

        def on_train_batch_end(self, batch, logs=None):
            self._check(batch, "loss", logs)

        def on_epoch_end(self, epoch, logs=None):
            self._epoch = epoch
            self._check(None, "val_loss", logs)

    _NON_FINITE_STOP = NonFiniteLossStop
    return NonFiniteLossStop


def non_finite_message(model, where):
    """The error for a loss that turned NaN or infinite, with the usual cures."""
    at = f"epoch {where['epoch']}" + (f" of {where['epochs']}" if where["epochs"] else "")
    if where["batch"] is not None:
        at += f", batch {where['batch']}" + (f" of {where['batches']}" if where["batches"] else "")
    opt = getattr(model, "optimizer", None)
    lr = clip = None
    if opt is not None:
        lr = float(np.asarray(opt.learning_rate))
        clip = getattr(opt, "clipnorm", None)
    what = "training loss" if where["key"] == "loss" else "validation loss"
    return (
        f"Training stopped: the {what} became {where['value']} at {at}. "
        "The network's weights are unusable and the "
        "estimator is left unfitted. Usual cures: a smaller learning_rate"
        + (f" (now {lr:g})" if lr is not None else "")
        + ", gradient clipping (clipnorm=1.0" + (f"; now {clip:g}" if clip else "") + "), "
        "scaling the data (normalize='auto' or 'standard' rather than None on raw prices), "
        "and no zero-base scaling on a column with zeros or values near zero (normalize="
        "'standard' for such columns, e.g. volume).")


_WINDOW_BATCHES = None


def window_batches_class():
    """The ``keras.utils.PyDataset`` class behind :func:`window_batches` (built on first use)."""
    global _WINDOW_BATCHES
    if _WINDOW_BATCHES is not None:
        return _WINDOW_BATCHES
    keras = import_keras()

    class WindowBatches(keras.utils.PyDataset):
        """Batches ``source.take_xy(rows[...])``, reshuffled every epoch when asked.

        With ``repeat=True`` the dataset is endless and batch ``k`` is batch
        ``k % batches_per_epoch`` of epoch ``k // batches_per_epoch``: the
        order of an epoch depends only on ``seed`` and the epoch number, not
        on when Keras (or its prefetching thread) asks for it.
        """

        def __init__(self, source, rows, batch_size, shuffle, seed, repeat):
            super().__init__()  # one worker, no process pool: batches are cheap slices
            self.source = source
            self.rows = np.asarray(rows)
            self.batch_size = max(1, min(int(batch_size), len(self.rows)))
            self.shuffle = bool(shuffle)
            self.seed = seed
            self.repeat = bool(repeat)
            self.batches_per_epoch = -(-len(self.rows) // self.batch_size)
            self._epoch, self._order = 0, self.rows

        @property
        def num_batches(self):
            return None if self.repeat else self.batches_per_epoch

        def _rows_of(self, epoch):
            if not self.shuffle:
                return self.rows
            if epoch != self._epoch or self._order is self.rows:
                rng = np.random.default_rng([self.seed, epoch])
                self._order = self.rows[rng.permutation(len(self.rows))]
                self._epoch = epoch
            return self._order

        def __getitem__(self, index):
            epoch, i = divmod(int(index), self.batches_per_epoch)
            rows = self._rows_of(epoch)[i * self.batch_size:(i + 1) * self.batch_size]
            return self.source.take_xy(rows)

        def chunks(self, fill=False):
            """The next epoch's batches, stacked ``FEED_CHUNK_BATCHES`` at a time.

            Each call is the next epoch (the first one is epoch 0), in the
            order Keras would get from ``self[k]`` for that epoch's ``k``.
            Each item is a tuple of arrays of shape ``(batches, batch_size,
            ...)``, so that ``tf.data`` slices whole batches rather than one
            window at a time (20 % less of the feed's time). The epoch's short
            last batch comes alone, as ``(1, rest, ...)``, or with
            ``fill=True`` filled up as :func:`last_batch_weights` says, a
            weight then ending every item.
            """
            epoch = self._epochs_read = getattr(self, "_epochs_read", -1) + 1
            order = self._rows_of(epoch)
            size, rest = self.batch_size, len(order) % self.batch_size
            filled = None
            if fill and rest:
                order = np.concatenate([order, order[:size - rest]])
                filled = last_batch_weights(len(self.rows), size)
            step = size * FEED_CHUNK_BATCHES
            for start in range(0, len(order), step):
                chunk = self.source.take_xy(order[start:start + step])
                if filled is not None:
                    weight = filled[start:start + step]
                    chunk = chunk[:2] + (weight if len(chunk) == 2 else chunk[2] * weight,)
                full = len(chunk[0]) - len(chunk[0]) % size
                if full:
                    yield tuple(a[:full].reshape((full // size, size) + a.shape[1:]) for a in chunk)
                if full < len(chunk[0]):
                    yield tuple(a[full:][None] for a in chunk)

    _WINDOW_BATCHES = WindowBatches
    return WindowBatches


#: Batches the TensorFlow feed of :func:`window_batches` prepares per Python
#: call (scaled and cast together, then split by ``tf.data``): one Python call
#: per batch cost about 2 ms, a third of a small LSTM's step.
FEED_CHUNK_BATCHES = 64


def tf_window_feed(feeder, fill=False):
    """A ``tf.data`` pipeline giving the batches of ``feeder`` in its order.

    On TensorFlow Keras reads a ``PyDataset`` through one Python call per
    batch; here Python scales ``FEED_CHUNK_BATCHES`` batches at once
    (``feeder.chunks``, stacked) and ``tf.data`` slices the stack into its
    batches and prefetches them while the network trains. An epoch's last
    batch stays short, as Keras cuts arrays, or with ``fill=True`` (the
    training feed) it is filled up to a full batch (:func:`last_batch_weights`),
    so that every batch has one static shape. Each reading of the pipeline is
    the feeder's next epoch, so Keras needs no ``steps_per_epoch``.
    """
    import tensorflow as tf

    sample = feeder.source.take_xy(feeder.rows[:1])
    if fill and len(feeder.rows) % feeder.batch_size and len(sample) == 2:
        sample = sample + (np.ones(1, np.float32),)
    rows = feeder.batch_size if fill else None
    spec = tuple(tf.TensorSpec((None, rows) + a.shape[1:], tf.as_dtype(a.dtype)) for a in sample)
    return (tf.data.Dataset.from_generator(functools.partial(feeder.chunks, fill=fill),
                                           output_signature=spec)
            .flat_map(tf.autograph.experimental.do_not_convert(
                lambda *block: tf.data.Dataset.from_tensor_slices(block)))
            .prefetch(tf.data.AUTOTUNE)
            .apply(tf.data.experimental.assert_cardinality(feeder.batches_per_epoch)))


def materialise(source, n_rows):
    """Whether ``n_rows`` windows of ``source`` are small enough to scale at once."""
    shape = source.windows.shape
    return n_rows * int(np.prod(shape[1:])) * 4 <= MATERIALISE_BYTES


def window_batches(source, rows, *, batch_size, shuffle=False, seed=None, repeat=False):
    """A Keras dataset of the windows of ``source`` at positions ``rows``, batch by batch.

    ``source`` gives ``take_xy(idx)`` -> ``(x, y[, sample_weight])`` float32
    (:class:`skrnn._scaling.ScaledWindows`: windows sliced, scaled and cast
    one batch at a time). ``shuffle`` draws a new order of ``rows`` every
    epoch from ``seed`` (None: fresh entropy); ``repeat=True`` makes it the
    endless training feed of :func:`fit_network`.
    """
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % 2**63)
    return window_batches_class()(source, rows, batch_size, shuffle, int(seed), repeat)


# --------------------------------------------------------------------------
# predict and Monte-Carlo dropout
# --------------------------------------------------------------------------
class _Forwards:
    """Inference passes traced once per architecture, shared by every network built alike.

    Each is ``model.stateless_call`` traced with the batch dimension open and
    the variables as arguments, so a network of the same architecture runs
    through it with its own weights. Up to ``size`` architectures are kept,
    the least recently used goes first.
    """

    def __init__(self, size=8):
        self.size = int(size)
        self._traced = {}
        self._lock = threading.Lock()

    def get(self, model):
        import tensorflow as tf

        key = architecture_key(model)
        if key is None:
            return None
        with self._lock:
            traced = self._traced.pop(key, None)
            if traced is not None:
                self._traced[key] = traced  # the most recently used goes last
                return traced
        template = model
        spec = tf.TensorSpec((None,) + tuple(model.input_shape[1:]), tf.float32)
        trainable = [tf.TensorSpec(v.shape, v.dtype) for v in model.trainable_variables]
        fixed = [tf.TensorSpec(v.shape, v.dtype) for v in model.non_trainable_variables]

        @tf.function(input_signature=[spec, trainable, fixed])
        def traced(x, trainable_values, fixed_values):
            return template.stateless_call(trainable_values, fixed_values, x, training=False)[0]

        with self._lock:
            self._traced[key] = traced
            while len(self._traced) > self.size:
                self._traced.pop(next(iter(self._traced)))
        return traced


_FORWARDS = _Forwards()


def shape_free_forward(model):
    """``model``'s inference pass, traced once for any number of rows.

    Keras' ``predict_on_batch`` traces for the first batch's exact shape and
    again, shape-relaxed, at the first other number of rows -- so every
    fitted network paid a second trace (about 70 ms) at its first
    ``predict`` after the calibration pass. On TensorFlow the pass is
    traced once per architecture with the batch dimension left open and the
    weights as arguments (:class:`_Forwards`): networks built alike -- the
    fits of a search, the clones of a forecaster -- share it, and a fitted
    network predicts without tracing anything. A network Keras cannot
    describe gets its own trace; other backends use ``predict_on_batch``.
    """
    if _backend_name() != "tensorflow":
        return model.predict_on_batch
    forward = getattr(model, "_skrnn_forward", None)
    if forward is None:
        import tensorflow as tf

        shared = _FORWARDS.get(model) if _FORWARDS.size > 0 else None
        if shared is not None:
            def forward(x):
                return shared(np.asarray(x, dtype=np.float32),
                              [v.value for v in model.trainable_variables],
                              [v.value for v in model.non_trainable_variables])
        else:
            spec = tf.TensorSpec((None,) + tuple(model.input_shape[1:]), tf.float32)
            traced = tf.function(lambda x: model(x, training=False), input_signature=[spec])

            def forward(x):
                return traced(np.asarray(x, dtype=np.float32))

        model._skrnn_forward = forward
    return forward


def batched_predict(model, X, n_rows=None, forward=None):
    """Forward ``n_rows`` rows through ``model`` in large compiled batches.

    Row ``r`` is ``X[r % len(X)]``, so Monte-Carlo passes over the windows
    repeated ``n_samples`` times never materialise the repeated array: each
    chunk of at most ``PREDICT_BATCH`` rows is gathered, run, and written
    into one preallocated output. ``X`` is float32 windows, or a source of
    them with ``take(idx)`` (:class:`skrnn._scaling.ScaledWindows`), scaled
    chunk by chunk. ``forward`` runs one chunk (default: Keras'
    ``predict_on_batch``).
    """
    run = model.predict_on_batch if forward is None else forward
    n = len(X)
    n_rows = n if n_rows is None else n_rows
    chunk = PREDICT_BATCH
    if not isinstance(X, np.ndarray):
        # a source scales chunk by chunk: bound the float32 chunk (and the
        # float64 windows it is scaled from) rather than its number of rows
        row_bytes = X.take(slice(0, 1)).nbytes
        chunk = max(256, min(PREDICT_BATCH, PREDICT_BYTES // max(1, row_bytes)))
        if n <= chunk:
            X = X.take(slice(None))  # no bigger than one chunk: scale once
    take = X.__getitem__ if isinstance(X, np.ndarray) else X.take
    with quiet_retracing():
        if n_rows <= chunk and n_rows == n:
            return np.asarray(run(X))
        out = None
        for start in range(0, n_rows, chunk):
            stop = min(start + chunk, n_rows)
            rows = slice(start, stop) if stop <= n else np.arange(start, stop) % n
            part = np.asarray(run(take(rows)))
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
    """Load a network written by :func:`model_to_bytes`, safely.

    The archive's architecture is checked first (:func:`check_network`) and
    Keras loads it with ``safe_mode=True``, which refuses to deserialise
    Python code (a ``Lambda`` layer's function) even if the check missed it.
    """
    check_network(data)
    keras = import_keras()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.keras")
        with open(path, "wb") as fh:
            fh.write(data)
        return keras.saving.load_model(path, safe_mode=True)


class UnsafeNetworkError(ValueError):
    """A network archive holding something a safe file cannot carry (code, custom classes)."""


#: Keras classes that carry or load code: a Lambda layer's Python function,
#: a TensorFlow SavedModel.
UNSAFE_CLASSES = ("Lambda", "__lambda__", "TFSMLayer")

#: Modules whose functions an archive may name (activations, losses, metrics):
#: a function reference elsewhere (``keras.models.load_model``,
#: ``keras.utils.get_file``) is how known ``safe_mode`` bypasses worked.
SAFE_FUNCTION_MODULES = ("keras.activations", "keras.src.activations", "keras.losses",
                         "keras.src.losses", "keras.metrics", "keras.src.metrics")

#: First Keras release with the known ``safe_mode`` bypasses fixed (the last,
#: CVE-2026-1462, in 3.14.0): older ones load shared files only with a refusal.
SAFE_KERAS = "3.14.0"


def network_problems(config):
    """What in a Keras archive's ``config.json`` (a dict) a safe file refuses.

    Every serialised object must be one of Keras' own classes (module
    ``keras...``) or one registered by skrnn (``skrnn>Name``); Lambda layers
    and SavedModel layers are refused whatever their module. Returns a list
    of one-line descriptions (empty: nothing found).
    """
    from ._plain import nested_dicts

    found = []
    for node in nested_dicts(config):
        name, module = node.get("class_name"), node.get("module")
        registered = node.get("registered_name")
        if not isinstance(name, str):
            continue
        where = f"{name} (module {module})" if module else name
        if name in UNSAFE_CLASSES:
            found.append(f"a {where}, which runs Python code")
        elif name == "function" and not str(module).startswith(SAFE_FUNCTION_MODULES):
            found.append(f"a reference to the function {module}.{node.get('config')}")
        elif module is not None and not str(module).startswith(("keras", "skrnn.")):
            found.append(f"a custom {where}")
        elif registered and registered != name and not str(registered).startswith("skrnn>"):
            found.append(f"a custom {name} registered as {registered!r}")
    return sorted(set(found))


def check_network(data):
    """Raise :class:`UnsafeNetworkError` unless ``data`` is a ``.keras`` archive of safe layers."""
    import io
    import json
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            config = json.loads(archive.read("config.json"))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise UnsafeNetworkError(f"the network is not a Keras .keras archive ({exc}).") from None
    problems = network_problems(config)
    if problems:
        raise UnsafeNetworkError(
            "the network holds " + "; ".join(problems) + ", which a safe model file "
            "cannot carry: loading it would run code or need classes from outside Keras.")


def check_safe_keras():
    """Raise a ValueError when the installed Keras has known ``safe_mode`` bypasses."""
    from packaging.version import Version

    here = versions()["keras"]
    if Version(here) < Version(SAFE_KERAS):
        raise ValueError(
            f"Keras {here} has known ways around safe_mode, so skrnn does not load model "
            f"files with it: upgrade Keras (pip install -U 'keras>={SAFE_KERAS}').")


def shareable_network(model):
    """The ``.keras`` archive of ``model``, refused (``UnsafeNetworkError``) if unsafe to share."""
    data = model_to_bytes(model)
    try:
        check_network(data)
    except UnsafeNetworkError as exc:
        raise UnsafeNetworkError(f"Cannot save safely: {exc} Keep such a model in your own "
                                 "pickle files.") from None
    return data


def versions():
    """The skrnn and Keras versions recorded with a saved network."""
    from importlib import metadata

    import skrnn

    try:
        keras_version = metadata.version("keras")
    except metadata.PackageNotFoundError:  # pragma: no cover - keras is a dependency
        keras_version = "none"
    return {"skrnn": skrnn.__version__, "keras": keras_version}


def load_failure_message(owner, saved, exc):
    """The error for a network that cannot be loaded here, naming both versions."""
    here = versions()
    then = (f"skrnn {saved.get('skrnn')} and Keras {saved.get('keras')}"
            if isinstance(saved, dict) else "an unknown (older) skrnn and Keras")
    return (f"Cannot load the network of this {owner}: it was saved with {then}; this is "
            f"skrnn {here['skrnn']} and Keras {here['keras']}. Load it where the versions it "
            "was saved with are installed and save it again, or fit it anew. "
            f"({type(exc).__name__}: {exc})")


class NetworkMixin:
    """Forward passes and pickling for an estimator holding a fitted ``model_``.

    Gives batched forward passes (:meth:`_forward`), Monte-Carlo dropout
    passes with seeded masks (:meth:`_forward_mc`), and pickling through the
    ``.keras`` archive (the network travels as bytes, with the skrnn and
    Keras versions that wrote it; the Monte-Carlo wrapper is rebuilt on
    first use).
    """

    def _forward(self, Xs):
        """The network on float32 windows: ``(n, n_outputs)``."""
        return batched_predict(self.model_, Xs, forward=shape_free_forward(self.model_))

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
            if not isinstance(state["model_"], bytes):  # bytes: already an archive
                state["model_"] = model_to_bytes(state["model_"])
            state["_saved_with"] = versions()
        return state

    def __setstate__(self, state):
        state = dict(state)
        saved = state.pop("_saved_with", None)
        if isinstance(state.get("model_"), bytes):
            try:
                state["model_"] = model_from_bytes(state["model_"])
            except UnsafeNetworkError:
                raise
            except Exception as exc:
                raise ValueError(load_failure_message(type(self).__name__, saved, exc)) from exc
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
