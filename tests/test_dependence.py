"""What a decision says: the imputed data it rests on (decisions.csv, the report) and its renewal timing."""

from __future__ import annotations

import pandas as pd

from facility_opt.pipeline import run_model


def test_decisions_name_the_imputed_inputs_they_rest_on(tiny_model, tmp_path):
    # the tiny ward: F2's year built is imputed; F3 (a club room in F2's building) has an imputed capacity
    res = run_model(tiny_model, tmp_path / "run")
    d = pd.read_csv(res.out_dir / "decisions.csv", keep_default_na=False).set_index("facility_id")
    assert d.loc["F1", "imputed_inputs"] == ""
    assert d.loc["F2", "imputed_inputs"] == "F2.year_built"
    assert d.loc["F3", "imputed_inputs"] == "F2.year_built;F3.capacity"
    html = (res.out_dir / "report.html").read_text(encoding="utf-8")
    assert "rests on imputed data" in html and "F2.year_built, F3.capacity" in html


def test_a_renewal_overdue_at_the_start_says_so():
    """A renovation due in 2010 on a plan starting in 2019 is 'overdue since 2010', not 'in its due year'."""
    from facility_opt.portfolio import PortfolioProblem, optimise_portfolio
    from portfolio_cases import EXACT

    problem = PortfolioProblem.from_frames(
        sites=pd.DataFrame({"site_id": ["A"], "name": ["Hall A"], "category": ["hall"], "floor_area_m2": [500.0]}),
        services=pd.DataFrame({"service_id": ["hall"], "coverage_m": [1000.0], "host_categories": ["hall"]}),
        demand=pd.DataFrame({"zone_id": ["z"], "service_id": ["hall"], "population": [100.0], "demand": [10.0]}),
        placements=pd.DataFrame({"site_id": ["A"], "service_id": ["hall"], "capacity": [50.0]}),
        pairs=pd.DataFrame({"zone_id": ["z"], "site_id": ["A"], "distance_m": [300.0]}),
        events=pd.DataFrame(
            {
                "site_id": ["A"],
                "kind": ["renovation"],
                "due_year": [2010],
                "backlog": [True],
                "cost_yen": [1e8],
                "floor_area_m2": [500.0],
            }
        ),
        policy={"start_year": 2019, "horizon_years": 10},
    )
    plan = optimise_portfolio(problem, EXACT)
    (d,) = plan.decisions
    assert "(due 2010, overdue since 2010" in d.reason and "in its due year" not in d.reason, d.reason
