"""Multi-step strategies of :class:`~skrnn.forecasting.RNNForecaster`.

A strategy decides which networks are trained on which targets and how their
outputs become forecasts ``h`` steps ahead. Each strategy is one subclass of
:class:`Strategy`, registered under its name in :data:`STRATEGIES`; the
forecaster looks its ``strategy`` parameter up there. Adding a strategy is
one new class and one :func:`register_strategy` call.

Strategies see plain arrays, already globally scaled. The forecaster hands
them two callbacks, so a strategy never deals with normalization:

``fit_one(W, Y)``
    Clones the forecaster's estimator and fits it on windows ``W`` of shape
    ``(n, window_len, n_channels)`` and 2D targets ``Y`` of shape
    ``(n, n_outputs)`` (``normalize="zero_base"`` applied); returns the
    fitted regressor.
``predict(reg, W, n_samples)``
    Runs ``reg`` on a batch of windows and returns an array of shape
    ``(n_paths, B, n_outputs)`` in the units of the targets: ``n_paths`` is
    1 for a point forecast (``n_samples=None``), else ``n_samples``
    Monte-Carlo dropout draws.

:meth:`Strategy.fit` takes a list of series, each a ``(Z, y)`` pair (or a
``(Z, y, ranks)`` triple, see :func:`window_order`), and builds training
windows within each series (never across two): a global model trained on
many series (a panel) fits the same interface.
"""

from __future__ import annotations

import numpy as np

from .. import _keras
from ..preprocessing import windows_of


