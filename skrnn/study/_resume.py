"""Whole parts kept in the report folder: what a finished part added to the study.

A part that finished is written to ``<out>/runs/part-<name>.json``: its
table, its rows of ``results.csv``, its extra tables, notes, data summary,
the paths of its figures and the keys of the networks it used. A later
study into the same folder loads it instead of running the part again
(its figures are on disk already), so the report is the same.
"""

from __future__ import annotations

from pathlib import Path


def part_key(name: str) -> str:
    """The store key of part ``name``."""
    return f"part-{name}"


def snapshot(study) -> dict:
    """The study's outputs before a part runs (to find what the part adds)."""
    return {"rows": len(study.rows),
            "tables": {k: id(v) for k, v in study.tables.items()},
            "extra": {k: id(v) for k, v in study.extra.items()},
            "data_info": {k: id(v) for k, v in study.data_info.items()},
            "notes": {k: len(v) for k, v in study.notes.items()},
            "figures": {k: len(v) for k, v in study.figures.items()},
            "runs": set(study.store.touched) if study.store is not None else set()}


def _changed(now: dict, before: dict) -> dict:
    return {k: v for k, v in now.items() if before.get(k) != id(v)}


def _relative(path, out):
    path = Path(path)
    try:
        return str(path.relative_to(out))
    except ValueError:
        return str(path)


def save_part(study, name, before) -> bool:
    """Write what part ``name`` added since ``before`` (:func:`snapshot`); False if not plain data."""
    if study.store is None:
        return False
    record = {
        "part": name,
        "rows": study.rows[before["rows"]:],
        "tables": _changed(study.tables, before["tables"]),
        "extra": _changed(study.extra, before["extra"]),
        "data_info": _changed(study.data_info, before["data_info"]),
        "notes": {k: v[before["notes"].get(k, 0):] for k, v in study.notes.items()
                  if len(v) > before["notes"].get(k, 0)},
        "figures": {k: [_relative(p, study.out) for p in v[before["figures"].get(k, 0):]]
                    for k, v in study.figures.items() if len(v) > before["figures"].get(k, 0)},
        "runs": sorted(study.store.touched - before["runs"]),
    }
    return study.store.save(part_key(name), record)


def restore_part(study, name) -> bool:
    """Load part ``name`` from the store into ``study``; False when it is not there whole.

    A part is loaded only if every figure it drew is still in the folder.
    """
    store = study.store
    if store is None:
        return False
    record = store.load(part_key(name))
    if record is None:
        return False
    figures = {k: [study.out / p for p in v] for k, v in record["figures"].items()}
    if not all(Path(p).is_file() for paths in figures.values() for p in paths):
        return False
    study.rows.extend(record["rows"])
    study.tables.update(record["tables"])
    study.extra.update(record["extra"])
    study.data_info.update(record["data_info"])
    for k, v in record["notes"].items():
        study.notes.setdefault(k, []).extend(v)
    for k, v in figures.items():
        study.figures.setdefault(k, []).extend(v)
    ran = [key for key in record["runs"] if store.path(key).is_file()]
    store.reused.update(ran)
    store.touched.update(ran)
    return True
