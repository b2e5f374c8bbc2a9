"""Declarative planning models: YAML files in ``models/`` validated by pydantic.

A planning model names the ward data, the service catalogue, the cost table and the settings of each
optimiser. A scenario is a model file that ``extends`` another and overrides any of its parameters
(deep merge: mappings merge key by key, anything else replaces)::

    # models/scenarios/stations.yaml
    extends: ../nerima.yaml
    name: nerima-stations
    portfolio:
      policy: {candidate_sites: stations}

File references (``data``, ``catalogue``, ``renewal_costs``, ``fees``, ``demand.projection.params``,
``demand.population_table``) are relative to the file that states them; ``embedded:nerima`` names the
embedded Nerima data. Errors name the file, the key path and what was expected.

The ``demand`` section names where the population of each planning year comes from (read by
:meth:`PlanningModel.population`)::

    demand:
      projection: {params: population_nerima.yaml, calibrate: false}   # cohort-component projection
    # or
    demand:
      population_table: data/population_by_year.csv                    # a user's zone x age x year table
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import ModelConfigError
from .yamlio import read_yaml

__all__ = ["PlanningModel", "load_planning_model", "default_model_path", "deep_merge"]

_PATH_KEYS = ("data", "catalogue", "renewal_costs", "fees", "demand.projection.params", "demand.population_table")
_PROJECTION_KEYS = {"params", "calibrate"}


def _get(data: dict, key: str):
    """``data[a][b]`` for the dotted key ``a.b`` (None when any level is missing or not a mapping)."""
    for part in key.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def _set(data: dict, key: str, value) -> None:
    *parents, last = key.split(".")
    for part in parents:
        data = data[part]
    data[last] = value


def deep_merge(base: dict, override: dict) -> dict:
    """``override`` on top of ``base``: mappings merge recursively, other values replace."""
    out = copy.deepcopy(base)
    for k, v in override.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


class Horizon(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start_year: int = Field(ge=1990, le=2100, description="First year of the plan.")
    years: int = Field(default=30, ge=1, le=100, description="Planning horizon in years.")


class PlanningModel(BaseModel):
    """One planning model (or scenario) after ``extends`` is resolved; paths are absolute."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    data: str = Field(description="Ward data folder, 'embedded:nerima', or a postgresql:// URL (PostGIS tables).")
    catalogue: str
    renewal_costs: str | None = None
    horizon: Horizon
    costs: dict[str, Any] = Field(default_factory=dict, description="Overrides of the renewal-cost parameters.")
    demand: dict[str, Any] = Field(default_factory=dict)
    access: dict[str, Any] = Field(default_factory=dict)
    portfolio: dict[str, Any] = Field(default_factory=dict)
    fees: str | None = None
    schedule: dict[str, Any] = Field(default_factory=dict)
    solver: dict[str, Any] = Field(default_factory=dict)
    sweep: dict[str, Any] = Field(
        default_factory=dict,
        description="Uncertainty and scenario sweep (facility_opt.robust.spec.SweepSpec): validated when a sweep runs.",
    )
    source_files: list[str] = Field(default_factory=list, description="The YAML files merged, base first.")

    # -- the inputs the model names, read and validated ------------------------------------------
    def data_dir(self) -> Path:
        """The ward data folder (the embedded one for ``embedded:<name>``)."""
        if self.data.startswith("embedded:"):
            from .resources import geodata_dir

            return geodata_dir() / self.data.split(":", 1)[1]
        return Path(self.data)

    def with_data(self, source: str | Path) -> PlanningModel:
        """This model on other ward data: a folder (made absolute) or a ``postgresql://`` URL."""
        from .postgis import is_database_url

        return self.model_copy(update={"data": source if is_database_url(source) else str(Path(source).resolve())})

    def read_catalogue(self):
        from .catalogue import load_catalogue

        return load_catalogue(self.catalogue)

    def read_ward(self):
        """The ward data, validated against this model's catalogue."""
        from .loading import read_ward
        from .postgis import is_database_url

        source = self.data if is_database_url(self.data) else self.data_dir()
        return read_ward(source, catalogue=self.read_catalogue())

    def renewal_params(self):
        """Renewal-cost parameters: the model's cost table (default: the 総務省 standard) with the
        ``costs`` overrides and the model's horizon applied."""
        from .renewal.params import RenewalCostParams, default_renewal_params, load_renewal_params

        base = load_renewal_params(self.renewal_costs) if self.renewal_costs else default_renewal_params()
        merged = deep_merge(base.model_dump(), {**self.costs, "horizon_years": self.horizon.years})
        try:
            return RenewalCostParams.model_validate(merged)
        except ValidationError as exc:
            where = self.source_files[-1] if self.source_files else "<model>"
            raise ModelConfigError.from_validation(where, exc, "cost overrides", prefix="costs") from None

    def horizon_years(self) -> list[int]:
        """The planning years: ``start_year`` .. ``start_year + years - 1``."""
        return list(range(self.horizon.start_year, self.horizon.start_year + self.horizon.years))

    def population(self, ward=None, years=None):
        """Population by zone, age group and year for the ``demand`` section, or None without one.

        ``demand.projection`` runs :func:`facility_opt.projection.project_population` on the ward's
        zones (calibrating first when ``calibrate: true``); ``demand.population_table`` reads the
        user's table (:func:`facility_opt.projection.read_population_table`), which must cover every
        zone of the ward and every requested year.

        Parameters
        ----------
        ward : Ward, optional
            Default: :meth:`read_ward`.
        years : iterable of int, optional
            Default: the planning horizon (:meth:`horizon_years`).

        Returns
        -------
        DataFrame or None
            ``zone_id, year, age_group, population`` (see :func:`facility_opt.projection.project_population`).

        Examples
        --------
        >>> m = load_planning_model()
        >>> pop = m.population(years=[2019, 2048])
        >>> sorted(pop["year"].unique().tolist()), pop["zone_id"].nunique()
        ([2019, 2048], 202)
        """
        from . import projection

        spec = self.demand
        if not spec.get("projection") and not spec.get("population_table"):
            return None
        ward = ward if ward is not None else self.read_ward()
        years = self.horizon_years() if years is None else sorted({int(y) for y in years})
        if spec.get("population_table"):
            return projection.select_population(
                projection.read_population_table(spec["population_table"]),
                ward.zones["zone_id"],
                years,
                spec["population_table"],
            )
        path = spec["projection"]["params"]
        params = projection.load_population_params(path)
        if ward.meta.population_year is not None and params.base_year != ward.meta.population_year:
            raise ModelConfigError(
                f"{path}: base_year: {params.base_year} differs from the ward's population_year "
                f"{ward.meta.population_year} (the year of its zones' population)"
            )
        if spec["projection"].get("calibrate", False):
            params, _ = projection.calibrate(ward.zones, params)
        return projection.project_population(ward.zones, params, years)


