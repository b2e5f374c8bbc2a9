"""Fee revision as a small MILP: one fee level per line, chosen from discrete candidates.

For every fee item the candidate fees are the multiples of the rounding unit between the lower limit
(``min_fee_ratio`` × current) and the upper limit (the smallest of ``cap_ratio`` × current, the
comparable private price and ``max_recovery`` × unit cost).  Use and revenue at each candidate are
precomputed (use responds to the price each group of users pays: full, reduced, exempt,
non-resident), so the model is linear:

* one binary ``x[i, l]`` per (item, level), ``sum_l x[i, l] = 1`` per item;
* per facility type and unit of use: ``sum x[i, l] · uses[i, l] >= (1 − max drop) · uses now``;
* objective "target": minimise ``sum |recovery[i, l] − target_i| · cost of item i's current use``
  (the absolute deviation is a constant per level, so no deviation variables are needed), or
  "revenue": maximise revenue; plus a tie-break term far below the yen resolution that prefers the
  smaller change from the current fee, then the lower fee.

Every line gets a reason in words: target met, which limit binds (increase cap, private price, cost
ceiling, reduction limit, use-drop limit), or why it stays free.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
import pulp

from ..atomic import atomic_write_text
from ..errors import InfeasibleError
from ..solver import SolveInfo, SolverOptions, require_solution, solve
from .costbasis import CostBasis, DepreciationSource, cost_bases
from .schedule import FeeItem, FeeModel, FeePolicy, FeeSchedule

__all__ = ["FeeResult", "optimise_fees", "candidate_fees", "level_outcomes", "LevelOutcomes"]

log = logging.getLogger(__name__)

#: Table columns, in order.
COLUMNS = [
    "item_id", "facility_type", "room_class", "band", "facility", "unit", "unit_label",
    "current_fee", "proposed_fee", "fee_change_pct", "reduced_fee", "nonresident_fee",
    "unit_cost", "target_share", "current_recovery", "achieved_recovery",
    "current_uses", "expected_uses", "use_change_pct",
    "current_revenue", "expected_revenue", "revenue_change",
    "user_pays_per_use", "taxes_pay_per_use", "binding", "reason",
]


def _round_to(x: np.ndarray | float, unit: int, mode: str) -> np.ndarray:
    q = np.asarray(x, dtype=float) / unit
    if mode == "down":
        r = np.floor(q + 1e-9)
    elif mode == "up":
        r = np.ceil(q - 1e-9)
    else:
        r = np.floor(q + 0.5)
    return r * unit


def _response(ratio: np.ndarray, elasticity: float, model: str) -> np.ndarray:
    """Use relative to today when the price a user pays changes by ``ratio``."""
    if model == "constant":
        with np.errstate(divide="ignore"):
            return np.power(ratio, elasticity)
    return np.maximum(0.0, 1.0 + elasticity * (ratio - 1.0))


@dataclass(frozen=True)
class LevelOutcomes:
    """Use, revenue and recovery of one item at each candidate fee."""

    fees: np.ndarray
    uses: np.ndarray
    revenue: np.ndarray
    recovery: np.ndarray


def level_outcomes(item: FeeItem, fees: np.ndarray, unit_cost_yen: float, policy: FeePolicy,
                   surcharge: float | None = None) -> LevelOutcomes:
    """Expected use, revenue and recovery share of ``item`` at each fee of ``fees``.

    Users paying the full fee and the reduced fee respond to the ratio new/current fee, non-residents
    to the ratio of their (surcharged) fee; exempt users do not respond.  Revenue uses the rounded
    reduced fee ``round(F × (1 − reduction_rate))`` and non-resident fee ``round(F × (1 + surcharge))``.

    Examples
    --------
    Half the use is exempt, the rest pays ¥1,000 and does not respond to price (elasticity 0):

    >>> it = FeeItem(item_id="a", facility_type="t", room_class="r", unit="person", current_fee=1000,
    ...              floor_share=1, annual_uses=100, share_exempt=0.5, elasticity=0,
    ...              necessity="optional", market="public")
    >>> o = level_outcomes(it, np.array([1000.0]), 2000.0, FeePolicy())
    >>> float(o.uses[0]), float(o.revenue[0]), float(o.recovery[0])
    (100.0, 50000.0, 0.5)
    """
    p = policy
    s = p.nonresident_surcharge if surcharge is None else surcharge
    fees = np.asarray(fees, dtype=float)
    q0, f0 = item.annual_uses, item.current_fee
    e = p.default_elasticity if item.elasticity is None else item.elasticity
    r, ex, n = item.share_reduced, item.share_exempt, item.share_nonresident
    full = max(0.0, 1.0 - r - ex - n)
    if f0 > 0:
        g1 = _response(fees / f0, e, p.demand_model)
        g2 = _response(fees * (1 + s) / (f0 * (1 + p.current_nonresident_surcharge)), e, p.demand_model)
    else:
        g1 = g2 = np.ones_like(fees)
    reduced = _round_to(fees * (1 - p.reduction_rate), p.rounding_unit, p.derived_rounding)
    nonres = _round_to(fees * (1 + s), p.rounding_unit, p.derived_rounding)
    uses = q0 * ((full + r) * g1 + n * g2 + ex)
    revenue = q0 * (full * g1 * fees + r * g1 * reduced + n * g2 * nonres)
    if p.recovery_basis == "list":
        recovery = fees / unit_cost_yen
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            recovery = np.where(uses > 0, revenue / np.where(uses > 0, uses, 1.0) / unit_cost_yen, 0.0)
    return LevelOutcomes(fees, uses, revenue, recovery)


def _current_outcome(item: FeeItem, unit_cost_yen: float, policy: FeePolicy) -> LevelOutcomes:
    """Today's use, revenue and recovery (current fee, current surcharge, no demand change)."""
    p = policy
    f0 = float(item.current_fee)
    r, ex, n = item.share_reduced, item.share_exempt, item.share_nonresident
    full = max(0.0, 1.0 - r - ex - n)
    red = float(_round_to(f0 * (1 - p.reduction_rate), p.rounding_unit, p.derived_rounding))
    nr = float(_round_to(f0 * (1 + p.current_nonresident_surcharge), p.rounding_unit, p.derived_rounding))
    rev = item.annual_uses * (full * f0 + r * red + n * nr)
    rec = f0 / unit_cost_yen if p.recovery_basis == "list" else rev / item.annual_uses / unit_cost_yen
    one = lambda v: np.array([float(v)])  # noqa: E731
    return LevelOutcomes(one(f0), one(item.annual_uses), one(rev), one(rec))


