"""A facility register (施設台帳) in Excel as the facilities of a ward folder.

A ward folder may hold its facilities as ``facilities.xlsx``, an export of the ward's register with
its own column headers (延床面積, 建築年, 施設分類 …) instead of ``facilities.csv``. A YAML mapping,
``facilities.mapping.yaml`` beside it (the packaged default otherwise, see
:func:`default_mapping_path`), says which header is which field, which labels are which values
(小学校 → ``primary_school``) and which service each category hosts, so that the register also gives
the ``facility_services`` table (定員 → ``capacity``).

The register is staged as ``facilities.csv`` (and ``facility_services.csv``) and read by the same
loader as any ward folder (:mod:`facility_opt.staging`); its problems name the workbook, the sheet,
the row as Excel numbers it and the register's own header::

    facilities.xlsx, sheet '施設台帳', row 14, field '延床面積(㎡)' (floor_area_m2): Input should be
    greater than 0 (got '-600')

Cells are read as the user sees them: numbers as numbers (``1,234`` in a text cell too), dates and
Japanese era years (昭和43年, H5) as years where the field is a year, labels through the mapping.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .catalogue import Catalogue
from .errors import DataIssue, DataValidationError
from .schema import FacilityRecord, FacilityServiceRecord
from .staging import Origin, cell_text, read_staged
from .ward import Ward

__all__ = [
    "RegisterMapping",
    "Register",
    "default_mapping_path",
    "load_mapping",
    "read_register",
    "read_ward_with_register",
    "REGISTER_FILE",
    "MAPPING_FILE",
]

log = logging.getLogger(__name__)

#: the register and its mapping in a ward folder
REGISTER_FILE = "facilities.xlsx"
MAPPING_FILE = "facilities.mapping.yaml"

_COORDS = ("lat", "lon", "x", "y")
_SERVICE_PREFIX = "service."
_SERVICE_FIELDS = tuple(f for f in FacilityServiceRecord.model_fields if f not in ("facility_id", "service_id"))
#: first years of the Japanese eras (a year N of an era is first + N - 1; 元年 is 1)
_ERAS = {
    "明治": 1868,
    "大正": 1912,
    "昭和": 1926,
    "平成": 1989,
    "令和": 2019,
    "M": 1868,
    "T": 1912,
    "S": 1926,
    "H": 1989,
    "R": 2019,
}
_ERA_YEAR = re.compile(r"^(明治|大正|昭和|平成|令和|[MTSHR])\.?(元|\d{1,2})(年度?)?$")
_WESTERN_YEAR = re.compile(r"^(\d{4})(年度?)?$")


def _norm(text: Any) -> str:
    """Headers and labels compare after NFKC (（㎡） = (m2)) with spaces removed."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text)))


def _known_target(target: str) -> bool:
    if target in FacilityRecord.model_fields or target in _COORDS or target.startswith("x_"):
        return True
    return target.startswith(_SERVICE_PREFIX) and target[len(_SERVICE_PREFIX) :] in _SERVICE_FIELDS


class RegisterMapping(BaseModel):
    """``facilities.mapping.yaml``: how a register's sheet maps to the facilities (and services) tables."""

    model_config = ConfigDict(extra="forbid")

    sheet: str | None = Field(default=None, description="Sheet name (default: the first sheet).")
    header_row: int = Field(default=1, ge=1, le=1000, description="Row of the headers, as Excel numbers it.")
    columns: dict[str, str] = Field(
        min_length=1, description="Register header -> field, coordinate, service.<field> or x_<name>."
    )
    values: dict[str, dict[str, str]] = Field(default_factory=dict, description="Per field: label -> value.")
    services: dict[str, str] = Field(default_factory=dict, description="Category -> the service it hosts.")

    @field_validator("columns")
    @classmethod
    def _targets(cls, v: dict[str, str]) -> dict[str, str]:
        bad = sorted({t for t in v.values() if not _known_target(t)})
        if bad:
            allowed = [*FacilityRecord.model_fields, *_COORDS, *(_SERVICE_PREFIX + f for f in _SERVICE_FIELDS)]
            raise ValueError(f"unknown target(s) {bad}; expected one of {allowed} or x_<name>")
        return v

    def header_map(self) -> dict[str, str]:
        """Normalised header -> target."""
        return {_norm(h): t for h, t in self.columns.items()}

    def label_map(self, target: str) -> dict[str, str]:
        """Normalised label -> value for one target."""
        return {_norm(k): v for k, v in self.values.get(target, {}).items()}


