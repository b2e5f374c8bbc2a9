"""The ``facility-opt`` command line (typer + rich).

Each command lives in its own module in this package and registers itself on :data:`app`.
Exit codes: one policy for every command (``_failures``; the table is ``_app.EXIT_CODES_HELP``,
shown by ``facility-opt --help``).
"""

from __future__ import annotations

from ._app import app, main

# Command modules register themselves on import.
from . import run_cmd  # noqa: F401,E402
from . import costs_cmd  # noqa: F401,E402
from . import fees_cmd  # noqa: F401,E402
from . import nightly_cmd  # noqa: F401,E402
from . import compare_cmd  # noqa: F401,E402
from . import schedule_cmd  # noqa: F401,E402
from . import bench_cmd  # noqa: F401,E402
from . import sweep_cmd  # noqa: F401,E402

__all__ = ["app", "main"]
