"""Technical indicators of a price series: RSI, MACD and Bollinger Bands.

The plain functions (:func:`rsi`, :func:`macd`, :func:`bollinger_bands`)
return pandas objects aligned with their input and leave the warm-up rows as
NaN. :class:`TechnicalIndicators` appends them to a feature table as an
sklearn transformer.

Everything is causal: the value at row ``t`` is computed from rows ``<= t``
only (exponential recursions and trailing rolling windows, all vectorised in
pandas).
"""

from __future__ import annotations

import numbers
from numbers import Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted, validate_data

from ._validation import (
    Interval,
    StrOptions,
    check_finite,
    check_numeric_frame,
    check_params,
    check_positive_int,
    int_at_least,
    store_params,
)

_INDICATORS = ("rsi", "macd", "bollinger")


# --------------------------------------------------------------------------- #
# validation helpers
# --------------------------------------------------------------------------- #
def _as_price(series, name: str, min_rows: int, what: str) -> pd.Series:
    """Return ``series`` as a float64 Series, or raise a clear ValueError."""
    if isinstance(series, pd.DataFrame):
        if series.shape[1] != 1:
            raise ValueError(
                f"{what} needs one price series, got a DataFrame with columns "
                f"{list(series.columns)}; pass one column, e.g. frame['close']."
            )
        series = series.iloc[:, 0]
    if not isinstance(series, pd.Series):
        array = np.asarray(series)
        if array.ndim != 1:
            raise ValueError(f"{what} needs a 1D price series, got shape {array.shape}.")
        series = pd.Series(array)
    label = name if series.name is None else series.name
    if not (pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype)):
        raise ValueError(
            f"Price column {label!r} must be numeric, got dtype {series.dtype}."
        )
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(values)
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"Price column {label!r} contains {values[pos]} at row {pos} "
            f"(index {series.index[pos]!r}); indicators need a complete series. "
            "Fill or drop the missing prices first (e.g. frame.ffill())."
        )
    if len(values) < min_rows:
        raise ValueError(
            f"{what} needs at least {min_rows} rows, got {len(values)}. Use more "
            "data or shorter periods."
        )
    return pd.Series(values, index=series.index, name=series.name)


# --------------------------------------------------------------------------- #
# indicator functions
# --------------------------------------------------------------------------- #
def _wilder_mean(values: pd.Series, period: int) -> pd.Series:
    """Wilder's smoothing of ``values[1:]``, seeded at row ``period``.

    The first average (row ``period``) is the simple mean of
    ``values[1 .. period]``; after that ``avg_t = avg_{t-1} + (v_t - avg_{t-1}) / period``,
    an EMA with ``alpha = 1 / period``. Rows before ``period`` are NaN.
    """
    seeded = values.copy()
    seeded.iloc[:period] = np.nan
    seeded.iloc[period] = values.iloc[1 : period + 1].mean()
    return seeded.ewm(alpha=1.0 / period, adjust=False).mean()


def rsi(series, period=14):
    """Relative Strength Index with Wilder's smoothing.

    ``RSI = 100 * G / (G + L)``, where ``G`` and ``L`` are Wilder averages of
    the daily gains and losses (the first average is the simple mean of the
    first ``period`` changes, then ``avg_t = (avg_{t-1} * (period - 1) +
    change_t) / period``). A window with no move at all (``G = L = 0``) gives
    50.

    Parameters
    ----------
    series : pandas.Series or array-like of shape (n_samples,)
        Prices, oldest first; numeric, no NaN.
    period : int, default=14
        Smoothing period.

    Returns
    -------
    rsi : pandas.Series
        Named ``"rsi"``, same index as ``series``, values in [0, 100]; the
        first ``period`` rows are NaN.

    Raises
    ------
    ValueError
        If the series is not numeric, holds NaN or infinity, or has fewer than
        ``period + 1`` rows.

    Examples
    --------
    >>> import pandas as pd
    >>> from skrnn.preprocessing import rsi
    >>> prices = pd.Series([1.0, 2.0, 1.0, 2.0, 3.0])
    >>> rsi(prices, period=2).round(2).tolist()
    [nan, nan, 50.0, 75.0, 87.5]
    """
    period = check_positive_int(period, "period")
    price = _as_price(series, "price", period + 1, f"rsi(period={period})")
    delta = price.diff()
    gain = _wilder_mean(delta.clip(lower=0.0), period)
    loss = _wilder_mean((-delta).clip(lower=0.0), period)
    total = gain + loss
    with np.errstate(invalid="ignore", divide="ignore"):
        out = 100.0 * gain / total
    out = out.mask((total == 0.0) & total.notna(), 50.0)
    return out.rename("rsi")


