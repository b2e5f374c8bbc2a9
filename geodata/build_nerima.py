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
import numpy as np
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
LAND_PRICE_FILE = "nerima_land_price_points_2022_L02_inferred.csv"
SCHOOL_FACTS_FILE = "nerima_school_facts.csv"
OEDO_FILE = "nerima_oedo_extension_stations_estimated.csv"
PREMISES_FACTS_FILE = "nerima_premises_facts.csv"

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
    FacilitySource(
        "nerima_opendata_2018_37_kuritsuchuugakkou.csv", "junior_high_school", "JH", "junior_high_education", 34
    ),
    FacilitySource("nerima_opendata_2018_33_jidoukan.csv", "childrens_hall", "CH", "childrens_hall", 17),
    FacilitySource("nerima_opendata_2018_34_tandokugakudou.csv", "after_school_club", "ASC", "after_school_club", 63),
    FacilitySource(
        "nerima_opendata_2018_34_heisetsugakudou.csv", "after_school_club", "ASC", "after_school_club", 29, True
    ),
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
HOST_PRIORITY = (
    "primary_school",
    "junior_high_school",
    "childrens_hall",
    "kindergarten",
    "nursery",
    "after_school_club",
)


# ---------------------------------------------------------------------------------------------
# Imputation rules (every number is documented in geodata/nerima/README.md; "assumption" there
# means no source was found for it).
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CategoryRule:
    """Imputation rule of one building category."""

    built_from: int  # imputed year_built lies in [built_from, built_to] outside the 光が丘 new town
    built_to: int
    site_ratio: float  # site_area_m2 = floor_area_m2 * site_ratio (own buildings on own sites only)
    cost_yen_per_m2: int  # operating_cost_yen = floor used by the facility's own service * cost_yen_per_m2 (per year)
    open_days: int  # annual_users = capacity * open_days * daily_use
    daily_use: float
    catchment_bands: tuple[str, ...] = ()  # age bands whose nearest-facility catchment sets the size class


RULES: dict[str, CategoryRule] = {
    "primary_school": CategoryRule(1959, 1982, 1.6, 12_000, 200, 1.0, ("6_11",)),
    "junior_high_school": CategoryRule(1959, 1982, 1.8, 12_000, 200, 1.0, ("12_14",)),
    "childrens_hall": CategoryRule(1970, 1994, 1.0, 100_000, 300, 0.5, ("0_5", "6_11", "12_14")),
    "after_school_club": CategoryRule(1980, 2009, 1.5, 200_000, 290, 1.0),
    "kindergarten": CategoryRule(1975, 1990, 2.0, 100_000, 200, 1.0, ("0_5",)),
    "nursery": CategoryRule(1965, 1989, 1.2, 300_000, 290, 1.0),
}
#: The 光が丘 new town (光が丘パークタウン, on the former Grant Heights site) was built and occupied 1983-1990
#: (models/nerima_age_profile.yaml; the ward's newest primary school, 光が丘第六小, opened 1990): own buildings
#: in 光が丘 (address) or named after it get a year in this period instead of their category's.
NEW_TOWN = ("光が丘", 1983, 1990)
#: Railway lines through or beside the ward that were open by 1927 (東上線 1914, 武蔵野鉄道 = 池袋線 1915,
#: 西武 村山線 = 新宿線 and 豊島線 1927, 中央線 1889). The ward urbanised from their stations outwards after the
#: 1923 earthquake (練馬区史 現勢編 第五章: 練馬駅・江古田駅周辺や石神井地区などで人々の定住が始まった), so the
#: distance to the nearest such station orders development. 練馬高野台 (opened 1994) is not an early station.
EARLY_LINES = ("池袋線", "東上本線", "新宿線", "豊島線", "中央線")
LATE_STATIONS_ON_EARLY_LINES = ("練馬高野台",)
#: Size class: a facility's own floor = category mean x (SIZE_FIXED + (1 - SIZE_FIXED) x its catchment / mean catchment).
SIZE_FIXED = 2 / 3
#: After-school club capacity: whole 支援の単位 of about 40 children (放課後児童健全育成事業の設備及び
#: 運営に関する基準 第10条第4項: 一の支援の単位を構成する児童の数は、おおむね四十人以下) that fit in the
#: club's floor at 1.65 m2 per child (第9条第2項), at least one: a stand-alone club of 132 m2 holds 2 units
#: (80), an attached room of 66 m2 one (40); 6,200 places in all against 6,538 children enrolled in May 2025
#: (nerima_childcare_waiting_facts.csv).
CLUB_PLACES = 40
CLUB_M2_PER_CHILD = 1.65
#: Floor of a club room inside a children's hall or 地区区民館 (併設): 1.65 m2 per child (same 基準 第9条第2項)
#: x 40 places; it is part of the host's floor (the 2013 table counts it in the host's type).
CLUB_ROOM_M2 = 1.65 * CLUB_PLACES
#: A trailing room number (floor digit, 0, unit digit: -101, -102, -107, -201) marks a unit in a housing block.
UNIT_NUMBER = re.compile(r"-([1-9]0[1-9])$")
#: Names that say the club is a room of a community building that is not in this dataset.
UNLISTED_HOST_WORDS = ("地区区民館", "厚生文化会館")
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
    "出典：国土数値情報（都道府県地価調査データ）（国土交通省）を加工して作成 (L02; survey year 2022 inferred, not stated by the copy; via noki917/chika)",
    "練馬区 school facts (main-building years of 開進第一小・開進第二小・光和小・小竹小; 中村小 pupils 2016) as quoted from ward committee material, see raw/nerima_school_facts.csv",
    "都営大江戸線延伸 (東京都, 2025-10-15): three planned stations; coordinates and opening year c. 2040 are estimates",
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
            log.warning(
                "stock 2013: rows sum to %s m2, the table's total says %s m2 (kept as transcribed)", summed, stated
            )
        if int(df["count"].sum()) != int(total["count"].iloc[0]):
            log.warning("stock 2013: counts sum to %s, total says %s", df["count"].sum(), total["count"].iloc[0])
    return df.sort_values("category").reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------
