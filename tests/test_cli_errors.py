"""One CLI error policy (facility_opt.cli._failures): every command exits with the same code for the
same error, and every code is reached through typer's CliRunner."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from facility_opt.cli import app
from facility_opt.cli._app import ExitCode
from facility_opt.cli._failures import exit_code
from facility_opt.errors import (
    DataIssue,
    DataValidationError,
    FacilityOptError,
    InfeasibleError,
    ModelConfigError,
    SolverError,
)
from facility_opt.nightly import LockedError
from facility_opt.postgis import PublishError

runner = CliRunner()

#: (error, exit code, text the output must show)
ERRORS = [
    (
        DataValidationError([DataIssue("facilities.csv", 3, "floor_area_m2", "must be positive")]),
        1,
        "facilities.csv, row 3, field 'floor_area_m2': must be positive",
    ),
    (ModelConfigError("tiny.yaml: policy.budget: not a number"), 1, "tiny.yaml: policy.budget"),
    (
        InfeasibleError("no plan meets the standards", ["zone Z1: nursery places short by 12"]),
        2,
        "zone Z1: nursery places short by 12",
    ),
    (SolverError("the solver stopped without a plan"), 3, "the solver stopped without a plan"),
    (LockedError("another run holds the lock"), 4, "another run holds the lock"),
    (PublishError("the database refused the connection"), 6, "the database refused the connection"),
    (FacilityOptError("PostGIS support needs psycopg"), 5, "PostGIS support needs psycopg"),
    (ValueError("objective must be 'target' or 'revenue'"), 1, "objective must be 'target' or 'revenue'"),
    (FileNotFoundError("ties.csv not found"), 1, "ties.csv not found"),
]


def _commands(tmp: Path) -> dict[str, tuple[list[str], str]]:
    """command -> (arguments, the library function the command calls first: it raises the error)."""
    orlib = tmp / "tiny_pmed.txt"
    orlib.write_text("4 3 2\n1 2 5\n2 3 1\n3 4 5\n")
    out = str(tmp / "out")
    return {
        "validate": (["validate"], "facility_opt.loading.load_nerima"),
        "run": (["run", "--out", out], "facility_opt.pipeline.run_model"),
        "report": (["report", out], "facility_opt.pipeline.report_from_run"),
        "costs": (["costs", "--out", out], "facility_opt.planning.load_planning_model"),
        "fees": (["fees", "--out", out], "facility_opt.fees.default_fee_model"),
        "schedule": (["schedule", "--cap", "1e9", "--out", out], "facility_opt.loading.load_nerima"),
        "sweep": (["sweep", "model.yaml", "--serial", "--out", out], "facility_opt.planning.load_planning_model"),
        "alternatives": (["alternatives", "--out", out], "facility_opt.planning.load_planning_model"),
        "nightly": (["nightly", "--state", str(tmp / "state")], "facility_opt.planning.load_planning_model"),
        "bench": (["bench", str(orlib)], "facility_opt.locate.bench.solve_orlib_file"),
    }


COMMANDS = ["validate", "run", "report", "costs", "fees", "schedule", "sweep", "alternatives", "nightly", "bench"]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(
    ("error", "code", "shown"), ERRORS, ids=lambda e: type(e).__name__ if isinstance(e, Exception) else None
)
def test_every_command_maps_an_error_to_the_same_code(command, error, code, shown, tmp_path, monkeypatch):
    args, target = _commands(tmp_path)[command]
    module, name = target.rsplit(".", 1)
    __import__(module)

    def fail(*_a, **_k):
        raise error

    monkeypatch.setattr(sys.modules[module], name, fail)
    res = runner.invoke(app, args)
    assert res.exit_code == code, res.output
    assert exit_code(error) == code
    if command == "nightly":  # JSON lines for the scheduler: one event named by the exit code
        events = [json.loads(line) for line in res.output.splitlines() if line.startswith("{")]
        assert events[-1]["event"] == ExitCode(code).name.lower(), res.output
        assert shown in res.output or isinstance(error, DataValidationError | ModelConfigError | InfeasibleError)
    else:
        assert shown in res.output.replace("\n", " ") or shown in res.output, res.output


def test_an_error_outside_the_policy_is_a_bug_with_its_traceback(monkeypatch):
    import facility_opt.loading

    monkeypatch.setattr(facility_opt.loading, "load_nerima", lambda: {}["missing"])
    res = runner.invoke(app, ["validate"])
    assert res.exit_code == 1 and isinstance(res.exception, KeyError)


# ---- every code on a real path, without monkeypatching where a tiny input reaches it
def test_code_0_and_1_validate(tiny_ward_dir):
    assert runner.invoke(app, ["validate", str(tiny_ward_dir)]).exit_code == 0
    (tiny_ward_dir / "facilities.csv").write_text("facility_id\nF1\n", encoding="utf-8")
    res = runner.invoke(app, ["validate", str(tiny_ward_dir)])
    assert res.exit_code == ExitCode.INVALID_INPUT and "problem(s) in the input data" in res.output


def test_code_1_wrong_options(tmp_path):
    res = runner.invoke(app, ["schedule", "--out", str(tmp_path)])
    assert res.exit_code == 1 and "give either --cap YEN or --min-budget" in res.output


def test_code_2_infeasible_schedule(tiny_ward_dir, tmp_path):
    res = runner.invoke(app, ["schedule", "--ward", str(tiny_ward_dir), "--cap", "0", "--out", str(tmp_path)])
    assert res.exit_code == ExitCode.INFEASIBLE and "infeasible" in res.output


def test_code_3_solver_limit_schedule(tiny_ward_dir, tmp_path):
    # no time at all: HiGHS stops before it has any schedule
    res = runner.invoke(
        app, ["schedule", "--ward", str(tiny_ward_dir), "--cap", "7e8", "--time-limit", "0", "--out", str(tmp_path)]
    )
    assert res.exit_code == ExitCode.SOLVER_LIMIT, res.output
    assert "solver limit" in res.output and "no_solution" in res.output


def test_code_3_solver_limit_fees(tmp_path):
    # the fee MILP is solved in well under the time HiGHS needs to start: patch its options to no time
    import facility_opt.milp as fo  # the fee revision solves through Milp.solve
    from facility_opt.solver import SolverOptions

    orig = fo.solve
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fo, "solve", lambda prob, options=None, **kw: orig(prob, SolverOptions(time_limit=0.0), **kw))
        res = runner.invoke(app, ["fees", "--out", str(tmp_path)])
    assert res.exit_code == ExitCode.SOLVER_LIMIT, res.output  # it was 5 before the one policy
    assert "fee revision: the solver stopped" in res.output


def test_code_4_locked(tmp_path, tiny_model):
    from facility_opt.nightly import _lock

    state = tmp_path / "state"
    state.mkdir()
    with _lock(state):
        res = runner.invoke(app, ["nightly", "--model", str(tiny_model), "--state", str(state)])
    assert res.exit_code == ExitCode.LOCKED and '"event": "locked"' in res.output


def test_code_5_internal(monkeypatch, tmp_path):
    # PostGIS without psycopg: the only FacilityOptError that is none of the named ones
    import facility_opt.postgis as pg

    def no_psycopg(*_a, **_k):
        raise FacilityOptError("PostGIS support needs psycopg: pip install 'facility-opt[postgis]'")

    monkeypatch.setattr(pg, "read_ward_postgis", no_psycopg)
    res = runner.invoke(app, ["validate", "postgresql://nowhere/db"])
    assert res.exit_code == ExitCode.INTERNAL, res.output
    assert "needs psycopg" in res.output


def test_code_6_publish_failed(monkeypatch, tiny_model, tmp_path):
    import facility_opt.postgis as pg

    def refused(*_a, **_k):
        raise PublishError("connection refused")

    monkeypatch.setattr(pg, "publish_run", refused)
    res = runner.invoke(app, ["run", str(tiny_model), "--out", str(tmp_path / "run"), "--publish", "postgresql://x/y"])
    assert res.exit_code == ExitCode.PUBLISH_FAILED and "not published" in res.output
    assert (tmp_path / "run" / "plan.json").is_file()  # the plan is written


def test_help_lists_the_exit_codes():
    res = runner.invoke(app, ["--help"])
    assert res.exit_code == 0
    for code in ExitCode:
        assert f"{int(code)} " in res.output
