"""What a planner reads from a sweep: decision shares, distributions, the robust core, what flips decisions.

Only variants with a usable plan (``status == "ok"``) count; infeasible, failed and flagged ones
(time limit, failed check) are listed in ``variants.csv`` and counted in ``summary.json``.

* ``decisions.csv``: per facility and decision (keep, close, rebuild, convert, host, new), the number
  and share of variants that take it and in which years (``2028:31;2033:9``: year and variants);
* ``distributions.csv``: P10, P50, P90 (and mean, min, max) of each plan figure across variants;
* ``robust_core.csv``: the decisions taken in at least ``robust_share`` (default 80 %) of variants;
* ``flips.csv``: for each unstable decision (share between 1 − robust_share and robust_share), every
  sampled input ranked by the absolute point-biserial correlation between the input and taking the
  decision (scipy.stats.pointbiserialr); grid knobs, scenarios and projections enter as 0/1
  indicators of each value;
* ``variants.csv``, ``summary.json`` and ``sweep.html`` (one self-contained page).

Every figure is rounded (yen to the yen, shares and correlations to 1e-6) and every table sorted,
so the files are byte-identical for the same results.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..atomic import atomic_write_text
from .spec import SweepSpec, Variant

__all__ = ["Summary", "summarise", "write_summary", "unstable_since", "METRICS", "SUMMARY_FILES"]

#: plan figures whose distribution is reported (yen unless named otherwise)
METRICS = (
    "cost_after_yen",
    "saving_yen",
    "saving_share",
    "floor_reduction",
    "closures",
    "new_buildings",
    "capital_spend_yen",
)
SUMMARY_FILES = (
    "variants.csv",
    "decisions.csv",
    "distributions.csv",
    "robust_core.csv",
    "flips.csv",
    "summary.json",
    "sweep.html",
)
_DEC = 6


@dataclass
class Summary:
    """The summary tables of a sweep (the files hold the same)."""

    n: int
    seed: int
    robust_share: float
    variants: pd.DataFrame
    decisions: pd.DataFrame
    distributions: pd.DataFrame
    robust_core: pd.DataFrame
    flips: pd.DataFrame
    counts: dict

    def to_dict(self) -> dict:
        unstable = self.decisions[self.decisions["stability"] == "unstable"]
        top = (
            self.flips[self.flips["rank"] == 1].set_index(["facility_id", "decision"])["input"]
            if len(self.flips)
            else pd.Series(dtype=str)
        )
        return {
            "n": self.n,
            "seed": self.seed,
            "robust_share": self.robust_share,
            "counts": self.counts,
            "distributions": self.distributions.to_dict("records"),
            "robust_core": self.robust_core[["facility_id", "name", "decision", "share"]].to_dict("records"),
            "unstable": [
                {
                    "facility_id": r.facility_id,
                    "name": r.name,
                    "decision": r.decision,
                    "share": r.share,
                    "top_input": top.get((r.facility_id, r.decision)),
                }
                for r in unstable.itertuples()
            ],
        }


def _variant_table(spec: SweepSpec, variants: list[Variant], keys: list[str], results: list[dict]) -> pd.DataFrame:
    rows = []
    for v, k, r in zip(variants, keys, results):
        row = {
            "variant": v.index,
            "key": k[:16],
            "scenario": v.scenario or "",
            "projection": v.projection or "",
            **{f"policy.{p}": json.dumps(x) if isinstance(x, (list, dict)) else x for p, x in v.policy.items()},
            **v.factors,
            "status": r["status"],
            "stop": r["stop"] or "",
            "gap": r["gap"],
            **{m: r["kpis"].get(m) for m in METRICS},
            "message": r.get("message", ""),
        }
        rows.append(row)
    return pd.DataFrame(rows)


def _inputs(spec: SweepSpec, table: pd.DataFrame) -> pd.DataFrame:
    """The sampled inputs as numbers: factors as drawn, categorical knobs as 0/1 per value."""
    cols = {}
    for name in spec.factor_names():
        cols[name] = table[name].astype(float)
    cat = [c for c in table.columns if c.startswith("policy.")] + ["scenario", "projection"]
    for c in cat:
        vals = table[c]
        if vals.nunique() < 2:
            continue
        if pd.api.types.is_numeric_dtype(vals) and not pd.api.types.is_bool_dtype(vals):
            cols[c] = vals.astype(float)
            continue
        for x in sorted(vals.astype(str).unique()):
            cols[f"{c}={x}"] = (vals.astype(str) == x).astype(float)
    return pd.DataFrame(cols, index=table.index)


def _flips(spec: SweepSpec, ok: pd.DataFrame, taken: pd.DataFrame, unstable: pd.DataFrame) -> pd.DataFrame:
    from scipy.stats import pointbiserialr

    cols = ["facility_id", "decision", "share", "rank", "input", "correlation", "p_value", "taken_when"]
    if unstable.empty or len(ok) < 3:
        return pd.DataFrame(columns=cols)
    X = _inputs(spec, ok)
    rows = []
    for r in unstable.itertuples(index=False):
        y = (
            ok["variant"]
            .isin(taken.loc[(taken["facility_id"] == r.facility_id) & (taken["decision"] == r.decision), "variant"])
            .astype(float)
            .to_numpy()
        )
        found = []
        for name in X.columns:
            x = X[name].to_numpy()
            if np.ptp(x) == 0 or np.ptp(y) == 0:
                continue
            res = pointbiserialr(y, x)
            corr, p = float(res.statistic), float(res.pvalue)
            if np.isfinite(corr):
                found.append((name, round(corr, _DEC), round(p, _DEC)))
        found.sort(key=lambda t: (-abs(t[1]), t[0]))
        for i, (name, corr, p) in enumerate(found, start=1):
            rows.append(
                {
                    "facility_id": r.facility_id,
                    "decision": r.decision,
                    "share": r.share,
                    "rank": i,
                    "input": name,
                    "correlation": corr,
                    "p_value": p,
                    "taken_when": "higher" if corr > 0 else "lower",
                }
            )
    return pd.DataFrame(rows, columns=cols)


def summarise(
    spec: SweepSpec, variants: list[Variant], keys: list[str], results: list[dict], *, n: int, seed: int
) -> Summary:
    """The summary tables of a sweep's results (in variant order)."""
    table = _variant_table(spec, variants, keys, results)
    ok_mask = table["status"].eq("ok")
    ok = table[ok_mask].reset_index(drop=True)
    n_ok = len(ok)
    taken = pd.DataFrame(
        [
            (v.index, fid, name, dec, year)
            for v, r in zip(variants, results)
            if r["status"] == "ok"
            for fid, name, dec, year in r["decisions"]
        ],
        columns=["variant", "facility_id", "name", "decision", "year"],
    )
    rs = spec.robust_share
    if len(taken):
        g = taken.groupby(["facility_id", "decision"], sort=True)
        dec = g.agg(name=("name", "first"), variants=("variant", "nunique")).reset_index()
        dec["share"] = (dec["variants"] / n_ok).round(_DEC)
        years = (
            taken.dropna(subset=["year"])
            .astype({"year": int})
            .groupby(["facility_id", "decision", "year"])
            .size()
            .reset_index(name="k")
        )
        ytxt = years.groupby(["facility_id", "decision"]).apply(
            lambda d: ";".join(f"{y}:{k}" for y, k in zip(d["year"], d["k"])), include_groups=False
        )
        dec["years"] = [ytxt.get((f, d), "") for f, d in zip(dec["facility_id"], dec["decision"])]
        modal = years.sort_values(["facility_id", "decision", "k", "year"], ascending=[True, True, False, True])
        modal = modal.drop_duplicates(["facility_id", "decision"]).set_index(["facility_id", "decision"])["year"]
        dec["modal_year"] = [modal.get((f, d)) for f, d in zip(dec["facility_id"], dec["decision"])]
        dec["modal_year"] = dec["modal_year"].astype("Int64")
        dec["stability"] = np.where(dec["share"] >= rs, "robust", np.where(dec["share"] > 1 - rs, "unstable", "rare"))
        dec = dec[["facility_id", "name", "decision", "variants", "share", "years", "modal_year", "stability"]]
    else:
        dec = pd.DataFrame(
            columns=["facility_id", "name", "decision", "variants", "share", "years", "modal_year", "stability"]
        )
    dist_rows = []
    for m in METRICS:
        x = ok[m].dropna().astype(float).to_numpy() if n_ok else np.zeros(0)
        if len(x) == 0:
            continue
        q = np.percentile(x, [10, 50, 90])
        dist_rows.append(
            {
                "metric": m,
                "variants": len(x),
                "mean": x.mean(),
                "p10": q[0],
                "p50": q[1],
                "p90": q[2],
                "min": x.min(),
                "max": x.max(),
            }
        )
    dist = pd.DataFrame(dist_rows, columns=["metric", "variants", "mean", "p10", "p50", "p90", "min", "max"])
    for c in ("mean", "p10", "p50", "p90", "min", "max"):
        dist[c] = [round(float(v), 0 if "yen" in m else _DEC) for v, m in zip(dist[c], dist["metric"])]
    core = dec[dec["stability"] == "robust"].reset_index(drop=True)
    flips = _flips(spec, ok, taken, dec[dec["stability"] == "unstable"])
    counts = {
        "variants": n,
        "ok": n_ok,
        **{s: int(table["status"].eq(s).sum()) for s in ("infeasible", "flagged", "error")},
        "stops": {k: int(v) for k, v in sorted(table["stop"].value_counts().items())},
        "robust_decisions": int(len(core)),
        "unstable_decisions": int((dec["stability"] == "unstable").sum()),
    }
    return Summary(
        n=n,
        seed=seed,
        robust_share=rs,
        variants=table,
        decisions=dec.reset_index(drop=True),
        distributions=dist,
        robust_core=core,
        flips=flips,
        counts=counts,
    )


