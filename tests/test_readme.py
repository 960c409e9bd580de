"""The README's code runs as written."""

import re
from pathlib import Path

import pytest

from tests.doc_output import run_blocks

README = Path(__file__).resolve().parents[1] / "README.md"


def _blocks():
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_starts_with_the_two_commands():
    first = README.read_text().split("```bash\n", 1)[1].split("```", 1)[0].splitlines()
    assert first[0].startswith('pip install ".[plot]" && skrnn study')
    assert first[1].startswith('pip install ".[test]" && python -m pytest')
    ci = (README.parent / ".ci" / "run").read_text()
    assert first[1].split("#")[0].strip() in ci


@pytest.mark.slow
def test_readme_examples_run(capsys):
    assert len(_blocks()) >= 2
    # an ```output block right after a Python block is what it prints (checked)
    namespace, out = run_blocks(README.read_text(), str(README), capsys)
    assert "MSE  LSTM" in out
    assert (namespace["lower"] <= namespace["upper"]).all()
    assert namespace["pred"].min() > 100  # USD, not zero-base units
