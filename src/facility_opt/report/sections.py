"""The report's sections that planners asked for: places before and after, results by area, freed
sites, decisions resting on imputed data, the ward's own published figures.

Each section is written from what the plan (and its problem, ward) actually hold; a figure the
data do not have is said to be absent, never filled in.  Text comes from :mod:`facility_opt.i18n`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..i18n import capacity_unit, decision_label, tr
from ..units import OKU_YEN
from .html import esc, num_cell, table

__all__ = [
    "places_section",
    "areas_section",
    "area_results",
    "freed_sites",
    "freed_section",
    "imputed_section",
    "context_section",
    "context_rows",
    "DISTRICT_SERVICES",
]


#: the district services results are grouped by, in order of preference (中学校区 first)
DISTRICT_SERVICES = ("junior_high_education", "primary_education")


def _h2(key: str, lang: str, note: str | None = None) -> str:
    out = f"<h2>{esc(tr(key, lang))}</h2>"
    return out + (f'<p class="meta">{esc(note)}</p>' if note else "")


# --------------------------------------------------------------------------------------------------
# places (定員)
def places_section(plan, names: dict[str, str], catalogue, lang: str = "en", problem=None) -> str:
    """Places per service: now (the register's, with the problem), keeping everything in the last
    year, the plan's in its first and last year, and the demand of the last year."""
    y = plan.frame("years")
    if y.empty:
        return ""
    first, last = int(y["year"].min()), int(y["year"].max())
    kpis = {s.service_id: s for s in plan.kpis.services}
    now = problem.placements.groupby("service_id")["capacity"].sum() if problem is not None else pd.Series(dtype=float)
    rows = []
    for k, g in y.groupby("service_id", sort=True):
        g = g.set_index("year")
        unit = catalogue.services[k].capacity_unit if catalogue is not None and k in catalogue.services else ""
        keep = kpis[k].capacity_before if k in kpis else np.nan
        a, b = float(g.loc[first, "capacity"]), float(g.loc[last, "capacity"])
        rows.append(
            f'<tr data-service="{esc(k)}"><td>{esc(names.get(k, k))}</td><td>{esc(capacity_unit(unit, lang))}</td>'
            + num_cell(float(now.get(k, np.nan)), "{:,.0f}")
            + num_cell(keep, "{:,.0f}")
            + num_cell(a, "{:,.0f}")
            + num_cell(b, "{:,.0f}")
            + num_cell(b - keep, "{:+,.0f}")
            + num_cell(float(g.loc[last, "demand"]), "{:,.0f}")
            + "</tr>"
        )
    heads = [
        (tr("col_service", lang), False),
        (tr("col_unit_places", lang), False),
        (tr("col_places_now", lang), True),
        (f"{tr('col_keep', lang)} {last}", True),
        (f"{tr('col_plan', lang)} {first}", True),
        (f"{tr('col_plan', lang)} {last}", True),
        (tr("col_change", lang), True),
        (f"{tr('col_demand', lang)} {last}", True),
    ]
    return _h2("h_places", lang, tr("places_note", lang)) + table(heads, rows, "places")


# --------------------------------------------------------------------------------------------------
# results by area
def area_results(plan, problem) -> tuple[str, pd.DataFrame] | None:
    """The plan's decisions summed per school district (中学校区 when the model has them, else 小学校区).

    A school is its own district's anchor; any other site belongs to the district of its nearest
    town block (:func:`facility_opt.districts.site_districts`).  Returns (service whose districts
    are used, frame: district, district_name, facilities, closed, new, hosts, converted,
    floor_before_m2, floor_after_m2, saving_yen) or None when the model has no districts.
    """
    from ..districts import site_districts

    if problem is None or problem.zone_districts is None or problem.zone_districts.empty:
        return None
    zd = problem.zone_districts
    service = next((s for s in DISTRICT_SERVICES if (zd["service_id"] == s).any()), sorted(zd["service_id"])[0])
    zd = zd[zd["service_id"] == service][["zone_id", "district"]]
    zones = problem.zones.dropna(subset=["x", "y"])
    sites = problem.sites.dropna(subset=["x", "y"])[["site_id", "x", "y"]]
    if zones.empty or sites.empty:
        return None
    where = site_districts(zd, sites, zones, sorted(zd["district"].unique())).set_index("site_id")["district"]
    d = plan.frame("decisions")
    d["district"] = d["site_id"].map(where)
    d = d.dropna(subset=["district"])
    site_names = problem.sites.set_index("site_id")["name"]
    out = (
        d.groupby("district", sort=True)
        .agg(
            facilities=("facility_id", "size"),
            closed=("decision", lambda s: int((s == "close").sum())),
            new=("decision", lambda s: int((s == "new").sum())),
            hosts=("decision", lambda s: int((s == "host").sum())),
            converted=("decision", lambda s: int((s == "convert").sum())),
            floor_before_m2=("floor_before_m2", "sum"),
            floor_after_m2=("floor_after_m2", "sum"),
            saving_yen=("saving_yen", "sum"),
        )
        .reset_index()
    )
    out.insert(1, "district_name", [str(site_names.get(k, k)) for k in out["district"]])
    return service, out.sort_values(["district_name", "district"], kind="mergesort").reset_index(drop=True)


def areas_section(plan, problem, lang: str = "en") -> str:
    res = area_results(plan, problem)
    if res is None:
        return _h2("h_areas", lang) + f"<p>{esc(tr('areas_absent', lang))}</p>"
    service, a = res
    what = tr("district_jh" if service == "junior_high_education" else "district_pr", lang)
    rows = [
        f'<tr data-area="{esc(r.district)}"><td>{esc(tr("district_of", lang, name=r.district_name))}</td>'
        + num_cell(r.facilities)
        + num_cell(r.closed)
        + num_cell(r.new)
        + num_cell(r.hosts)
        + num_cell(r.converted)
        + num_cell(r.floor_before_m2)
        + num_cell(r.floor_after_m2)
        + num_cell(r.floor_after_m2 - r.floor_before_m2, "{:+,.0f}")
        + num_cell(r.saving_yen / OKU_YEN, "{:+,.2f}")
        + "</tr>"
        for r in a.itertuples(index=False)
    ]
    heads = [
        (tr("col_area", lang), False),
        (tr("col_facilities", lang), True),
        (tr("col_closed", lang), True),
        (tr("col_new", lang), True),
        (tr("col_hosts", lang), True),
        (decision_label("convert", lang), True),
        (tr("col_floor_before", lang), True),
        (tr("col_floor_after", lang), True),
        (tr("col_floor_change", lang), True),
        (tr("col_saving_area", lang), True),
    ]
    return _h2("h_areas", lang, tr("areas_note", lang, what=what)) + table(heads, rows, "areas")


# --------------------------------------------------------------------------------------------------
# freed sites (跡地)
#: columns of :func:`freed_sites`
FREED_COLUMNS = ["site_id", "name", "closes", "site_area_m2", "tenure", "outcome", "need_id", "value_yen"]


def _tenure(owned: bool | None, separable: bool | None) -> str:
    if owned is None:
        return "unknown"
    if not owned:
        return "not_owned"
    return "owned" if separable is not False else "shared"


def freed_sites(plan, problem=None) -> pd.DataFrame:
    """The existing sites the plan closes, their land and what happens to it.

    When the plan records a choice per freed site (``plan.freed_sites``: ``choice`` sell, lease,
    reuse with its ``need_id``, hold, or none), that choice is shown with its value.  Otherwise the
    plan's land policy applies (``Policy.disposal``: sell, lease, none = held unused) to a separable
    ward-owned site with a known area, its value being the land income in the plan's costs; land not
    owned goes back to its owner, and a site that shares its building or has no known area frees
    nothing to sell.  ``site_area_m2`` is NaN where the data have none.  Returns
    :data:`FREED_COLUMNS` (``tenure``: owned, shared, not_owned, unknown; ``outcome``: sell, lease,
    reuse, hold, returned, not_separable), sorted by closing year and site.
    """
    own = list(getattr(plan, "freed_sites", None) or [])
    rows = []
    if own:
        for r in own:
            tenure = _tenure(r.owned, r.separable)
            outcome = r.choice if r.choice != "none" else ("returned" if tenure == "not_owned" else "not_separable")
            rows.append(
                (
                    r.site_id,
                    r.name,
                    r.closure_year,
                    np.nan if r.site_area_m2 is None else r.site_area_m2,
                    tenure,
                    outcome,
                    r.need_id,
                    float(r.value_yen),
                )
            )
    else:
        info = problem.sites.set_index("site_id") if problem is not None else None
        policy = {"sell": "sell", "lease": "lease", "none": "hold"}.get(
            str(plan.policy.get("disposal", "sell")), "sell"
        )
        for s in plan.sites:
            if s.kind != "existing" or not s.open_before or s.open_after:
                continue
            area, owned, sellable = np.nan, None, None
            if info is not None and s.site_id in info.index:
                area = float(info.at[s.site_id, "site_area_m2"])
                owned, sellable = bool(info.at[s.site_id, "owned"]), bool(info.at[s.site_id, "sellable"])
            tenure = _tenure(owned, sellable if owned else None)
            outcome = {"not_owned": "returned", "shared": "not_separable"}.get(tenure, policy)
            rows.append((s.site_id, s.name, s.closes, area, tenure, outcome, "", float(s.revenue_yen)))
    out = pd.DataFrame(rows, columns=FREED_COLUMNS)
    out["closes"] = out["closes"].astype("Int64")
    return out.sort_values(["closes", "site_id"], kind="mergesort").reset_index(drop=True)


_OUTCOME_KEYS = {
    "sell": "fate_sell",
    "lease": "fate_lease",
    "hold": "fate_none",
    "returned": "fate_returned",
    "not_separable": "fate_not_sellable",
    "reuse": "fate_reuse",
}
_TENURE_KEYS = {
    "owned": "tenure_owned",
    "shared": "tenure_shared",
    "not_owned": "tenure_other",
    "unknown": "area_absent",
}


def freed_section(plan, problem, lang: str = "en") -> str:
    f = freed_sites(plan, problem)
    if getattr(plan, "freed_sites", None):
        note = tr("freed_note_own", lang)
    else:
        policy = {"sell": "sell", "lease": "lease", "none": "hold"}.get(
            str(plan.policy.get("disposal", "sell")), "sell"
        )
        note = tr("freed_note", lang, policy=tr(_OUTCOME_KEYS[policy], lang))
    head = _h2("h_freed", lang, note)
    if f.empty:
        return head + f"<p>{esc(tr('freed_none', lang))}</p>"

    def word(keys: dict[str, str], v) -> str:
        return tr(keys[v], lang) if v in keys else str(v)

    rows = [
        f'<tr data-site="{esc(r.site_id)}"><td>{esc(r.site_id)}</td><td>{esc(r.name)}</td>'
        f'<td class="num">{"" if pd.isna(r.closes) else int(r.closes)}</td>'
        + (num_cell(r.site_area_m2) if np.isfinite(r.site_area_m2) else f"<td>{esc(tr('area_absent', lang))}</td>")
        + f"<td>{esc(word(_TENURE_KEYS, r.tenure))}</td>"
        + f'<td data-outcome="{esc(r.outcome)}">{esc(word(_OUTCOME_KEYS, r.outcome))}'
        + (f" ({esc(r.need_id)})" if r.need_id else "")
        + "</td>"
        + num_cell(r.value_yen / OKU_YEN, "{:,.2f}")
        + "</tr>"
        for r in f.itertuples(index=False)
    ]
    heads = [
        (tr("col_id", lang), False),
        (tr("col_site", lang), False),
        (tr("col_closes_year", lang), True),
        (tr("col_site_area", lang), True),
        (tr("col_tenure", lang), False),
        (tr("col_outcome", lang), False),
        (tr("col_income_oku", lang), True),
    ]
    return head + table(heads, rows, "freed")


# --------------------------------------------------------------------------------------------------
# decisions on imputed data
def imputed_section(plan, lang: str = "en", names: dict[str, str] | None = None) -> str:
    ch = plan.changes()
    ch = ch[ch["imputed_inputs"].map(len) > 0]
    head = _h2("h_imputed", lang, tr("imputed_note", lang))
    if ch.empty:
        return head + f"<p>{esc(tr('imputed_none', lang))}</p>"
    rows = [
        f'<tr data-facility="{esc(r.facility_id)}"><td>{esc(r.facility_id)}</td><td>{esc(r.name)}</td>'
        f"<td>{esc(decision_label(r.decision, lang))}</td><td>{esc(', '.join(r.imputed_inputs))}</td></tr>"
        for r in ch.sort_values("facility_id", kind="mergesort").itertuples(index=False)
    ]
    heads = [(tr(h, lang), False) for h in ("col_id", "col_facility", "col_decision", "col_fields")]
    return head + table(heads, rows, "imputed")


# --------------------------------------------------------------------------------------------------
# the ward's own figures
def _fmt(value: float, unit: str, approx: bool, lang: str) -> str:
    about = ("約" if lang == "ja" else "about ") if approx else ""
    if unit == "count":
        return f"{about}{value:,.0f}"
    if unit == "m2":
        return f"{about}{value:,.0f} m²"
    oku = value / OKU_YEN
    per = ("/年" if lang == "ja" else " a year") if unit == "yen_per_year" else ""
    return f"{about}{oku:,.0f}{tr('oku', lang) if lang == 'ja' else ' oku-yen'}{per}"


def context_rows(plan, ward, lang: str = "en") -> list[tuple[str, str, float, str]] | None:
    """(label, shown value, value, source) rows: what the plan models, then the ward's published
    figures from its ``context.yaml``; None when the ward has no such file."""
    from ..context import load_ward_context

    ctx = load_ward_context(ward)
    if ctx is None:
        return None
    s = ward.structures
    renewal = float(sum(x.renewal_before_yen for x in plan.sites))
    here = tr("ctx_this_run", lang)
    rows = [
        (
            tr("ctx_modelled_fac", lang),
            _fmt(len(ward.facilities), "count", False, lang),
            float(len(ward.facilities)),
            here,
        ),
        (tr("ctx_modelled_bld", lang), _fmt(len(s), "count", False, lang), float(len(s)), here),
        (
            tr("ctx_modelled_floor", lang),
            _fmt(float(s["floor_area_m2"].sum()), "m2", False, lang),
            float(s["floor_area_m2"].sum()),
            here,
        ),
        (tr("ctx_modelled_renewal", lang, years=plan.horizon_years), _fmt(renewal, "yen", False, lang), renewal, here),
    ]
    for it in ctx.items:
        rows.append(
            (it.label_ja if lang == "ja" else it.label, _fmt(it.value, it.unit, it.approx, lang), it.value, it.source)
        )
    return rows


def context_section(plan, ward, lang: str = "en") -> str:
    rows = context_rows(plan, ward, lang)
    if rows is None:
        return _h2("h_context", lang) + f"<p>{esc(tr('context_absent', lang))}</p>"
    body = [
        f'<tr><th>{esc(label)}</th><td class="num" data-value="{esc(repr(float(v)))}">{esc(shown)}</td>'
        f'<td class="source">{esc(src)}</td></tr>'
        for label, shown, v, src in rows
    ]
    heads = [(tr("col_figure", lang), False), (tr("col_value", lang), True), (tr("col_source", lang), False)]
    return _h2("h_context", lang, tr("context_note", lang)) + table(heads, body, "context")
