"""The scikit-learn checks skrnn's estimators are expected to fail, and why.

Pass :func:`expected_failed_checks` to scikit-learn's
:func:`~sklearn.utils.estimator_checks.parametrize_with_checks` (or
:func:`~sklearn.utils.estimator_checks.check_estimator`) to run sklearn's
conformance suite on a skrnn estimator -- or on a subclass of your own --
with every known, reasoned failure marked as expected::

    from sklearn.utils.estimator_checks import parametrize_with_checks
    from skrnn import LSTMRegressor
    from skrnn.utils.estimator_checks import expected_failed_checks

    @parametrize_with_checks([LSTMRegressor(units=4, epochs=2)],
                             expected_failed_checks=expected_failed_checks)
    def test_sklearn_compatible(estimator, check):
        check(estimator)

Every other check passes, in graph mode (how users run the networks) and in
eager mode.
"""

from __future__ import annotations

__all__ = ["expected_failed_checks", "SGD_REASON", "FLOAT32_REASON", "PICKLE_REASON",
           "TIME_REASON"]

#: Why a network fails ``check_sample_weight_equivalence_on_dense_data``.
SGD_REASON = (
    "a network trained by mini-batch SGD: weighting a sample by k is not the "
    "same optimisation path as repeating it k times (different batches and "
    "step sizes), so predictions differ beyond the check's 1e-7 tolerance"
)

#: Why a network fails the subset and sample-order invariance checks.
FLOAT32_REASON = (
    "the network computes in float32 and the CPU kernels sum in an order that "
    "depends on the batch size and the row order (and on the CPU), so predicting "
    "a subset or a shuffled batch can differ in the 7th significant digit "
    "(about 1e-7) from predicting all rows in order"
)

#: Why a network may fail ``check_estimators_pickle`` on some CPUs.
PICKLE_REASON = (
    "a network restored from its .keras archive is rebuilt and recompiled, and "
    "on some CPUs and layers (seen: a bidirectional SimpleRNN in graph mode) the "
    "new float32 kernels sum in another order, so predictions can differ in the "
    "7th significant digit (about 3e-7) from those before pickling; skrnn's own "
    "tests check the round trip with float32 tolerances"
)

#: Why a transformer over time fails the subset and sample-order invariance checks.
TIME_REASON = (
    "rows are time steps: each window holds the rows before it, so shuffling "
    "rows or transforming a subset changes the windows by design"
)


def _has_network(estimator, depth=0):
    """Whether ``estimator`` is, wraps or ends in a skrnn network regressor."""
    from .._network import WindowNetworkRegressor

    if isinstance(estimator, WindowNetworkRegressor):
        return True
    if depth > 4 or estimator is None:
        return False
    inner = getattr(estimator, "regressor", None)
    if inner is not None and _has_network(inner, depth + 1):
        return True
    steps = getattr(estimator, "steps", None) or []
    return any(_has_network(step, depth + 1) for _, step in steps)


def expected_failed_checks(estimator):
    """The sklearn checks ``estimator`` is expected to fail, each with its reason.

    Parameters
    ----------
    estimator : estimator instance
        A skrnn estimator or transformer, a subclass of one, or a
        meta-estimator / pipeline around a skrnn network.

    Returns
    -------
    dict
        ``{check_name: reason}``, as ``parametrize_with_checks`` and
        ``check_estimator`` take it. Empty for estimators that pass every
        check.

    Examples
    --------
    >>> from skrnn import GRURegressor, SlidingWindow
    >>> from skrnn.utils.estimator_checks import expected_failed_checks
    >>> sorted(expected_failed_checks(GRURegressor()))  # doctest: +NORMALIZE_WHITESPACE
    ['check_estimators_pickle', 'check_estimators_pickle(readonly_memmap=True)',
     'check_methods_sample_order_invariance', 'check_methods_subset_invariance',
     'check_sample_weight_equivalence_on_dense_data']
    >>> sorted(expected_failed_checks(SlidingWindow(window_len=1)))
    []
    """
    from ..preprocessing import SlidingWindow, TechnicalIndicators

    if isinstance(estimator, SlidingWindow):
        if estimator.window_len > 1:
            return {"check_methods_sample_order_invariance": TIME_REASON,
                    "check_methods_subset_invariance": TIME_REASON}
        return {}
    if isinstance(estimator, TechnicalIndicators):
        return {"check_methods_sample_order_invariance": TIME_REASON,
                "check_methods_subset_invariance": TIME_REASON}
    if _has_network(estimator):
        return {"check_sample_weight_equivalence_on_dense_data": SGD_REASON,
                "check_methods_subset_invariance": FLOAT32_REASON,
                "check_methods_sample_order_invariance": FLOAT32_REASON,
                "check_estimators_pickle": PICKLE_REASON,
                "check_estimators_pickle(readonly_memmap=True)": PICKLE_REASON}
    return {}