def default_model_path() -> Path:
    """``models/nerima.yaml``, the default planning model."""
    from .resources import models_dir

    return models_dir() / "nerima.yaml"


def _read_yaml(path: Path) -> dict:
    data = read_yaml(path, "planning model")
    if not isinstance(data, dict):
        raise ModelConfigError(f"{path}: expected a mapping of keys at the top level, got {type(data).__name__}")
    return data


def _absolute_sweep_paths(data: dict, path: Path) -> None:
    """Files named in a ``sweep`` section (projection variants, scenario files) made absolute, relative
    to the file that names them."""
    sw = data.get("sweep")
    if not isinstance(sw, dict):
        return
    for where in (_get(sw, "demand_projection.options"), _get(sw, "grid.scenarios")):
        if isinstance(where, dict):
            for k, v in where.items():
                if isinstance(v, str):
                    where[k] = str((path.parent / v).resolve())


def _resolve(path: Path, seen: tuple[Path, ...]) -> tuple[dict, list[str], dict[str, Path]]:
    """Merged raw dict, the chain of files, and which file set each path-valued key."""
    path = path.resolve()
    if path in seen:
        chain = " -> ".join(str(p) for p in (*seen, path))
        raise ModelConfigError(f"{path}: 'extends' makes a cycle: {chain}")
    data = _read_yaml(path)
    _absolute_sweep_paths(data, path)
    origin = {k: path for k in _PATH_KEYS if _get(data, k) is not None}
    parent = data.pop("extends", None)
    if parent is None:
        return data, [str(path)], origin
    if not isinstance(parent, str):
        raise ModelConfigError(f"{path}: extends: expected a file path, got {parent!r}")
    base, files, base_origin = _resolve(path.parent / parent, (*seen, path))
    return deep_merge(base, data), files + [str(path)], {**base_origin, **origin}


def load_planning_model(path: str | Path | None = None) -> PlanningModel:
    """Read a planning model (default ``models/nerima.yaml``), resolve ``extends``, validate it.

    Examples
    --------
    >>> m = load_planning_model()
    >>> m.name, m.horizon.years
    ('nerima', 30)
    """
    from .postgis import is_database_url

    path = Path(path) if path is not None else default_model_path()
    raw, files, origin = _resolve(path, ())
    for key, declared_in in origin.items():
        value = _get(raw, key)
        if isinstance(value, str) and not value.startswith("embedded:") and not is_database_url(value):
            _set(raw, key, str((declared_in.parent / value).resolve()))
    raw["source_files"] = files
    try:
        model = PlanningModel.model_validate(raw)
    except ValidationError as exc:
        raise ModelConfigError.from_validation(path, exc, "planning model") from None
    for key in ("catalogue", "renewal_costs", "fees"):
        v = getattr(model, key)
        if v is not None and not Path(v).is_file():
            raise ModelConfigError(f"{origin.get(key, path)}: {key}: file {v} does not exist")
    if not model.data.startswith("embedded:") and not is_database_url(model.data) and not Path(model.data).is_dir():
        raise ModelConfigError(f"{origin.get('data', path)}: data: folder {model.data} does not exist")
    _check_demand(model.demand, origin, path)
    return model


def _check_demand(demand: dict, origin: dict[str, Path], path: Path) -> None:
    """The population source of the ``demand`` section: one of projection / population_table, files exist."""
    proj, table = demand.get("projection"), demand.get("population_table")

    def fail(key: str, message: str):
        raise ModelConfigError(f"{origin.get(key, path)}: {key}: {message}")

    if proj is not None and table is not None:
        fail("demand", "give either projection or population_table, not both")
    if proj is not None:
        if not isinstance(proj, dict):
            fail("demand.projection", f"expected a mapping like {{params: population.yaml}}, got {proj!r}")
        unknown = sorted(set(proj) - _PROJECTION_KEYS)
        if unknown:
            fail("demand.projection", f"unknown keys {unknown}; expected {sorted(_PROJECTION_KEYS)}")
        if not isinstance(proj.get("params"), str):
            fail("demand.projection.params", f"expected a file path, got {proj.get('params')!r}")
        if not isinstance(proj.get("calibrate", False), bool):
            fail("demand.projection.calibrate", f"expected true or false, got {proj['calibrate']!r}")
    for key in ("demand.projection.params", "demand.population_table"):
        value = _get({"demand": demand}, key)
        if value is None:
            continue
        if not isinstance(value, str):
            fail(key, f"expected a file path, got {value!r}")
        if not Path(value).is_file():
            fail(key, f"file {value} does not exist")
