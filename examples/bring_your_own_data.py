"""Bring your own ward data: validate a folder of CSV / GeoPackage files, then plan on it.

    python examples/bring_your_own_data.py [DATA_DIR] [--out out/example_own]

A ward folder holds ward.yaml, boundary.geojson|.gpkg, zones, facilities, facility_services and
stations as CSV (lat/lon columns; UTF-8 or Shift-JIS) or GeoPackage/GeoJSON (any declared CRS); see
docs/data_model.md. Without DATA_DIR, this script makes a demonstration folder from the embedded
Nerima data in both formats (facilities and stations as GeoPackage, the rest as CSV), as a
consultant's client would deliver it, then:

1. validates it (every problem, with file, row and field, is printed and the script stops);
2. writes a planning model that extends models/nerima.yaml with the client's data folder;
3. runs it and prints the headline figures.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import facility_opt as fo
from facility_opt.resources import models_dir


def make_demo_folder(folder: Path) -> Path:
    """The embedded ward exported as a client would send it: mixed CSV and GeoPackage files."""
    ward = fo.load_nerima()
    ward.to_dir(folder)  # CSV + GeoJSON, the library's own layout
    for name in ("facilities", "stations"):  # these two as GeoPackage, in WGS84
        gdf = getattr(ward, name).to_crs("EPSG:4326")
        (folder / f"{name}.csv").unlink()
        gdf.to_file(folder / f"{name}.gpkg", driver="GPKG")
    return folder


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data_dir", nargs="?", type=Path)
    ap.add_argument("--out", type=Path, default=Path("out/example_own"))
    args = ap.parse_args()

    data = args.data_dir or make_demo_folder(args.out.with_name(args.out.name + "_data"))
    try:
        ward = fo.read_ward(data)
    except fo.DataValidationError as err:
        print(err, file=sys.stderr)  # every problem, each with file, row and field
        sys.exit(1)
    print(f"valid: {ward!r}")
    print(ward.summary().to_string())

    model = args.out.with_name(args.out.name + "_model.yaml")
    model.parent.mkdir(parents=True, exist_ok=True)
    model.write_text(
        f"extends: {(models_dir() / 'nerima.yaml').resolve()}\nname: own-data\ndata: {data.resolve()}\n",
        encoding="utf-8",
    )
    result = fo.run_model(model, args.out)
    print(result.plan)
    print(f"files in {args.out}: {', '.join(result.files)}")


if __name__ == "__main__":
    main()
