"""Showing a fee revision to residents: who pays for one use, and the files a run writes.

:func:`burden_frame` gives, per facility type and unit of use, what one use costs the ward, what
the user pays on average (after reductions and exemptions) and what taxes pay, now and proposed;
:func:`plot_burden` draws it as stacked bars a resident reads at a glance; :func:`write_fee_outputs`
writes ``fee_table.csv``, ``fee_summary.json`` and ``fees.png`` atomically.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from ..atomic import atomic_write_bytes
from .result import FeeResult

__all__ = ["burden_frame", "plot_burden", "write_fee_outputs"]

USER_COLOUR = "#2b7bba"
TAX_COLOUR = "#f0a030"


def _pretty(name: str) -> str:
    return name.replace("_", " ").capitalize()


def burden_frame(result: FeeResult) -> pd.DataFrame:
    """Per facility type and unit: cost of one use, user pays and taxes pay (yen), now and proposed.

    Figures are use-weighted averages over the type's fee lines of the same unit (an hour of a
    large room and of a small room average by their hours of use).
    """
    t = result.table
    t["cost_now"] = t["unit_cost"] * t["current_uses"]
    t["cost_new"] = t["unit_cost"] * t["expected_uses"]
    rows = []
    for (ftype, unit), g in t.groupby(["facility_type", "unit"], sort=True):
        for when, uses, cost, rev in (
            ("now", "current_uses", "cost_now", "current_revenue"),
            ("proposed", "expected_uses", "cost_new", "expected_revenue"),
        ):
            q = float(g[uses].sum())
            per_use_cost = float(g[cost].sum()) / q if q > 0 else 0.0
            user = float(g[rev].sum()) / q if q > 0 else 0.0
            target = float((g["target_share"] * g[cost]).sum() / g[cost].sum()) if float(g[cost].sum()) > 0 else 0.0
            labels = sorted(set(g["unit_label"]))
            rows.append(
                {
                    "facility_type": ftype,
                    "unit": unit,
                    "unit_label": labels[0] if len(labels) == 1 else f"per {unit}",
                    "when": when,
                    "cost_per_use": round(per_use_cost, 2),
                    "user_pays": round(user, 2),
                    "taxes_pay": round(per_use_cost - user, 2),
                    "user_share": round(user / per_use_cost, 4) if per_use_cost > 0 else 0.0,
                    "target_share": round(target, 4),
                }
            )
    return pd.DataFrame(rows)


def plot_burden(result: FeeResult, ax=None):
    """Stacked bars per facility type: one use costs the ward X = the user pays + taxes pay.

    Bars are shown as shares of the cost (so rooms per hour and plots per year read on one scale);
    each bar is labelled with the yen figures.  Returns the matplotlib Axes.
    """
    import matplotlib

    if ax is None:
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    b = burden_frame(result)
    groups = list(dict.fromkeys(zip(b["facility_type"], b["unit"])))
    if ax is None:
        _, ax = plt.subplots(figsize=(11, 1.1 + 1.05 * len(groups)), dpi=110)
    ylabels, ypos = [], []
    y = 0.0
    for ftype, unit in groups:
        g = b[(b["facility_type"] == ftype) & (b["unit"] == unit)].set_index("when")
        for when in ("now", "proposed"):
            r = g.loc[when]
            cost = float(r["cost_per_use"])
            us = float(r["user_share"]) if cost > 0 else 0.0
            ax.barh(y, 100 * us, color=USER_COLOUR, height=0.8, edgecolor="white")
            ax.barh(y, 100 * (1 - us), left=100 * us, color=TAX_COLOUR, height=0.8, edgecolor="white")
            ax.text(
                101,
                y,
                f"one use costs ¥{cost:,.0f}: users pay ¥{r['user_pays']:,.0f}, taxes ¥{r['taxes_pay']:,.0f}",
                va="center",
                fontsize=8.5,
            )
            ylabels.append(f"{_pretty(ftype)} ({r['unit_label']}) - {when}")
            ypos.append(y)
            y += 0.9
        tgt = 100 * float(g.loc["proposed", "target_share"])
        ax.plot([tgt, tgt], [y - 2 * 0.9 - 0.45, y - 0.45], color="black", lw=2, ls=(0, (2, 1)))
        y += 0.6
    ax.set_yticks(ypos, ylabels, fontsize=9)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("share of what one use costs the ward (%)")
    ax.set_title("Who pays for one use of a ward facility: its users (blue) or taxes (orange)", fontsize=11, pad=16)
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    ax.legend(
        handles=[
            Patch(color=USER_COLOUR, label="paid by users (average fee, after reductions and exemptions)"),
            Patch(color=TAX_COLOUR, label="paid by taxes"),
            Line2D([], [], color="black", lw=2, ls=(0, (2, 1)), label="target share for users"),
        ],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.12 if len(groups) > 3 else -0.25),
        ncol=3,
        frameon=False,
    )
    for s in ("top", "right"):
        ax.spines[s].set_visible(False)
    if result.illustrative:
        ax.annotate(
            "ILLUSTRATIVE figures (fees and costs are invented; see the model file)",
            xy=(0, 1.0),
            xycoords="axes fraction",
            xytext=(0, 3),
            textcoords="offset points",
            fontsize=8,
            color="grey",
        )
    return ax


def write_fee_outputs(result: FeeResult, out_dir: str | Path) -> dict[str, Path]:
    """Write ``fee_table.csv``, ``fee_summary.json`` and ``fees.png`` into ``out_dir`` atomically."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"table": result.to_csv(out / "fee_table.csv"), "summary": result.to_json(out / "fee_summary.json")}
    ax = plot_burden(result)
    fig = ax.figure
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    paths["figure"] = atomic_write_bytes(out / "fees.png", buf.getvalue())
    return paths