class Strategy:
    """Base class of the multi-step strategies: train, then roll forward.

    Subclasses override :meth:`plan` (the steps ahead the networks are
    trained for), :meth:`_fit` (which networks, on which targets) and
    :meth:`forecast` (how their outputs become forecasts), and optionally
    :meth:`check_steps` (which steps a fitted strategy can forecast). The
    class attributes :attr:`needs_fh` and :attr:`reads_future_X` give the
    sktime tags the forecaster sets for the strategy.

    Parameters
    ----------
    name : str
        The name the strategy is registered under (used in messages).

    Attributes
    ----------
    estimators_ : list of regressor
        The fitted networks.
    horizons_ : list of int
        The steps ahead the networks were trained for.
    n_targets_ : int
        Columns of ``y``, the first channels of every window.

    Examples
    --------
    The steps ahead each strategy trains its networks for, for ``fh = [1, 3]``:

    >>> from skrnn.forecasting import DirectStrategy, MIMOStrategy, RecursiveStrategy
    >>> RecursiveStrategy("recursive").plan([1, 3])
    [1]
    >>> DirectStrategy("direct").plan([1, 3])
    [1, 3]
    >>> MIMOStrategy("mimo").plan([1, 3])
    [1, 2, 3]
    """

    #: Whether fit needs the forecasting horizon (tag ``requires-fh-in-fit``).
    needs_fh = False
    #: Whether forecasts read exogenous rows after the cutoff, which makes a
    #: future ``X`` at the ``fh`` points only not enough (tag
    #: ``capability:non_contiguous_X`` off).
    reads_future_X = False

    def __init__(self, name):
        self.name = name

    @classmethod
    def sktime_tags(cls):
        """The sktime tags of a forecaster that uses this strategy.

        Returns
        -------
        tags : dict
        """
        return {
            "requires-fh-in-fit": bool(cls.needs_fh),
            "capability:non_contiguous_X": not cls.reads_future_X,
        }

    def plan(self, steps):
        """The steps ahead to train for.

        Parameters
        ----------
        steps : list of int or None
            The sorted positive steps of the ``fh`` given to fit (``None``
            when the strategy does not need it).

        Returns
        -------
        horizons : list of int
        """
        raise NotImplementedError

    def fit(self, series, window_len, steps, fit_one):
        """Train the networks on every window of every series.

        Parameters
        ----------
        series : list of tuple of ndarray
            One ``(Z, y)`` pair per series: ``Z`` of shape ``(T, n_channels)``
            (the ``y`` columns first, then those of ``X``) and ``y`` of shape
            ``(T, n_targets)``, both globally scaled; or ``(Z, y, ranks)``
            triples, which pool the windows in time order (see
            :func:`window_order`).
        window_len : int
            Time steps per window.
        steps : list of int or None
            See :meth:`plan`.
        fit_one : callable
            ``fit_one(W, Y)`` returns a fitted regressor (see the module notes).

        Returns
        -------
        self : Strategy
        """
        self.horizons_ = [int(h) for h in self.plan(steps)]
        L, H = int(window_len), max(self.horizons_)
        T = min(len(s[0]) for s in series)
        if T < L + H:
            which = "y has" if len(series) == 1 else "The shortest series of y has"
            raise ValueError(
                f"{which} {T} time points, too few for window_len={L} and "
                f"{'horizon ' + str(H) if H > 1 else 'one-step targets'} "
                f"with strategy={self.name!r}: at least {L + H} are needed "
                "(window_len + the largest step). Use a shorter window, a shorter "
                "horizon or more data."
            )
        self.n_targets_ = int(series[0][1].shape[1])
        self.estimators_ = list(self._fit(series, L, fit_one))
        return self

    def _fit(self, series, window_len, fit_one):
        """The fitted networks, in the order :meth:`forecast` reads them."""
        raise NotImplementedError

    def check_steps(self, steps):
        """Raise if the fitted strategy can not forecast ``steps`` ahead.

        Parameters
        ----------
        steps : ndarray of int
            Positive steps ahead.
        """

    def forecast(self, W, X_fut, steps, predict, n_samples=None, seed=None):
        """Forecasts from a batch of windows.

        Parameters
        ----------
        W : ndarray of shape (B, window_len, n_channels)
            Windows ending at the forecast origins.
        X_fut : ndarray of shape (B, max(steps) - 1, n_X) or None
            Exogenous rows after each origin; only given to strategies that
            set :attr:`reads_future_X`.
        steps : ndarray of int
            Steps ahead to return.
        predict : callable
            ``predict(reg, W, n_samples)`` (see the module notes).
        n_samples : int or None
            ``None`` for point forecasts, else Monte-Carlo paths.
        seed : int or None
            Seed of the Monte-Carlo dropout draws.

        Returns
        -------
        out : ndarray of shape (n_paths, B, len(steps), n_targets)
        """
        raise NotImplementedError

    @staticmethod
    def training_pairs(series, window_len, horizon):
        """Windows and the ``horizon`` targets after each, within every series.

        Parameters
        ----------
        series : list of tuple of ndarray
            See :meth:`fit`.
        window_len, horizon : int

        Returns
        -------
        W : ndarray of shape (n, window_len, n_channels)
        Y : ndarray of shape (n, horizon, n_targets)
            ``Y[i, h - 1]`` is the ``y`` row ``h`` steps after the end of
            window ``W[i]``. Series after series, or in time order when the
            series carry ranks (see :func:`window_order`).
        """
        Ws, Ys = [], []
        for Z, y, *_ in series:
            n = len(Z) - window_len - horizon + 1
            Ws.append(windows_of(Z, window_len)[:n])
            Y = np.lib.stride_tricks.sliding_window_view(y[window_len:], horizon, axis=0)[:n]
            Ys.append(Y.transpose(0, 2, 1))
        if len(series) == 1:
            return Ws[0], np.ascontiguousarray(Ys[0])
        order, _ = window_order(series, window_len, horizon)
        return np.concatenate(Ws)[order], np.concatenate(Ys)[order]

    @staticmethod
    def _seed(reg, seed):
        """Seed the Monte-Carlo dropout of ``reg`` (nothing for ``seed=None``)."""
        if seed is not None:
            _keras.seed_dropout(reg, seed)


