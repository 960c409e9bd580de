import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("PYTHONHASHSEED", "0")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

#: Tolerance for comparing float32 network outputs computed in two ways (batch
#: size, row order, process, CPU): float32 has about 7 significant digits and
#: CPU kernels may sum in another order, so only ~1e-6 relative is guaranteed.
F32 = dict(rtol=2e-5, atol=1e-6)

TINY = dict(units=4, epochs=2, batch_size=32, early_stopping=None,
            validation_fraction=0.0, random_state=0)

#: The same for the Transformer regressor: one block, one head of 4.
TINY_TRANSFORMER = dict(n_heads=1, key_dim=4, ff_units=8, n_blocks=1, epochs=2, batch_size=32,
                        early_stopping=None, validation_fraction=0.0, random_state=0)


@pytest.fixture
def tiny():
    """Parameters of a tiny, fast, seeded recurrent regressor."""
    return dict(TINY)


@pytest.fixture
def eth():
    """The bundled Binance ETHUSDT daily candles, close first."""
    import pandas as pd
    from importlib.resources import files

    path = files("skrnn.datasets") / "data" / "eth_binance_1d.csv"
    frame = pd.read_csv(path, index_col="timestamp", parse_dates=True)
    return frame[["close", "open", "high", "low", "volume"]]


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture
def eager_tensorflow():
    """Run TensorFlow functions eagerly.

    The conformance suites (sklearn's and sktime's) fit hundreds of 2-4 unit
    networks on 10-50 points, where tracing the training graph (about 0.6 s a
    model) costs far more than the training. The maths is the same. On the
    JAX backend (``KERAS_BACKEND=jax``) the same holds for XLA compilation:
    ``jax.disable_jit`` runs the steps op by op.
    """
    if os.environ.get("KERAS_BACKEND") == "jax":
        jax = pytest.importorskip("jax")
        with jax.disable_jit():
            yield
        return
    tf = pytest.importorskip("tensorflow")
    tf.config.run_functions_eagerly(True)
    yield
    tf.config.run_functions_eagerly(False)