CHILD_GROUPS = ("0_5", "6_11", "12_14")


def build_zones(raw: Path, shares: dict[str, float]) -> pd.DataFrame:
    """The 202 町丁目 with their census figures and an imputed age structure.

    Children (0-5, 6-11, 12-14) are spread over the zones in proportion to ``population - households``
    (the residents beyond the first of each household: a one-person household has no child), the
    adult bands share the rest of each zone in the ward's proportions; both are calibrated so that the
    ward totals of every band equal ``census population x ward share`` exactly (before rounding).
    """
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
    bad = out[(out["households"] > out["population"]) | ((out["households"] == 0) & (out["population"] > 0))]
    if len(bad):
        raise BuildError(
            [
                f"{CENSUS_FILE}: zone {r.zone_id} has {r.households} households for {r.population} residents"
                for r in bad.itertuples()
            ]
        )
    total = float(out["population"].sum())
    beyond_first = (out["population"] - out["households"]).astype(float)
    child_share = sum(shares[g] for g in CHILD_GROUPS)
    children = pd.Series(0.0, index=out.index)
    for g in CHILD_GROUPS:
        part = total * shares[g] * beyond_first / beyond_first.sum()
        out[f"pop_{g}"] = part
        children += part
    adults = out["population"] - children
    for g in AGE_GROUPS:
        if g not in CHILD_GROUPS:
            out[f"pop_{g}"] = adults * shares[g] / (1.0 - child_share)
    for g in AGE_GROUPS:
        out[f"pop_{g}"] = out[f"pop_{g}"].round(2)
    log.info(
        "zones: children spread by residents beyond the first per household; 0-14 share per zone %.3f..%.3f "
        "(ward %.3f)",
        (children / out["population"].clip(lower=1)).min(),
        (children / out["population"].clip(lower=1)).max(),
        child_share,
    )
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
    log.info(
        "nursery capacities: %d of %d names matched exactly, total %d places",
        len(names),
        len(cap),
        sum(cap[n] for n in names),
    )
    return names.map(cap)


