"""Every Python block in docs/*.md runs as written."""

from pathlib import Path

import pytest

from tests.doc_output import run_blocks

DOCS = sorted((Path(__file__).resolve().parents[1] / "docs").glob("*.md"))


@pytest.mark.parametrize("page", DOCS, ids=lambda p: p.name)
def test_doc_page_runs(page, capsys):
    # an ```output block right after a Python block is what it prints (checked)
    run_blocks(page.read_text(), str(page), capsys)
