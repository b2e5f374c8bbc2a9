"""The domain model: what one row of each ward table means, validated by pydantic.

A ward's data is a handful of tables (see :mod:`facility_opt.loading` for the file layout):

* **zones**: demand zones (町丁目), with population, by age group where known;
* **facilities**: the ward's buildings, with category, floor area, year built, costs, location;
* **facility_services**: which service each building hosts, with capacity and usage;
* **stations**: railway stations (one row per station, lines joined by ``;``), open or planned;
* **land_prices** (optional): surveyed land prices (yen/m²) at points, for site land values;
* **boundary**: the ward polygon.

The row models below are the single definition of each table's columns, their types, ranges and
meaning; the loader validates every row against them and the dataset builder writes them.
Coordinates are not part of the row models: they are read into a GeoDataFrame and checked as a
whole (inside the ward, not swapped).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

__all__ = [
    "AGE_GROUPS",
    "AgeGroup",
    "LandTenure",
    "Premises",
    "FacilityStatus",
    "StationStatus",
    "ZoneRecord",
    "FacilityRecord",
    "FacilityServiceRecord",
    "StationRecord",
    "LandPriceRecord",
    "WardMeta",
    "METRIC_CRS",
]

#: The metric CRS used for every distance in Tokyo: JGD2011 / Japan Plane Rectangular CS IX.
METRIC_CRS = "EPSG:6677"


class AgeGroup(StrEnum):
    """Age groups of the population columns ``pop_<group>`` in the zones table."""

    age_0_5 = "0_5"  # pre-school: nurseries, kindergartens
    age_6_11 = "6_11"  # primary school: after-school clubs, children's halls
    age_12_14 = "12_14"  # junior high school
    age_15_64 = "15_64"
    age_65_74 = "65_74"
    age_75_plus = "75_plus"


AGE_GROUPS: tuple[str, ...] = tuple(g.value for g in AgeGroup)


class LandTenure(StrEnum):
    owned = "owned"
    leased = "leased"


class Premises(StrEnum):
    """What a facility occupies.

    * ``building``: it is the main user of its own building on its own site; ``floor_area_m2`` is the
      whole building (including any rooms of other facilities inside it, which name it as ``building_id``).
    * ``room``: rooms inside another building: a building of the data (named by ``building_id``) or a
      building not in the data (a 地区区民館, 厚生文化会館, 区民センター; ``building_id`` is then its own id or
      a co-tenant's); ``floor_area_m2`` is the rooms' floor only and, when the host is in the data, part
      of the host's ``floor_area_m2`` (never added to it); no ``site_area_m2``.
    * ``housing_unit``: a unit in a housing block (e.g. ``光が丘3-3-2-101``); no site area; frees no land.
    """

    building = "building"
    room = "room"
    housing_unit = "housing_unit"


class FacilityStatus(StrEnum):
    """``existing`` (default) or ``planned`` (may have a ``year_built`` after the data's base year)."""

    existing = "existing"
    planned = "planned"


class StationStatus(StrEnum):
    """``open`` (default; blank ``opening_year`` = open before the base year) or ``planned``."""

    open = "open"
    planned = "planned"


def _blank_to_none(v):
    """CSV cells are strings: an empty cell means 'not given'."""
    if isinstance(v, str) and v.strip() == "":
        return None
    if isinstance(v, float) and v != v:  # NaN from pandas
        return None
    return v


def _split_list(v):
    """Lists are stored in one cell joined by ';' (e.g. 'floor_area_m2;year_built')."""
    v = _blank_to_none(v)
    if v is None:
        return []
    if isinstance(v, str):
        return sorted({p.strip() for p in v.split(";") if p.strip()})
    return v


Opt = Annotated
OptFloat = Annotated[float | None, BeforeValidator(_blank_to_none)]
OptInt = Annotated[int | None, BeforeValidator(_blank_to_none)]
OptStr = Annotated[str | None, BeforeValidator(_blank_to_none)]
StrList = Annotated[list[str], BeforeValidator(_split_list)]


class _Record(BaseModel):
    """Base of the row models: unknown fields are rejected, ids are stripped strings."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)
    #: columns every file of this table must have (besides the geometry)
    required_columns: ClassVar[tuple[str, ...]] = ()
    #: the id column
    id_column: ClassVar[str] = ""


class ZoneRecord(_Record):
    """A demand zone (町丁目): population at the census and, where known, by age group.

    ``pop_<group>`` columns are optional; when absent they are imputed from ward-level shares
    (see the dataset README) and the imputed field names are listed in ``imputed``.
    """

    required_columns: ClassVar[tuple[str, ...]] = ("zone_id", "name", "population")
    id_column: ClassVar[str] = "zone_id"

    zone_id: str = Field(min_length=1, description="Unique zone code (e.g. the census KEY_CODE).")
    name: str = Field(min_length=1, description="Zone name (e.g. 旭丘１丁目).")
    population: int = Field(ge=0, le=200_000, description="Residents at the census.")
    households: OptInt = Field(default=None, ge=0, le=200_000)
    area_m2: OptFloat = Field(default=None, gt=0, le=50_000_000)
    pop_0_5: OptFloat = Field(default=None, ge=0)
    pop_6_11: OptFloat = Field(default=None, ge=0)
    pop_12_14: OptFloat = Field(default=None, ge=0)
    pop_15_64: OptFloat = Field(default=None, ge=0)
    pop_65_74: OptFloat = Field(default=None, ge=0)
    pop_75_plus: OptFloat = Field(default=None, ge=0)
    imputed: StrList = Field(default_factory=list, description="Fields whose values are imputed, ';'-joined.")


class FacilityRecord(_Record):
    """One ward building (施設): what it is, how big and old, what it costs to run.

    ``category`` must be a building category of the catalogue (it sets the renewal unit cost);
    the services it hosts are in the facility_services table.
    """

    required_columns: ClassVar[tuple[str, ...]] = ("facility_id", "name", "category", "floor_area_m2", "year_built")
    id_column: ClassVar[str] = "facility_id"

    facility_id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    category: str = Field(min_length=1, description="Building category id from the catalogue.")
    floor_area_m2: float = Field(gt=0, le=300_000, description="Gross floor area 延床面積 (m²).")
    year_built: int = Field(ge=1868, le=2100, description="Year of construction 築年.")
    site_area_m2: OptFloat = Field(default=None, gt=0, le=2_000_000, description="Site (land) area 敷地面積 (m²).")
    land_tenure: LandTenure = Field(default=LandTenure.owned, description="owned land can be sold when closed")
    operating_cost_yen: OptFloat = Field(default=None, ge=0, le=1e11, description="Annual operating cost (yen/year).")
    annual_users: OptFloat = Field(default=None, ge=0, le=1e8, description="Users per year, all services.")
    address: OptStr = None
    building_id: OptStr = Field(default=None, description="Buildings sharing one structure share this id.")
    premises: Premises = Field(default=Premises.building, description="building | room | housing_unit (see Premises)")
    status: FacilityStatus = Field(default=FacilityStatus.existing, description="existing | planned")
    imputed: StrList = Field(default_factory=list)

    @field_validator("land_tenure", mode="before")
    @classmethod
    def _tenure_default(cls, v):
        return _blank_to_none(v) or LandTenure.owned

    @field_validator("premises", mode="before")
    @classmethod
    def _premises_default(cls, v):
        return _blank_to_none(v) or Premises.building

    @field_validator("status", mode="before")
    @classmethod
    def _status_default(cls, v):
        return _blank_to_none(v) or FacilityStatus.existing


class FacilityServiceRecord(_Record):
    """A service hosted in a facility, with its capacity (in the service's unit) and usage."""

    required_columns: ClassVar[tuple[str, ...]] = ("facility_id", "service_id", "capacity")
    id_column: ClassVar[str] = ""  # the key is (facility_id, service_id)

    facility_id: str = Field(min_length=1)
    service_id: str = Field(min_length=1)
    capacity: float = Field(ge=0, le=1e7, description="Capacity in the service's unit (places, pupils, ...).")
    floor_area_m2: OptFloat = Field(default=None, gt=0, le=300_000, description="Floor area this service uses.")
    annual_users: OptFloat = Field(default=None, ge=0, le=1e8)
    utilisation: OptFloat = Field(default=None, ge=0, le=1.5, description="Utilisation rate 稼働率 (0-1).")
    imputed: StrList = Field(default_factory=list)


class StationRecord(_Record):
    """A railway station; one row per station, its lines and operators joined by ';'."""

    required_columns: ClassVar[tuple[str, ...]] = ("station_id", "name")
    id_column: ClassVar[str] = "station_id"

    station_id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    lines: StrList = Field(default_factory=list)
    operators: StrList = Field(default_factory=list)
    opening_year: OptInt = Field(
        default=None, ge=1850, le=2100, description="Year the station opens; blank = open before the base year."
    )
    status: StationStatus = Field(default=StationStatus.open, description="open | planned")
    imputed: StrList = Field(default_factory=list, description="Estimated fields (e.g. lat;lon;opening_year).")

    @field_validator("status", mode="before")
    @classmethod
    def _status_default(cls, v):
        return _blank_to_none(v) or StationStatus.open


class LandPriceRecord(_Record):
    """A surveyed land price (e.g. 都道府県地価調査 / 地価公示 standard site) at a point, yen per m²."""

    required_columns: ClassVar[tuple[str, ...]] = ("point_id", "price_yen_per_m2")
    id_column: ClassVar[str] = "point_id"

    point_id: str = Field(min_length=1)
    address: OptStr = None
    price_yen_per_m2: float = Field(gt=0, le=1e8, description="Land price (yen/m²).")
    survey_year: OptInt = Field(default=None, ge=1950, le=2100)
    year_inferred: bool = Field(
        default=False, description="True when survey_year is inferred, not stated by the source."
    )
    imputed: StrList = Field(default_factory=list)

    @field_validator("year_inferred", mode="before")
    @classmethod
    def _bool_default(cls, v):
        return _blank_to_none(v) or False


class WardMeta(BaseModel):
    """``ward.yaml``: who the ward is and how to read its files."""

    model_config = ConfigDict(extra="forbid")

    name: str
    name_ja: str | None = None
    base_year: int = Field(ge=1900, le=2100, description="Year the data describe (plans start the year after).")
    population_year: int | None = Field(default=None, ge=1900, le=2100)
    crs: str = Field(default=METRIC_CRS, description="Metric CRS for distances.")
    csv_crs: str = Field(default="EPSG:4326", description="CRS of x/y or lat/lon columns in CSV files.")
    age_shares: dict[str, float] | None = Field(
        default=None, description="Ward-level population shares by age group, used to impute pop_<group>."
    )
    sources: list[str] = Field(default_factory=list, description="Credits shown in reports.")
    language: Literal["ja", "en"] | None = Field(
        default=None, description="Language of the ward's reports (ja for a Japanese ward); None: English."
    )

    @field_validator("age_shares")
    @classmethod
    def _shares(cls, v):
        if v is None:
            return v
        unknown = set(v) - set(AGE_GROUPS)
        if unknown:
            raise ValueError(f"unknown age groups {sorted(unknown)}; expected {list(AGE_GROUPS)}")
        s = sum(v.values())
        if abs(s - 1.0) > 1e-3:
            raise ValueError(f"age shares must sum to 1, got {s:.4f}")
        return v
