"""Reading one file of a ward folder: text in UTF-8 or Shift-JIS, a CSV or spatial table; its problems are
collected per file."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import geopandas as gpd
import pandas as pd

from ..errors import DataIssue, DataValidationError

log = logging.getLogger(__name__)

_SPATIAL_SUFFIXES = (".gpkg", ".geojson", ".json")


class _Collector:
    """Accumulates issues for one file."""

    def __init__(self, file: Path, sink: list[DataIssue]):
        self.file = str(file)
        self.sink = sink

    def add(self, row: int | None, field: str | None, message: str) -> None:
        self.sink.append(DataIssue(self.file, row, field, message))


def read_csv_text(path: Path) -> tuple[str, str]:
    """Decode a CSV file as UTF-8 (with or without BOM) or Shift-JIS/cp932; return (text, encoding).

    Raises :class:`UnicodeDecodeError` (from the UTF-8 attempt) when neither decodes.
    """
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as exc:
        try:
            text = raw.decode("cp932")
        except UnicodeDecodeError:
            raise exc from None
        log.info("%s: read as Shift-JIS (cp932)", path.name)
        return text, "cp932"


def read_text_any_encoding(path: Path) -> str:
    """The text of a UTF-8 or Shift-JIS (cp932) file; :class:`DataValidationError` naming the file
    and the offending byte otherwise."""
    try:
        return read_csv_text(path)[0]
    except UnicodeDecodeError as exc:
        raise DataValidationError(
            [
                DataIssue(
                    str(path),
                    None,
                    None,
                    f"cannot decode the file as UTF-8 or "
                    f"Shift-JIS (cp932) (bad byte at offset {exc.start}); save it as UTF-8",
                )
            ]
        ) from None


def _find_file(folder: Path, stem: str, spatial: bool) -> Path | None:
    suffixes = (".csv", *_SPATIAL_SUFFIXES) if spatial else (".csv",)
    found = [folder / f"{stem}{s}" for s in suffixes if (folder / f"{stem}{s}").is_file()]
    return found[0] if found else None


def _read_frame(path: Path, col: _Collector) -> pd.DataFrame | gpd.GeoDataFrame | None:
    """Read one table file into strings (CSV) or a GeoDataFrame; None when unreadable or empty."""
    if path.stat().st_size == 0:
        col.add(None, None, "the file is empty (expected a header row and data rows)")
        return None
    if path.suffix.lower() == ".csv":
        try:
            text, _ = read_csv_text(path)
        except UnicodeDecodeError as exc:
            col.add(
                None,
                None,
                f"cannot decode the file as UTF-8 or Shift-JIS (cp932) (bad byte at offset "
                f"{exc.start}); save it as UTF-8",
            )
            return None
        try:
            df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            col.add(None, None, f"not a readable CSV file: {exc}")
            return None
        df.columns = [str(c).strip() for c in df.columns]
        if df.empty:
            col.add(None, None, "the file has a header but no data rows")
            return None
        return df
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types for unreadable files
        col.add(None, None, f"cannot read the file as GeoPackage/GeoJSON: {exc}")
        return None
    if gdf.empty:
        col.add(None, None, "the file has no features")
        return None
    if gdf.crs is None:
        col.add(None, "geometry", "the file declares no CRS; set one (e.g. gdf.set_crs('EPSG:4326')) and save again")
        return None
    return gdf
