"""Every example script runs as a consultant would run it, on the embedded data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"


def run(script: str, *args: str, cwd: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "MPLBACKEND": "Agg"}
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )
    assert proc.returncode == 0, f"{script} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


def test_every_example_is_tested():
    # planner_notebook.py is the py:percent twin of planner_notebook.ipynb, executed by tests/test_notebook.py
    tested = {
        "nerima_default.py",
        "bring_your_own_data.py",
        "compare_scenarios.py",
        "fee_revision.py",
        "planner_notebook.py",
        "excel_register.py",
        "seed_moves.py",
    }
    assert {p.name for p in EXAMPLES.glob("*.py")} == tested


@pytest.mark.slow  # optimises the whole Nerima portfolio (minutes)
def test_nerima_default(tmp_path):
    out = run("nerima_default.py", "--out", "run", cwd=tmp_path)
    plan = json.loads((tmp_path / "run" / "plan.json").read_text())
    assert plan["valid"] and f"buildings {plan['kpis']['buildings_before']} -> {plan['kpis']['buildings_after']}" in out


@pytest.mark.slow  # optimises the whole Nerima portfolio (minutes)
def test_bring_your_own_data_from_csv_and_geopackage(tmp_path):
    out = run("bring_your_own_data.py", "--out", "own", cwd=tmp_path)
    assert (tmp_path / "own_data" / "facilities.gpkg").is_file() and not (
        tmp_path / "own_data" / "facilities.csv"
    ).exists()
    assert "valid: Ward('Nerima': 202 zones" in out
    assert json.loads((tmp_path / "own" / "plan.json").read_text())["valid"]


def test_bring_your_own_data_reports_bad_rows(tmp_path):
    from facility_opt.loading import load_nerima

    folder = load_nerima().to_dir(tmp_path / "bad")
    p = folder / "zones.csv"
    lines = p.read_text(encoding="utf-8").splitlines()
    lines[5] = lines[5].replace(lines[5].split(",")[2], "-3", 1)  # population of data row 5
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / "bring_your_own_data.py"), str(folder)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1 and "zones.csv, row 5, field 'population'" in proc.stderr


@pytest.mark.slow  # optimises the whole Nerima portfolio (minutes)
def test_compare_scenarios(tmp_path):
    out = run("compare_scenarios.py", "--scenarios", "baseline", "colocation", "--out", "sc", cwd=tmp_path)
    table = pd.read_csv(tmp_path / "sc" / "comparison.csv", index_col="scenario")
    assert table.loc["baseline", "saving_oku_yen"] == 0.0
    assert table.loc["colocation", "cost_30y_oku_yen"] < table.loc["baseline", "cost_30y_oku_yen"]
    assert table.loc["colocation", "new_buildings"] == 0  # the scenario allows no station sites
    assert "colocation" in out


def test_fee_revision(tmp_path):
    out = run("fee_revision.py", "--out", "fees", cwd=tmp_path)
    summary = json.loads((tmp_path / "fees" / "fee_summary.json").read_text())
    assert f"{summary['revenue_after']:,.0f}" in out and (tmp_path / "fees" / "fees.png").is_file()


def test_excel_register(tmp_path):
    out = run("excel_register.py", "--out", "reg", cwd=tmp_path)
    plan = json.loads((tmp_path / "reg" / "plan.json").read_text())
    assert plan["valid"] and "valid: Ward('Nerima: Shakujii-koen sample': 11 zones" in out
    assert f"buildings {plan['kpis']['buildings_before']} -> {plan['kpis']['buildings_after']}" in out
    from openpyxl import load_workbook

    assert load_workbook(tmp_path / "reg" / "plan.xlsx").sheetnames[:2] == ["KPIs", "decisions"]


def test_seed_moves_on_a_wards_own_facility_list(tmp_path):
    """Community rooms, seniors' halls, a branch office and a health centre (illustrative facilities,
    real Nerima zones within 1 km of 練馬駅): services without capacity need (meeting rooms) are
    covered as the check counts them, and the moves are the reform plan's: 敬老館 host meeting rooms
    (all-generation), community halls host seniors' activities, the branch office's building takes
    meeting rooms (conversion), and the ward keeps the rooms and places it offers today."""
    run("seed_moves.py", "--out", "sm", cwd=tmp_path)
    plan = json.loads((tmp_path / "sm" / "plan.json").read_text())
    assert plan["valid"] and not plan["violations"]
    tl = pd.read_csv(tmp_path / "sm" / "timeline.csv")
    end = tl[tl["to_year"] == tl["to_year"].max()]
    hosts = end.groupby("service_id")["site_id"].apply(set)
    assert {"SC-E", "SC-F", "WO-G"} <= hosts["community_meeting"]  # 敬老館 and 出張所 take meeting rooms
    assert hosts["senior_activity"] & {"CH-B", "CH-C", "CH-D"}  # community halls host seniors' activity
    assert end.groupby("service_id")["capacity"].sum()["community_meeting"] >= 15 - 1e-6  # today's rooms kept
    decisions = pd.read_csv(tmp_path / "sm" / "decisions.csv").set_index("facility_id")
    assert decisions.loc["CH-A", "reason"].startswith("closes in 2023: community_meeting moves to")
    conv = pd.read_csv(tmp_path / "sm" / "conversions.csv")
    assert list(conv.columns) == ["site_id", "year", "converted_m2", "cost_yen"] and len(conv)
    # the report lists each conversion (機能転換) with its site, year, m² and cost
    html = (tmp_path / "sm" / "report.html").read_text(encoding="utf-8")
    assert "<h3>機能転換</h3>" in html
    for r in conv.itertuples():
        assert f'<tr data-site="{r.site_id}"><td>{r.site_id}</td>' in html
