"""Solving a portfolio by its independent parts.

Areas that share no zone, site, school district or merger candidate (several wards planned together,
or the synthetic ward of ``benchmarks/bench_portfolio.py``, Nerima tiled ten times) make one MILP whose
rows meet only in the ward-wide limits: the annual budget, the capital budget, the service floors
(``min_capacity``), the most closures, the floor-reduction bounds and the least covered shares.  Once
such a model is several times Nerima's size, HiGHS's heuristics find no plan in it within minutes,
while each part alone solves like Nerima.

:func:`solve_by_parts` shares the ward-wide limits out between the parts (:func:`part_problems`),
solves each part with the ordinary optimiser, on Dask distributed when more than one worker is asked
for, and joins their solutions into one (:func:`join_solutions`).  Sharing a limit out only restricts
the problem, so the joined plan meets every ward-wide limit; the optimiser's independent check then
re-checks it on the whole problem.  The gap reported is proven against a Lagrangian bound: the
ward-wide rows (budget, service floors, capital budget) priced at the duals of one part's LP
relaxation, every part's LP solved with those prices in place of its share, and the prices times the
whole's limits added (:func:`row_prices`, :func:`priced_part_lp`).  Any prices give a lower bound on
the whole's optimum; with the duals of the whole's LP relaxation it equals that relaxation, which
needs minutes on a ward ten times Nerima's size where the parts' LPs need seconds each.

How each limit is shared (each part's share is stated in the log):

- annual budget: each part first gets what its buildings are charged in that year in the
  keep-everything baseline (solved under the whole budget, so the shares fit within it), then the
  rest of the year's cap in proportion to the part's renewal need (the cost of its renewal events;
  its existing floor area when there are none).  Every part can therefore at least keep everything
  on the baseline's timing;
- capital budget: in proportion to the renewal need;
- service floors: in proportion to the part's current capacity of the service;
- the most closures: in proportion to the part's existing sites, rounded down;
- least covered shares and floor-reduction bounds: the same share in every part (met in every part,
  it is met in the whole).

A policy with limits that cannot be shared this way (a level budget, a renewal fund, bonds or
preventive upkeep charged to the budget, reuse needs limited to a number of sites, a cap on operator
changes) is solved whole.
"""

from __future__ import annotations

from .bound import lagrangian_bound, lp_bound, priced_part_lp, row_prices
from .solve import join_solutions, solve_by_parts
from .split import Part, budget_shares, not_shareable, part_problems, parts

__all__ = [
    "Part",
    "parts",
    "not_shareable",
    "budget_shares",
    "part_problems",
    "join_solutions",
    "lp_bound",
    "row_prices",
    "priced_part_lp",
    "lagrangian_bound",
    "solve_by_parts",
]
