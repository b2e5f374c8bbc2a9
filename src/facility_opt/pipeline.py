"""The main job: planning model → validated ward → portfolio problem → plan → result files.

:func:`run_model` is what ``facility-opt run`` and the nightly job call, and what a notebook can call
to reproduce a run. The run folder is written completely into a temporary folder beside it and
only then renamed into place, so a failed run never leaves a half-written result.

Files of a run (all deterministic: the same inputs give the same bytes)::

    plan.json decisions.csv assignments.csv costs.csv services.csv   the plan (Plan.to_files; also timeline,
    events, floor, years, freed_sites)
    cost_by_year.csv                                                  cost per year, keep everything vs plan
    facilities.gpkg                                                   facilities and candidate sites with decisions
    report.html                                                       one self-contained page for planners
    run.json                                                          model, inputs' fingerprints, solver outcome
    fees/ (when the model names a fee model)                          fee_table.csv, fee_summary.json, fees.png
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .atomic import atomic_dir, atomic_write_text
from .planning import PlanningModel, load_planning_model
from .portfolio import Plan, PortfolioOptions, PortfolioProblem, baseline_plan, optimise_portfolio
from .portfolio.build import problem_from_model
from .portfolio.config import portfolio_config
from .solver import SolverOptions
from .ward import Ward

__all__ = ["RunResult", "run_model", "model_input_files", "portfolio_options", "report_from_run"]

log = logging.getLogger(__name__)

#: progress callback: (step, detail) — the CLI shows it, the library logs it
Progress = Callable[[str, str], None]


@dataclass
class RunResult:
    """What a run produced (kept in memory for notebooks; the files hold the same)."""

    model: PlanningModel
    ward: Ward
    problem: PortfolioProblem
    plan: Plan
    out_dir: Path
    fees: object | None = None
    files: list[str] = field(default_factory=list)


def model_input_files(model: PlanningModel) -> dict[str, Path]:
    """Every file a run of ``model`` reads, by role (the nightly job fingerprints them)."""
    files = {f"model/{Path(p).name}": Path(p) for p in model.source_files}
    for key in ("catalogue", "renewal_costs", "fees"):
        v = getattr(model, key)
        if v:
            files[f"{key}/{Path(v).name}"] = Path(v)
    files["data"] = model.data_dir()
    return files


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def portfolio_options(model: PlanningModel, overrides: dict | None = None) -> PortfolioOptions:
    """The portfolio options of a planning model: its ``solver`` section over the library defaults,
    then ``overrides`` (None values ignored); ``heuristic_seconds``, ``repair_seconds``, ``decompose``
    and ``workers`` go to :class:`PortfolioOptions`."""
    overrides = overrides or {}
    cfg = {**model.solver, **{k: v for k, v in overrides.items() if v is not None}}
    heuristic = cfg.pop("heuristic_seconds", PortfolioOptions.heuristic_seconds)
    repair = cfg.pop("repair_seconds", PortfolioOptions.repair_seconds)
    decompose = bool(cfg.pop("decompose", PortfolioOptions.decompose))
    workers = cfg.pop("workers", PortfolioOptions.workers)
    base = PortfolioOptions()
    solver = SolverOptions(**{**base.solver.__dict__, **cfg})
    return PortfolioOptions(
        solver=solver, heuristic_seconds=heuristic, repair_seconds=repair, decompose=decompose, workers=workers
    )


def run_model(
    model: PlanningModel | str | Path | None = None,
    out_dir: str | Path = "out/nerima",
    *,
    data_dir: str | Path | None = None,
    start_plan: Plan | Path | None = None,
    solver: dict | None = None,
    tradeoff_points: int = 0,
    progress: Progress | None = None,
    lang: str | None = None,
) -> RunResult:
    """Run a planning model end to end and write its result folder.

    Parameters
    ----------
    model : a :class:`PlanningModel`, a YAML path, or None for ``models/nerima.yaml``.
    out_dir : the run folder (replaced as a whole when the run completes).
    data_dir : ward data to use instead of the model's ``data`` (a folder or a ``postgresql://`` URL).
    start_plan : a previous plan (or its run folder) to warm-start from.
    solver : overrides of the model's ``solver`` section (time_limit, gap_rel, threads, solver...).
    tradeoff_points : when > 0, also trace the cost–access trade-off with this many points (one
        solve each) and show it in the report.
    progress : called with (step, detail) at each step.
    lang : the report's language, ``ja`` or ``en`` (default: the ward's ``language``; Japanese for Nerima).

    Raises
    ------
    DataValidationError, ModelConfigError
        invalid data or model (nothing is written).
    InfeasibleError
        no plan meets the standards and policy; ``reasons`` say which zones, services, constraints.
    SolverError
        the solver stopped without a plan.
    """
    say = progress or (lambda step, detail: log.info("%s: %s", step, detail))
    m = model if isinstance(model, PlanningModel) else load_planning_model(model)
    if data_dir is not None:
        m = m.with_data(data_dir)
    cfg = portfolio_config(m)  # before reading the data: a bad model file fails fast, naming the file
    say("load", f"model {m.name}: reading and validating the ward data")
    ward = m.read_ward()
    say("build", f"{ward!r}: building the portfolio problem (costs, demand by year, districts, distances)")
    problem = problem_from_model(m, ward)
    opts = portfolio_options(m, solver)
    if isinstance(start_plan, (str, Path)):
        p = Path(start_plan)
        start_plan = Plan.from_json(p / "plan.json" if p.is_dir() else p)
    if start_plan is not None:
        opts = dataclasses.replace(opts, start_plan=start_plan)
    plan, tradeoff = _solve(problem, opts, cfg.mode, tradeoff_points, say)
    fee_result = None
    if m.fees:
        from .fees import load_fee_model, optimise_fees

        say("fees", f"fee revision on {Path(m.fees).name}")
        fee_result = optimise_fees(load_fee_model(m.fees))

    out_dir = Path(out_dir)
    say("write", f"writing the results to {out_dir}")
    files = _write_run(
        out_dir,
        m,
        ward,
        problem,
        plan,
        tradeoff=tradeoff,
        fees=fee_result,
        lang=lang,
        warm_start=start_plan is not None,
    )
    say("done", f"{plan!r}")
    return RunResult(model=m, ward=ward, problem=problem, plan=plan, out_dir=out_dir, fees=fee_result, files=files)


def _solve(
    problem: PortfolioProblem, opts: PortfolioOptions, mode: str, tradeoff_points: int, say: Progress
) -> tuple[Plan, object | None]:
    """The plan (or the keep-everything baseline) and, when asked, the cost–access trade-off curve."""
    if mode == "keep_all":
        say("solve", "baseline scenario: keeping every building")
        plan = baseline_plan(problem, opts)
    else:
        say(
            "solve",
            f"optimising ({len(problem.sites)} sites, {problem.demand['zone_id'].nunique()} zones; "
            f"time limit {opts.solver.time_limit} s, gap {opts.solver.gap_rel})",
        )
        plan = optimise_portfolio(problem, opts)
    tradeoff = None
    if tradeoff_points > 0 and mode != "keep_all":
        from .portfolio import tradeoff_curve

        say("tradeoff", f"tracing the cost-access trade-off ({tradeoff_points} points)")
        tradeoff = tradeoff_curve(problem, n_points=tradeoff_points, options=opts.solver)
    return plan, tradeoff


def _write_run(
    out_dir: Path,
    m: PlanningModel,
    ward: Ward,
    problem: PortfolioProblem,
    plan: Plan,
    *,
    tradeoff,
    fees,
    lang: str | None,
    warm_start: bool,
) -> list[str]:
    """Write the run folder (atomically, as a whole); returns its files, relative to it."""
    from .portfolio.yearly import cost_by_year
    from .report import plan_geodataframe, write_facilities_gpkg, write_report

    years = cost_by_year(plan, problem)
    with atomic_dir(out_dir) as tmp:
        plan.to_files(tmp)
        atomic_write_text(tmp / "cost_by_year.csv", years.to_csv(index=False, lineterminator="\n"))
        write_facilities_gpkg(plan_geodataframe(plan, ward, problem), tmp / "facilities.gpkg")
        if tradeoff is not None:
            # without the solve times: the same inputs write the same bytes (the times stay in memory)
            atomic_write_text(
                tmp / "tradeoff.csv",
                tradeoff.drop(columns=["solve_seconds"], errors="ignore").to_csv(
                    index=False, lineterminator="\n", float_format="%.6f"
                ),
            )
        write_report(
            plan,
            ward,
            tmp / "report.html",
            problem=problem,
            tradeoff=tradeoff,
            cost_years=years,
            lang=lang,
            catalogue=m.read_catalogue(),
        )
        if fees is not None:
            from .fees import write_fee_outputs

            write_fee_outputs(fees, tmp / "fees")
        run = _run_record(m, ward, plan, warm_start)
        atomic_write_text(tmp / "run.json", json.dumps(run, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
        return sorted(str(p.relative_to(tmp)) for p in tmp.rglob("*") if p.is_file())


def _run_record(m: PlanningModel, ward: Ward, plan: Plan, warm_start: bool) -> dict:
    """``run.json``: the library's version, the model, the inputs' fingerprints, the solver's outcome."""
    inputs = {
        name: (_sha(p) if p.is_file() else ward.fingerprint()) for name, p in sorted(model_input_files(m).items())
    }
    from importlib.metadata import PackageNotFoundError, version

    try:
        pkg_version = version("facility-opt")
    except PackageNotFoundError:  # running from a source tree without installing
        pkg_version = "source"
    return {
        "facility_opt": pkg_version,
        "model": m.name,
        "description": m.description,
        "model_files": [Path(p).name for p in m.source_files],
        "inputs_sha256": inputs,
        "horizon": m.horizon.model_dump(),
        "renewal_costs": _renewal_record(m),
        "solver": plan.solver.model_dump(),
        "valid": plan.valid,
        "warm_start": "previous plan" if warm_start else "default",
    }