@dataclass(frozen=True)
class _Bounds:
    lo: int
    hi: int
    hi_source: str  # "cap", "private", "cost"
    floor_raw: float


def _bounds(item: FeeItem, u: float, policy: FeePolicy) -> _Bounds:
    unit = policy.rounding_unit
    f0 = item.current_fee
    uppers = [("cap", policy.cap_ratio * f0)]
    if item.private_price is not None:
        uppers.append(("private", item.private_price))
    if policy.max_recovery is not None:
        uppers.append(("cost", policy.max_recovery * u))
    src, val = min(uppers, key=lambda kv: kv[1])  # stable: cap, then private, then cost on ties
    hi = int(_round_to(val, unit, "down"))
    floor_raw = policy.min_fee_ratio * f0
    lo = max(unit, int(_round_to(floor_raw, unit, "up")))
    return _Bounds(min(lo, hi), hi, src, floor_raw)


def candidate_fees(item: FeeItem, unit_cost_yen: float, policy: FeePolicy) -> np.ndarray:
    """Candidate fees of ``item``: multiples of the rounding unit within its lower and upper limits.

    Examples
    --------
    >>> it = FeeItem(item_id="a", facility_type="t", room_class="r", unit="person", current_fee=400,
    ...              floor_share=1, annual_uses=100, private_price=520, necessity="optional", market="market")
    >>> candidate_fees(it, 5000, FeePolicy(rounding_unit=50, cap_ratio=1.5, min_fee_ratio=0.9)).tolist()
    [400, 450, 500]
    """
    if item.current_fee <= 0:
        return np.array([0], dtype=np.int64)
    b = _bounds(item, unit_cost_yen, policy)
    if b.hi < policy.rounding_unit:
        raise InfeasibleError(
            f"fee item '{item.item_id}' ({item.facility_type}, {item.room_class}) has no admissible fee",
            [f"its upper limit ({b.hi_source}) is below the rounding unit ¥{policy.rounding_unit}; "
             "lower the rounding unit or check the private price / unit cost"])
    return np.arange(b.lo, b.hi + 1, policy.rounding_unit, dtype=np.int64)


