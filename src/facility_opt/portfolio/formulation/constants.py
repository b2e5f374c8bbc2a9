"""Units and prices of the portfolio MILP: the objective unit and the prices that make every plan a
(priced) solution and break ties deterministically.
"""

#: objective unit: one million yen (keeps coefficients well scaled for the solver)
SCALE = 1e6
#: cost of a new placement per year it exists (yen): a deterministic tie-break against idle or early moves
NEW_PLACEMENT_YEN = 1_000.0
#: cost of a place added per year it exists (yen), for services with an operating cost per place: a tie-break
#: that uses today's places before adding new ones when both cost the same to run
ADDED_PLACE_YEN = 1.0
#: floor tolerance (m²) of the floor rows: floors are given to 0.01 m², and current uses fill their building
FLOOR_TOL_M2 = 0.1
#: price of an uncovered demand unit (a place, a pupil) of a hard service per period (million yen): above
#: what a place can cost (a pupil's 12 m² rebuilt at 33万円/m² and run 30 years is under 10 M yen)
UNCOVERED_PER_UNIT = 20.0
#: ... and per resident of its target group per period (million yen), for services with little demand per resident
UNCOVERED_PER_RESIDENT = 0.5
#: price of a yen of baseline spend above the annual budget (million yen per million yen)
BASELINE_OVER_BUDGET_PENALTY = 100.0
#: ... and of a plan (a yen over costs a thousand): far above any saving, so no gap tolerance hides much
OVER_BUDGET_PENALTY = 1000.0
