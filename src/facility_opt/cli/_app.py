"""The typer application shared by every command module, and the exit codes."""

from __future__ import annotations

import logging
import sys
from enum import Enum, IntEnum
from typing import Annotated

import typer
from rich.console import Console
from rich.logging import RichHandler

__all__ = [
    "app",
    "main",
    "ExitCode",
    "console",
    "err_console",
    "setup_logging",
    "DataOption",
    "PublishOption",
    "PublishSchemaOption",
    "LangOption",
]

#: the exit codes, shown under every ``--help`` page's command list (``\b``: click keeps the lines as they are)
EXIT_CODES_HELP = """\b
Exit codes (the same for every command; facility_opt.cli._failures):
  0  ok
  1  invalid input: data, planning model, a file or value given on the command line, options
  2  infeasible: no plan satisfies the constraints (the reasons name what blocks it)
  3  solver limit: the solver stopped without a usable solution (raise --time-limit)
  4  locked: another nightly run holds the state folder's lock
  5  internal error: any other facility_opt error (e.g. a missing optional dependency)
  6  not published: the plan is written but publishing it to PostGIS failed
"""

app = typer.Typer(
    name="facility-opt",
    epilog=EXIT_CODES_HELP,
    help="Plan a ward's public facilities: validate data, project renewal costs, optimise the portfolio.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # plain (click) help pages: typer's rich help imports rich.markdown and markdown-it, ~0.2 s of
    # a 0.5 s start-up budget (benchmarks/results/startup.json); command output still uses rich
    rich_markup_mode=None,
)
console = Console()
err_console = Console(stderr=True, soft_wrap=True)  # never wrap paths in error messages


#: options of the commands that read a ward (run, nightly) and publish a plan
DataOption = Annotated[
    str | None,
    typer.Option("--data", help="Ward data folder, or a postgresql:// URL (PostGIS tables), instead of the model's."),
]
PublishOption = Annotated[
    str | None, typer.Option("--publish", help="Publish the plan to PostGIS (a postgresql:// URL) in one transaction.")
]


class ReportLang(str, Enum):  # noqa: UP042 - kept a str Enum: the values are what typer shows
    """Languages of the report (``--lang``)."""

    ja = "ja"
    en = "en"


LangOption = Annotated[
    ReportLang | None,
    typer.Option("--lang", help="Report language: ja or en (default: the ward's; Japanese for Nerima)."),
]
PublishSchemaOption = Annotated[
    str | None, typer.Option("--publish-schema", help="Schema to publish to (default facility_plan).")
]


class ExitCode(IntEnum):
    """The command line's exit codes (:data:`EXIT_CODES_HELP`; which error gets which: ``_failures``)."""

    OK = 0
    INVALID_INPUT = 1
    INFEASIBLE = 2
    SOLVER_LIMIT = 3
    LOCKED = 4
    INTERNAL = 5
    PUBLISH_FAILED = 6  # the plan is written, but publishing it to PostGIS failed (nothing was published)


def setup_logging(verbose: bool = False) -> None:
    level = logging.INFO if verbose else logging.WARNING
    logging.basicConfig(
        level=level, format="%(message)s", handlers=[RichHandler(console=err_console, show_path=False)], force=True
    )


def main() -> None:  # console-script entry point
    sys.exit(app())
