"""The report's decisions: each facility's decision in a few words (from the plan's moves and works),
and the decision tables with their reasons."""

from __future__ import annotations

import pandas as pd

from ..i18n import decision_label, tr, tr_or
from ..portfolio.plan import Plan
from ..units import OKU_YEN
from .html import esc as _e
from .html import num_cell as _num
from .html import table as _table

__all__ = ["decision_summaries", "MAX_NAMED_SITES"]

#: a decision summary names at most this many sites a service's residents go to or come from (then a count)
MAX_NAMED_SITES = 3


# --------------------------------------------------------------------------------------------------
# each decision in a few words, from the plan's moves and works
def _flows(plan) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(assignments, timeline) of the plan, for who goes where when a service leaves or arrives."""
    a = plan.frame("assignments")
    a = a.assign(weight=a["population"] * a["share"])
    return a, plan.frame("timeline")


def _flow(a: pd.DataFrame, k: str, site: str, year: int, arriving: bool) -> pd.Series | None:
    """Where the residents a site serves with ``k`` come from (``arriving``: served there in ``year``,
    where they were the year before) or go to (served there the year before, where in ``year``):
    site -> residents (population × share), largest first, the site itself left out; None when
    the site served nobody with ``k`` that year."""
    ak = a[a["service_id"] == k]

    def at(y: int) -> pd.DataFrame:
        return ak[(ak["from_year"] <= y) & (ak["to_year"] >= y)]

    here, there = (at(year), at(year - 1)) if arriving else (at(year - 1), at(year))
    zones = here.loc[here["site_id"] == site, "zone_id"]
    if zones.empty:
        return None
    w = there[there["zone_id"].isin(zones) & (there["site_id"] != site)].groupby("site_id")["weight"].sum()
    return w[w > 0].sort_index().sort_values(ascending=False, kind="mergesort")


def decision_summaries(plan, lang: str = "ja", names: dict[str, str] | None = None) -> dict[str, str]:
    """facility_id -> what happens to it, in ``lang``, written from the plan's own tables: the
    decision and its year; for each service it loses, where its residents are served the year it
    leaves (``assignments``), and for each service it gains, where they came from; its renewal works
    and its saving.  The optimiser's ``reason`` says the same in English with the costs behind it."""
    names = names or {}
    site_name = {s.site_id: s.name for s in plan.sites}
    a, t = _flows(plan)
    works = plan.frame("events")
    works = works[works["status"] == "done"]
    sep, stop = tr("list_sep", lang), tr("sentence_end", lang)

    def where(w: pd.Series) -> str:
        """The sites taking most of the residents by name (at most :data:`MAX_NAMED_SITES`), then a count."""
        named = [
            f"{site_name.get(s, s)}（{s}）" if lang == "ja" else f"{site_name.get(s, s)} ({s})"
            for s in w.index[:MAX_NAMED_SITES]
        ]
        more = len(w) - len(named)
        return sep.join(named) + (tr("sum_and_more", lang, n=more) if more > 0 else "")

    out = {}
    end = plan.start_year + plan.horizon_years - 1
    for d in plan.decisions:
        label = decision_label(d.decision, lang)
        parts = [tr("sum_head_year", lang, year=d.year, label=label) if d.year else label]
        here = t[t["site_id"] == d.site_id]
        for k in d.lost:
            last = here.loc[here["service_id"] == k, "to_year"]
            if last.empty or int(last.max()) >= end:
                continue
            w = _flow(a, k, d.site_id, int(last.max()) + 1, arriving=False)
            svc = names.get(k, k)
            parts.append(
                tr("sum_unused", lang, svc=svc)
                if w is None
                else tr("sum_users_to", lang, svc=svc, to=where(w))
                if len(w)
                else tr("sum_lost", lang, svc=svc)
            )
        for k in d.gained:
            first = here.loc[here["service_id"] == k, "from_year"]
            if first.empty:
                continue
            w = _flow(a, k, d.site_id, int(first.min()), arriving=True)
            svc = names.get(k, k)
            parts.append(
                tr("sum_takes_from", lang, svc=svc, src=where(w))
                if w is not None and len(w)
                else tr("sum_opens", lang, svc=svc)
            )
        if d.decision != "close":
            for r in works[works["site_id"] == d.site_id].itertuples(index=False):
                parts.append(
                    tr(
                        "sum_works",
                        lang,
                        kind=tr_or(f"ev_{r.kind}", lang, r.kind),
                        start=int(r.year),
                        end=int(r.end_year),
                    )
                )
        if abs(d.saving_yen) >= 0.005 * OKU_YEN:
            parts.append(tr("sum_saving", lang, v=f"{d.saving_yen / OKU_YEN:+,.2f}"))
        out[d.facility_id] = (stop.join(parts) + stop).rstrip()
    return out


