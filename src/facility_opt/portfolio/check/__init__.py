"""Independent feasibility check of a :class:`Plan` against its :class:`PortfolioProblem`, every year.

The check reads only the plan's own tables (when each site is open, where each service is with
which capacity in which years, who is served where in each period, floor added, what happens to
each renewal event) and the problem's data; it never looks at solver variables.  For **every year**
of the horizon it recomputes: sites open, hosting rules, floor used against floor available (a
building's own floor while open, plus floor added once usable), demand (that year's) against
capacity, coverage against each standard and assignment rule (``nearest``: nobody passes a nearer
open provider; ``district``: everybody goes to their own district; clubs stay in their school),
service floors, the renewal rules (windows, hard limits, order, events only on open sites, dropped
only at a closure) and the annual budget.  It recomputes the plan's cost from its state
(:mod:`facility_opt.portfolio.economics`) and compares it with the plan's KPIs and with the
solver's objective, and the saving by kind (from the baseline's state too) with the KPIs' split,
which, like the decisions' savings, must add up to the headline saving.
:func:`facility_opt.portfolio.optimise_portfolio` runs it on every plan.

Each finding is a :class:`Violation` named by the MILP's constraint family it breaks (``cover``,
``capacity``, ``floor``, ``money``, ``lead_coverage``, ...; :data:`CHECK_FAMILIES` for the rules that
are no MILP row).  One module per concern: :mod:`.placements` (sites, services at sites,
capacity), :mod:`.floor`, :mod:`.coverage` (assignments, standards, service floors, lead years),
:mod:`.reform` (mergers, conversions, hubs), :mod:`.renewal` (events), :mod:`.money` (budget,
cost, savings), :mod:`.policy` (locks, limits, sharing, operators, decisions), :mod:`.disposal`
(freed land); :mod:`.driver` runs them in order over one :class:`~.context.Context`.
"""

from .driver import check_plan
from .violation import CHECK_FAMILIES, Violation

__all__ = ["check_plan", "Violation", "CHECK_FAMILIES"]
