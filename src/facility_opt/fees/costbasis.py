"""The cost basis (原価) of one use, computed the way Japanese municipalities compute it.

* Rooms (per hour or per slot): annual cost of the facility × the room class's share of floor
  area × (hours per use / (rooms × bookable hours per room per year)).  The cost is spread over the
  hours the room *could* be let, not the hours it is, so users do not pay for idle rooms: idle
  capacity stays tax-funded and is reported separately.
* Per-person services (pools, gyms, plots): annual cost × share / annual users.

The annual cost is operation and maintenance by default (staff and management contracts,
utilities, cleaning, routine repairs: the costs the service causes every year).  Depreciation of
the building is added only when the policy asks (``include_depreciation``): the building was paid
for by all taxpayers, and whether today's users should repay it is a political choice the council
makes openly, not a default hidden in a formula.  Land is never included.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..errors import ModelConfigError
from .tariff import FacilityCost, FeeItem, FeeTariff, FeeUnit

__all__ = ["DepreciationSource", "annual_cost", "unit_cost", "cost_bases", "CostBasis"]

#: Where the depreciation figure of a cost entity comes from when depreciation is included:
#: None (the entity's own ``depreciation_yen`` or area × unit cost / life), a yen figure per
#: cost key, or a callable ``(cost_key, FacilityCost) -> yen per year`` (e.g. a renewal-cost model).
DepreciationSource = Mapping[str, float] | Callable[[str, FacilityCost], float] | None


@dataclass(frozen=True)
class CostBasis:
    """Cost of one use of an item, with the annual figures it came from (yen)."""

    item_id: str
    annual_cost_yen: float  # the cost entity's annual cost (O&M, + depreciation when included)
    depreciation_yen: float  # the part of annual_cost_yen that is depreciation
    room_cost_yen: float  # annual_cost × floor_share: the room class's (or service's) yearly cost
    unit_cost_yen: float  # cost of one use


def annual_cost(
    key: str, cost: FacilityCost, include_depreciation: bool, depreciation: DepreciationSource = None
) -> tuple[float, float]:
    """Annual cost of a cost entity and its depreciation part, in yen.

    Examples
    --------
    >>> c = FacilityCost(annual_operating_yen=9_000_000, annual_maintenance_yen=1_000_000,
    ...                  floor_area_m2=600, rebuild_unit_cost_yen_per_m2=400_000, service_life_years=60)
    >>> annual_cost("hall", c, include_depreciation=False)
    (10000000.0, 0.0)
    >>> annual_cost("hall", c, include_depreciation=True)  # 600 m² × 400,000 / 60 = 4,000,000
    (14000000.0, 4000000.0)
    >>> annual_cost("hall", c, True, depreciation={"hall": 2_500_000})
    (12500000.0, 2500000.0)
    """
    om = float(cost.operation_and_maintenance_yen)
    if not include_depreciation:
        return om, 0.0
    if depreciation is None:
        dep = cost.straight_line_depreciation()
    elif callable(depreciation):
        dep = float(depreciation(key, cost))
    else:
        dep = depreciation.get(key)
    if dep is None:
        raise ModelConfigError(
            f"cost entity '{key}': depreciation is included but no figure is known; give depreciation_yen, "
            "or floor_area_m2 and rebuild_unit_cost_yen_per_m2, or pass depreciation= (a table or a callable)"
        )
    if dep < 0:
        raise ModelConfigError(f"cost entity '{key}': depreciation must be >= 0 (got {dep})")
    return om + float(dep), float(dep)


def unit_cost(item: FeeItem, annual_cost_yen: float) -> float:
    """Cost of one use of ``item`` given its cost entity's annual cost (yen).

    Examples
    --------
    A large room carrying 30 % of a ¥10 M building, 2 rooms bookable 4,000 h a year each:

    >>> it = FeeItem(item_id="a", facility_type="hall", room_class="large", unit="hour", current_fee=500,
    ...              floor_share=0.3, available_hours=4000, rooms=2, annual_uses=3000,
    ...              necessity="optional", market="public")
    >>> unit_cost(it, 10_000_000)  # 10 M × 0.3 × 1 h / (2 × 4,000 h)
    375.0
    """
    room = annual_cost_yen * item.floor_share
    if item.unit == FeeUnit.person:
        return room / item.annual_uses
    assert item.available_hours is not None  # checked by FeeItem
    return room * item.hours_per_use / (item.rooms * item.available_hours)


def cost_bases(
    tariff: FeeTariff, include_depreciation: bool = False, depreciation: DepreciationSource = None
) -> dict[str, CostBasis]:
    """The cost basis of every item of ``tariff``, keyed by item id."""
    annual = {k: annual_cost(k, c, include_depreciation, depreciation) for k, c in sorted(tariff.costs.items())}
    out = {}
    for it in tariff.items:
        total, dep = annual[it.key]
        out[it.item_id] = CostBasis(it.item_id, total, dep, total * it.floor_share, unit_cost(it, total))
    return out
