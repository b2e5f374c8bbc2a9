"""The ward's own published figures on its facilities (``context.yaml`` in the ward folder).

A plan models some of a ward's buildings; planners read it against the ward's whole stock and its
renewal bill as the ward published them (Nerima: about 690 buildings, 1.18 M m², 6,450億円 over 30
years, 215億円 a year needed against 52億円 spent).  Those figures live in the data folder with
their sources, not in the report's code: :func:`load_ward_context` reads them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .yamlio import load_yaml_model

__all__ = ["ContextItem", "WardContext", "load_ward_context", "CONTEXT_FILE"]

#: the file's name in a ward folder
CONTEXT_FILE = "context.yaml"


class ContextItem(BaseModel):
    """One published figure: its value, unit, label in English and Japanese, and source."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(min_length=1)
    value: float
    unit: Literal["count", "m2", "yen", "yen_per_year"]
    approx: bool = Field(default=False, description="The source gives an approximate figure (約).")
    label: str = Field(min_length=1)
    label_ja: str = Field(min_length=1)
    source: str = Field(min_length=1)


class WardContext(BaseModel):
    """The figures of a ward's ``context.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    items: list[ContextItem]


def load_ward_context(ward) -> WardContext | None:
    """The ward's ``context.yaml`` (beside its ``ward.yaml``), or None when it has none (or the ward
    was not read from a folder); errors name the file and key."""
    if ward.source is None:
        return None
    path = Path(ward.source) / CONTEXT_FILE
    return load_yaml_model(path, WardContext, "ward context") if path.is_file() else None
