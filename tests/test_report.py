"""Cost by year, the decision map, facilities for GIS and the HTML report (tiny ward and Nerima)."""

from __future__ import annotations

import base64
import re
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from facility_opt.catalogue import default_catalogue
from facility_opt.costs import default_renewal_params
from facility_opt.errors import DataValidationError
from facility_opt.loading import read_ward
from facility_opt.portfolio import PortfolioOptions, optimise_portfolio
from facility_opt.portfolio.build import problem_from_ward
from facility_opt.portfolio.yearly import COST_BY_YEAR_COLUMNS, cost_by_year
from facility_opt.report import plan_geodataframe, plan_map, write_facilities_gpkg, write_report
from facility_opt.solver import SolverOptions



def _tiny_ward_files() -> dict[str, str]:
    """conftest's TINY_WARD files (conftest is not importable under --import-mode=importlib)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("_report_conftest", Path(__file__).with_name("conftest.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.TINY_WARD

EXACT = PortfolioOptions(solver=SolverOptions(gap_rel=0.0, threads=1))
CONFIG = {"services": ["primary_education", "childrens_hall", "after_school_club"], "earliest_change_year": 2021,
          "building_operating_yen_per_m2_year": 8000, "fixed_yen_per_building_year": 3e6,
          "candidates": {"services": ["childrens_hall", "after_school_club"]}, "policy": {"lock_closed": ["F2"]}}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """The conftest tiny ward with its hall building (F2: hall + club) locked closed: the school F1
    hosts the hall at its 2028 rebuild and a new station-front building takes the club."""
    folder = tmp_path_factory.mktemp("ward") / "tiny"
    folder.mkdir()
    for name, text in _tiny_ward_files().items():
        (folder / name).write_text(text, encoding="utf-8")
    ward = read_ward(folder)
    problem = problem_from_ward(ward, default_catalogue(), CONFIG, default_renewal_params(), start_year=2019,
                                name="tiny")
    plan = optimise_portfolio(problem, EXACT)
    curve = pd.DataFrame({"point": ["min_cost", "min_access"], "epsilon_person_km": [np.nan, np.nan],
                          "cost_yen": [plan.kpis.cost_after_yen, plan.kpis.cost_after_yen * 1.1],
                          "access_person_km": [plan.kpis.access_after_person_km, 100.0], "buildings": [3, 4],
                          "floor_m2": [6677.0, 7000.0], "status": "optimal", "gap": 0.0, "solve_seconds": 0.1})
    return ward, problem, plan, curve


# ---------------------------------------------------------------------- cost by year
def test_tiny_plan_has_the_expected_moves(tiny):
    _, _, plan, _ = tiny
    assert {d.facility_id: d.decision for d in plan.decisions} == {"CAND-S1": "new", "F1": "host", "F2": "close",
                                                                   "F3": "close"}


def test_cost_by_year_sums_to_the_plan_totals_to_the_yen(tiny):
    _, problem, plan, _ = tiny
    y = cost_by_year(plan, problem)
    assert list(y.columns) == COST_BY_YEAR_COLUMNS
    assert y["year"].tolist() == list(range(2019, 2049))
    assert y["before_yen"].sum() == plan.kpis.cost_before_yen
    assert y["after_yen"].sum() == plan.kpis.cost_after_yen
    sites = plan.frame("sites")
    for k in ("renewal", "operation", "fixed", "new_build", "land", "revenue"):
        assert y[f"{k}_after_yen"].sum() == pytest.approx(sites[f"{k}_yen"].sum(), abs=1.0)
    # renewal follows the cost model's own years: keeping everything = project_renewal of the 3 facilities
    from facility_opt.costs import project_renewal

    proj = project_renewal(tiny[0].facilities, start_year=2019, horizon_years=30, include_operation=False)
    by_year = proj.groupby("year")["cost_yen"].sum().reindex(range(2019, 2049), fill_value=0.0)
    assert np.allclose(y["renewal_before_yen"].to_numpy(), by_year.round().to_numpy(), atol=2.0)
    # the new building (CAND-S1) is built in 2021 and its land bought then; nothing is built before
    site = {s.site_id: s for s in plan.sites}["CAND-S1"]
    row = y.set_index("year")
    assert row.loc[2021, "new_build_after_yen"] == pytest.approx(site.new_build_yen, abs=1)
    assert row.loc[2021, "land_after_yen"] == pytest.approx(site.land_yen, abs=1)
    assert row.loc[2019:2020, "new_build_after_yen"].sum() == 0
    # F2 closes in 2035: no running cost for it after, so the plan's operation drops from 2035
    assert row.loc[2035, "operation_after_yen"] < row.loc[2034, "operation_after_yen"]


def test_site_costs_by_year_agrees_with_site_costs(tiny):
    _, problem, _, _ = tiny
    rng = np.random.default_rng(7)
    variants = [problem, problem.replace(renewal_by_year=None)]
    for p in variants:
        for _ in range(5):
            is_open = rng.random(len(p.sites)) < 0.5
            add = rng.uniform(0, 300, len(p.sites)).round(1)
            tot = p.site_costs(is_open, add).set_index("site_id")
            y = p.site_costs_by_year(is_open, add).groupby("site_id").sum()
            for c in ("renewal_yen", "operation_yen", "fixed_yen", "new_build_yen", "land_yen", "revenue_yen",
                      "total_yen"):
                assert np.allclose(y[c], tot[c], rtol=1e-12, atol=1e-6), c


def test_renewal_by_year_must_match_the_site_totals(tiny):
    _, problem, _, _ = tiny
    bad = problem.renewal_by_year.copy()
    bad.loc[bad["site_id"] == "F1", "renewal_yen"] *= 2
    with pytest.raises(DataValidationError, match="site 'F1': the years sum to"):
        problem.replace(renewal_by_year=bad)


def test_cost_by_year_refuses_a_plan_of_another_problem(tiny):
    _, problem, plan, _ = tiny
    other = problem.replace(sites=problem.sites.assign(fixed_yen_per_year=problem.sites["fixed_yen_per_year"] + 1e6))
    with pytest.raises(ValueError, match="another version of the problem"):
        cost_by_year(plan, other)


# ---------------------------------------------------------------------- GIS
def test_plan_geodataframe_and_gpkg_round_trip(tiny, tmp_path):
    ward, problem, plan, _ = tiny
    g = plan_geodataframe(plan, ward, problem)
    assert g.crs.to_epsg() == 6677
    assert g["facility_id"].tolist() == ["CAND-S1", "F1", "F2", "F3"]  # the one candidate is used
    assert g.set_index("facility_id").loc["F1", "services_after"] == "after_school_club;childrens_hall;primary_education"
    assert g.geometry.notna().all()
    station = ward.stations.set_index("station_id").geometry["S1"]
    assert g.set_index("facility_id").geometry["CAND-S1"].distance(station) < 1.0
    p1 = write_facilities_gpkg(g, tmp_path / "a" / "facilities.gpkg")
    p2 = write_facilities_gpkg(g, tmp_path / "b" / "facilities.gpkg")
    assert p1.read_bytes() == p2.read_bytes()  # deterministic (fixed GeoPackage timestamp)
    back = gpd.read_file(p1)
    assert back.crs.to_epsg() == 6677 and len(back) == 4
    assert back.set_index("facility_id").loc["F2", "decision"] == "close"
    assert not list(p1.parent.glob(".*"))  # no temporary file left behind


def test_plan_map_marks_every_decision(tiny):
    ward, problem, plan, _ = tiny
    ax = plan_map(plan, ward, problem)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(lab.startswith("new building (1)") for lab in labels)
    assert any(lab.startswith("closed (2)") for lab in labels)
    assert any(lab.startswith("hosts co-located services (1)") for lab in labels)
    assert any(lab.startswith("station (2)") for lab in labels)


# ---------------------------------------------------------------------- HTML
class _Page(HTMLParser):
    """Collects images, links, KPI cells and decision rows of a report."""

    def __init__(self) -> None:
        super().__init__()
        self.imgs: list[str] = []
        self.urls: list[str] = []
        self.kpi: dict[str, list[float]] = {}
        self.rows: dict[str, list[str]] = {}  # table class -> facility ids
        self._table: str | None = None
        self._kpi: str | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for k in ("src", "href"):
            if k in a:
                self.urls.append(a[k])
        if tag == "img":
            self.imgs.append(a.get("src", ""))
        if tag == "table":
            self._table = a.get("class", "")
        if tag == "tr" and "data-kpi" in a:
            self._kpi = a["data-kpi"]
            self.kpi[self._kpi] = []
        if tag == "tr" and "data-facility" in a:
            self.rows.setdefault(self._table, []).append(a["data-facility"])
        if tag == "td" and self._kpi and "data-value" in a:
            self.kpi[self._kpi].append(float(a["data-value"]))

    def handle_endtag(self, tag):
        if tag == "tr":
            self._kpi = None

    def handle_data(self, data):
        self.text.append(data)


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_report_is_self_contained_and_shows_the_plan(tiny, tmp_path):
    ward, problem, plan, curve = tiny
    path = write_report(plan, ward, tmp_path / "report.html", problem=problem, tradeoff=curve)
    text = path.read_text(encoding="utf-8")
    page = _Page()
    page.feed(text)
    # figures: map, cost by year, trade-off; valid PNGs of a readable size, embedded
    assert len(page.imgs) == 3
    for src in page.imgs:
        assert src.startswith("data:image/png;base64,")
        png = base64.b64decode(src.split(",", 1)[1])
        w, h = _png_size(png)
        assert w >= 500 and h >= 300 and len(png) > 10_000
    # nothing fetched from elsewhere: only data: images and the relative link to the data README
    assert all(u.startswith("data:") or not re.match(r"^[a-z]+:", u) for u in page.urls)
    assert "<script" not in text and "http://" not in text.split("<ul class=\"credits\">")[0]
    # KPI table = the plan's KPIs
    k = plan.kpis
    assert page.kpi["buildings"][:2] == [k.buildings_before, k.buildings_after]
    assert page.kpi["floor_m2"][:2] == [k.floor_before_m2, k.floor_after_m2]
    assert page.kpi["cost_yen"][:2] == pytest.approx([k.cost_before_yen / 1e8, k.cost_after_yen / 1e8], abs=1e-9)
    assert page.kpi["access_person_km"][:2] == [k.access_before_person_km, k.access_after_person_km]
    assert f"{k.cost_after_yen / 1e8:,.1f}" in text
    # decisions: one row per changed facility, new building first, each with its reason
    changed = plan.changes()
    assert sorted(page.rows["decisions changed"]) == sorted(changed["facility_id"])
    assert page.rows["decisions changed"][0] == "CAND-S1"
    assert sorted(page.rows["decisions all"]) == sorted(d.facility_id for d in plan.decisions)
    body = "".join(page.text)
    for r in changed["reason"]:
        assert r in body
    # credits and the imputed-data note
    for s in ward.meta.sources:
        assert s in body
    assert "year_built (1 of 3)" in body
    # deterministic: same input, same bytes
    again = write_report(plan, ward, tmp_path / "again" / "report.html", problem=problem, tradeoff=curve)
    assert again.read_bytes() == path.read_bytes()
    assert write_report(plan, ward, path, problem=problem, tradeoff=curve).read_text(encoding="utf-8") == text


def test_report_escapes_text(tiny, tmp_path):
    ward, problem, plan, _ = tiny
    evil = plan.model_copy(update={"name": "<script>alert(1)</script>"})
    text = write_report(evil, ward, tmp_path / "r.html", problem=problem).read_text(encoding="utf-8")
    assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_report_renders_in_a_real_browser(tiny, tmp_path):
    """Debian's chromium renders the report headless (the test fails when chromium is missing:
    tests/system_tools.py)."""
    import matplotlib.image as mpimg
    import system_tools

    exe = system_tools.chromium()
    ward, problem, plan, curve = tiny
    path = write_report(plan, ward, tmp_path / "report.html", problem=problem, tradeoff=curve)
    shot = tmp_path / "shot.png"
    subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1280,2400",
                    path.resolve().as_uri()], check=True, capture_output=True, timeout=120)
    img = mpimg.imread(shot)
    assert img.shape[:2] == (2400, 1280)
    # not blank: many distinct colours (figures, tables, badges), not one background colour
    colours = np.unique((img[..., :3] * 255).astype(np.uint8).reshape(-1, 3), axis=0)
    assert len(colours) > 200


# ---------------------------------------------------------------------- Nerima
def test_nerima_problem_carries_the_renewal_years():
    from facility_opt.portfolio.build import nerima_problem

    p = nerima_problem()
    r = p.renewal_by_year
    assert r is not None and set(r["site_id"]) <= set(p.sites["site_id"])
    assert r["year"].between(2019, 2048).all()
    n = len(p.sites)
    for is_open in (np.ones(n, bool), np.zeros(n, bool)):
        tot = p.site_costs(is_open, np.zeros(n))["total_yen"].sum()
        assert p.site_costs_by_year(is_open, np.zeros(n))["total_yen"].sum() == pytest.approx(tot, rel=1e-12)


@pytest.mark.slow
def test_nerima_report(tmp_path):
    from facility_opt.loading import load_nerima
    from facility_opt.portfolio.build import nerima_problem

    problem = nerima_problem()
    plan = optimise_portfolio(problem)
    y = cost_by_year(plan, problem)
    assert y["before_yen"].sum() == plan.kpis.cost_before_yen and y["after_yen"].sum() == plan.kpis.cost_after_yen
    ward = load_nerima()
    text = write_report(plan, ward, tmp_path / "report.html", problem=problem).read_text(encoding="utf-8")
    page = _Page()
    page.feed(text)
    assert len(page.imgs) == 2  # map and cost by year (no trade-off given)
    assert sorted(page.rows["decisions changed"]) == sorted(plan.changes()["facility_id"])
    assert "geodata/nerima/README.md" in text
