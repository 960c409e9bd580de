"""Pandas and sktime values as plain data, and back, for the shareable model file.

skops (the format behind :mod:`skrnn.persistence`) carries scikit-learn
objects, numpy arrays and builtins, but not pandas objects: a ``DatetimeIndex``
holds Cython internals that skops refuses (they have no safe ``__reduce__``).
skrnn's fitted objects hold a few of them -- the forecaster's cutoff and
forecasting horizon, its window of recent rows (a ``DataFrame``), the last
index of a :class:`~skrnn.SlidingWindow` fitted on a frame. :func:`to_plain`
returns a copy of an object graph in which each such value is a tagged dict
of numpy arrays and strings; :func:`from_plain` rebuilds them after loading.
Decoding only ever calls pandas constructors (and sktime's
``ForecastingHorizon``) on arrays and strings, so it adds nothing that could
run code from the file.
"""

from __future__ import annotations

import enum
import importlib

import numpy as np
import pandas as pd

#: Key of the tagged dicts that stand for a pandas or sktime value.
TAG = "__skrnn_plain__"

#: Modules whose objects are walked into (their ``__dict__``), on the way out
#: and back in; anything else is left to skops.
WALKED = ("skrnn.", "sklearn.", "sktime.", "skbase.")

#: Modules whose enums may be rebuilt from a file (sktime's metadata holds
#: pandas' ``DtypeKind``).
ENUM_MODULES = ("pandas.", "sktime.", "skrnn.")


class UnsupportedValue(ValueError):
    """A value that the shareable format cannot carry as plain data."""


def _is_keras(obj):
    return any(c.__module__.split(".")[0] in ("keras", "tensorflow") for c in type(obj).__mro__)


def _walked(obj):
    module = type(obj).__module__ + "."
    return (hasattr(obj, "__dict__") and not isinstance(obj, type) and not callable(obj)
            and module.startswith(WALKED) and not _is_keras(obj))


# --------------------------------------------------------------------------
# encoding
# --------------------------------------------------------------------------
def _freq(freq):
    if freq is None:
        return None
    return getattr(freq, "freqstr", None) or str(freq)


def _array(values, what):
    """A numpy array skops stores with ``allow_pickle=False``, or a list of str."""
    arr = np.asarray(values)
    if arr.dtype.kind in "biufcmM":
        return arr
    if arr.dtype.kind in "OUS" and all(isinstance(v, str) for v in arr.ravel()):
        return [str(v) for v in arr.ravel()]
    raise UnsupportedValue(
        f"{what} of dtype {values.dtype} cannot be stored as plain data (numbers, "
        "dates and strings can).")


def _name(name):
    if name is None or isinstance(name, (str, int, float, bool)):
        return name
    if isinstance(name, np.generic):
        return name.item()
    raise UnsupportedValue(f"a pandas name {name!r} cannot be stored as plain data.")


def _index(idx):
    base = {TAG: "Index", "name": _name(idx.name)}
    if isinstance(idx, pd.MultiIndex):
        raise UnsupportedValue("a pandas MultiIndex cannot be stored as plain data.")
    if isinstance(idx, pd.RangeIndex):
        return {**base, "kind": "range", "start": int(idx.start), "stop": int(idx.stop),
                "step": int(idx.step)}
    if isinstance(idx, pd.DatetimeIndex):
        return {**base, "kind": "datetime", "i8": idx.asi8.copy(), "unit": idx.unit,
                "tz": None if idx.tz is None else str(idx.tz), "freq": _freq(idx.freq)}
    if isinstance(idx, pd.TimedeltaIndex):
        return {**base, "kind": "timedelta", "i8": idx.asi8.copy(), "unit": idx.unit,
                "freq": _freq(idx.freq)}
    if isinstance(idx, pd.PeriodIndex):
        return {**base, "kind": "period", "i8": idx.asi8.copy(), "freq": idx.freqstr}
    return {**base, "kind": "values", "values": _array(idx.to_numpy(), "an index"),
            "dtype": str(idx.dtype)}


def _column(series, what):
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        return _index(pd.DatetimeIndex(series))
    return _array(series.to_numpy(), what)


