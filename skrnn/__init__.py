"""skrnn: recurrent neural networks for time-series forecasting in scikit-learn.

Importing skrnn does not import TensorFlow or Keras; they load when a model
is built or loaded.
"""

from .estimators import (
    GRURegressor,
    LSTMRegressor,
    RNNRegressor,
    SimpleRNNRegressor,
    TransformerRegressor,
    ZeroBaseRegressor,
)
from . import persistence
from .model_selection import ChronologicalSplit, chronological_split
from .preprocessing import (
    FlattenWindows,
    SlidingWindow,
    TechnicalIndicators,
    inverse_zero_base_target,
    make_panel_windows,
    make_supervised,
    zero_base,
    zero_base_target,
)

__version__ = "0.1.0"

__all__ = [
    "SlidingWindow",
    "FlattenWindows",
    "TechnicalIndicators",
    "make_supervised",
    "make_panel_windows",
    "zero_base",
    "zero_base_target",
    "inverse_zero_base_target",
    "ChronologicalSplit",
    "chronological_split",
    "RNNRegressor",
    "LSTMRegressor",
    "GRURegressor",
    "SimpleRNNRegressor",
    "TransformerRegressor",
    "ZeroBaseRegressor",
]