def default_mapping_path() -> Path:
    """The packaged default mapping (common 施設台帳 headers and category labels)."""
    return Path(__file__).resolve().with_name(MAPPING_FILE)


def load_mapping(path: str | Path) -> RegisterMapping:
    """Read and validate a mapping file; :class:`DataValidationError` naming the file and key otherwise."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return RegisterMapping.model_validate(data)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise DataValidationError(
            [DataIssue(str(path), None, None, f"cannot read the mapping as UTF-8 YAML: {exc}")]
        ) from None
    except ValidationError as exc:
        raise DataValidationError(
            [
                DataIssue(
                    str(path),
                    None,
                    ".".join(str(p) for p in e["loc"]) or None,
                    f"{e['msg']} (got {e.get('input')!r})"[:400],
                )
                for e in exc.errors()
            ]
        ) from None


def _kind(target: str) -> str:
    """'year', 'number' or 'text': how a cell of this target is turned into text."""
    from .loading.tables import _dtype_of  # the loader's own reading of the row models' types

    field = target[len(_SERVICE_PREFIX) :] if target.startswith(_SERVICE_PREFIX) else target
    record = FacilityServiceRecord if target.startswith(_SERVICE_PREFIX) else FacilityRecord
    info = record.model_fields.get(field)
    if info is None:
        return "number" if field in _COORDS else "text"
    dtype = _dtype_of(info.annotation)
    if dtype in ("int64", "Int64") and field.startswith("year"):
        return "year"
    return "number" if dtype else "text"


def _cell_text(value: Any, kind: str) -> str:
    """A cell as the text a CSV would hold (:func:`~facility_opt.staging.cell_text`), with years from
    dates and era years, and numbers from text cells with thousands separators or full-width digits."""
    if isinstance(value, (dt.datetime, dt.date)) and kind == "year":
        return str(value.year)
    if not isinstance(value, str):
        return cell_text(value)
    text = unicodedata.normalize("NFKC", value).strip()
    if kind == "year":
        compact = re.sub(r"\s+", "", text).upper()
        if m := _ERA_YEAR.match(compact):
            return str(_ERAS[m.group(1)] + (1 if m.group(2) == "元" else int(m.group(2))) - 1)
        if m := _WESTERN_YEAR.match(compact):
            return m.group(1)
    if kind in ("number", "year") and re.fullmatch(r"[-+]?[\d,]+(\.\d+)?", text):
        return text.replace(",", "")
    return text


@dataclass(frozen=True)
class Register:
    """A register read through its mapping: the two tables as text (as a CSV would give them), the
    Excel row of each table row, and the header of each field."""

    facilities: pd.DataFrame
    facility_services: pd.DataFrame | None
    facility_origin: Origin
    service_origin: Origin | None


def _sheet_rows(
    path: Path, mapping: RegisterMapping, issues: list[DataIssue]
) -> tuple[str, list[tuple[int, tuple]]] | None:
    """The sheet's name and its (Excel row number, cells) from the header row on; None when unreadable."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zip, XML and key errors for files that are not workbooks
        issues.append(DataIssue(str(path), None, None, f"cannot read the file as an Excel workbook (.xlsx): {exc}"))
        return None
    try:
        name = mapping.sheet if mapping.sheet is not None else wb.sheetnames[0]
        if name not in wb.sheetnames:
            issues.append(
                DataIssue(
                    str(path),
                    None,
                    None,
                    f"no sheet '{name}' (sheets: {', '.join(wb.sheetnames)}); set 'sheet' in the mapping",
                    sheet=name,
                )
            )
            return None
        rows = [
            (i, tuple(r))
            for i, r in enumerate(wb[name].iter_rows(values_only=True), start=1)
            if i >= mapping.header_row
        ]
    finally:
        wb.close()
    return name, rows


