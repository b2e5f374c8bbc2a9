#!/usr/bin/env bash
# Install the Debian packages some tests need, when they are missing:
#   chromium                          tests/test_report_ja.py renders the report in a real browser
#   a Japanese font (IPAexGothic)     so that browser draws the Japanese report's text, not empty boxes
#   PostgreSQL server with PostGIS    tests/test_postgis.py starts its own server (initdb, pg_ctl)
# CI's .ci/run calls this before the test command; on a developer machine run it once
# (as root, or with sudo). Without these packages those tests fail, unless
# FACILITY_OPT_SKIP_SYSTEM_TESTS=1 skips them on purpose.
set -euo pipefail

newest_postgres() {  # the newest PostgreSQL server version installed (e.g. 15), or nothing
    ls /usr/lib/postgresql 2>/dev/null | grep -E '^[0-9]+$' | sort -n | tail -1 || true
}

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
if ! command -v fc-list >/dev/null 2>&1 || [ -z "$(fc-list :lang=ja 2>/dev/null)" ]; then
    missing+=(fonts-ipaexfont-gothic)  # any font covering Japanese will do; this one is small (6 MB)
fi
pg="$(newest_postgres)"
if [ -z "$pg" ] || [ ! -x "/usr/lib/postgresql/$pg/bin/initdb" ]; then
    missing+=(postgresql postgresql-postgis)  # the distribution's default server and its PostGIS
elif ! ls "/usr/lib/postgresql/$pg/lib/"postgis-3*.so >/dev/null 2>&1 \
        || [ ! -f "/usr/share/postgresql/$pg/extension/postgis.control" ]; then
    missing+=("postgresql-$pg-postgis-3")  # the extension's library and its SQL scripts
fi

if [ "${#missing[@]}" -eq 0 ]; then
    echo "system packages: chromium, a Japanese font and PostgreSQL $pg with PostGIS are installed" >&2
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "system packages: missing ${missing[*]} and no apt-get to install them (Debian/Ubuntu packages)" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "system packages: installing ${missing[*]} needs root" >&2; exit 1; }
    SUDO="sudo"
fi
start=$SECONDS
echo "system packages: installing ${missing[*]} (apt-get)" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "system packages: installed ${missing[*]} in $((SECONDS - start)) s" >&2
