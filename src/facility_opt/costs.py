"""Life-cycle renewal costs of a ward's buildings (the 総務省 更新費用試算 method, overridable).

The model charges, for every building and every year of a horizon (default 30 years):

* **interventions** of its life cycle: by default a major renovation (大規模改修) 30 years after
  (re)construction, its cost spread evenly over 2 years, and a rebuild (建替え) at 60 years spread over
  3 years; cost = floor area × a unit cost (万円/m²) of the building's 総務省 cost class;
* **backlog** (積み残し): work that fell due before the start year (see :class:`BacklogRule`);
* **operation**: the facility's annual operating cost, every year.

Rules, stated once (they are tested on hand-computed single buildings in ``tests/test_costs.py``):

1. Ages are counted from the construction year: a building built in year *b* is due for an intervention
   at age *a* in year *b + a*; its cost is spread evenly over ``spread_years`` years starting that year.
   Parts of a spread that fall after the horizon are not charged.
2. After a rebuild the cycle restarts: the rebuilt building counts as built in the year its rebuild fell
   due, so (by default) it is renovated 30 years later and rebuilt 60 years later.
3. Backlog, at the start year *S* (age ``S - b``):

   * a rebuild that fell due before *S* (age > rebuild age) is charged as ``rebuild_backlog`` by the
     backlog rule (default: evenly over the first 10 years); the building then counts as rebuilt in *S*
     and its earlier overdue interventions are dropped;
   * otherwise an intervention that fell due before *S* is charged as ``<name>_backlog`` if the building
     is at most ``skip_if_older_than`` years old at *S* (default renovation: 50, i.e. 築31-50年), and is
     skipped if older (築51年以上: the rebuild is near); the rebuild then follows at its normal age.

4. Optional: a demolition cost per m² charged with each rebuild (kind ``demolition``), a real discount
   rate (column ``cost_pv_yen``).

The cycle, unit costs, spreading and backlog rules form a named **preset** (:class:`RenewalPreset`);
``models/renewal_costs.yaml`` holds several (the 総務省 standard ``soumu`` is the default; a Tokyo-ward
長寿命化 cycle ``tokyo_ward``; calibrated variants) and ``preset:`` picks one
(:func:`load_renewal_params`; in code ``params.with_preset(name)`` and ``params.with_changes(...)``).
Every price any consumer uses (events, the portfolio's new floor) comes from
:meth:`RenewalCostParams.unit_cost_yen_per_m2`. :mod:`facility_opt.renewal_calibration` fits a preset
to a ward's published total.

The same engine projects a ward from a type-level stock table (category, floor area) and an age
profile (:func:`project_stock`): each type is split into one pseudo-building per construction year.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .catalogue import Catalogue, CostClass, default_catalogue
from .yamlio import load_yaml_model, read_yaml
from .errors import DataIssue, DataValidationError, ModelConfigError

__all__ = [
    "UnitCost",
    "Intervention",
    "RenewalPreset",
    "BacklogRule",
    "RenewalCostParams",
    "load_renewal_params",
    "default_renewal_params",
    "project_renewal",
    "renewal_events",
    "stock_buildings",
    "project_stock",
    "read_stock_table",
    "load_age_profile",
    "totals_by_year",
    "plot_renewal_cliff",
    "MAN_YEN",
    "OKU_YEN",
    "OKU_LABEL",
]

log = logging.getLogger(__name__)

#: 1 万円 and 1 億円 in yen.
MAN_YEN = 10_000
OKU_YEN = 100_000_000

COST_COLUMNS = ["facility_id", "category", "cost_class", "year", "kind", "cost_yen", "cost_pv_yen"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class UnitCost(_Strict):
    """Unit costs of one 総務省 cost class, in 万円 per m² of floor area."""

    renovation: float = Field(ge=0, description="大規模改修 (万円/m²)")
    rebuild: float = Field(ge=0, description="建替え (万円/m²)")


class Intervention(_Strict):
    """Work done at a given age within a life cycle (before the rebuild that ends it).

    The cost per m² is ``share × unit_costs[class].<basis>``.
    """

    name: str = Field(min_length=1, description="kind in the output (e.g. renovation, repair)")
    age: int = Field(gt=0, description="years after (re)construction")
    spread_years: int = Field(default=1, ge=1, le=20)
    basis: Literal["renovation", "rebuild"] = "renovation"
    share: float = Field(default=1.0, ge=0)
    skip_if_older_than: int | None = Field(
        default=None, ge=0, description="overdue at the start: skipped when older than this, else backlog"
    )

    @field_validator("name")
    @classmethod
    def _reserved(cls, v: str) -> str:
        if v in {"rebuild", "demolition", "operation"} or v.endswith("_backlog"):
            raise ValueError(f"'{v}' is reserved; name interventions e.g. 'renovation' or 'repair'")
        return v


class BacklogRule(_Strict):
    """How work that fell due before the start year (積み残し) is charged.

    ``spread``: evenly over the first ``years`` years (総務省: 10); ``first_year``: all in the start year;
    ``skip``: not charged (an overdue rebuild still resets the building's age at the start year).
    """

    rule: Literal["spread", "first_year", "skip"] = "spread"
    years: int = Field(default=10, ge=1, le=50)


class RenewalPreset(_Strict):
    """A named renewal-cost method: the life cycle, the unit costs and how overdue work is charged.

    The life cycle is ``interventions`` at given ages after (re)construction, then the rebuild at
    ``rebuild_age``, after which the cycle restarts. An intervention costs floor area × ``share`` ×
    the unit cost of its ``basis``; the unit costs are the table × ``unit_cost_factor`` (a price level:
    1 for the table as published, e.g. a calibrated Tokyo level above 1). ``demolition_man_yen_per_m2``
    is added to each rebuild and is not scaled by the factor.
    """

    description: str = ""
    source: str = Field(min_length=1, description="where the numbers come from, or 'assumption: ...'")
    base: str | None = Field(default=None, description="the preset whose keys this one inherits")
    unit_costs_man_yen_per_m2: dict[CostClass, UnitCost]
    unit_cost_factor: float = Field(default=1.0, gt=0, le=10, description="multiplier on every unit cost")
    rebuild_age: int = Field(gt=0)
    rebuild_spread_years: int = Field(default=3, ge=1, le=20)
    interventions: list[Intervention] = Field(default_factory=list)
    backlog: BacklogRule = Field(default_factory=BacklogRule)
    demolition_man_yen_per_m2: float = Field(default=0.0, ge=0)

    @model_validator(mode="after")
    def _consistent(self):
        missing = [c.value for c in CostClass if c not in self.unit_costs_man_yen_per_m2]
        if missing:
            raise ValueError(f"unit_costs_man_yen_per_m2 lacks cost classes {missing}")
        for i, iv in enumerate(self.interventions):
            if iv.age >= self.rebuild_age:
                raise ValueError(f"interventions.{i} ('{iv.name}') is at age {iv.age}, "
                                 f"not before the rebuild at {self.rebuild_age}")
        return self

    def unit_cost_yen_per_m2(self, cost_class: CostClass | str, basis: Literal["renovation", "rebuild"]) -> float:
        """Yen per m² of a renovation or rebuild of ``cost_class``: the table × ``unit_cost_factor``."""
        return getattr(self.unit_costs_man_yen_per_m2[CostClass(cost_class)], basis) * self.unit_cost_factor * MAN_YEN


#: preset keys a derived preset does not inherit from its base (it must state its own)
_OWN_KEYS = ("description", "source", "base")


def _resolve_bases(presets: Mapping) -> dict:
    """Presets with ``base`` merged under their own keys (recursively; a cycle or unknown base is an error)."""
    from .planning import deep_merge

    out: dict = {}

    def resolve(name: str, seen: tuple) -> dict:
        if name in out:
            return out[name]
        raw = presets[name]
        if not isinstance(raw, Mapping) or not isinstance(raw.get("base"), str):
            out[name] = raw  # no base (or a malformed one, which pydantic then reports)
            return raw
        base = raw["base"]
        if base not in presets:
            raise ValueError(f"presets.{name}.base: unknown preset '{base}'; known: {sorted(presets)}")
        if base in seen:
            raise ValueError(f"presets.{name}.base: presets derive from each other in a cycle {[*seen, base]}")
        parent = {k: v for k, v in resolve(base, (*seen, name)).items() if k not in _OWN_KEYS}
        out[name] = deep_merge(parent, dict(raw))
        return out[name]

    for name in presets:
        resolve(name, (name,))
    return out


class RenewalCostParams(_Strict):
    """All parameters of the renewal-cost model (see ``models/renewal_costs.yaml``): named presets,
    the active one (``preset``), and what is common to all (horizon, discounting, operation)."""

    horizon_years: int = Field(default=30, ge=1, le=200)
    preset: str = "soumu"
    presets: dict[str, RenewalPreset]
    discount_rate: float = Field(default=0.0, ge=0, lt=1)
    default_operation_yen_per_m2: float | None = Field(default=None, ge=0)

    @model_validator(mode="before")
    @classmethod
    def _inherit(cls, data):
        if isinstance(data, Mapping) and isinstance(data.get("presets"), Mapping):
            data = {**data, "presets": _resolve_bases(data["presets"])}
        return data

    @model_validator(mode="after")
    def _known(self):
        if self.preset not in self.presets:
            raise ValueError(f"preset '{self.preset}' is not one of presets {sorted(self.presets)}")
        return self

    @property
    def active(self) -> RenewalPreset:
        """The preset in use."""
        return self.presets[self.preset]

    def unit_cost_yen_per_m2(self, cost_class: CostClass | str, basis: Literal["renovation", "rebuild"] = "rebuild") -> float:
        """Yen per m² under the active preset (the one place every consumer takes prices from)."""
        return self.active.unit_cost_yen_per_m2(cost_class, basis)

    def with_preset(self, name: str) -> RenewalCostParams:
        """A copy using another named preset (e.g. ``"tokyo_ward"``)."""
        if name not in self.presets:
            raise ModelConfigError(f"unknown renewal-cost preset '{name}'; known: {sorted(self.presets)}")
        return self.model_copy(update={"preset": name})

    def with_changes(self, **changes) -> RenewalCostParams:
        """A copy whose active preset has ``changes`` (validated), e.g. ``rebuild_age=70``."""
        try:
            new = RenewalPreset.model_validate({**dict(self.active), **changes})
        except ValidationError as exc:
            raise ModelConfigError.from_validation(f"preset {self.preset}", exc, "preset change",
                                                   prefix=f"presets.{self.preset}") from None
        return self.model_copy(update={"presets": {**self.presets, self.preset: new}})


def load_renewal_params(path: str | Path) -> RenewalCostParams:
    """Read and validate a renewal-cost YAML file; errors name the file and the key path."""
    return load_yaml_model(path, RenewalCostParams, "renewal-cost parameters")


def default_renewal_params() -> RenewalCostParams:
    """The parameters shipped in ``models/renewal_costs.yaml`` (active preset: the 総務省 standard)."""
    from .resources import models_dir

    return load_renewal_params(models_dir() / "renewal_costs.yaml")


# --------------------------------------------------------------------------------------------------
# the engine


def _validate_facilities(facilities: pd.DataFrame, catalogue: Catalogue) -> list[DataIssue]:
    issues: list[DataIssue] = []
    need = ["facility_id", "category", "floor_area_m2", "year_built"]
    missing = [c for c in need if c not in facilities.columns]
    if missing:
        return [DataIssue("facilities", None, c, "required column is missing") for c in missing]
    if facilities["facility_id"].duplicated().any():
        dups = sorted(facilities.loc[facilities["facility_id"].duplicated(), "facility_id"].astype(str).unique())
        issues.append(DataIssue("facilities", None, "facility_id", f"duplicate ids {dups[:10]}"))
    unknown = ~facilities["category"].isin(list(catalogue.categories))
    for row in np.flatnonzero(unknown.to_numpy())[:20]:
        issues.append(DataIssue("facilities", int(row) + 1, "category",
                                f"unknown category {facilities['category'].iloc[row]!r}; known: {sorted(catalogue.categories)}"))
    area = pd.to_numeric(facilities["floor_area_m2"], errors="coerce")
    for row in np.flatnonzero(~(area > 0).to_numpy())[:20]:
        issues.append(DataIssue("facilities", int(row) + 1, "floor_area_m2",
                                f"floor area must be a positive number, got {facilities['floor_area_m2'].iloc[row]!r}"))
    yb = pd.to_numeric(facilities["year_built"], errors="coerce")
    for row in np.flatnonzero(yb.isna().to_numpy())[:20]:
        issues.append(DataIssue("facilities", int(row) + 1, "year_built", "year built is missing; impute it first"))
    return issues


def _emit(out: list, idx: np.ndarray, due: np.ndarray, amount: np.ndarray, spread: int, kind: str,
          first: int, last: int) -> None:
    """Append (facility index, year, kind, cost) rows for costs spread evenly from ``due`` on."""
    keep = (amount > 0) & (due <= last) & (due + spread - 1 >= first)
    if not keep.any():
        return
    idx, due, amount = idx[keep], due[keep], amount[keep]
    offs = np.arange(spread)
    years = (due[:, None] + offs[None, :]).ravel()
    ii = np.repeat(idx, spread)
    cc = np.repeat(amount / spread, spread)
    inside = (years >= first) & (years <= last)
    out.append((ii[inside], years[inside], kind, cc[inside]))


def _emit_backlog(out: list, idx: np.ndarray, amount: np.ndarray, kind: str, rule: BacklogRule,
                  first: int, last: int) -> None:
    if rule.rule == "skip" or idx.size == 0:
        return
    spread = rule.years if rule.rule == "spread" else 1
    _emit(out, idx, np.full(idx.size, first, dtype=np.int64), amount, spread, f"{kind}_backlog", first, last)


EVENT_COLUMNS = ["facility_id", "category", "cost_class", "floor_area_m2", "kind", "cycle", "due_year", "backlog",
                 "cost_yen", "demolition_yen", "spread_years"]


def renewal_events(
    facilities: pd.DataFrame,
    *,
    start_year: int,
    params: RenewalCostParams | None = None,
    catalogue: Catalogue | None = None,
    horizon_years: int | None = None,
) -> pd.DataFrame:
    """The renewal events (renovations, repairs, rebuilds) of every building that fall due in the horizon.

    One row per intervention, before any spreading: this is the table :func:`project_renewal` spreads
    into yearly costs, and the one the renewal scheduler (:mod:`facility_opt.schedule`) places in years.
    The rules are those of the module docstring: a backlog event (``backlog`` True) fell due before the
    start year and is kept by the backlog convention (overdue rebuilds always, overdue interventions
    while the building is at most ``skip_if_older_than`` years old); after an overdue rebuild the
    building counts as rebuilt in the start year.

    Parameters
    ----------
    facilities : DataFrame
        Columns ``facility_id, category, floor_area_m2, year_built`` (as :func:`project_renewal`).
    start_year, params, catalogue, horizon_years
        As :func:`project_renewal`.

    Returns
    -------
    DataFrame
        ``facility_id, category, cost_class, floor_area_m2, kind`` (an intervention name or
        ``rebuild``), ``cycle`` (0 for the building's current life cycle, 1 for the next...),
        ``due_year`` (the nominal year; before the start year for backlog), ``backlog``, ``cost_yen``
        (the whole intervention), ``demolition_yen`` (with rebuilds), ``spread_years`` (the
        intervention's own spreading). Sorted by facility, due year, kind.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"facility_id": ["A"], "category": ["primary_school"],
    ...                   "floor_area_m2": [1000.0], "year_built": [1975]})
    >>> e = renewal_events(f, start_year=2016)
    >>> e[["kind", "due_year", "backlog", "cost_yen"]].to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'kind': 'renovation', 'due_year': 2005, 'backlog': True, 'cost_yen': 170000000.0},
     {'kind': 'rebuild', 'due_year': 2035, 'backlog': False, 'cost_yen': 330000000.0}]
    """
    params = params or default_renewal_params()
    catalogue = catalogue or default_catalogue()
    horizon = int(horizon_years or params.horizon_years)
    issues = _validate_facilities(facilities, catalogue)
    if issues:
        raise DataValidationError(issues)
    first, last = int(start_year), int(start_year) + horizon - 1
    cycle = params.active
    L = cycle.rebuild_age

    fid = facilities["facility_id"].astype(str).to_numpy()
    cat = facilities["category"].astype(str).to_numpy()
    cls = np.array([catalogue.categories[c].cost_class.value for c in cat], dtype=object)
    area = facilities["floor_area_m2"].to_numpy(dtype=float)
    built = facilities["year_built"].to_numpy(dtype=float).astype(np.int64)
    unit = {basis: np.array([cycle.unit_cost_yen_per_m2(c, basis) for c in cls], dtype=float)
            for basis in ("renovation", "rebuild")}
    n = len(fid)
    all_idx = np.arange(n)
    rows: list[tuple] = []  # (idx, kind, cycle, due, backlog, cost, demolition, spread)

    def add(idx, kind, cyc, due, backlog, cost, demo, spread):
        if idx.size:
            rows.append((idx, kind, cyc, due, backlog, cost, demo, spread))

    rebuild_cost = area * unit["rebuild"]
    demolition_cost = area * cycle.demolition_man_yen_per_m2 * MAN_YEN
    age0 = first - built
    overdue_rebuild = built + L < first
    base = np.where(overdue_rebuild, first, built)

    # backlog: an overdue rebuild resets the building; otherwise overdue interventions of this cycle
    ob = all_idx[overdue_rebuild]
    add(ob, "rebuild", 0, built[ob] + L, True, rebuild_cost[ob], demolition_cost[ob], cycle.rebuild_spread_years)
    for iv in cycle.interventions:
        overdue = ~overdue_rebuild & (built + iv.age < first)
        if iv.skip_if_older_than is not None:
            overdue &= age0 <= iv.skip_if_older_than
        o = all_idx[overdue]
        add(o, iv.name, 0, built[o] + iv.age, True, (area * unit[iv.basis] * iv.share)[o], np.zeros(o.size),
            iv.spread_years)

    # regular cycles from each building's base year (cycle numbers count from the current one)
    n_cycles = max(0, math.ceil((last - int(base.min())) / L) + 1) if n else 0
    shift = overdue_rebuild.astype(np.int64)  # a building rebuilt at the start is in its next cycle
    for k in range(n_cycles):
        start_k = base + k * L
        for iv in cycle.interventions:
            due = start_k + iv.age
            ok = all_idx[(due >= first) & (due <= last)]
            add(ok, iv.name, k + shift[ok], due[ok], False, (area * unit[iv.basis] * iv.share)[ok],
                np.zeros(ok.size), iv.spread_years)
        due = start_k + L
        ok = all_idx[(due >= first) & (due <= last)]
        add(ok, "rebuild", k + shift[ok], due[ok], False, rebuild_cost[ok], demolition_cost[ok],
            cycle.rebuild_spread_years)

    if rows:
        idx = np.concatenate([r[0] for r in rows])
        size = [r[0].size for r in rows]
        cols = {
            "kind": np.concatenate([np.full(k, r[1], dtype=object) for r, k in zip(rows, size)]),
            "cycle": np.concatenate([np.broadcast_to(np.asarray(r[2], dtype=np.int64), (k,)) for r, k in zip(rows, size)]),
            "due_year": np.concatenate([np.asarray(r[3], dtype=np.int64) for r in rows]),
            "backlog": np.concatenate([np.full(k, r[4], dtype=bool) for r, k in zip(rows, size)]),
            "cost_yen": np.concatenate([np.asarray(r[5], dtype=float) for r in rows]),
            "demolition_yen": np.concatenate([np.asarray(r[6], dtype=float) for r in rows]),
            "spread_years": np.concatenate([np.full(k, r[7], dtype=np.int64) for r, k in zip(rows, size)]),
        }
    else:
        idx = np.array([], dtype=np.int64)
        cols = {"kind": np.array([], dtype=object), "cycle": idx, "due_year": idx, "backlog": np.array([], bool),
                "cost_yen": np.array([], float), "demolition_yen": np.array([], float), "spread_years": idx}
    df = pd.DataFrame({"facility_id": fid[idx], "category": cat[idx], "cost_class": cls[idx],
                       "floor_area_m2": area[idx], **cols})
    df = df.sort_values(["facility_id", "due_year", "kind"], kind="mergesort").reset_index(drop=True)
    return df[EVENT_COLUMNS]


def project_renewal(
    facilities: pd.DataFrame,
    *,
    start_year: int,
    params: RenewalCostParams | None = None,
    catalogue: Catalogue | None = None,
    horizon_years: int | None = None,
    include_operation: bool = True,
) -> pd.DataFrame:
    """Renewal (and operation) cost of every facility in every year of the horizon.

    Parameters
    ----------
    facilities : DataFrame
        Columns ``facility_id, category, floor_area_m2, year_built`` and optionally
        ``operating_cost_yen`` (yen/year); a GeoDataFrame works as is.
    start_year : int
        First year of the projection (the backlog is charged from this year).
    params : RenewalCostParams, optional
        Defaults to :func:`default_renewal_params` (the 総務省 standard).
    catalogue : Catalogue, optional
        Maps each category to its cost class; defaults to :func:`facility_opt.default_catalogue`.
    horizon_years : int, optional
        Overrides ``params.horizon_years``.
    include_operation : bool
        Add the ``operation`` rows (annual operating cost).

    Returns
    -------
    DataFrame
        Long and tidy, one row per (facility, year, kind) with a non-zero cost:
        ``facility_id, category, cost_class, year, kind, cost_yen, cost_pv_yen``; kinds are the
        interventions' names (``renovation``...), ``rebuild``, ``demolition``, ``<kind>_backlog``,
        ``operation``. Sorted by facility, year, kind.

    Raises
    ------
    DataValidationError
        Missing columns, unknown categories, non-positive areas, missing construction years.

    Notes
    -----
    The events themselves (one row per intervention, before spreading) are :func:`renewal_events`.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"facility_id": ["A"], "category": ["primary_school"],
    ...                   "floor_area_m2": [1000.0], "year_built": [1990]})
    >>> c = project_renewal(f, start_year=2016)
    >>> c.groupby("kind")["cost_yen"].sum().to_dict()  # 17 万円/m² renovation in 2020-21
    {'renovation': 170000000.0}
    """
    params = params or default_renewal_params()
    catalogue = catalogue or default_catalogue()
    horizon = int(horizon_years or params.horizon_years)
    ev = renewal_events(facilities, start_year=start_year, params=params, catalogue=catalogue,
                        horizon_years=horizon)
    first, last = int(start_year), int(start_year) + horizon - 1

    fid = facilities["facility_id"].astype(str).to_numpy()
    cat = facilities["category"].astype(str).to_numpy()
    cls = np.array([catalogue.categories[c].cost_class.value for c in cat], dtype=object)
    area = facilities["floor_area_m2"].to_numpy(dtype=float)
    n = len(fid)
    pos = pd.Series(np.arange(n), index=fid)
    out: list = []
    e_idx = pos.reindex(ev["facility_id"]).to_numpy()
    e_due = ev["due_year"].to_numpy(dtype=np.int64)
    e_cost = ev["cost_yen"].to_numpy(dtype=float)
    e_demo = ev["demolition_yen"].to_numpy(dtype=float)
    for (kind, spread, backlog), g in ev.groupby(["kind", "spread_years", "backlog"], sort=True).indices.items():
        g = np.asarray(g)
        if backlog:
            _emit_backlog(out, e_idx[g], e_cost[g], kind, params.active.backlog, first, last)
            if kind == "rebuild":
                _emit_backlog(out, e_idx[g], e_demo[g], "demolition", params.active.backlog, first, last)
        else:
            _emit(out, e_idx[g], e_due[g], e_cost[g], int(spread), kind, first, last)
            if kind == "rebuild":
                _emit(out, e_idx[g], e_due[g], e_demo[g], int(spread), "demolition", first, last)

    if include_operation:
        if "operating_cost_yen" in facilities.columns:
            op = pd.to_numeric(facilities["operating_cost_yen"], errors="coerce").to_numpy(dtype=float)
        else:
            op = np.full(n, np.nan)
        missing = np.isnan(op)
        if missing.any():
            if params.default_operation_yen_per_m2 is not None:
                op = np.where(missing, area * params.default_operation_yen_per_m2, op)
                log.info("operation cost: %d facilities without operating_cost_yen charged %.0f yen/m²/year",
                         int(missing.sum()), params.default_operation_yen_per_m2)
            else:
                op = np.where(missing, 0.0, op)
                log.warning("operation cost: %d of %d facilities have no operating_cost_yen and are charged 0 "
                            "(set default_operation_yen_per_m2 to charge them)", int(missing.sum()), n)
        all_idx = np.arange(n)
        _emit(out, all_idx, np.full(n, first, dtype=np.int64), op * horizon, horizon, "operation", first, last)

    if out:
        idx = np.concatenate([o[0] for o in out])
        years = np.concatenate([o[1] for o in out])
        kinds = np.concatenate([np.full(o[0].size, o[2], dtype=object) for o in out])
        costs = np.concatenate([o[3] for o in out])
    else:
        idx, years, kinds, costs = (np.array([], dtype=np.int64),) * 2 + (np.array([], dtype=object),
                                                                           np.array([], dtype=float))
    df = pd.DataFrame({"i": idx, "year": years.astype(np.int64), "kind": kinds, "cost_yen": costs})
    df = df.groupby(["i", "year", "kind"], as_index=False, sort=False)["cost_yen"].sum()
    df.insert(0, "facility_id", fid[df["i"].to_numpy()])
    df.insert(1, "category", cat[df["i"].to_numpy()])
    df.insert(2, "cost_class", cls[df["i"].to_numpy()])
    df = df.drop(columns="i")
    df["cost_pv_yen"] = df["cost_yen"] / (1.0 + params.discount_rate) ** (df["year"] - first)
    df = df.sort_values(["facility_id", "year", "kind"], kind="mergesort").reset_index(drop=True)
    return df[COST_COLUMNS]


# --------------------------------------------------------------------------------------------------
# type-level stock tables


def read_stock_table(path: str | Path, catalogue: Catalogue | None = None) -> pd.DataFrame:
    """Read a ward's type-level stock table (施設種別, 施設数, 総面積) and map types to categories.

    The CSV has columns ``facility_type, count, total_floor_area_m2``; a total row (合計/計/total) is
    dropped after checking it against the sum (a difference above 0.1 % is an error). Types are mapped
    to catalogue categories through ``Category.stock_type``.

    Returns
    -------
    DataFrame
        ``stock_type, category, count, floor_area_m2``.
    """
    catalogue = catalogue or default_catalogue()
    path = Path(path)
    df = pd.read_csv(path)
    need = {"facility_type", "count", "total_floor_area_m2"}
    if not need <= set(df.columns):
        raise DataValidationError([DataIssue(str(path), None, c, "required column is missing")
                                   for c in sorted(need - set(df.columns))])
    is_total = df["facility_type"].astype(str).str.strip().isin(["合計", "計", "total", "Total"])
    body = df[~is_total]
    if is_total.any():
        stated = float(df.loc[is_total, "total_floor_area_m2"].iloc[0])
        summed = float(body["total_floor_area_m2"].sum())
        if abs(stated - summed) > 1e-3 * stated:
            raise DataValidationError([DataIssue(str(path), None, "total_floor_area_m2",
                                                 f"rows sum to {summed:,.0f} m² but the total row says {stated:,.0f}")])
        if stated != summed:
            log.info("%s: rows sum to %.0f m², total row %.0f m² (rounding in the source)", path.name, summed, stated)
    by_type = {c.stock_type: cid for cid, c in catalogue.categories.items() if c.stock_type}
    issues = [DataIssue(str(path), int(i) + 1, "facility_type",
                        f"type {t!r} has no catalogue category (set stock_type in the catalogue)")
              for i, t in zip(body.index, body["facility_type"]) if t not in by_type]
    if issues:
        raise DataValidationError(issues)
    return pd.DataFrame({
        "stock_type": body["facility_type"].astype(str).to_numpy(),
        "category": [by_type[t] for t in body["facility_type"]],
        "count": body["count"].to_numpy(dtype=np.int64),
        "floor_area_m2": body["total_floor_area_m2"].to_numpy(dtype=float),
    })


def _bands_frame(bands: list, where: str) -> pd.DataFrame:
    df = pd.DataFrame(bands)
    if df.empty or not {"from", "to", "share"} <= set(df.columns):
        raise ModelConfigError(f"{where}: each band needs from, to, share")
    df = df.rename(columns={"from": "from_year", "to": "to_year"})
    if (df["to_year"] < df["from_year"]).any():
        raise ModelConfigError(f"{where}: a band ends before it starts")
    s = float(df["share"].sum())
    if abs(s - 1.0) > 1e-6:
        raise ModelConfigError(f"{where}: shares sum to {s:.6f}, not 1")
    return df[["from_year", "to_year", "share"]]


def load_age_profile(path: str | Path) -> pd.DataFrame:
    """Read an age-profile YAML (``default`` bands and optional ``by_category`` bands).

    Returns
    -------
    DataFrame
        ``category`` (``"*"`` for the default), ``from_year``, ``to_year`` (inclusive), ``share``
        (share of floor area; sums to 1 per category).
    """
    path = Path(path)
    data = read_yaml(path, "age profile")
    if not isinstance(data, Mapping) or "default" not in data:
        raise ModelConfigError(f"{path}: an age profile needs a 'default' list of bands")
    frames = [_bands_frame(data["default"], f"{path}: default").assign(category="*")]
    for cat, bands in (data.get("by_category") or {}).items():
        frames.append(_bands_frame(bands, f"{path}: by_category.{cat}").assign(category=str(cat)))
    return pd.concat(frames, ignore_index=True)[["category", "from_year", "to_year", "share"]]


def _expand_stock(stock: pd.DataFrame, age_profile: pd.DataFrame) -> pd.DataFrame:
    """One pseudo-building per (stock row, construction year), area spread evenly within each band."""
    prof = age_profile.copy()
    if "category" not in prof.columns:
        prof["category"] = "*"
    for cat, g in prof.groupby("category"):
        s = float(g["share"].sum())
        if abs(s - 1.0) > 1e-6:
            raise ModelConfigError(f"age profile for '{cat}': shares sum to {s:.6f}, not 1")
    rows = []
    for b in prof.itertuples(index=False):
        years = np.arange(int(b.from_year), int(b.to_year) + 1)
        rows.append(pd.DataFrame({"category": b.category, "year_built": years, "w": b.share / years.size}))
    per_year = pd.concat(rows, ignore_index=True)
    if "*" not in set(per_year["category"]):
        lacking = sorted(set(stock["category"]) - set(per_year["category"]))
        if lacking:
            raise ModelConfigError(f"age profile has no default ('*') and no bands for categories {lacking}")
    stock = stock.reset_index(drop=True).assign(_row=lambda d: np.arange(len(d)))
    own = stock.merge(per_year, on="category", how="inner")
    rest = stock[~stock["category"].isin(set(per_year["category"]) - {"*"})]
    dflt = rest.drop(columns="category").merge(per_year[per_year["category"] == "*"].drop(columns="category"),
                                               how="cross").merge(rest[["_row", "category"]], on="_row")
    pseudo = pd.concat([own, dflt], ignore_index=True)
    pseudo["floor_area_m2"] = pseudo["floor_area_m2"] * pseudo["w"]
    key = pseudo["stock_type"] if "stock_type" in pseudo.columns else pseudo["category"]
    pseudo["stock_key"] = key.astype(str)
    pseudo["facility_id"] = pseudo["_row"].map("{:04d}".format) + "|" + pseudo["year_built"].astype(str)
    return pseudo[pseudo["floor_area_m2"] > 0].sort_values("facility_id").reset_index(drop=True)


def stock_buildings(stock: pd.DataFrame, age_profile: pd.DataFrame) -> pd.DataFrame:
    """Synthetic buildings for a type-level stock table: ``count`` buildings per type, equal floor area.

    A stock table gives, per type, a number of facilities and their total floor area but no
    construction years. To schedule renewals building by building, each type's ``count`` facilities
    become ``count`` synthetic buildings of equal area (total area kept exactly), whose construction
    years are the mid-quantiles of the type's age profile (building *i* of *n* gets the year where the
    cumulative floor-area share reaches ``(i + 0.5) / n``). Identical buildings (same type, year,
    area) are common, which the scheduler can group into cohorts.

    Parameters
    ----------
    stock : DataFrame
        ``category, count, floor_area_m2`` and optionally ``stock_type`` (see :func:`read_stock_table`).
    age_profile : DataFrame
        As :func:`project_stock` (see :func:`load_age_profile`).

    Returns
    -------
    DataFrame
        ``facility_id`` (``<row>|<n>``, e.g. ``0006|012``), ``building_id`` (the same), ``stock_type``,
        ``category``, ``floor_area_m2``, ``year_built``; sorted by id.

    Examples
    --------
    >>> import pandas as pd
    >>> stock = pd.DataFrame({"category": ["primary_school"], "count": [4], "floor_area_m2": [8000.0]})
    >>> prof = pd.DataFrame({"from_year": [1960, 1970], "to_year": [1969, 1979], "share": [0.5, 0.5]})
    >>> stock_buildings(stock, prof)["year_built"].tolist()
    [1962, 1967, 1972, 1977]
    """
    if "count" not in stock.columns:
        raise DataValidationError([DataIssue("stock", None, "count", "required column is missing")])
    per_year = _expand_stock(stock.drop(columns="count").assign(floor_area_m2=1.0), age_profile)
    frames = []
    stock = stock.reset_index(drop=True)
    for r in range(len(stock)):
        n = int(stock["count"].iat[r])
        if n <= 0:
            continue
        py = per_year[per_year["_row"] == r].sort_values("year_built")
        cum = np.cumsum(py["floor_area_m2"].to_numpy()) / float(py["floor_area_m2"].sum())
        q = (np.arange(n) + 0.5) / n
        pos = np.minimum(np.searchsorted(cum, q - 1e-12, side="left"), len(cum) - 1)
        years = py["year_built"].to_numpy()[pos]
        ids = [f"{r:04d}|{i:03d}" for i in range(n)]
        label = str(stock["stock_type"].iat[r]) if "stock_type" in stock.columns else str(stock["category"].iat[r])
        frames.append(pd.DataFrame({"facility_id": ids, "building_id": ids, "stock_type": label,
                                    "category": stock["category"].iat[r],
                                    "floor_area_m2": float(stock["floor_area_m2"].iat[r]) / n,
                                    "year_built": years.astype(np.int64)}))
    return pd.concat(frames, ignore_index=True).sort_values("facility_id").reset_index(drop=True)


def project_stock(
    stock: pd.DataFrame,
    age_profile: pd.DataFrame,
    *,
    start_year: int,
    params: RenewalCostParams | None = None,
    catalogue: Catalogue | None = None,
    horizon_years: int | None = None,
) -> pd.DataFrame:
    """Renewal costs of a type-level stock table (category, floor area) given an age profile.

    Each stock row is split into one pseudo-building per construction year of the profile (the floor
    area of a band spread evenly over its years) and run through :func:`project_renewal`; no operation
    cost is charged (stock tables have none).

    Parameters
    ----------
    stock : DataFrame
        ``category, floor_area_m2`` and optionally ``stock_type`` (the row label), ``count``.
    age_profile : DataFrame
        ``from_year, to_year, share`` and optionally ``category`` (``"*"`` = default for categories
        without their own bands); see :func:`load_age_profile`.

    Returns
    -------
    DataFrame
        ``stock_type, category, cost_class, year, kind, cost_yen, cost_pv_yen`` summed over
        construction years, sorted.

    Examples
    --------
    >>> import pandas as pd
    >>> stock = pd.DataFrame({"category": ["primary_school"], "floor_area_m2": [10_000.0]})
    >>> prof = pd.DataFrame({"from_year": [1970], "to_year": [1970], "share": [1.0]})
    >>> c = project_stock(stock, prof, start_year=2016)
    >>> round(float(c["cost_yen"].sum()) / OKU_YEN, 1)  # backlog renovation 17 + rebuild 33 万円/m²
    50.0
    """
    catalogue = catalogue or default_catalogue()
    pseudo = _expand_stock(stock, age_profile)
    costs = project_renewal(pseudo, start_year=start_year, params=params, catalogue=catalogue,
                            horizon_years=horizon_years, include_operation=False)
    key = dict(zip(pseudo["facility_id"], pseudo["stock_key"]))
    costs.insert(0, "stock_type", costs["facility_id"].map(key))
    out = (costs.groupby(["stock_type", "category", "cost_class", "year", "kind"], as_index=False, sort=True)
           [["cost_yen", "cost_pv_yen"]].sum())
    return out


# --------------------------------------------------------------------------------------------------
# summaries and the renewal-cliff chart


def totals_by_year(costs: pd.DataFrame, by: str | None = "kind", value: str = "cost_yen") -> pd.DataFrame:
    """Wide table of totals: one row per year, one column per ``by`` value (``kind``, ``category``,
    ``cost_class``...), plus ``total``. ``by=None`` gives only ``total``. Years without cost are 0."""
    if costs.empty:
        return pd.DataFrame(columns=["total"])
    years = pd.RangeIndex(int(costs["year"].min()), int(costs["year"].max()) + 1, name="year")
    if by is None:
        wide = costs.groupby("year")[value].sum().to_frame("total")
    else:
        wide = costs.pivot_table(index="year", columns=by, values=value, aggfunc="sum", fill_value=0.0)
        wide.columns = [str(c) for c in wide.columns]
        wide = wide[sorted(wide.columns)]
        wide["total"] = wide.sum(axis=1)
    return wide.reindex(years, fill_value=0.0)


#: axis label for 億円; ASCII because the default matplotlib fonts have no CJK glyphs
OKU_LABEL = "oku-yen (100 million yen)"


def plot_renewal_cliff(costs: pd.DataFrame, by: str = "kind", *, value: str = "cost_yen", ax=None,
                       title: str | None = None, average_line: bool = True):
    """Stacked bars of cost per year in 億円 (oku-yen) by ``kind`` or ``category``: the 'renewal cliff'.

    Returns the matplotlib Figure. A dashed line shows the average over the horizon.
    """
    import matplotlib
    from matplotlib.figure import Figure

    if ax is None:  # a bare Figure: no pyplot state, works headless and displays in notebooks
        fig = Figure(figsize=(10, 4.5))
        ax = fig.subplots()
    else:
        fig = ax.figure
    wide = totals_by_year(costs, by=by, value=value).drop(columns="total", errors="ignore") / OKU_YEN
    bottom = np.zeros(len(wide))
    cmap = matplotlib.colormaps["tab20"]
    for i, col in enumerate(wide.columns):
        ax.bar(wide.index, wide[col].to_numpy(), bottom=bottom, label=col, color=cmap(i % 20), width=0.85)
        bottom += wide[col].to_numpy()
    if average_line and len(wide):
        avg = bottom.mean()
        ax.axhline(avg, color="black", linestyle="--", linewidth=1)
        ax.annotate(f"average {avg:,.0f} oku-yen/year", (wide.index[0], avg), xytext=(0, 4),
                    textcoords="offset points", fontsize=8)
    ax.set_xlabel("year")
    ax.set_ylabel(OKU_LABEL)
    ax.set_title(title or f"Renewal costs by {by}: {bottom.sum():,.0f} oku-yen over {len(wide)} years")
    ax.legend(fontsize=7, ncol=2, loc="upper right")
    fig.tight_layout()
    return fig
