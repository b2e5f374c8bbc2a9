"""The ``facility-opt`` command line (typer + rich).

Each command lives in its own module in this package and registers itself on :data:`app`.
Exit codes: 0 ok, 1 invalid input, 2 infeasible, 3 solver limit reached without a feasible plan,
4 another run holds the lock, 5 internal error, 6 the plan is written but publishing it to PostGIS failed.
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