def _decision_rows(
    decisions: pd.DataFrame,
    lang: str = "en",
    names: dict[str, str] | None = None,
    summaries: dict[str, str] | None = None,
) -> list[str]:
    """Table rows of decisions; with ``summaries`` (facility_id -> text) a summary column before the reason."""
    names = names or {}
    sep = "、" if lang == "ja" else ", "
    rows = []
    for r in decisions.itertuples(index=False):
        before = sep.join(names.get(s, s) for s in r.services_before) or "-"
        after = sep.join(names.get(s, s) for s in r.services_after) or "-"
        year = "" if pd.isna(r.year) else str(int(r.year))
        rows.append(
            f'<tr data-facility="{_e(r.facility_id)}"><td>{_e(r.facility_id)}</td><td>{_e(r.name)}</td>'
            f'<td><span class="badge b-{_e(r.decision)}" data-decision="{_e(r.decision)}">'
            f'{_e(decision_label(r.decision, lang))}</span></td><td class="num">{_e(year)}</td>'
            f"<td>{_e(before)}</td><td>{_e(after)}</td>"
            + _num(r.floor_before_m2)
            + _num(r.floor_after_m2)
            + _num(r.saving_yen / OKU_YEN, "{:+,.2f}")
            + (f'<td class="summary">{_e(summaries.get(r.facility_id, ""))}</td>' if summaries is not None else "")
            + f'<td class="reason">{_e(r.reason)}</td>'
            + f'<td class="imputed">{_e(", ".join(getattr(r, "imputed_inputs", []) or []) or "-")}</td></tr>'
        )
    return rows


def _decision_head(lang: str = "en", summary: bool = False) -> list[tuple[str, bool]]:
    heads = (
        [
            ("col_id", False),
            ("col_facility", False),
            ("col_decision", False),
            ("col_year", True),
            ("col_services_before", False),
            ("col_services_after", False),
            ("col_floor_before", True),
            ("col_floor_after", True),
            ("col_saving_oku", True),
        ]
        + ([("col_summary", False)] if summary else [])
        + [("col_reason", False), ("col_imputed", False)]
    )
    return [(tr(h, lang), n) for h, n in heads]


def _decisions_section(plan: Plan, lang: str, names: dict[str, str]) -> list[str]:
    """The report's parts on decisions: heading, the facilities that change (new buildings first,
    then hosts, conversions and closures), and every facility in a folded table."""
    parts: list[str] = []
    changed = plan.changes()
    order = {"new": 0, "host": 1, "convert": 2, "close": 3}
    changed = (
        changed.assign(_o=changed["decision"].map(order).fillna(4))
        .sort_values(["_o", "facility_id"], kind="mergesort")
        .drop(columns="_o")
    )
    allrows = plan.frame("decisions")
    counts = tr("list_sep", lang).join(
        tr("count_item", lang, n=n, label=decision_label(k, lang))
        for k, n in changed["decision"].value_counts().sort_index().items()
    )
    note = tr("decisions_note", lang) + (" " + tr("reason_lang_note", lang) if lang == "ja" else "")
    parts.append(f'<h2>{_e(tr("h_decisions", lang, n=len(changed), counts=counts))}</h2><p class="meta">{_e(note)}</p>')
    # Japanese: a summary written from the plan's moves and works beside the optimiser's English reason
    summaries = decision_summaries(plan, lang, names) if lang == "ja" else None
    head = _decision_head(lang, summaries is not None)
    parts.append(
        _table(head, _decision_rows(changed, lang, names, summaries), "decisions changed")
        if len(changed)
        else f"<p>{_e(tr('keeps_all', lang))}</p>"
    )
    parts.append(
        f"<details><summary>{_e(tr('all_facilities', lang, n=len(allrows)))}</summary>"
        + _table(head, _decision_rows(allrows, lang, names, summaries), "decisions all")
        + "</details>"
    )
    return parts
