"""``facility-opt bench`` on OR-Library files."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from facility_opt.cli import app


def test_bench_tiny_files(tmp_path):
    (tmp_path / "tiny_pmed.txt").write_text("4 3 2\n1 2 5\n2 3 1\n3 4 5\n")
    (tmp_path / "tiny_cap.txt").write_text("2 2\n10 5\n10 7\n4 1 20\n4 20 2\n")
    out = tmp_path / "res" / "bench.json"
    r = CliRunner().invoke(app, ["bench", str(tmp_path), "--json", str(out)])
    assert r.exit_code == 0, r.output
    recs = {x["instance"]: x for x in json.loads(out.read_text())["records"]}
    # p-median on a path 1-2-3-4 (5, 1, 5): medians {1 or 2, 3 or 4}: cost 5 + 0 + ... = 6
    assert recs["tiny_pmed"]["objective"] == 6 and recs["tiny_pmed"]["status"] == "optimal"
    # UFL: open both (5 + 7 + 1 + 2 = 15) beats one (5 + 1 + 20 = 26; 7 + 20 + 2 = 29)
    assert recs["tiny_cap"]["objective"] == 15 and recs["tiny_cap"]["model"] == "UFL"
    assert "tiny_pmed" in r.output and "solve s" in r.output


def test_bench_malformed_file(tmp_path):
    f = tmp_path / "bad.txt"
    f.write_text("3 2 1\n1 2 5\n2 x 4\n")
    r = CliRunner().invoke(app, ["bench", str(f)])
    assert r.exit_code == 1
    assert "bad.txt, row 3" in r.output


def test_bench_pcenter_model(tmp_path):
    """--model pcenter solves a p-median file as p-center; a warehouse file is refused by name."""
    (tmp_path / "tiny_pmed.txt").write_text("4 3 2\n1 2 5\n2 3 1\n3 4 5\n")
    out = tmp_path / "bench.json"
    r = CliRunner().invoke(app, ["bench", str(tmp_path / "tiny_pmed.txt"), "--model", "pcenter", "--json", str(out)])
    assert r.exit_code == 0, r.output
    rec = json.loads(out.read_text())["records"][0]
    # path 1-2-3-4 (5, 1, 5), two centres: {1 or 2, 3 or 4} leave a farthest vertex at distance 5
    assert rec["model"] == "p-center" and rec["objective"] == 5 and rec["status"] == "optimal"
    (tmp_path / "tiny_cap.txt").write_text("2 2\n10 5\n10 7\n4 1 20\n4 20 2\n")
    r = CliRunner().invoke(app, ["bench", str(tmp_path / "tiny_cap.txt"), "--model", "pcenter"])
    assert r.exit_code == 1 and "p-center needs a p-median file" in r.output
