"""Scaling of windows and targets: the one zero-base forward/inverse pair,
and the window scalers the estimators' ``normalize`` option picks from.

Every caller -- ``RNNRegressor(normalize="zero_base")``,
:class:`~skrnn.ZeroBaseRegressor` and ``RNNForecaster(normalize="zero_base")``
-- scales with :func:`zero_base` / :func:`zero_base_target` and maps back
with :func:`inverse_zero_base_target`; nothing else in skrnn writes the
arithmetic. The public names are re-exported by :mod:`skrnn.preprocessing`.

A new normalisation is one :class:`WindowScaler` subclass and one entry in
``SCALERS``.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._validation import window_rows

#: Windows per chunk when a scaler reduces or scales many windows (bounded
#: temporary memory for windows that are a strided view).
CHUNK = 4096


def zero_base(windows, anchor="first"):
    """Zero-base normalise windows: ``x / x0 - 1`` per window and feature.

    ``x0`` is the first row (oldest observation) of each window; a zero
    ``x0`` is replaced by 1, exactly as the reference study's ``normalise_zero_base``.
    With ``anchor="last"`` it is the last row (the newest observation): the
    window then reads as returns relative to today, and a target scaled the
    same way is the return to predict (0 means "no change").

    Parameters
    ----------
    windows : array-like of shape (n_windows, n_timesteps, n_features)
        Raw windows, e.g. the output of :class:`SlidingWindow`. A 2D array is
        read as univariate windows ``(n_windows, n_timesteps)``.
    anchor : {"first", "last"}, default="first"
        Which row of each window is the base.

    Returns
    -------
    scaled : ndarray, same shape as ``windows``
        The normalised windows (the first row of each window is 0).
    base : ndarray of shape (n_windows, n_features)
        The per-window bases ``x0`` (zeros replaced by 1), needed to scale a
        target and to map predictions back.

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn import zero_base
    >>> w = np.array([[[2.0, 0.0], [3.0, 5.0]]])
    >>> scaled, base = zero_base(w)
    >>> scaled[0].tolist(), base.tolist()
    ([[0.0, -1.0], [0.5, 4.0]], [[2.0, 1.0]])
    """
    windows = np.asarray(windows, dtype=float)
    squeeze = windows.ndim == 2
    w3 = windows[:, :, None] if squeeze else windows
    if w3.ndim != 3:
        raise ValueError(f"zero_base expects 2D or 3D windows, got shape {windows.shape}.")
    if anchor not in ("first", "last"):
        raise ValueError(f'anchor must be "first" or "last", got {anchor!r}.')
    base = w3[:, 0 if anchor == "first" else -1, :].copy()
    base[base == 0] = 1.0
    scaled = _forward(w3, base[:, None, :])
    return (scaled[:, :, 0] if squeeze else scaled), base


def zero_base_target(y, base, target_channel=0):
    """Scale a target with the base of its own input channel: ``y / x0 - 1``.

    Parameters
    ----------
    y : array-like of shape (n_windows,) or (..., n_windows, n_outputs)
        One target per window, or several outputs per window (leading axes,
        such as Monte-Carlo samples, broadcast).
    base : ndarray of shape (n_windows, n_features)
        The bases returned by :func:`zero_base`.
    target_channel : int or sequence of int, default=0
        Position of the target's column among the window features. With a
        sequence of ``k`` channels, output ``j`` is scaled by channel
        ``target_channel[j % k]`` -- ``k`` target columns laid out step after
        step, as a multi-step forecaster of ``k`` series trains them.

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn import zero_base_target
    >>> zero_base_target(np.array([110.0]), np.array([[100.0, 7.0]])).tolist()
    [0.10000000000000009]
    >>> zero_base_target(np.array([[110.0, 14.0]]), np.array([[100.0, 7.0]]),
    ...                  target_channel=[0, 1]).round(6).tolist()
    [[0.1, 1.0]]
    """
    y = np.asarray(y, dtype=float)
    return _forward(y, _target_base(base, target_channel, y.shape))


def inverse_zero_base_target(y_scaled, base, target_channel=0):
    """Map zero-base predictions back to the data's units: ``x0 * (1 + y)``.

    Takes the shapes and ``target_channel`` of :func:`zero_base_target`;
    leading axes (Monte-Carlo samples ``(n_samples, n_windows, n_outputs)``)
    broadcast.

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn import inverse_zero_base_target
    >>> inverse_zero_base_target(np.array([0.1]), np.array([[100.0]])).tolist()
    [110.00000000000001]
    """
    y_scaled = np.asarray(y_scaled, dtype=float)
    return _inverse(y_scaled, _target_base(base, target_channel, y_scaled.shape))


def zero_base_spread(spread, base, target_channel=0):
    """Map a spread (std, interval half-width) of zero-base targets to data units.

    ``x0 * (1 + y)`` stretches distances by ``|x0|``. Shapes as for
    :func:`inverse_zero_base_target`.
    """
    spread = np.asarray(spread, dtype=float)
    return np.abs(_target_base(base, target_channel, spread.shape)) * spread


def _forward(values, base):
    return values / base - 1.0


def _inverse(scaled, base):
    return base * (1.0 + scaled)


def _target_base(base, target_channel, y_shape):
    """The base of every target value, broadcastable to ``y_shape``.

    ``y_shape`` is ``(n_windows,)`` or ``(..., n_windows, n_outputs)``.
    """
    base = np.asarray(base, dtype=float)
    n_features = base.shape[1]
    channels = [target_channel] if np.ndim(target_channel) == 0 else list(target_channel)
    if not channels or any(
        isinstance(c, bool) or not isinstance(c, numbers.Integral) or not -n_features <= c < n_features
        for c in channels
    ):
        raise ValueError(
            f"target_channel={target_channel!r} is not a valid feature position "
            f"for windows with {n_features} feature(s); give the integer "
            "position of the target's column (0 when it is the first column)."
        )
    if len(y_shape) == 1:
        if len(channels) != 1:
            raise ValueError(
                f"A 1D target has one column, but target_channel={target_channel!r} "
                "names several."
            )
        return base[:, channels[0]]
    n_outputs = y_shape[-1]
    if n_outputs % len(channels):
        raise ValueError(
            f"The target has {n_outputs} outputs, not a multiple of the "
            f"{len(channels)} channels in target_channel={target_channel!r}."
        )
    return base[:, np.asarray(channels)[np.arange(n_outputs) % len(channels)]]


# --------------------------------------------------------------------------
# window scalers: what the estimators' ``normalize`` option picks
# --------------------------------------------------------------------------
class WindowScaler:
    """Scale windows and targets, and map predictions and spreads back.

    ``fit`` learns what it needs from the training windows (nothing for a
    per-window scaling); ``windows`` returns the scaled windows and a
    per-window context; ``target``/``inverse``/``spread`` scale targets of
    shape ``(n,)`` or ``(..., n, n_outputs)`` with that context.
    """

    def fit(self, X):
        """Learn from the training windows ``(n, timesteps, features)``; returns self."""
        return self

    def windows(self, X):
        """Scaled windows and the context for the targets of those windows."""
        return X, None

    def context(self, X):
        """The context of :meth:`windows` alone, without scaling the windows."""
        return self.windows(X)[1]

    def target(self, y, context, channel):
        """Targets in the scaled space."""
        return y

    def inverse(self, y, context, channel):
        """Predictions (or samples, quantiles) back in the data's units."""
        return y

    def spread(self, s, context, channel):
        """A spread (std) back in the data's units."""
        return s


