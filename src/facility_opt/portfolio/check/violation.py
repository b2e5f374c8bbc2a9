"""A violation the independent check finds, named by the MILP's constraint family it breaks.

:class:`Violation` is a ``str`` (its text is the message a planner reads, and what ``plan.json``
stores in ``violations``) that also carries its ``family``, ``subject`` and ``year``, so that a
caller can group or filter violations without parsing the text.  Families are those of
:mod:`facility_opt.portfolio.model` (``docs/portfolio.md``: ``cover``, ``capacity``, ``floor``,
``lead_coverage``, ...); the few rules that are no MILP row are in :data:`CHECK_FAMILIES`.
"""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from typing import Any

__all__ = ["Violation", "CHECK_FAMILIES"]

#: families of rules the check enforces that are no row of the MILP (the MILP enforces them by
#: construction or states them in its objective)
CHECK_FAMILIES: dict[str, str] = {
    "tables": "the plan's own tables agree with each other and with the problem (ids, rows, distances, decisions)",
    "eligible": "a service only at a site whose category may host it (the MILP has no variable otherwise)",
    "change_year": "nothing changes before the first change year, nothing new before construction is done",
    "cost": "the costs and values recomputed from the plan's state match the plan's and the solver's objective",
    "saving": "the saving by kind, by site and by decision adds up to the headline saving",
}


class Violation(str):
    """One violation: ``str(v)`` is its message; ``family``, ``subject`` (a site, zone, service or
    ``service@site``) and ``year`` (``None`` when it is not about one year) say what it breaks.

    Frozen; compares and hashes as its message, so lists of violations read, join and compare as
    the lists of messages they replace.
    """

    family: str
    subject: str
    year: int | None

    def __new__(cls, family: str, subject: str, year: int | None, message: str) -> Violation:
        self = super().__new__(cls, message)
        object.__setattr__(self, "family", family)
        object.__setattr__(self, "subject", str(subject))
        object.__setattr__(self, "year", None if year is None or year != year else int(year))  # NaN: no year
        return self

    @property
    def message(self) -> str:
        return str.__str__(self)

    def __str__(self) -> str:
        return str.__str__(self)

    def __repr__(self) -> str:
        return (
            f"Violation(family={self.family!r}, subject={self.subject!r}, year={self.year!r}, message={self.message!r})"
        )

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __reduce__(self):
        return (Violation, (self.family, self.subject, self.year, self.message))
