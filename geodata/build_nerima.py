#!/usr/bin/env python
"""Build the embedded Nerima dataset ``geodata/nerima/`` from the public sources in ``geodata/nerima/raw/``.

Usage::

    python geodata/build_nerima.py [--raw DIR] [--out DIR] [--catalogue FILE]

The build reads only the files in ``--raw`` (default ``geodata/nerima/raw``, copies of the public
sources listed in ``raw/SOURCES.txt`` and ``raw/SOURCES_ADDED.txt``) and the building/service
catalogue (``models/catalogue.yaml``), and writes ``ward.yaml``, ``boundary.geojson``, ``zones.csv``,
``facilities.csv``, ``facility_services.csv``, ``stations.csv`` and ``stock_2013.csv`` into ``--out``.

It is deterministic: rows are sorted by id, floats are written with a fixed number of decimals and no
timestamp is written, so two builds from the same inputs are byte-identical. Every value that is not
in the sources is imputed by a rule in the ``RULES`` tables below, documented with its numbers in
``geodata/nerima/README.md``, and named in the row's ``imputed`` column. Each file is written
atomically (temporary file in the same folder, then ``os.replace``). The build stops with
:class:`BuildError` if a check fails (counts, census population total, facilities outside the ward).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import logging
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import yaml

log = logging.getLogger("build_nerima")

HERE = Path(__file__).resolve().parent
DEFAULT_RAW = HERE / "nerima" / "raw"
DEFAULT_OUT = HERE / "nerima"
DEFAULT_CATALOGUE = HERE.parent / "models" / "catalogue.yaml"

METRIC_CRS = "EPSG:6677"  # JGD2011 / Japan Plane Rectangular CS IX (same as facility_opt.schema.METRIC_CRS)
AGE_GROUPS = ("0_5", "6_11", "12_14", "15_64", "65_74", "75_plus")  # facility_opt.schema.AGE_GROUPS

# ---------------------------------------------------------------------------------------------
# Raw files
# ---------------------------------------------------------------------------------------------
BOUNDARY_FILE = "nerima_boundary_N03-21_s0010.geojson"
CENSUS_FILE = "nerima_chome_2015_census_points.csv"
STOCK_FILE = "nerima_facility_stock_2013_by_type.csv"
NURSERY_CAPACITY_FILE = "nerima_nursery_2018_code4nerima.geojson"
STATIONS_FILE = "stations_nerima_area_ksj_N02.csv"
AGE_FILE = "nerima_age_structure_2015-01-01_jukiban.csv"

EXPECTED_ZONES = 202
EXPECTED_POPULATION = 721_722  # 2015 census, Nerima ward total


@dataclass(frozen=True)
class FacilitySource:
    """One facility list of the 2018 Nerima open data: which category it holds and how ids are made."""

    file: str
    category: str
    prefix: str
    service: str
    expected_rows: int
    in_other_building: bool = False  # the list is of units housed in other ward buildings (併設)


#: Facility lists, in the order ids are assigned. After-school clubs: the 63 stand-alone clubs
#: (単独学童) are ASC-001..ASC-063 in file order, then the 29 clubs in other buildings (併設学童)
#: continue the same sequence as ASC-064..ASC-092.
FACILITY_SOURCES: tuple[FacilitySource, ...] = (
    FacilitySource("nerima_opendata_2018_36_kuritsushougakkou.csv", "primary_school", "PS", "primary_education", 65),
    FacilitySource("nerima_opendata_2018_37_kuritsuchuugakkou.csv", "junior_high_school", "JH", "junior_high_education", 34),
    FacilitySource("nerima_opendata_2018_33_jidoukan.csv", "childrens_hall", "CH", "childrens_hall", 17),
    FacilitySource("nerima_opendata_2018_34_tandokugakudou.csv", "after_school_club", "ASC", "after_school_club", 63),
    FacilitySource("nerima_opendata_2018_34_heisetsugakudou.csv", "after_school_club", "ASC", "after_school_club", 29, True),
    FacilitySource("nerima_opendata_2018_35_kuritsuyouchien.csv", "kindergarten", "KG", "kindergarten", 3),
    FacilitySource("nerima_opendata_2018_kuritsuhoikuen.csv", "nursery", "NU", "nursery", 60),
)
EXPECTED_PER_CATEGORY = {
    "primary_school": 65,
    "junior_high_school": 34,
    "childrens_hall": 17,
    "after_school_club": 92,
    "kindergarten": 3,
    "nursery": 60,
}

#: When several facilities share one (normalised) address, they are taken to be in one structure;
#: the member whose category comes first here (ties: smallest facility_id) is the host, and every
#: member's building_id is the host's facility_id.
HOST_PRIORITY = ("primary_school", "junior_high_school", "childrens_hall", "kindergarten", "nursery", "after_school_club")


# ---------------------------------------------------------------------------------------------
# Imputation rules (every number is documented in geodata/nerima/README.md; "assumption" there
# means no source was found for it).
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CategoryRule:
    """Imputation rule of one building category."""

    built_from: int  # year_built spread evenly over [built_from, built_to] in facility_id order
    built_to: int
    site_ratio: float  # site_area_m2 = floor_area_m2 * site_ratio (own-building facilities only)
    cost_yen_per_m2: int  # operating_cost_yen = floor_area_m2 * cost_yen_per_m2 (per year)
    open_days: int  # annual_users = capacity * open_days * daily_use
    daily_use: float


RULES: dict[str, CategoryRule] = {
    "primary_school": CategoryRule(1960, 1979, 1.6, 12_000, 200, 1.0),
    "junior_high_school": CategoryRule(1960, 1979, 1.8, 12_000, 200, 1.0),
    "childrens_hall": CategoryRule(1970, 1994, 1.0, 100_000, 300, 0.5),
    "after_school_club": CategoryRule(1980, 2009, 1.5, 200_000, 290, 1.0),
    "kindergarten": CategoryRule(1975, 1990, 2.0, 100_000, 200, 1.0),
    "nursery": CategoryRule(1965, 1989, 1.2, 300_000, 290, 1.0),
}
#: After-school club capacity: one 支援の単位 of about 40 children (放課後児童健全育成事業の設備及び
#: 運営に関する基準 第10条第4項: 一の支援の単位を構成する児童の数は、おおむね四十人以下).
CLUB_PLACES = 40
#: Split of the 0-14 band into 0-5 / 6-11 / 12-14 in proportion to the number of single years of age
#: (6, 6, 3 of 15): assumption (the source gives 0-14 only).
CHILD_SPLIT = {"0_5": 6 / 15, "6_11": 6 / 15, "12_14": 3 / 15}
SHARE_DECIMALS = 6

BASE_YEAR = 2018  # the year of the facility lists and nursery capacities
POPULATION_YEAR = 2015  # the census year of the zone populations

SOURCES_CREDITS = [
    "出典：国土数値情報（行政区域データ）（国土交通省）を加工して作成 (N03, 2021-01-01; simplified polygon via smartnews-smri/japan-topography)",
    "出典：国土数値情報（鉄道データ）（国土交通省）を加工して作成 (N02; station points via Code for Nerima nurserymap)",
    "出典：政府統計の総合窓口(e-Stat) 平成27年国勢調査 小地域集計 (町丁目 population, households, area, representative points; via nyampire/jp_chome_boundary, CC0)",
    "練馬区オープンデータ (2018): 区立小学校・中学校・児童館・学童クラブ・幼稚園・保育園 (via Code for Nerima nurserymap, MIT)",
    "Code for Nerima, nurserymap (MIT License): 区立認可保育園 capacities (Capall), 2018",
    "練馬区 住民基本台帳人口 (2015-01-01), age bands, as published in 練馬区「練馬区の人口の推移」(2019)",
    "練馬区 区立施設の状況 (2013-01): facility stock by type (floor areas), ward publication",
]


class BuildError(RuntimeError):
    """A check of the build failed; ``problems`` lists each failure."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__("Nerima dataset build failed:\n  - " + "\n  - ".join(self.problems))


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------
def normalise_address(address: str) -> str:
    """Comparable form of a Nerima address: NFKC, no prefecture/ward, no spaces, one kind of dash.

    >>> normalise_address("東京都練馬区 関町南４－15－7")
    '関町南4-15-7'
    """
    a = unicodedata.normalize("NFKC", address)
    a = a.replace("東京都", "").replace("練馬区", "")
    a = re.sub(r"\s+", "", a)
    return re.sub(r"[‐‑‒–—―−ー－]", "-", a)


