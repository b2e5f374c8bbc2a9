"""Read a ward from a source that is not a folder of files: an Excel register, PostGIS tables.

Such a source is *staged*: written, unvalidated and as the user gave it, in the folder layout that
:func:`facility_opt.read_ward` reads, so that every rule of the loader applies to it unchanged (one
set of validation rules, whatever the source). The problems the loader finds are then told in the
source's own terms by an :class:`Origin` per staged file: the register's sheet and Excel row, or a
database table and the row's primary key, and the source's own column names.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .catalogue import Catalogue
from .errors import DataIssue, DataValidationError
from .ward import Ward

__all__ = ["Origin", "read_staged", "cell_text"]

_ROW_IN_MESSAGE = re.compile(r"\brow (\d+)\b")


def cell_text(value: Any) -> str:
    """A value of another source (a spreadsheet cell, a database field) as the text a CSV cell would
    hold: empty for missing, integral numbers without '.0', lists joined by ';'.

    >>> [cell_text(v) for v in (None, 1968.0, 90.46, True, ["a", "b"], float("nan"))]
    ['', '1968', '90.46', 'true', 'a;b', '']
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ";".join(cell_text(v) for v in value)
    return str(value).strip()


@dataclasses.dataclass(frozen=True)
class Origin:
    """Where the rows and columns of one staged file come from.

    ``file`` is what the user knows (the register's path, ``table public.zones``); data row ``i``
    (1-based) of the staged file is the source's row ``rows[i-1]`` (an Excel row number) or the
    row whose primary key is ``keys[i-1]``; ``columns`` maps a field to the source's column name.
    """

    file: str
    sheet: str | None = None
    rows: Sequence[int] = ()
    keys: Sequence[str] = ()
    columns: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def _row(self, row: int) -> tuple[int, str | None]:
        if self.rows and 1 <= row <= len(self.rows):
            return self.rows[row - 1], None
        if self.keys and 1 <= row <= len(self.keys):
            return row, self.keys[row - 1]
        return row, None

    def _label(self, row: int) -> str:
        n, key = self._row(row)
        return key if key is not None else str(n)

    def translate(self, issue: DataIssue) -> DataIssue:
        """The issue as the user sees the source (file, sheet, row, column; row numbers in the text too)."""
        row, key = self._row(issue.row) if issue.row is not None else (None, None)
        message = _ROW_IN_MESSAGE.sub(lambda m: f"row {self._label(int(m.group(1)))}", issue.message)
        return dataclasses.replace(
            issue,
            file=self.file,
            row=row,
            key=key,
            sheet=self.sheet,
            column=self.columns.get(issue.field) if issue.field else None,
            message=message,
        )


def read_staged(
    folder: Path,
    origins: Mapping[str, Origin],
    catalogue: Catalogue | None = None,
    *,
    source: Path | None = None,
    shown_folder: str | None = None,
) -> Ward:
    """:func:`read_ward` on a staged ``folder``; every problem translated by the origin of its file.

    ``origins`` is keyed by staged file name; issues of other files keep their name, placed in
    ``shown_folder`` (the user's folder) when given. The ward's ``source`` becomes ``source``.
    """
    from .loading import read_ward

    try:
        ward = read_ward(folder, catalogue)
    except DataValidationError as exc:
        issues = []
        for issue in exc.issues:
            name = Path(issue.file).name
            if name in origins:
                issues.append(origins[name].translate(issue))
            elif shown_folder is not None:
                issues.append(
                    dataclasses.replace(
                        issue,
                        file=str(Path(shown_folder) / name),
                        message=issue.message.replace(str(folder), shown_folder),
                    )
                )
            else:
                issues.append(issue)
        raise DataValidationError(issues) from None
    return dataclasses.replace(ward, source=source)
