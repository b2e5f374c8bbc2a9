"""The nightly job's guarantees, with a small stand-in job (the real one is tested in test_cli)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from facility_opt.nightly import LockedError, _lock, run_nightly


def _job(data: Path):
    """A job whose decisions depend on the data: close every facility with floor area < 100."""

    def job(out: Path, previous: Path | None) -> None:
        rows = [line.split(",") for line in (data / "facilities.csv").read_text().splitlines()[1:]]
        if any(float(r[1]) <= 0 for r in rows):
            raise ValueError("facilities.csv: floor area must be positive")
        lines = ["facility_id,decision"] + [f"{r[0]},{'close' if float(r[1]) < 100 else 'keep'}" for r in rows]
        (out / "decisions.csv").write_text("\n".join(lines) + "\n")
        (out / "warm_start_from.txt").write_text(previous.name if previous else "none")

    return job


@pytest.fixture
def data(tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    (d / "facilities.csv").write_text("facility_id,floor_area_m2\nA,500\nB,80\n")
    return d


def test_first_run_then_unchanged(data, tmp_path):
    state = tmp_path / "state"
    first = run_nightly({"data": data}, state, _job(data))
    assert first.status == "updated" and first.run_dir.name.startswith("0001-")
    assert (state / "current").read_text().strip() == first.run_dir.name
    again = run_nightly({"data": data}, state, _job(data))
    assert again.status == "unchanged" and again.run_dir == first.run_dir
    history = [json.loads(line) for line in (state / "history.jsonl").read_text().splitlines()]
    assert [h["outcome"] for h in history] == ["updated", "unchanged"]


def test_changed_facility_gives_a_diff_and_warm_start(data, tmp_path):
    state = tmp_path / "state"
    first = run_nightly({"data": data}, state, _job(data))
    (data / "facilities.csv").write_text("facility_id,floor_area_m2\nA,50\nB,80\n")
    second = run_nightly({"data": data}, state, _job(data))
    assert second.status == "updated" and second.changed_inputs == ["data/facilities.csv"]
    diff = json.loads((second.run_dir / "diff.json").read_text())
    assert diff["previous_run"] == first.run_dir.name
    assert diff["changed_decisions"] == [{"facility_id": "A", "column": "decision", "before": "keep", "after": "close"}]
    assert (second.run_dir / "warm_start_from.txt").read_text() == first.run_dir.name
    assert "A: decision 'keep' -> 'close'" in (second.run_dir / "diff.md").read_text()


def test_invalid_input_keeps_previous_plan(data, tmp_path):
    state = tmp_path / "state"
    first = run_nightly({"data": data}, state, _job(data))
    before = (first.run_dir / "decisions.csv").read_bytes()
    (data / "facilities.csv").write_text("facility_id,floor_area_m2\nA,-5\nB,80\n")
    with pytest.raises(ValueError, match="floor area must be positive"):
        run_nightly({"data": data}, state, _job(data))
    assert (state / "current").read_text().strip() == first.run_dir.name
    assert (first.run_dir / "decisions.csv").read_bytes() == before
    assert not list((state / "runs").glob(".tmp-*"))
    assert json.loads((state / "history.jsonl").read_text().splitlines()[-1])["outcome"] == "failed"


def test_concurrent_run_is_refused(data, tmp_path):
    state = tmp_path / "state"
    with _lock(state):
        with pytest.raises(LockedError, match="another nightly run"):
            run_nightly({"data": data}, state, _job(data))


def test_run_killed_mid_write_leaves_previous_plan(data, tmp_path):
    state = tmp_path / "state"
    first = run_nightly({"data": data}, state, _job(data))
    (data / "facilities.csv").write_text("facility_id,floor_area_m2\nA,50\nB,80\n")
    script = textwrap.dedent(f"""
        import os
        from pathlib import Path
        from facility_opt.nightly import run_nightly
        def job(out, previous):
            (out / "decisions.csv").write_text("facility_id,decision\\nA,cl")  # half-written
            os._exit(9)  # killed: no cleanup, no exception handling
        run_nightly({{"data": Path({str(data)!r})}}, Path({str(state)!r}), job)
    """)
    src = Path(__file__).resolve().parents[1] / "src"
    proc = subprocess.run([sys.executable, "-c", script], env={"PYTHONPATH": str(src)}, capture_output=True)
    assert proc.returncode == 9
    assert (state / "current").read_text().strip() == first.run_dir.name
    assert len(list((state / "runs").glob(".tmp-*"))) == 1  # the killed run's debris, never current
    # the next run cleans it up and completes
    third = run_nightly({"data": data}, state, _job(data))
    assert third.status == "updated" and not list((state / "runs").glob(".tmp-*"))
    assert "A,close" in (third.run_dir / "decisions.csv").read_text()


def test_diff_includes_the_timeline_and_years_tables(data, tmp_path):
    """A new run's diff names what changes year by year: timeline rows (where a service is, when)
    and years rows (capacity, coverage, spend per year and service)."""
    from facility_opt.nightly import diff_table

    def job(out: Path, previous: Path | None) -> None:
        area = float((data / "facilities.csv").read_text().splitlines()[1].split(",")[1])
        leaves = 2030 if area < 100 else 2048
        (out / "decisions.csv").write_text("facility_id,decision\nA,keep\n")
        tl = ["site_id,service_id,from_year,to_year,capacity", f"A,hall,2019,{leaves},40.0"]
        if leaves < 2048:
            tl.append(f"B,hall,{leaves + 1},2048,40.0")
        (out / "timeline.csv").write_text("\n".join(tl) + "\n")
        (out / "years.csv").write_text(
            f"year,service_id,capacity,spend_yen\n2030,hall,40.0,0\n2031,hall,40.0,{5e8 if leaves < 2048 else 0:.0f}\n"
        )

    state = tmp_path / "state"
    run_nightly({"data": data}, state, job)
    (data / "facilities.csv").write_text("facility_id,floor_area_m2\nA,50\nB,80\n")
    second = run_nightly({"data": data}, state, job)
    diff = json.loads((second.run_dir / "diff.json").read_text())
    assert diff["changed_decisions"] == []
    assert diff["changed_timeline"] == [
        {"key": "A/hall/2019", "column": "to_year", "before": "2048", "after": "2030"},
        {"key": "B/hall/2031", "column": "(row)", "before": "absent", "after": "present"},
    ]
    assert diff["changed_years"] == [{"key": "2031/hall", "column": "spend_yen", "before": "0", "after": "500000000"}]
    md = (second.run_dir / "diff.md").read_text()
    assert "Changed timeline rows (2):" in md and "- A/hall/2019: to_year '2048' -> '2030'" in md
    assert "Changed years rows (1):" in md
    # a run without the table (an older run folder) counts as empty
    assert diff_table(tmp_path, second.run_dir, "years")["column"].eq("(row)").all()