def _csv(df: pd.DataFrame) -> str:
    return df.to_csv(index=False, lineterminator="\n", float_format="%.6f")


def write_summary(summary: Summary, out: str | Path, title: str = "Sweep") -> list[Path]:
    """Write the summary files (each atomically) into ``out``; returns their paths."""
    out = Path(out)
    files = {
        "variants.csv": _csv(summary.variants),
        "decisions.csv": _csv(summary.decisions),
        "distributions.csv": _csv(summary.distributions),
        "robust_core.csv": _csv(summary.robust_core),
        "flips.csv": _csv(summary.flips),
        "summary.json": json.dumps(
            summary.to_dict(), ensure_ascii=False, indent=1, sort_keys=True, default=_json_default
        )
        + "\n",
        "sweep.html": sweep_page(summary, title),
    }
    return [atomic_write_text(out / name, text) for name, text in files.items()]


def _json_default(x):
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.floating,)):
        return float(x)
    if x is pd.NA:
        return None
    raise TypeError(type(x).__name__)


def _table(df: pd.DataFrame, cols: list[str], fmt: dict | None = None) -> str:
    fmt = fmt or {}
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = []
    for r in df[cols].itertuples(index=False):
        cells = []
        for c, v in zip(cols, r):
            text = (
                ""
                if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA
                else (fmt[c](v) if c in fmt else str(v))
            )
            cells.append(f"<td>{html.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _yen(x) -> str:
    from ..portfolio import format_yen

    return format_yen(float(x))


def sweep_page(summary: Summary, title: str = "Sweep") -> str:
    """One self-contained HTML page: headline counts, distributions, robust core, unstable decisions."""
    c = summary.counts
    pct = lambda v: f"{100 * float(v):.0f} %"  # noqa: E731
    dist = summary.distributions.copy()
    money = {k: _yen for k in ("mean", "p10", "p50", "p90", "min", "max")}
    dist_html = "".join(
        _table(
            dist[dist["metric"] == m],
            ["metric", "variants", "p10", "p50", "p90", "mean", "min", "max"],
            money if m.endswith("_yen") else None,
        ).replace("<table>", "<table class='d'>")
        for m in dist["metric"]
    )
    changes = summary.robust_core[summary.robust_core["decision"] != "keep"]
    unstable = summary.decisions[summary.decisions["stability"] == "unstable"]
    top = summary.flips[summary.flips["rank"] <= 3]
    why = (
        top.groupby(["facility_id", "decision"]).apply(
            lambda d: "; ".join(
                f"{i} ({'+' if r > 0 else '−'}{abs(r):.2f})" for i, r in zip(d["input"], d["correlation"])
            ),
            include_groups=False,
        )
        if len(top)
        else pd.Series(dtype=str)
    )
    unstable = unstable.assign(
        flipped_by=[why.get((f, d), "") for f, d in zip(unstable["facility_id"], unstable["decision"])]
    )
    flagged = summary.variants[summary.variants["status"] != "ok"]
    css = (
        "body{font-family:sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse;margin:.5em 0 1.5em}"
        "td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}th{background:#eee}"
        "table.d{display:inline-table;margin-right:1em}"
    )
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{css}</style></head><body><h1>{html.escape(title)}</h1>",
        f"<p>{c['variants']} variants (seed {summary.seed}): {c['ok']} planned, {c['infeasible']} infeasible, "
        f"{c['flagged']} flagged (time limit or failed check), {c['error']} failed. Shares count planned variants "
        f"only. A decision taken in at least {pct(summary.robust_share)} of them is <b>robust</b>; one taken in "
        f"between {pct(1 - summary.robust_share)} and {pct(summary.robust_share)} is <b>unstable</b>.</p>",
        "<h2>Cost and saving across variants</h2>",
        dist_html,
        f"<h2>Robust changes ({len(changes)})</h2>",
        _table(changes, ["facility_id", "name", "decision", "share", "years"], {"share": pct}),
        f"<h2>Unstable decisions ({len(unstable)})</h2><p>The inputs that flip each one, by the point-biserial "
        "correlation between the input and taking the decision (+: taken when the input is higher).</p>",
        _table(unstable, ["facility_id", "name", "decision", "share", "years", "flipped_by"], {"share": pct}),
        f"<h2>Variants not counted ({len(flagged)})</h2>",
        _table(flagged, ["variant", "status", "stop", "message"]),
        "<h2>Every decision</h2>",
        _table(summary.decisions, ["facility_id", "name", "decision", "share", "years", "stability"], {"share": pct}),
        "</body></html>\n",
    ]
    return "".join(parts)


