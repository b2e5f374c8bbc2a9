#!/usr/bin/env bash
# Install facility_opt with its test tools (into .venv) and run the test suite.
# Extra arguments go to pytest (e.g. -m slow, -k pmedian).
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh"
ensure_venv "[dev]"
cd "$ROOT"
exec "$VENV/bin/python" -m pytest "$@"
