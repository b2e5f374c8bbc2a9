"""The :class:`Ward`: one ward's data as GeoDataFrames in a metric CRS, and its round trip to files."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import yaml

from .atomic import atomic_write_bytes
from .schema import FacilityRecord, FacilityServiceRecord, LandPriceRecord, StationRecord, WardMeta, ZoneRecord

__all__ = ["Ward"]


def _points_to_csv(gdf: gpd.GeoDataFrame, columns: list[str]) -> str:
    wgs = gdf.geometry.to_crs("EPSG:4326")
    df = pd.DataFrame(gdf[columns]).copy()
    df["lat"] = wgs.y.round(7)
    df["lon"] = wgs.x.round(7)
    return df.to_csv(index=False, lineterminator="\n")


@dataclass(frozen=True)
class Ward:
    """One ward's data: demand zones, facilities, the services they host, stations, boundary, land prices.

    Every spatial table is a GeoDataFrame of points in ``meta.crs`` (metric; EPSG:6677 for Tokyo),
    sorted by its id column (``zone_id``, ``facility_id``, ``station_id``, ``point_id``).
    ``stations`` holds open and planned stations: use :meth:`stations_open_in` (or :attr:`open_stations`
    for the base year) wherever a station must exist.  ``land_prices`` is empty when the ward folder
    has no ``land_prices.csv``.  Read one with
    :func:`facility_opt.read_ward` or :func:`facility_opt.load_nerima`; write one with
    :meth:`to_dir`.  Tables are not copied on access: use :meth:`copy` before changing them.
    """

    meta: WardMeta
    boundary: gpd.GeoDataFrame
    zones: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    facility_services: pd.DataFrame
    stations: gpd.GeoDataFrame
    source: Path | None = field(default=None, compare=False)
    land_prices: gpd.GeoDataFrame | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.land_prices is None:
            empty = gpd.GeoDataFrame({c: [] for c in LandPriceRecord.model_fields}, geometry=[], crs=self.zones.crs)
            object.__setattr__(self, "land_prices", empty)
        # one canonical order, so that every output derived from a ward is deterministic
        for name, key in (
            ("zones", ["zone_id"]),
            ("facilities", ["facility_id"]),
            ("stations", ["station_id"]),
            ("facility_services", ["facility_id", "service_id"]),
            ("land_prices", ["point_id"]),
        ):
            df = getattr(self, name)
            object.__setattr__(self, name, df.sort_values(key, kind="mergesort").reset_index(drop=True))

    @property
    def crs(self):
        return self.zones.crs

    def stations_open_in(self, year: int) -> gpd.GeoDataFrame:
        """The stations open in ``year``: those without an ``opening_year`` (open before the base year)
        and those whose ``opening_year`` is ``year`` or earlier (planned stations from their opening on).

        >>> from facility_opt import load_nerima
        >>> ward = load_nerima()
        >>> len(ward.stations), len(ward.stations_open_in(2018)), len(ward.stations_open_in(2040))
        (58, 55, 58)
        """
        st = self.stations
        if "opening_year" not in st.columns:
            return st
        opening = pd.to_numeric(st["opening_year"], errors="coerce")
        return st[opening.isna() | (opening <= int(year))].reset_index(drop=True)

    @property
    def structures(self) -> gpd.GeoDataFrame:
        """The facilities that are not ``room``s: each occupies a building or housing unit of its own,
        whose ``floor_area_m2`` includes the rooms of other facilities inside it. Their floor areas add
        up without double counting; renewal costs belong to them (a room is renewed with its building)."""
        f = self.facilities
        if "premises" not in f.columns:
            return f
        return f[f["premises"].fillna("building") != "room"].reset_index(drop=True)

    @property
    def open_stations(self) -> gpd.GeoDataFrame:
        """The stations open in the base year (``meta.base_year``): no planned station counts as existing."""
        return self.stations_open_in(self.meta.base_year)

    def copy(self) -> Ward:
        """A deep copy whose tables can be changed without touching this ward."""
        return Ward(
            self.meta.model_copy(deep=True),
            self.boundary.copy(),
            self.zones.copy(),
            self.facilities.copy(),
            self.facility_services.copy(),
            self.stations.copy(),
            self.source,
            self.land_prices.copy(),
        )

    def __repr__(self) -> str:
        return (
            f"Ward({self.meta.name!r}: {len(self.zones)} zones, pop {int(self.zones['population'].sum()):,}; "
            f"{len(self.facilities)} facilities, {self.structures['floor_area_m2'].sum():,.0f} m² in "
            f"{len(self.structures)} buildings and units; "
            f"{len(self.stations)} stations ({len(self.open_stations)} open); crs {self.meta.crs})"
        )

    def summary(self) -> pd.DataFrame:
        """Facilities by category: count, total and mean floor area, mean year built, imputed shares."""
        f = self.facilities
        g = f.groupby("category", sort=True)
        out = pd.DataFrame(
            {
                "facilities": g.size(),
                "floor_area_m2": g["floor_area_m2"].sum().round(1),
                "mean_floor_area_m2": g["floor_area_m2"].mean().round(1),
                "mean_year_built": g["year_built"].mean().round(1),
                "floor_area_imputed": g["imputed"].apply(lambda s: s.str.contains("floor_area_m2").mean()).round(3),
            }
        )
        out.loc["total"] = [
            len(f),
            round(f["floor_area_m2"].sum(), 1),
            round(f["floor_area_m2"].mean(), 1),
            round(f["year_built"].mean(), 1),
            round(f["imputed"].str.contains("floor_area_m2").mean(), 3),
        ]
        out["facilities"] = out["facilities"].astype(int)
        return out

    def fingerprint(self) -> str:
        """SHA-256 of the ward's content as written by :meth:`to_dir` (independent of file paths)."""
        h = hashlib.sha256()
        for name, data in sorted(self._files().items()):
            h.update(name.encode())
            h.update(data)
        return h.hexdigest()

    def _files(self) -> dict[str, bytes]:
        meta = yaml.safe_dump(self.meta.model_dump(mode="json"), allow_unicode=True, sort_keys=False)
        cols = {
            "zones.csv": (self.zones, list(ZoneRecord.model_fields)),
            "facilities.csv": (self.facilities, list(FacilityRecord.model_fields)),
            "stations.csv": (self.stations, list(StationRecord.model_fields)),
        }
        files = {
            "ward.yaml": meta.encode(),
            "boundary.geojson": self.boundary.to_crs("EPSG:4326").to_json(drop_id=True).encode(),
        }
        if len(self.land_prices):
            cols["land_prices.csv"] = (self.land_prices, list(LandPriceRecord.model_fields))
        for name, (gdf, fields) in cols.items():
            extra = [c for c in gdf.columns if c.startswith("x_")]
            files[name] = _points_to_csv(gdf, fields + extra).encode()
        fs_cols = list(FacilityServiceRecord.model_fields) + [c for c in self.facility_services if c.startswith("x_")]
        files["facility_services.csv"] = (
            self.facility_services[fs_cols].to_csv(index=False, lineterminator="\n").encode()
        )
        return files

    def to_dir(self, folder: str | Path) -> Path:
        """Write the ward in the folder layout :func:`read_ward` reads (each file written atomically)."""
        folder = Path(folder)
        for name, data in self._files().items():
            atomic_write_bytes(folder / name, data)
        return folder
