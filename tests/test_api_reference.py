"""The API reference (docs/api.rst) lists every public name of every public module."""

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import skrnn

API = (Path(__file__).resolve().parents[1] / "docs" / "api.rst").read_text()


def public_modules():
    """skrnn and every public submodule (no component starting with ``_``)."""
    names = ["skrnn"]
    for info in pkgutil.walk_packages(skrnn.__path__, "skrnn."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return names


def documented():
    """``(module, name)`` pairs the reference shows (autosummary entries and literals)."""
    pairs, module = set(), None
    for line in API.splitlines():
        m = re.match(r"\.\. currentmodule:: (\S+)", line)
        if m:
            module = m.group(1)
            continue
        m = re.match(r"   ([A-Za-z_][A-Za-z0-9_]*)$", line)
        if m and module:
            pairs.add((module, m.group(1)))
        for literal in re.findall(r"``([A-Z][A-Z0-9_]+)``", line):
            pairs.add((module, literal))
    return pairs


@pytest.mark.parametrize("module_name", public_modules())
def test_every_public_name_is_in_the_reference(module_name):
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:  # an optional extra that is not installed
        pytest.skip(str(exc))
    shown = documented()
    missing = []
    for name in getattr(module, "__all__", []):
        obj = getattr(module, name)
        # a re-exported object counts where the reference shows the same object
        if not any(n == name and getattr(importlib.import_module(m), n, None) is obj
                   for m, n in shown):
            missing.append(name)
    assert not missing, f"docs/api.rst does not list {module_name}.{missing}"


def test_reference_names_exist():
    for module_name, name in documented():
        module = importlib.import_module(module_name)
        assert hasattr(module, name), f"docs/api.rst lists {module_name}.{name}, which does not exist"


def public_classes():
    """Every public class of every public module, once."""
    seen = {}
    for module_name in public_modules():
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if isinstance(obj, type) and not issubclass(obj, BaseException):
                seen.setdefault(obj, f"{module_name}.{name}")
    return sorted(seen.items(), key=lambda item: item[1])


@pytest.mark.parametrize("cls", [c for c, _ in public_classes()], ids=[n for _, n in public_classes()])
def test_every_public_class_documents_its_parameters_and_has_an_example(cls):
    doc = inspect.getdoc(cls) or ""
    params = [name for name, p in inspect.signature(cls.__init__).parameters.items()
              if name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if params:
        assert "Parameters\n----------" in doc, f"{cls.__name__} has no Parameters section"
        section = doc.split("Parameters\n----------", 1)[1]
        listed = set(re.findall(r"^([A-Za-z_][A-Za-z0-9_]*(?:, [A-Za-z_][A-Za-z0-9_]*)*) :", section, re.M))
        listed = {n for entry in listed for n in entry.split(", ")}
        missing = [p for p in params if p not in listed]
        assert not missing, f"{cls.__name__}'s docstring does not describe {missing}"
    assert "Examples\n--------" in doc and ">>> " in doc, f"{cls.__name__} has no example"
