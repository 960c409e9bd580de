"""Save a fitted model to a file that is safe to share, and load it back.

A pickle runs whatever code it holds when it is loaded, so a pickled model is
for your own files only. :func:`save` writes a file that loading cannot turn
into code execution:

- the networks in Keras' ``.keras`` format, checked for code-carrying layers
  (``Lambda``) and custom classes and loaded with ``safe_mode=True``;
- everything else (parameters, fitted arrays, scalers, calibration, the
  windowing state, scikit-learn steps of a pipeline) through skops
  (``skops.io``), which rebuilds objects only of the types it is told to
  trust and never unpickles;
- pandas values (a forecaster's cutoff and recent rows, a window's last
  index), which skops cannot carry, as plain arrays and strings;
- a manifest (``manifest.json``) with the skrnn, Keras, scikit-learn and
  skops versions that wrote the file.

:func:`load` reads the manifest first and refuses a file from a newer skrnn
(naming both versions), then loads with skops trusting only skrnn's own
classes (rebuilt from their attributes, never by calling them), types skops
trusts by default (scikit-learn, numpy, builtins) and the type names you
pass in ``trusted``.

The file is a zip of ``manifest.json`` and ``estimator.skops`` (skops'
own zip, in which each network is one member holding its ``.keras``
archive).
"""

from __future__ import annotations

import importlib
import io
import json
import os
import warnings
import zipfile

from . import _keras
from ._plain import UnsupportedValue, from_plain, nested_dicts, to_plain

__all__ = ["save", "load", "dumps", "loads", "FORMAT_VERSION"]

#: Version of the file layout; files with a larger number are refused.
FORMAT_VERSION = 1
_FORMAT = "skrnn-model"
_MANIFEST = "manifest.json"
_PAYLOAD = "estimator.skops"
#: skrnn packages whose classes an estimator never holds (commands, study
#: drivers): never trusted automatically.
_NEVER_TRUSTED = ("skrnn.cli", "skrnn.study")


def _skops():
    try:
        import skops.io
    except ImportError:  # pragma: no cover - skops is in the test extras
        raise ImportError("Saving and loading shareable models needs skops: "
                          "pip install 'skrnn[share]' (or pip install skops).") from None
    return skops.io


def _version(text):
    from packaging.version import InvalidVersion, Version

    try:
        return Version(str(text))
    except InvalidVersion:
        return None


def _library_versions():
    from importlib import metadata

    out = dict(_keras.versions())
    for name in ("scikit-learn", "skops", "numpy", "pandas", "sktime"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return out


# --------------------------------------------------------------------------
# save
# --------------------------------------------------------------------------
def _check_network_estimator(original, copy):
    """Refuse what a safe file cannot carry; put the checked archive in the copy."""
    name = type(original).__name__
    callbacks = getattr(original, "callbacks", None)
    if callbacks:
        raise ValueError(
            f"Cannot save safely: {name} has callbacks={callbacks!r}, Python objects that a "
            "safe model file cannot carry. Drop them first (set_params(callbacks=None) keeps "
            "the fitted network) or keep the model in your own pickle files.")
    loss = getattr(original, "loss", "mse")
    if not isinstance(loss, str):
        raise ValueError(
            f"Cannot save safely: {name} has loss={loss!r}, a Python object that a safe "
            "model file cannot carry (it stores losses by name, such as 'mse', 'mae' or "
            "'huber'). Keep such a model in your own pickle files.")
    if getattr(original, "model_", None) is not None:
        copy.__dict__["model_"] = _keras.shareable_network(original.model_)
    copy.__dict__.pop("_mc_model", None)


def _is_skrnn_class(name):
    """Whether ``name`` ("module.Class") is a class defined in skrnn (and not a command's)."""
    module, _, attr = name.rpartition(".")
    if not module.startswith("skrnn.") or module.startswith(_NEVER_TRUSTED):
        return False
    try:
        obj = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError, ValueError):
        return False
    return isinstance(obj, type) and obj.__module__ == module


def _called_skrnn_names(schema):
    """skrnn names the skops schema would call or return as objects (not rebuilt from data).

    skops rebuilds an ``ObjectNode`` with ``cls.__new__`` and its attributes;
    other loaders call a constructor with arguments from the file or return
    a function or class. For skrnn's own names only the first is allowed.
    """
    found = set()
    for node in nested_dicts(schema):
        module = node.get("__module__")
        if (isinstance(module, str) and module.split(".")[0] == "skrnn"
                and node.get("__loader__") != "ObjectNode"):
            found.add(f"{module}.{node.get('__class__')} ({node.get('__loader__')})")
    return sorted(found)


def _trusted_types(payload, trusted):
    """The type names skops may load, or a ValueError naming those it would have to trust."""
    sio = _skops()
    with zipfile.ZipFile(io.BytesIO(payload)) as inner:
        schema = json.loads(inner.read("schema.json"))
    called = _called_skrnn_names(schema)
    if called:
        raise ValueError("Refused: the file asks to call skrnn code while loading: "
                         + ", ".join(called) + ". skrnn never writes such a file.")
    extra = set(trusted or ())
    untrusted = sio.get_untrusted_types(data=payload)
    refused = sorted(t for t in untrusted if not _is_skrnn_class(t) and t not in extra)
    if refused:
        raise ValueError(
            "Refused: the file holds objects of types that are neither skrnn's nor "
            "scikit-learn's: " + ", ".join(refused) + ". Loading them could run code "
            "from the file. If you trust its source and these types, pass "
            "trusted=[...] with these names.")
    return list(untrusted)