def _encode_pandas(obj):
    if isinstance(obj, pd.Index):
        return _index(obj)
    if isinstance(obj, pd.Series):
        return {TAG: "Series", "index": _index(obj.index), "name": _name(obj.name),
                "values": _column(obj, "a Series")}
    if isinstance(obj, pd.DataFrame):
        return {TAG: "DataFrame", "index": _index(obj.index), "columns": _index(obj.columns),
                "values": [_column(obj.iloc[:, i], f"column {c!r}") for i, c in enumerate(obj.columns)]}
    if obj is pd.NaT:
        return {TAG: "NaT"}
    if isinstance(obj, pd.Timestamp):
        return {TAG: "Timestamp", "index": _index(pd.DatetimeIndex([obj]))}
    if isinstance(obj, pd.Timedelta):
        return {TAG: "Timedelta", "index": _index(pd.TimedeltaIndex([obj]))}
    if isinstance(obj, pd.Period):
        return {TAG: "Period", "index": _index(pd.PeriodIndex([obj]))}
    if isinstance(obj, pd.DateOffset):
        return {TAG: "DateOffset", "freq": obj.freqstr}
    return None


def _is_fh(obj):
    return type(obj).__name__ == "ForecastingHorizon" and type(obj).__module__.startswith("sktime.")


def to_plain(obj, memo=None):
    """A copy of ``obj`` with pandas and sktime values replaced by tagged plain dicts.

    Containers are rebuilt, and objects of skrnn, scikit-learn and sktime are
    shallow copies (``object.__new__`` and an encoded ``__dict__``) so
    ``obj`` itself is never changed; shared references stay shared.
    Everything else (numpy arrays, Keras networks, other types) is passed on
    as it is, for skops to carry or refuse.
    """
    memo = {} if memo is None else memo
    key = id(obj)
    if key in memo:
        return memo[key][0]
    if isinstance(obj, (str, bytes, bool, int, float, type(None), np.ndarray, np.generic)):
        return obj
    out = _encode_pandas(obj)
    if out is None and _is_fh(obj):
        out = {TAG: "ForecastingHorizon", "values": _index(obj.to_pandas()),
               "is_relative": bool(obj.is_relative), "freq": _freq(obj.freq)}
    if out is None and isinstance(obj, enum.Enum):
        cls = type(obj)
        if not (cls.__module__ + ".").startswith(ENUM_MODULES):
            return obj
        out = {TAG: "Enum", "module": cls.__module__, "name": cls.__qualname__,
               "value": to_plain(obj.value, memo)}
    if out is not None:
        memo[key] = (out, obj)
        return out
    if type(obj) is list:
        out = []
        memo[key] = (out, obj)
        out.extend(to_plain(v, memo) for v in obj)
    elif type(obj) is tuple:
        out = tuple(to_plain(v, memo) for v in obj)
    elif type(obj) in (set, frozenset):
        out = {TAG: type(obj).__name__, "items": [to_plain(v, memo) for v in obj]}
    elif type(obj) is dict:
        if all(type(k) in (str, int) for k in obj):
            out = {}
            memo[key] = (out, obj)
            out.update((k, to_plain(v, memo)) for k, v in obj.items())
        else:  # skops keeps str and int keys only
            out = {TAG: "dict", "items": [[to_plain(k, memo), to_plain(v, memo)]
                                          for k, v in obj.items()]}
    elif _walked(obj):
        out = object.__new__(type(obj))
        memo[key] = (out, obj)
        out.__dict__.update({k: to_plain(v, memo) for k, v in vars(obj).items()})
    else:
        return obj
    memo[key] = (out, obj)  # keep obj alive so its id is not reused while walking
    return out


