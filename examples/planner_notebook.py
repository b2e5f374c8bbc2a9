# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Planning Nerima's facilities: a walk-through for ward planners
#
# This notebook comes in two forms that jupytext keeps paired: `planner_notebook.ipynb` (open it in
# Jupyter) and the py:percent script `planner_notebook.py` (the same cells as plain Python, for
# diffs, VS Code / PyCharm cells, or `python planner_notebook.py`). After editing one, run
# `jupytext --sync examples/planner_notebook.ipynb` to update the other; the test suite checks that
# they agree and executes the notebook. It loads the ward, looks at the renewal cliff, optimises the
# portfolio and reads the plan.

# %%
import matplotlib.pyplot as plt

import facility_opt as fo
from facility_opt.figures import plot_ward
from facility_opt.portfolio import format_yen
from facility_opt.renewal import plot_renewal_cliff, project_renewal, totals_by_year

# facility_opt selects matplotlib's headless backend on import; in Jupyter, switch back to inline figures
# %matplotlib inline

# %% [markdown]
# ## 1. The ward and its facilities
# 202 町丁目 with the 2015 census population, 271 ward facilities (schools, children's halls,
# after-school clubs, kindergartens, nurseries), 58 stations (55 open, 3 planned Oedo-line stations:
# `ward.open_stations` are the ones open today) and 49 land prices. Floor areas, most years built and
# most capacities are imputed (geodata/nerima/README.md gives the rules): `ward.facilities["imputed"]`
# says which.

# %%
ward = fo.load_nerima()
print(ward)
ward.summary()

# %%
fig, ax = plt.subplots(figsize=(9, 7))
plot_ward(ward, ax=ax);

# %% [markdown]
# ## 2. The renewal cliff: what keeping everything costs
# The 総務省 standard method: major renovation at 30 years (over 2 years), rebuild at 60 (over 3),
# unit costs by facility class, overdue work spread over the first 10 years.

# %%
model = fo.load_planning_model()  # models/nerima.yaml
costs = project_renewal(
    ward.facilities, start_year=model.horizon.start_year, params=model.renewal_params(), include_operation=False
)
by_year = totals_by_year(costs, by="kind")
print(f"renewal over {model.horizon.years} years: {costs['cost_yen'].sum() / 1e8:,.0f} 億円")
plot_renewal_cliff(costs, by="kind")

# %% [markdown]
# ## 3. Optimise the portfolio
# Which buildings to keep, close or convert, and where each service goes, so that every zone keeps
# its services within the coverage standards at the lowest 30-year cost.

# %%
result = fo.run_model(model, "out/notebook_run")
plan = result.plan
plan

# %%
k = plan.kpis
print(
    f"buildings {k.buildings_before} -> {k.buildings_after}; {k.horizon_years}-year cost "
    f"{format_yen(k.cost_before_yen)} -> {format_yen(k.cost_after_yen)} (saves {format_yen(k.saving_yen)})"
)
plan.frame("services")[
    ["service_id", "coverage_before", "coverage_after", "mean_distance_after_m", "p95_distance_after_m"]
]

# %% [markdown]
# The decisions on an interactive map: a layer per decision kind and per service, town blocks shaded by
# coverage (folium; `pip install 'facility-opt[map]'`). The run's `report.html` has the same map, offline.

# %%
plan.explore(result.ward, result.problem)

# %% [markdown]
# ## 4. Why each change: the reasons, in words

# %%
changes = plan.changes()
for r in changes.head(8).itertuples():
    print(f"{r.facility_id} {r.name}: {r.decision} ({r.year}) - {r.reason}\n")

# %% [markdown]
# ## 5. Check the plan yourself
# `check_plan` recomputes coverage, distances, capacities and floor areas from the plan's own tables,
# independently of the solver: an empty list means every standard and limit holds.

# %%
violations = fo.check_plan(plan, result.problem)
assert violations == [], violations
print("independent check: no violations")
