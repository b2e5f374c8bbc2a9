"""facility_opt vs pysal/spopt, side by side on the same OR-Library p-median instances, in one run.

spopt needs PuLP 3 (its code uses the pre-4 API), so it runs in its own virtual environment
(created here on first use: ``python3.11 -m venv .venv-spopt && pip install spopt highspy``)
in a subprocess. Both sides get the same cost matrix (the shortest-path matrix facility_opt reads,
handed over as a .npy file) and are timed around model build + solve only (file reading excluded).
Writes ``results/vs_spopt.json`` and ``results/vs_spopt.md``.

    .venv/bin/python benchmarks/bench_vs_spopt.py --only 1-10 [--solver highs|cbc]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_locate import BENCH, parse_range, write_atomic  # noqa: E402

from facility_opt.locate import PMedian, read_orlib  # noqa: E402
from facility_opt.solver import SolverOptions  # noqa: E402

SPOPT_VENV = Path(os.environ.get("SPOPT_VENV", Path(__file__).resolve().parents[1] / ".venv-spopt"))
PY311 = os.environ.get("SPOPT_PYTHON", "/root/.pyenv/versions/3.11.7/bin/python3")

SPOPT_RUNNER = r"""
import json, sys, time, numpy as np, pulp
from spopt.locate import PMedian
cost = np.load(sys.argv[1]); p = int(sys.argv[2]); solver = sys.argv[3]
t0 = time.perf_counter()
model = PMedian.from_cost_matrix(cost, np.ones(cost.shape[0]), p_facilities=p)
t1 = time.perf_counter()
s = pulp.HiGHS(msg=False) if solver == "highs" else pulp.PULP_CBC_CMD(msg=False)
model = model.solve(s)
t2 = time.perf_counter()
print(json.dumps({"objective": pulp.value(model.problem.objective), "status": pulp.LpStatus[model.problem.status],
                  "build_seconds": t1 - t0, "solve_seconds": t2 - t1, "total_seconds": t2 - t0}))
"""


def ensure_spopt() -> Path:
    py = SPOPT_VENV / "bin" / "python"
    if py.exists() and subprocess.run([str(py), "-c", "import spopt, highspy"], capture_output=True).returncode == 0:
        return py
    print(f"creating {SPOPT_VENV} with spopt (PuLP 3) ...", flush=True)
    subprocess.run([PY311, "-m", "venv", str(SPOPT_VENV)], check=True)
    subprocess.run([str(py), "-m", "pip", "install", "-q", "spopt", "highspy"], check=True)
    return py


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default="1-10", help="pmed numbers, e.g. 1-10")
    ap.add_argument("--solver", default="highs", choices=["highs", "cbc"])
    ap.add_argument("--tag", default="")
    args = ap.parse_args()
    py = ensure_spopt()
    ver = subprocess.run(
        [str(py), "-c", "import spopt, pulp; print(spopt.__version__, pulp.__version__)"],
        capture_output=True,
        text=True,
    ).stdout.split()
    opt = pd.read_csv(BENCH / "pmed" / "pmed_opt.csv").set_index("instance")["optimal"]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in parse_range(args.only, list(range(1, 11))):
            inst = read_orlib(BENCH / "pmed" / f"pmed{k}.txt")
            npy = Path(tmp) / f"pmed{k}.npy"
            np.save(npy, np.asarray(inst.problem.cost))
            r = subprocess.run(
                [str(py), "-c", SPOPT_RUNNER, str(npy), str(inst.p), args.solver], capture_output=True, text=True
            )
            if r.returncode != 0:
                raise SystemExit(f"spopt failed on pmed{k}:\n{r.stderr[-2000:]}")
            sp = json.loads(r.stdout.strip().splitlines()[-1])
            t0 = time.perf_counter()
            res = PMedian(inst.p, options=SolverOptions(solver=args.solver)).solve(inst.problem)
            fo = time.perf_counter() - t0
            row = {
                "instance": f"pmed{k}",
                "n": inst.problem.n_demand,
                "p": inst.p,
                "published": int(opt[f"pmed{k}"]),
                "spopt_objective": sp["objective"],
                "spopt_status": sp["status"],
                "spopt_seconds": round(sp["total_seconds"], 3),
                "spopt_build_seconds": round(sp["build_seconds"], 3),
                "fo_objective": res.objective,
                "fo_status": res.status,
                "fo_seconds": round(fo, 3),
                "fo_build_seconds": round(res.info.build_seconds, 3),
                "ratio": round(sp["total_seconds"] / fo, 1),
            }
            rows.append(row)
            print(
                f"pmed{k:<3d} spopt {sp['objective']:>8.0f} {sp['total_seconds']:8.2f}s | facility_opt "
                f"{res.objective:>8.0f} {fo:7.2f}s | published {row['published']} | x{row['ratio']}",
                flush=True,
            )
    tot_sp = sum(r["spopt_seconds"] for r in rows)
    tot_fo = sum(r["fo_seconds"] for r in rows)
    meta = {
        "solver": args.solver,
        "spopt": ver[0] if ver else "?",
        "spopt_pulp": ver[1] if len(ver) > 1 else "?",
        "spopt_total_seconds": round(tot_sp, 2),
        "fo_total_seconds": round(tot_fo, 2),
        "ratio_total": round(tot_sp / tot_fo, 1),
        "cpu_count": os.cpu_count(),
    }
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    name = f"vs_spopt_{args.solver}{('_' + args.tag) if args.tag else ''}"
    write_atomic(out / f"{name}.json", json.dumps({"meta": meta, "rows": rows}, indent=1) + "\n")
    lines = [
        f"# facility_opt vs spopt {meta['spopt']} (PuLP {meta['spopt_pulp']}), solver {args.solver}",
        "",
        f"Total: spopt {tot_sp:.1f} s, facility_opt {tot_fo:.1f} s, ratio {meta['ratio_total']}x",
        "",
        "| instance | n | p | published | spopt obj | spopt s | facility_opt obj | facility_opt s | ratio |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['instance']} | {r['n']} | {r['p']} | {r['published']} | {r['spopt_objective']:.0f} | "
            f"{r['spopt_seconds']:.2f} | {r['fo_objective']:.0f} | {r['fo_seconds']:.2f} | {r['ratio']} |"
        )
    write_atomic(out / f"{name}.md", "\n".join(lines) + "\n")
    print(f"total spopt {tot_sp:.1f} s, facility_opt {tot_fo:.1f} s, ratio {meta['ratio_total']}x")


if __name__ == "__main__":
    main()
