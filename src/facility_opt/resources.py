"""Where the embedded files live: ``geodata/`` (default data) and ``models/`` (planning models).

In a source checkout they are the top-level folders of the repository; in an installed wheel they
are packaged under ``facility_opt/_embedded/``.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["geodata_dir", "models_dir", "nerima_dir"]

_PKG = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    for cand in (_PKG / "_embedded" / name, _PKG.parent.parent / name):
        if cand.is_dir():
            return cand
    raise FileNotFoundError(f"facility_opt's embedded '{name}' folder is missing (looked beside {_PKG})")


def geodata_dir() -> Path:
    """The embedded default data folder (``geodata/``)."""
    return _find("geodata")


def models_dir() -> Path:
    """The planning-models folder (``models/``)."""
    return _find("models")


def nerima_dir() -> Path:
    """The embedded Nerima ward data (``geodata/nerima/``)."""
    return geodata_dir() / "nerima"
