"""Publishing a run folder to PostGIS in one transaction: its layers and tables, ``kpis`` and a
``run_history`` row (see :mod:`facility_opt.postgis`)."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import time
from pathlib import Path

import pandas as pd

from .connection import PublishError, _connect, _psycopg, safe_url
from .write import _write_table

log = logging.getLogger(__name__)

#: the schema :func:`publish_run` writes to unless told otherwise
DEFAULT_SCHEMA = "facility_plan"
#: test hook: when set to a file path, :func:`publish_run` creates that file just before COMMIT and
#: waits there (for a test that kills the process at that point)
PAUSE_BEFORE_COMMIT_ENV = "FACILITY_OPT_PUBLISH_PAUSE_BEFORE_COMMIT"
_PAUSE_LIMIT_S = 600


@dataclasses.dataclass(frozen=True)
class PublishResult:
    """What :func:`publish_run` wrote: the schema, the tables (run tables, ``kpis``) and the
    ``run_history`` row."""

    schema: str
    tables: list[str]
    history_id: int
    run_sha: str


_HISTORY = """CREATE TABLE IF NOT EXISTS {} (
    id bigserial PRIMARY KEY,
    published_at timestamptz NOT NULL DEFAULT now(),
    run_sha text NOT NULL,
    run_folder text NOT NULL,
    model text,
    solver_status text,
    valid boolean,
    tables text[] NOT NULL,
    kpis jsonb NOT NULL,
    run jsonb NOT NULL)"""


def _pause_before_commit() -> None:
    """The test hook of :data:`PAUSE_BEFORE_COMMIT_ENV` (a no-op unless the variable is set)."""
    flag = os.environ.get(PAUSE_BEFORE_COMMIT_ENV)
    if not flag:
        return
    Path(flag).write_text(str(os.getpid()), encoding="utf-8")
    log.warning("%s is set: waiting before COMMIT", PAUSE_BEFORE_COMMIT_ENV)
    deadline = time.monotonic() + _PAUSE_LIMIT_S
    while time.monotonic() < deadline and Path(flag).exists():
        time.sleep(0.05)


def last_published(url: str, schema: str = DEFAULT_SCHEMA) -> str | None:
    """The fingerprint (``run_sha``) of the run last published to ``schema``; None when none was."""
    psycopg = _psycopg()
    from psycopg import sql

    try:
        with _connect(url) as conn, conn.cursor() as cur:
            cur.execute("SELECT to_regclass(%s)", (f'"{schema}".run_history',))
            if cur.fetchone()[0] is None:
                return None
            cur.execute(
                sql.SQL("SELECT run_sha FROM {} ORDER BY id DESC LIMIT 1").format(sql.Identifier(schema, "run_history"))
            )
            row = cur.fetchone()
    except psycopg.Error as exc:
        raise PublishError(f"cannot read {schema}.run_history at {safe_url(url)}: {exc}") from exc
    return row[0] if row else None


def publish_run(run_dir: str | Path, url: str, schema: str = DEFAULT_SCHEMA) -> PublishResult:
    """Publish a run folder to PostGIS in one transaction (see the module docstring for the tables).

    Tables of the previous publish that this run no longer has are dropped; ``run_history`` gains a
    row. Concurrent publishes to one schema take turns (an advisory lock). Raises
    :class:`PublishError` (nothing published) when the database refuses.
    """
    psycopg = _psycopg()
    from psycopg import sql
    from psycopg.types.json import Jsonb

    from ..runfolder import run_fingerprint, run_kpis, run_layers, run_tables

    run_dir = Path(run_dir)
    if not (run_dir / "plan.json").is_file():
        raise PublishError(f"{run_dir} is not a run folder (no plan.json)")
    sha = run_fingerprint(run_dir)
    tables: dict[str, pd.DataFrame] = dict(run_layers(run_dir))
    for name, df in run_tables(run_dir).items():
        tables[name if name not in tables else f"{name}_table"] = df
    k = run_kpis(run_dir)
    numeric = k["value"].map(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool))
    tables["kpis"] = pd.DataFrame(
        {
            "kpi": k["kpi"].astype(str),
            "value": pd.Series([float(v) if n else None for v, n in zip(k["value"], numeric)], dtype="float64"),
            "value_text": pd.Series(
                [
                    None if n or v is None else str(v).lower() if isinstance(v, bool) else str(v)
                    for v, n in zip(k["value"], numeric)
                ],
                dtype=object,
            ),
        }
    )
    run = json.loads((run_dir / "run.json").read_text(encoding="utf-8")) if (run_dir / "run.json").is_file() else {}
    comment = f"facility_opt run {run_dir.name} (run_sha {sha[:12]})"
    try:
        with _connect(url) as conn, conn.transaction(), conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"facility_opt.publish.{schema}",))
            cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
            history = sql.Identifier(schema, "run_history")
            cur.execute(sql.SQL(_HISTORY).format(history))
            cur.execute(sql.SQL("SELECT tables FROM {} ORDER BY id DESC LIMIT 1").format(history))
            previous = (cur.fetchone() or [[]])[0]
            for name, df in tables.items():
                _write_table(cur, schema, name, df, key=["kpi"] if name == "kpis" else None, comment=comment)
            for name in sorted(set(previous) - set(tables)):
                cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(schema, name)))
            cur.execute(
                sql.SQL(
                    "INSERT INTO {} (run_sha, run_folder, model, solver_status, valid, tables, kpis, run) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id"
                ).format(history),
                (
                    sha,
                    str(run_dir.resolve()),
                    run.get("model"),
                    (run.get("solver") or {}).get("status"),
                    run.get("valid"),
                    list(tables),
                    Jsonb(dict(zip(k["kpi"], k["value"]))),
                    Jsonb(run),
                ),
            )
            history_id = cur.fetchone()[0]
            _pause_before_commit()
    except psycopg.Error as exc:
        raise PublishError(f"publishing {run_dir} to {safe_url(url)} failed; nothing was published: {exc}") from exc
    log.info(
        "published %s to %s schema %s: %s (run_history id %d)",
        run_dir,
        safe_url(url),
        schema,
        ", ".join(tables),
        history_id,
    )
    return PublishResult(schema=schema, tables=list(tables), history_id=history_id, run_sha=sha)
