"""The window-network regressor: what every skrnn network shares.

:class:`WindowNetworkRegressor` fits a Keras network on windows ``(n_windows,
n_timesteps, n_features)`` and predicts in the data's units. It owns the
chronological split of the training windows (train | validation |
calibration), the scaling behind ``normalize``, training (early stopping,
learning-rate decay, seeding), batched and Monte-Carlo dropout forward passes
(:class:`skrnn._keras.NetworkMixin`, which also pickles the network) and the
calibrated intervals (:class:`skrnn._intervals.IntervalMixin`).

A network estimator subclasses it, declares its own parameters next to
:data:`SHARED_CONSTRAINTS` and builds its network in
``_build_model(n_timesteps, n_features, n_outputs)`` from a builder of
:mod:`skrnn._keras`; :class:`skrnn.RNNRegressor` and
:class:`skrnn.TransformerRegressor` are the two.
"""

from __future__ import annotations

import numbers
from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from . import _keras
from ._intervals import IntervalMixin
from ._scaling import ScaledWindows, make_window_scaler
from ._validation import (
    SEED,
    Interval,
    StrOptions,
    check_params,
    check_positive_int,
    fraction,
    int_at_least,
    validate_windows,
)

#: Constraints of the parameters every window network has (training, scaling,
#: intervals); a subclass adds its architecture's.
SHARED_CONSTRAINTS = {
    "dropout": [fraction()],
    "optimizer": [str],
    "learning_rate": [Interval(Real, 0, None, closed="neither")],
    "weight_decay": [Interval(Real, 0, None, closed="left"), None],
    "loss": [str, callable],
    "epochs": [int_at_least(1)],
    "batch_size": [int_at_least(1)],
    "validation_fraction": [fraction()],
    "early_stopping": [int_at_least(1), None],
    "lr_decay": [Interval(Real, 0, 1, closed="right"), None],
    "lr_decay_every": [int_at_least(1)],
    "clipnorm": [Interval(Real, 0, None, closed="neither"), None],
    "shuffle": ["boolean"],
    "normalize": [StrOptions({"auto", "zero_base", "last_value", "standard"}), None],
    "target_channel": [numbers.Integral],
    "n_samples": [int_at_least(1)],
    "interval": [StrOptions({"conformal_vol", "conformal", "conformal_mc", "mc"})],
    "calibration_fraction": [fraction()],
    "random_state": SEED,
    "verbose": ["verbose"],
    "callbacks": [list, tuple, None],
}


def _chronological_parts(n, validation_fraction, n_cal):
    """Sizes of the training, validation and calibration parts, in time order."""
    n_val = int(validation_fraction * n) if validation_fraction else 0
    if n - n_cal - n_val < 1:  # too few windows: train on something, drop what cannot be held out
        n_cal = n_val = 0
    return n - n_val - n_cal, n_val, n_cal


def check_finite_outputs(out, stage):
    """Raise a ValueError when predictions for finite windows are NaN or infinite.

    The windows were checked finite and training stops at a non-finite loss,
    so this means windows far outside the training range once scaled.
    """
    bad = ~np.isfinite(out)
    if bad.any():
        rows = np.flatnonzero(bad.reshape(-1, out.shape[-1]).any(axis=1) if out.ndim > 1 else bad)
        first = int(rows[0] % out.shape[-2]) if out.ndim > 1 else int(rows[0])
        raise ValueError(
            f"The {stage} outputs are NaN or infinite for finite windows ({int(bad.sum())} "
            f"values, the first for window {first}): the windows are far outside what the "
            "network was trained on once scaled (with normalize=None, values beyond float32's "
            "range; with zero-base scaling, a first value near zero). Check those windows, or "
            "refit with normalize='auto' or 'standard'.")


def _n_samples(est, n_samples):
    n = est.n_samples if n_samples is None else n_samples
    return check_positive_int(n, "n_samples")


