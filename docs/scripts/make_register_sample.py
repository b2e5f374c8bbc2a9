"""Build ``examples/register/``: a small ward folder whose facilities are an Excel facility register.

Run from the repository root:  python docs/scripts/make_register_sample.py [OUT_DIR]

The sample is cut from the embedded Nerima data around 石神井公園 station: the facilities within
1.2 km (23 buildings: schools, after-school clubs, nurseries, children's halls), the 町丁目 within
800 m and the stations within 2.2 km. The facilities are written as a register would export them
(施設台帳 with a title row, Japanese headers, category labels, building years in the Japanese era,
区有地/借地, a notes column the mapping ignores); ``facilities.mapping.yaml``, which maps it to the
data model, and ``README.md`` are written by hand and kept in the folder. Nothing is invented: every value is the embedded
data's, including which of them are imputed (補完項目).
"""

from __future__ import annotations

import sys
from pathlib import Path

import facility_opt as fo
from facility_opt.workbook import save_workbook

ROOT = Path(__file__).resolve().parents[2]
STATION = "石神井公園"
FACILITY_RADIUS_M, ZONE_RADIUS_M, STATION_RADIUS_M = 1200.0, 800.0, 2200.0
TITLE = "練馬区 施設台帳（石神井公園駅周辺・抜粋）"
LABELS = {
    "primary_school": "小学校",
    "junior_high_school": "中学校",
    "after_school_club": "学童クラブ",
    "nursery": "保育園",
    "childrens_hall": "児童館",
    "kindergarten": "幼稚園",
}
TENURE = {"owned": "区有地", "leased": "借地"}
ERAS = (("令和", 2019), ("平成", 1989), ("昭和", 1926), ("大正", 1912), ("明治", 1868))
#: the register's columns, in order (補完項目 lists the imputed fields; 備考 is a note the mapping ignores)
HEADERS = [
    "施設番号",
    "施設名称",
    "施設分類",
    "所在地",
    "建築年度",
    "延床面積（㎡）",
    "敷地面積（㎡）",
    "土地",
    "定員",
    "年間利用者数",
    "年間運営費（円）",
    "建物番号",
    "緯度",
    "経度",
    "補完項目",
    "備考",
]


def era_year(year: int) -> str:
    """1960 -> 昭和35年 (the first year of an era is 元年)."""
    for era, first in ERAS:
        if year >= first:
            n = year - first + 1
            return f"{era}{'元' if n == 1 else n}年"
    return f"{year}年"


def build(out: Path) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    ward = fo.load_nerima()
    centre = ward.stations.loc[ward.stations["name"] == STATION].geometry.iloc[0]
    fac = ward.facilities[ward.facilities.distance(centre) <= FACILITY_RADIUS_M].copy()
    # a building shared with a facility outside the sample becomes its own building
    fac.loc[~fac["building_id"].isin(fac["facility_id"]), "building_id"] = fac["facility_id"]
    services = ward.facility_services[ward.facility_services["facility_id"].isin(fac["facility_id"])]
    meta = ward.meta.model_copy(
        update={"name": "Nerima: Shakujii-koen sample", "name_ja": "練馬区（石神井公園駅周辺・抜粋）"}
    )
    sample = fo.Ward(
        meta,
        ward.boundary,
        ward.zones[ward.zones.distance(centre) <= ZONE_RADIUS_M],
        fac,
        services,
        ward.stations[ward.stations.distance(centre) <= STATION_RADIUS_M],
    )
    sample.to_dir(out)
    (out / "facilities.csv").unlink()
    (out / "facility_services.csv").unlink()

    wgs = sample.facilities.geometry.to_crs("EPSG:4326")
    svc = sample.facility_services.set_index("facility_id")
    wb = Workbook()
    ws = wb.active
    ws.title = "施設台帳"
    ws.append([TITLE])
    ws["A1"].font = Font(bold=True)
    ws.append(HEADERS)
    for (_, f), p in zip(sample.facilities.iterrows(), wgs):
        s = svc.loc[f["facility_id"]]
        imputed = sorted(set(filter(None, f["imputed"].split(";"))))
        ws.append(
            [
                f["facility_id"],
                f["name"],
                LABELS[f["category"]],
                f["address"],
                era_year(int(f["year_built"])),
                float(f["floor_area_m2"]),
                None if f["site_area_m2"] != f["site_area_m2"] else float(f["site_area_m2"]),
                TENURE[f["land_tenure"]],
                int(s["capacity"]),
                None if f["annual_users"] != f["annual_users"] else int(f["annual_users"]),
                None if f["operating_cost_yen"] != f["operating_cost_yen"] else int(f["operating_cost_yen"]),
                f["building_id"],
                round(p.y, 6),
                round(p.x, 6),
                ";".join(imputed),
                "区の施設白書等から補完した項目あり" if imputed else None,
            ]
        )
    save_workbook(wb, out / "facilities.xlsx")
    return out


if __name__ == "__main__":
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "examples" / "register"
    print(build(folder))
