"""OR-Library readers: format detection, shortest paths, and clear errors on malformed files."""

from __future__ import annotations

import numpy as np
import pytest

from facility_opt.errors import DataValidationError
from facility_opt.locate import detect_format, read_cap, read_orlib, read_pmed


def write(tmp_path, name, text):
    f = tmp_path / name
    f.write_text(text)
    return f


def test_pmed_shortest_paths_and_last_duplicate_wins(tmp_path):
    # 4 vertices; edge 1-2 given twice: the last (cost 2) wins; path 1-3 goes through 2
    f = write(tmp_path, "tiny.txt", "4 4 2\n1 2 7\n2 3 3\n1 2 2\n3 4 1\n")
    inst = read_orlib(f)
    assert inst.format == "pmed" and inst.p == 2
    c = inst.problem.cost
    assert c[0, 1] == 2 and c[0, 2] == 5 and c[0, 3] == 6 and c[3, 0] == 6
    assert inst.problem.site_ids == (1, 2, 3, 4)


def test_cap_reader_and_symbolic_capacity(tmp_path):
    text = "2 3\ncapacity 100.\ncapacity 50.\n4\n 1.5 2.5\n5 3 1\n6\n 7\n 8\n"
    f = write(tmp_path, "capx.txt", text)
    assert detect_format(f) == "cap"
    inst = read_cap(f)
    assert np.allclose(inst.problem.capacity, [15, 15])  # uncapacitated: total demand
    assert np.allclose(read_cap(f, capacity=9).problem.capacity, [9, 9])
    assert np.allclose(inst.problem.cost, [[1.5, 2.5], [3, 1], [7, 8]])
    assert inst.problem.cost_is_total


@pytest.mark.parametrize(
    "text, line, what",
    [
        ("3 2 1\n1 2 5\n2 x 4\n", 3, "expected a number"),
        ("3 2 1\n1 2 5\n2 4 4\n", 3, "vertex j = 4 is not a vertex number 1..3"),
        ("3 2 1\n1 2 5\n", 2, "file ends early"),
        ("3 2 1\n1 2 5\n2 3 -4\n", 3, "negative cost"),
        ("3 2 5\n1 2 5\n2 3 4\n", 1, "p must be between"),
        ("3 1 1\n1 2 5\n2 3 4\n", 3, "unexpected data after the 1 edges"),
    ],
)
def test_pmed_malformed(tmp_path, text, line, what):
    f = write(tmp_path, "bad.txt", text)
    with pytest.raises(DataValidationError) as err:
        read_pmed(f)
    msg = str(err.value)
    assert f"bad.txt, row {line}" in msg and what in msg


def test_pmed_disconnected(tmp_path):
    f = write(tmp_path, "dis.txt", "4 1 1\n1 2 5\n")
    with pytest.raises(DataValidationError, match=r"not connected: vertices \[3, 4\]"):
        read_pmed(f)


@pytest.mark.parametrize(
    "text, line, what",
    [
        ("2 2\n10 5\n10 x\n1 1 2\n1 3 4\n", 3, "expected the fixed cost of warehouse 2"),
        ("2 2\n10 5\n10 5\n1 1 2\n1 3\n", 5, "file ends early"),
        ("2 2\n10 5\n10 5\n1 1 2\n-1 3 4\n", 5, "negative demand"),
        ("2 2\n10 5\n10 5\n1 1 2\n1 3 -4\n", 5, "negative allocation cost"),
    ],
)
def test_cap_malformed(tmp_path, text, line, what):
    f = write(tmp_path, "badcap.txt", text)
    with pytest.raises(DataValidationError) as err:
        read_cap(f)
    msg = str(err.value)
    assert f"badcap.txt, row {line}" in msg and what in msg


def test_unknown_format(tmp_path):
    f = write(tmp_path, "odd.txt", "1 2 3 4\n")
    with pytest.raises(DataValidationError, match="cannot tell the OR-Library format"):
        read_orlib(f)
    with pytest.raises(DataValidationError, match="empty"):
        read_orlib(write(tmp_path, "empty.txt", "\n\n"))