def _find_columns(
    header: tuple,
    header_row: int,
    mapping: RegisterMapping,
    has_services_file: bool,
    issue: Callable[..., None],
    where: str,
) -> dict[str, tuple[int, str]]:
    """target -> (column index, header as written) of the header row; ``issue`` for duplicate targets, required
    fields without a column, and services given twice."""
    wanted = mapping.header_map()
    found: dict[str, tuple[int, str]] = {}  # target -> (column index, header as written)
    ignored = []
    for j, h in enumerate(header):
        if h is None or str(h).strip() == "":
            continue
        target = wanted.get(_norm(h))
        if target is None:
            ignored.append(str(h).strip())
        elif target in found:
            issue(
                f"columns '{found[target][1]}' and '{str(h).strip()}' both map to {target}; keep one in the mapping",
                header_row,
                target,
                str(h).strip(),
            )
        else:
            found[target] = (j, str(h).strip())
    if ignored:
        log.info("%s: columns not in the mapping are ignored: %s", where, ", ".join(ignored))
    headers_found = ", ".join(str(h).strip() for h in header if h is not None and str(h).strip())
    need = list(FacilityRecord.required_columns) + ([_SERVICE_PREFIX + "capacity"] if mapping.services else [])
    for target in need:
        if target not in found:
            named = [h for h, t in mapping.columns.items() if t == target]
            issue(
                f"no column maps to {target}: the mapping names {' or '.join(named) or 'no header'} for it "
                f"(headers in row {header_row}: {headers_found})",
                None,
                target,
            )
    if mapping.services and has_services_file:
        issue(
            "the mapping gives 'services' and the folder has facility_services.csv too; give the services in one "
            "place (remove one of them)"
        )
    return found


def _services_table(
    fac_rows: list[dict[str, str]],
    excel_rows: list[int],
    found: dict,
    columns: dict[str, str],
    mapping: RegisterMapping,
    file: str,
    sheet: str,
) -> tuple[pd.DataFrame, Origin]:
    """The facility_services table of a register whose mapping names the service of each category, with
    its origin (the Excel rows and headers)."""
    svc_targets = [t for t in found if t.startswith(_SERVICE_PREFIX)]
    svc_rows, svc_excel = [], []
    for rec, number in zip(fac_rows, excel_rows):
        service = mapping.services.get(rec["category"])
        if service is None:
            continue
        svc_rows.append(
            {
                "facility_id": rec["facility_id"],
                "service_id": service,
                **{t[len(_SERVICE_PREFIX) :]: rec[t] for t in svc_targets},
            }
        )
        svc_excel.append(number)
    svc_cols = ["facility_id", "service_id", *(t[len(_SERVICE_PREFIX) :] for t in svc_targets)]
    services = pd.DataFrame(svc_rows, columns=svc_cols)
    svc_origin = Origin(
        file,
        sheet=sheet,
        rows=svc_excel,
        columns={
            "facility_id": columns["facility_id"],
            "service_id": columns["category"],
            **{t[len(_SERVICE_PREFIX) :]: columns[t] for t in svc_targets},
        },
    )
    return services, svc_origin


