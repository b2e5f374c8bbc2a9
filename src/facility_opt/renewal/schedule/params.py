"""Parameters of the renewal scheduler: windows, penalties, preventive maintenance, bonds, fund, budget."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
from pydantic import Field, model_validator

from ...errors import ModelConfigError
from ...strict import StrictModel
from ...yamlio import load_yaml_model

__all__ = [
    "Window",
    "Penalties",
    "Preventive",
    "Bonds",
    "Fund",
    "ScheduleParams",
    "Budget",
    "load_schedule_params",
    "default_schedule_params",
]


class Window(StrictModel):
    """When one category's events may start, relative to the due year.

    ``hard_limit_years`` set = a critical category: each current-cycle event must start within that
    many years of ``max(due, start year)`` and may not be deferred beyond the horizon.
    """

    early_years: int = Field(default=3, ge=0, le=30)
    late_years: int = Field(default=15, ge=0, le=100)
    hard_limit_years: int | None = Field(default=None, ge=0, le=100)


class Penalties(StrictModel):
    """Costs a planner can read: lateness risk, extra upkeep of overdue buildings, early work."""

    risk_linear: float = Field(default=0.01, ge=0, description="share of the event cost per year late")
    risk_quadratic: float = Field(default=0.002, ge=0, description="... plus this × k in the k-th year late")
    deferred_rebuild_maintenance_yen_per_m2: float = Field(default=2000.0, ge=0)
    early_share_per_year: float = Field(default=0.02, ge=0)
    defer_tail_years: int = Field(default=5, ge=0, le=50)


class Preventive(StrictModel):
    """Preventive maintenance (予防保全): pay every year to move a building's rebuild later."""

    extension_years: int = Field(default=20, gt=0, le=60)
    yen_per_m2_year: float = Field(default=1500.0, ge=0)
    min_years_to_due: int = Field(default=5, ge=0, description="only if the rebuild is at least this far off")
    categories: list[str] | None = Field(default=None, description="eligible categories (None: all)")


class Bonds(StrictModel):
    """Bond financing (起債) of a share of every rebuild, repaid as an annuity from the next year."""

    share: float = Field(gt=0, le=1)
    years: int = Field(default=20, ge=1, le=40)
    interest_rate: float = Field(default=0.01, ge=0, lt=0.2)

    def annuity(self) -> float:
        """Yearly payment per yen borrowed."""
        r, n = self.interest_rate, self.years
        return 1.0 / n if r == 0 else r / (1.0 - (1.0 + r) ** -n)


class Fund(StrictModel):
    """Reserve fund (基金): unspent cap is saved, overspending draws on it, above a minimum balance."""

    initial_yen: float = Field(default=0.0, ge=0)
    min_balance_yen: float = Field(default=0.0, ge=0)


class ScheduleParams(StrictModel):
    """All parameters of the scheduling model (``models/renewal_schedule.yaml``)."""

    windows: dict[str, Window] = Field(default_factory=lambda: {"*": Window()})
    penalties: Penalties = Field(default_factory=Penalties)
    fund: Fund | None = None
    bonds: Bonds | None = None
    preventive: Preventive | None = None
    group_identical: bool = True

    @model_validator(mode="after")
    def _has_default(self):
        if "*" not in self.windows:
            raise ValueError("windows needs a '*' entry (the default for categories without their own)")
        return self

    def window(self, category: str) -> Window:
        return self.windows.get(category, self.windows["*"])


def load_schedule_params(path: str | Path) -> ScheduleParams:
    """Read and validate a scheduling YAML file; errors name the file and the key path."""
    return load_yaml_model(path, ScheduleParams, "scheduling parameters")


def default_schedule_params() -> ScheduleParams:
    """The parameters shipped in ``models/renewal_schedule.yaml``."""
    from ...resources import models_dir

    return load_schedule_params(models_dir() / "renewal_schedule.yaml")


class Budget(StrictModel):
    """Annual capital caps: a constant or per-year ``cap_yen``, or ``share`` × a projected budget.

    Examples
    --------
    >>> Budget(cap_yen=52e8).caps(range(2016, 2019)).tolist()
    [5200000000.0, 5200000000.0, 5200000000.0]
    >>> Budget(share=0.02, projected_budget_yen={2016: 2500e8, 2017: 2600e8}).caps([2016, 2017]).tolist()
    [5000000000.0, 5200000000.0]
    """

    cap_yen: float | dict[int, float] | None = None
    share: float | None = Field(default=None, gt=0, le=1)
    projected_budget_yen: float | dict[int, float] | None = None
    from_year: int | None = Field(
        default=None,
        description="First capped year; earlier years are uncapped "
        "(infinite cap), e.g. years already spent or before a plan can change anything.",
    )

    @model_validator(mode="after")
    def _one_form(self):
        if (self.cap_yen is None) == (self.share is None):
            raise ValueError("give either cap_yen, or share with projected_budget_yen")
        if self.share is not None and self.projected_budget_yen is None:
            raise ValueError("share needs projected_budget_yen")
        return self

    def caps(self, years) -> np.ndarray:
        """The cap of each year (yen); ``inf`` before ``from_year``."""
        years = [int(y) for y in years]
        if self.from_year is not None:
            capped = [y for y in years if y >= self.from_year]
            out = np.full(len(years), np.inf)
            if capped:
                out[len(years) - len(capped) :] = self.model_copy(update={"from_year": None}).caps(capped)
            return out

        def series(v, what):
            if isinstance(v, Mapping):
                missing = [y for y in years if y not in v]
                if missing:
                    raise ModelConfigError(
                        f"budget {what} lacks years {missing[:5]}{'...' if len(missing) > 5 else ''}"
                    )
                return np.array([float(v[y]) for y in years])
            return np.full(len(years), float(v))

        if self.cap_yen is not None:
            out = series(self.cap_yen, "cap_yen")
        else:
            out = self.share * series(self.projected_budget_yen, "projected_budget_yen")
        if (out < 0).any():
            raise ModelConfigError("budget caps must be >= 0")
        return out


def _as_budget(budget) -> Budget:
    if isinstance(budget, Budget):
        return budget
    if isinstance(budget, (int, float)):
        return Budget(cap_yen=float(budget))
    if isinstance(budget, Mapping):
        return Budget(cap_yen={int(k): float(v) for k, v in budget.items()})
    raise ModelConfigError(f"budget must be a Budget, a number (yen/year) or a {{year: yen}} mapping, not {budget!r}")