def _renewal_record(m: PlanningModel) -> dict:
    """The renewal prices the plan rests on: the preset, its price factor and where its numbers come from."""
    params = m.renewal_params()
    preset = params.presets[params.preset]
    return {
        "preset": params.preset,
        "unit_cost_factor": preset.unit_cost_factor,
        "rebuild_age": preset.rebuild_age,
        "source": preset.source,
    }


def report_from_run(
    run_dir: str | Path,
    model: PlanningModel | str | Path | None = None,
    *,
    data_dir: str | Path | None = None,
    out: str | Path | None = None,
    lang: str | None = None,
) -> Path:
    """Write the report of a finished run again (another language, a newer report) without solving.

    Reads the run's ``plan.json`` (and ``cost_by_year.csv``, ``tradeoff.csv`` when present), rebuilds
    the ward and the portfolio problem from ``model`` (the run's planning model; default
    ``models/nerima.yaml``) and writes ``out`` (default: the run's ``report.html``), atomically.

    Raises
    ------
    ModelConfigError
        the folder has no plan.json, or ``model`` is not the model the run was made with.
    """
    from .errors import ModelConfigError
    from .report import write_report
    from .runfolder import read_table

    run_dir = Path(run_dir)
    if not (run_dir / "plan.json").is_file():
        raise ModelConfigError(f"{run_dir}: not a run folder (no plan.json)")
    m = model if isinstance(model, PlanningModel) else load_planning_model(model)
    if data_dir is not None:
        m = m.with_data(data_dir)
    run = json.loads((run_dir / "run.json").read_text(encoding="utf-8")) if (run_dir / "run.json").is_file() else {}
    if run.get("model") not in (None, m.name):
        raise ModelConfigError(
            f"{run_dir}: the run was made with planning model {run['model']!r}, not {m.name!r}; pass its model file"
        )
    plan = Plan.from_json(run_dir / "plan.json")
    ward = m.read_ward()
    problem = problem_from_model(m, ward)
    years = read_table(run_dir / "cost_by_year.csv") if (run_dir / "cost_by_year.csv").is_file() else None
    tradeoff = read_table(run_dir / "tradeoff.csv") if (run_dir / "tradeoff.csv").is_file() else None
    return write_report(
        plan,
        ward,
        Path(out) if out is not None else run_dir / "report.html",
        problem=problem,
        tradeoff=tradeoff,
        cost_years=years,
        lang=lang,
        catalogue=m.read_catalogue(),
    )