def _fmt(value: float | int | None, decimals: int) -> str:
    """Fixed-decimal text of a number ('' for None)."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    text = f"{float(value):.{decimals}f}"
    return "0" + text[2:] if text.startswith("-0") and float(text) == 0 else text


def _imputed(fields: Iterable[str]) -> str:
    return ";".join(sorted(set(fields)))


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder and ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> int:
    """Write a UTF-8 CSV with ``\\n`` line ends; returns the number of data rows."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    n = 0
    for row in rows:
        writer.writerow(row)
        n += 1
    atomic_write(path, buf.getvalue().encode("utf-8"))
    return n


# ---------------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------------
def read_catalogue(path: Path) -> dict:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def read_boundary(raw: Path) -> gpd.GeoDataFrame:
    gdf = gpd.read_file(raw / BOUNDARY_FILE)
    if len(gdf) != 1 or gdf.geometry.iloc[0].geom_type not in ("Polygon", "MultiPolygon"):
        raise BuildError([f"{BOUNDARY_FILE}: expected one (Multi)Polygon feature, got {len(gdf)} features"])
    return gdf.set_crs("EPSG:4326", allow_override=True)


def age_shares(raw: Path) -> dict[str, float]:
    """Ward-level age shares from the 2015-01-01 resident register bands (0-14 split by single years)."""
    df = pd.read_csv(raw / AGE_FILE, dtype={"age_group": str})
    counts = dict(zip(df["age_group"], df["population"].astype(int), strict=True))
    total = counts.pop("total")
    if sum(counts.values()) != total:
        raise BuildError([f"{AGE_FILE}: bands sum to {sum(counts.values())}, total says {total}"])
    shares = {g: counts["0_14"] * f / total for g, f in CHILD_SPLIT.items()}
    shares |= {g: counts[g] / total for g in ("15_64", "65_74", "75_plus")}
    return {g: round(shares[g], SHARE_DECIMALS) for g in AGE_GROUPS}