class WindowNetworkRegressor(IntervalMixin, _keras.NetworkMixin, RegressorMixin, BaseEstimator):
    """Base of the skrnn network regressors: fit, predict, Monte-Carlo passes, intervals.

    Not used directly. A subclass defines ``__init__`` with its parameters
    (the :data:`SHARED_CONSTRAINTS` ones among them), ``_parameter_constraints``
    and ``_build_model(n_timesteps, n_features, n_outputs)`` returning a
    Keras model with a linear output of ``n_outputs`` units, compiled by
    ``self._compile(model)``; it may
    extend ``_check_params`` (rules across parameters) and list the rate
    parameters of its dropout layers in ``_DROPOUT_PARAMS``.

    Fitting splits the windows in time into train | validation |
    calibration, scales windows and targets by ``normalize``, trains with
    early stopping and learning-rate decay, and calibrates the intervals on
    the held-out tail. Predictions come back in the data's units and ``y``'s
    shape.
    """

    #: Parameters whose rates feed the dropout layers (Monte-Carlo sampling
    #: needs one of them above 0).
    _DROPOUT_PARAMS = ("dropout",)

    # ------------------------------------------------------------------ params
    def _check_params(self):
        """The declared constraints; subclasses add rules across parameters."""
        check_params(self)

    def _has_dropout(self):
        """Whether the network has a dropout layer with a rate above 0."""
        return any(getattr(self, name) > 0 for name in self._DROPOUT_PARAMS)

    def _build_model(self, n_timesteps, n_features, n_outputs):
        raise NotImplementedError(
            f"{type(self).__name__} must define _build_model(n_timesteps, n_features, "
            "n_outputs) returning a compiled Keras model (see skrnn._keras).")

    def _compile(self, model):
        """Compile ``model`` with the optimizer, learning rate, weight decay, clipping and loss."""
        return _keras.compile_network(model, optimizer=self.optimizer,
                                      learning_rate=self.learning_rate,
                                      weight_decay=self.weight_decay,
                                      clipnorm=self.clipnorm, loss=self.loss)

    # ------------------------------------------------------------------ fit
    def fit(self, X, y, sample_weight=None):
        """Train the network on windows ``X`` and targets ``y``.

        The last ``validation_fraction`` of the windows (in time) are held
        out for early stopping; with ``normalize="zero_base"`` windows and
        targets are scaled first.

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
        self.scaler_ = make_window_scaler(self.normalize, X)
        # windows stay as given (a view of SlidingWindow stays a view): the
        # feeder slices, scales and casts one batch at a time
        source = ScaledWindows(X, self.scaler_, y.reshape(len(y), -1), self.target_channel,
                               sample_weight)
        self.n_outputs_ = source.targets.shape[1]
        source.take_xy(slice(0, 1))  # a bad target_channel fails here, not inside Keras
        if self.random_state is not None:
            _keras.set_global_seed(self.random_state)
        n = self.n_windows_fit_ = len(X)
        n_train, n_val, n_cal = _chronological_parts(n, self.validation_fraction, self._n_calibration(n))
        validation = None
        if _keras.materialise(source, n_train + n_val):  # small: Keras batches arrays fastest
            arrays = source.take_xy(slice(0, n_train + n_val))
            train = {"X": arrays[0][:n_train], "Y": arrays[1][:n_train],
                     "sample_weight": arrays[2][:n_train] if len(arrays) > 2 else None,
                     "batch_size": self.batch_size, "shuffle": self.shuffle,
                     "seed": self.random_state}
            if n_val:
                validation = tuple(a[n_train:] for a in arrays)
        else:  # long series: windows stay views, scaled one batch at a time
            train = {"X": _keras.window_batches(source, np.arange(n_train), batch_size=self.batch_size,
                                                shuffle=self.shuffle, seed=self.random_state,
                                                repeat=True)}
            if n_val:
                validation = _keras.window_batches(source, np.arange(n_train, n_train + n_val),
                                                   batch_size=self.batch_size)
        with _keras.private_layer_seeds(self.random_state):  # not the process-wide stream
            self.model_ = self._build_model(X.shape[1], X.shape[2], self.n_outputs_)
        self._mc_model = None
        callbacks = _keras.training_callbacks(
            early_stopping=self.early_stopping, has_validation=bool(n_val),
            lr_decay=self.lr_decay, lr_decay_every=self.lr_decay_every, extra=self.callbacks)
        try:
            self.history_ = _keras.fit_network(
                self.model_, **train, epochs=self.epochs, verbose=self.verbose, callbacks=callbacks,
                validation_data=validation)
        except BaseException:  # a loss gone NaN, out of memory, Ctrl-C: nothing half-fitted stays
            for name in [k for k in vars(self) if k.endswith("_") and not k.startswith("__")]:
                delattr(self, name)
            raise
        # calibrate on the held-out tail, or on the validation tail when none is held out
        cal = slice(n - n_cal, n) if n_cal else slice(n_train, n_train + n_val)
        self.calibration_, self.interval_fit_ = None, self.interval
        if cal.stop > cal.start:
            self.calibration_ = self._calibrate(*self._scale_windows(X[cal]), y[cal])
        self.n_epochs_ = len(self.history_.get("loss", []))
        return self

    # ------------------------------------------------------------------ predict
    def _prepare(self, X):
        check_is_fitted(self, "model_")
        return self._scale_windows(validate_windows(self, X, reset=False))

    def _scale_windows(self, X):
        """A lazy float32 source of the scaled windows (:class:`ScaledWindows`) and their context."""
        return ScaledWindows(X, self.scaler_), self.scaler_.context(X)

    def _finish(self, out, context):
        """Map network outputs ``(..., n_windows, n_outputs)`` to units and ``y``'s shape."""
        check_finite_outputs(out, "network")
        out = self.scaler_.inverse(out.astype(np.float64), context, self.target_channel)
        check_finite_outputs(out, "unscaled")
        return out[..., 0] if self._y_ndim == 1 else out

    def predict(self, X, return_std=False):
        """Predict in the data's units.

        Parameters
        ----------
        X : array-like of windows
        return_std : bool, default=False
            Also return a std per prediction, as
            :class:`~sklearn.gaussian_process.GaussianProcessRegressor` does (a
            :class:`~sklearn.pipeline.Pipeline` passes it to its last step):
            calibrated, ``y_pred ± 1.645 * y_std`` has the width of the
            calibrated 90 % band (the raw Monte-Carlo std with ``interval="mc"``).

        Returns
        -------
        y_pred : ndarray of shape (n_windows,) or (n_windows, n_outputs)
        y_std : ndarray shaped like ``y_pred``, only with ``return_std=True``
        """
        Xs, context = self._prepare(X)
        y_pred = self._finish(self._forward(Xs), context)
        if not return_std:
            return y_pred
        return y_pred, self._predict_std(X)

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
        if not self._has_dropout():
            needs = " or ".join(f"{name} > 0" for name in self._DROPOUT_PARAMS)
            raise ValueError(
                f"Monte-Carlo dropout needs {needs}; this "
                "model was built without dropout, so all passes would be identical."
            )
        Xs, context = self._prepare(X)
        return self._sample_scaled(Xs, context, n_samples)

    def _sample_scaled(self, Xs, context, n_samples):
        return self._finish(self._forward_mc(Xs, n_samples, self.random_state), context)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.target_tags.multi_output = True
        tags.regressor_tags.poor_score = True
        tags.non_deterministic = self.random_state is None
        return tags
