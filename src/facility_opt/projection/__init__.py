"""Population by zone, age group and year: a cohort-component projection, or a user's own table.

The projection works on single years of age ``0 .. max_age`` (the last is the open group) and steps
one year at a time from the base year (the zones' census year). One step, in every zone:

1. **survival**: the people aged ``a`` become ``a + 1`` with probability ``1 − q(a)``; ``q`` mixes the
   male and female life tables by the female share at each age and falls by a yearly improvement;
2. **births**: ``Σ_a ASFR(a) × female_share(a) × P(a)``; newborns survive to age 0 with
   ``1 − q(0)/2`` (deaths spread over the year); ASFR = TFR × level × the age pattern;
3. **net migration**: ``level × shape(a)`` migrants a year for the ward, added at the end of the step;
   a zone gets the ward's migrants in proportion to its population (the same net migration *rate* in
   every zone), times an optional per-zone factor.

Every rate is the same in every zone (no zone-specific rates exist for Nerima); zones differ only by
their base-year age structure. A zone's age bands (``pop_0_5`` …) are split into single years by the
params' ``band_split`` rule and summed back into bands for the output, so the base year returns the
input exactly. Parameters are a :class:`PopulationParams` read from YAML
(``models/population_nerima.yaml``); :func:`calibrate` fits the migration level (and the fertility
level) to published totals. A user's own zone × age × year table is read by
:func:`read_population_table`. The method and the Nerima inputs are described in
``docs/demand_projection.md``.

Modules: :mod:`.ages` (age keys and schedules), :mod:`.params` (the parameters), :mod:`.cohort` (the
projection), :mod:`.calibration`, :mod:`.table` (a user's own table).
"""

from __future__ import annotations

from .calibration import calibrate, calibration_report
from .cohort import POPULATION_COLUMNS, project_population, ward_totals
from .params import PopulationParams, default_population_params_path, life_expectancy, load_population_params
from .table import read_population_table, select_population

__all__ = [
    "PopulationParams",
    "load_population_params",
    "default_population_params_path",
    "project_population",
    "calibrate",
    "calibration_report",
    "read_population_table",
    "select_population",
    "life_expectancy",
    "ward_totals",
    "POPULATION_COLUMNS",
]