def real_school_years(raw: Path) -> dict[str, tuple[int, str]]:
    """Main-building years of schools from ``raw/nerima_school_facts.csv``: name -> (year, how).

    ``main_building_year`` rows are taken as given; a ``building_age`` row (小竹小: 65 years in 2023-12)
    gives ``as_of year - age``.
    """
    df = pd.read_csv(raw / SCHOOL_FACTS_FILE, dtype=str, keep_default_na=False)
    years: dict[str, tuple[int, str]] = {}
    for r in df.itertuples(index=False):
        if r.metric == "main_building_year":
            years[r.school] = (int(r.value), f"main building {r.value} ({r.source_url})")
        elif r.metric == "building_age" and r.unit == "years":
            y = int(r.as_of[:4]) - int(r.value)
            years[r.school] = (y, f"building age {r.value} in {r.as_of} ({r.source_url})")
    return years


def real_school_pupils(raw: Path) -> dict[str, int]:
    """Pupils on the roll of schools named in the school facts (中村小: 922 in May 2016)."""
    df = pd.read_csv(raw / SCHOOL_FACTS_FILE, dtype=str, keep_default_na=False)
    return {r.school: int(r.value) for r in df.itertuples(index=False) if r.metric == "pupils"}


def early_station_points(raw: Path) -> np.ndarray:
    """Metric x/y of the stations on lines open by 1927 (see ``EARLY_LINES``), one per station name."""
    df = pd.read_csv(raw / STATIONS_FILE)
    early = df[df["line"].isin(EARLY_LINES) & ~df["station_name"].isin(LATE_STATIONS_ON_EARLY_LINES)]
    pts = early.groupby("station_name")[["lat", "lon"]].mean().sort_index()
    return np.column_stack([_points(pts).x.to_numpy(), _points(pts).y.to_numpy()])


def _xy(df: pd.DataFrame) -> np.ndarray:
    g = _points(df)
    return np.column_stack([g.x.to_numpy(), g.y.to_numpy()])


