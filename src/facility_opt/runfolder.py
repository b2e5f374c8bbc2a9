"""What a run folder holds, read generically: its tables, map layers and headline figures.

The Excel workbook (:mod:`facility_opt.workbook`) and the PostGIS publisher
(:mod:`facility_opt.postgis`) both take a run folder as written by :func:`facility_opt.run_model`
and read it here, without a list of its files: every CSV is a table, every GeoPackage layer a map
layer, and ``plan.json``'s KPIs with ``run.json``'s outcome are the headline figures. So both stay
right as the run folder gains files.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

__all__ = ["run_tables", "read_table", "run_layers", "run_kpis", "run_fingerprint", "python_value", "TABLE_ORDER"]

#: tables shown first (in this order); any other CSV follows by name
TABLE_ORDER = ("decisions", "timeline", "years", "costs", "cost_by_year", "services", "assignments")
_TRUE, _FALSE = {"True", "true"}, {"False", "false"}


def python_value(v: Any) -> Any:
    """A cell of a table as a plain Python value: numpy scalars unwrapped, missing values None (an
    empty Excel cell, a database NULL)."""
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    return v.item() if hasattr(v, "item") else v


def _table_name(run_dir: Path, path: Path) -> str:
    return path.relative_to(run_dir).with_suffix("").as_posix().replace("/", "_")


def read_table(path: str | Path) -> pd.DataFrame:
    """One CSV with typed columns: booleans, integers (nullable) and floats where every filled cell
    is one; ids (``*_id``) and anything else stay text."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    for c in df.columns:
        s = df[c]
        filled = s[s != ""]
        if c.endswith("_id") or filled.empty:
            continue
        if filled.isin(_TRUE | _FALSE).all():
            df[c] = s.map(lambda v: True if v in _TRUE else False if v in _FALSE else None).astype("boolean")
            continue
        num = pd.to_numeric(filled, errors="coerce")
        if num.notna().all():
            values = pd.to_numeric(s.where(s != "", None))
            integral = not filled.str.contains(r"[.eE]", regex=True).any()
            df[c] = values.astype("Int64") if integral else values.astype("float64")
    return df


def run_tables(run_dir: str | Path) -> dict[str, pd.DataFrame]:
    """Every CSV of the run folder (subfolders too: ``fees/fee_table.csv`` is ``fees_fee_table``),
    typed by :func:`read_table`, in :data:`TABLE_ORDER` then by name."""
    run_dir = Path(run_dir)
    paths = {
        _table_name(run_dir, p): p
        for p in sorted(run_dir.rglob("*.csv"))
        if not any(part.startswith(".") for part in p.relative_to(run_dir).parts)
    }
    order = [n for n in TABLE_ORDER if n in paths] + sorted(n for n in paths if n not in TABLE_ORDER)
    return {n: read_table(paths[n]) for n in order}


def run_layers(run_dir: str | Path) -> dict[str, gpd.GeoDataFrame]:
    """Every layer of every GeoPackage at the top of the run folder, by layer name."""
    import pyogrio

    out: dict[str, gpd.GeoDataFrame] = {}
    for path in sorted(Path(run_dir).glob("*.gpkg")):
        for layer, _ in pyogrio.list_layers(path):
            name = layer if layer not in out else f"{path.stem}_{layer}"
            out[name] = gpd.read_file(path, layer=layer, engine="pyogrio")
    return out


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for k in sorted(value):
            _flatten(f"{prefix}.{k}" if prefix else str(k), value[k], out)
    elif value is None or isinstance(value, (bool, int, float, str)):
        out[prefix] = value  # lists (per-service figures, issues) have tables of their own


def run_kpis(run_dir: str | Path) -> pd.DataFrame:
    """Headline figures: ``run.json``'s model and solver outcome, then ``plan.json``'s KPIs, one row
    each (``kpi``, ``value``); nested figures are dotted (``solver.gap``)."""
    run_dir = Path(run_dir)
    flat: dict[str, Any] = {}
    run = _read_json(run_dir / "run.json")
    for key in ("model", "valid", "solver", "horizon"):
        if key in run:
            _flatten(key, run[key], flat)
    _flatten("", _read_json(run_dir / "plan.json").get("kpis", {}), flat)
    return pd.DataFrame({"kpi": list(flat), "value": list(flat.values())}, columns=["kpi", "value"])


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def run_fingerprint(run_dir: str | Path) -> str:
    """SHA-256 of every file of the run folder (names and bytes): the identity of a published plan."""
    run_dir = Path(run_dir)
    h = hashlib.sha256()
    for p in sorted(q for q in run_dir.rglob("*") if q.is_file()):
        h.update(p.relative_to(run_dir).as_posix().encode() + b"\0")
        h.update(p.read_bytes())
    return h.hexdigest()
