"""The pieces of the report's HTML: the page style, escaped text, numeric cells, tables, figures.

Shared by :mod:`facility_opt.report` and :mod:`facility_opt.report_sections`; every numeric cell
carries its unformatted figure in ``data-value`` (for machines and tests).
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable, Sequence

import numpy as np

from .units import OKU_YEN

__all__ = ["CSS", "esc", "num_cell", "oku", "table", "img", "delta_class"]

CSS = """
:root { --ink:#1d2733; --muted:#5b6b7c; --line:#dfe4ea; --band:#f5f7fa; --accent:#1f6fb4; --good:#2e7d32; --bad:#c62828; }
* { box-sizing: border-box; }
body { margin:0; background:#eef1f5; color:var(--ink);
  font: 15px/1.5 "Helvetica Neue", Arial, "Hiragino Sans", "Hiragino Kaku Gothic ProN", "Noto Sans JP", "Yu Gothic", Meiryo, "IPAexGothic", sans-serif; }
main { max-width:1180px; margin:0 auto; padding:28px 36px 48px; background:#fff; }
header { border-bottom:3px solid var(--accent); padding-bottom:12px; margin-bottom:20px; }
h1 { font-size:26px; margin:0 0 4px; }
h2 { font-size:19px; margin:34px 0 10px; padding-bottom:4px; border-bottom:1px solid var(--line); }
p.meta { color:var(--muted); margin:2px 0; font-size:14px; }
.cards { display:flex; flex-wrap:wrap; gap:12px; margin:16px 0 8px; }
.card { flex:1 1 170px; border:1px solid var(--line); border-radius:6px; padding:10px 14px; background:var(--band); }
.card .v { font-size:22px; font-weight:600; font-variant-numeric:tabular-nums; }
.card .l { color:var(--muted); font-size:13px; }
table { border-collapse:collapse; width:100%; margin:8px 0 6px; font-size:14px; }
th, td { padding:5px 9px; border-bottom:1px solid var(--line); vertical-align:top; text-align:left; }
th { background:var(--band); font-weight:600; }
table.decisions td:first-child { white-space:nowrap; }
table.decisions td:nth-child(2) { min-width:9em; }
table.decisions td.reason { width:42%; }
tbody tr:nth-child(even) { background:#fafbfc; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
td.reason { font-size:13px; color:#33414f; }
td.summary { font-size:13px; min-width:14em; }
td.imputed { font-size:11px; color:#8a6d3b; }
.better { color:var(--good); } .worse { color:var(--bad); }
.badge { display:inline-block; padding:1px 7px; border-radius:10px; font-size:12px; font-weight:600; color:#fff; white-space:nowrap; }
.b-keep { background:#8fb3d9; } .b-rebuild { background:#3a6ea5; } .b-host { background:#2e9d4e; }
.b-convert { background:#f28e2b; } .b-close { background:#d62728; } .b-new { background:#c79400; }
figure { margin:10px 0 4px; text-align:center; }
figure img { max-width:100%; height:auto; border:1px solid var(--line); }
figcaption { color:var(--muted); font-size:13px; margin-top:4px; }
details { margin:10px 0; } summary { cursor:pointer; color:var(--accent); font-weight:600; }
.note { background:#fff8e1; border-left:4px solid #f0b400; padding:8px 12px; margin:12px 0; font-size:14px; }
.warn { background:#fdecea; border-left:4px solid var(--bad); padding:8px 12px; margin:12px 0; font-size:14px; }
footer { margin-top:36px; color:var(--muted); font-size:12.5px; border-top:1px solid var(--line); padding-top:10px; }
ul.credits { padding-left:20px; font-size:13px; }
@media print { body { background:#fff; } main { padding:0; } details { display:block; } }
"""


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
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{esc(alt)}">'
            f"<figcaption>{esc(caption)}</figcaption></figure>")


def delta_class(before: float, after: float, lower_is_better: bool) -> str:
    if abs(after - before) < 1e-9:
        return ""
    return "better" if (after < before) == lower_is_better else "worse"
