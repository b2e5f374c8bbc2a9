"""Usage-fee revision (区立施設使用料の見直し): cost basis, optimiser and resident-friendly report.

* :mod:`.schedule` — fee items, facility costs, the policy; YAML and CSV loaders.
* :mod:`.costbasis` — the cost of one use (原価), as Japanese municipalities compute it.
* :mod:`.optimise` — the MILP choosing one fee level per line; :class:`FeeResult`.
* :mod:`.report` — who pays for one use (chart) and the output files.
"""

from .costbasis import CostBasis, annual_cost, cost_bases, unit_cost
from .optimise import FeeResult, candidate_fees, level_outcomes, optimise_fees
from .report import burden_frame, plot_burden, write_fee_outputs
from .schedule import (
    BurdenShares,
    FacilityCost,
    FeeItem,
    FeeModel,
    FeePolicy,
    FeeSchedule,
    FeeUnit,
    MarketCharacter,
    Necessity,
    default_fee_model,
    load_facility_costs_csv,
    load_fee_model,
    load_fee_schedule_csv,
)

__all__ = [
    "BurdenShares",
    "CostBasis",
    "FacilityCost",
    "FeeItem",
    "FeeModel",
    "FeePolicy",
    "FeeResult",
    "FeeSchedule",
    "FeeUnit",
    "MarketCharacter",
    "Necessity",
    "annual_cost",
    "burden_frame",
    "candidate_fees",
    "cost_bases",
    "default_fee_model",
    "level_outcomes",
    "load_facility_costs_csv",
    "load_fee_model",
    "load_fee_schedule_csv",
    "optimise_fees",
    "plot_burden",
    "unit_cost",
    "write_fee_outputs",
]