class RecursiveStrategy(Strategy):
    """One network predicts one step ahead; forecasts are fed back.

    The network predicts all ``y`` columns one step ahead; the forecast (and
    the exogenous row of that time) is appended to the window to predict
    the next step, so any ``fh`` can be asked for at predict time. The
    window of step ``k`` ends at ``cutoff + k - 1``, so exogenous ``X`` is
    needed up to ``cutoff + max(fh) - 1``. Monte-Carlo paths feed their own
    sampled values back, so the uncertainty accumulates over the horizon.

    Parameters
    ----------
    name : str
        The name the strategy is registered under (used in messages).

    Examples
    --------
    >>> from skrnn.forecasting import RecursiveStrategy
    >>> strategy = RecursiveStrategy("recursive")
    >>> strategy.plan([1, 5, 7]), strategy.needs_fh
    ([1], False)
    """

    reads_future_X = True

    def plan(self, steps):
        """One-step targets only: ``[1]``."""
        return [1]

    def _fit(self, series, window_len, fit_one):
        W, Y = self.training_pairs(series, window_len, 1)
        return [fit_one(W, Y[:, 0])]

    def forecast(self, W, X_fut, steps, predict, n_samples=None, seed=None):
        """Roll the window forward ``max(steps)`` times (see :meth:`Strategy.forecast`)."""
        sample = n_samples is not None
        P = int(n_samples) if sample else 1
        B, k = len(W), self.n_targets_
        reg = self.estimators_[0]
        self._seed(reg, seed)
        H = int(steps.max())
        buf = np.broadcast_to(W, (P,) + W.shape).reshape((P * B,) + W.shape[1:]).copy()
        xf = None
        if X_fut is not None:
            xf = np.broadcast_to(X_fut, (P,) + X_fut.shape).reshape((P * B,) + X_fut.shape[1:])
        outs = []
        for s in range(1, H + 1):
            yhat = predict(reg, buf, 1 if sample else None)[0]  # (P*B, k), one draw per path
            outs.append(yhat)
            if s < H:
                row = yhat if xf is None else np.hstack([yhat, xf[:, s - 1]])
                buf[:, :-1] = buf[:, 1:]
                buf[:, -1] = row
        path = np.stack(outs, axis=1)  # (P*B, H, k)
        return path[:, steps - 1].reshape(P, B, len(steps), k)


class DirectStrategy(Strategy):
    """One network per distinct step of ``fh``, each predicting ``h`` steps ahead.

    Every network is a clone of the estimator and reads the same window;
    ``fh`` must be given in fit, and only its steps can be forecast.

    Parameters
    ----------
    name : str
        The name the strategy is registered under (used in messages).

    Examples
    --------
    >>> from skrnn.forecasting import DirectStrategy
    >>> strategy = DirectStrategy("direct")
    >>> strategy.plan([1, 5, 7]), strategy.needs_fh
    ([1, 5, 7], True)
    """

    needs_fh = True

    def plan(self, steps):
        """The steps of ``fh``."""
        return list(steps)

    def _fit(self, series, window_len, fit_one):
        nets = []
        for h in self.horizons_:
            W, Y = self.training_pairs(series, window_len, h)
            nets.append(fit_one(W, np.ascontiguousarray(Y[:, h - 1])))
        return nets

    def check_steps(self, steps):
        """Raise for steps the strategy was not fitted for."""
        missing = sorted(set(steps.tolist()) - set(self.horizons_))
        if missing:
            raise ValueError(
                f"strategy='direct' was fitted for steps {self.horizons_}, not {missing}; "
                "refit with the new fh."
            )

    def forecast(self, W, X_fut, steps, predict, n_samples=None, seed=None):
        """The network of each step on the same windows (see :meth:`Strategy.forecast`)."""
        P = 1 if n_samples is None else int(n_samples)
        B, k = len(W), self.n_targets_
        cols = []
        for h in steps:
            j = self.horizons_.index(int(h))
            reg = self.estimators_[j]
            self._seed(reg, None if seed is None else seed + j)
            cols.append(predict(reg, W, n_samples).reshape(P, B, 1, k))
        return np.concatenate(cols, axis=2)