def _objective(out: LevelOutcomes, item: FeeItem, target: float, u: float, policy: FeePolicy) -> np.ndarray:
    """Primary objective coefficient per level (yen, rounded to 0.01 so ties are exact)."""
    if policy.objective == "revenue":
        return -np.round(out.revenue, 2)
    return np.round(np.abs(out.recovery - target) * u * item.annual_uses, 2)


def _tie_rank(fees: np.ndarray, f0: float, unit: int) -> np.ndarray:
    """Rank for the tie-break: smaller change first, then the lower fee."""
    return 2 * np.abs(fees - f0) / unit + (fees > f0)


@dataclass(frozen=True)
class _Prepared:
    item: FeeItem
    basis: CostBasis
    target: float
    fees: np.ndarray
    out: LevelOutcomes
    now: LevelOutcomes
    coef: np.ndarray
    rank: np.ndarray
    bounds: _Bounds | None
    ideal_fee: float  # the best fee ignoring the cap, private price, cost ceiling and lower limit


def _prepare(item: FeeItem, basis: CostBasis, policy: FeePolicy) -> _Prepared:
    u = basis.unit_cost_yen
    target = policy.burden_shares.share(item.necessity, item.market) if item.target_share is None else item.target_share
    fees = candidate_fees(item, u, policy)
    out = level_outcomes(item, fees, u, policy)
    coef = _objective(out, item, target, u, policy)
    rank = _tie_rank(fees, item.current_fee, policy.rounding_unit)
    now = _current_outcome(item, u, policy)
    if item.current_fee <= 0:
        return _Prepared(item, basis, target, fees, out, now, coef, rank, None, 0.0)
    b = _bounds(item, u, policy)
    unit = policy.rounding_unit
    top = max(policy.cap_ratio * item.current_fee, item.private_price or 0.0, (policy.max_recovery or 0.0) * u,
              2 * u / max(1e-9, 1 - item.share_exempt - item.share_reduced * policy.reduction_rate),
              2 * item.current_fee)
    ext = np.arange(unit, int(_round_to(top, unit, "down")) + unit, unit, dtype=np.int64)
    ext_out = level_outcomes(item, ext, u, policy)
    ext_coef = _objective(ext_out, item, target, u, policy)
    ext_rank = _tie_rank(ext, item.current_fee, unit)
    best = np.lexsort((ext_rank, ext_coef))[0]
    return _Prepared(item, basis, target, fees, out, now, coef, rank, b, float(ext[best]))


def _yen(x: float) -> str:
    return f"¥{x:,.0f}"