def unstable_since(previous: str | Path, current: str | Path) -> pd.DataFrame:
    """Decisions robust (or rare) in the previous sweep's ``decisions.csv`` and unstable in the current one.

    Returns facility_id, name, decision, share_before, share_after, stability_before (a decision absent
    before counts as rare, share 0).
    """
    cols = ["facility_id", "name", "decision", "share_before", "share_after", "stability_before"]
    prev_file, cur_file = Path(previous) / "decisions.csv", Path(current) / "decisions.csv"
    if not prev_file.is_file() or not cur_file.is_file():
        return pd.DataFrame(columns=cols)
    a = pd.read_csv(prev_file, dtype={"facility_id": str}, keep_default_na=False)
    b = pd.read_csv(cur_file, dtype={"facility_id": str}, keep_default_na=False)
    m = b[b["stability"] == "unstable"].merge(
        a[["facility_id", "decision", "share", "stability"]],
        on=["facility_id", "decision"],
        how="left",
        suffixes=("", "_before"),
    )
    m["share_before"] = m["share_before"].replace("", np.nan).astype(float).fillna(0.0)
    m["stability_before"] = m["stability_before"].fillna("rare").replace("", "rare")
    m = m[m["stability_before"] != "unstable"].rename(columns={"share": "share_after"})
    return m[cols].sort_values(["facility_id", "decision"]).reset_index(drop=True)