def nearest_distance(points: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Distance (m) from each point to its nearest target."""
    return np.sqrt(((points[:, None, :] - targets[None, :, :]) ** 2).sum(axis=2)).min(axis=1)


def catchment(zones: pd.DataFrame, fac: pd.DataFrame, bands: Sequence[str]) -> np.ndarray:
    """Population of ``bands`` in the zones whose nearest facility (straight line) is each row of ``fac``."""
    zxy, fxy = _xy(zones), _xy(fac)
    nearest = np.sqrt(((zxy[:, None, :] - fxy[None, :, :]) ** 2).sum(axis=2)).argmin(axis=1)
    people = sum(zones[f"pop_{b}"].to_numpy(float) for b in bands)
    return np.bincount(nearest, weights=people, minlength=len(fac))


def years_by_development_order(distance: np.ndarray, start: int, end: int) -> np.ndarray:
    """Years over ``[start, end]`` in the order of ``distance`` (nearest first = oldest): the k-th of n
    gets ``start + round((end - start) * k / (n - 1))`` (one facility: the middle of the period)."""
    n = len(distance)
    if n == 1:
        return np.array([(start + end) // 2])
    rank = np.empty(n, dtype=int)
    rank[np.argsort(distance, kind="stable")] = np.arange(n)
    return start + np.floor((end - start) * rank / (n - 1) + 0.5).astype(int)


def assign_premises(fac: pd.DataFrame, room_facts: set[str]) -> pd.Series:
    """``building`` / ``room`` / ``housing_unit`` per facility, by the rules of the README (in this order):

    1. named in ``raw/nerima_premises_facts.csv`` as a room (光が丘なかよし児童館 in 光が丘区民センター) -> room;
    2. a name with 地区区民館 / 厚生文化会館 (a community building not in the data) -> room;
    3. the host of a structure shared with such a club (the structure is the 区民館) -> room;
    4. a member of a structure hosted by another facility of the data -> room;
    5. an address ending in a room number (-101, -102, -201, ...) -> housing_unit;
    6. else building.
    """
    unlisted = fac["name"].map(lambda n: any(w in n for w in UNLISTED_HOST_WORDS))
    in_kuminkan = set(fac.loc[unlisted, "building_id"])
    unit = fac["address"].map(lambda a: bool(UNIT_NUMBER.search(normalise_address(a))))
    out = []
    for r, is_unlisted, is_unit in zip(fac.itertuples(index=False), unlisted, unit, strict=True):
        if r.name in room_facts or is_unlisted or (r.building_id == r.facility_id and r.facility_id in in_kuminkan):
            out.append("room")
        elif r.building_id != r.facility_id:
            out.append("room")
        elif is_unit:
            out.append("housing_unit")
        else:
            out.append("building")
    return pd.Series(out, index=fac.index)


def premises_room_facts(raw: Path) -> set[str]:
    df = pd.read_csv(raw / PREMISES_FACTS_FILE, dtype=str, keep_default_na=False)
    return set(df.loc[(df["metric"] == "premises") & df["value"].str.startswith("room"), "facility_name"])


def build_facilities(
    raw: Path, catalogue: dict, stock: pd.DataFrame, zones: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The facilities and facility_services tables (with lat/lon) from the 2018 lists and the rules."""
    fac = read_facility_lists(raw).sort_values("facility_id").reset_index(drop=True)
    fac["building_id"] = assign_buildings(fac)
    fac["premises"] = assign_premises(fac, premises_room_facts(raw))
    fac["status"] = "existing"
    own = fac["building_id"] == fac["facility_id"]
    member = ~own
    services = catalogue["services"]
    stock_by_cat = stock.set_index("category")
    is_nu = fac["category"] == "nursery"
    is_club = fac["category"] == "after_school_club"
    attached_club = is_club & fac["in_other_building"].astype(bool)  # 併設: counted in the host's stock type
    standalone_club = is_club & ~attached_club  # 単独: counted in the 学童クラブ stock row

    # ---- the floor each facility's own service uses ("part"), by category
    fac["capacity"] = float("nan")
    fac.loc[is_nu, "capacity"] = nursery_capacities(raw, fac.loc[is_nu, "name"]).astype(float)
    part = pd.Series(float("nan"), index=fac.index)
    for cat, idx in fac.groupby("category").groups.items():
        row = stock_by_cat.loc[cat]
        if cat == "nursery":
            caps = fac.loc[idx, "capacity"]
            part.loc[idx] = row["total_floor_area_m2"] * caps / caps.sum()
        elif cat == "after_school_club":
            n_standalone = int(standalone_club.sum())
            part.loc[standalone_club] = row["total_floor_area_m2"] / n_standalone
            part.loc[attached_club] = CLUB_ROOM_M2
            log.info(
                "clubs: %d stand-alone (単独) share the 2013 club stock %s m2 (%.2f m2 each); %d attached (併設) "
                "rooms of %.2f m2 inside their host",
                n_standalone,
                row["total_floor_area_m2"],
                row["total_floor_area_m2"] / n_standalone,
                int(attached_club.sum()),
                CLUB_ROOM_M2,
            )
        else:
            mean = row["total_floor_area_m2"] / row["count"]
            c = catchment(zones, fac.loc[idx], RULES[cat].catchment_bands)
            part.loc[idx] = mean * (SIZE_FIXED + (1 - SIZE_FIXED) * c / c.mean())
    part = part.round(2)

    # ---- whole floor: a host adds the rooms whose floor the 2013 table counts in another type
    #      (stand-alone clubs, nurseries in a children's hall); attached clubs are already in the host's type
    added = part.where(member & ~attached_club, 0.0).groupby(fac["building_id"]).sum()
    rooms_in = part.where(member, 0.0).groupby(fac["building_id"]).sum()
    fac["floor_area_m2"] = (part + fac["facility_id"].map(added).fillna(0.0).where(own, 0.0)).round(2)
    contained = own & (fac["premises"] != "room")
    used = fac["floor_area_m2"] - fac["facility_id"].map(rooms_in).fillna(0.0).where(contained, 0.0)
    fac["service_floor_m2"] = used.round(2)

    # ---- capacity: real for nurseries and schools with a roll count; clubs whole 40-child units in their
    #      floor; else service floor / m2 per unit
    pupils = real_school_pupils(raw)
    fac["capacity_real"] = is_nu | fac["name"].isin(pupils)
    for cat, idx in fac.groupby("category").groups.items():
        if cat == "nursery":
            continue
        if cat == "after_school_club":
            units = (
                (fac.loc[idx, "service_floor_m2"] / CLUB_M2_PER_CHILD / CLUB_PLACES + 1e-9).astype(int).clip(lower=1)
            )
            fac.loc[idx, "capacity"] = (units * CLUB_PLACES).astype(float)
        else:
            per_unit = float(services[fac.loc[idx[0], "service_id"]]["floor_m2_per_unit"])
            fac.loc[idx, "capacity"] = (fac.loc[idx, "service_floor_m2"] / per_unit).round(0)
    for name, n in sorted(pupils.items()):
        hit = fac["name"] == name
        if hit.sum() != 1:
            raise BuildError([f"{SCHOOL_FACTS_FILE}: school {name!r} matches {int(hit.sum())} facilities"])
        log.info(
            "capacity of %s: %d pupils on the roll (school facts), rule would give %d",
            name,
            n,
            int(fac.loc[hit, "capacity"].iloc[0]),
        )
        fac.loc[hit, "capacity"] = float(n)

    # ---- year built: real where the school facts name the school; else by development order within the
    #      category's period (光が丘 new town: 1983-1990); co-located facilities take their host's year
    real_years = real_school_years(raw)
    for name in real_years:
        if (fac["name"] == name).sum() != 1:
            raise BuildError(
                [f"{SCHOOL_FACTS_FILE}: school {name!r} matches {int((fac['name'] == name).sum())} facilities"]
            )
    fac["year_real"] = fac["name"].isin(real_years) & own
    dist = nearest_distance(_xy(fac), early_station_points(raw))
    new_town = fac["address"].map(normalise_address).str.startswith(NEW_TOWN[0]) | fac["name"].str.startswith(
        NEW_TOWN[0]
    )
    year = pd.Series(0, index=fac.index, dtype=int)
    todo = own & ~fac["year_real"]
    for (cat, nt), grp in fac[todo].groupby([fac["category"], new_town]):
        lo, hi = (NEW_TOWN[1], NEW_TOWN[2]) if nt else (RULES[cat].built_from, RULES[cat].built_to)
        year.loc[grp.index] = years_by_development_order(dist[grp.index.to_numpy()], lo, hi)
    for i in fac.index[fac["year_real"]]:
        year.loc[i], how = real_years[fac.at[i, "name"]]
        log.info("year built of %s %s: %d, real (%s)", fac.at[i, "facility_id"], fac.at[i, "name"], year.loc[i], how)
    host_year = dict(zip(fac.loc[own, "facility_id"], year[own], strict=True))
    year.loc[member] = fac.loc[member, "building_id"].map(host_year)
    fac["year_built"] = year
    host_real = dict(zip(fac.loc[own, "facility_id"], fac.loc[own, "year_real"], strict=True))
    fac.loc[member, "year_real"] = fac.loc[member, "building_id"].map(host_real)

    rule_of = fac["category"].map(RULES)
    fac["site_area_m2"] = (
        (fac["floor_area_m2"] * rule_of.map(lambda r: r.site_ratio)).round(2).where(fac["premises"] == "building")
    )
    fac["operating_cost_yen"] = (fac["service_floor_m2"] * rule_of.map(lambda r: r.cost_yen_per_m2)).round(0)
    fac["annual_users"] = (fac["capacity"] * rule_of.map(lambda r: r.open_days * r.daily_use)).round(0)
    fac["land_tenure"] = "owned"
    log.info("premises: %s", fac["premises"].value_counts().sort_index().to_dict())

    def fac_imputed(r) -> str:
        fields = ["floor_area_m2", "operating_cost_yen", "annual_users", "land_tenure"]
        if not r.year_real:
            fields.append("year_built")
        if r.site_area_m2 == r.site_area_m2:  # not NaN
            fields.append("site_area_m2")
        return _imputed(fields)

    fac["imputed"] = [fac_imputed(r) for r in fac.itertuples(index=False)]

    svc = pd.DataFrame(
        {
            "facility_id": fac["facility_id"],
            "service_id": fac["service_id"],
            "capacity": fac["capacity"],
            "floor_area_m2": fac["service_floor_m2"],
            "annual_users": fac["annual_users"],
            "utilisation": float("nan"),
            "imputed": [
                _imputed(["floor_area_m2", "annual_users"] + ([] if real else ["capacity"]))
                for real in fac["capacity_real"]
            ],
        }
    ).sort_values(["facility_id", "service_id"])
    return fac, svc


#: Tokyo announced the Oedo-line extension on 2025-10-15 (3 stations, about 160 bn yen, opening around
#: 2040; see raw/SOURCES_REAL.md): the opening year of the three planned stations is this estimate.
OEDO_OPENING_YEAR_ESTIMATE = 2040


def build_stations(raw: Path) -> pd.DataFrame:
    """One row per station name: lines and operators ';'-joined (sorted), lat/lon the mean of the rows.

    The stations of the N02 file are open (``status`` open, no ``opening_year``), ids ``ST-001``... in the
    sorted order of their names. The three planned Oedo-line extension stations follow as ``ST-056``...
    in the order of the estimates file, ``status`` planned, ``opening_year`` 2040 (Tokyo's estimate),
    their coordinates and opening year marked imputed (estimates).
    """
    df = pd.read_csv(raw / STATIONS_FILE)
    dup = df.groupby("station_name").size()
    log.info(
        "stations: %d source rows (station x line), %d names; names on several rows: %s",
        len(df),
        len(dup),
        ", ".join(f"{n} x{k}" for n, k in dup[dup > 1].items()),
    )
    rows = []
    for i, (name, grp) in enumerate(sorted(df.groupby("station_name"), key=lambda t: t[0]), start=1):
        rows.append(
            {
                "station_id": f"ST-{i:03d}",
                "name": name,
                "lines": ";".join(sorted(set(grp["line"]))),
                "operators": ";".join(sorted(set(grp["operator"]))),
                "opening_year": None,
                "status": "open",
                "imputed": "",
                "lat": grp["lat"].mean(),
                "lon": grp["lon"].mean(),
            }
        )
    oedo = pd.read_csv(raw / OEDO_FILE)
    oedo_line = next(r["lines"] for r in rows if r["name"] == "光が丘")
    operators = next(r["operators"] for r in rows if r["name"] == "光が丘")
    for k, r in enumerate(oedo.itertuples(index=False), start=len(rows) + 1):
        rows.append(
            {
                "station_id": f"ST-{k:03d}",
                "name": r.station_provisional.replace("駅(仮称)", "(仮称)"),
                "lines": oedo_line,
                "operators": operators,
                "opening_year": OEDO_OPENING_YEAR_ESTIMATE,
                "status": "planned",
                "imputed": _imputed(["lat", "lon", "opening_year"]),
                "lat": float(r.lat_est),
                "lon": float(r.lon_est),
            }
        )
        log.info(
            "planned station %s %s at (%.4f, %.4f) +-%s m (estimate), opening %d (estimate)",
            f"ST-{k:03d}",
            r.station_provisional,
            r.lat_est,
            r.lon_est,
            r.uncertainty_m,
            OEDO_OPENING_YEAR_ESTIMATE,
        )
    return pd.DataFrame(rows)


def build_land_prices(raw: Path) -> pd.DataFrame:
    """The 49 都道府県地価調査 points inside the ward, ids ``LP-001``... in the extract's (address) order.

    ``survey_year`` 2022 is inferred (raw/SOURCES_REAL.md), so ``year_inferred`` is true and
    ``survey_year`` is listed in ``imputed``.
    """
    df = pd.read_csv(raw / LAND_PRICE_FILE, dtype={"address_as_given": str})
    return pd.DataFrame(
        {
            "point_id": [f"LP-{i:03d}" for i in range(1, len(df) + 1)],
            "address": df["address_as_given"].str.strip(),
            "price_yen_per_m2": df["price_yen_per_m2"].astype(int),
            "survey_year": 2022,
            "year_inferred": "true",
            "imputed": "survey_year",
            "lat": df["lat"].astype(float),
            "lon": df["lon"].astype(float),
        }
    )


def ward_meta(shares: dict[str, float]) -> dict:
    return {
        "name": "Nerima",
        "name_ja": "練馬区",
        "language": "ja",  # reports in Japanese by default (facility-opt run --lang en for English)
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


def validate(
    zones: pd.DataFrame, fac: pd.DataFrame, boundary: gpd.GeoDataFrame, stations: pd.DataFrame, land: pd.DataFrame
) -> None:
    problems: list[str] = []
    ward_shape = boundary.to_crs(METRIC_CRS).geometry.iloc[0]
    for i in land.index[~_points(land).covered_by(ward_shape)]:
        problems.append(f"land price {land.at[i, 'point_id']} {land.at[i, 'address']} lies outside the ward boundary")
    age_sum = sum(zones[f"pop_{g}"] for g in AGE_GROUPS)
    for r in zones[(age_sum - zones["population"]).abs() > 0.01 * zones["population"].clip(lower=1)].itertuples():
        problems.append(f"zone {r.zone_id}: age bands do not sum to the population {r.population} within 1 %")
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
        problems.append(
            f"facility {r['facility_id']} {r['name']} ({r['lat']}, {r['lon']}) lies outside the ward boundary"
        )
    zpts = _points(zones)
    for i in zones.index[~zpts.covered_by(ward)]:
        log.warning(
            "zone %s %s: census representative point lies %.0f m outside the simplified (1%%) ward boundary; kept as is",
            zones.at[i, "zone_id"],
            zones.at[i, "name"],
            zpts[i].distance(ward),
        )
    if not set(fac["building_id"]) <= set(fac["facility_id"]):
        problems.append("facilities: building_id refers to unknown facilities")
    if not stations["name"].is_unique:
        problems.append("stations: duplicate names")
    late = fac[(fac["year_built"] > BASE_YEAR) & (fac["status"] != "planned")]
    for r in late.itertuples():
        problems.append(f"facility {r.facility_id} {r.name}: year_built {r.year_built} after the base year {BASE_YEAR}")
    for r in fac[(fac["premises"] != "building") & fac["site_area_m2"].notna()].itertuples():
        problems.append(f"facility {r.facility_id} {r.name}: a {r.premises} has no site area")
    host_floor = fac.set_index("facility_id")["floor_area_m2"]
    host_premises = fac.set_index("facility_id")["premises"]
    members = fac[(fac["building_id"] != fac["facility_id"])]
    for host, grp in members.groupby("building_id"):
        if host_premises[host] != "room" and grp["floor_area_m2"].sum() > host_floor[host] + 1e-6:
            problems.append(
                f"building {host}: rooms {grp['floor_area_m2'].sum():.2f} m2 exceed its floor {host_floor[host]:.2f} m2"
            )
    if problems:
        raise BuildError(problems)


# ---------------------------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------------------------
ZONE_COLUMNS = [
    "zone_id",
    "name",
    "population",
    "households",
    "area_m2",
    *[f"pop_{g}" for g in AGE_GROUPS],
    "imputed",
    "lat",
    "lon",
]
FACILITY_COLUMNS = [
    "facility_id",
    "name",
    "category",
    "floor_area_m2",
    "year_built",
    "site_area_m2",
    "land_tenure",
    "operating_cost_yen",
    "annual_users",
    "address",
    "building_id",
    "premises",
    "status",
    "imputed",
    "lat",
    "lon",
]
SERVICE_COLUMNS = ["facility_id", "service_id", "capacity", "floor_area_m2", "annual_users", "utilisation", "imputed"]
STATION_COLUMNS = ["station_id", "name", "lines", "operators", "opening_year", "status", "imputed", "lat", "lon"]
LAND_PRICE_COLUMNS = [
    "point_id",
    "address",
    "price_yen_per_m2",
    "survey_year",
    "year_inferred",
    "imputed",
    "lat",
    "lon",
]
STOCK_COLUMNS = ["facility_type", "category", "count", "total_floor_area_m2"]
OUTPUT_FILES = (
    "ward.yaml",
    "boundary.geojson",
    "zones.csv",
    "facilities.csv",
    "facility_services.csv",
    "stations.csv",
    "stock_2013.csv",
    "land_prices.csv",
)
COORD_DECIMALS = 6


def build(raw: Path = DEFAULT_RAW, out: Path = DEFAULT_OUT, catalogue_path: Path = DEFAULT_CATALOGUE) -> dict[str, int]:
    """Build every output file of the dataset from ``raw`` into ``out``; returns row counts per file."""
    raw, out = Path(raw), Path(out)
    catalogue = read_catalogue(catalogue_path)
    boundary = read_boundary(raw)
    shares = age_shares(raw)
    stock = stock_table(raw, catalogue)
    zones = build_zones(raw, shares)
    fac, svc = build_facilities(raw, catalogue, stock, zones)
    stations = build_stations(raw)
    land = build_land_prices(raw)
    unknown = sorted(set(fac["category"]) - set(catalogue["categories"])) + sorted(
        set(svc["service_id"]) - set(catalogue["services"])
    )
    if unknown:
        raise BuildError([f"ids not in the catalogue: {unknown}"])
    validate(zones, fac, boundary, stations, land)

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
            [
                r.zone_id,
                r.name,
                str(r.population),
                str(r.households),
                _fmt(r.area_m2, 3),
                *[_fmt(getattr(r, f"pop_{g}"), 2) for g in AGE_GROUPS],
                r.imputed,
                _fmt(r.lat, c),
                _fmt(r.lon, c),
            ]
            for r in zones.itertuples(index=False)
        ),
    )
    counts["facilities.csv"] = write_csv(
        out / "facilities.csv",
        FACILITY_COLUMNS,
        (
            [
                r.facility_id,
                r.name,
                r.category,
                _fmt(r.floor_area_m2, 2),
                str(r.year_built),
                _fmt(r.site_area_m2, 2),
                r.land_tenure,
                _fmt(r.operating_cost_yen, 0),
                _fmt(r.annual_users, 0),
                r.address,
                r.building_id,
                r.premises,
                r.status,
                r.imputed,
                _fmt(r.lat, c),
                _fmt(r.lon, c),
            ]
            for r in fac.itertuples(index=False)
        ),
    )
    counts["facility_services.csv"] = write_csv(
        out / "facility_services.csv",
        SERVICE_COLUMNS,
        (
            [
                r.facility_id,
                r.service_id,
                _fmt(r.capacity, 0),
                _fmt(r.floor_area_m2, 2),
                _fmt(r.annual_users, 0),
                _fmt(r.utilisation, 3),
                r.imputed,
            ]
            for r in svc.itertuples(index=False)
        ),
    )
    counts["stations.csv"] = write_csv(
        out / "stations.csv",
        STATION_COLUMNS,
        (
            [
                r.station_id,
                r.name,
                r.lines,
                r.operators,
                "" if r.opening_year is None or r.opening_year != r.opening_year else str(int(r.opening_year)),
                r.status,
                r.imputed,
                _fmt(r.lat, c),
                _fmt(r.lon, c),
            ]
            for r in stations.itertuples(index=False)
        ),
    )
    counts["land_prices.csv"] = write_csv(
        out / "land_prices.csv",
        LAND_PRICE_COLUMNS,
        (
            [
                r.point_id,
                r.address,
                str(r.price_yen_per_m2),
                str(r.survey_year),
                r.year_inferred,
                r.imputed,
                _fmt(r.lat, c),
                _fmt(r.lon, c),
            ]
            for r in land.itertuples(index=False)
        ),
    )
    counts["stock_2013.csv"] = write_csv(
        out / "stock_2013.csv",
        STOCK_COLUMNS,
        (
            [r.facility_type, r.category, str(r.count), str(r.total_floor_area_m2)]
            for r in stock.itertuples(index=False)
        ),
    )
    log.info(
        "built %s: %d zones (population %d), %d facilities %s, %d facility services, %d stations, %d stock rows; "
        "co-located facilities: %d in %d shared buildings",
        out,
        len(zones),
        zones["population"].sum(),
        len(fac),
        fac["category"].value_counts().sort_index().to_dict(),
        len(svc),
        len(stations),
        len(stock),
        int((fac["building_id"] != fac["facility_id"]).sum()),
        int(fac.loc[fac["building_id"] != fac["facility_id"], "building_id"].nunique()),
    )
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--raw", type=Path, default=DEFAULT_RAW, help="folder of the raw source files (default: %(default)s)"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default: %(default)s)")
    parser.add_argument(
        "--catalogue", type=Path, default=DEFAULT_CATALOGUE, help="catalogue.yaml (default: %(default)s)"
    )
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
