"""Cost by year, the decision map, facilities for GIS and the HTML report (tiny ward and Nerima)."""

from __future__ import annotations

import base64
import re
import struct
from html.parser import HTMLParser

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from facility_opt.portfolio import optimise_portfolio
from facility_opt.portfolio.yearly import COST_BY_YEAR_COLUMNS, cost_by_year
from facility_opt.report import plan_geodataframe, plan_map, write_facilities_gpkg, write_report
from report_cases import tiny_report_case


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """report_cases.tiny_report_case: the tiny ward with F2 (hall + club) locked closed."""
    return tiny_report_case(tmp_path_factory.mktemp("ward"))


# ---------------------------------------------------------------------- cost by year
def test_tiny_plan_has_the_expected_moves(tiny):
    _, _, plan, _ = tiny
    assert {d.facility_id: d.decision for d in plan.decisions} == {"F1": "host", "F2": "close", "F3": "close"}
    assert {d.facility_id: d.year for d in plan.decisions} == {"F1": 2021, "F2": 2021, "F3": 2021}
    assert [(e.site_id, e.kind, e.status, e.year) for e in plan.events] == [
        ("F1", "rebuild", "done", 2028),
        ("F2", "renovation", "dropped", None),
        ("F2", "rebuild", "dropped", None),
    ]
    assert [(t.site_id, t.service_id, t.from_year, t.to_year) for t in plan.timeline] == [
        ("F1", "after_school_club", 2021, 2048),
        ("F1", "childrens_hall", 2021, 2048),
        ("F1", "primary_education", 2019, 2020),
        ("F1", "primary_education", 2021, 2048),
        ("F2", "after_school_club", 2019, 2020),
        ("F2", "childrens_hall", 2019, 2020),
    ]


def test_cost_by_year_sums_to_the_plan_totals_to_the_yen(tiny):
    _, problem, plan, _ = tiny
    y = cost_by_year(plan, problem)
    assert list(y.columns) == COST_BY_YEAR_COLUMNS
    assert y["year"].tolist() == list(range(2019, 2049))
    assert y["before_yen"].sum() == plan.kpis.cost_before_yen
    assert y["after_yen"].sum() == plan.kpis.cost_after_yen
    sites = plan.frame("sites")
    for k in ("renewal", "running", "fixed", "new_build", "land", "revenue", "deferred", "penalty"):
        assert y[f"{k}_after_yen"].sum() == pytest.approx(sites[f"{k}_yen"].sum(), abs=1.0)
    # renewal follows the renewal events as scheduled: keeping everything does F2's overdue renovation
    # in 2019-2020 and F1's rebuild in 2028-2030, each spread evenly over its works years
    assert [(e.site_id, e.kind, e.status, e.year, e.end_year) for e in plan.baseline_events] == [
        ("F1", "rebuild", "done", 2028, 2030),
        ("F2", "renovation", "done", 2019, 2020),
        ("F2", "rebuild", "done", 2035, 2037),
    ]
    expected = pd.Series(0.0, index=range(2019, 2049))
    for e in plan.baseline_events:
        expected.loc[e.year : e.end_year] += e.cost_yen / (e.end_year - e.year + 1)
    assert np.allclose(y["renewal_before_yen"].to_numpy(), expected.round().to_numpy(), atol=1.0)
    # nothing is built; F1's rebuild (1.98 bn yen) is paid over 2028-2030 in both plans
    row = y.set_index("year")
    assert y["new_build_after_yen"].sum() == 0 and y["land_after_yen"].sum() == 0
    assert row.loc[2028:2030, "renewal_after_yen"].tolist() == [660_000_000] * 3
    assert y["renewal_after_yen"].sum() == 1_980_000_000
    # F2 closes in 2021: its running cost (640 m2 x 8,000 yen) stops, so the plan's running cost drops
    assert row.loc[2020, "running_after_yen"] - row.loc[2021, "running_after_yen"] == 640 * 8000
    assert row.loc[2021, "running_before_yen"] == row.loc[2020, "running_before_yen"]
    # the dropped renovation of F2 (due 2005, overdue) is a penalty charged in its closure year
    assert row.loc[2021, "penalty_after_yen"] == plan.kpis.penalty_after_yen == 8_921_600


