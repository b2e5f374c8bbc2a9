"""The one error policy of the command line: which exception exits with which code, and how it is shown.

Every command runs its work inside :func:`failures` (a per-item loop such as ``bench`` calls
:func:`report_failure` itself), so an error exits with the same code whatever the command: the map
is :func:`_policy` (most specific class first), the codes' meanings are ``_app.EXIT_CODES_HELP``
(printed by ``facility-opt --help``, and in the README). An exception outside the policy is a bug:
it keeps its traceback. Click's own usage errors (an unknown option) exit 2 with ``Usage:``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer

from ..errors import DataValidationError, FacilityOptError, InfeasibleError, ModelConfigError, SolverError
from ._app import ExitCode, err_console

__all__ = ["CAUGHT", "exit_code", "failure_label", "failures", "invalid_option", "report_failure"]

#: what a command catches: the library's errors and bad values or files given on the command line
CAUGHT: tuple[type[Exception], ...] = (FacilityOptError, ValueError, OSError)


def _policy() -> list[tuple[type[Exception], ExitCode, str]]:
    """(exception class, exit code, label), most specific first; the first ``isinstance`` match wins."""
    from ..nightly import LockedError  # imported here: the command line's start-up stays light
    from ..postgis import PublishError

    return [
        (DataValidationError, ExitCode.INVALID_INPUT, "invalid input"),
        (ModelConfigError, ExitCode.INVALID_INPUT, "invalid planning model"),
        (InfeasibleError, ExitCode.INFEASIBLE, "infeasible"),
        (SolverError, ExitCode.SOLVER_LIMIT, "solver limit"),
        (LockedError, ExitCode.LOCKED, "locked"),
        (PublishError, ExitCode.PUBLISH_FAILED, "not published"),
        (FacilityOptError, ExitCode.INTERNAL, "error"),
        (ValueError, ExitCode.INVALID_INPUT, "invalid input"),
        (OSError, ExitCode.INVALID_INPUT, "invalid input"),
    ]


def _match(exc: BaseException) -> tuple[ExitCode, str]:
    for cls, code, label in _policy():
        if isinstance(exc, cls):
            return code, label
    raise exc


def exit_code(exc: BaseException) -> ExitCode:
    """The exit code of ``exc`` (re-raises an exception outside the policy: a bug shows its traceback)."""
    return _match(exc)[0]


def failure_label(exc: BaseException) -> str:
    """The short label shown before the message (``infeasible``, ``solver limit`` ...)."""
    return _match(exc)[1]


def report_failure(exc: BaseException) -> ExitCode:
    """Print ``exc`` the way every command does (data problems one per line); return its exit code."""
    code, label = _match(exc)
    if isinstance(exc, DataValidationError):
        err_console.print(f"[bold red]{len(exc.issues)} problem(s) in the input data[/]")
        for issue in exc.issues:
            err_console.print(f"  - {issue}", markup=False, highlight=False)
    elif isinstance(exc, ModelConfigError):
        err_console.print(f"[bold red]{label}[/]\n{exc}", highlight=False)
    else:
        err_console.print(f"[bold red]{label}[/]: {exc}", highlight=False)
    return code


@contextmanager
def failures() -> Iterator[None]:
    """Run a command's work: an error of the policy is reported and exits with its code."""
    try:
        yield
    except CAUGHT as exc:
        raise typer.Exit(report_failure(exc)) from None


def invalid_option(message: str) -> typer.Exit:
    """An option combination the command refuses (exit 1); ``raise invalid_option(...)``."""
    err_console.print(f"[bold red]invalid input[/]: {message}", highlight=False)
    return typer.Exit(ExitCode.INVALID_INPUT)