# --------------------------------------------------------------------------
# decoding
# --------------------------------------------------------------------------
def _from_index(d):
    kind, name = d["kind"], d.get("name")
    freq = d.get("freq")
    if kind == "range":
        return pd.RangeIndex(int(d["start"]), int(d["stop"]), int(d["step"]), name=name)
    if kind == "datetime":
        i8 = np.asarray(d["i8"], dtype=np.int64)
        idx = pd.DatetimeIndex(i8.view(f"M8[{d['unit']}]"), name=name)
        if d.get("tz") is not None:
            idx = idx.tz_localize("UTC").tz_convert(d["tz"])
        return pd.DatetimeIndex(idx, freq=freq) if freq else idx
    if kind == "timedelta":
        i8 = np.asarray(d["i8"], dtype=np.int64)
        idx = pd.TimedeltaIndex(i8.view(f"m8[{d['unit']}]"), name=name)
        return pd.TimedeltaIndex(idx, freq=freq) if freq else idx
    if kind == "period":
        return pd.PeriodIndex.from_ordinals(np.asarray(d["i8"], dtype=np.int64), freq=freq,
                                            name=name)
    if kind == "values":
        values = d["values"]
        dtype = str(d["dtype"])
        return pd.Index(np.asarray(values, dtype=object if dtype == "object" else dtype)
                        if not isinstance(values, list) else values, dtype=dtype, name=name)
    raise ValueError(f"unknown index kind {kind!r} in the file.")


def _from_column(v):
    return _from_index(v) if isinstance(v, dict) else (np.asarray(v, dtype=object)
                                                      if isinstance(v, list) else v)


def _decode(d, memo):
    tag = d[TAG]
    if tag == "Index":
        return _from_index(d)
    if tag == "Series":
        return pd.Series(np.asarray(_from_column(d["values"])), index=_from_index(d["index"]),
                         name=d.get("name"))
    if tag == "DataFrame":
        index, columns = _from_index(d["index"]), _from_index(d["columns"])
        frame = pd.DataFrame({i: _from_column(v) for i, v in enumerate(d["values"])}, index=index)
        frame.columns = columns
        return frame
    if tag == "NaT":
        return pd.NaT
    if tag in ("Timestamp", "Timedelta", "Period"):
        return _from_index(d["index"])[0]
    if tag == "DateOffset":
        return pd.tseries.frequencies.to_offset(str(d["freq"]))
    if tag == "ForecastingHorizon":
        from sktime.forecasting.base import ForecastingHorizon

        return ForecastingHorizon(_from_index(d["values"]), is_relative=bool(d["is_relative"]),
                                  freq=d.get("freq"))
    if tag == "Enum":
        module, name = str(d["module"]), str(d["name"])
        if not (module + ".").startswith(ENUM_MODULES):
            raise ValueError(f"the file names an enum of {module}, which is not loaded.")
        cls = importlib.import_module(module)
        for part in name.split("."):
            cls = getattr(cls, part)
        if not (isinstance(cls, type) and issubclass(cls, enum.Enum)):
            raise ValueError(f"{module}.{name} in the file is not an enum.")
        return cls(from_plain(d["value"], memo))
    if tag in ("set", "frozenset"):
        items = [from_plain(v, memo) for v in d["items"]]
        return set(items) if tag == "set" else frozenset(items)
    if tag == "dict":
        return {from_plain(k, memo): from_plain(v, memo) for k, v in d["items"]}
    raise ValueError(f"unknown plain value {tag!r} in the file.")


def from_plain(obj, memo=None):
    """Rebuild the values :func:`to_plain` encoded, in a freshly loaded graph (in place)."""
    memo = {} if memo is None else memo
    key = id(obj)
    if key in memo:
        return memo[key]
    if isinstance(obj, dict) and TAG in obj:
        out = _decode(obj, memo)
    elif type(obj) is list:
        memo[key] = obj
        obj[:] = [from_plain(v, memo) for v in obj]
        out = obj
    elif type(obj) is tuple:
        out = tuple(from_plain(v, memo) for v in obj)
    elif type(obj) is dict:
        memo[key] = obj
        for k, v in list(obj.items()):
            obj[k] = from_plain(v, memo)
        out = obj
    elif _walked(obj):
        memo[key] = obj
        for k, v in list(vars(obj).items()):
            obj.__dict__[k] = from_plain(v, memo)
        out = obj
    else:
        out = obj
    memo[key] = out
    return out


def nested_dicts(node):
    """Every dict inside a JSON-like structure of dicts and lists, outermost first."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))
