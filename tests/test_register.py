"""An Excel facility register (施設台帳) as a ward's facilities: mapping, errors in Excel's terms,
and the round trip read → validate → run → workbook."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from openpyxl import Workbook, load_workbook
from typer.testing import CliRunner

from facility_opt.cli import app
from facility_opt.errors import DataValidationError
from facility_opt.loading import read_ward
from facility_opt.register import _cell_text, default_mapping_path, load_mapping

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "examples" / "register"
SHEET = "施設台帳"
runner = CliRunner()


def _era(text: str) -> int:
    """The test's own reading of the sample's era years (昭和 and 平成 only)."""
    first = {"昭和": 1925, "平成": 1988}[text[:2]]
    return first + int(text[2:].rstrip("年"))


def _rows(path: Path, header_row: int = 2) -> list[dict]:
    ws = load_workbook(path)[SHEET]
    cells = list(ws.iter_rows(values_only=True))
    header = cells[header_row - 1]
    return [dict(zip(header, r), excel_row=i) for i, r in enumerate(cells[header_row:], start=header_row + 1)]


@pytest.fixture
def sample(tmp_path) -> Path:
    return Path(shutil.copytree(SAMPLE, tmp_path / "register"))


def _edit(folder: Path, row: int, header: str, value) -> None:
    """Set one cell of the register (row as Excel numbers it, column by its header)."""
    path = folder / "facilities.xlsx"
    wb = load_workbook(path)
    ws = wb[SHEET]
    col = [c.value for c in ws[2]].index(header) + 1
    ws.cell(row=row, column=col, value=value)
    wb.save(path)


# ---------------------------------------------------------------------- reading
def test_sample_register_reads_through_its_mapping():
    ward = read_ward(SAMPLE)
    rows = _rows(SAMPLE / "facilities.xlsx")
    fac = ward.facilities.set_index("facility_id")
    svc = ward.facility_services.set_index("facility_id")
    mapping = yaml.safe_load((SAMPLE / "facilities.mapping.yaml").read_text(encoding="utf-8"))
    assert sorted(fac.index) == sorted(r["施設番号"] for r in rows) and len(rows) == 23
    for r in rows:
        f = fac.loc[r["施設番号"]]
        assert f["name"] == r["施設名称"] and f["address"] == r["所在地"]
        assert f["category"] == mapping["values"]["category"][r["施設分類"]]
        assert f["year_built"] == _era(r["建築年度"])
        assert f["floor_area_m2"] == r["延床面積（㎡）"]
        assert f["land_tenure"] == {"区有地": "owned", "借地": "leased"}[r["土地"]]
        assert f["imputed"] == (r["補完項目"] or "")
        assert svc.loc[r["施設番号"], "service_id"] == mapping["services"][f["category"]]
        assert svc.loc[r["施設番号"], "capacity"] == r["定員"]
    assert ward.source == SAMPLE and "備考" not in ward.facilities.columns


@pytest.mark.parametrize(
    "value, kind, text",
    [
        ("昭和46年", "year", "1971"),
        ("平成元年", "year", "1989"),
        ("H5", "year", "1993"),
        ("Ｓ４３", "year", "1968"),
        ("1968年度", "year", "1968"),
        (dt.datetime(1975, 4, 1), "year", "1975"),
        (1968.0, "year", "1968"),
        ("6,123.5", "number", "6123.5"),
        ("１２０", "number", "120"),
        (90.46, "number", "90.46"),
        (40.0, "number", "40"),
        (None, "number", ""),
        ("  小学校 ", "text", "小学校"),
        (dt.date(2020, 1, 2), "text", "2020-01-02"),
    ],
)
def test_cells_read_as_the_user_sees_them(value, kind, text):
    assert _cell_text(value, kind) == text


def test_default_mapping_reads_a_register_with_common_headers(tiny_ward_dir):
    """The conftest tiny ward with its facilities as a plain export (default headers, first sheet,
    no mapping file) reads into the same facilities and services as from its CSV files."""
    from_csv = read_ward(tiny_ward_dir)
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append(
        [
            "施設番号",
            "施設名",
            "施設分類",
            "延床面積",
            "建築年",
            "敷地面積",
            "土地所有",
            "年間運営費(円)",
            "年間利用者数",
            "所在地",
            "建物番号",
            "緯度",
            "経度",
            "定員",
            "構造",
        ]
    )
    label = {"primary_school": "小学校", "childrens_hall": "児童館", "after_school_club": "学童クラブ"}
    tenure = {"owned": "区有地", "leased": "借地"}
    raw = pd.read_csv(tiny_ward_dir / "facilities.csv", dtype=str, keep_default_na=False)
    caps = pd.read_csv(tiny_ward_dir / "facility_services.csv").set_index("facility_id")["capacity"]
    for r in raw.itertuples():
        ws.append(
            [
                r.facility_id,
                r.name,
                label[r.category],
                float(r.floor_area_m2),
                dt.datetime(int(r.year_built), 4, 1),
                float(r.site_area_m2) if r.site_area_m2 else None,
                tenure.get(r.land_tenure),
                r.operating_cost_yen or None,
                r.annual_users or None,
                r.address,
                r.building_id,
                float(r.lat),
                float(r.lon),
                int(caps[r.facility_id]),
                "RC",
            ]
        )
    wb.save(tiny_ward_dir / "facilities.xlsx")
    (tiny_ward_dir / "facilities.csv").unlink()
    (tiny_ward_dir / "facility_services.csv").unlink()
    from_xlsx = read_ward(tiny_ward_dir)
    cols = [
        "facility_id",
        "name",
        "category",
        "floor_area_m2",
        "year_built",
        "site_area_m2",
        "operating_cost_yen",
        "annual_users",
        "address",
        "building_id",
    ]
    pd.testing.assert_frame_equal(from_xlsx.facilities[cols], from_csv.facilities[cols])
    assert from_xlsx.facilities["land_tenure"].tolist() == ["owned", "leased", "owned"]  # blank -> owned
    assert from_xlsx.facilities.geometry.distance(from_csv.facilities.geometry).max() < 1e-6
    pd.testing.assert_frame_equal(
        from_xlsx.facility_services[["facility_id", "service_id", "capacity"]],
        from_csv.facility_services[["facility_id", "service_id", "capacity"]],
    )


# ---------------------------------------------------------------------- errors
def test_value_errors_name_sheet_excel_row_and_header(sample):
    rows = {r["施設番号"]: r["excel_row"] for r in _rows(sample / "facilities.xlsx")}
    r_floor, r_year, r_swap, r_cap = rows["NU-043"], rows["PS-043"], rows["CH-011"], rows["ASC-033"]
    _edit(sample, r_floor, "延床面積（㎡）", -600)
    _edit(sample, r_year, "建築年度", "昭和の頃")
    lat = _rows(sample / "facilities.xlsx")[r_swap - 3]
    _edit(sample, r_swap, "緯度", lat["経度"])
    _edit(sample, r_swap, "経度", lat["緯度"])
    _edit(sample, r_cap, "定員", "四十")
    with pytest.raises(DataValidationError) as err:
        read_ward(sample)
    text = str(err.value)
    assert (
        f"facilities.xlsx, sheet '施設台帳', row {r_floor}, field '延床面積（㎡）' (floor_area_m2): "
        "Input should be greater than 0 (got '-600')"
    ) in text
    assert f"facilities.xlsx, sheet '施設台帳', row {r_year}, field '建築年度' (year_built): " in text
    assert f"row {r_swap}, field '緯度/経度' (lat/lon): the point lies" in text and "lat and lon look swapped" in text
    assert f"row {r_cap}, field '定員' (capacity): Input should be a valid number" in text
    assert f"row {r_swap}, field '緯度' (lat): latitude must be within -90..90" in text
    issues = {(i.row, i.field) for i in err.value.issues}
    assert issues == {
        (r_floor, "floor_area_m2"),
        (r_year, "year_built"),
        (r_swap, "lat"),
        (r_swap, "lat/lon"),
        (r_cap, "capacity"),
    }
    assert all(i.sheet == SHEET and Path(i.file) == sample / "facilities.xlsx" for i in err.value.issues)
    # the command line says the same, exits 1
    res = runner.invoke(app, ["validate", str(sample)])
    assert res.exit_code == 1 and f"row {r_floor}, field '延床面積（㎡）' (floor_area_m2)" in res.output


def test_reference_errors_and_duplicates_use_excel_rows(sample):
    rows = _rows(sample / "facilities.xlsx")
    first, dup = rows[0], rows[5]
    _edit(sample, dup["excel_row"], "施設番号", first["施設番号"])
    with pytest.raises(DataValidationError) as err:
        read_ward(sample)
    assert (
        f"row {dup['excel_row']}, field '施設番号' (facility_id): duplicate id '{first['施設番号']}' "
        f"(first used in row {first['excel_row']})"
    ) in str(err.value)
    shutil.copy(SAMPLE / "facilities.xlsx", sample / "facilities.xlsx")
    _edit(sample, rows[2]["excel_row"], "施設分類", "図書室")
    with pytest.raises(DataValidationError) as err:
        read_ward(sample)
    assert f"row {rows[2]['excel_row']}, field '施設分類' (category): unknown category '図書室'" in str(err.value)


def test_layout_errors_name_the_sheet_the_header_and_the_mapping(sample):
    mapping = sample / "facilities.mapping.yaml"
    text = mapping.read_text(encoding="utf-8")
    mapping.write_text(text.replace("sheet: 施設台帳", "sheet: 台帳"), encoding="utf-8")
    with pytest.raises(
        DataValidationError, match=r"facilities.xlsx, sheet '台帳': no sheet '台帳' \(sheets: 施設台帳\)"
    ):
        read_ward(sample)
    mapping.write_text(text.replace("header_row: 2", "header_row: 1"), encoding="utf-8")
    with pytest.raises(
        DataValidationError,
        match="field 'facility_id': no column maps to facility_id: the mapping names 施設番号 for it",
    ):
        read_ward(sample)
    mapping.write_text(
        text.replace("延床面積(m2): floor_area_m2", "延床面積(m2): floor_area").replace(
            "  土地: land_tenure", "  土地: land_tenure\n  構造: structure"
        ),
        encoding="utf-8",
    )
    with pytest.raises(DataValidationError) as err:
        read_ward(sample)
    assert (
        "facilities.mapping.yaml, field 'columns': Value error, unknown target(s) ['floor_area', 'structure']"
        in str(err.value)
    )
    mapping.write_text(text, encoding="utf-8")
    shutil.copy(REPO / "geodata" / "nerima" / "facility_services.csv", sample / "facility_services.csv")
    with pytest.raises(DataValidationError, match="give the services in one place"):
        read_ward(sample)


def test_the_default_mapping_is_valid_and_covers_every_category():
    from facility_opt.catalogue import default_catalogue

    m = load_mapping(default_mapping_path())
    cat = default_catalogue()
    assert set(m.values["category"].values()) <= set(cat.categories)
    assert set(m.services) <= set(cat.categories) and set(m.services.values()) <= set(cat.services)
    for category, service in m.services.items():
        assert category in cat.services[service].host_categories


# ---------------------------------------------------------------------- round trip with the command line
def test_register_round_trip_run_and_workbook(sample, tmp_path):
    out = tmp_path / "run"
    # the sample's planning model (examples/register/model.yaml: the ward's model without its ward-wide floor
    # and budget) on the copied register
    res = runner.invoke(
        app, ["run", str(SAMPLE / "model.yaml"), "--data", str(sample), "--out", str(out), "--xlsx", "--json"]
    )
    assert res.exit_code == 0, res.output
    info = json.loads(res.output)
    assert info["valid"] is True and "plan.xlsx" in info["files"]
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert {d["facility_id"] for d in plan["decisions"]} == {r["施設番号"] for r in _rows(sample / "facilities.xlsx")}
    wb = load_workbook(out / "plan.xlsx")
    assert wb.sheetnames == [
        "KPIs",
        "decisions",
        "timeline",
        "years",
        "costs",
        "cost_by_year",
        "services",
        "assignments",
        "events",
        "floor",
        "freed_sites",
    ]
    kpis = {r[0]: r[1] for r in wb["KPIs"].iter_rows(min_row=2, values_only=True)}
    for k in ("buildings_before", "buildings_after", "cost_before_yen", "cost_after_yen", "saving_yen"):
        assert kpis[k] == plan["kpis"][k], k
    assert (
        kpis["valid"] is True
        and kpis["model"] == "nerima-shakujii-koen-sample"
        and kpis["solver.status"] == plan["solver"]["status"]
    )
    decisions = pd.read_csv(out / "decisions.csv", dtype=str, keep_default_na=False)
    sheet = list(wb["decisions"].iter_rows(values_only=True))
    assert list(sheet[0]) == list(decisions.columns) and len(sheet) == len(decisions) + 1
    cols = list(decisions.columns)
    for row, (_, d) in zip(sheet[1:], decisions.iterrows()):
        assert row[cols.index("facility_id")] == d["facility_id"] and row[cols.index("decision")] == d["decision"]
        assert row[cols.index("year")] == (int(d["year"]) if d["year"] else None)
    assert wb["decisions"].freeze_panes == "A2"


def test_the_sample_builder_makes_a_valid_register(tmp_path):
    """docs/scripts/make_register_sample.py (how examples/register was made) still builds a folder
    that reads, with the sample's hand-written mapping."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_register_sample", REPO / "docs" / "scripts" / "make_register_sample.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    folder = mod.build(tmp_path / "register")
    shutil.copy(SAMPLE / "facilities.mapping.yaml", folder)
    ward = read_ward(folder)
    assert len(ward.facilities) == len(_rows(folder / "facilities.xlsx")) > 0
    assert set(ward.facilities["category"]) <= set(mod.LABELS)
