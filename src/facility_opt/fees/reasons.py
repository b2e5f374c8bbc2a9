"""Why each fee line ends where it does (a reason in words), and the pre-checks naming what blocks a revision."""

from __future__ import annotations

import numpy as np

from ..errors import InfeasibleError
from .levels import _Prepared
from .tariff import FeeItem, FeePolicy


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
        parts.append(
            (
                "use_drop",
                f"use-drop limit binds: {it.facility_type} use ({it.unit.value}) may fall at most "
                f"{policy.use_drop_limit(it.facility_type):.0%}; {_yen(fee)} instead of "
                f"{_yen(pr.fees[alone])}",
            )
        )
    alone_fee = float(pr.fees[alone])
    if b.floor_raw > b.hi:  # the upper limit lies below the reduction limit: it wins
        names = {"cap": "increase cap", "private": "private price", "cost": "cost ceiling"}
        parts.append(
            (
                b.hi_source,
                f"{names[b.hi_source]} binds: it allows at most {_yen(b.hi)}, below the "
                f"reduction limit of {policy.min_fee_ratio:.0%} of the current "
                f"{_yen(it.current_fee)}",
            )
        )
    elif pr.ideal_fee > alone_fee and alone_fee == b.hi:
        if b.hi_source == "cap":
            cap = f"at most ×{policy.cap_ratio:g} the current {_yen(it.current_fee)} = {_yen(b.hi)}"
            txt = f"increase cap binds: {up}; {cap}"
        elif b.hi_source == "private":
            txt = f"private price binds: {up}; comparable private price {_yen(it.private_price)}"
        else:
            txt = f"cost ceiling binds: {up}; fees may not exceed {policy.max_recovery:.0%} of the {_yen(u)} cost"
        parts.append((b.hi_source, txt))
    elif pr.ideal_fee < alone_fee and alone_fee == b.lo:
        parts.append(
            (
                "floor",
                f"reduction limit binds: {down}; a fee may fall to at most {policy.min_fee_ratio:.0%} "
                f"of the current {_yen(it.current_fee)} per revision ({_yen(b.lo)})",
            )
        )
    if not parts:
        rec = float(pr.out.recovery[chosen])
        if policy.objective == "target" and policy.recovery_basis == "list":
            parts.append(
                (
                    "target",
                    f"meets target: {_yen(fee)} recovers {rec:.1%} of the {_yen(u)} cost "
                    f"(target {pr.target:.0%}, nearest {_yen(policy.rounding_unit)} step)",
                )
            )
        elif policy.objective == "target":
            parts.append(
                (
                    "target",
                    f"meets target: users pay {_yen(rec * u)} on average, {rec:.1%} of the "
                    f"{_yen(u)} cost (target {pr.target:.0%}, nearest {_yen(policy.rounding_unit)} step)",
                )
            )
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
                    worst.append(
                        f"'{pr.item.item_id}' at its lowest admissible fee {_yen(pr.fees[k])} loses {drop:.1%}"
                    )
            reasons.append(
                f"{ftype} (per {unit}): use-drop limit {d:.0%} cannot be met — even the most use-preserving fees "
                f"keep only {best / now:.1%} of today's use ({', '.join(worst)}). Fix: raise max_use_drop for "
                f"'{ftype}', lower min_fee_ratio (now {policy.min_fee_ratio:g}) or the non-resident surcharge "
                f"(now {policy.nonresident_surcharge:g})."
            )
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
        raise InfeasibleError(
            "fee revision: some targets cannot be reached within the limits (require_targets=True)", reasons
        )
