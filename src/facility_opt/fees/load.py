"""Reading a fee model: the YAML file (tariff and policy) or a real fee tariff from CSV.

CSV files may be UTF-8 or cp932 / Shift-JIS, as published in Japanese open data; every problem is
reported with file, row and field.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import DataIssue, DataValidationError, ModelConfigError
from ..loading import read_text_any_encoding
from ..yamlio import load_yaml_model
from .tariff import FacilityCost, FeeItem, FeeModel, FeeTariff

__all__ = ["load_fee_model", "default_fee_model", "load_fee_tariff_csv", "load_facility_costs_csv"]


def load_fee_model(path: str | Path) -> FeeModel:
    """Read a fee-model YAML file (``costs``, ``items``, ``policy``); errors name the file and key path.

    Examples
    --------
    >>> from facility_opt.resources import models_dir
    >>> m = load_fee_model(models_dir() / "fees_nerima_example.yaml")
    >>> m.illustrative, m.policy.cap_ratio
    (True, 1.5)
    """
    path = Path(path)

    def reshape(data):
        if not isinstance(data, dict) or "items" not in data or "costs" not in data:
            raise ModelConfigError(
                f"{path}: a fee model needs top-level keys 'costs' and 'items' (and optionally 'policy')"
            )
        return {
            "tariff": {"items": data["items"], "costs": data["costs"], "source": str(path)},
            "policy": data.get("policy") or {},
            "illustrative": bool(data.get("illustrative", False)),
            "notes": str(data.get("notes", "")),
        }

    return load_yaml_model(path, FeeModel, "fee model", transform=reshape)


def default_fee_model() -> FeeModel:
    """The shipped, ILLUSTRATIVE Nerima example (``models/fees_nerima_example.yaml``)."""
    from ..resources import models_dir

    return load_fee_model(models_dir() / "fees_nerima_example.yaml")


_COST_FIELDS = tuple(FacilityCost.model_fields)
_ITEM_FIELDS = tuple(FeeItem.model_fields)


def _read_csv_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    text = read_text_any_encoding(path)  # UTF-8 or cp932, as every ward CSV
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    rows = [{(k or "").strip(): (v or "").strip() for k, v in r.items()} for r in reader]
    return header, rows


def _row_issues(path: Path, row_no: int, err: ValidationError) -> list[DataIssue]:
    out = []
    for e in err.errors():
        field = ".".join(str(p) for p in e["loc"]) or None
        msg = e["msg"] + (f" (got {e['input']!r})" if field and not isinstance(e.get("input"), dict) else "")
        out.append(DataIssue(str(path), row_no, field, msg))
    return out


def _cost_from_row(row: dict[str, str]) -> dict[str, Any]:
    return {k: row[k] for k in _COST_FIELDS if row.get(k, "") != ""}


def load_facility_costs_csv(path: str | Path) -> dict[str, FacilityCost]:
    """Read cost entities from a CSV with a ``cost_key`` column and :class:`FacilityCost` columns."""
    path = Path(path)
    header, rows = _read_csv_rows(path)
    if "cost_key" not in header:
        raise DataValidationError([DataIssue(str(path), None, "cost_key", "missing column")])
    issues: list[DataIssue] = []
    costs: dict[str, FacilityCost] = {}
    for n, row in enumerate(rows, start=1):
        key = row.get("cost_key", "")
        if not key:
            issues.append(DataIssue(str(path), n, "cost_key", "empty"))
            continue
        try:
            costs[key] = FacilityCost.model_validate(_cost_from_row(row))
        except ValidationError as exc:
            issues.extend(_row_issues(path, n, exc))
    if issues:
        raise DataValidationError(issues)
    return costs


def load_fee_tariff_csv(path: str | Path, costs: str | Path | dict[str, FacilityCost] | None = None) -> FeeTariff:
    """Read a fee tariff from CSV: one row per fee item, columns named as :class:`FeeItem` fields.

    The costs come from ``costs`` (a cost CSV, see :func:`load_facility_costs_csv`, or a dict), or,
    when ``costs`` is None, from cost columns in the same file (``annual_operating_yen``,
    ``annual_maintenance_yen``, ``floor_area_m2``, ...; rows with the same cost key must agree).
    The file may be UTF-8 or cp932 / Shift-JIS.  Every problem is reported with file, row and field.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "fees.csv"
    >>> _ = p.write_text(
    ...     "item_id,facility_type,room_class,unit,current_fee,floor_share,available_hours,annual_uses,"
    ...     "necessity,market,annual_operating_yen\\n"
    ...     "h1,community_hall,large,hour,800,0.3,4308,1800,optional,public,10000000\\n", encoding="cp932")
    >>> s = load_fee_tariff_csv(p)
    >>> s.items[0].current_fee, s.costs["community_hall"].annual_operating_yen
    (800.0, 10000000.0)
    """
    path = Path(path)
    if not path.is_file():
        raise DataValidationError([DataIssue(str(path), None, None, "file not found")])
    header, rows = _read_csv_rows(path)
    issues: list[DataIssue] = []
    required = [n for n, f in FeeItem.model_fields.items() if f.is_required()]
    missing = [c for c in required if c not in header]
    for c in missing:
        issues.append(DataIssue(str(path), None, c, "missing column"))
    unknown = [c for c in header if c not in _ITEM_FIELDS and c not in _COST_FIELDS and c != "cost_key"]
    for c in unknown:
        issues.append(DataIssue(str(path), None, c, f"unknown column; item columns are {list(_ITEM_FIELDS)}"))
    if issues:
        raise DataValidationError(issues)

    inline_costs: dict[str, tuple[int, FacilityCost]] = {}
    items: list[FeeItem] = []
    for n, row in enumerate(rows, start=1):
        data = {k: v for k, v in row.items() if k in _ITEM_FIELDS and v != ""}
        try:
            item = FeeItem.model_validate(data)
        except ValidationError as exc:
            issues.extend(_row_issues(path, n, exc))
            continue
        items.append(item)
        if costs is None:
            cdata = _cost_from_row(row)
            if not cdata:
                issues.append(
                    DataIssue(str(path), n, "annual_operating_yen", "no cost columns and no costs file given")
                )
                continue
            try:
                fc = FacilityCost.model_validate(cdata)
            except ValidationError as exc:
                issues.extend(_row_issues(path, n, exc))
                continue
            prev = inline_costs.setdefault(item.key, (n, fc))
            if prev[1] != fc:
                issues.append(
                    DataIssue(
                        str(path), n, "annual_operating_yen", f"cost columns of '{item.key}' differ from row {prev[0]}"
                    )
                )
    if not rows:
        issues.append(DataIssue(str(path), None, None, "no data rows"))
    if issues:
        raise DataValidationError(issues)
    if costs is None:
        cost_map = {k: v for k, (_, v) in inline_costs.items()}
    elif isinstance(costs, dict):
        cost_map = dict(costs)
    else:
        cost_map = load_facility_costs_csv(costs)
    try:
        return FeeTariff(items=tuple(items), costs=cost_map, source=str(path))
    except ValidationError as exc:
        raise DataValidationError([DataIssue(str(path), None, None, e["msg"]) for e in exc.errors()]) from exc