def macd(series, fast=12, slow=26, signal=9):
    """Moving Average Convergence Divergence.

    ``macd = EMA_fast(price) - EMA_slow(price)``, ``macd_signal =
    EMA_signal(macd)`` and ``macd_hist = macd - macd_signal``. Each EMA uses
    ``alpha = 2 / (span + 1)`` and the recursion ``ema_t = alpha * x_t +
    (1 - alpha) * ema_{t-1}`` seeded with the first value (pandas
    ``ewm(span, adjust=False)``); an EMA of span ``n`` is reported from its
    ``n``-th value on, earlier rows are NaN.

    Parameters
    ----------
    series : pandas.Series or array-like of shape (n_samples,)
        Prices, oldest first; numeric, no NaN.
    fast, slow, signal : int, default=12, 26, 9
        Spans of the fast EMA, the slow EMA and the signal EMA;
        ``fast < slow``.

    Returns
    -------
    macd : pandas.DataFrame
        Columns ``macd, macd_signal, macd_hist``, same index as ``series``.
        ``macd`` starts at row ``slow - 1``, the other two at row
        ``slow + signal - 2``.

    Raises
    ------
    ValueError
        If the spans are not positive integers with ``fast < slow``, the
        series is not numeric, holds NaN or has fewer than
        ``slow + signal - 1`` rows.

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn.preprocessing import macd
    >>> out = macd(np.arange(40.0))
    >>> list(out.columns)
    ['macd', 'macd_signal', 'macd_hist']
    >>> int(out["macd_signal"].first_valid_index())
    33
    """
    fast = check_positive_int(fast, "fast")
    slow = check_positive_int(slow, "slow")
    signal = check_positive_int(signal, "signal")
    if fast >= slow:
        raise ValueError(f"fast ({fast}) must be smaller than slow ({slow}).")
    price = _as_price(series, "price", slow + signal - 1,
                      f"macd(fast={fast}, slow={slow}, signal={signal})")
    ema_fast = price.ewm(span=fast, adjust=False, min_periods=fast).mean()
    ema_slow = price.ewm(span=slow, adjust=False, min_periods=slow).mean()
    line = ema_fast - ema_slow
    sig = line.ewm(span=signal, adjust=False, min_periods=signal).mean()
    return pd.DataFrame(
        {"macd": line, "macd_signal": sig, "macd_hist": line - sig}, index=price.index
    )


def bollinger_bands(series, window=20, n_std=2.0, ddof=0):
    """Bollinger Bands: a moving average with bands ``n_std`` deviations away.

    ``bb_middle`` is the trailing ``window``-row mean, ``bb_upper`` /
    ``bb_lower`` add / subtract ``n_std`` times the trailing standard
    deviation, and ``bb_percent_b = (price - bb_lower) / (bb_upper -
    bb_lower)`` locates the price inside the bands (0.5 when the bands have
    zero width).

    Parameters
    ----------
    series : pandas.Series or array-like of shape (n_samples,)
        Prices, oldest first; numeric, no NaN.
    window : int, default=20
        Length of the trailing window (rows).
    n_std : float, default=2.0
        Width of the bands in standard deviations; >= 0.
    ddof : int, default=0
        Delta degrees of freedom of the standard deviation. ``0`` (the
        population deviation) follows Bollinger's definition and TA-Lib;
        ``1`` gives pandas' default sample deviation.

    Returns
    -------
    bands : pandas.DataFrame
        Columns ``bb_upper, bb_middle, bb_lower, bb_percent_b``, same index
        as ``series``; the first ``window - 1`` rows are NaN.

    Raises
    ------
    ValueError
        If ``window`` is not a positive integer (>= 2 with ``ddof=1``),
        ``n_std`` is negative, or the series is not numeric, holds NaN or has
        fewer than ``window`` rows.

    Examples
    --------
    >>> import pandas as pd
    >>> from skrnn.preprocessing import bollinger_bands
    >>> bands = bollinger_bands(pd.Series([1.0, 3.0, 1.0, 3.0]), window=2, n_std=1.0)
    >>> bands.iloc[1].tolist()
    [3.0, 2.0, 1.0, 1.0]
    """
    ddof = check_positive_int(ddof, "ddof", minimum=0)
    window = check_positive_int(window, "window", minimum=max(1, ddof + 1))
    if isinstance(n_std, bool) or not isinstance(n_std, numbers.Real) or not n_std >= 0:
        raise ValueError(f"n_std must be a number >= 0, got {n_std!r}.")
    price = _as_price(series, "price", window, f"bollinger_bands(window={window})")
    roll = price.rolling(window, min_periods=window)
    middle = roll.mean()
    std = roll.std(ddof=ddof)
    upper = middle + n_std * std
    lower = middle - n_std * std
    width = upper - lower
    with np.errstate(invalid="ignore", divide="ignore"):
        percent_b = (price - lower) / width
    percent_b = percent_b.mask((width == 0.0) & width.notna(), 0.5)
    return pd.DataFrame(
        {"bb_upper": upper, "bb_middle": middle, "bb_lower": lower, "bb_percent_b": percent_b},
        index=price.index,
    )