def _encode(estimator):
    memo = {}
    try:
        plain = to_plain(estimator, memo)
    except UnsupportedValue as exc:
        raise ValueError(f"Cannot save safely: {exc}") from None
    for copy, original in list(memo.values()):
        if isinstance(original, _keras.NetworkMixin):
            _check_network_estimator(original, copy)
    return plain


def dumps(estimator, *, trusted=None):
    """The bytes :func:`save` writes (see there)."""
    sio = _skops()
    plain = _encode(estimator)
    try:
        payload = sio.dumps(plain)
    except Exception as exc:  # skops refuses a type it cannot carry
        raise ValueError(f"Cannot save safely: {type(estimator).__name__} holds something "
                         f"skops cannot carry ({type(exc).__name__}: {exc}). Keep such a "
                         "model in your own pickle files.") from exc
    try:
        _trusted_types(payload, trusted)
    except ValueError as exc:
        raise ValueError(f"Cannot save safely: loading would be refused. {exc}") from None
    manifest = {"format": _FORMAT, "format_version": FORMAT_VERSION,
                "class": f"{type(estimator).__module__}.{type(estimator).__qualname__}",
                **_library_versions()}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(_MANIFEST, json.dumps(manifest, indent=1, sort_keys=True))
        archive.writestr(_PAYLOAD, payload)
    return out.getvalue()


def save(estimator, path, *, trusted=None):
    """Save a fitted estimator, pipeline or forecaster to a file safe to share.

    Parameters
    ----------
    estimator : object
        A skrnn regressor, a scikit-learn pipeline holding skrnn steps
        (:class:`~skrnn.SlidingWindow`, a regressor), a
        :class:`~skrnn.ZeroBaseRegressor` or an
        :class:`~skrnn.forecasting.RNNForecaster`, fitted or not.
    path : str or path-like
        The file to write (conventionally ``*.skrnn``); written to a
        temporary name next to it, then renamed.
    trusted : list of str, optional
        Extra type names (``"module.Class"``) the file may hold, for steps of
        your own; :func:`load` then needs the same list.

    Raises
    ------
    ValueError
        When the model holds what a safe file cannot carry: callbacks, a loss
        given as an object, a network with ``Lambda`` or custom layers, types
        that loading would have to trust.
    """
    data = dumps(estimator, trusted=trusted)
    path = os.fspath(path)
    tmp = f"{path}.tmp{os.getpid()}"
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


# --------------------------------------------------------------------------
# load
# --------------------------------------------------------------------------
def _check_manifest(manifest, source):
    import skrnn

    if not isinstance(manifest, dict) or manifest.get("format") != _FORMAT:
        raise ValueError(f"{source} is not a skrnn model file (no skrnn manifest).")
    fmt = manifest.get("format_version")
    if not isinstance(fmt, int) or fmt > FORMAT_VERSION:
        raise ValueError(f"{source} uses model file format {fmt!r}; this skrnn "
                         f"({skrnn.__version__}) reads format {FORMAT_VERSION} and older: upgrade skrnn.")
    saved, here = manifest.get("skrnn"), skrnn.__version__
    saved_v, here_v = _version(saved), _version(here)
    if saved_v is None or (here_v is not None and saved_v > here_v):
        raise ValueError(
            f"{source} was saved by skrnn {saved}; this is skrnn {here}, which cannot load "
            f"files from a newer skrnn. Upgrade skrnn (pip install -U 'skrnn>={saved}').")
    keras_saved, keras_here = manifest.get("keras"), _keras.versions()["keras"]
    if (_version(keras_saved) and _version(keras_here)
            and _version(keras_saved) > _version(keras_here)):
        warnings.warn(f"{source} was saved with Keras {keras_saved}; this is Keras "
                      f"{keras_here}. If its network does not load, upgrade Keras.",
                      UserWarning, stacklevel=3)


def loads(data, *, trusted=None, source="the model file"):
    """Load a model from the bytes :func:`dumps` returns (see :func:`load`)."""
    _keras.check_safe_keras()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            manifest = json.loads(archive.read(_MANIFEST))
            _check_manifest(manifest, source)
            payload = archive.read(_PAYLOAD)
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError) as exc:
        raise ValueError(f"{source} is not a skrnn model file ({exc}).") from None
    try:
        types = _trusted_types(payload, trusted)
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError) as exc:
        raise ValueError(f"{source} is not a skrnn model file ({exc}).") from None
    try:
        plain = _skops().loads(payload, trusted=types)
    except _keras.UnsafeNetworkError as exc:
        raise ValueError(f"Refused: {exc}") from None
    return from_plain(plain)


def load(path, *, trusted=None):
    """Load a model written by :func:`save`, without running code from the file.

    Parameters
    ----------
    path : str or path-like
    trusted : list of str, optional
        Type names (``"module.Class"``) beyond skrnn's and scikit-learn's
        that the file may hold (the list given to :func:`save`).

    Returns
    -------
    The estimator, pipeline or forecaster, ready to predict.

    Raises
    ------
    ValueError
        A file from a newer skrnn (both versions named), a network with
        layers that carry code or custom classes, objects of types not
        trusted, or not a skrnn model file.
    """
    with open(os.fspath(path), "rb") as fh:
        data = fh.read()
    return loads(data, trusted=trusted, source=os.fspath(path))
