"""``compare_plans`` and ``facility-opt compare``: two plans of two hand-solvable halls."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from facility_opt.cli import app
from facility_opt.compare import compare_plans
from facility_opt.portfolio import optimise_portfolio
from portfolio_cases import EXACT, two_halls

runner = CliRunner()


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Run A: the optimum (keep A, close B: -50e6 yen); run B: B locked open, so A closes (+50e6 yen)."""
    root = tmp_path_factory.mktemp("runs")
    a = optimise_portfolio(two_halls(), EXACT)
    b = optimise_portfolio(two_halls(lock_open=["B"]), EXACT)
    a.to_files(root / "a")
    b.to_files(root / "b")
    return root, a, b


def test_compare_plans_lists_kpis_and_the_swapped_decisions(runs):
    _, a, b = runs
    kpis, diff = compare_plans(a, b)
    k = kpis.set_index("metric")
    # keep A = 100e6 + 150e6 = 250e6, sell B = 300e6 -> -50e6; keep B = 350e6, sell A -> +50e6
    assert k.loc["cost_after_yen", "a"] == pytest.approx(-50e6, abs=1)
    assert k.loc["cost_after_yen", "b"] == pytest.approx(50e6, abs=1)
    assert k.loc["cost_after_yen", "difference"] == pytest.approx(100e6, abs=1)
    assert k.loc["buildings_after", "difference"] == 0
    # the multi-year KPIs are compared too: cash, penalties, deferred capital, the peak year's spend
    for f in ("cash_after_yen", "penalty_after_yen", "deferred_after_yen", "peak_spend_after_yen"):
        assert (k.loc[f, "a"], k.loc[f, "b"]) == (getattr(a.kpis, f), getattr(b.kpis, f))
    # z1 (300) goes to B at 400 m instead of A at 300 m; z2 (250) to B at 350 m instead of A at 500 m
    assert k.loc["access_after_person_km", "difference"] == pytest.approx((300 * 100 - 250 * 150) / 1000)
    assert diff["facility_id"].tolist() == ["A", "B"]
    assert diff[["decision_a", "decision_b"]].to_numpy().tolist() == [["keep", "close"], ["close", "keep"]]
    assert diff.loc[1, "year_a"] == 2019 and pd.isna(diff.loc[1, "year_b"])


def test_a_plan_compared_with_itself_has_no_differences(runs):
    _, a, _ = runs
    kpis, diff = compare_plans(a, a)
    assert diff.empty and (kpis["difference"].fillna(0) == 0).all()


def test_cli_compare_json_and_out_files(runs, tmp_path):
    root, a, b = runs
    res = runner.invoke(app, ["compare", str(root / "a"), str(root / "b"), "--json", "--out", str(tmp_path / "c.json")])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert [d["facility_id"] for d in data["differences"]] == ["A", "B"]
    assert data == json.loads((tmp_path / "c.json").read_text(encoding="utf-8"))
    res = runner.invoke(
        app, ["compare", str(root / "a"), str(root / "b" / "plan.json"), "--out", str(tmp_path / "c.csv")]
    )
    assert res.exit_code == 0, res.output
    assert "2 facilities decided differently" in res.output
    csv = pd.read_csv(tmp_path / "c.csv")
    dec = csv[csv["part"] == "decision"]
    assert set(zip(dec["id"], dec["field"])) == {(f, c) for f in "AB" for c in ("decision", "year", "services_after")}


def test_cli_compare_names_the_missing_or_invalid_file(runs, tmp_path):
    root, _, _ = runs
    res = runner.invoke(app, ["compare", str(root / "a"), str(tmp_path / "nope")])
    assert res.exit_code == 1
    assert str(tmp_path / "nope" / "plan.json") in res.output
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "plan.json").write_text('{"name": "x"}', encoding="utf-8")
    res = runner.invoke(app, ["compare", str(root / "a"), str(bad)])
    assert res.exit_code == 1
    assert str(bad / "plan.json") in res.output and "is not a plan" in res.output
