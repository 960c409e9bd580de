"""Utilities for users who extend skrnn: see :mod:`skrnn.utils.estimator_checks`."""
