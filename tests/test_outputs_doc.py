"""docs/outputs.md is the column glossary of every file the commands write: each file, produced here from a
tiny case by its own writer, has exactly the columns (or top-level JSON keys) the glossary lists, both ways."""

from __future__ import annotations

import csv
import importlib.util
import json
import re
from pathlib import Path

import numpy as np
import pyogrio
import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "outputs.md"
HEADING = re.compile(r"^### `([^`]+)` · `([^`]+)`")
ROW = re.compile(r"^\| `([^`]+)` \| (.*?) \|")

#: the sweep section of the tiny model's nightly sweep (two variants, serial)
NIGHTLY_SWEEP = """\
sweep:
  n: 2
  seed: 1
  inputs: {land_prices: {dist: uniform, low: 0.9, high: 1.1, source: "assumption: test"}}
  solver: {gap_rel: 0.0}
  nightly: {n: 2, serial: true}
"""


def glossary() -> dict[tuple[str, str], list[tuple[str, bool]]]:
    """(command, file) -> [(column, optional)] in the order of the page."""
    out: dict[tuple[str, str], list[tuple[str, bool]]] = {}
    key = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if m := HEADING.match(line):
            key = (m.group(1), m.group(2))
            out[key] = []
        elif line.startswith("## "):
            key = None
        elif key is not None and (m := ROW.match(line)):
            out[key].append((m.group(1), m.group(2).lstrip("*").startswith("optional")))
    return out


GLOSSARY = glossary()


