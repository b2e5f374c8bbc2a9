"""Code shape (issue 17): no module over 500 lines and no function over 100 lines in src/."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "facility_opt"
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 100


def offenders(root: Path = SRC) -> list[str]:
    """``path: N lines`` for each module over the limit, ``path:line name: N lines`` for each function."""
    out = []
    for path in sorted(p for p in root.rglob("*.py") if "vendor" not in p.parts):
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(root.parent)
        n = len(text.splitlines())
        if n > MAX_MODULE_LINES:
            out.append(f"{rel}: module of {n} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1  # decorators excluded, docstring included
                if length > MAX_FUNCTION_LINES:
                    out.append(f"{rel}:{node.lineno} {node.name}: function of {length} lines")
    return out


def test_no_long_modules_or_functions():
    found = offenders()
    assert not found, "split these (one concern per module, functions under ~80 lines):\n" + "\n".join(found)


def test_the_shape_check_finds_a_long_function(tmp_path):
    pkg = tmp_path / "facility_opt"
    pkg.mkdir()
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))  # def line + 100: 101 lines
    (pkg / "long.py").write_text(f"def long():\n{body}\n\n\ndef short():\n    return 1\n", encoding="utf-8")
    (pkg / "big.py").write_text("x = 1\n" * (MAX_MODULE_LINES + 1), encoding="utf-8")
    (pkg / "fine.py").write_text("x = 1\n" * MAX_MODULE_LINES, encoding="utf-8")
    assert offenders(pkg) == [
        "facility_opt/big.py: module of 501 lines",
        "facility_opt/long.py:1 long: function of 101 lines",
    ]
