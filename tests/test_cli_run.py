"""The main job and the nightly job through the command line: files, exit codes, guarantees."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from facility_opt.cli import app
from facility_opt.nightly import _lock
from facility_opt.portfolio import Plan, check_plan

runner = CliRunner()


def test_run_tiny_model_writes_a_checked_plan(tiny_model, tmp_path):
    out = tmp_path / "run"
    res = runner.invoke(app, ["run", str(tiny_model), "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    info = json.loads(res.output)
    assert info["model"] == "tiny" and info["valid"] is True
    for name in (
        "plan.json",
        "decisions.csv",
        "assignments.csv",
        "costs.csv",
        "services.csv",
        "run.json",
        "cost_by_year.csv",
        "facilities.gpkg",
        "report.html",
    ):
        assert (out / name).is_file(), name
    years = pd.read_csv(out / "cost_by_year.csv")
    assert round(years["after_yen"].sum()) == round(
        json.loads((out / "plan.json").read_text())["kpis"]["cost_after_yen"]
    )
    plan = Plan.from_json(out / "plan.json")
    decisions = pd.read_csv(out / "decisions.csv")
    assert sorted(decisions["facility_id"]) == ["F1", "F2", "F3"]
    # the independent check, from the files alone against a freshly built problem
    from facility_opt.pipeline import run_model

    again = run_model(tiny_model, tmp_path / "again")
    assert check_plan(plan, again.problem) == []
    # the renewal prices the plan rests on are on record (the tiny model uses the 総務省 preset as it is)
    rc = json.loads((out / "run.json").read_text())["renewal_costs"]
    assert (rc["preset"], rc["unit_cost_factor"], rc["rebuild_age"]) == ("soumu", 1.0, 60)
    # deterministic: a second run writes the same bytes
    for name in (
        "plan.json",
        "decisions.csv",
        "assignments.csv",
        "costs.csv",
        "run.json",
        "cost_by_year.csv",
        "facilities.gpkg",
        "report.html",
    ):
        assert (out / name).read_bytes() == (tmp_path / "again" / name).read_bytes(), name


def test_run_on_invalid_data_exits_1_and_writes_nothing(tiny_model, tiny_ward_dir, tmp_path):
    p = tiny_ward_dir / "facilities.csv"
    p.write_text(p.read_text().replace("primary_school,6000,", "primary_school,-6000,"))
    out = tmp_path / "run"
    res = runner.invoke(app, ["run", str(tiny_model), "--out", str(out)])
    assert res.exit_code == 1
    assert "facilities.csv, row 1, field 'floor_area_m2'" in res.output
    assert not out.exists() and not list(tmp_path.glob(".run.*"))


def test_run_infeasible_exits_2_naming_zone_and_service(tiny_model, tmp_path):
    text = tiny_model.read_text().replace(
        "candidates: {stations: false}",
        "candidates: {stations: false}\n  service_overrides:\n    childrens_hall: {coverage_m: 50, source: test}",
    )
    tiny_model.write_text(text)
    res = runner.invoke(app, ["run", str(tiny_model), "--out", str(tmp_path / "run")])
    assert res.exit_code == 2, res.output
    assert "childrens_hall" in res.output and "Z1" in res.output


def test_nightly_unchanged_changed_invalid_locked(tiny_model, tiny_ward_dir, tmp_path):
    state = tmp_path / "state"
    args = ["nightly", "--model", str(tiny_model), "--state", str(state)]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    current = (state / "current").read_text().strip()
    assert (state / "runs" / current / "plan.json").is_file()

    again = runner.invoke(app, args)
    assert again.exit_code == 0 and (state / "current").read_text().strip() == current
    assert json.loads((state / "history.jsonl").read_text().splitlines()[-1])["outcome"] == "unchanged"

    # a changed facility: a new run, warm-started from the last plan, with a diff naming the input
    p = tiny_ward_dir / "facilities.csv"
    p.write_text(p.read_text().replace("East hall,childrens_hall,550,1975", "East hall,childrens_hall,560,1975"))
    changed = runner.invoke(app, args)
    assert changed.exit_code == 0, changed.output
    new = (state / "current").read_text().strip()
    assert new != current
    diff = json.loads((state / "runs" / new / "diff.json").read_text())
    assert diff["previous_run"] == current and diff["changed_inputs"] == ["data/facilities.csv"]
    # the diff covers the year-by-year tables too (and equals diff_table of the two runs' files)
    from facility_opt.nightly import diff_table

    for name in ("timeline", "years"):
        assert diff[f"changed_{name}"] == diff_table(state / "runs" / current, state / "runs" / new, name).to_dict(
            "records"
        )
    assert json.loads((state / "runs" / new / "run.json").read_text())["warm_start"] == "previous plan"

    # invalid data: exit 1, the last good plan stays current and untouched
    before = (state / "runs" / new / "plan.json").read_bytes()
    p.write_text(p.read_text().replace("East hall,childrens_hall,560,1975", "East hall,childrens_hall,-1,1975"))
    bad = runner.invoke(app, args)
    assert bad.exit_code == 1
    assert (state / "current").read_text().strip() == new
    assert (state / "runs" / new / "plan.json").read_bytes() == before
    log = [json.loads(line) for line in (state / "nightly.log.jsonl").read_text().splitlines()]
    assert log[-1]["event"] == "invalid_input" and log[-1]["level"] == "ERROR"
    assert any("floor_area_m2" in p for p in log[-1]["problems"])

    # another run holds the lock: exit 4 at once
    with _lock(state):
        locked = runner.invoke(app, args)
    assert locked.exit_code == 4


@pytest.mark.slow
def test_run_nerima_default(tmp_path):
    out = tmp_path / "nerima"
    res = runner.invoke(app, ["run", "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    plan = Plan.from_json(out / "plan.json")
    assert plan.valid and plan.solver.gap <= 0.01 and plan.kpis.saving_yen > 0
    # the README's headline table states this plan's figures
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    k = plan.kpis
    assert f"| buildings | {k.buildings_before} | {k.buildings_after} |" in readme
    assert f"¥{k.cost_before_yen / 1e9:.1f} bn | ¥{k.cost_after_yen / 1e9:.1f} bn" in readme