def _conftest():
    """conftest's tiny ward and model texts (conftest is not importable under --import-mode=importlib)."""
    spec = importlib.util.spec_from_file_location("_outputs_conftest", Path(__file__).with_name("conftest.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _cli(*args) -> None:
    from facility_opt.cli import app

    res = CliRunner().invoke(app, [str(a) for a in args])
    assert res.exit_code == 0, res.output


def _header(path: Path) -> list[str]:
    if path.suffix == ".json":
        return list(json.loads(path.read_text(encoding="utf-8")))
    if path.suffix == ".gpkg":
        return list(pyogrio.read_info(path)["fields"])
    with path.open(newline="", encoding="utf-8") as fh:
        return next(csv.reader(fh))


@pytest.fixture(scope="module")
def produced(tmp_path_factory) -> dict[tuple[str, str], Path]:
    """Every documented file, written by its command (or writer) on a tiny case."""
    from facility_opt.locate import p_median
    from facility_opt.pipeline import run_model
    from facility_opt.planning import load_planning_model
    from facility_opt.portfolio import optimise_portfolio
    from facility_opt.resources import models_dir
    from facility_opt.robust import alternatives, sweep
    from facility_opt.robust.alternatives import write_alternatives
    from facility_opt.robust.nightly import nightly_sweep
    from portfolio_cases import EXACT, two_halls
    from sweep_cases import SPEC, halls_with_imputed_floor
    from test_portfolio_reform import hall_into_community, three_schools

    tmp = tmp_path_factory.mktemp("outputs")
    c = _conftest()
    ward = tmp / "ward"
    ward.mkdir()
    for name, text in c.TINY_WARD.items():
        (ward / name).write_text(text, encoding="utf-8")
    model_text = c.TINY_MODEL.format(data=ward, catalogue=models_dir() / "catalogue.yaml")
    (tmp / "tiny.yaml").write_text(model_text, encoding="utf-8")
    (tmp / "tiny_sweep.yaml").write_text(model_text + NIGHTLY_SWEEP, encoding="utf-8")

    run_model(tmp / "tiny.yaml", tmp / "run", tradeoff_points=2)
    optimise_portfolio(three_schools(), EXACT).to_files(tmp / "merger")  # A merges into B
    optimise_portfolio(hall_into_community(0.5), EXACT).to_files(tmp / "conversion")  # H moves into K
    _cli("costs", tmp / "tiny.yaml", "--out", tmp / "costs")
    _cli("costs", "--calibrate", "--out", tmp / "calibration")
    _cli("schedule", "--ward", ward, "--cap", "7e8", "--out", tmp / "schedule")
    _cli("fees", "--out", tmp / "fees")
    sweep(halls_with_imputed_floor(), n=4, seed=1, spec=SPEC, serial=True, out=tmp / "sweep")
    write_alternatives(alternatives(two_halls(), k=2, within=2.5, options=EXACT), tmp / "alternatives")
    _cli("compare", tmp / "alternatives" / "plan_0", tmp / "alternatives" / "plan_1", "--out", tmp / "compare.csv")
    nightly_sweep(load_planning_model(tmp / "tiny_sweep.yaml"), tmp / "night", None, tmp / "night_cache")
    p_median(np.array([[0.0, 5.0], [5.0, 0.0], [1.0, 4.0]]), 1).to_files(tmp / "locate")

    where = {
        "run": tmp / "run",
        "costs": tmp / "costs",
        "schedule": tmp / "schedule",
        "fees": tmp / "fees",
        "sweep": tmp / "sweep",
        "alternatives": tmp / "alternatives",
        "compare": tmp,
        "nightly": tmp / "night" / "sweep",
        "locate": tmp / "locate",
    }
    files = {key: where[key[0]] / key[1] for key in GLOSSARY}
    files[("run", "mergers.csv")] = tmp / "merger" / "mergers.csv"
    files[("run", "conversions.csv")] = tmp / "conversion" / "conversions.csv"
    files[("costs", "calibration.csv")] = tmp / "calibration" / "calibration.csv"
    return files


def _matches(name: str, column: str) -> bool:
    """A glossary name matches a column: itself, or a family ``a<b>c`` any column ``a…c``."""
    if "<" not in name:
        return name == column
    pattern = "".join(".+" if part.startswith("<") else re.escape(part) for part in re.split(r"(<[^>]+>)", name))
    return re.fullmatch(pattern, column) is not None


def test_the_glossary_covers_every_command_and_its_files():
    commands = {cmd for cmd, _ in GLOSSARY}
    assert commands == {"run", "costs", "schedule", "fees", "sweep", "alternatives", "compare", "nightly", "locate"}
    assert len(GLOSSARY) == 33 and all(GLOSSARY.values())
    for rows in GLOSSARY.values():
        names = [n for n, _ in rows]
        assert len(names) == len(set(names))


def _mismatch(header: list[str], rows: list[tuple[str, bool]]) -> tuple[list[str], list[str]]:
    """(columns the glossary lacks, documented columns the header lacks)."""
    fixed = [n for n, _ in rows if "<" not in n]
    families = [n for n, _ in rows if "<" in n]
    undocumented = [c for c in header if c not in fixed and not any(_matches(f, c) for f in families)]
    return undocumented, [n for n, optional in rows if "<" not in n and not optional and n not in header]


def test_the_check_catches_a_renamed_column_and_honours_families_and_optional_ones():
    rows = [("year", False), ("spend_<category>", False), ("capacity", True)]
    assert _mismatch(["year", "spend_school", "spend_hall"], rows) == ([], [])
    assert _mismatch(["yr", "spend_school"], rows) == (["yr"], ["year"])
    assert _mismatch(["year", "spendschool"], rows) == (["spendschool"], [])


@pytest.mark.parametrize("key", sorted(GLOSSARY), ids=lambda k: f"{k[0]}-{k[1]}")
def test_file_header_matches_the_glossary(produced, key):
    header = _header(produced[key])
    rows = GLOSSARY[key]
    undocumented, missing = _mismatch(header, rows)
    assert not undocumented, f"{key}: columns missing from docs/outputs.md: {undocumented}"
    assert not missing, f"{key}: documented columns the file does not have: {missing}"
    if produced[key].suffix == ".csv":  # the page lists a CSV's columns in the file's order
        fixed = [n for n, _ in rows if "<" not in n]
        assert [c for c in header if c in fixed] == [n for n in fixed if n in header]