def test_site_year_costs_of_the_plan_state_sum_to_the_site_costs(tiny):
    """The plan's costs per site (costs.csv) are its state's yearly costs summed, to the yen."""
    from facility_opt.portfolio.economics import COST_KINDS, site_year_costs

    _, problem, plan, _ = tiny
    c = site_year_costs(problem, plan.state(problem)).groupby("site_id").sum(numeric_only=True)
    b = site_year_costs(problem, plan.state(problem, baseline=True)).groupby("site_id").sum(numeric_only=True)
    for s in plan.sites:
        for k in COST_KINDS:
            assert round(float(c.loc[s.site_id, f"{k}_yen"])) == getattr(s, f"{k}_yen"), (s.site_id, k)
        assert round(float(c.loc[s.site_id, "total_yen"])) == s.cost_after_yen
        assert round(float(b.loc[s.site_id, "total_yen"])) == s.cost_before_yen


def test_spend_by_year_is_the_plans_years_split_by_kind(tiny):
    from facility_opt.report import SPEND_COLUMNS, spend_by_year

    _, problem, plan, _ = tiny
    s = spend_by_year(plan, problem)
    assert list(s.columns) == SPEND_COLUMNS and s["year"].tolist() == list(range(2019, 2049))
    years = plan.frame("years").groupby("year")["spend_yen"].first()
    assert s["spend_yen"].tolist() == years.tolist()
    assert np.allclose(s["renewal_yen"] + s["new_build_yen"] + s["land_yen"], s["spend_yen"], atol=1.0)
    assert s["spend_yen"].max() == plan.kpis.peak_spend_after_yen == 660_000_000
    assert s["baseline_yen"].max() == plan.kpis.peak_spend_before_yen
    # keeping everything renovates F2 (overdue since 2005) in 2019-2020; the plan drops it (F2 closes)
    assert s.set_index("year").loc[2019:2020, "baseline_yen"].tolist() == [54_400_000] * 2
    assert s.set_index("year").loc[2019:2020, "spend_yen"].tolist() == [0, 0]
    assert s["budget_yen"].isna().all()  # no budget in this model
    # without the problem: the plan's own figures only
    bare = spend_by_year(plan)
    assert bare["spend_yen"].tolist() == s["spend_yen"].tolist() and bare["baseline_yen"].isna().all()


def test_plan_moves_say_what_leaves_where_and_when(tiny):
    from facility_opt.report import MOVE_COLUMNS, plan_moves

    _, _, plan, _ = tiny
    m = plan_moves(plan)
    assert list(m.columns) == MOVE_COLUMNS
    assert m.to_dict("records") == [
        {
            "year": 2021,
            "service_id": "after_school_club",
            "kind": "move",
            "from_site": "F2",
            "to_site": "F1",
            "capacity_before": 120.0,
            "capacity_after": 80.0,
        },
        {
            "year": 2021,
            "service_id": "childrens_hall",
            "kind": "move",
            "from_site": "F2",
            "to_site": "F1",
            "capacity_before": 48.229,
            "capacity_after": 6.5,
        },
        {
            "year": 2021,
            "service_id": "primary_education",
            "kind": "capacity",
            "from_site": "F1",
            "to_site": "F1",
            "capacity_before": 500.0,
            "capacity_after": 487.672,
        },
    ]


def test_cost_by_year_refuses_a_plan_of_another_problem(tiny):
    _, problem, plan, _ = tiny
    other = plan.model_copy(update={"sites": [s for s in plan.sites if s.site_id != "CAND-S1"]})
    with pytest.raises(ValueError, match="does not match problem"):
        cost_by_year(other, problem)
    with pytest.raises(ValueError, match="covers 2019"):
        cost_by_year(plan.model_copy(update={"horizon_years": 20}), problem)


