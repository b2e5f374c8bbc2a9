"""One error hierarchy for facility_opt.

Every error a user can cause derives from :class:`FacilityOptError`, so a notebook or a batch job
can catch one class.  Messages name what is wrong and, where there is one, the fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "FacilityOptError",
    "DataIssue",
    "DataValidationError",
    "ModelConfigError",
    "InfeasibleError",
    "SolverError",
]


class FacilityOptError(Exception):
    """Base class of every error raised by facility_opt."""


@dataclass(frozen=True)
class DataIssue:
    """One problem found in one input file.

    ``row`` is the 1-based data row (the header is row 0; ``None`` for whole-file problems such as
    a missing column), ``field`` the column or key concerned. Sources other than plain files say
    where in their own terms: ``sheet`` (an Excel register, whose ``row`` is then the row number
    Excel shows), ``key`` (a database row, named by its primary key) and ``column`` (the source's
    own column name where it differs from the field, e.g. ``延床面積`` for ``floor_area_m2``).
    """

    file: str
    row: int | None
    field: str | None
    message: str
    sheet: str | None = None
    key: str | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = Path(self.file).name if self.file else "<input>"
        if self.sheet:
            where += f", sheet '{self.sheet}'"
        if self.key is not None:
            where += f", row {self.key}"
        elif self.row is not None:
            where += f", row {self.row}"
        if self.field and self.column and self.column != self.field:
            where += f", field '{self.column}' ({self.field})"
        elif self.field:
            where += f", field '{self.field}'"
        return f"{where}: {self.message}"


class DataValidationError(FacilityOptError, ValueError):
    """Input data failed validation; ``issues`` lists every problem found (not only the first)."""

    def __init__(self, issues: list[DataIssue], max_shown: int = 50) -> None:
        self.issues = list(issues)
        shown = "\n".join(f"  - {i}" for i in self.issues[:max_shown])
        more = len(self.issues) - max_shown
        tail = f"\n  ... and {more} more" if more > 0 else ""
        n = len(self.issues)
        super().__init__(f"{n} problem{'s' if n != 1 else ''} in the input data:\n{shown}{tail}")


class ModelConfigError(FacilityOptError, ValueError):
    """A planning-model (YAML) file is invalid; the message names the file and key path."""

    @classmethod
    def from_validation(cls, path: str | Path, err: Any, what: str, prefix: str = "") -> ModelConfigError:
        """One line per pydantic error: ``file: key.path: message (got value)``."""
        lines = []
        for e in err.errors():
            loc = ".".join(str(p) for p in (*([prefix] if prefix else []), *e["loc"])) or "<top level>"
            lines.append(f"  - {path}: {loc}: {e['msg']} (got {e.get('input')!r})"[:400])
        return cls(f"{path}: invalid {what}:\n" + "\n".join(lines))


class InfeasibleError(FacilityOptError):
    """No solution satisfies the constraints; ``reasons`` say which demand, site or limit blocks it."""

    def __init__(self, message: str, reasons: list[str] | None = None) -> None:
        self.reasons = list(reasons or [])
        detail = "".join(f"\n  - {r}" for r in self.reasons[:50])
        more = len(self.reasons) - 50
        if more > 0:
            detail += f"\n  ... and {more} more"
        super().__init__(message + detail)


class SolverError(FacilityOptError):
    """The solver stopped without a usable solution (time limit without incumbent, numerical failure)."""
