"""What a fee revision starts from: the fee tariff (使用料表), the facilities' costs and the ward's policy.

* :class:`FacilityCost` — the annual cost of one cost entity (a facility type, or one facility):
  operation and maintenance, and optionally the building's depreciation.
* :class:`FeeItem` — one line of the fee table: a room class (per hour or per slot) or a per-person
  service of a facility type, with its current fee, its share of the building, its use and who pays
  how much (50 % reductions, exemptions, non-residents).
* :class:`FeeTariff` — items and costs together, checked for consistency (the fee tariff).
* :class:`FeePolicy` — the planner's choices: objective, increase cap (激変緩和), lower limit,
  use-drop limit, rounding unit, reduction rate, non-resident surcharge, demand response and the
  burden-share matrix (受益者負担割合).

Load them with :mod:`facility_opt.fees.load` (a fee-model YAML, or a real fee table from CSV).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field, field_validator, model_validator

from ..strict import StrictModel

__all__ = [
    "Necessity",
    "MarketCharacter",
    "FeeUnit",
    "BurdenShares",
    "FacilityCost",
    "FeeItem",
    "FeeTariff",
    "FeePolicy",
    "FeeModel",
]


class Necessity(StrEnum):
    """Whether residents need the service to live (必需的) or choose it (選択的)."""

    essential = "essential"  # 必需的
    optional = "optional"  # 選択的


class MarketCharacter(StrEnum):
    """Whether only the public sector offers it (公共的) or private firms do too (市場的)."""

    public = "public"  # 公共的
    market = "market"  # 市場的


class FeeUnit(StrEnum):
    """What one use is: an hour of a room, a booking slot of ``unit_hours``, or one person/visit/plot."""

    hour = "hour"
    slot = "slot"
    person = "person"


class BurdenShares(StrictModel):
    """Target share of cost paid by users (受益者負担割合), by the service's nature.

    The default is the four-quadrant table many Japanese municipalities publish: a service everyone
    needs and only the public sector offers is tax-funded (0 %); one people choose and the market
    also offers is paid by its users (100 %); the mixed quadrants split the cost (50 %).
    """

    essential_public: float = Field(0.0, ge=0, le=1, description="必需的・公共的")
    essential_market: float = Field(0.5, ge=0, le=1, description="必需的・市場的")
    optional_public: float = Field(0.5, ge=0, le=1, description="選択的・公共的")
    optional_market: float = Field(1.0, ge=0, le=1, description="選択的・市場的")

    def share(self, necessity: Necessity, market: MarketCharacter) -> float:
        """The target share for a service of the given nature."""
        return float(getattr(self, f"{Necessity(necessity).value}_{MarketCharacter(market).value}"))


class FacilityCost(StrictModel):
    """Annual cost of one cost entity (a facility type, or a single facility), in yen per year.

    ``annual_operating_yen`` covers staff, management contracts (指定管理料), utilities and cleaning;
    ``annual_maintenance_yen`` routine repairs and inspections.  Depreciation of the building
    (減価償却費) is ``depreciation_yen`` when given, else ``floor_area_m2 ×
    rebuild_unit_cost_yen_per_m2 / service_life_years`` when the unit cost is given; it enters the
    cost basis only when the policy says ``include_depreciation``.
    """

    name: str = ""
    annual_operating_yen: float = Field(ge=0)
    annual_maintenance_yen: float = Field(0.0, ge=0)
    floor_area_m2: float | None = Field(None, gt=0)
    depreciation_yen: float | None = Field(None, ge=0)
    rebuild_unit_cost_yen_per_m2: float | None = Field(None, gt=0)
    service_life_years: float = Field(60.0, gt=0, description="改築 cycle; 60 years is the 総務省 default.")
    cost_class: str | None = Field(None, description="総務省 cost class, for wiring a renewal-cost model.")
    source: str = "assumption"

    @property
    def operation_and_maintenance_yen(self) -> float:
        return self.annual_operating_yen + self.annual_maintenance_yen

    def straight_line_depreciation(self) -> float | None:
        """Depreciation per year: the explicit figure, else area × unit cost / life, else None."""
        if self.depreciation_yen is not None:
            return float(self.depreciation_yen)
        if self.rebuild_unit_cost_yen_per_m2 is not None and self.floor_area_m2 is not None:
            return self.floor_area_m2 * self.rebuild_unit_cost_yen_per_m2 / self.service_life_years
        return None


class FeeItem(StrictModel):
    """One line of the fee table.

    For ``hour`` and ``slot`` items the cost of one use is the cost entity's annual cost × the room
    class's ``floor_share`` × ``unit_hours`` / (``rooms`` × ``available_hours``); for ``person``
    items it is the annual cost × ``floor_share`` / ``annual_uses``.  Several items may describe
    time bands (``band``) of the same room class: they then share floor share, hours and rooms.
    """

    item_id: str = Field(min_length=1)
    facility_type: str = Field(min_length=1)
    room_class: str = Field(min_length=1)
    band: str = "all"
    facility: str | None = None
    cost_key: str | None = Field(None, description="Key of the FacilityCost; default: facility_type.")
    unit: FeeUnit
    unit_hours: float | None = Field(None, gt=0, description="Hours per use (hour: 1; slot: required).")
    unit_label: str | None = None
    current_fee: float = Field(ge=0, description="Current fee per use (yen).")
    floor_share: float = Field(gt=0, le=1, description="Share of the cost entity's floor area (cost) it carries.")
    available_hours: float | None = Field(None, gt=0, description="Bookable hours per room per year.")
    rooms: int = Field(1, ge=1)
    annual_uses: float = Field(gt=0, description="Uses per year now (hours, slots or persons).")
    share_reduced: float = Field(0.0, ge=0, le=1, description="Share of use paying the reduced fee (減額).")
    share_exempt: float = Field(0.0, ge=0, le=1, description="Share of use exempt from the fee (免除).")
    share_nonresident: float = Field(0.0, ge=0, le=1, description="Share of use by non-residents (区外).")
    private_price: float | None = Field(None, gt=0, description="Comparable private-sector price per use.")
    necessity: Necessity
    market: MarketCharacter
    elasticity: float | None = Field(None, le=0, description="Price elasticity of use; None: the policy default.")
    target_share: float | None = Field(None, ge=0, le=1, description="Override of the burden-share matrix.")

    @field_validator(
        "facility",
        "cost_key",
        "unit_label",
        "unit_hours",
        "available_hours",
        "private_price",
        "elasticity",
        "target_share",
        mode="before",
    )
    @classmethod
    def _blank_none(cls, v):
        return None if isinstance(v, str) and v.strip() == "" else v

    @model_validator(mode="after")
    def _check(self):
        s = self.share_reduced + self.share_exempt + self.share_nonresident
        if s > 1 + 1e-9:
            raise ValueError(f"share_reduced + share_exempt + share_nonresident = {s:.3f} exceeds 1")
        if self.unit == FeeUnit.slot and self.unit_hours is None:
            raise ValueError("a 'slot' item needs unit_hours (the slot's length in hours)")
        if self.unit in (FeeUnit.hour, FeeUnit.slot) and self.available_hours is None:
            raise ValueError(f"a '{self.unit.value}' item needs available_hours (bookable hours per room per year)")
        return self

    @property
    def key(self) -> str:
        """The cost entity this item draws its cost from."""
        return self.cost_key or self.facility_type

    @property
    def hours_per_use(self) -> float:
        if self.unit == FeeUnit.hour:
            return self.unit_hours or 1.0
        return self.unit_hours or 0.0

    @property
    def label(self) -> str:
        if self.unit_label:
            return self.unit_label
        if self.unit == FeeUnit.hour:
            return "per hour" if self.hours_per_use == 1 else f"per {self.hours_per_use:g} h"
        if self.unit == FeeUnit.slot:
            return f"per {self.hours_per_use:g}-hour slot"
        return "per person"


class FeeTariff(StrictModel):
    """Fee items and the costs they draw on; ids unique, cost keys known, floor shares consistent."""

    items: tuple[FeeItem, ...]
    costs: dict[str, FacilityCost]
    source: str = ""

    @model_validator(mode="after")
    def _consistent(self):
        problems = []
        ids = [i.item_id for i in self.items]
        dup = sorted({x for x in ids if ids.count(x) > 1})
        if dup:
            problems.append(f"duplicate item_id {dup}")
        rooms: dict[tuple[str, str], FeeItem] = {}
        for it in self.items:
            if it.key not in self.costs:
                problems.append(
                    f"item '{it.item_id}': cost_key '{it.key}' has no entry in costs (known: {sorted(self.costs)})"
                )
            prev = rooms.setdefault((it.key, it.room_class), it)
            if prev is not it and (prev.floor_share, prev.available_hours, prev.rooms, prev.unit) != (
                it.floor_share,
                it.available_hours,
                it.rooms,
                it.unit,
            ):
                problems.append(
                    f"items '{prev.item_id}' and '{it.item_id}' describe bands of room class "
                    f"'{it.room_class}' of '{it.key}' but differ in floor_share/available_hours/rooms/unit"
                )
        for key in self.costs:
            total = sum(r.floor_share for (k, _), r in rooms.items() if k == key)
            if total > 1 + 1e-9:
                problems.append(f"cost entity '{key}': room floor shares sum to {total:.3f} > 1")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def rooms(self) -> dict[tuple[str, str], FeeItem]:
        """One representative item per distinct (cost key, room class)."""
        out: dict[tuple[str, str], FeeItem] = {}
        for it in self.items:
            out.setdefault((it.key, it.room_class), it)
        return out


class FeePolicy(StrictModel):
    """The planner's choices for one revision.

    Parameters
    ----------
    objective : "target" brings each line's recovery share as close as possible to its target,
        weighted by the cost of its current use; "revenue" maximises fee revenue.
    recovery_basis : "list" measures recovery as list fee / unit cost (the usual 使用料 = 原価 ×
        負担割合 rule; reductions and exemptions are then tax-funded on top); "paid" as the average
        fee actually paid per use / unit cost (reductions lower it, so list fees rise to compensate).
    cap_ratio : no fee rises above ``cap_ratio`` × current fee in one revision (激変緩和).
    min_fee_ratio : no fee falls below ``min_fee_ratio`` × current fee in one revision.
    max_recovery : no fee exceeds this share of its unit cost (1.0: never above cost); None: no limit.
    max_use_drop, max_use_drop_by_type : total use of a facility type (per unit of use) may fall by
        at most this share.
    rounding_unit : fees are multiples of this many yen; derived fees (reduced, non-resident) are
        rounded to it with ``derived_rounding``.
    reduction_rate : the reduction given to ``share_reduced`` (0.5 = 5割減額).
    nonresident_surcharge, current_nonresident_surcharge : non-residents pay (1 + surcharge) × fee.
    demand_model, default_elasticity : how use responds to price. "constant": Q = Q0 (p/p0)^e;
        "linear": Q = Q0 max(0, 1 + e (p/p0 - 1)). The default elasticity -0.3 is an assumption
        (use of public rooms and sports facilities is price-inelastic); set it per item where known.
    burden_shares : the target matrix; an item's ``target_share`` overrides it.
    include_depreciation : add the building's depreciation to the cost basis.
    require_targets : raise :class:`~facility_opt.errors.InfeasibleError` when a target cannot be
        reached within the limits, instead of explaining it in the ``reason`` column.
    """

    objective: Literal["target", "revenue"] = "target"
    recovery_basis: Literal["list", "paid"] = "list"
    cap_ratio: float = Field(1.5, ge=1)
    min_fee_ratio: float = Field(0.5, ge=0, le=1)
    max_recovery: float | None = Field(1.0, gt=0)
    max_use_drop: float = Field(0.10, ge=0, le=1)
    max_use_drop_by_type: dict[str, float] = Field(default_factory=dict)
    rounding_unit: int = Field(10, ge=1)
    derived_rounding: Literal["down", "nearest", "up"] = "down"
    reduction_rate: float = Field(0.5, ge=0, le=1)
    nonresident_surcharge: float = Field(0.0, ge=0)
    current_nonresident_surcharge: float = Field(0.0, ge=0)
    demand_model: Literal["constant", "linear"] = "constant"
    default_elasticity: float = Field(-0.3, le=0)
    burden_shares: BurdenShares = Field(default_factory=BurdenShares)
    include_depreciation: bool = False
    require_targets: bool = False

    @field_validator("max_use_drop_by_type")
    @classmethod
    def _drops_in_range(cls, v: dict[str, float]) -> dict[str, float]:
        bad = {k: x for k, x in v.items() if not 0 <= x <= 1}
        if bad:
            raise ValueError(f"use-drop limits must lie in [0, 1]: {bad}")
        return v

    def use_drop_limit(self, facility_type: str) -> float:
        return self.max_use_drop_by_type.get(facility_type, self.max_use_drop)


class FeeModel(StrictModel):
    """A tariff and a policy, as stored in a fee-model YAML file."""

    tariff: FeeTariff
    policy: FeePolicy = Field(default_factory=FeePolicy)
    illustrative: bool = False
    notes: str = ""
