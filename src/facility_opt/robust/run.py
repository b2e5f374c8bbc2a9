"""Run a sweep: variants solved serially or on Dask distributed, each result cached under its inputs' hash.

The cache (``<out>/cache/<key>.json`` by default) makes a sweep resumable: a variant whose key is
there is not solved again.  The key hashes the variant's parameters, the fingerprint of every input
file of its model (ward data, model files, population parameters) and the solver options, so a
changed input or option recomputes exactly the variants it touches.

Determinism: every variant is solved with one HiGHS thread and must stop on deterministic rules
(the relative gap ``gap_rel`` or HiGHS's ``mip_max_nodes``); the time limit is a safety net only.
A variant that stops on the time limit is *flagged* (``stop = "time_limit"``): it is listed in
``variants.csv`` but left out of every share and distribution, because another machine could have
stopped it elsewhere.  Results are aggregated in variant order on the client, so a serial run and a
parallel one with the same seed write byte-identical summary files (when no variant is flagged).
"""

from __future__ import annotations

import json
import logging
import resource
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from ..atomic import atomic_write_text
from ..cluster import dask_client
from ..errors import FacilityOptError, InfeasibleError, ModelConfigError
from ..planning import PlanningModel, deep_merge, load_planning_model
from ..portfolio import PortfolioOptimiser, PortfolioOptions, PortfolioProblem
from ..solver import SolverOptions
from .perturb import apply_variant
from .spec import SweepSpec, Variant, content_hash, generate_variants

__all__ = ["sweep", "solve_variant", "SweepResult", "sweep_options", "RESULT_VERSION"]

log = logging.getLogger(__name__)

#: bumped when the content of a cached result changes (old cache entries are then not reused)
RESULT_VERSION = 1
#: headline figures of each variant's plan (``Plan.kpis`` fields)
KPI_FIELDS = (
    "cost_before_yen",
    "cost_after_yen",
    "saving_yen",
    "saving_share",
    "closures",
    "new_buildings",
    "floor_reduction",
    "capital_spend_yen",
)

Runner = Callable[[PortfolioProblem, Variant, PortfolioOptions], dict]
Progress = Callable[[int, int, int], None]  # (done, total, cached)


def _stop_reason(info) -> str:
    raw = (info.raw_status or "").lower()
    if "time" in raw:
        return "time_limit"
    if "solutionlimit" in raw or "solution limit" in raw or "iteration" in raw:
        return "node_limit"
    return "gap" if info.status == "feasible" else info.status


