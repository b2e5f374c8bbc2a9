"""Benchmark: a sweep serially and on a 2-worker local Dask cluster (issue 14).

Run::

    python benchmarks/bench_sweep.py --n 20 --out benchmarks/results/sweep_register   # the register sample
    python benchmarks/bench_sweep.py --model models/nerima.yaml --data "" --n 2 --out benchmarks/results/sweep_nerima

Each run starts from an empty cache.  Figures (JSON and a markdown table):

* ``wall_serial_s``, ``wall_parallel_s``: the whole ``sweep()`` call (the parallel one includes starting the
  local cluster, ``cluster_start_s`` measured apart), and ``speedup`` = serial / parallel;
* ``solve_s``: per variant, the time in the variant function (from the cache entries), sum and median;
* ``overhead_per_variant_s``: serial: (wall − Σ solve) / n; parallel: (workers × wall − Σ solve) / n, the
  worker time not spent solving (cluster start, scattering the problem, transfers, idle workers at the end);
* ``cpu_s``: per variant, the CPU time of the variant function (HiGHS runs in its thread): what a variant
  costs whatever else the machine runs; ``speedup_uncontended_estimate`` = Σ CPU serial / (Σ CPU parallel /
  workers + the parallel run's measured non-solving time): the speedup on cores not shared with other work;
* ``worker_max_rss_mb``: the largest peak memory of a worker process;
* ``identical_summaries``: whether the two runs wrote byte-identical summary files.

The machine load (``os.getloadavg``) is recorded before and after: the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from facility_opt.atomic import atomic_write_text
from facility_opt.planning import load_planning_model
from facility_opt.robust import sweep
from facility_opt.robust.aggregate import SUMMARY_FILES

ROOT = Path(__file__).resolve().parents[1]


def _solve_seconds(cache: Path, what: str = "seconds") -> list[float]:
    return [json.loads(p.read_text())["result"].get(what, float("nan")) for p in sorted(cache.glob("*.json"))]


def run(model_path: Path, data: str | None, n: int, seed: int, workers: int) -> dict:
    from distributed import Client, LocalCluster

    m = load_planning_model(model_path)
    if data:
        m = m.with_data(data)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        serial = sweep(m, n=n, seed=seed, serial=True, out=tmp / "serial")
        wall_serial = time.perf_counter() - t0
        t0 = time.perf_counter()
        with (
            LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster,
            Client(cluster) as client,
        ):
            client.wait_for_workers(workers)
            cluster_start = time.perf_counter() - t0
            par = sweep(m, n=n, seed=seed, client=client, out=tmp / "parallel")
        wall_par = time.perf_counter() - t0
        s_serial, s_par = _solve_seconds(tmp / "serial" / "cache"), _solve_seconds(tmp / "parallel" / "cache")
        cpu_serial, cpu_par = (
            _solve_seconds(tmp / "serial" / "cache", "cpu_seconds"),
            _solve_seconds(tmp / "parallel" / "cache", "cpu_seconds"),
        )
        rss = _solve_seconds(tmp / "parallel" / "cache", "max_rss_mb")
        same = all((tmp / "serial" / f).read_bytes() == (tmp / "parallel" / f).read_bytes() for f in SUMMARY_FILES)
        counts = serial.summary.counts
    return {
        "model": str(model_path.relative_to(ROOT)) if model_path.is_relative_to(ROOT) else str(model_path),
        "data": str(Path(data).resolve().relative_to(ROOT))
        if data and Path(data).resolve().is_relative_to(ROOT)
        else (data or m.data),
        "n": n,
        "seed": seed,
        "workers": workers,
        "cpu_count": os.cpu_count(),
        "wall_serial_s": round(wall_serial, 2),
        "wall_parallel_s": round(wall_par, 2),
        "cluster_start_s": round(cluster_start, 2),
        "speedup": round(wall_serial / wall_par, 3),
        "solve_s_serial": {"sum": round(sum(s_serial), 2), "median": round(statistics.median(s_serial), 2)},
        "solve_s_parallel": {"sum": round(sum(s_par), 2), "median": round(statistics.median(s_par), 2)},
        "cpu_s_serial": {"sum": round(sum(cpu_serial), 2), "median": round(statistics.median(cpu_serial), 2)},
        "cpu_s_parallel": {"sum": round(sum(cpu_par), 2), "median": round(statistics.median(cpu_par), 2)},
        "worker_max_rss_mb": max(rss),
        # the speedup the parallel run would show if its workers had their cores to themselves: the CPU work
        # split over the workers plus the measured non-solving time of the parallel run
        "speedup_uncontended_estimate": round(
            sum(cpu_serial)
            / (sum(cpu_par) / workers + cluster_start + max(0.0, wall_par - cluster_start - sum(s_par) / workers)),
            3,
        ),
        "overhead_per_variant_s": {
            "serial": round((wall_serial - sum(s_serial)) / n, 3),
            "parallel": round((workers * wall_par - sum(s_par)) / n, 3),
        },
        "identical_summaries": same,
        "computed": [serial.computed, par.computed],
        "counts": counts,
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "when": time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime()),
    }


def markdown(r: dict) -> str:
    return "\n".join(
        [
            f"# Sweep benchmark: {r['model']} ({r['n']} variants, seed {r['seed']})",
            "",
            f"Measured {r['when']} on a {r['cpu_count']}-core machine shared with other work "
            f"(load {r['load_before'][0]} before, {r['load_after'][0]} after).",
            "",
            "| | serial | 2 workers |",
            "|---|---:|---:|",
            f"| wall time (s) | {r['wall_serial_s']} | {r['wall_parallel_s']} (cluster start {r['cluster_start_s']}) |",
            f"| Σ solve time (s) | {r['solve_s_serial']['sum']} | {r['solve_s_parallel']['sum']} |",
            f"| median solve (s) | {r['solve_s_serial']['median']} | {r['solve_s_parallel']['median']} |",
            f"| overhead per variant (s) | {r['overhead_per_variant_s']['serial']} | "
            f"{r['overhead_per_variant_s']['parallel']} |",
            f"| Σ CPU time in the variants (s) | {r['cpu_s_serial']['sum']} | {r['cpu_s_parallel']['sum']} |",
            f"| median CPU per variant (s) | {r['cpu_s_serial']['median']} | {r['cpu_s_parallel']['median']} |",
            f"| speedup (measured) | 1 | {r['speedup']} |",
            f"| speedup estimate with the cores to themselves | 1 | {r['speedup_uncontended_estimate']} |",
            "",
            f"Peak memory of a worker: {r['worker_max_rss_mb']} MB.",
            "",
            f"Summary files byte-identical serial vs parallel: **{r['identical_summaries']}**; variants planned "
            f"{r['counts']['ok']} of {r['n']}, stops {r['counts']['stops']}.",
            "",
        ]
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=ROOT / "examples" / "register" / "model.yaml")
    ap.add_argument("--data", default=str(ROOT / "examples" / "register"), help="ward data ('' for the model's)")
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--seed", type=int, default=20261130)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "sweep_register")
    a = ap.parse_args()
    r = run(a.model.resolve(), a.data or None, a.n, a.seed, a.workers)
    atomic_write_text(a.out.with_suffix(".json"), json.dumps(r, indent=1, sort_keys=True) + "\n")
    atomic_write_text(a.out.with_suffix(".md"), markdown(r))
    print(markdown(r))


if __name__ == "__main__":
    main()