# ---------------------------------------------------------------------- GIS
def test_plan_geodataframe_and_gpkg_round_trip(tiny, tmp_path):
    ward, problem, plan, _ = tiny
    g = plan_geodataframe(plan, ward, problem)
    assert g.crs.to_epsg() == 6677
    assert g["facility_id"].tolist() == ["CAND-S1", "F1", "F2", "F3"]  # the one candidate is not used
    assert (
        g.set_index("facility_id").loc["F1", "services_after"] == "after_school_club;childrens_hall;primary_education"
    )
    assert g.geometry.notna().all()
    station = ward.stations.set_index("station_id").geometry["S1"]
    assert g.set_index("facility_id").geometry["CAND-S1"].distance(station) < 1.0
    assert g.set_index("facility_id")["decision"].to_dict() == {
        "CAND-S1": "not_built",
        "F1": "host",
        "F2": "close",
        "F3": "close",
    }
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
    assert any(lab.startswith("candidate site, not used (1)") for lab in labels)
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
        self.years: dict[str, dict[int, list[float]]] = {}  # table class -> year -> its numbers
        self._year: int | None = None
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
        if tag == "tr" and "data-year" in a:
            self._year = int(a["data-year"])
            self.years.setdefault(self._table, {})[self._year] = []
        if tag == "td" and self._year is not None and "data-value" in a:
            self.years[self._table][self._year].append(float(a["data-value"]))

    def handle_endtag(self, tag):
        if tag == "tr":
            self._kpi = None
            self._year = None

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
    # English: the tiny ward's ward.yaml names no language
    assert '<html lang="en">' in text
    # figures: map, cost by year, spend against the budget, capacity per year, timeline, trade-off: valid PNGs
    # of a readable size, embedded
    assert len(page.imgs) == 6
    for src in page.imgs:
        assert src.startswith("data:image/png;base64,")
        png = base64.b64decode(src.split(",", 1)[1])
        w, h = _png_size(png)
        assert w >= 500 and h >= 300 and len(png) > 10_000
    # nothing fetched from elsewhere: only data: images and the relative link to the data README
    assert all(u.startswith("data:") or not re.match(r"^[a-z]+:", u) for u in page.urls)
    # scripts (Leaflet and the map's) are inline: no script, style sheet or frame is loaded from a URL
    assert not re.search(r"<script[^>]*\ssrc=", text) and "<link" not in text and "<iframe" not in text
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
    assert page.rows["decisions changed"] == ["F1", "F2", "F3"]  # hosts first, then closures
    assert sorted(page.rows["decisions all"]) == sorted(d.facility_id for d in plan.decisions)
    body = "".join(page.text)
    for r in changed["reason"]:
        assert r in body
    assert page.kpi["peak_spend_yen"][:2] == [6.6, 6.6]
    assert page.kpi["penalty_yen"][:2] == pytest.approx([0.0, 0.089216])
    # spend per year (oku-yen): spend, renewal, new floor and land, (no budget: no figure), baseline
    spend = page.years["spend"]
    assert sorted(spend) == list(range(2019, 2049))
    assert spend[2019] == [0.0, 0.0, 0.0, 0.544] and spend[2028] == [6.6, 6.6, 0.0, 6.6]
    # capacity and coverage per year and service: demand, capacity, minimum, covered %, sites
    assert page.years["years childrens_hall"][2020] == [6.5, 48.229, 0.0, 100.0, 1]
    assert page.years["years childrens_hall"][2021] == [6.5, 6.5, 0.0, 100.0, 1]
    assert sorted(page.years["years primary_education"]) == list(range(2019, 2049))
    # the moves: the hall and the club leave F2 for F1 in 2021
    assert "Timeline of moves" in body and "Nursery places per year" not in body  # no nursery in this model
    assert sorted(page.years["moves"]) == [2021]
    assert "Renewal events (3: 1 done, 2 dropped)" in body
    # credits and the imputed-data note
    for s in ward.meta.sources:
        assert s in body
    assert "year_built (1 of 3)" in body
    # deterministic: same input, same bytes
    again = write_report(plan, ward, tmp_path / "again" / "report.html", problem=problem, tradeoff=curve)
    assert again.read_bytes() == path.read_bytes()
    assert write_report(plan, ward, path, problem=problem, tradeoff=curve).read_text(encoding="utf-8") == text