def _reason(pr: _Prepared, chosen: int, alone: int, policy: FeePolicy) -> tuple[str, str]:
    """(binding code, reason in words) for one line."""
    it, b, u = pr.item, pr.bounds, pr.basis.unit_cost_yen
    fee = float(pr.fees[chosen])
    if b is None:
        return "free", f"free today; a ratio cap (×{policy.cap_ratio:g}) keeps it free — set a fee to start charging"
    if policy.objective == "target":
        up = down = f"target needs {_yen(pr.ideal_fee)}"
    else:
        up, down = f"revenue would still rise above {_yen(b.hi)}", f"revenue would rise with a fee below {_yen(b.lo)}"
    parts: list[tuple[str, str]] = []
    if chosen != alone:
        parts.append(("use_drop", f"use-drop limit binds: {it.facility_type} use ({it.unit.value}) may fall at most "
                                  f"{policy.use_drop_limit(it.facility_type):.0%}; {_yen(fee)} instead of "
                                  f"{_yen(pr.fees[alone])}"))
    alone_fee = float(pr.fees[alone])
    if b.floor_raw > b.hi:  # the upper limit lies below the reduction limit: it wins
        names = {"cap": "increase cap", "private": "private price", "cost": "cost ceiling"}
        parts.append((b.hi_source, f"{names[b.hi_source]} binds: it allows at most {_yen(b.hi)}, below the "
                                   f"reduction limit of {policy.min_fee_ratio:.0%} of the current "
                                   f"{_yen(it.current_fee)}"))
    elif pr.ideal_fee > alone_fee and alone_fee == b.hi:
        if b.hi_source == "cap":
            txt = f"increase cap binds: {up}; at most ×{policy.cap_ratio:g} the current {_yen(it.current_fee)} = {_yen(b.hi)}"
        elif b.hi_source == "private":
            txt = f"private price binds: {up}; comparable private price {_yen(it.private_price)}"
        else:
            txt = f"cost ceiling binds: {up}; fees may not exceed {policy.max_recovery:.0%} of the {_yen(u)} cost"
        parts.append((b.hi_source, txt))
    elif pr.ideal_fee < alone_fee and alone_fee == b.lo:
        parts.append(("floor", f"reduction limit binds: {down}; a fee may fall to at most {policy.min_fee_ratio:.0%} "
                               f"of the current {_yen(it.current_fee)} per revision ({_yen(b.lo)})"))
    if not parts:
        rec = float(pr.out.recovery[chosen])
        if policy.objective == "target" and policy.recovery_basis == "list":
            parts.append(("target", f"meets target: {_yen(fee)} recovers {rec:.1%} of the {_yen(u)} cost "
                                    f"(target {pr.target:.0%}, nearest {_yen(policy.rounding_unit)} step)"))
        elif policy.objective == "target":
            parts.append(("target", f"meets target: users pay {_yen(rec * u)} on average, {rec:.1%} of the "
                                    f"{_yen(u)} cost (target {pr.target:.0%}, nearest {_yen(policy.rounding_unit)} step)"))
        else:
            parts.append(("revenue", f"revenue-maximising fee within the limits ({rec:.1%} of the {_yen(u)} cost)"))
    return parts[0][0], "; ".join(t for _, t in parts)


def _group_key(item: FeeItem) -> tuple[str, str]:
    return item.facility_type, item.unit.value


def _check_use_limits(preps: list[_Prepared], policy: FeePolicy) -> None:
    groups: dict[tuple[str, str], list[_Prepared]] = {}
    for pr in preps:
        groups.setdefault(_group_key(pr.item), []).append(pr)
    reasons = []
    for (ftype, unit), prs in sorted(groups.items()):
        now = sum(pr.item.annual_uses for pr in prs)
        best = sum(float(pr.out.uses.max()) for pr in prs)
        d = policy.use_drop_limit(ftype)
        need = (1 - d) * now
        if best < need - 1e-6 * max(1.0, now):
            worst = []
            for pr in prs:
                k = int(np.argmax(pr.out.uses))
                drop = 1 - pr.out.uses[k] / pr.item.annual_uses
                if drop > 1e-9:
                    worst.append(f"'{pr.item.item_id}' at its lowest admissible fee {_yen(pr.fees[k])} loses {drop:.1%}")
            reasons.append(
                f"{ftype} (per {unit}): use-drop limit {d:.0%} cannot be met — even the most use-preserving fees "
                f"keep only {best / now:.1%} of today's use ({', '.join(worst)}). Fix: raise max_use_drop for "
                f"'{ftype}', lower min_fee_ratio (now {policy.min_fee_ratio:g}) or the non-resident surcharge "
                f"(now {policy.nonresident_surcharge:g}).")
    if reasons:
        raise InfeasibleError("fee revision is infeasible: the use-drop limit cannot be met", reasons)


