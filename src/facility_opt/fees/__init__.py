"""Usage-fee revision (区立施設使用料の見直し): cost basis, optimiser and resident-friendly report.

* :mod:`.tariff` — the fee tariff (fee items), facility costs, the policy.
* :mod:`.load` — the fee-model YAML and CSV loaders.
* :mod:`.costbasis` — the cost of one use (原価), as Japanese municipalities compute it.
* :mod:`.levels` — candidate fees of a line and their use, revenue and recovery.
* :mod:`.optimise` — the MILP choosing one fee level per line (:class:`FeeRevision`).
* :mod:`.reasons` — why each line ends where it does; what blocks an infeasible revision.
* :mod:`.result` — :class:`FeeResult` and its files.
* :mod:`.report` — who pays for one use (chart) and the output files.
"""

from .costbasis import CostBasis, annual_cost, cost_bases, unit_cost
from .levels import candidate_fees, level_outcomes
from .load import default_fee_model, load_facility_costs_csv, load_fee_model, load_fee_tariff_csv
from .optimise import FeeRevision, optimise_fees
from .report import burden_frame, plot_burden, write_fee_outputs
from .result import FeeResult
from .tariff import (
    BurdenShares,
    FacilityCost,
    FeeItem,
    FeeModel,
    FeePolicy,
    FeeTariff,
    FeeUnit,
    MarketCharacter,
    Necessity,
)

__all__ = [
    "BurdenShares",
    "CostBasis",
    "FacilityCost",
    "FeeItem",
    "FeeModel",
    "FeePolicy",
    "FeeResult",
    "FeeRevision",
    "FeeTariff",
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
    "load_fee_tariff_csv",
    "optimise_fees",
    "plot_burden",
    "unit_cost",
    "write_fee_outputs",
]
