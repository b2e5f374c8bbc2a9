"""Ward-scale check of the renewal-cost model: Nerima's 2013 stock table vs the ward's 6,450億円.

Run from the repository root:  python docs/scripts/nerima_renewal_check.py [path/to/stock.csv]
Prints the figures quoted in docs/renewal_costs.md and writes docs/img/nerima_renewal_cliff.png.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from facility_opt.catalogue import default_catalogue
from facility_opt.renewal import (
    BacklogRule,
    default_renewal_params,
    load_age_profile,
    plot_renewal_cliff,
    project_stock,
    read_stock_table,
)
from facility_opt.renewal.calibration import calibrate_renewal
from facility_opt.resources import models_dir
from facility_opt.units import OKU_YEN

ROOT = Path(__file__).resolve().parents[2]
WARD_FIGURE_OKU = 6450.0
START = 2016  # the plan (区政改革計画 素案, May 2016) speaks of "今後30年間"


def oku(x: float) -> str:
    return f"{x / OKU_YEN:,.1f}"


def main() -> None:
    csv = (
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else ROOT / "geodata" / "nerima" / "raw" / "nerima_facility_stock_2013_by_type.csv"
    )
    stock = read_stock_table(csv)
    profile = load_age_profile(models_dir() / "nerima_age_profile.yaml")
    params = default_renewal_params()
    cat = default_catalogue()
    area = stock["floor_area_m2"].sum()

    base = project_stock(stock, profile, start_year=START, params=params)
    total = base["cost_yen"].sum()
    print(f"floor area {area:,.0f} m2; start {START}; horizon {params.horizon_years} years")
    print(f"nerima_default_total_oku: {total / OKU_YEN:.1f}")
    print(
        f"average per year: {total / OKU_YEN / params.horizon_years:,.1f} oku; "
        f"ratio to ward figure {total / OKU_YEN / WARD_FIGURE_OKU:.3f}"
    )
    print("\nby kind (oku):")
    print((base.groupby("kind")["cost_yen"].sum() / OKU_YEN).round(1).to_string())
    print("\nby stock type (oku):")
    print((base.groupby("stock_type")["cost_yen"].sum() / OKU_YEN).round(1).sort_values(ascending=False).to_string())

    units = params.active.unit_costs_man_yen_per_m2
    per_m2 = stock["category"].map(
        lambda c: units[cat.categories[c].cost_class].renovation + units[cat.categories[c].cost_class].rebuild
    )
    upper = float((stock["floor_area_m2"] * per_m2).sum() * 1e4)
    print(f"\nupper bound, every m2 renovated AND rebuilt within 30 years: {oku(upper)} oku")
    print(
        f"ward figure per m2 over 30 years: {WARD_FIGURE_OKU * OKU_YEN / area / 1e4:,.1f} man-yen/m2; "
        f"default unit costs renovation+rebuild, area-weighted: {upper / area / 1e4:,.1f} man-yen/m2"
    )

    rows = [("default (profile, 総務省 rules)", total)]
    old = pd.DataFrame({"from_year": [1965], "to_year": [1984], "share": [1.0]})
    rows.append(("all floor area built 1965-1984", project_stock(stock, old, start_year=START)["cost_yen"].sum()))
    rows.append(("start year 2017", project_stock(stock, profile, start_year=2017)["cost_yen"].sum()))
    rows.append(
        (
            "backlog all in first year",
            project_stock(
                stock, profile, start_year=START, params=params.with_changes(backlog=BacklogRule(rule="first_year"))
            )["cost_yen"].sum(),
        )
    )
    rows.append(
        (
            "+ demolition 3 man-yen/m2",
            project_stock(stock, profile, start_year=START, params=params.with_changes(demolition_man_yen_per_m2=3.0))[
                "cost_yen"
            ].sum(),
        )
    )
    rows.append(
        (
            "long-life policy (80 years)",
            project_stock(stock, profile, start_year=START, params=params.with_preset("long_life"))["cost_yen"].sum(),
        )
    )
    print("\nsensitivity (oku, share of 6,450):")
    for name, v in rows:
        print(f"  {name:40s} {oku(v):>10s}  {v / OKU_YEN / WARD_FIGURE_OKU:6.3f}")
    print(
        f"\nunit-cost multiplier that reproduces 6,450 with the default profile: {WARD_FIGURE_OKU * OKU_YEN / total:.3f}"
    )

    # every preset: its total, the most renewal-heavy profile, and its calibration (docs/renewal_costs.md)
    print(
        "\n| preset | total at the preset's values | / 6,450 | all built 1965-1984 | rebuild age: elasticity; "
        "nearest total within its bounds | unit-cost factor for 6,450 | shipped calibrated preset: total |"
    )
    print("|---|---|---|---|---|---|---|")
    details = {}
    for name in ("soumu", "long_life", "tokyo_ward", "tokyo_ward_60"):
        p = params.with_preset(name)
        cal = calibrate_renewal(stock, profile, params=p, start_year=START, catalogue=cat)
        details[name] = cal
        heavy = project_stock(stock, old, start_year=START, params=p)["cost_yen"].sum()
        reb, fac = cal.fit("rebuild_age"), cal.fit("unit_cost_factor")
        shipped = f"{name}_calibrated"
        if shipped in params.presets:
            t = project_stock(stock, profile, start_year=START, params=params.with_preset(shipped))["cost_yen"].sum()
            ship = f"`{shipped}` (× {params.presets[shipped].unit_cost_factor}): {oku(t)} ({t / OKU_YEN / WARD_FIGURE_OKU:.3f})"
        else:
            ship = "-"
        print(
            f"| `{name}` | {oku(cal.base_total_yen)} | {cal.base_total_yen / cal.target_yen:.3f} | {oku(heavy)} | "
            f"{reb.elasticity:+.2f}; {reb.lower:.0f}-{reb.upper:.0f}: at most {oku(reb.max_total_yen)} "
            f"({reb.max_total_yen / cal.target_yen:.3f}) | {fac.value:.3f} | {ship} |"
        )
    # the most any age profile can give under each preset: every type at its costliest construction year
    print("\nupper bound over every age profile (each type built in its costliest year 1900-2015), oku:")
    for name in ("soumu", "long_life", "tokyo_ward", "tokyo_ward_60"):
        p = params.with_preset(name)
        by_year = pd.concat(
            [
                project_stock(
                    stock, pd.DataFrame({"from_year": [y], "to_year": [y], "share": [1.0]}), start_year=START, params=p
                )
                .groupby("stock_type")["cost_yen"]
                .sum()
                .rename(y)
                for y in range(1900, 2016)
            ],
            axis=1,
        ).fillna(0.0)
        bound = float(by_year.max(axis=1).sum())
        print(f"  {name:15s} {oku(bound):>10s}  {bound / OKU_YEN / WARD_FIGURE_OKU:6.3f}")
    print("\ntokyo_ward, every parameter:")
    print(details["tokyo_ward"].to_frame().round(4).to_string(index=False))

    fig = plot_renewal_cliff(
        base,
        by="kind",
        title=f"Nerima 2013 stock, 総務省 default: {total / OKU_YEN:,.0f} oku-yen over 30 years".replace(
            "総務省", "MIC"
        ),
    )
    out = ROOT / "docs" / "img" / "nerima_renewal_cliff.png"
    tmp = out.with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=90)
    tmp.replace(out)
    print(f"\nwrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
