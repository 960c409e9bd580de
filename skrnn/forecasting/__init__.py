"""sktime forecasters around the skrnn recurrent regressors.

:class:`RNNForecaster` wraps any skrnn recurrent regressor
(:class:`~skrnn.LSTMRegressor`, :class:`~skrnn.GRURegressor`, ...) as an
sktime forecaster: forecasting horizons (relative or absolute, with gaps),
recursive / direct / MIMO multi-step strategies, uni- and multivariate ``y``,
exogenous ``X``, many series in one network (sktime panels and hierarchies),
Monte-Carlo dropout intervals and quantiles, and ``update`` that moves the
window without retraining.

The multi-step strategies are subclasses of :class:`Strategy` registered in
:data:`STRATEGIES`; :func:`register_strategy` adds one, which then is a valid
``strategy`` of :class:`RNNForecaster`.

sktime is an optional dependency (``pip install "skrnn[sktime]"``); importing
:mod:`skrnn` does not import this module.
"""

try:
    import sktime.forecasting.base  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised without sktime only
    raise ImportError(
        "skrnn.forecasting needs sktime, an optional dependency: "
        'pip install "skrnn[sktime]"'
    ) from exc

from ._forecaster import RNNForecaster
from ._strategies import (
    STRATEGIES,
    DirectStrategy,
    MIMOStrategy,
    RecursiveStrategy,
    Strategy,
    register_strategy,
)

__all__ = [
    "RNNForecaster",
    "Strategy",
    "RecursiveStrategy",
    "DirectStrategy",
    "MIMOStrategy",
    "STRATEGIES",
    "register_strategy",
]
