"""The run workbook (plan.xlsx) and the generic reading of a run folder behind it."""

from __future__ import annotations

import json

import pandas as pd
from openpyxl import load_workbook

from facility_opt.runfolder import read_table, run_kpis, run_tables
from facility_opt.workbook import write_workbook


def _fake_run(folder):
    folder.mkdir()
    (folder / "decisions.csv").write_text(
        "facility_id,decision,year,floor_m2,station_front\n007,keep,,12.5,True\nF2,close,2030,0.000000,False\n",
        encoding="utf-8",
    )
    (folder / "assignments.csv").write_text("zone_id,site_id,share\n13120001001,007,1.000000\n", encoding="utf-8")
    (folder / "timeline.csv").write_text("year,buildings\n2019,2\n2030,1\n", encoding="utf-8")
    (folder / "fees").mkdir()
    (folder / "fees" / "fee_table.csv").write_text("room_id,fee_yen\nR1,1200\n", encoding="utf-8")
    (folder / "plan.json").write_text(
        json.dumps(
            {"kpis": {"buildings_before": 2, "buildings_after": 1, "cost_after_yen": 1.5e9, "services": [{"x": 1}]}}
        )
    )
    (folder / "run.json").write_text(
        json.dumps({"model": "m", "valid": True, "solver": {"status": "optimal", "gap": 0.001}})
    )
    return folder


def test_tables_are_typed_ids_stay_text(tmp_path):
    d = read_table(_fake_run(tmp_path / "run") / "decisions.csv")
    assert d["facility_id"].tolist() == ["007", "F2"]  # leading zero kept
    assert str(d["year"].dtype) == "Int64" and d["year"].isna().tolist() == [True, False]
    assert d["floor_m2"].dtype == "float64" and str(d["station_front"].dtype) == "boolean"


def test_every_csv_is_a_table_in_a_fixed_order(tmp_path):
    run = _fake_run(tmp_path / "run")
    assert list(run_tables(run)) == ["decisions", "timeline", "assignments", "fees_fee_table"]
    k = run_kpis(run)
    assert k["kpi"].tolist() == [
        "model",
        "valid",
        "solver.gap",
        "solver.status",
        "buildings_after",
        "buildings_before",
        "cost_after_yen",
    ]  # lists (services) have tables of their own


def test_workbook_has_kpis_then_one_sheet_per_table(tmp_path):
    run = _fake_run(tmp_path / "run")
    path = write_workbook(run)
    assert path == run / "plan.xlsx" and not list(run.glob(".*"))  # written atomically, no temp file left
    wb = load_workbook(path)
    assert wb.sheetnames == ["KPIs", "decisions", "timeline", "assignments", "fees_fee_table"]
    assert [list(r) for r in wb["KPIs"].iter_rows(values_only=True)][:3] == [
        ["kpi", "value"],
        ["model", "m"],
        ["valid", True],
    ]
    rows = list(wb["decisions"].iter_rows(values_only=True))
    assert rows == [
        ("facility_id", "decision", "year", "floor_m2", "station_front"),
        ("007", "keep", None, 12.5, True),
        ("F2", "close", 2030, 0, False),
    ]
    assert wb["decisions"].auto_filter.ref == "A1:E3"
    # the same run folder gives the same bytes (no clock in the file)
    again = write_workbook(run, tmp_path / "again.xlsx")
    assert again.read_bytes() == path.read_bytes()


def test_long_and_clashing_sheet_names(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    for name in ("a_very_long_table_name_beyond_thirty_one_1", "a_very_long_table_name_beyond_thirty_one_2"):
        pd.DataFrame({"v": [1]}).to_csv(run / f"{name}.csv", index=False)
    names = load_workbook(write_workbook(run)).sheetnames
    assert names[0] == "KPIs" and len(set(n.lower() for n in names)) == 3 and all(len(n) <= 31 for n in names)


def test_run_xlsx_has_the_year_by_year_tables(tiny_model, tmp_path):
    """`run --xlsx` on the tiny model: the plan's timeline, years, events and floor tables are sheets,
    with the rows of their CSV files."""
    from typer.testing import CliRunner

    from facility_opt.cli import app

    out = tmp_path / "run"
    res = CliRunner().invoke(app, ["run", str(tiny_model), "--out", str(out), "--xlsx"])
    assert res.exit_code == 0, res.output
    wb = load_workbook(out / "plan.xlsx")
    assert wb.sheetnames[:7] == ["KPIs", "decisions", "timeline", "years", "costs", "cost_by_year", "services"]
    assert {"events", "floor", "assignments"} <= set(wb.sheetnames)
    for name in ("timeline", "years", "events"):
        rows = list(wb[name].values)
        csv = (out / f"{name}.csv").read_text().splitlines()
        assert list(rows[0]) == csv[0].split(",") and len(rows) == len(csv)
    kpis = {r[0]: r[1] for r in wb["KPIs"].values}
    assert {"peak_spend_after_yen", "cash_after_yen", "penalty_after_yen"} <= set(kpis)