def _check_targets(preps: list[_Prepared], alone: list[int], policy: FeePolicy) -> None:
    reasons = []
    for pr, a in zip(preps, alone):
        if pr.bounds is None:
            continue
        code, text = _reason(pr, a, a, policy)
        if code not in ("target", "revenue"):
            reasons.append(f"'{pr.item.item_id}' ({pr.item.facility_type}, {pr.item.room_class}): {text}")
    if reasons:
        raise InfeasibleError("fee revision: some targets cannot be reached within the limits (require_targets=True)",
                              reasons)


@dataclass(frozen=True)
class FeeResult:
    """The proposed fee table, a ward summary and how the solve went.

    ``table`` (a copy, one row per fee item, sorted by facility type, room class, band and id) has
    current and proposed fees, the unit cost, target and achieved recovery shares, expected use and
    revenue, what one use costs the user and the taxpayer, and a ``reason`` in words.  ``summary``
    has the ward totals before and after: revenue, cost, and the tax-funded share.
    """

    _table: pd.DataFrame = field(repr=False)
    summary: Mapping[str, Any]
    policy: FeePolicy = field(repr=False)
    info: SolveInfo
    illustrative: bool = False

    @property
    def table(self) -> pd.DataFrame:
        return self._table.copy()

    def __repr__(self) -> str:
        s = self.summary
        return (f"FeeResult({len(self._table)} fee lines, objective={self.policy.objective}, "
                f"revenue ¥{s['revenue_before']:,.0f} -> ¥{s['revenue_after']:,.0f}, tax-funded share "
                f"{s['tax_funded_share_before']:.1%} -> {s['tax_funded_share_after']:.1%}, {self.info})")

    def to_csv(self, path: str | Path) -> Path:
        """Write the fee table as UTF-8 CSV atomically (byte-identical for identical inputs)."""
        return atomic_write_text(path, self._table.to_csv(index=False, lineterminator="\n"))

    def summary_dict(self) -> dict[str, Any]:
        """The summary as plain JSON-ready data (solver timings excluded, so it is reproducible)."""
        return json.loads(json.dumps(dict(self.summary)))

    def to_json(self, path: str | Path) -> Path:
        """Write the summary as JSON atomically."""
        return atomic_write_text(path, json.dumps(self.summary_dict(), ensure_ascii=False, indent=2, sort_keys=True) + "\n")