# --------------------------------------------------------------------------- #
# transformer
# --------------------------------------------------------------------------- #
class TechnicalIndicators(TransformerMixin, BaseEstimator):
    """Append RSI, MACD and Bollinger Bands of one price column.

    Rows stay rows: the output has the input's rows and columns, followed by
    the indicator columns, computed on the price column with
    :func:`rsi`, :func:`macd` and :func:`bollinger_bands`.

    Parameters
    ----------
    column : str, int or None, default=None
        The price column: a name (DataFrame input) or a position. ``None``
        means ``"close"`` for a DataFrame and column 0 for an array.
    indicators : tuple of {"rsi", "macd", "bollinger"}, default=("rsi", "macd", "bollinger")
        Which indicators to append, in this order. ``"rsi"`` adds ``rsi``;
        ``"macd"`` adds ``macd, macd_signal, macd_hist``; ``"bollinger"`` adds
        ``bb_upper, bb_middle, bb_lower`` (and ``bb_percent_b`` if
        ``percent_b``).
    rsi_period : int, default=14
        Wilder smoothing period of the RSI.
    macd_fast, macd_slow, macd_signal : int, default=12, 26, 9
        EMA spans of the MACD.
    bb_window : int, default=20
        Window of the Bollinger Bands.
    bb_n_std : float, default=2.0
        Band width in (population, ``ddof=0``) standard deviations.
    percent_b : bool, default=False
        Also add Bollinger %B (``bb_percent_b``).
    fillna : {"bfill"} or None, default="bfill"
        What to put in the leading warm-up rows where an indicator is not yet
        defined (the first ``rsi_period`` rows for the RSI, ``macd_slow +
        macd_signal - 2`` for the MACD, ``bb_window - 1`` for the bands).
        ``"bfill"`` copies each indicator's first defined value backwards;
        those rows then use information from the first ``min_rows_`` rows,
        i.e. up to a few dozen rows *ahead* of them. Every row after the
        warm-up is strictly causal either way. ``None`` keeps NaN (drop those
        rows, or use an estimator that accepts NaN).
    use_fit_history : bool, default=True
        When ``transform`` gets a pandas object whose index starts strictly
        after the index seen in ``fit`` (e.g. the test fold of a
        ``TimeSeriesSplit``), compute the indicators on the fitted prices
        followed by the new ones. The new rows then get exactly the values
        they would get in one run over the whole series: no warm-up, no
        back-filling in the test fold. Only past rows are used.

    Attributes
    ----------
    n_features_in_ : int
        Number of input columns.
    feature_names_in_ : ndarray of str
        Input column names; only set when ``X`` has string column names.
    column_index_ : int
        Position of the price column in the input.
    min_rows_ : int
        Fewest rows ``transform`` accepts: every selected indicator must be
        defined at least once (``rsi_period + 1``, ``macd_slow + macd_signal -
        1``, ``bb_window``).
    indicator_names_ : list of str
        The appended column names.

    See Also
    --------
    rsi, macd, bollinger_bands : The indicator functions.

    Notes
    -----
    The transformer is not invariant to row order or to cutting the data into
    batches: rows are time steps, and every indicator looks back in time.

    Examples
    --------
    >>> from skrnn.preprocessing import TechnicalIndicators
    >>> from skrnn.datasets import load_eth
    >>> frame = load_eth(sentiment=None, onchain=False, end="2018-12-31")
    >>> out = TechnicalIndicators(percent_b=True).set_output(transform="pandas").fit_transform(frame)
    >>> out.columns[5:].tolist()  # doctest: +NORMALIZE_WHITESPACE
    ['rsi', 'macd', 'macd_signal', 'macd_hist', 'bb_upper', 'bb_middle',
     'bb_lower', 'bb_percent_b']
    >>> bool(out.notna().all().all())
    True
    """

    _parameter_constraints = {
        "column": [str, numbers.Integral, None],
        "indicators": [tuple, list, str],
        "rsi_period": [int_at_least(1)],
        "macd_fast": [int_at_least(1)],
        "macd_slow": [int_at_least(1)],
        "macd_signal": [int_at_least(1)],
        "bb_window": [int_at_least(1)],
        "bb_n_std": [Interval(Real, 0, None, closed="left")],
        "percent_b": ["boolean"],
        "fillna": [StrOptions({"bfill"}), None],
        "use_fit_history": ["boolean"],
    }

    def __init__(
        self,
        column=None,
        indicators=("rsi", "macd", "bollinger"),
        rsi_period=14,
        macd_fast=12,
        macd_slow=26,
        macd_signal=9,
        bb_window=20,
        bb_n_std=2.0,
        percent_b=False,
        fillna="bfill",
        use_fit_history=True,
    ):
        store_params(self, locals())

    # -- parameters --------------------------------------------------------- #
    def _selected(self) -> list[str]:
        indicators = self.indicators
        if isinstance(indicators, str):
            indicators = (indicators,)
        try:
            indicators = list(indicators)
        except TypeError:
            raise ValueError(
                f"indicators must be a tuple of names from {_INDICATORS}, got {self.indicators!r}."
            ) from None
        unknown = [i for i in indicators if i not in _INDICATORS]
        if unknown or not indicators:
            raise ValueError(
                f"indicators must be a non-empty tuple of names from {_INDICATORS}; "
                f"got {self.indicators!r}" + (f" (unknown: {unknown!r})." if unknown else ".")
            )
        if len(set(indicators)) != len(indicators):
            raise ValueError(f"indicators has duplicates: {self.indicators!r}.")
        return indicators

    def _check_params(self):
        """Declared constraints, then the rules that span parameters."""
        check_params(self)
        selected = self._selected()
        if self.macd_fast >= self.macd_slow:
            raise ValueError(
                f"macd_fast ({self.macd_fast}) must be smaller than macd_slow ({self.macd_slow})."
            )
        return selected

    def _names_and_rows(self, selected):
        names, rows = [], []
        for ind in selected:
            if ind == "rsi":
                names.append("rsi")
                rows.append(self.rsi_period + 1)
            elif ind == "macd":
                names += ["macd", "macd_signal", "macd_hist"]
                rows.append(self.macd_slow + self.macd_signal - 1)
            else:
                names += ["bb_upper", "bb_middle", "bb_lower"]
                if self.percent_b:
                    names.append("bb_percent_b")
                rows.append(self.bb_window)
        return names, max(rows)

    # -- input ---------------------------------------------------------------- #
    @staticmethod
    def _check_frame(X):
        """Clear errors for non-numeric columns and NaN / infinity."""
        if isinstance(X, pd.DataFrame):
            check_numeric_frame(X)
            check_finite(X.to_numpy(dtype=np.float64, na_value=np.nan), "X", list(X.columns), X.index)
        elif hasattr(X, "__array__") and not hasattr(X, "toarray"):
            values = np.asarray(X)
            # otherwise validate_data reports the shape / dtype problem
            if values.ndim == 2 and np.issubdtype(values.dtype, np.number):
                check_finite(values, "X")

    def _resolve_column(self, X, n_features):
        names = getattr(self, "feature_names_in_", None)
        column = self.column
        if column is None:
            if isinstance(X, pd.DataFrame):
                column = "close"
            else:
                return 0
        if isinstance(column, str):
            if names is None:
                raise ValueError(
                    f"column={column!r} needs a DataFrame with string column names; "
                    "for an array pass the column position, e.g. column=0."
                )
            matches = np.flatnonzero(names == column)
            if len(matches) == 0:
                raise ValueError(
                    f"Price column {column!r} is not in X; its columns are "
                    f"{list(names)}. Pass column=<name or position>."
                )
            return int(matches[0])
        if isinstance(column, bool) or not isinstance(column, numbers.Integral):
            raise ValueError(f"column must be a column name, a position or None, got {column!r}.")
        if not -n_features <= column < n_features:
            raise ValueError(
                f"column={column} is out of range for X with {n_features} column(s)."
            )
        return int(column) % n_features

    @staticmethod
    def _time_index(X):
        index = getattr(X, "index", None)
        if isinstance(index, pd.Index) and len(index) and index.is_monotonic_increasing:
            return index
        return None

    # -- sklearn API ------------------------------------------------------------ #
    def fit(self, X, y=None):
        """Check the parameters and remember the input's columns.

        Parameters
        ----------
        X : array-like or pandas.DataFrame of shape (n_samples, n_features)
            Numeric features in time order, oldest row first.
        y : None
            Ignored.

        Returns
        -------
        self : TechnicalIndicators
            The fitted transformer.
        """
        selected = self._check_params()
        self._check_frame(X)
        Xv = validate_data(self, X, reset=True, dtype=np.float64)
        self.column_index_ = self._resolve_column(X, Xv.shape[1])
        if isinstance(X, pd.DataFrame) and pd.api.types.is_bool_dtype(X.dtypes.iloc[self.column_index_]):
            raise ValueError(
                f"Price column {X.columns[self.column_index_]!r} must hold prices, "
                "got dtype bool. Pass column=<the price column>."
            )
        self.indicator_names_, self.min_rows_ = self._names_and_rows(selected)
        clash = set(self.indicator_names_) & set(getattr(self, "feature_names_in_", ()))
        if clash:
            raise ValueError(
                f"X already has column(s) {sorted(clash)!r}, the names of the "
                "indicator columns; rename them first."
            )
        index = self._time_index(X)
        if self.use_fit_history and index is not None:
            self._history = pd.Series(Xv[:, self.column_index_], index=index)
        else:
            self._history = None
        return self

    def transform(self, X):
        """Append the indicator columns.

        Parameters
        ----------
        X : array-like or pandas.DataFrame of shape (n_samples, n_features)
            Same columns as in ``fit``, in time order, oldest row first, at
            least ``min_rows_`` rows (or continuing the fitted index, see
            ``use_fit_history``).

        Returns
        -------
        Xt : ndarray of shape (n_samples, n_features + n_indicators)
            The input columns followed by ``indicator_names_`` (a DataFrame
            with ``set_output(transform="pandas")``).
        """
        check_is_fitted(self)
        self._check_frame(X)
        Xv = validate_data(self, X, reset=False, dtype=np.float64)
        price = pd.Series(Xv[:, self.column_index_])
        label = (
            self.feature_names_in_[self.column_index_]
            if hasattr(self, "feature_names_in_") else f"column {self.column_index_}"
        )
        index = self._time_index(X)
        n_history = 0
        history = getattr(self, "_history", None)
        if self.use_fit_history and history is not None and index is not None:
            try:
                continues = bool(index[0] > history.index[-1])
            except TypeError:
                continues = False
            if continues:
                n_history = len(history)
                price = pd.concat([pd.Series(history.to_numpy()), price], ignore_index=True)
        price.name = label
        if len(price) < self.min_rows_:
            raise ValueError(
                f"TechnicalIndicators needs at least {self.min_rows_} rows "
                f"(the longest indicator period), got {len(price)}. Use more rows "
                "or shorter periods."
            )
        parts = []
        for ind in self._selected():
            if ind == "rsi":
                parts.append(rsi(price, self.rsi_period).to_frame())
            elif ind == "macd":
                parts.append(macd(price, self.macd_fast, self.macd_slow, self.macd_signal))
            else:
                bands = bollinger_bands(price, self.bb_window, self.bb_n_std)
                parts.append(bands if self.percent_b else bands.drop(columns="bb_percent_b"))
        extra = pd.concat(parts, axis=1)
        if self.fillna == "bfill":
            extra = extra.bfill()
        extra = extra.to_numpy(dtype=np.float64)[n_history:]
        return np.hstack([Xv, extra])

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input column names; defaults to ``feature_names_in_`` or
            ``x0, x1, ...``.

        Returns
        -------
        feature_names_out : ndarray of str
            The input names followed by ``indicator_names_``.
        """
        check_is_fitted(self)
        names = _check_feature_names_in(self, input_features)
        return np.concatenate([names, np.asarray(self.indicator_names_, dtype=object)])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags
