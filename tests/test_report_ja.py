"""The report in Japanese and English, its planners' sections, the interactive map (in a real
browser, with no network) and ``plan.explore()`` (tiny ward; Nerima's files only where read fast)."""

from __future__ import annotations

import re
import string
import subprocess
from html.parser import HTMLParser
from types import SimpleNamespace

import numpy as np
import pytest

from facility_opt.catalogue import default_catalogue
from facility_opt.i18n import (
    DECISION_LABELS,
    MESSAGES,
    SAVING_KIND_LABELS,
    chart_style,
    japanese_font_path,
    report_language,
    tr,
)
from facility_opt.report import write_report
from facility_opt.report.sections import area_results, context_rows, freed_sites
from report_cases import tiny_report_case

JAPANESE = re.compile(r"[\u3000-\u30ff\u4e00-\u9fff\uff00-\uffef]")  # kana, kanji, Japanese punctuation


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return tiny_report_case(tmp_path_factory.mktemp("ward"))


@pytest.fixture(scope="module")
def tiny_ja(tiny, tmp_path_factory):
    ward, problem, plan, curve = tiny
    path = tmp_path_factory.mktemp("ja") / "report.html"
    return write_report(plan, ward, path, problem=problem, tradeoff=curve, lang="ja")


class _Text(HTMLParser):
    """Headings, table headers, summaries and all visible text of a page (scripts and styles left out)."""

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.by_tag: dict[str, list[str]] = {}
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.stack.append(tag)
        if tag in ("h1", "h2", "h3", "th", "summary", "figcaption", "td"):
            self.by_tag.setdefault(tag, []).append("")

    def handle_endtag(self, tag):
        while self.stack and self.stack.pop() != tag:
            pass

    def handle_data(self, data):
        if any(t in ("script", "style") for t in self.stack):
            return
        self.text.append(data)
        for t in reversed(self.stack):
            if t in self.by_tag:
                self.by_tag[t][-1] += data
                break


def _page(text: str) -> _Text:
    p = _Text()
    p.feed(text)
    return p


# ---------------------------------------------------------------------- the message table
def test_every_catalogue_service_and_category_has_a_japanese_name():
    cat = default_catalogue()
    for table in (cat.services, cat.categories):
        for key, item in table.items():
            assert JAPANESE.search(item.name_ja), (key, item.name_ja)
            assert item.name_ja != item.name


def test_messages_have_both_languages_with_the_same_fields():
    fields = lambda s: sorted(f for _, f, _, _ in string.Formatter().parse(s) if f)  # noqa: E731
    for key, (en, ja) in MESSAGES.items():
        assert JAPANESE.search(ja) or ja in ("m²", "%", "ID", "{label} {n}"), key
        assert en or key == "reason_lang_note", key
        if en:
            assert fields(en) == fields(ja), key
    for table in (DECISION_LABELS, SAVING_KIND_LABELS):
        for key, (en, ja) in table.items():
            assert en and JAPANESE.search(ja), key
    assert tr("card_saved", "ja", years=30, share="3.9") == "30年間の削減額（3.9 %）"
    assert tr("card_saved", "en", years=30, share="3.9") == "saved over 30 years (3.9 %)"


def test_report_language_follows_the_ward_unless_asked():
    ja_ward, en_ward = (SimpleNamespace(meta=SimpleNamespace(language=x)) for x in ("ja", None))
    assert report_language(ja_ward) == "ja" and report_language(en_ward) == "en"
    assert report_language(ja_ward, "en") == "en" and report_language(en_ward, "ja") == "ja"
    with pytest.raises(ValueError, match="unknown report language 'fr'"):
        report_language(en_ward, "fr")
    from facility_opt.resources import nerima_dir
    from facility_opt.schema import WardMeta
    from facility_opt.yamlio import load_yaml_model

    assert load_yaml_model(nerima_dir() / "ward.yaml", WardMeta, "ward").language == "ja"


def test_japanese_charts_use_the_packaged_font():
    """IPAexGothic from matplotlib-fontja draws the Japanese glyphs (no tofu): each character of a
    Japanese title maps to a real glyph of that font, and the global font setting is left alone."""
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties, findfont
    from matplotlib.ft2font import FT2Font

    path = japanese_font_path()
    assert path.is_file() and path.name == "ipaexg.ttf"
    before = list(matplotlib.rcParams["font.family"])
    with chart_style("ja"):
        fig = Figure()
        t = fig.subplots().set_title("年度別の費用：億円")
        fig.canvas.draw()
        used = findfont(FontProperties(family=matplotlib.rcParams["font.family"]))
    assert used == str(path)
    font = FT2Font(used)
    assert all(font.get_char_index(ord(c)) > 0 for c in t.get_text())
    assert list(matplotlib.rcParams["font.family"]) == before


def test_ward_map_in_japanese(tiny):
    """plot_ward(lang="ja"): categories by their catalogue name_ja, Japanese labels, every text in
    the packaged font (the figure is shown later, outside any rc context)."""
    import matplotlib.pyplot as plt
    from matplotlib.text import Text

    from facility_opt.figures import plot_ward

    ward = tiny[0]
    ax = plot_ward(ward, lang="ja")
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["町丁目（大きさ＝人口）", "学童クラブ(単独) (1)", "児童館 (1)", "小学校 (1)", "駅（2）"]
    assert ax.get_title() == "極小区：施設・町丁目・駅"
    assert {t.get_fontfamily()[0] for t in ax.figure.findobj(Text)} == {"IPAexGothic"}
    plt.close(ax.figure)


# ---------------------------------------------------------------------- the Japanese page
def test_japanese_report_has_no_english_titles(tiny_ja, tiny):
    text = tiny_ja.read_text(encoding="utf-8")
    assert '<html lang="ja">' in text
    page = _page(text)
    headings = page.by_tag["h1"] + page.by_tag["h2"] + page.by_tag["h3"] + page.by_tag["summary"]
    assert headings and all(JAPANESE.search(h) for h in headings), [h for h in headings if not JAPANESE.search(h)]
    english = {en for key, (en, ja) in MESSAGES.items() if key.startswith("h_") and en != ja}
    assert not english & set(headings)
    # table headers: every English header of the message table is gone
    heads = set(page.by_tag["th"])
    en_heads = {en for key, (en, ja) in MESSAGES.items() if key.startswith(("col_", "kpi_")) and en != ja}
    assert not heads & en_heads, heads & en_heads
    body = "".join(page.text)
    # 億円, service names from the catalogue's name_ja, decisions in Japanese
    assert "億円" in body and "oku-yen" not in body
    for name in ("小学校教育", "児童館機能", "学童クラブ"):
        assert name in body
    assert "廃止" in body and "複合化（他施設の機能を受け入れ）" in body
    assert "定員の変化（現状維持と計画）" in body and "地区別の結果" in body and "跡地の活用" in body


def test_english_report_stays_english(tiny, tmp_path):
    ward, problem, plan, _ = tiny
    text = write_report(plan, ward, tmp_path / "r.html", problem=problem, lang="en").read_text(encoding="utf-8")
    page = _page(text)
    headings = page.by_tag["h2"]
    assert "Places (定員) before and after" in headings and "Results by area" in headings
    assert not any(JAPANESE.search(h) for h in headings if "定員" not in h and "跡地" not in h)


# ---------------------------------------------------------------------- planners' sections
def test_places_section_shows_register_keep_and_plan(tiny_ja, tiny):
    """Places per service: register (conftest: school 500, hall 60, club 40), keeping everything
    and the plan in 2048 (plan.kpis), the plan in 2019 and 2048 (plan.years), demand in 2048."""
    _, _, plan, _ = tiny
    text = tiny_ja.read_text(encoding="utf-8")
    rows = dict(
        re.findall(
            r'<tr data-service="(\w+)"><td>[^<]*</td><td>[^<]*</td>(.*?)</tr>',
            text.split('<table class="places">')[1].split("</table>")[0],
        )
    )
    values = {k: [float(v) for v in re.findall(r'data-value="([^"]+)"', cells)] for k, cells in rows.items()}
    kp = {s.service_id: s for s in plan.kpis.services}
    yr = {(y.service_id, y.year): y for y in plan.years}
    for k, now in (("primary_education", 500.0), ("childrens_hall", 60.0), ("after_school_club", 40.0)):
        keep, last = kp[k].capacity_before, yr[(k, 2048)].capacity
        assert values[k] == pytest.approx([now, keep, yr[(k, 2019)].capacity, last, last - keep, yr[(k, 2048)].demand])
    # the hall: 60 places in the register; the plan keeps 6.5 (its demand) at F1 from 2021
    assert values["childrens_hall"][3] == 6.5
    assert "人（児童・生徒）" in text and "人（同時利用）" in text  # units in Japanese


def test_area_results_sum_the_decisions_per_school_district(tiny):
    """One primary school (F1) = one district: all three facilities, two closed, one host; floor
    6,640 → 6,000 m²; the districts' savings add up to the plan's."""
    _, problem, plan, _ = tiny
    service, a = area_results(plan, problem)
    assert service == "primary_education"
    assert a[["district", "district_name", "facilities", "closed", "new", "hosts", "converted"]].values.tolist() == [
        ["F1", "West school", 3, 2, 0, 1, 0]
    ]
    assert a["floor_before_m2"].tolist() == [6640.0] and a["floor_after_m2"].tolist() == [6000.0]
    assert a["saving_yen"].sum() == pytest.approx(plan.kpis.saving_yen, abs=1.0)


def test_freed_sites_name_area_tenure_and_outcome(tiny, tmp_path):
    """F2's building (the hall and the club) closes in 2021: its 900 m² site is leased land
    (conftest: land_tenure leased), so it goes back to its owner and brings nothing."""
    ward, problem, plan, _ = tiny
    f = freed_sites(plan, problem)
    assert f.to_dict("records") == [
        {
            "site_id": "F2",
            "name": "East hall",
            "closes": 2021,
            "site_area_m2": 900.0,
            "tenure": "not_owned",
            "outcome": "returned",
            "need_id": "",
            "value_yen": 0.0,
        }
    ]
    # a plan without its own per-site choice (written before disposal was a decision): owned and
    # separable, the plan's land policy (sell) applies; owned but shared: nothing to sell
    bare = plan.model_copy(update={"freed_sites": []})
    owned = problem.replace(sites=problem.sites.assign(owned=True, sellable=True))
    assert freed_sites(bare, owned)[["tenure", "outcome"]].values.tolist() == [["owned", "sell"]]
    shared = problem.replace(sites=problem.sites.assign(owned=True, sellable=False))
    assert freed_sites(bare, shared)[["tenure", "outcome"]].values.tolist() == [["shared", "not_separable"]]
    # a plan that records its own choice per site (plan.freed_sites) is shown as it is
    row = SimpleNamespace(
        site_id="F2",
        name="East hall",
        closure_year=2021,
        site_area_m2=900.0,
        owned=True,
        separable=True,
        choice="reuse",
        need_id="nursery_annex",
        value_yen=2.5e8,
    )
    chosen = SimpleNamespace(sites=plan.sites, policy=plan.policy, freed_sites=[row])
    assert freed_sites(chosen, problem).to_dict("records") == [
        {
            "site_id": "F2",
            "name": "East hall",
            "closes": 2021,
            "site_area_m2": 900.0,
            "tenure": "owned",
            "outcome": "reuse",
            "need_id": "nursery_annex",
            "value_yen": 2.5e8,
        }
    ]
    text = write_report(plan, ward, tmp_path / "r.html", problem=problem, lang="ja").read_text(encoding="utf-8")
    freed = text.split('<table class="freed">')[1].split("</table>")[0]
    assert "East hall" in freed and "借地を返還" in freed and 'data-value="900.0"' in freed


def test_decision_summaries_in_japanese(tiny_ja, tiny):
    """Written from the plan's assignments and works: F2 and F3 close in 2021, the residents of their
    hall and club are served at the school F1 from then, which is rebuilt 2028-2030; savings
    480,748,571 and 57,689,829 yen."""
    from facility_opt.report.decisions import decision_summaries

    _, _, plan, _ = tiny
    names = {"primary_education": "小学校教育", "childrens_hall": "児童館機能", "after_school_club": "学童クラブ"}
    assert decision_summaries(plan, "ja", names) == {
        "F1": "2021年度に複合化（他施設の機能を受け入れ）。East hall（F2）から学童クラブを受け入れ。"
        "East hall（F2）から児童館機能を受け入れ。改築（2028–2030年度）。",
        "F2": "2021年度に廃止。児童館機能の利用者はWest school（F1）へ。削減額 +4.81億円。",
        "F3": "2021年度に廃止。学童クラブの利用者はWest school（F1）へ。削減額 +0.58億円。",
    }
    text = tiny_ja.read_text(encoding="utf-8")
    assert (
        '<td class="summary">2021年度に廃止。児童館機能の利用者はWest school（F1）へ。削減額 +4.81億円。</td>' in text
    )


def test_imputed_decisions_are_listed(tiny_ja):
    """F2 rests on its imputed year_built, F3 also on its imputed capacity (conftest)."""
    text = tiny_ja.read_text(encoding="utf-8")
    table = text.split('<table class="imputed">')[1].split("</table>")[0]
    assert re.findall(r'data-facility="(\w+)"', table) == ["F2", "F3"]
    assert "F2.year_built, F3.capacity" in table


def test_ward_context_from_the_ward_folder(tiny, tmp_path):
    """Without context.yaml the section says the figures are absent; with one it shows them with
    their sources, after what the plan models (3 facilities in 3 buildings or units, 6,640 m²)."""
    ward, problem, plan, _ = tiny
    absent = write_report(plan, ward, tmp_path / "a.html", problem=problem, lang="en").read_text(encoding="utf-8")
    assert "are not in the data (no context.yaml in the ward folder)" in absent
    ctx = (
        "items:\n  - {key: b, value: 690, approx: true, unit: count, label: Ward buildings, label_ja: 区立施設数,"
        " source: 'ward plan 2016'}\n  - {key: r, value: 645000000000, unit: yen, label: Renewal 30 years,"
        " label_ja: 30年間の更新費用, source: 取組12}\n"
    )
    ward2 = tiny_report_case(tmp_path / "ctx", {"context.yaml": ctx})[0]
    rows = context_rows(plan, ward2, "ja")
    assert [(r[1], r[3]) for r in rows[:3]] == [("3", "この計算"), ("3", "この計算"), ("6,640 m²", "この計算")]
    assert [(r[0], r[1], r[3]) for r in rows[4:]] == [
        ("区立施設数", "約690", "ward plan 2016"),
        ("30年間の更新費用", "6,450億円", "取組12"),
    ]
    en = context_rows(plan, ward2, "en")
    assert [r[1] for r in en[4:]] == ["about 690", "6,450 oku-yen"]


def test_nerima_context_file_carries_the_wards_figures():
    """geodata/nerima/context.yaml: ~690 buildings, 1,182,129 m², 6,450億円 over 30 years, 215 vs 52億円 a year."""
    from facility_opt.context import load_ward_context
    from facility_opt.resources import nerima_dir

    ctx = load_ward_context(SimpleNamespace(source=nerima_dir()))
    v = {i.key: i.value for i in ctx.items}
    assert v == {
        "buildings": 690,
        "floor_area_m2": 1182129,
        "renewal_30y_yen": 645e9,
        "renewal_needed_per_year_yen": 215e8,
        "renewal_spent_per_year_yen": 52e8,
    }
    assert v["renewal_30y_yen"] / 30 == pytest.approx(v["renewal_needed_per_year_yen"], rel=1e-3)
    assert all(i.source for i in ctx.items)


# ---------------------------------------------------------------------- the interactive map
def test_map_data_has_every_facility_zone_and_station(tiny):
    from facility_opt.report.webmap import leaflet_assets, map_data

    ward, problem, plan, _ = tiny
    d = map_data(plan, ward, problem, lang="ja")
    assert sorted((f["id"], f["decision"], f["year"]) for f in d["facilities"]) == [
        ("CAND-S1", "not_built", None),
        ("F1", "host", 2021),
        ("F2", "close", 2021),
        ("F3", "close", 2021),
    ]
    assert [x["id"] for x in d["decisions"]] == ["host", "close", "not_built"]
    assert {s["id"]: s["name"] for s in d["services"]} == {
        "after_school_club": "学童クラブ",
        "childrens_hall": "児童館機能",
        "primary_education": "小学校教育",
    }
    f1 = next(f for f in d["facilities"] if f["id"] == "F1")
    assert f1["segments"] == [
        ["after_school_club", 2021, 2048],
        ["childrens_hall", 2021, 2048],
        ["primary_education", 2019, 2020],
        ["primary_education", 2021, 2048],
    ]
    # F1 is at 35.740 N, 139.604 E (conftest)
    assert (f1["lat"], f1["lon"]) == pytest.approx((35.740, 139.604), abs=1e-6)
    assert len(d["zones"]) == 4 and len(d["stations"]) == 2
    assert all(z["covered"] == 1.0 for z in d["zones"])  # the plan covers everyone
    # a decision kind the message table does not know yet is shown by its name, in grey
    from facility_opt.report.webmap import decision_kinds

    assert decision_kinds(["close", "merge", "host", "close"]) == ["host", "close", "merge"]
    odd = [x.model_copy(update={"decision": "merge"}) if x.facility_id == "F3" else x for x in plan.decisions]
    dd = map_data(plan.model_copy(update={"decisions": odd}), ward, problem, lang="ja")
    assert dd["decisions"][-1] == {"id": "merge", "label": "merge", "colour": "#7f7f7f"}
    js, css = leaflet_assets()
    assert "circleMarker" in js and "url(images/" not in css and "url(data:image/png;base64," in css


#: a facility marker drawn by Leaflet: an SVG path whose class names the decision
FAC = r'<path class="fo-fac fo-d-(\w+) leaflet-interactive"'


def _with_gaps(plan):
    """The tiny plan with made-up coverage gaps: Z1 half outside the standards in 2019-2020, Z2 a
    fifth in 2019 (the plan covers everyone; gaps like these come from the years before it acts)."""
    from facility_opt.portfolio.rows import Uncovered

    gaps = [
        Uncovered(
            zone_id="Z1",
            service_id="childrens_hall",
            from_year=2019,
            to_year=2020,
            share=0.5,
            population=100.0,
            demand=5.0,
        ),
        Uncovered(
            zone_id="Z2",
            service_id="after_school_club",
            from_year=2019,
            to_year=2019,
            share=0.2,
            population=100.0,
            demand=5.0,
        ),
    ]
    return plan.model_copy(update={"uncovered": gaps})


def test_zone_coverage_by_year(tiny):
    from facility_opt.report.webmap import map_layers

    ward, problem, plan, _ = tiny
    z = map_layers(_with_gaps(plan), ward, problem)["zones"].set_index("zone_id")
    assert z["covered"].tolist() == [1.0, 1.0, 1.0, 1.0]  # the last year: everyone within the standards
    assert z["covered_worst"].tolist() == [0.5, 0.8, 1.0, 1.0]
    assert z.loc["Z1", "gaps"] == "[[2019,2020,0.5]]" and z.loc["Z3", "gaps"] == "[]"


def _chromium(exe: str, tmp_path, *args: str) -> subprocess.CompletedProcess:
    """Headless chromium with every network request failing (no DNS, a dead proxy)."""
    return subprocess.run(
        [
            exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--proxy-server=http://127.0.0.1:9",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=8000",
            *args,
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )


def test_report_renders_in_a_real_browser_without_network(tiny_ja, tiny, tmp_path):
    """Debian's chromium (tests/system_tools.py) renders the Japanese report with the network cut:
    the map is built, with one layer per decision kind, the town blocks and stations, the tiles
    only offered; a marker per facility; choosing a year shows the facilities open then; the page's
    text is the Japanese report; the screenshot is the page, not a blank one."""
    import matplotlib.image as mpimg

    import system_tools

    exe = system_tools.chromium()
    system_tools.japanese_font()  # else the screenshot's Japanese text is empty boxes
    ward, problem, plan, _ = tiny
    url = tiny_ja.resolve().as_uri()
    dom = _chromium(exe, tmp_path, "--dump-dom", url).stdout.decode("utf-8")
    assert re.search(r'id="fo-map"[^>]*data-ready="1"', dom) or re.search(r'data-ready="1"[^>]*id="fo-map"', dom)
    # markers drawn by Leaflet (SVG paths with the decision in their class)
    marks = re.findall(FAC, dom)
    assert sorted(marks) == ["close", "close", "host", "not_built"]
    assert len(re.findall(r'<path class="fo-zone leaflet-interactive"', dom)) == 4
    assert len(re.findall(r'<path class="fo-station leaflet-interactive"', dom)) == 2
    assert 'data-shown="4"' in dom
    # the layer control: decision kinds with their counts, zones, stations, boundary, optional tiles
    labels = [re.sub(r"<[^>]+>", "", x).strip() for x in re.findall(r"<label>(.*?)</label>", dom)]
    for want in (
        "複合化（他施設の機能を受け入れ） (1)",
        "廃止 (2)",
        "候補地（使用せず） (1)",
        "町丁目：充足率",
        "駅",
        "区境",
        "背景地図（OpenStreetMap、オンライン時のみ）",
    ):
        assert want in labels, (want, labels)
    assert not re.search(r"<img[^>]*leaflet-tile", dom)  # no tile asked for
    text = _page(dom)
    body = "".join(text.text)
    assert "地図で見る施設の方針" in body and "主要指標（現状維持との比較）" in body and "定員の変化" in body
    # a year: in 2030 only the school F1 is open (F2, F3 closed in 2021; the candidate unused)
    dom2030 = _chromium(exe, tmp_path, "--dump-dom", url + "#year=2030").stdout.decode("utf-8")
    assert re.findall(FAC, dom2030) == ["host"]
    assert 'data-shown="1"' in dom2030
    dom2020 = _chromium(exe, tmp_path, "--dump-dom", url + "#year=2020").stdout.decode("utf-8")
    assert sorted(re.findall(FAC, dom2020)) == ["close", "close", "host"]
    # town blocks shaded by the year's coverage: Z1 (half outside in 2019-2020) red in 2019, green by 2030
    gap_page = write_report(_with_gaps(plan), ward, tmp_path / "gaps.html", problem=problem, lang="ja").resolve()
    fills = lambda d: re.findall(r'<path class="fo-zone leaflet-interactive"[^>]*fill="(#\w+)"', d)  # noqa: E731
    d2019 = _chromium(exe, tmp_path, "--dump-dom", gap_page.as_uri() + "#year=2019").stdout.decode("utf-8")
    assert sorted(fills(d2019)) == sorted(["#e53935", "#ff9800", "#4caf50", "#4caf50"])  # Z1 50 %, Z2 80 %
    d2030 = _chromium(exe, tmp_path, "--dump-dom", gap_page.as_uri() + "#year=2030").stdout.decode("utf-8")
    assert fills(d2030) == ["#4caf50"] * 4
    # the screenshot: the page at its size, with figures, tables and the map (many colours)
    shot = tmp_path / "shot.png"
    _chromium(exe, tmp_path, f"--screenshot={shot}", "--window-size=1280,2400", url)
    img = mpimg.imread(shot)
    assert img.shape[:2] == (2400, 1280)
    colours = np.unique((img[..., :3] * 255).astype(np.uint8).reshape(-1, 3), axis=0)
    assert len(colours) > 200


def test_plan_explore_returns_a_folium_map_with_the_layers(tiny):
    folium = pytest.importorskip("folium", reason="plan.explore needs the 'map' extra (folium, mapclassify)")
    ward, problem, plan, _ = tiny
    m = plan.explore(ward, problem, lang="ja", tiles=None)
    assert isinstance(m, folium.Map)
    names = [
        c.layer_name
        for c in m._children.values()
        if getattr(c, "layer_name", None) and not isinstance(c, folium.LayerControl)
    ]
    assert names == [
        "町丁目：充足率",
        "区境",
        "複合化（他施設の機能を受け入れ） (1)",
        "廃止 (2)",
        "候補地（使用せず） (1)",
        "学童クラブ",
        "児童館機能",
        "小学校教育",
        "駅",
    ]
    assert any(isinstance(c, folium.LayerControl) for c in m._children.values())
    page = m.get_root().render()
    assert "West school" in page and "East hall" in page
    en = plan.explore(ward, problem, tiles=None)  # the tiny ward's default: English
    assert "closed (2)" in [getattr(c, "layer_name", None) for c in en._children.values()]


# ---------------------------------------------------------------------- the command line
def test_run_lang_and_report_command(tiny_model, tmp_path):
    """`run --lang ja` writes a Japanese report; `report` writes it again in English from the saved
    plan (no solve), and the numbers do not change."""
    from typer.testing import CliRunner

    from facility_opt.cli import app

    runner = CliRunner()
    out = tmp_path / "run"
    res = runner.invoke(app, ["run", str(tiny_model), "--out", str(out), "--lang", "ja"])
    assert res.exit_code == 0, res.output
    ja = (out / "report.html").read_text(encoding="utf-8")
    assert '<html lang="ja">' in ja and "主要指標" in ja
    res = runner.invoke(app, ["report", str(out), str(tiny_model), "--lang", "en", "--out", str(tmp_path / "en.html")])
    assert res.exit_code == 0, res.output
    en = (tmp_path / "en.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in en and "Headline figures against keeping everything" in en
    kpi = lambda t: re.findall(r'<tr data-kpi="(\w+)">.*?data-value="([^"]+)".*?data-value="([^"]+)"', t)  # noqa: E731
    assert kpi(ja) == kpi(en) and len(kpi(ja)) == 9
    # rewriting in the run's language gives the run's bytes
    res = runner.invoke(app, ["report", str(out), str(tiny_model), "--lang", "ja", "--out", str(tmp_path / "ja.html")])
    assert res.exit_code == 0 and (tmp_path / "ja.html").read_text(encoding="utf-8") == ja
    bad = runner.invoke(app, ["report", str(tmp_path), str(tiny_model)])
    assert bad.exit_code == 1 and "not a run folder (no plan.json)" in bad.output
    other = runner.invoke(app, ["report", str(out)])  # the default model (nerima) is not the run's
    assert other.exit_code == 1 and "made with planning model 'tiny', not 'nerima'" in other.output
