"""The report's headline: figure cards, the key figures against keeping everything, the saving by kind,
and coverage and distance per service."""

from __future__ import annotations

from ..i18n import REVENUE_SOLD_ONLY, SAVING_KIND_LABELS, tr
from ..portfolio.plan import Plan
from ..units import OKU_YEN
from .html import delta_class as _delta_class
from .html import esc as _e
from .html import num_cell as _num
from .html import oku as _oku
from .html import table as _table


def _lowest_coverage(plan: Plan) -> tuple[float, float]:
    """Lowest coverage (before, after) over the services the plan changes: frozen services (left
    as they are, often with no distance standard) would only repeat their own figure."""
    frozen = set(plan.policy.get("frozen_services") or [])
    kpis = [s for s in plan.kpis.services if s.service_id not in frozen] or plan.kpis.services
    return (min((s.coverage_before for s in kpis), default=1.0), min((s.coverage_after for s in kpis), default=1.0))


def _headline(plan: Plan, lang: str = "en") -> tuple[str, str]:
    """(the figure cards, the key-figure table with its notes and the saving by kind)."""
    cov_b, cov_a = _lowest_coverage(plan)
    card_html = _cards(plan, lang, cov_b, cov_a)
    table = _kpi_table(plan, lang, cov_b, cov_a)
    extra = _capital_note(plan, lang)
    return card_html, table + extra + _saving_kinds(plan, lang)


def _cards(plan: Plan, lang: str, cov_b: float, cov_a: float) -> str:
    """The figure cards: saving, buildings, floor, closures / new buildings, lowest coverage."""
    k = plan.kpis
    H = k.horizon_years
    oku = tr("oku", lang)
    cards = [
        (f"{_oku(k.saving_yen)} {oku}", tr("card_saved", lang, years=H, share=f"{100 * k.saving_share:.1f}")),
        (f"{k.buildings_before:,} → {k.buildings_after:,}", tr("card_buildings", lang)),
        (
            f"{100 * k.floor_reduction:.1f} %",
            tr("card_floor", lang, before=f"{k.floor_before_m2:,.0f}", after=f"{k.floor_after_m2:,.0f}"),
        ),
        (f"{k.closures:,} / {k.new_buildings:,}", tr("card_closures", lang)),
        (f"{100 * cov_a:.1f} %", tr("card_coverage", lang, before=f"{100 * cov_b:.1f}")),
    ]
    card_html = (
        '<div class="cards">'
        + "".join(
            f'<div class="card"><div class="v">{_e(v)}</div><div class="l">{_e(lab)}</div></div>' for v, lab in cards
        )
        + "</div>"
    )
    return card_html


def _kpi_row(
    rows: list[str],
    key: str,
    label: str,
    before: float,
    after: float,
    fmt: str,
    scale: float = 1.0,
    lower_is_better: bool = True,
    unit: str = "",
) -> None:
    """Append a key-figure row to ``rows``: before, after and the change (coloured good or bad), in
    ``fmt`` after dividing by ``scale``."""
    css = _delta_class(before, after, lower_is_better)
    diff = after - before
    rows.append(
        f'<tr data-kpi="{_e(key)}"><th>{_e(label)}</th>'
        + _num(before / scale, fmt)
        + _num(after / scale, fmt)
        + _num(diff / scale, fmt.replace("{:", "{:+"), css)
        + f"<td>{_e(unit)}</td></tr>"
    )


def _kpi_table(plan: Plan, lang: str, cov_b: float, cov_a: float) -> str:
    """The key figures of the plan against keeping everything (before, after, change, unit)."""
    rows = _kpi_rows(plan, lang, cov_b, cov_a)
    table = _table(
        [
            ("", False),
            (tr("col_keep", lang), True),
            (tr("col_plan", lang), True),
            (tr("col_change", lang), True),
            (tr("col_unit", lang), False),
        ],
        rows,
        "kpis",
    )
    return table


def _kpi_rows(plan: Plan, lang: str, cov_b: float, cov_a: float) -> list[str]:
    """The rows of the key-figure table, in the report's order."""
    k = plan.kpis
    H = k.horizon_years
    oku = tr("oku", lang)
    rows: list[str] = []
    _kpi_row(rows, "buildings", tr("kpi_buildings", lang), k.buildings_before, k.buildings_after, "{:,.0f}")
    _kpi_row(rows, "floor_m2", tr("kpi_floor", lang), k.floor_before_m2, k.floor_after_m2, "{:,.0f}", unit="m²")
    _kpi_row(
        rows,
        "cost_yen",
        tr("kpi_cost", lang, years=H),
        k.cost_before_yen,
        k.cost_after_yen,
        "{:,.1f}",
        OKU_YEN,
        unit=tr("oku_long", lang),
    )
    _kpi_row(
        rows,
        "cost_per_year_yen",
        tr("kpi_cost_year", lang),
        k.cost_per_year_before_yen,
        k.cost_per_year_after_yen,
        "{:,.1f}",
        OKU_YEN,
        unit=oku,
    )
    _kpi_row(
        rows,
        "peak_spend_yen",
        tr("kpi_peak", lang),
        k.peak_spend_before_yen,
        k.peak_spend_after_yen,
        "{:,.1f}",
        OKU_YEN,
        unit=oku,
    )
    _kpi_row(
        rows,
        "penalty_yen",
        tr("kpi_penalty", lang),
        k.penalty_before_yen,
        k.penalty_after_yen,
        "{:,.1f}",
        OKU_YEN,
        unit=tr("unit_in_cost", lang),
    )
    _kpi_row(
        rows,
        "access_person_km",
        tr("kpi_access", lang),
        k.access_before_person_km,
        k.access_after_person_km,
        "{:,.0f}",
        unit=tr("unit_access", lang),
    )
    _kpi_row(
        rows,
        "station_front_share",
        tr("kpi_station", lang),
        100 * k.station_front_share_before,
        100 * k.station_front_share_after,
        "{:,.1f}",
        lower_is_better=False,
        unit="%",
    )
    _kpi_row(
        rows,
        "coverage_min",
        tr("kpi_coverage", lang),
        100 * cov_b,
        100 * cov_a,
        "{:,.1f}",
        lower_is_better=False,
        unit=tr("unit_coverage", lang),
    )
    return rows