def stock_table(raw: Path, catalogue: dict) -> pd.DataFrame:
    """The 2013 stock table with each row's catalogue category (via the categories' ``stock_type``)."""
    df = pd.read_csv(raw / STOCK_FILE)
    by_type = {c["stock_type"]: cid for cid, c in catalogue["categories"].items() if c.get("stock_type")}
    total = df[df["facility_type"] == "合計"]
    df = df[df["facility_type"] != "合計"].copy()
    unmapped = sorted(set(df["facility_type"]) - set(by_type))
    if unmapped:
        raise BuildError([f"{STOCK_FILE}: types without a catalogue category (stock_type): {unmapped}"])
    df["category"] = df["facility_type"].map(by_type)
    if not total.empty:
        stated = int(total["total_floor_area_m2"].iloc[0])
        summed = int(df["total_floor_area_m2"].sum())
        if summed != stated:
            log.warning("stock 2013: rows sum to %s m2, the table's total says %s m2 (kept as transcribed)", summed, stated)
        if int(df["count"].sum()) != int(total["count"].iloc[0]):
            log.warning("stock 2013: counts sum to %s, total says %s", df["count"].sum(), total["count"].iloc[0])
    return df.sort_values("category").reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------
def build_zones(raw: Path, shares: dict[str, float]) -> pd.DataFrame:
    df = pd.read_csv(raw / CENSUS_FILE, dtype={"key_code": str})
    out = pd.DataFrame(
        {
            "zone_id": df["key_code"],
            "name": df["town_chome"],
            "population": df["population_2015"].astype(int),
            "households": df["households_2015"].astype(int),
            "area_m2": df["area_m2"].astype(float),
            "lat": df["rep_lat"].astype(float),
            "lon": df["rep_lon"].astype(float),
        }
    )
    for g in AGE_GROUPS:
        out[f"pop_{g}"] = (out["population"] * shares[g]).round(2)
    out["imputed"] = _imputed(f"pop_{g}" for g in AGE_GROUPS)
    return out.sort_values("zone_id").reset_index(drop=True)


