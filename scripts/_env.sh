# Shared by scripts/run.sh and scripts/test.sh: find Python >= 3.12, make .venv, install the project.
# PuLP 4 (the solver layer) needs Python >= 3.12; many machines default to an older python3.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${FACILITY_OPT_VENV:-$ROOT/.venv}"

python_ok() {  # python_ok EXE -> true when EXE runs and is >= 3.12
    "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1
}

find_python() {
    local c
    if [ -n "${FACILITY_OPT_PYTHON:-}" ]; then
        python_ok "$FACILITY_OPT_PYTHON" && { echo "$FACILITY_OPT_PYTHON"; return 0; }
        echo "FACILITY_OPT_PYTHON=$FACILITY_OPT_PYTHON is not a Python >= 3.12" >&2; return 1
    fi
    for c in python3.13 python3.12 python3 python; do
        if command -v "$c" >/dev/null 2>&1 && python_ok "$(command -v "$c")"; then command -v "$c"; return 0; fi
    done
    # pyenv installs that are not selected as the global version
    for c in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3 /usr/local/bin/python3.1[2-9] /usr/bin/python3.1[2-9]; do
        if [ -x "$c" ] && python_ok "$c"; then echo "$c"; return 0; fi
    done
    return 1
}

ensure_venv() {  # ensure_venv EXTRAS  (e.g. "" or "[dev]")
    local extras="$1" py stamp want
    if [ ! -x "$VENV/bin/python" ] || ! python_ok "$VENV/bin/python"; then
        if ! py="$(find_python)"; then
            cat >&2 <<MSG
facility_opt needs Python >= 3.12 (PuLP 4 requires it) and none was found.
Looked for python3.13, python3.12, python3 on PATH and in ${PYENV_ROOT:-$HOME/.pyenv}/versions.
Install one (e.g. 'pyenv install 3.12', or your OS package python3.12) or set FACILITY_OPT_PYTHON=/path/to/python3.12.
MSG
            exit 1
        fi
        echo "facility_opt: creating $VENV with $py" >&2
        rm -rf "$VENV"
        "$py" -m venv "$VENV"
        "$VENV/bin/python" -m pip install --quiet --upgrade pip
    fi
    # Re-install only when the project's metadata or the requested extras changed.
    want="$(cat "$ROOT/pyproject.toml" | sha256sum | cut -c1-16)$extras"
    stamp="$VENV/.facility_opt_installed"
    # An install with [dev] also serves a plain run.
    if [ ! -f "$stamp" ] || { [ "$(cat "$stamp")" != "$want" ] && [ "$(cat "$stamp")" != "$want[dev]" ]; }; then
        echo "facility_opt: installing the project into $VENV" >&2
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$ROOT$extras"
        echo "$want" > "$stamp"
    fi
}
