"""Candidate fees of one fee item and what each brings: use, revenue, recovery, objective coefficient.

Use responds to the price each group of users pays (full, reduced, exempt, non-resident), so the
outcomes are precomputed per candidate and the fee MILP stays linear.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InfeasibleError
from .costbasis import CostBasis
from .tariff import FeeItem, FeePolicy

__all__ = ["LevelOutcomes", "level_outcomes", "candidate_fees"]


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


def level_outcomes(
    item: FeeItem, fees: np.ndarray, unit_cost_yen: float, policy: FeePolicy, surcharge: float | None = None
) -> LevelOutcomes:
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
            [
                f"its upper limit ({b.hi_source}) is below the rounding unit ¥{policy.rounding_unit}; "
                "lower the rounding unit or check the private price / unit cost"
            ],
        )
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
    top = max(
        policy.cap_ratio * item.current_fee,
        item.private_price or 0.0,
        (policy.max_recovery or 0.0) * u,
        2 * u / max(1e-9, 1 - item.share_exempt - item.share_reduced * policy.reduction_rate),
        2 * item.current_fee,
    )
    ext = np.arange(unit, int(_round_to(top, unit, "down")) + unit, unit, dtype=np.int64)
    ext_out = level_outcomes(item, ext, u, policy)
    ext_coef = _objective(ext_out, item, target, u, policy)
    ext_rank = _tie_rank(ext, item.current_fee, unit)
    best = np.lexsort((ext_rank, ext_coef))[0]
    return _Prepared(item, basis, target, fees, out, now, coef, rank, b, float(ext[best]))
