"""The pieces of the report's HTML: the page style, escaped text, numeric cells, tables, figures.

Shared by every section of :mod:`facility_opt.report`; every numeric cell carries its unformatted
figure in ``data-value`` (for machines and tests).  The page style is ``static/report.css``.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable, Sequence
from importlib import resources

import numpy as np

from ..units import OKU_YEN

__all__ = ["CSS", "esc", "num_cell", "oku", "table", "img", "delta_class", "static_text"]


def static_text(name: str) -> str:
    """A file of the report's ``static/`` folder (styles, the map's script) as text."""
    return (resources.files(__package__) / "static" / name).read_text(encoding="utf-8")


#: the page's style sheet
CSS = static_text("report.css")


def esc(x) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def num_cell(value: float | None, fmt: str = "{:,.0f}", css: str = "") -> str:
    """A right-aligned cell; ``data-value`` carries the unformatted figure for machines and tests."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return '<td class="num">-</td>'
    cls = f"num {css}".strip()
    return f'<td class="{cls}" data-value="{esc(repr(float(value)))}">{esc(fmt.format(value))}</td>'


def oku(yen: float) -> str:
    return f"{yen / OKU_YEN:,.1f}"


def table(headers: Sequence[tuple[str, bool]], rows: Iterable[str], cls: str = "") -> str:
    head = "".join(f'<th class="num">{esc(h)}</th>' if num else f"<th>{esc(h)}</th>" for h, num in headers)
    body = "\n".join(rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table>'


def img(png: bytes, alt: str, caption: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{esc(alt)}">'
        f"<figcaption>{esc(caption)}</figcaption></figure>"
    )


def delta_class(before: float, after: float, lower_is_better: bool) -> str:
    if abs(after - before) < 1e-9:
        return ""
    return "better" if (after < before) == lower_is_better else "worse"
