"""Solving the parts (on Dask distributed or one after another) and joining their solutions."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ...solver import SolveInfo
from ..formulation.events import prepare_events
from ..formulation.solution import Solution
from ..problem import PortfolioProblem
from .bound import lagrangian_bound, priced_part_lp, row_prices
from .split import not_shareable, part_problems, parts

if TYPE_CHECKING:
    from ..optimise import PortfolioOptions

__all__ = ["join_solutions", "solve_by_parts"]

log = logging.getLogger(__name__)


def _event_keys(events: pd.DataFrame) -> pd.MultiIndex:
    """(site_id, n-th event of the site): the same key for an event in a part and in the whole."""
    ev = events.reset_index(drop=True)
    return pd.MultiIndex.from_arrays([ev["site_id"], ev.groupby("site_id").cumcount()])


def join_solutions(problem: PortfolioProblem, subs: list[PortfolioProblem], sols: list[Solution]) -> Solution:
    """The whole problem's solution from its parts' (ids are the whole's; event and option numbers renumbered)."""
    whole_e = pd.Series(np.arange(len(problem.events)), index=_event_keys(problem.events))
    opt_whole = prepare_events(problem).opt.reset_index().set_index(["e", "variant", "year"])["index"]
    events, floors = [], []
    for sub, sol in zip(subs, sols):
        e_map = whole_e.reindex(_event_keys(sub.events)).to_numpy()
        sub_opt = prepare_events(sub).opt[["e", "variant", "year"]]

        def option(o: pd.Series, e_map: np.ndarray = e_map, sub_opt: pd.DataFrame = sub_opt) -> np.ndarray:
            ok = (o.notna() & (o >= 0)).to_numpy()  # NaN: no option; -1: floor added outside a rebuild
            out = o.to_numpy(dtype=float).copy()
            r = sub_opt.loc[o[ok].astype(int)]
            keys = pd.MultiIndex.from_arrays([e_map[r["e"].to_numpy(dtype=int)], r["variant"], r["year"]])
            out[ok] = opt_whole.reindex(keys).to_numpy(dtype=float)
            return out

        ev = sol.events.reset_index(drop=True)
        events.append(ev.assign(e=e_map[ev["e"].to_numpy(dtype=int)], option=option(ev["option"])))
        fl = sol.floor_added
        floors.append(fl.assign(option=option(fl["option"])) if "option" in fl.columns else fl)
    ev = pd.concat(events, ignore_index=True).sort_values("e", kind="mergesort").reset_index(drop=True)

    def cat(name: str) -> pd.DataFrame:
        frames = [getattr(s, name) for s in sols]
        return pd.concat([f for f in frames if len(f)] or frames[:1], ignore_index=True)

    slacks: dict[str, list] = {}
    for s in sols:
        for k, v in s.slacks.items():
            slacks.setdefault(k, []).extend(v)
    return Solution(
        info=sols[0].info,
        open=cat("open"),
        placements=cat("placements"),
        floor_added=pd.concat(floors, ignore_index=True),
        events=ev,
        assignments=cat("assignments"),
        uncovered=cat("uncovered"),
        slacks=slacks,
        disposals=cat("disposals"),
        operators=cat("operators"),
        mergers=cat("mergers"),
        conversions=cat("conversions"),
    )


@dataclass(frozen=True)
class _PartResult:
    solution: Solution
    bound_term: float | None  # the part's priced LP (None: not solved to optimality)
    rhs: dict[tuple[str, str], float]  # the part's right-hand side of each priced row
    size: tuple[int, int]  # the part's MILP: variables, constraints


def _solve_part(
    problem: PortfolioProblem, options: PortfolioOptions, prices: dict[tuple[str, str], float]
) -> _PartResult:
    """One part with the ordinary optimiser (its plan checked on its own): the polished solution, then
    the part's term of the Lagrangian bound on the same model (:func:`priced_part_lp`)."""
    from ..optimise import PortfolioOptimiser

    opt = PortfolioOptimiser(replace(options, decompose=False, workers=1))
    opt.optimise(problem)
    size = (opt.model_.prob.numVariables(), opt.model_.prob.numConstraints())
    value, rhs = priced_part_lp(opt.model_, prices, options.solver)
    return _PartResult(opt.solution_, value, rhs, size)


def solve_by_parts(
    problem: PortfolioProblem, options: PortfolioOptions, client: Any = None
) -> tuple[Solution, Solution] | None:
    """(joined solution, keep-everything baseline) of ``problem`` solved part by part, or None when it
    has one part or limits that cannot be shared out (it is then solved whole).

    ``options.workers`` (or ``client``, a Dask Client or scheduler address) runs the parts, the prices
    of the bound and the whole's baseline on Dask distributed; ``workers=1`` runs them one after another
    in this process.  Each part's solve has the options' gap and time limit.
    """
    found = parts(problem)
    if len(found) < 2:
        log.info("%s: one part; solved whole", problem.name)
        return None
    blocked = not_shareable(problem)
    if blocked:
        log.warning("%s: %d parts, but solved whole: %s cannot be shared out", problem.name, len(found), blocked)
        return None
    t0 = time.perf_counter()
    # one thread per solve, whatever the workers: the same plan on Dask as in one process
    one = replace(options.solver, threads=1)
    part_opts = replace(
        options,
        solver=one,
        on_violation="raise",
        start_plan=None,
        lead_tolerance=options.lead_tolerance / len(found),  # the parts' misses add up
    )
    # the prices of the bound come from the LP of the largest part, with its share of the limits by need
    # (any prices give a valid bound), so they need not wait for the baseline
    from ..optimise import solve_baseline  # (the optimiser imports this module)

    largest = max(range(len(found)), key=lambda i: (len(found[i].zones) + len(found[i].sites), -i))
    priced = part_problems(problem, found)[largest]
    if options.workers == 1 and client is None:
        prices = row_prices(priced, one)
        baseline = solve_baseline(problem, one)
        subs = part_problems(problem, found, baseline)
        results = [_solve_part(sub, part_opts, prices) for sub in subs]
    else:
        from distributed import as_completed

        from ...cluster import dask_client

        with dask_client(client, options.workers, len(found) + 2) as c:
            p_fut = c.submit(row_prices, priced, one, key="facility-opt-prices", pure=False, priority=10)
            baseline = c.submit(solve_baseline, problem, one, key="facility-opt-baseline", pure=False).result()
            subs = part_problems(problem, found, baseline)
            prices = p_fut.result()
            futures = {
                c.submit(_solve_part, sub, part_opts, prices, key=f"facility-opt-part-{i}", pure=False): i
                for i, sub in enumerate(subs)
            }
            done: dict[int, _PartResult] = {}
            for fut in as_completed(futures):
                i = futures[fut]
                done[i] = fut.result()
                log.info("%s: %s (%d of %d parts done)", subs[i].name, done[i].solution.info, len(done), len(subs))
            results = [done[i] for i in range(len(subs))]
    sols = [r.solution for r in results]
    joined = join_solutions(problem, subs, sols)
    objective = float(sum(s.info.objective or 0.0 for s in sols))
    bound = lagrangian_bound([r.bound_term for r in results], [r.rhs for r in results], prices)
    gap = None if bound is None else max(objective - bound, 0.0) / max(abs(objective), 1e-9)
    target = options.solver.gap_rel
    status = "optimal" if gap is not None and (target is None or gap <= target) else "feasible"
    joined.info = SolveInfo(
        status=status,
        objective=objective,
        bound=bound,
        gap=gap,
        build_seconds=float(sum(s.info.build_seconds for s in sols)),
        solve_seconds=time.perf_counter() - t0,
        solver=f"{sols[0].info.solver}, {len(sols)} parts",
        nodes=None,
        raw_status=f"parts: {', '.join(s.info.status for s in sols)}",
        extra={
            "parts": len(sols),
            "part_gaps": [s.info.gap for s in sols],
            "prices": len(prices),
            "variables": sum(r.size[0] for r in results),  # the whole's, but for the ward-wide rows
            "constraints": sum(r.size[1] for r in results),
        },
    )
    log.info("%s: %d parts joined: %s", problem.name, len(sols), joined.info)
    return joined, baseline