class MIMOStrategy(Strategy):
    """One network with ``max(fh) * n_columns(y)`` outputs for steps 1 to ``max(fh)``.

    The target of a window is the next ``max(fh)`` rows of ``y``, step-major
    (a 2D target, see :class:`~skrnn.RNNRegressor`); ``fh`` must be given in
    fit, and any step up to ``max(fh)`` can be forecast.

    Parameters
    ----------
    name : str
        The name the strategy is registered under (used in messages).

    Examples
    --------
    >>> from skrnn.forecasting import MIMOStrategy
    >>> strategy = MIMOStrategy("mimo")
    >>> strategy.plan([1, 3]), strategy.needs_fh
    ([1, 2, 3], True)
    """

    needs_fh = True

    def plan(self, steps):
        """Every step from 1 to ``max(fh)``."""
        return list(range(1, max(steps) + 1))

    def _fit(self, series, window_len, fit_one):
        W, Y = self.training_pairs(series, window_len, len(self.horizons_))
        return [fit_one(W, Y.reshape(len(Y), -1))]

    def check_steps(self, steps):
        """Raise for steps beyond the fitted ``max(fh)``."""
        if steps.max() > len(self.horizons_):
            raise ValueError(
                f"strategy='mimo' was fitted for steps 1..{len(self.horizons_)}, "
                f"not {int(steps.max())}; refit with the new fh."
            )

    def forecast(self, W, X_fut, steps, predict, n_samples=None, seed=None):
        """All steps from one network call (see :meth:`Strategy.forecast`)."""
        P = 1 if n_samples is None else int(n_samples)
        reg = self.estimators_[0]
        self._seed(reg, seed)
        full = predict(reg, W, n_samples).reshape(P, len(W), -1, self.n_targets_)
        return full[:, :, steps - 1]


def window_order(series, window_len, horizon):
    """Order of the pooled windows of several series, and the series of each.

    The windows of :meth:`Strategy.training_pairs` are pooled series after
    series; when every series is a ``(Z, y, ranks)`` triple, where
    ``ranks[t]`` is the position of row ``t``'s time among the times of all
    series, they are put in time order (by the time of their last row, ties
    in series order). The chronological validation and calibration tails of
    the estimator then hold the latest windows of every series, not the last
    series alone.

    Parameters
    ----------
    series : list of tuple of ndarray
        See :meth:`Strategy.fit`.
    window_len, horizon : int

    Returns
    -------
    order : ndarray of int
        Positions in the series-after-series pooling, in training order.
    which : ndarray of int
        The series of each pooled window, in training order.
    """
    ends, which = [], []
    for i, (Z, *rest) in enumerate(series):
        n = max(len(Z) - window_len - horizon + 1, 0)
        ranks = rest[1] if len(rest) > 1 else np.zeros(len(Z), dtype=int)
        ends.append(np.asarray(ranks)[window_len - 1:window_len - 1 + n])
        which.append(np.full(n, i))
    which = np.concatenate(which)
    if all(len(s) > 2 for s in series):
        order = np.argsort(np.concatenate(ends), kind="stable")
    else:
        order = np.arange(len(which))
    return order, which[order]


#: The registered strategies: name -> :class:`Strategy` subclass.
STRATEGIES = {
    "recursive": RecursiveStrategy,
    "direct": DirectStrategy,
    "mimo": MIMOStrategy,
}


def register_strategy(name, cls):
    """Make ``cls`` available as ``RNNForecaster(strategy=name)``.

    Parameters
    ----------
    name : str
        The value of the forecaster's ``strategy`` parameter.
    cls : type
        A subclass of :class:`Strategy`.

    Returns
    -------
    cls : type
        Unchanged.
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {name!r}.")
    if not (isinstance(cls, type) and issubclass(cls, Strategy)):
        raise TypeError(f"cls must be a subclass of Strategy, got {cls!r}.")
    STRATEGIES[name] = cls
    return cls


def make_strategy(name):
    """A new, unfitted instance of the strategy registered as ``name``."""
    return STRATEGIES[name](name)