def read_facility_lists(raw: Path) -> pd.DataFrame:
    """All facility lists with their ids (prefix + 3-digit row number; ASC numbered across both club files)."""
    frames = []
    next_number: dict[str, int] = {}
    for src in FACILITY_SOURCES:
        df = pd.read_csv(raw / src.file, dtype=str)
        if len(df) != src.expected_rows:
            raise BuildError([f"{src.file}: {len(df)} rows, expected {src.expected_rows}"])
        start = next_number.get(src.prefix, 1)
        numbers = range(start, start + len(df))
        next_number[src.prefix] = start + len(df)
        frames.append(
            pd.DataFrame(
                {
                    "facility_id": [f"{src.prefix}-{i:03d}" for i in numbers],
                    "name": df["名称"].str.strip(),
                    "category": src.category,
                    "service_id": src.service,
                    "address": df["所在地"].str.strip(),
                    "lat": df["緯度"].astype(float),
                    "lon": df["経度"].astype(float),
                    "source_file": src.file,
                    "in_other_building": src.in_other_building,
                }
            )
        )
    fac = pd.concat(frames, ignore_index=True)
    if not fac["facility_id"].is_unique:
        raise BuildError(["duplicate facility ids"])
    return fac


def assign_buildings(fac: pd.DataFrame) -> pd.Series:
    """building_id per facility: the host's id for facilities sharing a normalised address, else own id."""
    prio = {c: i for i, c in enumerate(HOST_PRIORITY)}
    key = fac["address"].map(normalise_address)
    building = fac["facility_id"].copy()
    for addr, grp in fac.groupby(key, sort=True):
        if len(grp) < 2:
            continue
        ranked = sorted(grp.index, key=lambda i: (prio[fac.at[i, "category"]], fac.at[i, "facility_id"]))
        host = fac.at[ranked[0], "facility_id"]
        building.loc[grp.index] = host
        log.info(
            "co-located at %s: host %s (%s) <- %s",
            addr,
            host,
            fac.at[ranked[0], "name"],
            ", ".join(f"{fac.at[i, 'facility_id']} {fac.at[i, 'name']}" for i in ranked[1:]),
        )
    return building


def nursery_capacities(raw: Path, names: pd.Series) -> pd.Series:
    """Capall of each nursery, matched by exact name; every mismatch is a build error."""
    with open(raw / NURSERY_CAPACITY_FILE, encoding="utf-8") as fh:
        features = json.load(fh)["features"]
    cap = {f["properties"]["Name"].strip(): int(f["properties"]["Capall"]) for f in features}
    missing = sorted(set(names) - set(cap))
    extra = sorted(set(cap) - set(names))
    if extra:
        log.warning("nursery capacities: %d names not in the nursery list: %s", len(extra), extra)
    if missing:
        raise BuildError([f"{NURSERY_CAPACITY_FILE}: no Capall for nurseries {missing}"])
    log.info("nursery capacities: %d of %d names matched exactly, total %d places", len(names), len(cap), sum(cap[n] for n in names))
    return names.map(cap)


