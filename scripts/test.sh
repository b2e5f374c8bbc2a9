#!/usr/bin/env bash
# Install facility_opt with its test tools (into .venv), run the checks, then the test suite:
#   ruff check (lint), ruff format --check, mypy (configured in pyproject.toml), pytest.
# Extra arguments go to pytest (e.g. -m slow, -k pmedian). FACILITY_OPT_SKIP_CHECKS=1 skips the three
# checks for a quick local loop; CI (.ci/run) never skips them.
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh"
ensure_venv "[dev]"
cd "$ROOT"
if [ "${FACILITY_OPT_SKIP_CHECKS:-0}" != "1" ]; then
    set -e
    echo "facility_opt: ruff check" >&2
    "$VENV/bin/ruff" check .
    echo "facility_opt: ruff format --check" >&2
    "$VENV/bin/ruff" format --check .
    echo "facility_opt: mypy" >&2
    "$VENV/bin/mypy"
    set +e
fi
exec "$VENV/bin/python" -m pytest "$@"
