"""Each decision names the imputed data it rests on (decisions.csv, the report's decision table)."""

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
