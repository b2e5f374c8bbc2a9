"""The nightly job's sweep: after the main plan, re-run the model's sweep and say which decisions
became unstable since the last night (``sweep.nightly`` in the planning model)."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from ..atomic import atomic_write_text
from ..planning import PlanningModel
from .aggregate import unstable_since
from .run import sweep
from .spec import SweepSpec

__all__ = ["nightly_sweep", "NEWLY_UNSTABLE"]

log = logging.getLogger(__name__)

#: file of a nightly run's sweep folder listing the decisions unstable tonight but not last night
NEWLY_UNSTABLE = "newly_unstable.csv"


def nightly_sweep(
    model: PlanningModel, run_dir: Path, previous: Path | None, cache: Path, client=None
) -> pd.DataFrame | None:
    """Run the model's nightly sweep into ``run_dir/sweep`` (None when the model asks for none).

    Variants are cached in ``cache`` across nights: an unchanged input recomputes nothing.  Returns
    (and writes to ``run_dir/sweep/newly_unstable.csv``) the decisions unstable tonight that were
    robust or rare in ``previous/sweep``; every unstable decision counts as new on the first night.
    """
    where = model.source_files[-1] if model.source_files else "<model>"
    spec = SweepSpec.parse(model.sweep, where) if model.sweep else None
    if spec is None or spec.nightly is None:
        return None
    out = Path(run_dir) / "sweep"
    night = spec.nightly
    res = sweep(
        model,
        n=night.n,
        seed=night.seed if night.seed is not None else spec.seed,
        client=client if client is not None else night.scheduler,
        out=out,
        spec=spec,
        cache=cache,
        serial=night.serial,
    )
    before = Path(previous) / "sweep" if previous is not None else Path("/nonexistent")
    if (before / "decisions.csv").is_file():
        new = unstable_since(before, out)
    else:
        d = res.summary.decisions
        new = d[d["stability"] == "unstable"].assign(share_before=float("nan"), stability_before="")
        new = new.rename(columns={"share": "share_after"})[
            ["facility_id", "name", "decision", "share_before", "share_after", "stability_before"]
        ]
    atomic_write_text(out / NEWLY_UNSTABLE, new.to_csv(index=False, lineterminator="\n", float_format="%.6f"))
    log.info(
        "nightly sweep: %d variants, %d decisions newly unstable",
        res.n,
        len(new),
        extra={
            "data": {
                "event": "sweep",
                "variants": res.n,
                "solved": res.computed,
                "newly_unstable": new[["facility_id", "decision"]].to_dict("records"),
            }
        },
    )
    return new
