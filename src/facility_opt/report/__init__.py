"""The planner's report: a decision map, facilities for GIS, and one self-contained HTML page.

* :func:`plan_map`: the ward with every facility marked by its decision (kept, closed, host of
  co-located services, converted, new building) and the stations (:mod:`.charts`, with the other
  charts);
* :func:`plan_geodataframe` / :func:`write_facilities_gpkg`: facilities and candidate sites with
  their decisions, for GIS users (EPSG:6677), written atomically and byte-for-byte reproducibly
  (:mod:`.gis`);
* :func:`plan_moves`: the moves of the plan's timeline (which service leaves which site when,
  and where it arrives), :func:`spend_by_year`: the annual spend charged to the budget, plan and
  keep-everything, with the budget (:mod:`.tables`);
* :func:`write_report`: ``report.html`` (:mod:`.page`), one file a planner can send to a colleague or
  show residents, in Japanese or English (:mod:`facility_opt.i18n`; the ward's language by default):
  headline figures against keeping everything and the saving by kind (:mod:`.headline`), the ward's
  own published figures (``context.yaml``), an interactive map (:mod:`.webmap`: Leaflet inlined,
  layers per decision, service and year), cost by year, the annual spend against the budget,
  places (定員) before and after, capacity and coverage per year and service, nursery places, the
  timeline of moves and renewal works (:mod:`.years`), coverage and distances per service, results
  by school district, the decisions with their reasons (:mod:`.decisions`), freed sites, decisions
  resting on imputed data, the cost–access trade-off, data credits (:mod:`.sections` writes the
  planners' sections).  Figures are embedded as PNG (base64), styles (``static/``) and scripts
  inline, no external assets (map tiles only when the reader asks for them online); the page has no
  wall-clock values, so the same plan gives the same bytes.

Charts in Japanese use the IPAexGothic font of the PyPI package matplotlib-fontja
(:func:`facility_opt.i18n.chart_style`), so a fresh machine draws them without missing glyphs.
"""

from __future__ import annotations

from .charts import DECISION_STYLE, figure_png, plan_map, plot_spend_by_year, plot_timeline, plot_years
from .gis import plan_geodataframe, write_facilities_gpkg
from .page import write_report
from .tables import MOVE_COLUMNS, SPEND_COLUMNS, plan_moves, spend_by_year

__all__ = [
    "plan_map",
    "plan_geodataframe",
    "write_facilities_gpkg",
    "write_report",
    "figure_png",
    "plan_moves",
    "spend_by_year",
    "plot_spend_by_year",
    "plot_years",
    "plot_timeline",
    "DECISION_STYLE",
    "MOVE_COLUMNS",
    "SPEND_COLUMNS",
]
