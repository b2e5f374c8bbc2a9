"""One Excel workbook of a run, for consultants: the KPIs, then one sheet per table of the run folder.

Sheets: ``KPIs`` (``kpi``, ``value``: the model, the solver's outcome and the plan's headline
figures) and then every CSV of the run folder in :data:`facility_opt.runfolder.TABLE_ORDER`
(decisions, timeline, years, costs, cost_by_year, services, assignments) followed by any other by
name. Each sheet has a bold, frozen header row with filters; numbers are numbers, ids stay text.
The file is written atomically and is byte-for-byte the same for the same run folder (fixed
document dates and zip timestamps).
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import zipfile
from pathlib import Path

import pandas as pd

from .atomic import atomic_write_with
from .runfolder import python_value, run_kpis, run_tables

__all__ = ["write_workbook", "save_workbook", "WORKBOOK_FILE", "KPI_SHEET"]

log = logging.getLogger(__name__)

WORKBOOK_FILE = "plan.xlsx"
KPI_SHEET = "KPIs"
#: the document date written into every workbook (a wall-clock date would change the bytes)
_FIXED_DATE = dt.datetime(2000, 1, 1)
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def _sheet_name(name: str, used: set[str]) -> str:
    base = _BAD_SHEET_CHARS.sub("_", name)[:31] or "sheet"
    out, k = base, 2
    while out.lower() in used:
        out = f"{base[:28]}~{k}"
        k += 1
    used.add(out.lower())
    return out


def _add_sheet(wb, title: str, df: pd.DataFrame) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title)
    ws.append([str(c) for c in df.columns])
    for row in df.itertuples(index=False, name=None):
        ws.append([python_value(v) for v in row])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    if len(df.columns):
        ws.auto_filter.ref = f"A1:{get_column_letter(len(df.columns))}{len(df) + 1}"
    for j, c in enumerate(df.columns, start=1):
        longest = max([len(str(c)), *(len(str(v)) for v in df[c].head(200) if python_value(v) is not None)])
        ws.column_dimensions[get_column_letter(j)].width = min(max(8, longest + 2), 60)


def _reproducible_zip(data: bytes) -> bytes:
    """The same xlsx without the time of writing: openpyxl stamps the document's modified date and
    every zip entry with it; both are fixed here."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _MODIFIED.sub(
                    rb"\g<1>" + _FIXED_DATE.strftime("%Y-%m-%dT%H:%M:%SZ").encode() + rb"\g<2>", content
                )
            fixed = zipfile.ZipInfo(info.filename, date_time=_ZIP_DATE)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            dst.writestr(fixed, content)
    return out.getvalue()


def save_workbook(wb, path: str | Path) -> Path:
    """Save an openpyxl workbook atomically, the same content always giving the same bytes."""
    wb.properties.created = _FIXED_DATE
    buf = io.BytesIO()
    wb.save(buf)
    data = _reproducible_zip(buf.getvalue())
    return atomic_write_with(path, lambda tmp: tmp.write_bytes(data), suffix=".xlsx")


def write_workbook(run_dir: str | Path, path: str | Path | None = None) -> Path:
    """Write the run folder's KPIs and tables to one workbook (default ``<run_dir>/plan.xlsx``).

    Examples
    --------
    >>> import tempfile, pathlib, json
    >>> run = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (run / "decisions.csv").write_text("facility_id,decision,year\\nF1,keep,\\nF2,close,2030\\n")
    >>> _ = (run / "plan.json").write_text(json.dumps({"kpis": {"buildings_before": 2, "buildings_after": 1}}))
    >>> from openpyxl import load_workbook
    >>> wb = load_workbook(write_workbook(run))
    >>> wb.sheetnames, [c.value for c in wb["decisions"]["C"]]
    (['KPIs', 'decisions'], ['year', None, 2030])
    """
    from openpyxl import Workbook

    run_dir = Path(run_dir)
    path = Path(path) if path is not None else run_dir / WORKBOOK_FILE
    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.creator = "facility_opt"
    used: set[str] = set()
    _add_sheet(wb, _sheet_name(KPI_SHEET, used), run_kpis(run_dir))
    tables = run_tables(run_dir)
    for name, df in tables.items():
        _add_sheet(wb, _sheet_name(name, used), df)
    save_workbook(wb, path)
    log.info("%s: KPIs and %d tables (%s)", path, len(tables), ", ".join(tables))
    return path
