"""The parts of the portfolio MILP (:class:`facility_opt.portfolio.model.PortfolioModel`), one concern each.

Each module is a mixin of the model (or the small tables it is built from): ``index`` (periods,
placements, reach, capacity bounds), ``variables`` (blocks and bounds), the constraint families by
concern (``capacity``, ``coverage``, ``events``, ``money``, ``policy_rows``, ``land_operators``,
``reform`` with ``mergers``, ``lead``), ``objective``, ``solve`` (solve, warm-start, repair, polish) and
``solution`` (the labelled values).  ``constants`` holds the objective unit and the prices.  The model module
assembles them and fixes the order in which variables and rows are created.
"""
