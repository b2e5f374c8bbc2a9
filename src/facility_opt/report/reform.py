"""The report's section on the reform plan's moves: school mergers and conversions (機能転換).

Written only when the plan has one of them (a plan without leaves the page as it was)."""

from __future__ import annotations

from ..i18n import tr
from ..units import OKU_YEN
from .html import esc, num_cell, table

__all__ = ["reform_section"]


def _name(names: dict[str, str], site_id: str) -> str:
    return names.get(site_id, site_id)


def reform_section(plan, lang: str = "en") -> str:
    """Mergers (closed school, receiving school, year, pupils, classes) and conversions (site, year, m², cost)."""
    if not plan.mergers and not plan.conversions:
        return ""
    names = {s.site_id: s.name for s in plan.sites}
    parts = [f'<h2>{esc(tr("h_reform", lang))}</h2><p class="meta">{esc(tr("reform_note", lang))}</p>']
    if plan.mergers:
        rows = [
            f'<tr data-site="{esc(m.close)}"><td>{esc(_name(names, m.close))}</td><td>{esc(_name(names, m.into))}</td>'
            f'<td class="num">{m.year}</td>'
            + num_cell(m.pupils_close)
            + num_cell(m.pupils_into)
            + num_cell(m.pupils_merged)
            + num_cell(float(m.classes_merged))
            + "</tr>"
            for m in sorted(plan.mergers, key=lambda m: (m.year, m.close, m.into))
        ]
        heads = [
            (tr("col_closes_school", lang), False),
            (tr("col_into_school", lang), False),
            (tr("col_from_year", lang), True),
            (tr("col_pupils_close", lang), True),
            (tr("col_pupils_into", lang), True),
            (tr("col_pupils_merged", lang), True),
            (tr("col_classes", lang), True),
        ]
        parts.append(f"<h3>{esc(tr('h_mergers', lang))}</h3>" + table(heads, rows, "mergers"))
    if plan.conversions:
        rows = [
            f'<tr data-site="{esc(c.site_id)}"><td>{esc(c.site_id)}</td><td>{esc(_name(names, c.site_id))}</td>'
            f'<td class="num">{c.year}</td>'
            + num_cell(c.converted_m2, "{:,.1f}")
            + num_cell(c.cost_yen / OKU_YEN, "{:,.2f}")
            + "</tr>"
            for c in sorted(plan.conversions, key=lambda c: (c.year, c.site_id))
        ]
        heads = [
            (tr("col_id", lang), False),
            (tr("col_site", lang), False),
            (tr("col_from_year", lang), True),
            (tr("col_converted_m2", lang), True),
            (tr("col_cost_oku", lang), True),
        ]
        parts.append(f"<h3>{esc(tr('h_conversions', lang))}</h3>" + table(heads, rows, "conversions"))
    return "\n".join(parts)
