"""Freed land: what each closed existing site's land becomes, as the policy allows, at its value."""

from __future__ import annotations

import pandas as pd

from ..policy import Policy
from ..rows import FreedSite
from .context import Context
from .violation import Violation

__all__ = ["check_disposals"]


def check_disposals(c: Context) -> list[Violation]:
    """Every closed existing site is in ``freed_sites`` with its closure year; land income only from an
    owned, separable site; a choice the policy allows and the site fits (``disposal_one``,
    ``disposal_must``); the needs' site limits (``reuse_max_sites``); the stated value against the value
    recomputed from the plan's state (``cost``)."""
    v: list[Violation] = []
    plan, pol, sites, costs = c.plan, c.pol, c.sites, c.costs
    table = c.problem.disposal_table()
    options = set(zip(table["site_id"], table["choice"], table["need_id"]))
    sell_or_lease = set(table.loc[table["choice"].isin(["sell", "lease"]), "site_id"])
    closes = {s.site_id: s.closes for s in plan.sites}
    stated = {r.site_id: r for r in plan.freed_sites}
    value = (
        costs.groupby("site_id")[["revenue_yen", "lease_yen", "reuse_yen"]].sum().sum(axis=1)
        if costs is not None
        else pd.Series(dtype=float)
    )
    for s in sites.index[sites["kind"] == "existing"]:
        if c.is_open[s].all():
            if s in stated:
                v.append(Violation("tables", s, None, f"disposal: {s} is in freed_sites but stays open"))
            continue
        r = stated.get(s)
        if r is None:
            v.append(
                Violation(
                    "tables",
                    s,
                    closes.get(s),
                    f"disposal: {s} closes in {closes.get(s)} but freed_sites does not state what its land becomes",
                )
            )
            continue
        if r.closure_year != closes.get(s):
            v.append(
                Violation(
                    "tables",
                    s,
                    r.closure_year,
                    f"disposal: freed_sites says {s} closes in {r.closure_year}, the plan in {closes.get(s)}",
                )
            )
        v += _choice_violations(s, r, sites, pol, sell_or_lease, options)
        got = float(value.get(s, 0.0))
        if costs is not None and abs(got - r.value_yen) > 1.0:
            v.append(
                Violation(
                    "cost",
                    s,
                    None,
                    f"disposal: {s} ({r.choice}) brings ¥{got:,.0f} recomputed, freed_sites says ¥{r.value_yen:,.0f}",
                )
            )
    v += _reuse_limits(plan.freed_sites, pol)
    return v


def _choice_violations(
    s: str, r: FreedSite, sites: pd.DataFrame, pol: Policy, sell_or_lease: set[str], options: set[tuple[str, str, str]]
) -> list[Violation]:
    """The land choice stated for closed site ``s`` against its land and the policy (``disposal_one``,
    ``disposal_must``)."""
    v: list[Violation] = []
    sellable = bool(sites.at[s, "sellable"])
    if not sellable and r.choice != "none":
        v.append(
            Violation(
                "disposal_one",
                s,
                None,
                f"disposal: {s} is not an owned, separable site with a known "
                f"area (owned {bool(sites.at[s, 'owned'])}, separable "
                f"{bool(sites.at[s, 'separable'])}), so it frees no land to {r.choice}",
            )
        )
    elif sellable and r.choice == "none":
        v.append(
            Violation("disposal_one", s, None, f"disposal: {s} frees land but freed_sites states no choice for it")
        )
    elif r.choice == "hold":
        if pol.must_dispose and s in sell_or_lease:
            v.append(
                Violation(
                    "disposal_must",
                    s,
                    None,
                    f"disposal: {s} is held, but the policy allows only {'/'.join(pol.disposal_options)}",
                )
            )
    elif r.choice != "none" and (s, r.choice, r.need_id if r.choice == "reuse" else "") not in options:
        what = f"reuse for {r.need_id!r}" if r.choice == "reuse" else r.choice
        v.append(
            Violation(
                "disposal_one",
                s,
                None,
                f"disposal: {s} may not {what}: the policy allows "
                f"{'/'.join(pol.disposal_options)}"
                + (" and the need must fit the site" if r.choice == "reuse" else ""),
            )
        )
    return v


def _reuse_limits(freed_sites: list[FreedSite], pol: Policy) -> list[Violation]:
    """The needs' site limits (``reuse_max_sites``)."""
    v: list[Violation] = []
    for n in pol.reuse_needs:
        used = sum(1 for r in freed_sites if r.choice == "reuse" and r.need_id == n.id)
        if n.max_sites is not None and used > n.max_sites:
            v.append(
                Violation(
                    "reuse_max_sites",
                    n.id,
                    None,
                    f"disposal: {used} sites are reused for {n.id}, at most {n.max_sites} allowed",
                )
            )
    return v
