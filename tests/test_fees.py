"""Tests of the usage-fee revision: cost bases, binding limits, reductions, loaders, determinism, CLI."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from facility_opt.errors import DataValidationError, InfeasibleError, ModelConfigError
from facility_opt.fees import (
    FacilityCost,
    FeeItem,
    FeeModel,
    FeePolicy,
    FeeTariff,
    annual_cost,
    burden_frame,
    candidate_fees,
    cost_bases,
    default_fee_model,
    level_outcomes,
    load_fee_model,
    load_fee_tariff_csv,
    optimise_fees,
    unit_cost,
    write_fee_outputs,
)


def item(item_id="a", **kw) -> FeeItem:
    base = dict(
        item_id=item_id,
        facility_type="hall",
        room_class=f"room_{item_id}",
        unit="person",
        current_fee=100,
        floor_share=1.0,
        annual_uses=1000,
        necessity="optional",
        market="public",
        elasticity=0.0,
    )
    base.update(kw)
    return FeeItem(**base)


def tariff(*items: FeeItem, cost: float = 1_000_000, **ckw) -> FeeTariff:
    keys = {it.key for it in items}
    return FeeTariff(items=items, costs={k: FacilityCost(annual_operating_yen=cost, **ckw) for k in keys})


def row(result, item_id):
    t = result.table.set_index("item_id")
    return t.loc[item_id]


# ------------------------------------------------------------------------------------ cost basis


def test_room_cost_basis_hand_computed():
    c = FacilityCost(
        annual_operating_yen=10_000_000,
        annual_maintenance_yen=2_000_000,
        floor_area_m2=600,
        rebuild_unit_cost_yen_per_m2=400_000,
        service_life_years=60,
    )
    hour = item("h", unit="hour", floor_share=0.3, available_hours=4000, rooms=2)
    slot = item("s", unit="slot", unit_hours=4, floor_share=0.3, available_hours=4000, rooms=2)
    om, dep = annual_cost("hall", c, include_depreciation=False)
    assert (om, dep) == (12_000_000, 0)
    assert unit_cost(hour, om) == pytest.approx(12_000_000 * 0.3 / (2 * 4000))  # ¥450 per hour
    assert unit_cost(hour, om) == pytest.approx(450.0)
    assert unit_cost(slot, om) == pytest.approx(1800.0)  # 4 hours
    total, dep = annual_cost("hall", c, include_depreciation=True)  # 600 m² × 400,000 / 60 = 4 M
    assert dep == pytest.approx(4_000_000) and total == pytest.approx(16_000_000)
    assert unit_cost(hour, total) == pytest.approx(600.0)
    # depreciation from an external model: a table or a callable (e.g. the renewal-cost model)
    assert annual_cost("hall", c, True, {"hall": 1_000_000}) == (13_000_000, 1_000_000)
    assert annual_cost("hall", c, True, lambda key, fc: fc.floor_area_m2 * 100) == (12_060_000, 60_000)
    with pytest.raises(ModelConfigError, match="depreciation is included but no figure"):
        annual_cost("x", FacilityCost(annual_operating_yen=1), True)


def test_per_person_cost_basis_hand_computed():
    s = tariff(item("p", unit="person", floor_share=0.5, annual_uses=50_000), cost=20_000_000)
    cb = cost_bases(s)["p"]
    assert cb.unit_cost_yen == pytest.approx(20_000_000 * 0.5 / 50_000)  # ¥200 per person
    assert cb.room_cost_yen == pytest.approx(10_000_000)


# ------------------------------------------------------------------------------ binding limits


def test_cap_binds():
    # unit cost 1,000,000 / 1000 = ¥1,000; target 50 % needs ¥500; cap 1.5 × ¥100 = ¥150.
    res = optimise_fees(tariff(item("a")), FeePolicy(cap_ratio=1.5, rounding_unit=10))
    r = row(res, "a")
    assert r.unit_cost == 1000 and r.proposed_fee == 150
    assert r.binding == "cap"
    assert "increase cap binds" in r.reason and "¥500" in r.reason and "¥150" in r.reason


def test_private_price_binds():
    res = optimise_fees(tariff(item("a", private_price=130)), FeePolicy(cap_ratio=1.5, rounding_unit=10))
    r = row(res, "a")
    assert r.proposed_fee == 130 and r.binding == "private"
    assert "private price binds" in r.reason and "¥130" in r.reason


def test_use_drop_limit_forces_lower_fee():
    # unit cost ¥400, target 50 % -> ¥200, within cap 2×; but use ∝ (F/100)^-0.5 and use may
    # fall at most 10 %: F <= 100 / 0.9² = 123.46 -> ¥120 in ¥10 steps.
    it = item("a", annual_uses=1000, elasticity=-0.5)
    res = optimise_fees(tariff(it, cost=400_000), FeePolicy(cap_ratio=2.0, max_use_drop=0.10, rounding_unit=10))
    r = row(res, "a")
    assert r.proposed_fee == 120 and r.binding == "use_drop"
    assert "use-drop limit binds" in r.reason and "¥200" in r.reason
    # feasibility re-checked by hand: use at ¥120 and at the next step ¥130
    assert 1000 * (120 / 100) ** -0.5 >= 900 > 1000 * (130 / 100) ** -0.5
    assert r.expected_uses == pytest.approx(1000 * 1.2**-0.5, abs=0.01)


def test_use_drop_limit_is_shared_within_a_facility_type_and_optimal():
    # Three lines of one type share the use-drop limit; compare with brute force over all levels.
    items = (
        item("a", annual_uses=1000, elasticity=-0.4, floor_share=0.3),
        item("b", annual_uses=3000, elasticity=-0.2, floor_share=0.3),
        item("c", annual_uses=500, elasticity=-0.8, current_fee=200, floor_share=0.3),
    )
    s = tariff(*items, cost=3_000_000)
    pol = FeePolicy(cap_ratio=2.0, min_fee_ratio=0.8, max_use_drop=0.08, rounding_unit=20)
    res = optimise_fees(s, pol)
    bases = cost_bases(s)
    per = []
    for it in sorted(items, key=lambda i: i.item_id):
        u = bases[it.item_id].unit_cost_yen
        fees = candidate_fees(it, u, pol)
        out = level_outcomes(it, fees, u, pol)
        dev = np.round(np.abs(out.recovery - 0.5) * u * it.annual_uses, 2)
        change = 2 * np.abs(fees - it.current_fee) / 20 + (fees > it.current_fee)  # the documented tie-break
        per.append((fees, out.uses, dev, change))
    best = None
    for combo in itertools.product(*[range(len(p[0])) for p in per]):
        uses = sum(p[1][k] for p, k in zip(per, combo))
        if uses < 0.92 * 4500 - 1e-6:
            continue
        obj = (round(sum(p[2][k] for p, k in zip(per, combo)), 2), sum(p[3][k] for p, k in zip(per, combo)))
        if best is None or obj < best[0]:
            best = (obj, [float(p[0][k]) for p, k in zip(per, combo)])
    t = res.table.sort_values("item_id")
    assert t["proposed_fee"].tolist() == best[1]
    assert t["expected_uses"].sum() >= 0.92 * 4500 - 0.05
    assert (t["binding"] == "use_drop").any()


def test_lower_limit_binds():
    # unit cost ¥100, target 50 % -> ¥50; fees fall at most to 80 % of ¥100 per revision.
    res = optimise_fees(tariff(item("a"), cost=100_000), FeePolicy(min_fee_ratio=0.8))
    r = row(res, "a")
    assert r.proposed_fee == 80 and r.binding == "floor" and "reduction limit binds" in r.reason


def test_private_price_below_reduction_limit_wins():
    # current ¥1,000, private ¥400, at most -50 % (¥500): the private price wins.
    res = optimise_fees(tariff(item("a", current_fee=1000, private_price=400), cost=600_000), FeePolicy())
    r = row(res, "a")
    assert r.proposed_fee == 400 and r.binding == "private" and "below the reduction limit" in r.reason


def test_meets_target_and_tie_break_prefers_smaller_change():
    # unit cost ¥1,010, target 50 % = ¥505: ¥500 and ¥510 are equally close; ¥500 is nearer ¥400.
    res = optimise_fees(tariff(item("a", current_fee=400), cost=1_010_000), FeePolicy(rounding_unit=10))
    r = row(res, "a")
    assert r.proposed_fee == 500 and r.binding == "target" and r.reason.startswith("meets target")


def test_free_item_stays_free():
    res = optimise_fees(tariff(item("a", current_fee=0, necessity="essential")), FeePolicy())
    r = row(res, "a")
    assert r.proposed_fee == 0 and r.binding == "free" and r.expected_revenue == 0


# ------------------------------------------------------------------ reductions, exemptions, rounding


def test_reductions_exemptions_and_surcharge_change_revenue_as_hand_computed():
    it = item("a", current_fee=1000, annual_uses=1000, share_reduced=0.3, share_exempt=0.1, share_nonresident=0.2)
    # the fee cannot move (cap 1, floor 1); only the surcharge changes; no demand response.
    pol = FeePolicy(
        cap_ratio=1.0,
        min_fee_ratio=1.0,
        reduction_rate=0.5,
        nonresident_surcharge=0.25,
        rounding_unit=10,
        max_recovery=None,
    )
    res = optimise_fees(tariff(it, cost=2_000_000), pol)
    r = row(res, "a")
    # now:      1000 × (0.4 × 1000 + 0.3 × 500 + 0.1 × 0 + 0.2 × 1000) = 750,000
    # proposed: 1000 × (0.4 × 1000 + 0.3 × 500 + 0.1 × 0 + 0.2 × 1250) = 800,000
    assert r.current_revenue == 750_000 and r.expected_revenue == 800_000
    assert r.reduced_fee == 500 and r.nonresident_fee == 1250
    assert r.user_pays_per_use == pytest.approx(800.0) and r.taxes_pay_per_use == pytest.approx(1200.0)


def test_paid_basis_raises_list_fee_to_cover_exemptions():
    # half the use is exempt: to recover 50 % of a ¥1,000 cost on average, the list fee must be ¥1,000.
    it = item("a", current_fee=800, share_exempt=0.5)
    res = optimise_fees(tariff(it), FeePolicy(recovery_basis="paid"))
    r = row(res, "a")
    assert r.proposed_fee == 1000 and r.achieved_recovery == pytest.approx(0.5)


def test_rounding_unit_respected():
    m = default_fee_model()
    pol = m.policy.model_copy(update={"rounding_unit": 100})
    t = optimise_fees(m, pol).table
    assert (t["proposed_fee"] % 100 == 0).all()
    assert (t["reduced_fee"] % 100 == 0).all() and (t["nonresident_fee"] % 100 == 0).all()
    # off-grid current fee with no room to move: the only admissible fee is the grid point below it
    assert candidate_fees(
        item("z", current_fee=1234), 5000, FeePolicy(cap_ratio=1.0, min_fee_ratio=1.0, rounding_unit=100)
    ).tolist() == [1200]


def test_revenue_objective_matches_brute_force():
    it = item("a", current_fee=1000, elasticity=-1.5)  # elastic: revenue falls as the fee rises
    s = tariff(it, cost=5_000_000)
    pol = FeePolicy(objective="revenue", max_use_drop=1.0)
    r = row(optimise_fees(s, pol), "a")
    fees = candidate_fees(it, 5000, pol)
    out = level_outcomes(it, fees, 5000, pol)
    assert r.proposed_fee == fees[int(np.argmax(out.revenue))] == 500  # the lower limit
    r2 = row(optimise_fees(tariff(item("b", current_fee=1000, elasticity=-0.3), cost=5_000_000), pol), "b")
    assert r2.proposed_fee == 1500 and r2.binding == "cap"


# ---------------------------------------------------------------------------------- infeasibility


def test_infeasible_use_drop_limit_names_item_and_constraint():
    it = item("gym_pass", facility_type="gym", current_fee=500, share_nonresident=0.4, elasticity=-1.0)
    pol = FeePolicy(min_fee_ratio=1.0, nonresident_surcharge=0.5, max_use_drop=0.05)
    with pytest.raises(InfeasibleError) as ei:
        optimise_fees(tariff(it), pol)
    msg = str(ei.value)
    assert "use-drop limit" in msg and "gym" in msg and "'gym_pass'" in msg and "5%" in msg
    assert "86.7%" in msg  # 0.6 + 0.4 / 1.5 of today's use


def test_unreachable_target_is_explained_or_raised():
    s = tariff(item("plot", private_price=120))
    r = row(optimise_fees(s, FeePolicy()), "plot")
    assert r.binding == "private" and "target needs ¥500" in r.reason
    with pytest.raises(InfeasibleError) as ei:
        optimise_fees(s, FeePolicy(require_targets=True))
    assert "'plot'" in str(ei.value) and "private price binds" in str(ei.value)


# ------------------------------------------------------------------------------------- loading

CSV_HEADER = (
    "item_id,facility_type,room_class,unit,current_fee,floor_share,available_hours,annual_uses,"
    "necessity,market,annual_operating_yen\n"
)


def test_csv_cp932_reads(tmp_path):
    p = tmp_path / "fees.csv"
    p.write_bytes(
        (
            CSV_HEADER + "h1,地域集会所,集会室(大),hour,800,0.3,4308,1800,optional,public,10000000\n"
            "h2,地域集会所,和室,hour,400,0.2,4308,1500,optional,public,10000000\n"
        ).encode("cp932")
    )
    s = load_fee_tariff_csv(p)
    assert [i.room_class for i in s.items] == ["集会室(大)", "和室"]
    assert s.costs["地域集会所"].annual_operating_yen == 10_000_000
    res = optimise_fees(s, FeePolicy())
    assert len(res.table) == 2


def test_csv_errors_name_file_row_field(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text(
        CSV_HEADER + "h1,hall,large,hour,800,0.3,4308,1800,optional,public,1000\n"
        "h2,hall,small,hour,abc,0.2,4308,1500,optional,public,1000\n"
        "h3,hall,tiny,hour,100,1.7,4308,1500,sometimes,public,1000\n",
        encoding="utf-8",
    )
    with pytest.raises(DataValidationError) as ei:
        load_fee_tariff_csv(p)
    issues = {(i.row, i.field) for i in ei.value.issues}
    assert {(2, "current_fee"), (3, "floor_share"), (3, "necessity")} <= issues
    assert "bad.csv, row 2, field 'current_fee'" in str(ei.value)
    p2 = tmp_path / "missing.csv"
    p2.write_text("item_id,facility_type\nx,hall\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match="missing.csv, field 'current_fee': missing column"):
        load_fee_tariff_csv(p2)


def test_csv_with_separate_costs_file(tmp_path):
    items = tmp_path / "items.csv"
    items.write_text(
        "item_id,facility_type,room_class,unit,current_fee,floor_share,annual_uses,necessity,market\n"
        "p1,pool,adult,person,400,0.8,100000,optional,market\n",
        encoding="utf-8",
    )
    costs = tmp_path / "costs.csv"
    costs.write_text("cost_key,annual_operating_yen,annual_maintenance_yen\npool,50000000,10000000\n", encoding="utf-8")
    s = load_fee_tariff_csv(items, costs)
    assert cost_bases(s)["p1"].unit_cost_yen == pytest.approx(60_000_000 * 0.8 / 100_000)  # ¥480


def test_yaml_errors_name_key_path(tmp_path):
    p = tmp_path / "m.yaml"
    p.write_text(
        "costs: {hall: {annual_operating_yen: 1000}}\n"
        "items:\n  - {item_id: a, facility_type: hall, room_class: r, unit: hour, current_fee: 1,"
        " floor_share: 0.5, annual_uses: 1, necessity: optional, market: public}\n",
        encoding="utf-8",
    )
    with pytest.raises(ModelConfigError, match="needs available_hours"):
        load_fee_model(p)


def test_example_model_is_marked_illustrative():
    m = default_fee_model()
    assert m.illustrative
    from facility_opt.resources import models_dir

    assert "ILLUSTRATIVE" in (models_dir() / "fees_nerima_example.yaml").read_text(encoding="utf-8").splitlines()[0]
    # the published 2016 utilisation: 43 % overall, 30 % in the evening, 12 bookable hours a day
    ch = {i.item_id: i for i in m.tariff.items}
    large_rooms = ch["ch_large_day"].rooms
    per_room = (ch["ch_large_day"].annual_uses + ch["ch_large_eve"].annual_uses) / large_rooms
    assert per_room / ch["ch_large_day"].available_hours == pytest.approx(0.43, abs=1e-3)
    assert ch["ch_large_eve"].annual_uses / large_rooms / (4 * 359) == pytest.approx(0.30, abs=1e-3)


# ----------------------------------------------------------------------- results, determinism, CLI


def test_example_summary_consistent_and_deterministic(tmp_path):
    m = default_fee_model()
    r1, r2 = optimise_fees(m), optimise_fees(load_fee_model(m.tariff.source))
    p1, p2 = r1.to_csv(tmp_path / "a.csv"), r2.to_csv(tmp_path / "b.csv")
    assert p1.read_bytes() == p2.read_bytes()
    t, s = r1.table, r1.summary
    assert s["revenue_after"] == pytest.approx(t["expected_revenue"].sum(), abs=1)
    assert 0 < s["tax_funded_share_after"] < s["tax_funded_share_before"] < 1
    assert set(t["binding"]) >= {"target", "cap", "use_drop", "free"}
    assert (t["proposed_fee"] <= 1.5 * t["current_fee"] + 1e-9).all()
    b = burden_frame(r1)
    assert np.allclose(b["user_pays"] + b["taxes_pay"], b["cost_per_use"], atol=0.02)


def test_write_outputs_and_cli(tmp_path):
    from typer.testing import CliRunner

    from facility_opt.cli import app

    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["fees", "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    for name in ("fee_table.csv", "fee_summary.json", "fees.png"):
        assert (out / name).stat().st_size > 0
    summary = json.loads((out / "fee_summary.json").read_text(encoding="utf-8"))
    assert summary["illustrative"] is True and summary["items"] == 10
    assert (out / "fees.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # infeasible input -> exit code 2 with the reason
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "policy: {min_fee_ratio: 1.0, nonresident_surcharge: 1.0, max_use_drop: 0.0}\n"
        "costs: {gym: {annual_operating_yen: 1000000}}\n"
        "items:\n  - {item_id: g, facility_type: gym, room_class: r, unit: person, current_fee: 100,"
        " floor_share: 1, annual_uses: 1000, share_nonresident: 0.5, necessity: optional, market: market}\n",
        encoding="utf-8",
    )
    res = CliRunner().invoke(app, ["fees", str(bad), "--out", str(tmp_path / "o2")])
    assert res.exit_code == 2


def test_write_fee_outputs_are_reproducible(tmp_path):
    r = optimise_fees(default_fee_model())
    a = write_fee_outputs(r, tmp_path / "a")
    b = write_fee_outputs(r, tmp_path / "b")
    for k in ("table", "summary", "figure"):
        assert a[k].read_bytes() == b[k].read_bytes()


def test_model_from_tariff_and_policy_object():
    s = tariff(item("a"))
    res = optimise_fees(FeeModel(tariff=s, policy=FeePolicy(cap_ratio=3.0)))
    assert row(res, "a").proposed_fee == 300
