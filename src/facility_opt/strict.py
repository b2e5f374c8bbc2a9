"""The one strict pydantic base of the library's parameter models: unknown keys are errors, values frozen.

A typo in a YAML key (``rebuild_ag: 70``) must fail loudly rather than be ignored, and parameters
must not change under a model that holds them; every parameter model derives from :class:`StrictModel`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["StrictModel"]


class StrictModel(BaseModel):
    """A frozen pydantic model that rejects unknown fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)