def test_report_shows_nursery_places_per_year(tiny, tmp_path):
    """A plan with a nursery service gets a table of places per year (here the hall renamed)."""
    ward, problem, plan, _ = tiny
    years = [
        y.model_copy(update={"service_id": "nursery"}) if y.service_id == "childrens_hall" else y for y in plan.years
    ]
    text = write_report(plan.model_copy(update={"years": years}), ward, tmp_path / "r.html").read_text("utf-8")
    page = _Page()
    page.feed(text)
    # children, places, spare, minimum, covered %, sites
    assert page.years["nursery"][2019] == [6.5, 48.229, 41.729, 0.0, 100.0, 1]
    assert page.years["nursery"][2048] == [6.5, 6.5, 0.0, 0.0, 100.0, 1]
    assert "lowest coverage 100.0 % in 2019" in text
    # without the problem: no split by kind and no baseline, the plan's own spend still shown
    assert page.years["spend"][2028] == [6.6]


def test_report_escapes_text(tiny, tmp_path):
    ward, problem, plan, _ = tiny
    evil = plan.model_copy(update={"name": "<script>alert(1)</script>"})
    text = write_report(evil, ward, tmp_path / "r.html", problem=problem).read_text(encoding="utf-8")
    assert "<script>alert(1)" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    # a facility name cannot close the map's data script either (the JSON escapes "<")
    bad = "</script><script>alert(2)</script>"
    decisions = [d.model_copy(update={"name": bad}) if d.facility_id == "F2" else d for d in plan.decisions]
    text = write_report(
        plan.model_copy(update={"decisions": decisions}), ward, tmp_path / "r2.html", problem=problem
    ).read_text(encoding="utf-8")
    assert "<script>alert(2)" not in text and "\\u003c/script>\\u003cscript>alert(2)" in text


# ---------------------------------------------------------------------- Nerima
def test_nerima_problem_carries_the_renewal_events():
    """The Nerima problem has the renewal events of its existing sites; keeping everything (every
    event in its due year where the window allows) costs per year what its sites cost in total."""
    from facility_opt.portfolio.build import nerima_problem
    from facility_opt.portfolio.economics import PlanState, capital_by_year, site_year_costs

    p = nerima_problem()
    ev = p.events
    assert len(ev) and set(ev["site_id"]) <= set(p.sites.loc[p.sites["kind"] == "existing", "site_id"])
    assert set(ev["kind"]) == {"renovation", "rebuild"} and (ev["cost_yen"] > 0).all()
    P = len(p.policy.periods())
    existing = p.sites["kind"].eq("existing").to_numpy()
    due = np.maximum(ev["due_year"].to_numpy(), p.policy.start_year)
    st = PlanState(
        open=np.repeat(existing[:, None], P, axis=1),
        floor=pd.DataFrame(columns=["site_id", "year", "added_m2", "how", "works_start", "works_years"]),
        events=pd.DataFrame(
            {
                "status": np.where(due <= p.policy.end_year, "done", "deferred"),
                "year": np.where(due <= p.policy.end_year, due, np.nan),
                "variant": 0,
                "closure_year": None,
            }
        ),
    )
    c = site_year_costs(p, st)
    assert c["year"].between(2019, 2048).all() and len(c) == 30 * len(p.sites)
    # every event is paid: in the horizon (renewal) or after it (deferred, or works running past 2048)
    assert c["renewal_yen"].sum() + c["deferred_yen"].sum() == pytest.approx(ev["cost_yen"].sum(), rel=1e-9)
    assert c["renewal_yen"].sum() < ev["cost_yen"].sum()
    money = capital_by_year(p, st)
    assert money["spend_yen"].sum() == pytest.approx(c["renewal_yen"].sum(), rel=1e-12)


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
    assert len(page.imgs) == 5  # map, cost by year, spend, capacity per year, timeline (no trade-off given)
    nursery = page.years["nursery"]
    assert sorted(nursery) == list(range(plan.start_year, plan.start_year + plan.horizon_years))
    places = {y.year: y.capacity for y in plan.years if y.service_id == "nursery"}
    assert {y: v[1] for y, v in nursery.items()} == places
    assert min(places.values()) >= 6676  # the model's minimum of nursery places
    assert sorted(page.rows["decisions changed"]) == sorted(plan.changes()["facility_id"])
    assert "geodata/nerima/README.md" in text
    # Nerima's ward.yaml says ja: the report is Japanese, with the ward's published figures beside the model's
    assert '<html lang="ja">' in text and "区の公共施設の全体像" in text and "約6,450億円" in text
    assert "中学校区" in text  # results by junior-high district
