"""Benchmark: OR-Library p-median (pmed1-40) and warehouse (cap41-134, capa/b/c) instances.

Writes ``results/locate_<suite>.json`` and ``results/locate_<suite>.md`` (per instance: objective,
published optimum, optimal yes/no, status, gap, build and solve seconds; totals).

    .venv/bin/python benchmarks/bench_locate.py pmed            # pmed1-40
    .venv/bin/python benchmarks/bench_locate.py pmed --only 1-10
    .venv/bin/python benchmarks/bench_locate.py ufl cfl         # cap instances
    .venv/bin/python benchmarks/bench_locate.py large           # capa/b/c (UFL + capacity levels)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
BENCH = next((a / "shared" / "bench" for a in REPO.parents if (a / "shared" / "bench").is_dir()), None)

from facility_opt.locate.bench import solve_orlib_file  # noqa: E402
from facility_opt.solver import SolverOptions  # noqa: E402


def write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def parse_range(spec: str | None, default: list[int]) -> list[int]:
    if not spec:
        return default
    out: list[int] = []
    for part in spec.split(","):
        a, _, b = part.partition("-")
        out.extend(range(int(a), int(b or a) + 1))
    return out


def jobs(suite: str, only: str | None) -> list[tuple[str, Path, dict, float]]:
    """(label, file, solve kwargs, published optimum) per instance of a suite."""
    out = []
    if suite == "pmed":
        opt = pd.read_csv(BENCH / "pmed" / "pmed_opt.csv").set_index("instance")["optimal"]
        for k in parse_range(only, list(range(1, 41))):
            out.append((f"pmed{k}", BENCH / "pmed" / f"pmed{k}.txt", {}, float(opt[f"pmed{k}"])))
    elif suite in ("ufl", "cfl"):
        d = BENCH / "orlib_cap"
        name = "uncapopt.txt" if suite == "ufl" else "capopt.txt"
        for line in (d / name).read_text().splitlines():
            if not line.strip():
                continue
            inst, val = line.split()[:2]
            inst = inst.removesuffix(".txt")
            out.append((f"{inst} {suite.upper()}", d / f"{inst}.txt", {"model": suite}, float(val)))
    elif suite == "large":
        d = BENCH / "orlib_cap"
        cap = pd.read_csv(d / "cap_opt.csv")
        for _, r in cap[cap["instance"].str.match(r"cap[abc]")].iterrows():
            f = d / f"{r['instance'][:4]}.txt"
            if r["capacity"] == "UNCAP":
                out.append((f"{r['instance']} UFL", f, {"model": "ufl"}, float(r["uncapacitated_optimal"])))
            else:
                out.append((f"{r['instance']} CFL", f, {"model": "cfl", "capacity": float(r["capacity"])},
                            float(r["capacitated_optimal"])))
    else:
        raise SystemExit(f"unknown suite {suite!r}: pmed, ufl, cfl or large")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("suites", nargs="+")
    ap.add_argument("--only", help="pmed numbers, e.g. 1-10,15")
    ap.add_argument("--match", help="regular expression: keep instances whose label matches")
    ap.add_argument("--solver", default="highs")
    ap.add_argument("--time-limit", type=float, default=None)
    ap.add_argument("--method", default="auto")
    ap.add_argument("--tag", default="", help="suffix for the result file names")
    args = ap.parse_args()
    if BENCH is None:
        raise SystemExit("../shared/bench not found beside the repository")
    opts = SolverOptions(solver=args.solver, time_limit=args.time_limit)
    out_dir = Path(__file__).resolve().parent / "results"
    out_dir.mkdir(exist_ok=True)
    for suite in args.suites:
        records = []
        t0 = time.perf_counter()
        for label, f, kw, published in jobs(suite, args.only):
            if args.match and not re.search(args.match, label):
                continue
            kw = dict(kw)
            if suite == "pmed":
                kw["method"] = args.method
            rec = solve_orlib_file(f, opts, **kw)
            rec["label"] = label
            rec["published"] = published
            rec["optimal_match"] = abs(rec["objective"] - published) <= 0.01 + 1e-9 * abs(published)
            records.append(rec)
            print(f"{label:16s} obj {rec['objective']:<16.10g} published {published:<16.10g} "
                  f"{'OK ' if rec['optimal_match'] else 'MISMATCH'} {rec['status']:8s} "
                  f"build {rec['build_seconds']:7.3f}s solve {rec['solve_seconds']:8.3f}s "
                  f"total {rec['total_seconds']:8.3f}s", flush=True)
        wall = time.perf_counter() - t0
        name = f"locate_{suite}{('_' + args.tag) if args.tag else ''}"
        meta = {"suite": suite, "solver": args.solver, "method": args.method, "wall_seconds": round(wall, 2),
                "n": len(records), "n_optimal_match": sum(r["optimal_match"] for r in records),
                "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"}
        write_atomic(out_dir / f"{name}.json", json.dumps({"meta": meta, "records": records}, indent=1) + "\n")
        lines = [f"# {suite}: {meta['n_optimal_match']}/{meta['n']} at the published optimum, "
                 f"{wall:.1f} s wall ({args.solver}, method {args.method})", "",
                 "| instance | size | objective | published | optimal | status | gap | build s | solve s | total s |",
                 "|---|---|---|---|---|---|---|---|---|---|"]
        for r in records:
            size = f"{r['n_demand']}x{r['n_sites']}" + (f" p={r['p']}" if r["p"] is not None else "")
            lines.append(f"| {r['label']} | {size} | {r['objective']:.10g} | {r['published']:.10g} | "
                         f"{'yes' if r['optimal_match'] else 'NO'} | {r['status']} | "
                         f"{0 if r['gap'] is None else 100 * r['gap']:.4f}% | {r['build_seconds']:.3f} | "
                         f"{r['solve_seconds']:.3f} | {r['total_seconds']:.3f} |")
        tb, ts, tt = (sum(r[k] for r in records) for k in ("build_seconds", "solve_seconds", "total_seconds"))
        lines.append(f"| **total** | | | | | | | {tb:.2f} | {ts:.2f} | {tt:.2f} |")
        write_atomic(out_dir / f"{name}.md", "\n".join(lines) + "\n")
        print(f"{suite}: {meta['n_optimal_match']}/{meta['n']} optimal, {wall:.1f} s -> {out_dir / name}.md")


if __name__ == "__main__":
    main()
