"""Every Keras backend: backend-specific code stays in one module, and the run is where it says.

CI runs the estimator tests a second time with ``KERAS_BACKEND=jax`` (see
``.ci/run``); PyTorch the same way by hand::

    pip install torch==2.13.0   # the CPU wheel
    KERAS_BACKEND=torch python -m pytest -m "not slow" tests/test_backends.py \\
        tests/test_estimators.py tests/test_sklearn_checks.py tests/test_intervals.py
"""

import ast
import os
from pathlib import Path

import numpy as np

PACKAGE = Path(__file__).resolve().parents[1] / "skrnn"
FRAMEWORKS = {"keras", "tensorflow", "jax", "jaxlib", "torch"}


def imported_modules(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module.split(".")[0]


def test_only_the_keras_room_imports_a_backend():
    offenders = {}
    for path in PACKAGE.rglob("*.py"):
        if path.name == "_keras.py" and path.parent == PACKAGE:
            continue
        found = FRAMEWORKS.intersection(imported_modules(path))
        if found:
            offenders[str(path.relative_to(PACKAGE))] = sorted(found)
    assert offenders == {}


def test_the_run_uses_the_backend_it_was_asked_for(tiny):
    from skrnn import LSTMRegressor
    from skrnn._keras import import_keras

    keras = import_keras()
    assert keras.backend.backend() == os.environ.get("KERAS_BACKEND", "tensorflow")
    X = np.random.default_rng(0).normal(size=(48, 4, 2)) + 3
    reg = LSTMRegressor(**tiny, dropout=0.2).fit(X, X[:, -1, 0])
    again = LSTMRegressor(**tiny, dropout=0.2).fit(X, X[:, -1, 0])
    np.testing.assert_array_equal(reg.predict(X[:4]), again.predict(X[:4]))  # seeded on this backend
    assert reg.predict_samples(X[:4], n_samples=3).shape == (3, 4)
