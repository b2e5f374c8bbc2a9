"""Every ```python block in README.md and docs/*.md runs (blocks of one file share a namespace).

Write a block as ```python to have it run; use ```text or ```console for output and shell.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = sorted([REPO / "README.md", *(REPO / "docs").glob("*.md")])
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_python_blocks_run(doc, tmp_path, monkeypatch):
    blocks = BLOCK.findall(doc.read_text(encoding="utf-8"))
    if not blocks:
        pytest.skip("no python blocks")
    monkeypatch.chdir(tmp_path)  # blocks that write files write them here
    ns: dict = {"__name__": f"doc_{doc.stem}"}
    for i, code in enumerate(blocks, start=1):
        try:
            exec(compile(code, f"{doc.name}[block {i}]", "exec"), ns)
        except Exception as exc:  # noqa: BLE001
            pytest.fail(f"{doc.relative_to(REPO)} block {i} failed: {type(exc).__name__}: {exc}")
