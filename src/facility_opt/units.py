"""Money units used across the library: every amount is in yen; 万円 and 億円 only in labels and inputs."""

from __future__ import annotations

__all__ = ["MAN_YEN", "OKU_YEN", "OKU_LABEL"]

#: 1 万円 and 1 億円 in yen.
MAN_YEN = 10_000
OKU_YEN = 100_000_000

#: axis label for 億円; ASCII because the default matplotlib fonts have no CJK glyphs
OKU_LABEL = "oku-yen (100 million yen)"
