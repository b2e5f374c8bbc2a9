"""The report's sections year by year: the annual spend against the budget, capacity and coverage per
service, nursery places, and the timeline of moves and renewal works."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..i18n import tr, tr_or
from ..portfolio.plan import Plan
from ..portfolio.problem import PortfolioProblem
from ..units import OKU_YEN
from .charts import _changing_sites, figure_png, plot_spend_by_year, plot_timeline, plot_years
from .html import esc as _e
from .html import img as _img
from .html import num_cell as _num
from .html import oku as _oku
from .html import table as _table
from .tables import _year_frame, plan_moves, spend_by_year


def _spend_section(plan: Plan, problem: PortfolioProblem | None, lang: str = "en") -> str:
    from matplotlib.figure import Figure

    spend = spend_by_year(plan, problem)
    fig = Figure(figsize=(10, 4.2))
    plot_spend_by_year(spend, ax=fig.subplots(), lang=lang)
    k = plan.kpis
    has_budget = spend["budget_yen"].notna().any()
    over = spend[spend["budget_yen"].notna() & (spend["spend_yen"] > spend["budget_yen"] + 0.5)]
    if has_budget:
        what = tr("spend_level" if k.level_budget_yen is not None else "spend_budget", lang)
        verdict = (
            tr("spend_within", lang, what=what)
            if over.empty
            else tr("spend_over", lang, what=what, n=len(over), years=", ".join(str(int(y)) for y in over["year"]))
        )
    else:
        verdict = tr("spend_none", lang)
    head = (
        f'<h2>{_e(tr("h_spend", lang))}</h2><p class="meta">'
        + _e(
            tr(
                "spend_note",
                lang,
                peak=_oku(k.peak_spend_after_yen),
                base=_oku(k.peak_spend_before_yen),
                verdict=verdict,
            )
        )
        + "</p>"
    )
    rows = []
    for r in spend.itertuples(index=False):
        css = "worse" if np.isfinite(r.budget_yen) and r.spend_yen > r.budget_yen + 0.5 else ""
        rows.append(
            f'<tr data-year="{int(r.year)}"><td class="num">{int(r.year)}</td>'
            + _num(r.spend_yen / OKU_YEN, "{:,.2f}", css)
            + _num(r.renewal_yen / OKU_YEN, "{:,.2f}")
            + _num((r.new_build_yen + r.land_yen) / OKU_YEN, "{:,.2f}")
            + _num(r.budget_yen / OKU_YEN, "{:,.2f}")
            + _num(r.baseline_yen / OKU_YEN, "{:,.2f}")
            + "</tr>"
        )
    heads = ["col_year", "col_spend", "col_of_renewal", "col_new_land", "col_budget", "col_keep"]
    table = _table([(tr(h, lang), True) for h in heads], rows, "spend")
    return (
        head
        + _img(figure_png(fig), tr("spend_alt", lang), tr("spend_caption", lang))
        + f"<details><summary>{_e(tr('per_year_figures', lang))}</summary>{table}</details>"
    )


def _years_section(plan: Plan, names: dict[str, str], lang: str = "en") -> str:
    y = _year_frame(plan)
    fig = plot_years(plan, lang=lang, names=names)
    out = [
        f'<h2>{_e(tr("h_years", lang))}</h2><p class="meta">{_e(tr("years_note", lang))}</p>',
        _img(figure_png(fig), tr("years_alt", lang), tr("years_caption", lang)),
    ]
    heads = [
        (tr(h, lang), True)
        for h in ("col_year", "col_demand", "col_capacity", "col_minimum", "col_covered", "col_sites")
    ]
    for k, g in y.groupby("service_id", sort=True):
        label = names.get(k) or k
        rows = [
            f'<tr data-year="{int(r.year)}" data-service="{_e(k)}"><td class="num">{int(r.year)}</td>'
            + _num(r.demand, "{:,.1f}")
            + _num(r.capacity, "{:,.1f}")
            + _num(r.min_capacity, "{:,.1f}")
            + _num(100 * r.covered_share, "{:.1f}", "worse" if r.covered_share < 1 - 1e-9 else "")
            + _num(r.sites)
            + "</tr>"
            for r in g.itertuples(index=False)
        ]
        out.append(
            f"<details><summary>{_e(tr('per_year_of', lang, label=label, id=k))}</summary>"
            + _table(heads, rows, f"years {k}")
            + "</details>"
        )
    return "".join(out)


def _nursery_section(plan: Plan, service: str = "nursery", lang: str = "en") -> str:
    y = _year_frame(plan)
    g = y[y["service_id"] == service]
    if g.empty:
        return ""
    low = g.loc[g["covered_share"].idxmin()]
    rows = [
        f'<tr data-year="{int(r.year)}"><td class="num">{int(r.year)}</td>'
        + _num(r.demand, "{:,.0f}")
        + _num(r.capacity, "{:,.0f}")
        + _num(r.capacity - r.demand, "{:+,.0f}", "worse" if r.capacity < r.demand - 1e-9 else "better")
        + _num(r.min_capacity, "{:,.0f}")
        + _num(100 * r.covered_share, "{:.1f}")
        + _num(r.sites)
        + "</tr>"
        for r in g.itertuples(index=False)
    ]
    heads = ("col_year", "col_children", "col_places", "col_spare", "col_minimum", "col_covered", "col_sites")
    return (
        f'<h2>{_e(tr("h_nursery", lang))}</h2><p class="meta">'
        + _e(tr("nursery_note", lang, v=f"{100 * float(low['covered_share']):.1f}", year=int(low["year"])))
        + "</p>"
        + _table([(tr(h, lang), True) for h in heads], rows, "nursery")
    )


def _timeline_section(plan: Plan, lang: str = "en", names: dict[str, str] | None = None) -> str:
    moves = plan_moves(plan)
    changing = _changing_sites(plan)
    names = names or {}
    out = [f'<h2>{_e(tr("h_timeline", lang))}</h2><p class="meta">{_e(tr("timeline_note", lang))}</p>']
    if changing:
        ax = plot_timeline(plan, lang=lang, names=names)
        shown = min(len(changing), 40)
        out.append(
            _img(
                figure_png(ax.figure),
                tr("timeline_alt", lang),
                tr("timeline_caption", lang, shown=shown, n=len(changing)),
            )
        )
    rows = [
        f'<tr data-year="{int(r.year)}" data-service="{_e(r.service_id)}"><td class="num">{int(r.year)}</td>'
        f"<td>{_e(names.get(r.service_id, r.service_id))}</td><td>{_e(tr('move_' + r.kind, lang))}</td>"
        f"<td>{_e(r.from_site.replace(';', ', ') or '-')}</td>"
        f"<td>{_e(r.to_site.replace(';', ', ') or '-')}</td>"
        + _num(r.capacity_before, "{:,.1f}")
        + _num(r.capacity_after, "{:,.1f}")
        + "</tr>"
        for r in moves.itertuples(index=False)
    ]
    heads = [
        ("col_from_year", True),
        ("col_service", False),
        ("col_kind_change", False),
        ("col_leaves", False),
        ("col_arrives", False),
        ("col_places_before", True),
        ("col_places_after", True),
    ]
    out.append(
        _table([(tr(h, lang), n) for h, n in heads], rows, "moves") if rows else f"<p>{_e(tr('no_moves', lang))}</p>"
    )
    ev = plan.frame("events")
    if len(ev):
        counts = tr("list_sep", lang).join(
            tr("count_item", lang, n=n, label=_word("ev_" + k, lang))
            for k, n in ev["status"].value_counts().sort_index().items()
        )
        rows = [
            f'<tr data-site="{_e(r.site_id)}"><td>{_e(r.site_id)}</td><td>{_e(_word("ev_" + r.kind, lang))}</td>'
            f'<td class="num">{int(r.due_year)}</td><td>{_e(_word("ev_" + r.status, lang))}</td>'
            f'<td class="num">{"" if pd.isna(r.year) else f"{int(r.year)}–{int(r.end_year)}"}</td>'
            f'<td class="num">{"" if pd.isna(r.closure_year) else int(r.closure_year)}</td>'
            + _num(r.cost_yen / OKU_YEN, "{:,.2f}")
            + _num(r.penalty_yen / OKU_YEN, "{:,.2f}")
            + "</tr>"
            for r in ev.sort_values(["due_year", "site_id", "kind"], kind="mergesort").itertuples(index=False)
        ]
        heads = [
            ("col_site", False),
            ("col_event", False),
            ("col_due", True),
            ("col_status", False),
            ("col_works", True),
            ("col_site_closes", True),
            ("col_cost_oku", True),
            ("col_penalty_oku", True),
        ]
        out.append(
            f"<details><summary>{_e(tr('renewal_events', lang, n=len(ev), counts=counts))}</summary>"
            + _table([(tr(h, lang), n) for h, n in heads], rows, "events")
            + "</details>"
        )
    return "".join(out)


def _word(key: str, lang: str) -> str:
    """A message when the table has it, else the key's last part (an unknown status or kind)."""
    return tr_or(key, lang, key.split("_", 1)[-1])