def read_register(path: str | Path, mapping: RegisterMapping, has_services_file: bool = False) -> Register:
    """Read a register sheet through ``mapping`` into facilities (and facility_services) as text.

    Raises :class:`DataValidationError` for problems of the sheet's layout (missing sheet or
    columns, duplicate headers); the values themselves are checked by the loader.
    """
    path = Path(path)
    issues: list[DataIssue] = []
    got = _sheet_rows(path, mapping, issues)
    if got is None:
        raise DataValidationError(issues)
    sheet, rows = got

    def issue(message: str, row: int | None = None, field: str | None = None, column: str | None = None) -> None:
        issues.append(DataIssue(str(path), row, field, message, sheet=sheet, column=column))

    if not rows or all(c is None for c in rows[0][1]):
        issue(f"row {mapping.header_row} (header_row in the mapping) holds no headers")
        raise DataValidationError(issues)
    header_row, header = rows[0]
    found = _find_columns(header, header_row, mapping, has_services_file, issue, f"{path.name}, sheet '{sheet}'")
    if issues:
        raise DataValidationError(issues)

    labels = {t: mapping.label_map(t) for t in found}
    kinds = {t: _kind(t) for t in found}
    fac_rows: list[dict[str, str]] = []
    excel_rows: list[int] = []
    for number, cells in rows[1:]:
        if all(c is None or str(c).strip() == "" for c in cells):
            continue
        rec = {}
        for target, (j, _) in found.items():
            text = _cell_text(cells[j] if j < len(cells) else None, kinds[target])
            rec[target] = labels[target].get(_norm(text), text) if labels[target] else text
        fac_rows.append(rec)
        excel_rows.append(number)
    if not fac_rows:
        issue("the sheet has a header but no data rows")
        raise DataValidationError(issues)

    columns = {t: h for t, (_, h) in found.items()}
    for a, b in (("lat", "lon"), ("x", "y")):
        if a in columns and b in columns:
            columns[f"{a}/{b}"] = f"{columns[a]}/{columns[b]}"
    fac_targets = [t for t in found if not t.startswith(_SERVICE_PREFIX)]
    facilities = pd.DataFrame([{t: r[t] for t in fac_targets} for r in fac_rows], columns=fac_targets)
    fac_origin = Origin(str(path), sheet=sheet, rows=excel_rows, columns=columns)
    if not mapping.services:
        return Register(facilities, None, fac_origin, None)

    services, svc_origin = _services_table(fac_rows, excel_rows, found, columns, mapping, str(path), sheet)
    return Register(facilities, services, fac_origin, svc_origin)


def read_ward_with_register(folder: str | Path, catalogue: Catalogue | None = None) -> Ward:
    """A ward folder whose facilities are an Excel register (``facilities.xlsx``).

    The mapping is the folder's ``facilities.mapping.yaml``, or the packaged default. Every other
    file of the folder is read as usual; all problems are raised together, the register's naming
    its sheet, Excel row and header.
    """
    folder = Path(folder)
    mapping_path = folder / MAPPING_FILE if (folder / MAPPING_FILE).is_file() else default_mapping_path()
    mapping = load_mapping(mapping_path)
    has_services_file = (folder / "facility_services.csv").is_file()
    reg = read_register(folder / REGISTER_FILE, mapping, has_services_file=has_services_file)
    with tempfile.TemporaryDirectory(prefix="facility_opt_register_") as tmp:
        staged = Path(tmp)
        for p in sorted(folder.iterdir()):
            if p.is_file() and p.name not in (REGISTER_FILE, MAPPING_FILE):
                (staged / p.name).symlink_to(p.resolve())
        origins = {"facilities.csv": reg.facility_origin}
        reg.facilities.to_csv(staged / "facilities.csv", index=False)
        if reg.facility_services is not None:
            reg.facility_services.to_csv(staged / "facility_services.csv", index=False)
            origins["facility_services.csv"] = reg.service_origin
        log.info("%s: %d facilities read through %s", folder / REGISTER_FILE, len(reg.facilities), mapping_path)
        return read_staged(staged, origins, catalogue, source=folder, shown_folder=str(folder))