def spread_years(n: int, start: int, end: int) -> list[int]:
    """``n`` years spread evenly over ``[start, end]``: ``start + floor(i * (end - start + 1) / n)``.

    >>> spread_years(4, 1960, 1979)
    [1960, 1965, 1970, 1975]
    """
    return [start + (i * (end - start + 1)) // n for i in range(n)]


def build_facilities(raw: Path, catalogue: dict, stock: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The facilities and facility_services tables (with lat/lon) from the 2018 lists and the rules."""
    fac = read_facility_lists(raw).sort_values("facility_id").reset_index(drop=True)
    fac["building_id"] = assign_buildings(fac)
    own = fac["building_id"] == fac["facility_id"]
    # a site of its own: own building and not listed as housed in another (unlisted) ward building
    own_site = own & ~fac["in_other_building"].astype(bool)
    unhosted = fac[own & ~own_site]
    if len(unhosted):
        log.info("%d clubs listed as housed in other buildings whose host is not in the data (no site area): %s",
                 len(unhosted), ", ".join(f"{r.facility_id} {r.name}" for r in unhosted.itertuples()))
    services = catalogue["services"]
    stock_by_cat = stock.set_index("category")

    # floor area: stock type total / count; nurseries: the 保育園 total split by real capacity
    fac["capacity"] = float("nan")
    is_nu = fac["category"] == "nursery"
    fac.loc[is_nu, "capacity"] = nursery_capacities(raw, fac.loc[is_nu, "name"]).astype(float)
    floor = pd.Series(float("nan"), index=fac.index)
    for cat, idx in fac.groupby("category").groups.items():
        row = stock_by_cat.loc[cat]
        if cat == "nursery":
            caps = fac.loc[idx, "capacity"]
            floor.loc[idx] = row["total_floor_area_m2"] * caps / caps.sum()
        else:
            floor.loc[idx] = row["total_floor_area_m2"] / row["count"]
    fac["floor_area_m2"] = floor.round(2)

    # capacity of the main service: real for nurseries, else floor / floor_m2_per_unit, clubs 40 places
    for cat, idx in fac.groupby("category").groups.items():
        if cat == "nursery":
            continue
        if cat == "after_school_club":
            fac.loc[idx, "capacity"] = float(CLUB_PLACES)
        else:
            per_unit = float(services[fac.loc[idx[0], "service_id"]]["floor_m2_per_unit"])
            fac.loc[idx, "capacity"] = (fac.loc[idx, "floor_area_m2"] / per_unit).round(0)

    # year built: spread over the category's period for own-building facilities; co-located take the host's
    year = pd.Series(0, index=fac.index, dtype=int)
    for cat, grp in fac[own].groupby("category"):
        rule = RULES[cat]
        year.loc[grp.index] = spread_years(len(grp), rule.built_from, rule.built_to)
    host_year = dict(zip(fac.loc[own, "facility_id"], year[own], strict=True))
    year.loc[~own] = fac.loc[~own, "building_id"].map(host_year)
    fac["year_built"] = year

    rule_of = fac["category"].map(RULES)
    fac["site_area_m2"] = (fac["floor_area_m2"] * rule_of.map(lambda r: r.site_ratio)).round(2).where(own_site)
    fac["operating_cost_yen"] = (fac["floor_area_m2"] * rule_of.map(lambda r: r.cost_yen_per_m2)).round(0)
    fac["annual_users"] = (fac["capacity"] * rule_of.map(lambda r: r.open_days * r.daily_use)).round(0)
    fac["land_tenure"] = "owned"

    def fac_imputed(i: int) -> str:
        fields = ["floor_area_m2", "year_built", "operating_cost_yen", "annual_users", "land_tenure"]
        if own_site.iat[i]:
            fields.append("site_area_m2")
        return _imputed(fields)

    fac["imputed"] = [fac_imputed(i) for i in range(len(fac))]

    svc = pd.DataFrame(
        {
            "facility_id": fac["facility_id"],
            "service_id": fac["service_id"],
            "capacity": fac["capacity"],
            "floor_area_m2": fac["floor_area_m2"],
            "annual_users": fac["annual_users"],
            "utilisation": float("nan"),
            "imputed": [
                _imputed(["floor_area_m2", "annual_users"] + ([] if c == "nursery" else ["capacity"]))
                for c in fac["category"]
            ],
        }
    ).sort_values(["facility_id", "service_id"])
    return fac, svc


def build_stations(raw: Path) -> pd.DataFrame:
    """One row per station name: lines and operators ';'-joined (sorted), lat/lon the mean of the rows."""
    df = pd.read_csv(raw / STATIONS_FILE)
    dup = df.groupby("station_name").size()
    log.info("stations: %d source rows (station x line), %d names; names on several rows: %s",
             len(df), len(dup), ", ".join(f"{n} x{k}" for n, k in dup[dup > 1].items()))
    rows = []
    for i, (name, grp) in enumerate(sorted(df.groupby("station_name"), key=lambda t: t[0]), start=1):
        rows.append(
            {
                "station_id": f"ST-{i:03d}",
                "name": name,
                "lines": ";".join(sorted(set(grp["line"]))),
                "operators": ";".join(sorted(set(grp["operator"]))),
                "lat": grp["lat"].mean(),
                "lon": grp["lon"].mean(),
            }
        )
    return pd.DataFrame(rows)


def ward_meta(shares: dict[str, float]) -> dict:
    return {
        "name": "Nerima",
        "name_ja": "練馬区",
        "base_year": BASE_YEAR,
        "population_year": POPULATION_YEAR,
        "crs": METRIC_CRS,
        "csv_crs": "EPSG:4326",
        "age_shares": dict(shares),
        "sources": list(SOURCES_CREDITS),
    }


# ---------------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------------
def _points(df: pd.DataFrame) -> gpd.GeoSeries:
    return gpd.GeoSeries(gpd.points_from_xy(df["lon"], df["lat"]), index=df.index, crs="EPSG:4326").to_crs(METRIC_CRS)


def validate(zones: pd.DataFrame, fac: pd.DataFrame, boundary: gpd.GeoDataFrame, stations: pd.DataFrame) -> None:
    problems: list[str] = []
    if len(zones) != EXPECTED_ZONES:
        problems.append(f"zones: {len(zones)} rows, expected {EXPECTED_ZONES}")
    if int(zones["population"].sum()) != EXPECTED_POPULATION:
        problems.append(f"zones: population total {zones['population'].sum()}, expected {EXPECTED_POPULATION}")
    if not zones["zone_id"].is_unique:
        problems.append("zones: duplicate zone_id")
    counts = fac["category"].value_counts().to_dict()
    if counts != EXPECTED_PER_CATEGORY:
        problems.append(f"facilities per category {counts}, expected {EXPECTED_PER_CATEGORY}")
    ward = boundary.to_crs(METRIC_CRS).geometry.iloc[0]
    inside = _points(fac).covered_by(ward)
    for _, r in fac[~inside].iterrows():
        problems.append(f"facility {r['facility_id']} {r['name']} ({r['lat']}, {r['lon']}) lies outside the ward boundary")
    zpts = _points(zones)
    for i in zones.index[~zpts.covered_by(ward)]:
        log.warning(
            "zone %s %s: census representative point lies %.0f m outside the simplified (1%%) ward boundary; kept as is",
            zones.at[i, "zone_id"], zones.at[i, "name"], zpts[i].distance(ward),
        )
    if not set(fac["building_id"]) <= set(fac["facility_id"]):
        problems.append("facilities: building_id refers to unknown facilities")
    if not stations["name"].is_unique:
        problems.append("stations: duplicate names")
    if problems:
        raise BuildError(problems)


# ---------------------------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------------------------
ZONE_COLUMNS = ["zone_id", "name", "population", "households", "area_m2", *[f"pop_{g}" for g in AGE_GROUPS], "imputed", "lat", "lon"]
FACILITY_COLUMNS = [
    "facility_id", "name", "category", "floor_area_m2", "year_built", "site_area_m2", "land_tenure",
    "operating_cost_yen", "annual_users", "address", "building_id", "imputed", "lat", "lon",
]
SERVICE_COLUMNS = ["facility_id", "service_id", "capacity", "floor_area_m2", "annual_users", "utilisation", "imputed"]
STATION_COLUMNS = ["station_id", "name", "lines", "operators", "lat", "lon"]
STOCK_COLUMNS = ["facility_type", "category", "count", "total_floor_area_m2"]
OUTPUT_FILES = ("ward.yaml", "boundary.geojson", "zones.csv", "facilities.csv", "facility_services.csv", "stations.csv", "stock_2013.csv")
COORD_DECIMALS = 6


def build(raw: Path = DEFAULT_RAW, out: Path = DEFAULT_OUT, catalogue_path: Path = DEFAULT_CATALOGUE) -> dict[str, int]:
    """Build every output file of the dataset from ``raw`` into ``out``; returns row counts per file."""
    raw, out = Path(raw), Path(out)
    catalogue = read_catalogue(catalogue_path)
    boundary = read_boundary(raw)
    shares = age_shares(raw)
    stock = stock_table(raw, catalogue)
    zones = build_zones(raw, shares)
    fac, svc = build_facilities(raw, catalogue, stock)
    stations = build_stations(raw)
    unknown = sorted(set(fac["category"]) - set(catalogue["categories"])) + sorted(set(svc["service_id"]) - set(catalogue["services"]))
    if unknown:
        raise BuildError([f"ids not in the catalogue: {unknown}"])
    validate(zones, fac, boundary, stations)

    out.mkdir(parents=True, exist_ok=True)
    c = COORD_DECIMALS
    counts: dict[str, int] = {}
    meta = yaml.safe_dump(ward_meta(shares), allow_unicode=True, sort_keys=False, width=1000)
    atomic_write(out / "ward.yaml", meta.encode("utf-8"))
    atomic_write(out / "boundary.geojson", (raw / BOUNDARY_FILE).read_bytes())
    counts["zones.csv"] = write_csv(
        out / "zones.csv",
        ZONE_COLUMNS,
        (
            [r.zone_id, r.name, str(r.population), str(r.households), _fmt(r.area_m2, 3),
             *[_fmt(getattr(r, f"pop_{g}"), 2) for g in AGE_GROUPS], r.imputed, _fmt(r.lat, c), _fmt(r.lon, c)]
            for r in zones.itertuples(index=False)
        ),
    )
    counts["facilities.csv"] = write_csv(
        out / "facilities.csv",
        FACILITY_COLUMNS,
        (
            [r.facility_id, r.name, r.category, _fmt(r.floor_area_m2, 2), str(r.year_built), _fmt(r.site_area_m2, 2),
             r.land_tenure, _fmt(r.operating_cost_yen, 0), _fmt(r.annual_users, 0), r.address, r.building_id,
             r.imputed, _fmt(r.lat, c), _fmt(r.lon, c)]
            for r in fac.itertuples(index=False)
        ),
    )
    counts["facility_services.csv"] = write_csv(
        out / "facility_services.csv",
        SERVICE_COLUMNS,
        (
            [r.facility_id, r.service_id, _fmt(r.capacity, 0), _fmt(r.floor_area_m2, 2), _fmt(r.annual_users, 0),
             _fmt(r.utilisation, 3), r.imputed]
            for r in svc.itertuples(index=False)
        ),
    )
    counts["stations.csv"] = write_csv(
        out / "stations.csv",
        STATION_COLUMNS,
        ([r.station_id, r.name, r.lines, r.operators, _fmt(r.lat, c), _fmt(r.lon, c)] for r in stations.itertuples(index=False)),
    )
    counts["stock_2013.csv"] = write_csv(
        out / "stock_2013.csv",
        STOCK_COLUMNS,
        ([r.facility_type, r.category, str(r.count), str(r.total_floor_area_m2)] for r in stock.itertuples(index=False)),
    )
    log.info(
        "built %s: %d zones (population %d), %d facilities %s, %d facility services, %d stations, %d stock rows; "
        "co-located facilities: %d in %d shared buildings",
        out, len(zones), zones["population"].sum(), len(fac), fac["category"].value_counts().sort_index().to_dict(),
        len(svc), len(stations), len(stock), int((fac["building_id"] != fac["facility_id"]).sum()),
        int(fac.loc[fac["building_id"] != fac["facility_id"], "building_id"].nunique()),
    )
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--raw", type=Path, default=DEFAULT_RAW, help="folder of the raw source files (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default: %(default)s)")
    parser.add_argument("--catalogue", type=Path, default=DEFAULT_CATALOGUE, help="catalogue.yaml (default: %(default)s)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        build(args.raw, args.out, args.catalogue)
    except BuildError as exc:
        log.error("%s", exc)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