def _capital_note(plan: Plan, lang: str) -> str:
    """The note under the key figures: capital spend, saving and the budget the plan kept to."""
    k = plan.kpis
    budget = ""
    if k.level_budget_yen is not None:
        budget = tr("level_budget", lang, v=_oku(k.level_budget_yen))
    elif k.budget_yen is not None:
        budget = tr("mean_budget", lang, v=_oku(k.budget_yen))
    extra = (
        '<p class="meta">'
        + _e(
            tr(
                "capital_note",
                lang,
                capital=_oku(k.capital_spend_yen),
                saving=_oku(k.saving_yen),
                share=f"{100 * k.saving_share:.1f}",
                budget=budget,
            )
        )
        + "</p>"
    )
    return extra


#: the kinds of a saving as the English report names them (keys of ``Kpis.saving_by_kind``; both
#: languages: :data:`facility_opt.i18n.SAVING_KIND_LABELS`)
SAVING_KINDS = {key: en for key, (en, _) in SAVING_KIND_LABELS.items()}


def _saving_kinds(plan: Plan, lang: str = "en") -> str:
    """The headline saving split by kind (a small table; nothing for a plan written without the split)."""
    k = plan.kpis
    if not k.saving_by_kind:
        return ""
    kinds = [key for key in SAVING_KIND_LABELS if key in k.saving_by_kind]
    kinds += sorted(set(k.saving_by_kind) - set(kinds))  # a kind the table does not know yet: by its key
    rows = []
    for key in kinds:
        labels = (
            REVENUE_SOLD_ONLY
            if key == "revenue" and "lease" in k.saving_by_kind
            else SAVING_KIND_LABELS.get(key, (key, key))
        )
        rows.append(
            f'<tr data-saving-kind="{_e(key)}"><th>{_e(labels[1] if lang == "ja" else labels[0])}</th>'
            + _num(k.saving_by_kind[key] / OKU_YEN, "{:+,.2f}")
            + "</tr>"
        )
    rows.append(
        f'<tr data-saving-kind="total"><th>{_e(tr("saving_total", lang))}</th>'
        + _num(k.saving_yen / OKU_YEN, "{:+,.2f}")
        + "</tr>"
    )
    return f'<h3>{_e(tr("h_saving_kinds", lang))}</h3><p class="meta">{_e(tr("saving_kinds_note", lang))}</p>' + _table(
        [("", False), (f"{tr('saving', lang)} ({tr('oku', lang)})", True)], rows, "saving-kinds"
    )


def _service_table(plan: Plan, names: dict[str, str], lang: str = "en") -> str:
    rows = []
    for s in plan.kpis.services:
        label = names.get(s.service_id) or s.service_id
        rows.append(
            f'<tr data-service="{_e(s.service_id)}"><td>{_e(label)}<br><small>{_e(s.service_id)}</small></td>'
            + _num(s.sites_before)
            + _num(s.sites_after)
            + _num(100 * s.coverage_before, "{:.1f}")
            + _num(100 * s.coverage_after, "{:.1f}", _delta_class(s.coverage_before, s.coverage_after, False))
            + _num(s.mean_distance_before_m)
            + _num(
                s.mean_distance_after_m,
                "{:,.0f}",
                _delta_class(s.mean_distance_before_m, s.mean_distance_after_m, True),
            )
            + _num(s.p95_distance_before_m)
            + _num(s.p95_distance_after_m)
            + _num(100 * s.station_front_share_before, "{:.1f}")
            + _num(100 * s.station_front_share_after, "{:.1f}")
            + "</tr>"
        )
    heads = [
        "col_service",
        "col_sites_before",
        "col_after",
        "col_cov_before",
        "col_after_pct",
        "col_mean_before",
        "col_after_m",
        "col_p95_before",
        "col_after_m",
        "col_sf_before",
        "col_after_pct",
    ]
    return _table([(tr(h, lang), i > 0) for i, h in enumerate(heads)], rows, "services")
