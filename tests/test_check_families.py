"""check_plan's violations are structured: each names the MILP constraint family it breaks (or one of
check.CHECK_FAMILIES), its subject and its year, while reading, joining and storing as its message."""

from __future__ import annotations

import copy
import json
import pickle

import pytest

from facility_opt.portfolio import build_model, check_plan, optimise_portfolio
from facility_opt.portfolio.check import CHECK_FAMILIES, Violation
from portfolio_cases import EXACT, two_halls


def families(problem) -> set[str]:
    """The constraint families of the problem's MILP, elastic (so with the locks as rows);
    ``min_capacity:<service>`` counts as ``min_capacity``."""
    return {name.split(":")[0] for name in build_model(problem, elastic=True).m.families}


@pytest.fixture(scope="module")
def solved():
    p = two_halls()
    return p, optimise_portfolio(p, EXACT)  # keep A, close B in 2019; z1 and z2 go to A from 2019


def test_tampered_plans_name_family_subject_and_year(solved):
    p, plan = solved
    tight = p.replace(services=p.services.assign(coverage_m=320.0))  # z2 is 500 m from A
    locked = p.replace(policy={"lock_open": ["B"]})
    cases = [
        # z2 served at the closed hall B: B provides nothing, so it also serves 25 units with no places
        (
            p,
            plan.model_copy(
                update={
                    "assignments": [
                        a.model_copy(update={"site_id": "B", "distance_m": 350.0}) if a.zone_id == "z2" else a
                        for a in plan.assignments
                    ]
                }
            ),
            {("capacity", "z2", 2019), ("capacity", "childrens_hall@B", 2019)},
        ),
        (tight, plan, {("cover", "z2", 2019)}),
        (locked, plan, {("locks", "B", None)}),
        # A's renovation (due 2030) moved to 2020, before its window 2027..2045: no option, so no cost either
        (
            p,
            plan.model_copy(
                update={
                    "events": [
                        e.model_copy(update={"year": 2020, "end_year": 2020}) if e.site_id == "A" else e
                        for e in plan.events
                    ]
                }
            ),
            {("event_one", "A", 2020), ("cost", "plan", None)},
        ),
        # 50 places at A for 30 + 25 units
        (
            p,
            plan.model_copy(update={"timeline": [r.model_copy(update={"capacity": 50.0}) for r in plan.timeline]}),
            {("capacity", "childrens_hall@A", 2019)},
        ),
        (
            p,
            plan.model_copy(update={"kpis": plan.kpis.model_copy(update={"cost_after_yen": -49e6})}),
            {("cost", "plan", None)},
        ),
    ]
    for problem, tampered, expected in cases:
        v = check_plan(tampered, problem)
        assert {(x.family, x.subject, x.year) for x in v} == expected, v
        assert all(x.family in families(problem) | set(CHECK_FAMILIES) for x in v), v


def test_a_violation_reads_as_its_message(solved, tmp_path):
    p, plan = solved
    (v,) = check_plan(plan, p.replace(policy={"lock_open": ["B"]}))
    text = "lock: B is locked open but the plan closes it"
    assert isinstance(v, Violation) and isinstance(v, str)
    assert str(v) == v.message == text and v == text and "locked open" in v and "; ".join([v, v]) == f"{text}; {text}"
    assert repr(v) == f"Violation(family='locks', subject='B', year=None, message={text!r})"
    with pytest.raises(AttributeError):
        v.family = "cover"
    for again in (pickle.loads(pickle.dumps(v)), copy.deepcopy(v)):
        assert (again.family, again.subject, again.year, str(again)) == ("locks", "B", None, text)
    # plan.json stores the messages
    marked = plan.model_copy(update={"violations": [v], "valid": False})
    assert json.loads(marked.to_json())["violations"] == [text]
    marked.to_files(tmp_path)
    assert json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))["violations"] == [text]
