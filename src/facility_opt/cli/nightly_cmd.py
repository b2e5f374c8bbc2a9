"""``facility-opt nightly``: re-optimise when the data or the model changed; never damage the last plan."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import typer

from ..errors import DataValidationError, FacilityOptError, InfeasibleError, ModelConfigError, SolverError
from ._app import ExitCode, app


def _json_logging(state: Path, verbose: bool) -> None:
    from ..nightly import JsonLinesFormatter

    state.mkdir(parents=True, exist_ok=True)
    fmt = JsonLinesFormatter()
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr),
                                       logging.FileHandler(state / "nightly.log.jsonl", encoding="utf-8")]
    for h in handlers:
        h.setFormatter(fmt)
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=handlers, force=True)


@app.command()
def nightly(
    model: Path | None = typer.Option(None, "--model", help="Planning model YAML (default: models/nerima.yaml)."),
    data: Path | None = typer.Option(None, "--data", help="Ward data folder (default: the model's)."),
    state: Path = typer.Option(..., "--state", help="State folder: runs, current plan, history, lock, logs."),
    force: bool = typer.Option(False, "--force", help="Run even when no input changed."),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Re-optimise when an input changed since the last good run; log JSON lines for the scheduler.

    Exit codes: 0 updated or nothing to do, 1 invalid input, 2 infeasible, 3 solver limit,
    4 another run holds the lock, 5 internal error. On any failure the previous plan stays current.
    """
    from ..nightly import LockedError, run_nightly
    from ..pipeline import model_input_files, run_model
    from ..planning import load_planning_model

    _json_logging(state, verbose)
    log = logging.getLogger("facility_opt.nightly")
    try:
        m = load_planning_model(model)
        if data is not None:
            m = m.model_copy(update={"data": str(data.resolve())})
        inputs = model_input_files(m)

        def job(out: Path, previous: Path | None) -> None:
            start = previous if previous is not None and (previous / "plan.json").is_file() else None
            run_model(m, out, start_plan=start)

        outcome = run_nightly(inputs, state, job, force=force)
    except LockedError as exc:
        log.error(str(exc), extra={"data": {"event": "locked"}})
        raise typer.Exit(ExitCode.LOCKED) from None
    except (DataValidationError, ModelConfigError) as exc:
        log.error("invalid input; the previous plan stays current",
                  extra={"data": {"event": "invalid_input", "problems": str(exc).splitlines()[1:]}})
        raise typer.Exit(ExitCode.INVALID_INPUT) from None
    except InfeasibleError as exc:
        log.error("infeasible; the previous plan stays current",
                  extra={"data": {"event": "infeasible", "reasons": exc.reasons}})
        raise typer.Exit(ExitCode.INFEASIBLE) from None
    except SolverError as exc:
        log.error(f"solver: {exc}", extra={"data": {"event": "solver_limit"}})
        raise typer.Exit(ExitCode.SOLVER_LIMIT) from None
    except FacilityOptError as exc:
        log.exception(f"failed: {exc}")
        raise typer.Exit(ExitCode.INTERNAL) from None
    log.info(outcome.message, extra={"data": {"event": "outcome", "status": outcome.status,
                                              "run": outcome.run_dir.name if outcome.run_dir else None,
                                              "changed": outcome.changed_inputs}})
