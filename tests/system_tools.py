"""System programs some tests need (Debian's chromium, PostgreSQL with PostGIS), and a throw-away
PostgreSQL cluster that those tests start themselves.

A test that skipped when its program is missing would check nothing on a fresh machine, so these
tests fail instead, saying how to install it (``bash scripts/system_packages.sh``, which CI's
``.ci/run`` runs first); ``FACILITY_OPT_SKIP_SYSTEM_TESTS=1`` skips them on purpose.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

SKIP_ENV = "FACILITY_OPT_SKIP_SYSTEM_TESTS"
INSTALL = "bash scripts/system_packages.sh"


def require(what: str, found: bool) -> None:
    """Fail (or skip, when explicitly asked to) a test whose system program is missing."""
    if found:
        return
    if os.environ.get(SKIP_ENV) == "1":
        pytest.skip(f"{what} is not installed and {SKIP_ENV}=1")
    pytest.fail(
        f"{what} is not installed; install it with `{INSTALL}` (CI's .ci/run does) or set {SKIP_ENV}=1 "
        "to skip the tests that need it",
        pytrace=False,
    )


def chromium() -> str:
    """The chromium executable (the test fails when there is none)."""
    exe = shutil.which("chromium")
    require("chromium (Debian package chromium)", exe is not None)
    return exe


def japanese_font() -> str:
    """A font the browser can draw Japanese with (fontconfig; the test fails when there is none)."""
    out = ""
    if shutil.which("fc-list"):
        out = subprocess.run(["fc-list", ":lang=ja", "family"], capture_output=True, text=True).stdout.strip()
    require("a Japanese font (Debian package fonts-ipaexfont-gothic)", bool(out))
    return out.splitlines()[0]


def postgres_bindir() -> Path | None:
    """bin folder of the newest PostgreSQL server that has PostGIS installed (its library and scripts)."""
    found = []
    for initdb in Path("/usr/lib/postgresql").glob("*/bin/initdb"):
        version = initdb.parents[1].name
        has_lib = any(initdb.parents[1].glob("lib/postgis-3*.so"))
        if has_lib and (Path("/usr/share/postgresql") / version / "extension" / "postgis.control").is_file():
            found.append((int(re.sub(r"\D", "", version) or 0), initdb.parent))
    return max(found)[1] if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A PostgreSQL cluster in a temporary folder, on a free loopback port, with trust auth.

    As root the server runs as the ``postgres`` user (initdb refuses root). ``database()`` makes a
    new database from a template with the PostGIS extension.
    """

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.user = None
        if os.geteuid() == 0:
            self.user = "postgres" if _has_user("postgres") else "nobody"
        self.root = Path(tempfile.mkdtemp(prefix="facility_opt_pg_"))
        self.data = self.root / "data"
        self.port = _free_port()
        self._count = 0

    def _run(self, *args: str) -> None:
        proc = subprocess.run(
            [str(self.bindir / args[0]), *args[1:]],
            user=self.user,
            capture_output=True,
            text=True,
            timeout=300,
            cwd=self.root,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")

    def start(self) -> Cluster:
        if self.user is not None:
            shutil.chown(self.root, self.user)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale")
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.root / "server.log"),
            "-w",
            "-t",
            "120",
            "start",
            "-o",
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off",
        )
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute("CREATE DATABASE template_facility_opt")
        with psycopg.connect(self.url("template_facility_opt"), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION postgis")
        return self

    def url(self, dbname: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def database(self) -> str:
        """A new, empty database with PostGIS; its URL."""
        import psycopg

        self._count += 1
        name = f"test_{self._count}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name} TEMPLATE template_facility_opt")
        return self.url(name)

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False
