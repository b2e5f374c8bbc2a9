"""The driver: every family's check over one :class:`Context`, in a fixed order."""

from __future__ import annotations

from ..plan import Plan
from ..problem import PortfolioProblem
from .context import Context
from .coverage import check_assignments, check_coverage, check_lead_years, check_service_floors
from .disposal import check_disposals
from .floor import check_floor
from .money import check_budget, check_cost, check_savings, recompute
from .placements import check_sites, check_timeline
from .policy import check_decisions, check_operators, check_policy
from .reform import check_reform
from .renewal import check_events
from .violation import Violation

__all__ = ["check_plan"]


def check_plan(plan: Plan, problem: PortfolioProblem, baseline: bool = False) -> list[Violation]:
    """Return the violations of ``plan`` (empty when it is feasible in every year); each names what,
    where and when, and the constraint family it breaks (:class:`Violation`, a ``str``).
    ``baseline=True`` checks a keep-everything plan, whose shortfalls against the standards and the
    budget are reported as baseline issues instead.

    Examples
    --------
    >>> # violations = check_plan(plan, problem); assert not violations
    >>> # {v.family for v in violations}  -> e.g. {"cover", "money"}
    """
    c = Context(plan, problem, baseline)
    missing = sorted(set(c.sites.index) - set(c.rows))
    if missing:
        return [Violation("tables", "sites", None, f"sites: the plan does not state the sites {missing}")]
    c.read_sites()
    c.read_timeline()
    v = check_sites(c)
    c.add_missing()
    v += check_timeline(c)
    v += check_floor(c)
    found, served = check_assignments(c)
    v += found
    v += check_coverage(c, served)
    v += check_service_floors(c)
    if not baseline:  # no service worse covered in the lead years than if everything were kept
        v += check_lead_years(c)
    v += check_reform(c)
    if len(c.ev):
        v += check_events(c)
    v += recompute(c)
    v += check_budget(c)
    v += check_policy(c)
    v += check_cost(c)
    v += check_savings(c)
    v += check_disposals(c)
    v += check_operators(c)
    v += check_decisions(c)
    return v