def _summary(df: pd.DataFrame, preps: list[_Prepared], schedule: FeeSchedule, policy: FeePolicy,
             illustrative: bool) -> dict[str, Any]:
    cap_cost: dict[str, float] = {}
    seen: set[tuple[str, str]] = set()
    for pr in preps:
        key = (pr.item.key, pr.item.room_class)
        if key not in seen:
            seen.add(key)
            cap_cost[pr.item.facility_type] = cap_cost.get(pr.item.facility_type, 0.0) + pr.basis.room_cost_yen
    use_cost_before = df["unit_cost"] * df["current_uses"]
    use_cost_after = df["unit_cost"] * df["expected_uses"]
    by_type = []
    for ftype, g in df.groupby("facility_type", sort=True):
        cc = max(cap_cost[ftype], 1e-9)
        rb, ra = float(g["current_revenue"].sum()), float(g["expected_revenue"].sum())
        by_type.append({
            "facility_type": ftype,
            "annual_cost_attributed": round(cc),
            "revenue_before": round(rb),
            "revenue_after": round(ra),
            "tax_funded_share_before": round(1 - rb / cc, 4),
            "tax_funded_share_after": round(1 - ra / cc, 4),
        })
    total = max(sum(cap_cost.values()), 1e-9)
    rb, ra = float(df["current_revenue"].sum()), float(df["expected_revenue"].sum())
    cub, cua = float(use_cost_before.sum()), float(use_cost_after.sum())
    return {
        "illustrative": illustrative,
        "objective": policy.objective,
        "recovery_basis": policy.recovery_basis,
        "include_depreciation": policy.include_depreciation,
        "items": len(df),
        "lines_changed": int((df["proposed_fee"] != df["current_fee"]).sum()),
        "annual_cost_attributed": round(total),
        "revenue_before": round(rb),
        "revenue_after": round(ra),
        "revenue_change": round(ra - rb),
        "tax_funded_share_before": round(1 - rb / total, 4),
        "tax_funded_share_after": round(1 - ra / total, 4),
        "cost_of_uses_before": round(cub),
        "cost_of_uses_after": round(cua),
        "tax_funded_share_of_uses_before": round(1 - rb / cub, 4),
        "tax_funded_share_of_uses_after": round(1 - ra / cua, 4) if cua > 0 else None,
        "binding": {k: int(v) for k, v in sorted(df["binding"].value_counts().items())},
        "by_facility_type": by_type,
        "source": Path(schedule.source).name if schedule.source else "",
    }


