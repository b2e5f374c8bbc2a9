"""``report.html``: the whole page, its sections in order (each written by its own module), one
self-contained, deterministic file."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from ..atomic import atomic_write_text
from ..i18n import chart_style, service_name, tr
from ..portfolio.plan import Plan
from ..portfolio.problem import PortfolioProblem
from ..units import OKU_YEN
from ..ward import Ward
from .charts import figure_png, plan_map
from .decisions import _decisions_section
from .headline import _headline, _service_table
from .html import CSS as _CSS
from .html import esc as _e
from .html import img as _img
from .html import num_cell as _num
from .html import table as _table
from .reform import reform_section
from .years import _nursery_section, _spend_section, _timeline_section, _years_section

__all__ = ["write_report"]


def _imputed_note(ward: Ward, path: Path, lang: str = "en") -> str:
    """Which register fields are imputed, how often, and where the rules are written."""
    parts = []
    for name, df in (("facilities", ward.facilities), ("zones", ward.zones)):
        if "imputed" not in df.columns or df.empty:
            continue
        fields = df["imputed"].fillna("").astype(str).str.split(";").explode()
        counts = fields[fields != ""].value_counts()
        if len(counts):
            items = ", ".join(f"{f} ({tr('of_n', lang, n=n, total=len(df))})" for f, n in sorted(counts.items()))
            parts.append(f"{name}: {items}")
    text = tr("imputed_values", lang, parts="; ".join(parts)) if parts else tr("imputed_values_none", lang)
    readme = None
    if ward.source is not None and (Path(ward.source) / "README.md").is_file():
        readme = os.path.relpath(Path(ward.source) / "README.md", Path(path).resolve().parent)
    if readme:
        link = Path(readme).as_posix()
        how = _e(tr("imputed_rules", lang, link="\0")).replace("\0", f'<a href="{_e(link)}">{_e(link)}</a>')
    else:
        how = _e(tr("imputed_rules_folder", lang))
    return f"<p>{_e(text)}{how}{_e(tr('costs_note', lang))}</p>"


def write_report(
    plan: Plan,
    ward: Ward,
    path: str | Path,
    *,
    problem: PortfolioProblem | None = None,
    tradeoff: pd.DataFrame | None = None,
    cost_years: pd.DataFrame | None = None,
    title: str | None = None,
    lang: str | None = None,
    catalogue=None,
) -> Path:
    """Write ``report.html``: one self-contained page on the plan (atomically; deterministic).

    Parameters
    ----------
    plan : the plan.
    ward : the ward it was made for (map, credits, imputed-data note, the ward's published figures
        in ``context.yaml``).
    path : the HTML file to write.
    problem : optional; gives candidate-site locations, land and districts and, when ``cost_years``
        is not given, the cost by year (:func:`facility_opt.portfolio.yearly.cost_by_year`).
    tradeoff : optional :func:`facility_opt.portfolio.tradeoff_curve` table; shown when given.
    cost_years : optional :func:`cost_by_year` table.
    title : the page title (default: the plan's name and the ward's).
    lang : ``"ja"`` or ``"en"``; default the ward's ``language`` (Japanese for Nerima), else English.
    catalogue : the :class:`facility_opt.catalogue.Catalogue` naming services and categories
        (``name_ja`` in Japanese); default the shipped ``models/catalogue.yaml``.

    Returns
    -------
    Path of the written file.
    """
    from ..i18n import names_catalogue, report_language

    lang = report_language(ward, lang)
    catalogue = names_catalogue(catalogue)
    with chart_style(lang):
        doc = _render(
            plan,
            ward,
            Path(path),
            problem=problem,
            tradeoff=tradeoff,
            cost_years=cost_years,
            title=title,
            lang=lang,
            catalogue=catalogue,
        )
    return atomic_write_text(path, doc)


def _render(plan: Plan, ward: Ward, path: Path, *, problem, tradeoff, cost_years, title, lang, catalogue) -> str:
    from . import sections

    end = plan.start_year + plan.horizon_years - 1
    if lang == "ja":
        ward_name = ward.meta.name_ja or ward.meta.name
    else:
        ward_name = ward.meta.name + (f" ({ward.meta.name_ja})" if ward.meta.name_ja else "")
    title = title or tr("title", lang, plan=plan.name, ward=ward_name)
    services = sorted({y.service_id for y in plan.years} | {s.service_id for s in plan.kpis.services})
    names = {k: service_name(catalogue, k, lang) for k in services}
    parts: list[str] = _header(plan, title, ward_name, end, lang)
    cards, kpi_table = _headline(plan, lang)
    parts.append(cards)
    parts.append(f"<h2>{_e(tr('h_headline', lang))}</h2>" + kpi_table)
    if plan.baseline_issues:
        n = len(plan.baseline_issues)
        parts.append(
            f'<div class="note"><b>{_e(tr("baseline_misses", lang, n=n))}</b> {_e(tr("baseline_ref", lang))}'
            f"<details><summary>{_e(tr('where_n', lang, n=n))}</summary><ul>"
            + "".join(f"<li>{_e(v)}</li>" for v in plan.baseline_issues)
            + "</ul></details></div>"
        )
    parts.append(sections.context_section(plan, ward, lang))

    parts.append(_map_section(plan, ward, problem, lang, catalogue))
    parts += _cost_year_section(plan, problem, cost_years, lang)

    parts.append(_spend_section(plan, problem, lang))
    parts.append(sections.places_section(plan, names, catalogue, lang, problem))
    parts.append(_years_section(plan, names, lang))
    parts.append(_nursery_section(plan, lang=lang))
    parts.append(_timeline_section(plan, lang, names))

    parts.append(
        f'<h2>{_e(tr("h_services", lang))}</h2><p class="meta">{_e(tr("services_note", lang))}</p>'
        + _service_table(plan, names, lang)
    )
    parts.append(sections.areas_section(plan, problem, lang))

    parts += _decisions_section(plan, lang, names)
    parts.append(sections.freed_section(plan, problem, lang))
    if plan.mergers or plan.conversions:
        parts.append(reform_section(plan, lang))
    parts.append(sections.imputed_section(plan, lang, names))

    if tradeoff is not None and len(tradeoff):
        parts.append(_tradeoff_section(tradeoff, lang))
    parts += _closing(plan, ward, path, lang)
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body><main>\n"
        + "\n".join(parts)
        + "\n</main></body>\n</html>\n"
    )


def _header(plan: Plan, title: str, ward_name: str, end: int, lang: str) -> list[str]:
    """The page's header (title, model, solver, the independent check) and, for a plan failing the
    check, its violations."""
    gap = "-" if plan.solver.gap is None else f"{100 * plan.solver.gap:.2f} %"
    parts: list[str] = []
    meta = tr(
        "meta_model", lang, plan="\0", ward=_e(ward_name), start=plan.start_year, end=end, years=plan.horizon_years
    ).replace("\0", _e(plan.name))
    parts.append(
        f'<header><h1>{_e(title)}</h1><p class="meta">{meta}</p>'
        '<p class="meta">'
        + _e(
            tr(
                "meta_solver",
                lang,
                solver=plan.solver.solver,
                status=plan.solver.status,
                gap=gap,
                check=tr("passed" if plan.valid else "failed", lang),
            )
        )
        + "</p></header>"
    )
    if not plan.valid:
        parts.append(
            f'<div class="warn"><b>{_e(tr("invalid_plan", lang))}</b><ul>'
            + "".join(f"<li>{_e(v)}</li>" for v in plan.violations)
            + "</ul></div>"
        )
    return parts


def _map_section(plan: Plan, ward: Ward, problem, lang: str, catalogue) -> str:
    """The interactive map, with the static map folded below it (for printing)."""
    from .webmap import leaflet_html

    ax = plan_map(plan, ward, problem, lang=lang)
    return (
        f'<h2>{_e(tr("h_map", lang))}</h2><p class="meta">{_e(tr("imap_note", lang))}</p>'
        + leaflet_html(plan, ward, problem, lang=lang, catalogue=catalogue)
        + f"<details><summary>{_e(tr('imap_static', lang))}</summary>"
        + _img(figure_png(ax.figure), tr("map_alt", lang), tr("map_caption", lang))
        + "</details>"
    )


def _cost_year_section(plan: Plan, problem, cost_years, lang: str) -> list[str]:
    """Cost by year, keeping everything against the plan (chart and folded table); computed from the
    problem when no table is given, absent without either."""
    from matplotlib.figure import Figure

    from ..portfolio.yearly import cost_by_year, plot_cost_by_year

    parts: list[str] = []
    if cost_years is None and problem is not None:
        cost_years = cost_by_year(plan, problem)
    parts.append(f"<h2>{_e(tr('h_cost_year', lang))}</h2>")
    if cost_years is not None:
        fig = Figure(figsize=(10, 4.2))
        plot_cost_by_year(cost_years, ax=fig.subplots(), lang=lang)
        parts.append(_img(figure_png(fig), tr("cost_year_alt", lang), tr("cost_year_caption", lang)))
        rows = [
            f'<tr><td class="num">{int(r.year)}</td>'
            + _num(r.before_yen / OKU_YEN, "{:,.2f}")
            + _num(r.after_yen / OKU_YEN, "{:,.2f}")
            + _num((r.after_yen - r.before_yen) / OKU_YEN, "{:+,.2f}")
            + _num(r.renewal_after_yen / OKU_YEN, "{:,.2f}")
            + _num(r.new_build_after_yen / OKU_YEN, "{:,.2f}")
            + _num(r.revenue_after_yen / OKU_YEN, "{:,.2f}")
            + "</tr>"
            for r in cost_years.itertuples()
        ]
        heads = (
            "col_year",
            "col_keep",
            "col_plan",
            "col_change",
            "col_plan_renewal",
            "col_plan_new",
            "col_plan_land_income",
        )
        parts.append(
            f"<details><summary>{_e(tr('per_year_figures', lang))}</summary>"
            + _table([(tr(h, lang), True) for h in heads], rows, "years")
            + "</details>"
        )
    else:
        parts.append(f"<p>{_e(tr('not_available_problem', lang))}</p>")
    return parts


def _tradeoff_section(tradeoff: pd.DataFrame, lang: str) -> str:
    """The cost–access trade-off curve and its points."""
    from matplotlib.figure import Figure

    from ..portfolio.tradeoff import plot_tradeoff

    fig = Figure(figsize=(7.5, 4.8))
    plot_tradeoff(tradeoff, ax=fig.subplots(), lang=lang)
    fig.tight_layout()
    rows = [
        f"<tr><td>{_e(r.point)}</td>"
        + _num(r.access_person_km)
        + _num(r.cost_yen / OKU_YEN, "{:,.1f}")
        + _num(r.buildings)
        + _num(r.floor_m2)
        + f"<td>{_e(r.status)}</td></tr>"
        for r in tradeoff.itertuples()
    ]
    heads = [
        ("col_plan_point", False),
        ("col_access", True),
        ("col_cost_oku2", True),
        ("col_buildings", True),
        ("col_floor_m2", True),
        ("col_status", False),
    ]
    return (
        f"<h2>{_e(tr('h_tradeoff', lang))}</h2>"
        + _img(figure_png(fig), tr("tradeoff_alt", lang), tr("tradeoff_caption", lang))
        + _table([(tr(h, lang), n) for h, n in heads], rows, "tradeoff")
    )


def _closing(plan: Plan, ward: Ward, path: Path, lang: str) -> list[str]:
    """Data and assumptions (imputed values, credits) and the footer."""
    from .. import __version__

    credits = "".join(f"<li>{_e(s)}</li>" for s in ward.meta.sources) or f"<li>{_e(tr('no_credits', lang))}</li>"
    return [
        f"<h2>{_e(tr('h_data', lang))}</h2>" + _imputed_note(ward, path, lang) + f'<ul class="credits">{credits}</ul>',
        f"<footer>{_e(tr('footer', lang, version=__version__, plan=plan.name))}</footer>",
    ]
