"""The multi-year portfolio MILP, built in bulk from a :class:`PortfolioProblem` (docs/portfolio.md).

Time: periods ``p`` (:meth:`Policy.periods`) for the portfolio's state, years ``t`` for renewal
events and money.  Variables (blocks indexed ``item * P + p``):

* ``open[s,p]`` (binary): site *s* is in use in period *p*; existing sites close at most once and
  never reopen, candidates open at most once and stay open;
* ``place[e,p]`` (binary): service *k* is at site *s* (eligible pair *e*); a current placement
  leaves at most once, a new one arrives at most once;
* ``ext[e,p]`` (>= 0; integer units for services with a ``unit_size``): capacity added to *e*;
* ``gx[s,q]`` (>= 0): floor added at *s*, usable from period *q* (an extension, or a candidate's new
  building), built in the ``build_years`` before; ``ga[o]`` (>= 0): floor added at *s* by its
  rebuild option *o*, usable once the rebuild is complete;
* ``z[o]`` (binary): renewal event option *o* (a start year in the event's window, or deferral past
  the horizon) is chosen; ``drop[e,q]``: event *e* is never done because its site closes in *q*;
* ``w[r,p]`` in [0, 1]: share of zone *z*'s demand for *k* served at *s* in *p* (the sparse reach);
  ``u[z,k,p]``: share uncovered (min-share services; every service in the baseline);
* ``cum[r,p]`` (``nearest`` services): the share served at the zone's *j* nearest sites;
* ``dispose[d]`` (a freed site's option of :meth:`PortfolioProblem.disposal_table`) and
  ``dispose_year[d,p]`` (its yearly value while closed);
* ``operator[c,p]`` (binary) and ``commissioned[c,p]``: an eligible placement's operator change and
  its commissioned places (only with ``policy.operator_change``).

Constraint families (names used by the diagnosis and the checks): ``open_order``, ``place_open``,
``place_order``, ``ext_link``, ``assign_link``, ``cover``, ``capacity``, ``floor``, ``site_limit``,
``grow_open``, ``rebuild_add``, ``nearest_cum``, ``nearest``, ``anchor``, ``min_capacity``,
``event_one``, ``event_open``, ``event_drop``, ``event_order``, ``money``, ``min_share``,
``incompatible``, ``max_closures``, ``floor_reduction``, ``capital``, ``disposal_one``, ``disposal_year``,
``disposal_must``, ``reuse_max_sites``, ``operator_order``, ``operator_in_place``, ``operator_cap``, ``operator_link``,
``operator_full``, ``operator_per_period``, ``operator_total``, ``lead_coverage`` (added by the optimiser); the
reform plan's moves (:mod:`facility_opt.portfolio.formulation.reform`: ``gd`` floor not rebuilt, ``mg`` school
mergers, ``cv`` floor converted) add ``downsize_link``, ``merge_order``, ``merge_window``, ``merge_close``,
``merge_one``, ``merge_lock``, ``merge_district``, ``conversion`` and ``hub``.

Objective (million yen): renewal options (capital + deferral risk + early work + bond interest +
preventive upkeep, from :func:`facility_opt.renewal.schedule.event_options`), temporary premises during
rebuilds, the risk of events dropped at closure, running costs of open floor, operating costs per
place in use (less the commissioned saving) and operator-change transitions, floor added, land
bought, minus land sold, leased or reused, plus the optional access term and tiny deterministic
tie-breaks.  :mod:`facility_opt.portfolio.economics` recomputes every cost from a plan's state,
independently of this module, and the check compares the two.

The model is one class, :class:`PortfolioModel`, assembled from mixins of
:mod:`facility_opt.portfolio.formulation`, one concern each: the index (``index``), the variable
blocks and bounds (``variables``), the constraint families by concern (``capacity``: state and
floor; ``coverage``: coverage and assignment; ``events``; ``money``; ``policy_rows``;
``land_operators``: freed land and operator changes; ``reform`` and ``mergers``: the reform plan's
moves; ``lead``: the lead years), the objective (``objective``), solving, warm starts, repair and
polish (``solve``) and the labelled solution (``solution``).  This module fixes the order in which
they are built (the solver's path depends on it).
"""

from __future__ import annotations

import logging
import time

import pulp

from ..milp import Milp
from .formulation.capacity import CapacityRows
from .formulation.coverage import CoverageRows
from .formulation.events import EventRows
from .formulation.index import ModelIndex
from .formulation.land_operators import LandAndOperators
from .formulation.lead import LeadRows
from .formulation.money import MoneyRows
from .formulation.objective import Objective
from .formulation.policy_rows import PolicyRows
from .formulation.reform import ReformRows
from .formulation.solution import SolutionReader
from .formulation.solve import Solving
from .formulation.variables import ModelVariables
from .problem import PortfolioProblem

__all__ = ["PortfolioModel", "build_model"]

log = logging.getLogger(__name__)


class PortfolioModel(
    ModelIndex,
    ModelVariables,
    CapacityRows,
    CoverageRows,
    EventRows,
    MoneyRows,
    PolicyRows,
    LandAndOperators,
    Objective,
    LeadRows,
    Solving,
    SolutionReader,
    ReformRows,
):
    """A built multi-year MILP for one problem: ``build_model(problem)`` then :meth:`solve`.

    Parameters
    ----------
    problem : the instance.
    baseline : fix the keep-everything portfolio (every existing site open with its current
        services all along, nothing new) and drop the policy limits; coverage and the budget are
        priced instead of enforced, so that a portfolio that misses them still gets a (reported)
        solution.
    elastic : add a priced slack to every constraint family that can block a plan (diagnosis).
    """

    def __init__(self, problem: PortfolioProblem, baseline: bool = False, elastic: bool = False) -> None:
        t0 = time.perf_counter()
        self.problem = problem
        self.baseline = baseline
        self.elastic = elastic
        self.m = Milp("portfolio" + ("_baseline" if baseline else "_elastic" if elastic else ""), elastic=elastic)
        self._index()
        self._variables()
        self._constraints()
        self._set_cost_objective()
        self.access_constraint: pulp.LpConstraint | None = None
        self.build_seconds = time.perf_counter() - t0
        log.info(
            "built %s: %d variables, %d constraints in %.2f s",
            self.m.prob.name,
            self.m.prob.numVariables(),
            self.m.n_rows,
            self.build_seconds,
        )

    @property
    def prob(self) -> pulp.LpProblem:
        return self.m.prob

    def _constraints(self) -> None:
        self._state_rows()
        self._assignment_rows()
        self._floor_rows()
        self._event_rows()
        self._money_rows()
        if not self.baseline:
            self._policy_rows()
        self._disposal_rows()
        self._operator_rows()
        self._reform_rows()


def build_model(problem: PortfolioProblem, baseline: bool = False, elastic: bool = False) -> PortfolioModel:
    """Build the multi-year portfolio MILP for ``problem`` (see :class:`PortfolioModel`)."""
    return PortfolioModel(problem, baseline=baseline, elastic=elastic)