def optimise_fees(model: FeeModel | FeeSchedule, policy: FeePolicy | None = None, *,
                  depreciation: DepreciationSource = None, options: SolverOptions | None = None) -> FeeResult:
    """Choose a fee per item that brings cost recovery to its target (or maximises revenue).

    Parameters
    ----------
    model : a :class:`FeeModel` (schedule and policy) or a bare :class:`FeeSchedule`.
    policy : overrides the model's policy (required for a bare schedule unless the defaults suit).
    depreciation : when ``policy.include_depreciation``, where the depreciation per cost entity comes
        from: a ``{cost_key: yen}`` table or a callable ``(cost_key, FacilityCost) -> yen`` (e.g. a
        renewal-cost model); by default each entity's own figures.
    options : solver options (default: HiGHS, zero relative gap so the optimum is exact).

    Returns
    -------
    FeeResult

    Raises
    ------
    InfeasibleError
        when a facility type's use-drop limit cannot be met by any admissible fees (the message names
        the type and the items), or, with ``require_targets``, when a target is out of reach.

    Examples
    --------
    >>> from facility_opt.fees import default_fee_model
    >>> res = optimise_fees(default_fee_model())
    >>> res.summary["items"], res.summary["illustrative"]
    (10, True)
    """
    t0 = time.perf_counter()
    if isinstance(model, FeeModel):
        schedule, pol, illustrative = model.schedule, policy or model.policy, model.illustrative
    else:
        schedule, pol, illustrative = model, policy or FeePolicy(), False
    bases = cost_bases(schedule, pol.include_depreciation, depreciation)
    items = sorted(schedule.items, key=lambda it: (it.facility_type, it.room_class, it.band, it.item_id))
    preps = [_prepare(it, bases[it.item_id], pol) for it in items]
    alone = [int(np.lexsort((pr.rank, pr.coef))[0]) for pr in preps]
    _check_use_limits(preps, pol)
    if pol.require_targets:
        _check_targets(preps, alone, pol)

    # ---- build: flat arrays over (item, level)
    sizes = np.array([len(pr.fees) for pr in preps])
    owner = np.repeat(np.arange(len(preps)), sizes)
    coef = np.concatenate([pr.coef for pr in preps]).astype(float)
    rank = np.concatenate([pr.rank for pr in preps]).astype(float)
    uses = np.concatenate([pr.out.uses for pr in preps]).astype(float)
    tie = 1e-3 * rank / (max(1.0, rank.max()) + 1.0) / len(preps)
    prob = pulp.LpProblem("fee_revision", pulp.LpMinimize)
    x = prob.add_variable_dicts("x", range(len(coef)), lowBound=0, upBound=1, cat="Binary")
    xs = [x[k] for k in range(len(coef))]
    prob.setObjective(pulp.lpSum_vars_coefs(zip(xs, (coef + tie).tolist())))
    starts = np.concatenate([[0], np.cumsum(sizes)])
    for i in range(len(preps)):
        prob.addConstraint(pulp.lpSum_vars(xs[starts[i]:starts[i + 1]]) == 1, name=f"one_{i}")
    groups: dict[tuple[str, str], list[int]] = {}
    for i, pr in enumerate(preps):
        groups.setdefault(_group_key(pr.item), []).append(i)
    for g, (gkey, members) in enumerate(sorted(groups.items())):
        d = pol.use_drop_limit(gkey[0])
        if d >= 1:
            continue
        ks = np.concatenate([np.arange(starts[i], starts[i + 1]) for i in members])
        need = (1 - d) * sum(preps[i].item.annual_uses for i in members)
        prob.addConstraint(pulp.lpSum_vars_coefs(zip([xs[k] for k in ks], uses[ks].tolist())) >= need - 1e-7 * need,
                           name=f"usedrop_{g}")
    build = time.perf_counter() - t0
    opts = options or SolverOptions(gap_rel=0.0, gap_abs=1e-9)
    info = solve(prob, opts, build_seconds=build)
    require_solution(info, "fee revision")
    if info.status == "infeasible":  # the pre-check is exact, so this signals a numerical problem
        raise InfeasibleError("fee revision is infeasible", ["the solver found no fee set meeting the use-drop limits"])
    val = np.array([xs[k].value() or 0.0 for k in range(len(xs))])
    chosen = [int(np.argmax(val[starts[i]:starts[i + 1]])) for i in range(len(preps))]

    rows = []
    for pr, c, a in zip(preps, chosen, alone):
        it, u = pr.item, pr.basis.unit_cost_yen
        fee = float(pr.fees[c])
        code, reason = _reason(pr, c, a, pol)
        q, rev = float(pr.out.uses[c]), float(pr.out.revenue[c])
        q0, rev0 = float(pr.now.uses[0]), float(pr.now.revenue[0])
        paid = rev / q if q > 0 else 0.0
        rows.append({
            "item_id": it.item_id, "facility_type": it.facility_type, "room_class": it.room_class,
            "band": it.band, "facility": it.facility or "", "unit": it.unit.value, "unit_label": it.label,
            "current_fee": float(it.current_fee), "proposed_fee": fee,
            "fee_change_pct": round(100 * (fee / it.current_fee - 1), 2) if it.current_fee > 0 else 0.0,
            "reduced_fee": float(_round_to(fee * (1 - pol.reduction_rate), pol.rounding_unit, pol.derived_rounding)),
            "nonresident_fee": float(_round_to(fee * (1 + pol.nonresident_surcharge), pol.rounding_unit,
                                               pol.derived_rounding)),
            "unit_cost": round(u, 2), "target_share": round(pr.target, 4),
            "current_recovery": round(float(pr.now.recovery[0]), 4),
            "achieved_recovery": round(float(pr.out.recovery[c]), 4),
            "current_uses": round(q0, 2), "expected_uses": round(q, 2),
            "use_change_pct": round(100 * (q / q0 - 1), 2),
            "current_revenue": round(rev0), "expected_revenue": round(rev), "revenue_change": round(rev) - round(rev0),
            "user_pays_per_use": round(paid, 2), "taxes_pay_per_use": round(u - paid, 2),
            "binding": code, "reason": reason,
        })
    df = pd.DataFrame(rows, columns=COLUMNS)
    summary = _summary(df, preps, schedule, pol, illustrative)
    summary["objective_value"] = None if info.objective is None else round(info.objective, 2)
    log.info("fee revision: %d items, revenue %.0f -> %.0f (%s)", len(df), summary["revenue_before"],
             summary["revenue_after"], info)
    return FeeResult(df, MappingProxyType(summary), pol, info, illustrative)
