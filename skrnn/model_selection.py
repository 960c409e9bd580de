"""Chronological hold-out splitting that never shuffles."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.model_selection import BaseCrossValidator
from sklearn.utils import indexable
from sklearn.utils.validation import _num_samples

__all__ = ["ChronologicalSplit", "chronological_split"]


def _n_test(n_samples, test_size):
    if isinstance(test_size, bool) or not isinstance(test_size, numbers.Real):
        raise ValueError(f"test_size must be a float in (0, 1) or an int >= 1, got {test_size!r}.")
    if isinstance(test_size, numbers.Integral):
        n_test = int(test_size)
        if not 1 <= n_test < n_samples:
            raise ValueError(
                f"test_size={n_test} rows must be between 1 and n_samples - 1 "
                f"= {n_samples - 1}."
            )
        return n_test
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size={test_size} must be in (0, 1) as a fraction.")
    # the reference study's rule: split_row = len(df) - int(test_size * len(df))
    n_test = int(test_size * n_samples)
    if n_test < 1 or n_test >= n_samples:
        raise ValueError(
            f"test_size={test_size} of {n_samples} rows gives {n_test} test rows; "
            "need at least 1 test and 1 training row. Use more data or another test_size."
        )
    return n_test


class ChronologicalSplit(BaseCrossValidator):
    """One train/test split in time order: the last rows are the test set.

    Usable wherever sklearn takes ``cv=`` (``GridSearchCV``,
    ``cross_validate``). ``gap`` rows between the two parts are dropped from
    training so that targets ``horizon`` steps ahead do not overlap the test
    period (use ``gap=horizon - 1``).

    Parameters
    ----------
    test_size : float or int, default=0.2
        Fraction of rows (``int(test_size * n)`` rows, the reference study's rule) or a
        number of rows for the test set.
    gap : int, default=0
        Rows left out between the end of training and the start of test.

    Raises
    ------
    ValueError
        From :meth:`split`, if ``test_size`` or ``gap`` is out of range or no
        training row is left.

    See Also
    --------
    chronological_split : The same split applied to arrays and frames.
    sklearn.model_selection.TimeSeriesSplit : Several expanding folds.

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn import ChronologicalSplit
    >>> train, test = next(ChronologicalSplit(test_size=0.2, gap=1).split(np.zeros(10)))
    >>> train.tolist(), test.tolist()
    ([0, 1, 2, 3, 4, 5, 6], [8, 9])
    """

    def __init__(self, test_size=0.2, gap=0):
        self.test_size = test_size
        self.gap = gap

    def split(self, X, y=None, groups=None):
        """Yield one ``(train_index, test_index)`` pair, both ascending.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            The rows in time order; only their number is used.
        y : array-like of shape (n_samples,), default=None
            Ignored; there for the scikit-learn API.
        groups : array-like, default=None
            Ignored; there for the scikit-learn API.

        Yields
        ------
        train : ndarray of int
            The first ``n_samples - n_test - gap`` positions.
        test : ndarray of int
            The last ``n_test`` positions.
        """
        X, y, groups = indexable(X, y, groups)
        n = _num_samples(X)
        n_test = _n_test(n, self.test_size)
        if isinstance(self.gap, bool) or not isinstance(self.gap, numbers.Integral) or self.gap < 0:
            raise ValueError(f"gap must be an int >= 0, got {self.gap!r}.")
        n_train = n - n_test - self.gap
        if n_train < 1:
            raise ValueError(
                f"With {n} rows, {n_test} test rows and gap={self.gap} no training "
                "rows are left. Use a smaller test_size or gap."
            )
        idx = np.arange(n)
        yield idx[:n_train], idx[n - n_test:]

    def get_n_splits(self, X=None, y=None, groups=None):
        """Number of splits: always 1.

        Parameters
        ----------
        X, y, groups : object, default=None
            Ignored; there for the scikit-learn API.

        Returns
        -------
        n_splits : int
            1.
        """
        return 1


def chronological_split(*arrays, test_size=0.2, gap=0):
    """Split arrays or frames into train and test parts without shuffling.

    Like :func:`sklearn.model_selection.train_test_split` with
    ``shuffle=False``, plus an optional ``gap``.

    Parameters
    ----------
    *arrays : sequence of array-like or pandas objects
        Arrays, lists, DataFrames or Series of the same length, rows in time
        order.
    test_size : float or int, default=0.2
        Fraction of rows (``int(test_size * n)`` rows) or a number of rows
        for the test part, taken from the end.
    gap : int, default=0
        Rows dropped between the training and the test part (use
        ``horizon - 1`` for targets ``horizon`` steps ahead).

    Returns
    -------
    splitting : list
        ``[a_train, a_test, b_train, b_test, ...]``, pandas objects keep their
        index.

    Raises
    ------
    ValueError
        If no array is given, the lengths differ, ``test_size`` or ``gap`` is
        out of range, or no training row is left.

    See Also
    --------
    ChronologicalSplit : The same split as a scikit-learn splitter.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from skrnn import chronological_split
    >>> X_train, X_test = chronological_split(np.arange(10), test_size=0.3)
    >>> X_test.tolist()
    [7, 8, 9]
    >>> y = pd.Series(range(10), index=pd.date_range("2024-01-01", periods=10))
    >>> y_train, y_test = chronological_split(y, test_size=2, gap=1)
    >>> str(y_train.index[-1].date()), str(y_test.index[0].date())
    ('2024-01-07', '2024-01-09')
    """
    if not arrays:
        raise ValueError("chronological_split needs at least one array.")
    arrays = indexable(*arrays)
    train, test = next(ChronologicalSplit(test_size, gap).split(arrays[0]))
    out = []
    for a in arrays:
        if hasattr(a, "iloc"):
            out.extend([a.iloc[train], a.iloc[test]])
        else:
            a = np.asarray(a) if not hasattr(a, "shape") else a
            out.extend([a[train], a[test]])
    return out