class ZeroBaseScaler(WindowScaler):
    """``x / x0 - 1`` per window, ``x0`` its first (or last) row."""

    def __init__(self, anchor="first"):
        self.anchor = anchor

    def windows(self, X):
        return zero_base(X, anchor=self.anchor)

    def context(self, X):
        base = np.array(X[:, 0 if self.anchor == "first" else -1, :], dtype=float)
        base[base == 0] = 1.0
        return base

    def target(self, y, context, channel):
        return zero_base_target(y, context, channel)

    def inverse(self, y, context, channel):
        return inverse_zero_base_target(y, context, channel)

    def spread(self, s, context, channel):
        return zero_base_spread(s, context, channel)


class StandardWindowScaler(WindowScaler):
    """``(x - mean) / std`` per feature, both fitted on the training windows.

    The rule for series that are not strictly positive (where zero-base
    ratios explode or flip sign): one global scaling, as a
    ``StandardScaler`` before the windows would do, but kept inside the
    estimator so predictions come back in the data's units.
    """

    def fit(self, X):
        # mean and std over every window row (rows shared by windows count
        # once per window), summed chunk by chunk so that a strided view of
        # windows is never copied whole
        count = X.shape[0] * X.shape[1]
        self.mean_ = sum(c.sum(axis=0) for c in _row_chunks(X)) / count
        std = np.sqrt(sum(((c - self.mean_) ** 2).sum(axis=0) for c in _row_chunks(X)) / count)
        self.scale_ = np.where(std > 0, std, 1.0)
        return self

    def windows(self, X):
        return (X - self.mean_) / self.scale_, len(X)

    def context(self, X):
        return len(X)

    def _stats(self, channel, shape):
        ch = [channel] if np.ndim(channel) == 0 else list(channel)
        idx = np.asarray(ch)[np.arange(shape[-1] if len(shape) > 1 else 1) % len(ch)]
        mean, scale = self.mean_[idx], self.scale_[idx]
        return (mean[0], scale[0]) if len(shape) == 1 else (mean, scale)

    def target(self, y, context, channel):
        y = np.asarray(y, dtype=float)
        mean, scale = self._stats(channel, y.shape)
        return (y - mean) / scale

    def inverse(self, y, context, channel):
        y = np.asarray(y, dtype=float)
        mean, scale = self._stats(channel, y.shape)
        return mean + scale * y

    def spread(self, s, context, channel):
        s = np.asarray(s, dtype=float)
        return self._stats(channel, s.shape)[1] * s


def _row_chunks(X):
    """The window rows of ``X`` as 2D blocks of at most ``CHUNK`` windows, one at a time."""
    for start in range(0, len(X), CHUNK):
        yield X[start:start + CHUNK].reshape(-1, X.shape[-1])


class ScaledWindows:
    """Windows scaled one batch at a time, as float32 for the network.

    Holds the raw windows (a strided view stays a view), a fitted
    :class:`WindowScaler` and, for training, the raw targets ``(n,
    n_outputs)``, the target channel and the sample weights. :meth:`take`
    gathers the windows at some positions, scales them and casts them to
    float32; the result equals the same rows of the whole array scaled at
    once (every scaling is per window or per feature), but only one batch
    is ever in memory.
    """

    def __init__(self, windows, scaler, targets=None, channel=0, sample_weight=None):
        self.windows = windows
        self.scaler = scaler
        self.targets = targets
        self.channel = channel
        self.sample_weight = sample_weight

    def __len__(self):
        return len(self.windows)

    def take(self, idx):
        """Scaled float32 windows at positions ``idx`` (a slice or integer array)."""
        return self.scaler.windows(self.windows[idx])[0].astype(np.float32)

    def take_xy(self, idx):
        """``(windows, targets)`` or ``(windows, targets, sample_weight)`` at ``idx``, float32."""
        scaled, context = self.scaler.windows(self.windows[idx])
        out = (scaled.astype(np.float32),
               self.scaler.target(self.targets[idx], context, self.channel).astype(np.float32))
        if self.sample_weight is None:
            return out
        return out + (np.asarray(self.sample_weight[idx], dtype=np.float32),)


#: ``normalize`` option -> window scaler factory.
SCALERS = {
    None: WindowScaler,
    "zero_base": lambda: ZeroBaseScaler("first"),
    "last_value": lambda: ZeroBaseScaler("last"),
    "standard": StandardWindowScaler,
}

#: The rule behind ``normalize="auto"``: per-window scaling by the last value
#: for strictly positive data (prices, rates, counts above zero), where
#: relative moves are what repeats; a fitted standardisation otherwise.
AUTO_POSITIVE, AUTO_OTHER = "last_value", "standard"


def resolve_normalize(normalize, X):
    """The concrete ``normalize`` option for training windows ``X``."""
    if normalize != "auto":
        return normalize
    rows = window_rows(X)  # the rows under a window view: no 3D mask
    positive = (np.all(rows > 0) if rows is not None
                else all(np.all(X[i:i + CHUNK] > 0) for i in range(0, len(X), CHUNK)))
    return AUTO_POSITIVE if positive else AUTO_OTHER


def make_window_scaler(normalize, X):
    """A fitted :class:`WindowScaler` for the (resolved) ``normalize`` option."""
    return SCALERS[resolve_normalize(normalize, X)]().fit(X)
