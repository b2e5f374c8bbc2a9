"""The result of a fee revision: the proposed fee table, the ward summary, the solver report, the files."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..atomic import atomic_write_text
from ..solver import SolveInfo
from .levels import _Prepared
from .tariff import FeePolicy, FeeTariff

__all__ = ["FeeResult", "COLUMNS"]

#: Table columns, in order.
COLUMNS = [
    "item_id",
    "facility_type",
    "room_class",
    "band",
    "facility",
    "unit",
    "unit_label",
    "current_fee",
    "proposed_fee",
    "fee_change_pct",
    "reduced_fee",
    "nonresident_fee",
    "unit_cost",
    "target_share",
    "current_recovery",
    "achieved_recovery",
    "current_uses",
    "expected_uses",
    "use_change_pct",
    "current_revenue",
    "expected_revenue",
    "revenue_change",
    "user_pays_per_use",
    "taxes_pay_per_use",
    "binding",
    "reason",
]


@dataclass(frozen=True)
class FeeResult:
    """The proposed fee table, a ward summary and how the solve went.

    ``table`` (a copy, one row per fee item, sorted by facility type, room class, band and id) has
    current and proposed fees, the unit cost, target and achieved recovery shares, expected use and
    revenue, what one use costs the user and the taxpayer, and a ``reason`` in words.  ``summary``
    has the ward totals before and after: revenue, cost, and the tax-funded share.  ``info.objective``
    is in yen: the cost-weighted deviation from the targets (objective "target") or minus the revenue.
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
        return (
            f"FeeResult({len(self._table)} fee lines, objective={self.policy.objective}, "
            f"revenue ¥{s['revenue_before']:,.0f} -> ¥{s['revenue_after']:,.0f}, tax-funded share "
            f"{s['tax_funded_share_before']:.1%} -> {s['tax_funded_share_after']:.1%}, {self.info})"
        )

    @property
    def status(self) -> str:
        """``optimal`` or ``feasible``."""
        return self.info.status

    def to_frame(self) -> pd.DataFrame:
        """The fee table (a copy), keyed by ``item_id``."""
        return self._table.copy()

    def to_dict(self) -> dict[str, Any]:
        """The summary plus the solver report (objective in yen), JSON-ready, without wall-clock values."""
        solver = {k: v for k, v in self.info.to_dict().items() if not k.endswith("seconds")}
        return {**self.summary_dict(), "solver": json.loads(json.dumps(solver))}

    def to_files(self, folder: str | Path) -> dict[str, Path]:
        """``fee_table.csv``, ``fee_summary.json`` and ``fees.png`` in ``folder``, written atomically."""
        from .report import write_fee_outputs

        return write_fee_outputs(self, folder)

    def to_csv(self, path: str | Path) -> Path:
        """Write the fee table as UTF-8 CSV atomically (byte-identical for identical inputs)."""
        return atomic_write_text(path, self._table.to_csv(index=False, lineterminator="\n"))

    def summary_dict(self) -> dict[str, Any]:
        """The summary as plain JSON-ready data (solver timings excluded, so it is reproducible)."""
        return json.loads(json.dumps(dict(self.summary)))

    def to_json(self, path: str | Path) -> Path:
        """Write the summary as JSON atomically."""
        return atomic_write_text(
            path, json.dumps(self.summary_dict(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        )


def _summary(
    df: pd.DataFrame, preps: list[_Prepared], tariff: FeeTariff, policy: FeePolicy, illustrative: bool
) -> dict[str, Any]:
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
        by_type.append(
            {
                "facility_type": ftype,
                "annual_cost_attributed": round(cc),
                "revenue_before": round(rb),
                "revenue_after": round(ra),
                "tax_funded_share_before": round(1 - rb / cc, 4),
                "tax_funded_share_after": round(1 - ra / cc, 4),
            }
        )
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
        "source": Path(tariff.source).name if tariff.source else "",
    }
