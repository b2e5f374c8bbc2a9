"""Benchmark and Nerima figures: renewal scheduling at 52億円/yr and at the minimum level budget.

Run from the repository root:  python benchmarks/bench_schedule.py [--figures docs/img] [--time-limit 120]
Cases: the 271 embedded Nerima facilities (196 buildings), the whole ward from the 2013 stock table
(674 synthetic buildings, 1.18 M m²), and a synthetic portfolio 10x the embedded one (2,710
facilities). Writes benchmarks/results/schedule.json and prints a table. Times are wall-clock seconds
on a shared 2-core machine (read them as orders of magnitude); every solve has a time limit, and the
reported gap is the solver's relative MIP gap at the end.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np

import facility_opt as fo
from facility_opt.atomic import atomic_write_text, atomic_write_with
from facility_opt.errors import InfeasibleError, SolverError
from facility_opt.renewal import load_age_profile, plot_schedule, read_stock_table, stock_buildings
from facility_opt.renewal.schedule import Window, check_schedule, default_schedule_params, schedule_renewals
from facility_opt.solver import SolverOptions

ROOT = Path(__file__).resolve().parents[1]
HIST = 52e8  # the ward's past-10-year average renewal spend (FACTS_items4_5.md)


def synthetic_10x(f):
    """Ten jittered copies of the embedded facilities (years ±5, areas ×0.8-1.2), seed 0."""
    rng = np.random.default_rng(0)
    out = []
    for k in range(10):
        c = f[["facility_id", "building_id", "category", "floor_area_m2", "year_built"]].copy()
        jit = rng.integers(-5, 6, size=c["building_id"].nunique())
        by_b = dict(zip(sorted(c["building_id"].unique()), jit))
        c["year_built"] = np.clip(c["year_built"] + c["building_id"].map(by_b), 1950, 2012).astype(int)
        c["floor_area_m2"] = (c["floor_area_m2"] * rng.uniform(0.8, 1.2, size=len(c))).round(1)
        c["facility_id"] = c["facility_id"] + f"#{k}"
        c["building_id"] = c["building_id"] + f"#{k}"
        out.append(c)
    import pandas as pd

    return pd.concat(out, ignore_index=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--figures", type=Path, default=None, help="write schedule PNGs for the docs here")
    ap.add_argument("--time-limit", type=float, default=120.0)
    a = ap.parse_args()
    f = fo.load_nerima().facilities
    stock = stock_buildings(
        read_stock_table(ROOT / "geodata/nerima/stock_2013.csv"),
        load_age_profile(ROOT / "models/nerima_age_profile.yaml"),
    )
    base = default_schedule_params()
    no_hard = base.model_copy(
        update={
            "windows": {k: Window(early_years=w.early_years, late_years=w.late_years) for k, w in base.windows.items()}
        }
    )
    opts = SolverOptions(gap_rel=1e-3, time_limit=a.time_limit)
    cases = [
        ("nerima271", f, "cap 52", dict(budget=HIST, params=base)),
        ("nerima271", f, "cap 52, no hard limits", dict(budget=HIST, params=no_hard)),
        ("nerima271", f, "min level budget", dict(min_budget=True, params=base)),
        ("stock674", stock, "cap 52", dict(budget=HIST, params=base)),
        ("stock674", stock, "cap 52, no hard limits", dict(budget=HIST, params=no_hard)),
        ("stock674", stock, "min level budget", dict(min_budget=True, params=base)),
        ("synthetic10x", None, "cap 520, no hard limits", dict(budget=10 * HIST, params=no_hard)),
        ("synthetic10x", None, "min level budget", dict(min_budget=True, params=base)),
    ]
    syn = None
    rows = []
    for name, fac, label, kw in cases:
        if fac is None:
            syn = syn if syn is not None else synthetic_10x(f)
            fac = syn
        t0 = time.perf_counter()
        row = {
            "case": name,
            "run": label,
            "facilities": int(len(fac)),
            "floor_area_m2": round(float(fac["floor_area_m2"].sum())),
        }
        try:
            r = schedule_renewals(fac, start_year=2016, options=opts, **kw)
        except InfeasibleError as exc:
            row.update(
                status="infeasible",
                seconds=round(time.perf_counter() - t0, 2),
                message=str(exc).splitlines()[0],
                reasons=exc.reasons[:5],
            )
        except SolverError as exc:
            row.update(status="no_solution", seconds=round(time.perf_counter() - t0, 2), message=str(exc))
        else:
            s = r.summary
            row.update(
                status=r.info.status,
                seconds=round(time.perf_counter() - t0, 2),
                build_seconds=round(r.info.build_seconds, 2),
                solve_seconds=round(r.info.solve_seconds, 2),
                gap=None if r.info.gap is None else round(r.info.gap, 5),
                level_gap=r.info.extra.get("level_gap"),
                check_violations=len(check_schedule(r)),
                **{
                    k: s[k]
                    for k in (
                        "buildings",
                        "events",
                        "cohorts",
                        "level_budget_yen",
                        "mean_cap_yen",
                        "unlevelled_peak_yen",
                        "spend_peak_yen",
                        "spend_in_horizon_yen",
                        "unlevelled_in_horizon_yen",
                        "total_cost_yen",
                        "penalty_yen",
                        "buildings_delayed_by_schedule",
                        "events_delayed_by_schedule",
                        "buildings_past_due",
                        "events_deferred",
                        "buildings_deferred",
                        "max_delay_years",
                        "mean_added_delay_years",
                        "mean_delay_years_of_late",
                        "delay_histogram",
                    )
                },
            )
            if a.figures is not None and name != "synthetic10x":
                fig = plot_schedule(r)
                slug = f"schedule_{name}_{'min' if 'min' in label else 'cap52'}.png"
                if "no hard" in label or "min" in label:
                    atomic_write_with(a.figures / slug, lambda t: fig.savefig(t, dpi=100, format="png"), suffix=".png")  # noqa: B023
        rows.append(row)
        lvl = row.get("level_budget_yen")
        print(
            f"{name:13s} {label:26s} {row['status']:10s} {row['seconds']:8.1f}s gap={row.get('gap')} "
            f"level={'' if not lvl else f'{lvl / 1e8:.1f}'} delayed={row.get('buildings_delayed_by_schedule')} "
            f"deferred={row.get('events_deferred')} maxdelay={row.get('max_delay_years')}",
            flush=True,
        )
    res = {
        "machine": {"python": platform.python_version(), "cpu_count": __import__("os").cpu_count()},
        "time_limit_s": a.time_limit,
        "gap_rel": 1e-3,
        "cases": rows,
    }
    out = ROOT / "benchmarks" / "results" / "schedule.json"
    atomic_write_text(out, json.dumps(res, ensure_ascii=False, indent=1, default=float) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
