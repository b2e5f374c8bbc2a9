"""PostGIS for the nightly job, against a real PostgreSQL + PostGIS server the tests start
(tests/system_tools.py): the ward read from tables with the loader's rules, and the plan published
in one transaction — also when the publishing process is killed just before COMMIT."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psycopg
import pytest
from typer.testing import CliRunner

from facility_opt.cli import app
from facility_opt.errors import DataValidationError
from facility_opt.loading import load_nerima, read_ward
from facility_opt.postgis import PAUSE_BEFORE_COMMIT_ENV, publish_run, write_ward
from facility_opt.runfolder import run_fingerprint

REPO = Path(__file__).resolve().parents[1]
SCHEMA = "facility_plan"
runner = CliRunner()


def _query(url: str, sql: str, *args) -> list[tuple]:
    with psycopg.connect(url) as conn:
        conn.execute("SET lock_timeout = '120s'")  # a guard against a hang, not an assertion
        return conn.execute(sql, args).fetchall()


def _execute(url: str, *statements: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for s in statements:
            conn.execute(s)


def _published(url: str, table: str, order: str) -> pd.DataFrame:
    with psycopg.connect(url) as conn:
        cur = conn.execute(f"SELECT * FROM {SCHEMA}.{table} ORDER BY {order}")
        return pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description])


def _same(value, text: str) -> bool:
    """A published value equals its CSV cell (NULL for an empty number cell)."""
    if value is None or (isinstance(value, float) and value != value):  # NULL (NaN once in a DataFrame)
        return text == ""
    if isinstance(value, bool):
        return text == str(value)
    if isinstance(value, (int, float)):
        return text != "" and float(text) == pytest.approx(value, rel=1e-12, abs=1e-9)
    return value == text


def _history(url: str) -> list[tuple]:
    return _query(url, f"SELECT id, run_sha, model, valid, tables FROM {SCHEMA}.run_history ORDER BY id")


@pytest.fixture
def tiny_db(pg_url, tiny_ward_dir) -> str:
    """The conftest tiny ward written into a fresh PostGIS database."""
    write_ward(read_ward(tiny_ward_dir), pg_url)
    return pg_url


@pytest.fixture
def tiny_run(tiny_model, tmp_path) -> Path:
    from facility_opt.pipeline import run_model

    return run_model(tiny_model, tmp_path / "run_a").out_dir


# ---------------------------------------------------------------------- reading
def test_nerima_round_trip_through_postgis(pg_url):
    ward = load_nerima()
    assert write_ward(ward, pg_url) == [
        "ward_meta",
        "boundary",
        "zones",
        "facilities",
        "facility_services",
        "stations",
        "land_prices",
    ]
    back = read_ward(pg_url)
    assert back.fingerprint() == ward.fingerprint()  # the same content, byte for byte as files
    assert back.crs.to_epsg() == 6677 and len(back.facilities) == 271
    cols = _query(pg_url, "SELECT f_table_name, srid, type FROM geometry_columns ORDER BY f_table_name")
    assert cols == [
        ("boundary", 6677, "POLYGON"),
        ("facilities", 6677, "POINT"),
        ("land_prices", 6677, "POINT"),
        ("stations", 6677, "POINT"),
        ("zones", 6677, "POINT"),
    ]


def test_database_errors_name_table_primary_key_and_column(tiny_db):
    _execute(
        tiny_db,
        "UPDATE facilities SET floor_area_m2 = -600 WHERE facility_id = 'F2'",
        "UPDATE zones SET geom = ST_SetSRID(ST_MakePoint(0, 0), 6677) WHERE zone_id = 'Z3'",
        "UPDATE facility_services SET capacity = -1 WHERE facility_id = 'F1'",
        "ALTER TABLE stations ADD COLUMN platform_count integer",
    )
    with pytest.raises(DataValidationError) as err:
        read_ward(tiny_db)
    text = str(err.value)
    assert (
        "table public.facilities, row facility_id='F2', field 'floor_area_m2': Input should be greater than 0 "
        "(got '-600')"
    ) in text
    assert "table public.zones, row zone_id='Z3', field 'geom' (geometry): the point lies" in text
    assert (
        "table public.facility_services, row (facility_id, service_id)=(F1, primary_education), field 'capacity': "
        "Input should be greater than or equal to 0"
    ) in text
    assert "table public.stations, field 'platform_count': unknown column 'platform_count'" in text
    assert len(err.value.issues) == 4


def test_ward_meta_and_missing_tables_are_named(tiny_db):
    _execute(tiny_db, "UPDATE ward_meta SET value = '\"soon\"' WHERE key = 'base_year'")
    with pytest.raises(
        DataValidationError,
        match="table public.ward_meta, row key='base_year', field 'value': Input should be a valid integer",
    ):
        read_ward(tiny_db)
    _execute(tiny_db, "DROP TABLE stations")
    with pytest.raises(
        DataValidationError,
        match=r"table stations: missing: database 'test_\d+' at 127.0.0.1:\d+ "
        "has no table 'stations' on its search_path",
    ):
        read_ward(tiny_db)


# ---------------------------------------------------------------------- publishing
def test_run_from_postgis_and_publish(tiny_db, tiny_model, tmp_path):
    res = runner.invoke(app, ["validate", tiny_db])
    assert res.exit_code == 0 and "valid" in res.output and "3 facilities" in res.output
    out = tmp_path / "run"
    res = runner.invoke(
        app, ["run", str(tiny_model), "--data", tiny_db, "--out", str(out), "--publish", tiny_db, "--json"]
    )
    assert res.exit_code == 0, res.output
    info = json.loads(res.output)
    assert info["published"]["tables"] == [
        "facilities",
        "decisions",
        "timeline",
        "years",
        "costs",
        "cost_by_year",
        "services",
        "assignments",
        "events",
        "floor",
        "freed_sites",
        "kpis",
    ]
    # every table holds its CSV, row for row
    for table, key in (
        ("decisions", "facility_id"),
        ("assignments", "service_id, zone_id, site_id"),
        ("costs", "site_id"),
        ("cost_by_year", "year"),
    ):
        csv = pd.read_csv(out / f"{table}.csv", dtype=str, keep_default_na=False)
        db = _published(tiny_db, table, key)
        assert list(db.columns) == list(csv.columns) and len(db) == len(csv) > 0
        for c in csv.columns:
            assert [_same(v, s) for v, s in zip(db[c], csv[c])] == [True] * len(csv), (table, c)
    # the facilities layer: a point geometry with SRID 6677 that QGIS lists, keyed by facility_id
    assert _query(tiny_db, "SELECT srid, type FROM geometry_columns WHERE f_table_schema = %s", SCHEMA) == [
        (6677, "POINT")
    ]
    layer = _query(
        tiny_db, f"SELECT facility_id, decision, ST_X(geom), ST_Y(geom) FROM {SCHEMA}.facilities ORDER BY facility_id"
    )
    import geopandas as gpd

    gpkg = gpd.read_file(out / "facilities.gpkg").sort_values("facility_id")
    assert [r[:2] for r in layer] == list(zip(gpkg["facility_id"], gpkg["decision"]))
    assert [r[2:] for r in layer] == list(zip(gpkg.geometry.x, gpkg.geometry.y))  # the same doubles
    assert _query(
        tiny_db,
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND "
        "a.attnum = ANY(i.indkey) WHERE i.indrelid = %s::regclass AND i.indisprimary",
        f"{SCHEMA}.facilities",
    ) == [("facility_id",)]
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    kpis = dict(_query(tiny_db, f"SELECT kpi, coalesce(value::text, value_text) FROM {SCHEMA}.kpis"))
    assert float(kpis["buildings_after"]) == plan["kpis"]["buildings_after"] and kpis["model"] == "tiny"
    assert _history(tiny_db) == [(1, run_fingerprint(out), "tiny", True, info["published"]["tables"])]


def test_publish_follows_the_run_folder_and_appends_history(pg_url, tiny_run, tmp_path):
    publish_run(tiny_run, pg_url)
    later = Path(shutil.copytree(tiny_run, tmp_path / "run_b"))
    (later / "extra_table.csv").write_text("year,buildings\n2019,3\n2035,2\n", encoding="utf-8")  # a file runs gain
    (later / "assignments.csv").unlink()
    res = publish_run(later, pg_url)
    assert "extra_table" in res.tables and "assignments" not in res.tables
    assert _query(pg_url, f"SELECT year, buildings FROM {SCHEMA}.extra_table ORDER BY year") == [(2019, 3), (2035, 2)]
    assert _query(pg_url, "SELECT to_regclass(%s)::text", f"{SCHEMA}.assignments") == [(None,)]  # dropped
    assert [h[1] for h in _history(pg_url)] == [run_fingerprint(tiny_run), run_fingerprint(later)]


def test_publish_killed_before_commit_leaves_the_published_plan_unchanged(pg_url, tiny_run, tmp_path):
    publish_run(tiny_run, pg_url)
    before = {t: _published(pg_url, t, "1, 2") for t in ("decisions", "costs", "kpis")}
    changed = Path(shutil.copytree(tiny_run, tmp_path / "run_b"))
    d = pd.read_csv(changed / "decisions.csv", dtype=str, keep_default_na=False)
    d["decision"] = "keep"
    d.to_csv(changed / "decisions.csv", index=False)
    (changed / "extra_table.csv").write_text("year,buildings\n2019,3\n", encoding="utf-8")
    flag = tmp_path / "paused"
    env = {**os.environ, PAUSE_BEFORE_COMMIT_ENV: str(flag), "PYTHONPATH": str(REPO / "src")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from facility_opt.postgis import publish_run; publish_run(sys.argv[1], sys.argv[2])",
            str(changed),
            pg_url,
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 300  # a guard against a hang, not an assertion
        while not flag.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert flag.exists(), proc.communicate(timeout=60)
        # the publisher is inside its transaction, every table written, COMMIT not yet sent
        assert _query(pg_url, "SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction'") == [(1,)]
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=60) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    for table, frame in before.items():
        pd.testing.assert_frame_equal(_published(pg_url, table, "1, 2"), frame)
    assert _query(pg_url, "SELECT to_regclass(%s)::text", f"{SCHEMA}.extra_table") == [(None,)]
    assert [h[1] for h in _history(pg_url)] == [run_fingerprint(tiny_run)]
    # nothing is left locked: the same publish goes through now
    publish_run(changed, pg_url)
    assert set(_published(pg_url, "decisions", "1")["decision"]) == {"keep"}
    assert len(_history(pg_url)) == 2


# ---------------------------------------------------------------------- the nightly job
def test_nightly_reads_postgis_and_publishes_each_new_plan_once(tiny_db, tiny_model, tmp_path):
    state = tmp_path / "state"
    args = ["nightly", "--model", str(tiny_model), "--data", tiny_db, "--state", str(state), "--publish", tiny_db]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    current = state / "runs" / (state / "current").read_text().strip()
    assert read_ward(state / "data").fingerprint() == read_ward(tiny_db).fingerprint()  # the copy planned on
    assert [h[1] for h in _history(tiny_db)] == [run_fingerprint(current)]
    # nothing changed: no new run, nothing published again
    res = runner.invoke(app, args)
    assert res.exit_code == 0 and '"status": "unchanged"' in res.output
    assert len(_history(tiny_db)) == 1
    # invalid data in the database: exit 1, the published plan stays
    _execute(tiny_db, "UPDATE facilities SET year_built = 1500 WHERE facility_id = 'F3'")
    res = runner.invoke(app, args)
    assert res.exit_code == 1 and "table public.facilities, row facility_id='F3', field 'year_built'" in res.output
    assert len(_history(tiny_db)) == 1 and (state / "current").read_text().strip() == current.name
    # a real change: a new run, published
    _execute(tiny_db, "UPDATE facilities SET year_built = 1990, operating_cost_yen = 1e8 WHERE facility_id = 'F3'")
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    newer = state / "runs" / (state / "current").read_text().strip()
    assert newer != current and "facilities.csv" in (newer / "inputs.json").read_text()
    assert [h[1] for h in _history(tiny_db)] == [run_fingerprint(current), run_fingerprint(newer)]
    # a database that refuses: exit 6, the run stays current and is published on a later night
    bad = tiny_db.rsplit("/", 1)[0] + "/no_such_database"
    res = runner.invoke(app, [*args[:-1], bad, "--force"])
    assert res.exit_code == 6 and "publish_failed" in res.output
