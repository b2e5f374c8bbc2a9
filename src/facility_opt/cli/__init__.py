"""The ``facility-opt`` command line (typer + rich).

Each command lives in its own module in this package and registers itself on :data:`app`.
Exit codes: one policy for every command (``_failures``; the table is ``_app.EXIT_CODES_HELP``,
shown by ``facility-opt --help``).
"""

from __future__ import annotations

# Command modules register themselves on import.
from . import (
    bench_cmd,  # noqa: F401,E402
    compare_cmd,  # noqa: F401,E402
    costs_cmd,  # noqa: F401,E402
    fees_cmd,  # noqa: F401,E402
    nightly_cmd,  # noqa: F401,E402
    run_cmd,  # noqa: F401,E402
    schedule_cmd,  # noqa: F401,E402
    sweep_cmd,  # noqa: F401,E402
)
from ._app import app, main

__all__ = ["app", "main"]