def solve_variant(problem: PortfolioProblem, variant: Variant, options: PortfolioOptions) -> dict:
    """Solve one variant; a plain, JSON-ready result (never raises for an infeasible or failed variant).

    ``stop`` says why the solver stopped: ``optimal``, ``gap`` (within the relative gap), ``node_limit``
    (deterministic), ``time_limit`` (flagged), ``infeasible`` or ``error``.
    """
    t0, c0 = time.perf_counter(), time.process_time()
    out: dict[str, Any] = {
        "status": "ok",
        "stop": None,
        "objective_yen": None,
        "gap": None,
        "kpis": {},
        "decisions": [],
        "message": "",
    }
    try:
        p = apply_variant(problem, variant)
        opt = PortfolioOptimiser(replace(options, on_violation="mark"))
        plan = opt.optimise(p)
        info = opt.solution_.info
        out["stop"] = _stop_reason(info)
        out["objective_yen"], out["gap"] = plan.solver.objective_yen, plan.solver.gap
        out["kpis"] = {k: getattr(plan.kpis, k) for k in KPI_FIELDS}
        out["decisions"] = sorted([d.facility_id, d.name, d.decision, d.year] for d in plan.decisions)
        if out["stop"] == "time_limit":
            out["status"] = "flagged"
            out["message"] = "stopped on the time limit: not deterministic, left out of the summary"
        elif not plan.valid:
            out["status"] = "flagged"
            out["message"] = "plan fails the independent check: " + "; ".join(plan.violations[:3])
    except InfeasibleError as exc:
        out.update(status="infeasible", stop="infeasible", message=str(exc).splitlines()[0][:300])
    except ModelConfigError:
        raise  # a wrong sweep section is the user's to fix, not a variant's outcome
    except (FacilityOptError, ValueError, ArithmeticError) as exc:
        out.update(status="error", stop="error", message=f"{type(exc).__name__}: {str(exc)[:300]}")
    # wall and CPU seconds (CPU: this process's, HiGHS's single thread included) are for benchmarks: they
    # vary run to run, so they stay in the cache entries and never enter the summary
    out["seconds"] = round(time.perf_counter() - t0, 3)
    out["cpu_seconds"] = round(time.process_time() - c0, 3)
    out["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)  # the process's peak so far
    return out


def sweep_options(base: PortfolioOptions, overrides: dict[str, Any]) -> PortfolioOptions:
    """``base`` with the sweep's solver overrides: SolverOptions fields by name, ``heuristic_seconds``,
    and any other key as a HiGHS option (e.g. ``mip_max_nodes``); always one HiGHS thread, and a
    variant solved by parts solves them one after another (the variants already share the workers)."""
    known = {f.name for f in fields(SolverOptions)}
    direct = {k: v for k, v in overrides.items() if k in known and k != "highs_options"}
    highs = {
        **base.solver.highs_options,
        **overrides.get("highs_options", {}),
        **{k: v for k, v in overrides.items() if k not in known and k != "heuristic_seconds"},
    }
    solver = replace(base.solver, **direct, threads=1, highs_options=dict(sorted(highs.items())), msg=False)
    return replace(
        base, solver=solver, heuristic_seconds=overrides.get("heuristic_seconds", base.heuristic_seconds), workers=1
    )


@dataclass
class SweepResult:
    """What a sweep produced: variants and their results in index order, and the summary tables."""

    spec: SweepSpec
    n: int
    seed: int
    variants: list[Variant]
    keys: list[str]
    results: list[dict]
    computed: int
    cached: int
    summary: Any = None  # facility_opt.robust.aggregate.Summary
    out_dir: Path | None = None

    def __repr__(self) -> str:
        return (
            f"SweepResult(n={self.n}, seed={self.seed}: {self.computed} solved, {self.cached} from the cache"
            + (f"; {self.out_dir}" if self.out_dir else "")
            + ")"
        )


# ---------------------------------------------------------------------- the models behind the variants
def _file_sha(path: str | None) -> str | None:
    from ..nightly import fingerprint_inputs

    return None if not path else fingerprint_inputs({"f": Path(path)}).get("f")


def _model_fingerprint(m: PlanningModel) -> str:
    """Hash of everything a model's problem depends on: its input files and its settings."""
    from ..nightly import fingerprint_inputs
    from ..pipeline import model_input_files
    from ..postgis import is_database_url

    files = {} if is_database_url(m.data) else fingerprint_inputs(model_input_files(m))
    files = {k: v for k, v in files.items() if not k.startswith("model/")}  # the settings are hashed below
    demand_files = {
        k: _file_sha(
            (m.demand.get("projection") or {}).get("params") if k == "params" else m.demand.get("population_table")
        )
        for k in ("params", "table")
    }
    settings = m.model_dump(exclude={"sweep", "source_files", "description", "name"})
    return content_hash(files, demand_files, settings)


def _structure_model(
    model: PlanningModel, spec: SweepSpec, scenario: str | None, projection: str | None
) -> PlanningModel:
    """The model of a variant's scenario and demand projection."""
    m = model
    if scenario is not None:
        entry = spec.grid.scenarios[scenario]
        if isinstance(entry, str):
            m = load_planning_model(entry)
        elif isinstance(entry, dict):
            try:
                m = PlanningModel.model_validate(deep_merge(model.model_dump(), entry))
            except Exception as exc:  # pydantic's error, with the scenario named
                raise ModelConfigError(f"sweep.grid.scenarios.{scenario}: invalid model overrides: {exc}") from None
    if projection is not None:
        path = spec.demand_projection.options[projection]
        if path is not None:
            if "projection" not in m.demand:
                raise ModelConfigError(
                    f"sweep.demand_projection.options.{projection}: the model has no demand.projection to replace"
                )
            m = m.model_copy(update={"demand": {**m.demand, "projection": {**m.demand["projection"], "params": path}}})
    return m


class _Bases:
    """Base problems per (scenario, projection), built on first use; their fingerprints without building."""

    def __init__(self, model: PlanningModel | PortfolioProblem, spec: SweepSpec) -> None:
        self.model, self.spec = model, spec
        self._problems: dict = {}
        self._fps: dict = {}
        self._wards: dict = {}

    def _is_problem(self) -> bool:
        return isinstance(self.model, PortfolioProblem)

    def fingerprint(self, structure) -> str:
        if structure not in self._fps:
            if self._is_problem():
                p = self.model
                tables = {
                    name: getattr(p, name).to_csv(index=False)
                    for name in (
                        "zones",
                        "sites",
                        "services",
                        "demand",
                        "placements",
                        "pairs",
                        "events",
                        "zone_districts",
                        "site_districts",
                    )
                    if getattr(p, name) is not None
                }
                self._fps[structure] = content_hash(tables, p.policy.model_dump(mode="json"))
            else:
                self._fps[structure] = _model_fingerprint(_structure_model(self.model, self.spec, *structure))
        return self._fps[structure]

    def problem(self, structure) -> PortfolioProblem:
        if structure not in self._problems:
            if self._is_problem():
                self._problems[structure] = self.model
            else:
                from ..portfolio.build import problem_from_model

                m = _structure_model(self.model, self.spec, *structure)
                ward = self._wards.get(m.data)
                if ward is None:
                    ward = self._wards[m.data] = m.read_ward()
                log.info("building the base problem of scenario %s, projection %s", *structure)
                self._problems[structure] = problem_from_model(m, ward)
        return self._problems[structure]


# ---------------------------------------------------------------------- the cache
def _cache_path(cache: Path, key: str) -> Path:
    return cache / f"{key}.json"


def _load_cached(cache: Path, key: str) -> dict | None:
    p = _cache_path(cache, key)
    if not p.is_file():
        return None
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        log.warning("ignoring the unreadable cache entry %s", p)
        return None
    return data.get("result") if data.get("key") == key else None


def _cached_results(cache: Path, keys: list[str]) -> dict[str, dict]:
    """key -> result of every key the cache holds."""
    results: dict[str, dict] = {}
    for k in dict.fromkeys(keys):
        hit = _load_cached(cache, k)
        if hit is not None:
            results[k] = hit
    return results


def _store(cache: Path, key: str, variant: Variant, result: dict) -> dict:
    entry = {"key": key, "version": RESULT_VERSION, "params": variant.params(), "result": result}
    atomic_write_text(_cache_path(cache, key), json.dumps(entry, ensure_ascii=False, sort_keys=True, indent=1) + "\n")
    return json.loads(json.dumps(result))  # what a later run reads back: the same floats, the same types


# ---------------------------------------------------------------------- the sweep
def _model_and_spec(model, spec) -> tuple[PlanningModel | PortfolioProblem, SweepSpec, PortfolioOptions]:
    """The model (read when a path), its sweep section and its portfolio options; a
    :class:`PortfolioProblem` needs ``spec`` and takes neither scenarios nor projections."""
    from ..pipeline import portfolio_options

    if isinstance(model, PortfolioProblem):
        if spec is None:
            raise ModelConfigError("sweep of a PortfolioProblem: give spec= (the sweep section)")
        sp = spec if isinstance(spec, SweepSpec) else SweepSpec.parse(spec)
        if sp.grid.scenarios or sp.demand_projection is not None:
            raise ModelConfigError(
                "sweep of a PortfolioProblem: scenarios and demand projections need a planning model"
            )
        base_opts = PortfolioOptions()
    else:
        model = model if isinstance(model, PlanningModel) else load_planning_model(model)
        where = model.source_files[-1] if model.source_files else "<model>"
        if spec is None and not model.sweep:
            raise ModelConfigError(f"{where}: the planning model has no 'sweep' section")
        sp = spec if isinstance(spec, SweepSpec) else SweepSpec.parse(spec if spec is not None else model.sweep, where)
        base_opts = portfolio_options(model)
    return model, sp, base_opts


def _solve_distributed(
    todo: dict[str, Variant],
    run: Runner,
    bases: _Bases,
    options: PortfolioOptions,
    client,
    n_workers: int | None,
    finished: Callable[[str, Variant, dict], None],
) -> None:
    """Solve ``todo`` (key -> variant) on Dask, each base problem scattered once; ``finished`` as each completes."""
    from distributed import as_completed

    with dask_client(client, n_workers, len(todo)) as c:
        structures = sorted({v.structure for v in todo.values()}, key=str)
        scattered = {s: c.scatter(bases.problem(s), broadcast=True, hash=False) for s in structures}
        futures = {
            c.submit(run, scattered[v.structure], v, options, key=f"facility-opt-variant-{k}", pure=False): (k, v)
            for k, v in todo.items()
        }
        for fut in as_completed(futures):
            k, v = futures[fut]
            finished(k, v, fut.result())
            fut.release()


def sweep(
    model: PlanningModel | PortfolioProblem | str | Path | None = None,
    n: int | None = None,
    seed: int | None = None,
    client=None,
    out: str | Path | None = None,
    *,
    spec: SweepSpec | dict | None = None,
    serial: bool = False,
    cache: str | Path | None = None,
    n_workers: int | None = None,
    solver: dict | None = None,
    runner: Runner | None = None,
    progress: Progress | None = None,
) -> SweepResult:
    """Solve ``n`` variants of a planning model and summarise which decisions hold across them.

    Parameters
    ----------
    model : a planning model (or its YAML path; None: ``models/nerima.yaml``) with a ``sweep`` section,
        or a :class:`PortfolioProblem` with ``spec`` (no scenarios or projections then).
    n, seed : number of variants and seed (default: the sweep section's).
    client : a ``distributed.Client``, a scheduler address (``tcp://host:8786``), or None for a
        LocalCluster of ``n_workers`` processes with one thread each (default: one per core).
    out : folder for the summary files (and the cache, unless ``cache`` is given); None writes nothing
        and caches nothing.
    spec : the sweep section (default: the model's ``sweep``).
    serial : solve in this process, one variant after another (no Dask).
    cache : the cache folder (default ``<out>/cache``).
    solver : solver overrides on top of the sweep's (``gap_rel``, ``time_limit``, ``mip_max_nodes``...).
    runner : the function solving one variant (default :func:`solve_variant`; tests inject faults).
    progress : called with (done, total, cached) as variants complete.

    Returns
    -------
    SweepResult
        results in variant order and the summary (:class:`facility_opt.robust.aggregate.Summary`).
    """
    from .aggregate import summarise, write_summary

    model, sp, base_opts = _model_and_spec(model, spec)
    n = sp.n if n is None else int(n)
    seed = sp.seed if seed is None else int(seed)
    options = sweep_options(base_opts, {**sp.solver, **(solver or {})})
    by_parts = ("decompose",) if options.decompose else ()  # (absent when off: earlier caches stay valid)
    opts_fp = content_hash(asdict(options.solver), options.heuristic_seconds, RESULT_VERSION, *by_parts)
    variants = generate_variants(sp, n, seed)
    bases = _Bases(model, sp)
    keys = [content_hash(v.params(), bases.fingerprint(v.structure), opts_fp) for v in variants]
    out_dir = Path(out) if out is not None else None
    cache_dir = Path(cache) if cache is not None else (out_dir / "cache" if out_dir is not None else None)
    if cache_dir is not None:
        cache_dir.mkdir(parents=True, exist_ok=True)

    results = _cached_results(cache_dir, keys) if cache_dir is not None else {}
    todo = {k: v for k, v in zip(keys, variants) if k not in results}  # first variant of each key
    cached = sum(1 for k in keys if k in results)
    total, done = len(keys), cached
    report = progress or (lambda d, t, c: None)
    report(done, total, cached)
    log.info("sweep of %d variants (seed %d): %d cached, %d distinct to solve", n, seed, cached, len(todo))
    run = runner or solve_variant

    def finished(key: str, variant: Variant, res: dict) -> None:
        nonlocal done
        results[key] = _store(cache_dir, key, variant, res) if cache_dir is not None else json.loads(json.dumps(res))
        done += sum(1 for k in keys if k == key)
        report(done, total, cached)

    if todo and serial:
        for k, v in todo.items():
            finished(k, v, run(bases.problem(v.structure), v, options))
    elif todo:
        _solve_distributed(todo, run, bases, options, client, n_workers, finished)

    ordered = [results[k] for k in keys]
    summary = summarise(sp, variants, keys, ordered, n=n, seed=seed)
    res = SweepResult(
        spec=sp,
        n=n,
        seed=seed,
        variants=variants,
        keys=keys,
        results=ordered,
        computed=len(todo),
        cached=cached,
        summary=summary,
        out_dir=out_dir,
    )
    if out_dir is not None:
        write_summary(summary, out_dir, title=f"Sweep: {getattr(model, 'name', 'portfolio')}")
    return res
