"""The command line on the embedded data and on broken data: exit codes and files written."""

from __future__ import annotations

from pathlib import Path

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


def test_run_writes_summary_and_map(tmp_path):
    out = tmp_path / "out"
    res = runner.invoke(app, ["run", "--out", str(out)])
    assert res.exit_code == 0, res.output
    summary = pd.read_csv(out / "summary.csv", index_col=0)
    ward = load_nerima()
    assert summary.loc["total", "facilities"] == len(ward.facilities) == 271
    assert summary.loc["primary_school", "facilities"] == 65
    assert summary.loc["total", "floor_area_m2"] == round(ward.facilities["floor_area_m2"].sum(), 1)
    png = (out / "map.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
