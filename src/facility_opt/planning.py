"""Declarative planning models: YAML files in ``models/`` validated by pydantic.

A planning model names the ward data, the service catalogue, the cost table and the settings of each
optimiser. A scenario is a model file that ``extends`` another and overrides any of its parameters
(deep merge: mappings merge key by key, anything else replaces)::

    # models/scenarios/stations.yaml
    extends: ../nerima.yaml
    name: nerima-stations
    portfolio:
      policy: {candidate_sites: stations}

File references (``data``, ``catalogue``, ``renewal_costs``, ``fees``) are relative to the file that
states them; ``embedded:nerima`` names the embedded Nerima data. Errors name the file, the key path
and what was expected.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import ModelConfigError
from .yamlio import read_yaml

__all__ = ["PlanningModel", "load_planning_model", "default_model_path", "deep_merge"]

_PATH_KEYS = ("data", "catalogue", "renewal_costs", "fees")


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
        from .costs import RenewalCostParams, default_renewal_params, load_renewal_params

        base = load_renewal_params(self.renewal_costs) if self.renewal_costs else default_renewal_params()
        merged = deep_merge(base.model_dump(), {**self.costs, "horizon_years": self.horizon.years})
        try:
            return RenewalCostParams.model_validate(merged)
        except ValidationError as exc:
            where = self.source_files[-1] if self.source_files else "<model>"
            raise ModelConfigError.from_validation(where, exc, "cost overrides", prefix="costs") from None


def default_model_path() -> Path:
    """``models/nerima.yaml``, the default planning model."""
    from .resources import models_dir

    return models_dir() / "nerima.yaml"


def _read_yaml(path: Path) -> dict:
    data = read_yaml(path, "planning model")
    if not isinstance(data, dict):
        raise ModelConfigError(f"{path}: expected a mapping of keys at the top level, got {type(data).__name__}")
    return data


def _resolve(path: Path, seen: tuple[Path, ...]) -> tuple[dict, list[str], dict[str, Path]]:
    """Merged raw dict, the chain of files, and which file set each path-valued key."""
    path = path.resolve()
    if path in seen:
        chain = " -> ".join(str(p) for p in (*seen, path))
        raise ModelConfigError(f"{path}: 'extends' makes a cycle: {chain}")
    data = _read_yaml(path)
    origin = {k: path for k in _PATH_KEYS if k in data}
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
        value = raw.get(key)
        if isinstance(value, str) and not value.startswith("embedded:") and not is_database_url(value):
            raw[key] = str((declared_in.parent / value).resolve())
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
    return model
