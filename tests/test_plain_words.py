"""Plain words: no course jargon in the README, the docs, the package or the CLI help.

Where the ETH study comes from is said once, in a paragraph marked
``<!-- context -->`` ... ``<!-- /context -->`` (the README's study section and
the top of docs/study.md); docs/labs.md maps the course's labs to the examples
and may name them. Everywhere else the text uses plain names ("the reference
network", "the uncertainty part", "the grid search").
"""

import re
from pathlib import Path

import pytest

from skrnn.cli import main

ROOT = Path(__file__).resolve().parents[1]

#: Course jargon, matched case-insensitively.
PHRASES = re.compile(
    r"\blab's\b|\bthe (?:eth |polish )?lab\b|\blab setup\b|\blab lstm\b|practical work"
    r"|\(task \d+\)",
    re.IGNORECASE,
)
#: Letter labels of the course's extension tasks: "(E)", "(A, B)", "(A, B, F)". Upper case
#: only, and not after a name or a bracket, so ``fit(W, Y)``, ``ETS(M,N,N)`` and shapes such
#: as ``(n, m)`` are not labels.
LETTER_LABELS = re.compile(r"(?<![\w.\[])\((?:[A-Z], ?)*[A-Z]\)")

#: Pages that may name the course's labs: the map from the labs to the examples.
NAMING_THE_LABS = {"docs/labs.md"}

#: Lines still to be put in plain words in a module being rewritten at the same time
#: (the estimators' parameter docs); matched by their exact text, so any other line with
#: jargon fails. Remove an entry once its line is reworded.
#: lines allowed to keep a course word until they are reworded (none now)
PENDING = set()


def jargon(text):
    """``(line number, line)`` of every line of ``text`` with course jargon."""
    found, skipping = [], False
    for number, line in enumerate(text.splitlines(), 1):
        if "<!-- context -->" in line:
            skipping = True
        if not skipping and (PHRASES.search(line) or LETTER_LABELS.search(line)):
            found.append((number, line.strip()))
        if "<!-- /context -->" in line:
            skipping = False
    return found


def checked_files():
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    pages = [p for p in pages if p.relative_to(ROOT).as_posix() not in NAMING_THE_LABS]
    return pages + sorted((ROOT / "skrnn").rglob("*.py"))


def test_the_checker_finds_each_phrase():
    for bad in ("the lab's network", "The Lab's setup", "LSTM (lab setup)", "practical work no. 6",
                "ablation (task 3)", "architectures (A, B, F)", "grid search (E)", "reproduces the ETH lab"):
        assert jargon(bad) == [(1, bad)], bad
    for fine in ("fit_one(W, Y)", "ETS(M,N,N)", "shape (n, m)", "docs/labs.md", "the reference network",
                 "<!-- context -->\npractical work no. 6\n<!-- /context -->"):
        assert jargon(fine) == [], fine
    assert jargon("<!-- context -->\nthe lab's\n<!-- /context -->\nthe lab's") == [(4, "the lab's")]


def test_no_course_jargon_in_readme_docs_and_package():
    problems = [f"{path.relative_to(ROOT)}:{number}: {line}"
                for path in checked_files()
                for number, line in jargon(path.read_text(encoding="utf-8"))
                if (path.relative_to(ROOT).as_posix(), line) not in PENDING]
    assert not problems, "course jargon (use plain names):\n" + "\n".join(problems)


def test_one_context_paragraph_per_page():
    for page in (ROOT / "README.md", ROOT / "docs" / "study.md"):
        text = page.read_text(encoding="utf-8")
        assert text.count("<!-- context -->") == 1 and text.count("<!-- /context -->") == 1, page


@pytest.mark.parametrize("argv", [[], ["study"], ["forecast"]])
def test_no_course_jargon_in_cli_help(argv, capsys):
    assert main(argv + ["--help"]) == 0
    out = capsys.readouterr().out
    problems = [f"skrnn {' '.join(argv)} --help, line {n}: {line}" for n, line in jargon(out)]
    assert not problems, "\n".join(problems)


def test_extras_are_quoted_for_zsh():
    # zsh expands an unquoted ``skrnn[sktime]`` as a glob and stops with "no matches found"
    unquoted = re.compile(r"pip install [^\"'\n]*\[")
    assert unquoted.search("pip install skrnn[sktime]")
    assert not unquoted.search('pip install "skrnn[sktime]"')
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")),
             *sorted((ROOT / "skrnn").rglob("*.py"))]
    problems = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
                for path in pages
                for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                if unquoted.search(line)]
    assert not problems, "quote the extras:\n" + "\n".join(problems)


def test_docs_name_public_modules_only():
    # users import what the reference documents: ``skrnn.study.multistep_study``,
    # not ``skrnn.study._multistep`` (a file path such as ``skrnn/_keras.py`` is fine)
    private = re.compile(r"\bskrnn(?:\.\w+)*\._\w+")
    assert private.search("`skrnn.study._multistep`") and not private.search("skrnn/_keras.py")
    problems = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
                for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
                for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                if private.search(line)]
    assert not problems, "use the public name:\n" + "\n".join(problems)
