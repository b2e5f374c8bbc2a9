"""``facility-opt nightly``: re-optimise when the data or the model changed; never damage the last plan."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import typer

from ..errors import DataValidationError, InfeasibleError, ModelConfigError
from ._app import DataOption, ExitCode, LangOption, PublishOption, PublishSchemaOption, app
from ._failures import CAUGHT, exit_code

log = logging.getLogger("facility_opt.nightly")


def _json_logging(state: Path, verbose: bool) -> None:
    from ..nightly import JsonLinesFormatter

    state.mkdir(parents=True, exist_ok=True)
    fmt = JsonLinesFormatter()
    handlers: list[logging.Handler] = [
        logging.StreamHandler(sys.stderr),
        logging.FileHandler(state / "nightly.log.jsonl", encoding="utf-8"),
    ]
    for h in handlers:
        h.setFormatter(fmt)
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=handlers, force=True)


@app.command()
def nightly(
    model: Path | None = typer.Option(None, "--model", help="Planning model YAML (default: models/nerima.yaml)."),
    data: DataOption = None,
    state: Path = typer.Option(..., "--state", help="State folder: runs, current plan, history, lock, logs."),
    force: bool = typer.Option(False, "--force", help="Run even when no input changed."),
    publish: PublishOption = None,
    publish_schema: PublishSchemaOption = None,
    lang: LangOption = None,
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Re-optimise when an input changed since the last good run; log JSON lines for the scheduler.

    With ``--data postgresql://…`` the ward is read from PostGIS into ``STATE/data`` first (the
    copy is what is fingerprinted and planned on). With ``--publish`` the current plan is published
    whenever the database does not have it yet (after a new run, or when an earlier publish failed).

    When the model's ``sweep`` section has ``nightly``, the sweep runs after the plan (into
    ``runs/<run>/sweep``, its variants cached in ``STATE/sweep_cache``) and the diff lists the
    decisions that became unstable since the last night.

    Exit codes: 0 updated or nothing to do, 1 invalid input, 2 infeasible, 3 solver limit,
    4 another run holds the lock, 5 internal error, 6 publishing failed. On any failure the
    previous plan stays current (and published).
    """
    from ..nightly import run_nightly
    from ..pipeline import model_input_files
    from ..planning import load_planning_model
    from ..postgis import DEFAULT_SCHEMA

    _json_logging(state, verbose)
    try:
        m = load_planning_model(model)
        if data is not None:
            m = m.with_data(data)
        m, prepare = _snapshot(m, state)
        outcome = run_nightly(
            model_input_files(m),
            state,
            _job(m, state, lang.value if lang else None),
            force=force,
            prepare=prepare,
            after=_publisher(publish, publish_schema or DEFAULT_SCHEMA),
        )
    except CAUGHT as exc:
        raise typer.Exit(_log_failure(exc)) from None
    log.info(
        outcome.message,
        extra={
            "data": {
                "event": "outcome",
                "status": outcome.status,
                "run": outcome.run_dir.name if outcome.run_dir else None,
                "changed": outcome.changed_inputs,
            }
        },
    )


def _snapshot(m, state: Path):
    """A model reading PostGIS plans on a copy in ``STATE/data``: the model pointed there, and the copy step."""
    from ..postgis import is_database_url, snapshot_ward

    if not is_database_url(m.data):
        return m, None
    url, snapshot = m.data, state.resolve() / "data"
    m = m.model_copy(update={"data": str(snapshot)})

    def prepare() -> None:
        log.info("reading the ward from PostGIS", extra={"data": {"event": "snapshot", "folder": str(snapshot)}})
        snapshot_ward(url, snapshot, catalogue=m.read_catalogue())

    return m, prepare


def _job(m, state: Path, lang: str | None):
    """The nightly job: plan into ``out`` (warm-started from the previous plan), then the model's sweep."""
    from ..pipeline import run_model

    def job(out: Path, previous: Path | None) -> None:
        start = previous if previous is not None and (previous / "plan.json").is_file() else None
        run_model(m, out, start_plan=start, lang=lang)
        if m.sweep:  # the model's sweep.nightly: which decisions hold, and which became unstable
            from ..robust.nightly import nightly_sweep

            try:
                nightly_sweep(m, out, previous, cache=state.resolve() / "sweep_cache")
            except ModelConfigError:
                raise  # a wrong sweep section is an invalid input like any other
            except Exception as exc:  # noqa: BLE001 - the plan is good; a failed sweep must not discard it
                log.error(
                    f"the sweep failed; the plan is kept without it: {type(exc).__name__}: {exc}",
                    extra={"data": {"event": "sweep_failed"}},
                )

    return job


def _publisher(publish: str | None, schema: str):
    """After a run: publish the current plan when the database does not have it yet."""
    from ..nightly import NightlyOutcome
    from ..postgis import last_published, publish_run
    from ..runfolder import run_fingerprint

    def after(outcome: NightlyOutcome) -> None:
        if publish is None or outcome.run_dir is None:
            return
        if last_published(publish, schema) == run_fingerprint(outcome.run_dir):
            log.info("the current plan is already published", extra={"data": {"event": "published_already"}})
            return
        res = publish_run(outcome.run_dir, publish, schema)
        log.info(
            f"published run {outcome.run_dir.name} to schema {schema}",
            extra={
                "data": {
                    "event": "published",
                    "run": outcome.run_dir.name,
                    "schema": schema,
                    "tables": res.tables,
                    "history_id": res.history_id,
                }
            },
        )

    return after


def _log_failure(exc: Exception) -> ExitCode:
    """Log a failure as one JSON event named by its exit code (the previous plan stays current)."""
    code = exit_code(exc)
    event = code.name.lower()
    if code == ExitCode.PUBLISH_FAILED:
        log.error(f"not published: {exc}", extra={"data": {"event": event}})
    elif code == ExitCode.LOCKED:
        log.error(str(exc), extra={"data": {"event": event}})
    elif isinstance(exc, (DataValidationError, ModelConfigError)):
        log.error(
            "invalid input; the previous plan stays current",
            extra={"data": {"event": event, "problems": str(exc).splitlines()[1:]}},
        )
    elif isinstance(exc, InfeasibleError):
        log.error(
            "infeasible; the previous plan stays current", extra={"data": {"event": event, "reasons": exc.reasons}}
        )
    elif code == ExitCode.SOLVER_LIMIT:
        log.error(f"solver: {exc}", extra={"data": {"event": event}})
    elif code == ExitCode.INTERNAL:
        log.exception(f"failed: {exc}", extra={"data": {"event": event}})
    else:  # a bad value or file: invalid input
        log.error(f"invalid input; the previous plan stays current: {exc}", extra={"data": {"event": event}})
    return code
