"""The command line on the embedded data and on broken data: exit codes and files written."""

from __future__ import annotations

import pandas as pd
from typer.testing import CliRunner

from facility_opt.cli import app
from facility_opt.loading import load_nerima

runner = CliRunner()


def test_validate_embedded_data_ok():
    res = runner.invoke(app, ["validate"])
    assert res.exit_code == 0, res.output
    assert "valid" in res.output and "202 zones" in res.output


def test_validate_bad_data_exits_1_and_lists_every_problem(tiny_ward_dir):
    p = tiny_ward_dir / "facilities.csv"
    p.write_text(p.read_text().replace("primary_school,6000,", "primary_school,-6000,").replace(",1975,", ",1200,"))
    res = runner.invoke(app, ["validate", str(tiny_ward_dir)])
    assert res.exit_code == 1
    assert "facilities.csv, row 1, field 'floor_area_m2'" in res.output
    assert "facilities.csv, row 2, field 'year_built'" in res.output


def test_costs_command_matches_the_library(tmp_path):
    import json

    from facility_opt.planning import load_planning_model
    from facility_opt.renewal import project_renewal

    res = runner.invoke(app, ["costs", "--out", str(tmp_path), "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads((tmp_path / "summary.json").read_text())
    m = load_planning_model()
    ward, start, params = load_nerima(), m.horizon.start_year, m.renewal_params()
    # rooms are renewed with their building (their floor is part of the host's); every facility operates
    renewal = project_renewal(ward.structures, start_year=start, params=params, include_operation=False)
    operation = project_renewal(ward.facilities, start_year=start, params=params).query("kind == 'operation'")
    expected = renewal["cost_yen"].sum() + operation["cost_yen"].sum()
    assert summary["total_oku_yen"] == round(expected / 1e8, 1)
    rooms = ward.facilities.loc[ward.facilities["premises"] == "room", "facility_id"]
    costs = pd.read_csv(tmp_path / "costs.csv")
    assert set(costs.loc[costs["facility_id"].isin(rooms), "kind"]) == {"operation"}
    by_year = pd.read_csv(tmp_path / "costs_by_year.csv", index_col=0)
    assert list(by_year.index) == list(range(2019, 2049))
    assert (tmp_path / "cliff.png").read_bytes()[:4] == b"\x89PNG"


def test_costs_command_on_a_bad_model_exits_1(tmp_path):
    bad = tmp_path / "m.yaml"
    bad.write_text("name: m\ndata: embedded:nerima\ncatalogue: nowhere.yaml\nhorizon: {start_year: 2019}\n")
    res = runner.invoke(app, ["costs", str(bad), "--out", str(tmp_path / "o")])
    assert res.exit_code == 1 and "nowhere.yaml does not exist" in res.output
    assert not (tmp_path / "o").exists()
