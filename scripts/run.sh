#!/usr/bin/env bash
# Install facility_opt (into .venv) and run the main job on the embedded Nerima data.
# Extra arguments go to `facility-opt run` (e.g. --out DIR).
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh"
ensure_venv ""
exec "$VENV/bin/facility-opt" run "$@"
