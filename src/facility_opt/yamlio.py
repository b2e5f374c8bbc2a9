"""Reading the YAML files of ``models/`` into validated pydantic objects, with errors that name the
file and the key path (one place for every loader: catalogue, cost tables, fee models, plans)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from .errors import ModelConfigError

__all__ = ["read_yaml", "load_yaml_model"]

M = TypeVar("M", bound=BaseModel)


def read_yaml(path: str | Path, what: str) -> Any:
    """Parse a UTF-8 YAML file; :class:`ModelConfigError` naming the file when it cannot."""
    path = Path(path)
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelConfigError(f"{path}: {what} file not found") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ModelConfigError(f"{path}: cannot read the {what} as UTF-8 YAML: {exc}") from exc


def load_yaml_model(  # noqa: UP047 (M is shared with the module's other helpers)
    path: str | Path, cls: type[M], what: str, transform: Callable[[Any], Any] | None = None
) -> M:
    """Read ``path`` and validate it as ``cls``; ``transform`` may reshape the raw data first."""
    data = read_yaml(path, what)
    if transform is not None:
        data = transform(data)
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        raise ModelConfigError.from_validation(path, exc, what) from None
