"""Start-up time of the command line: ``facility-opt --help`` and ``facility-opt bench`` on pmed1.

Each command runs ``--runs`` times as a fresh process (the installed console script of the
project's .venv); reported are every wall time, their median, and for ``bench`` the part before
solving (wall time minus the instance's read + build + solve seconds from ``--json``). The load
(``uptime``) before and after is recorded: on a shared machine start-up times are inflated.
Writes ``results/startup.json``.

    .venv/bin/python benchmarks/bench_startup.py --runs 5
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_locate import BENCH, uptime, write_atomic  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def timed(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    exe = str(Path(sys.executable).parent / "facility-opt")
    pmed1 = str(BENCH / "pmed" / "pmed1.txt")
    before = uptime()
    timed([exe, "--help"])  # warm the file cache once
    help_s = [timed([exe, "--help"]) for _ in range(args.runs)]
    bench_wall, bench_before_solve = [], []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "b.json"
        for _ in range(args.runs):
            wall = timed([exe, "bench", pmed1, "--json", str(out)])
            rec = json.loads(out.read_text())["records"][0]
            bench_wall.append(wall)
            bench_before_solve.append(wall - rec["total_seconds"])
    res = {
        "uptime_before": before,
        "uptime_after": uptime(),
        "runs": args.runs,
        "help_seconds": [round(x, 3) for x in help_s],
        "help_median": round(statistics.median(help_s), 3),
        "bench_pmed1_seconds": [round(x, 3) for x in bench_wall],
        "bench_pmed1_median": round(statistics.median(bench_wall), 3),
        "bench_pmed1_startup_seconds": [round(x, 3) for x in bench_before_solve],
        "bench_pmed1_startup_median": round(statistics.median(bench_before_solve), 3),
        "note": "startup = wall time minus the instance's read+build+solve seconds; wall-clock on a 2-core "
        "machine shared with other jobs (see uptime)",
    }
    out_dir = REPO / "benchmarks" / "results"
    write_atomic(out_dir / "startup.json", json.dumps(res, indent=1) + "\n")
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
