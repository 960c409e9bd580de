"""Training that fails says so: a NaN loss, out of memory, non-finite predictions."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from skrnn import LSTMRegressor, SlidingWindow, _keras
from tests.conftest import TINY


def _recorder():
    """A user callback that writes down (epoch, batch, loss) after every batch."""
    keras = _keras.import_keras()

    class Recorder(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seen, self._epoch = [], 0

        def on_epoch_begin(self, epoch, logs=None):
            self._epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            self.seen.append((self._epoch, batch, float(logs["loss"])))

    return Recorder()


def test_nan_loss_stops_within_the_epoch_with_a_clear_error(eth):
    # raw prices (normalize=None) and a huge learning rate: plain SGD overflows
    # within a few batches (Adam's steps are bounded by the learning rate, so
    # it only wanders off without reaching inf)
    values = eth[["close"]].to_numpy()
    W = SlidingWindow(10).fit_transform(values[:-1])[9:]
    y = values[10:, 0]
    recorder = _recorder()
    reg = LSTMRegressor(**{**TINY, "epochs": 3}, normalize=None, optimizer="sgd",
                        learning_rate=1e6, calibration_fraction=0.0, callbacks=[recorder])
    with pytest.raises(ValueError) as info:
        reg.fit(W, y)
    message = str(info.value)
    bad = [(e, b) for e, b, loss in recorder.seen if not np.isfinite(loss)]
    assert bad, "the loss never became NaN: the test no longer shows anything"
    epoch, batch = bad[0]
    assert f"at epoch {epoch + 1} of 3, batch {batch + 1} of " in message
    # training stopped at once: no batch after the first non-finite one
    assert recorder.seen[-1][:2] == (epoch, batch)
    for cure in ("learning_rate (now 1e+06)", "clipnorm", "normalize=", "zero-base"):
        assert cure in message
    # nothing half-fitted is left behind
    with pytest.raises(NotFittedError):
        check_is_fitted(reg)
    with pytest.raises(NotFittedError):
        reg.predict(W[:3])


def test_the_stop_callback_names_epoch_and_batch():
    cb = _keras.non_finite_stop_class()()
    model = type("Stub", (), {"stop_training": False, "optimizer": None})()
    cb.set_model(model)
    cb.set_params({"epochs": 5, "steps": 10})
    cb.on_epoch_begin(2)
    cb.on_train_batch_end(0, {"loss": 1.0})
    assert cb.where is None and not model.stop_training
    cb.on_train_batch_end(6, {"loss": float("inf")})
    cb.on_train_batch_end(7, {"loss": float("nan")})  # the first one is kept
    assert model.stop_training
    message = _keras.non_finite_message(model, cb.where)
    assert "training loss became inf at epoch 3 of 5, batch 7 of 10." in message
    cb = _keras.non_finite_stop_class()()
    cb.set_model(model)
    cb.set_params({"epochs": 5, "steps": 10})
    cb.on_epoch_end(1, {"loss": 1.0, "val_loss": float("nan")})
    assert "validation loss became nan at epoch 2 of 5." in _keras.non_finite_message(model, cb.where)


def test_out_of_memory_names_batch_size_and_window_shape(monkeypatch, rng):
    tf = pytest.importorskip("tensorflow")
    keras = _keras.import_keras()

    def fit(self, *args, **kwargs):
        raise tf.errors.ResourceExhaustedError(None, None, "OOM when allocating tensor")

    monkeypatch.setattr(keras.Model, "fit", fit)
    X = rng.normal(size=(64, 7, 3))
    reg = LSTMRegressor(**{**TINY, "batch_size": 16})
    with pytest.raises(MemoryError, match=r"batch_size=16 windows of shape \(7, 3\)"):
        reg.fit(X, X[:, -1, 0])
    with pytest.raises(NotFittedError):
        check_is_fitted(reg)


def test_out_of_memory_is_recognised_across_backends():
    assert _keras.is_out_of_memory(MemoryError())
    assert _keras.is_out_of_memory(RuntimeError("RESOURCE_EXHAUSTED: Out of memory while "
                                                "trying to allocate 1.2TiB"))  # JAX / XLA
    assert not _keras.is_out_of_memory(ValueError("Input 0 is incompatible"))


def test_predict_refuses_non_finite_outputs(rng):
    X = rng.normal(size=(64, 5, 2))
    reg = LSTMRegressor(**TINY, normalize=None).fit(X, X[:, -1, 0])
    huge = np.array([1e39, -1e39])  # finite in float64, infinite once cast to float32
    W = np.broadcast_to(huge, (4, 5, 2)).copy()
    assert np.isfinite(W).all()
    with np.errstate(over="ignore"), pytest.raises(
            ValueError, match="NaN or infinite for finite windows .* window 0"):
        reg.predict(W)
    assert np.isfinite(reg.predict(X[:4])).all()
