"""Age keys (``"15-19"``, ``"85+"``, ``"7"``, ``"0_5"``) and per-age schedules spread over single years."""

from __future__ import annotations

import math
from typing import Annotated

import numpy as np
from pydantic import AfterValidator


def _age_range(key: str, max_age: int) -> tuple[int, int]:
    """Inclusive single-year range of an age key: ``"15-19"``, ``"85+"``, ``"7"``, or an age group
    of the zones table (``"0_5"``, ``"75_plus"``)."""
    k = key.strip().replace("_plus", "+").replace("_", "-")
    try:
        if k.endswith("+"):
            lo, hi = int(k[:-1]), max_age
        elif "-" in k:
            a, b = k.split("-", 1)
            lo, hi = int(a), int(b)
        else:
            lo = hi = int(k)
    except ValueError:
        raise ValueError(f"age key {key!r}: expected 'a-b', 'a+' or 'a' (whole years)") from None
    if not 0 <= lo <= hi <= max_age:
        raise ValueError(f"age key {key!r}: ages must lie in 0..{max_age} with start <= end")
    return lo, hi


def _schedule(values: dict[str, float], max_age: int) -> np.ndarray:
    """Per single year: each group's value spread evenly over its years (groups must not overlap)."""
    out = np.zeros(max_age + 1)
    seen = np.zeros(max_age + 1, dtype=bool)
    for key, v in values.items():
        lo, hi = _age_range(key, max_age)
        if seen[lo : hi + 1].any():
            raise ValueError(f"age key {key!r} overlaps another group")
        seen[lo : hi + 1] = True
        out[lo : hi + 1] = float(v) / (hi - lo + 1)
    return out


def _check_schedule(v: dict[str, float]) -> dict[str, float]:
    for key, x in v.items():
        _age_range(key, 10_000)
        if not math.isfinite(float(x)) or float(x) < 0:
            raise ValueError(f"{key}: values must be finite and >= 0, got {x}")
    return v


#: A mapping age key ("15-19", "85+", "30") -> value, checked when read.
AgeSchedule = Annotated[dict[str, float], AfterValidator(_check_schedule)]
