"""Golden fingerprints for the behaviour-unchanged refactor (issue 17).

Run from the repository root:  PYTHONPATH=src python scripts/golden.py OUT.json [--nerima]
It writes, for each case, a sha256 of: the portfolio problem's frames, the built MILP (MPS text:
every variable, row, coefficient and bound, in creation order) and, for the tiny cases, every plan
file written by Plan.to_files. Compare two runs with `diff`. --nerima also fingerprints the Nerima
problem and MILP (build only, ~1-2 min; no solve).
"""

import hashlib
import json
import pathlib
import sys
import tempfile

sys.path.insert(0, "tests")
import pandas as pd


def sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()[:16]


def frames_sha(problem) -> dict:
    out = {}
    for k, v in sorted(vars(problem).items()):
        if isinstance(v, pd.DataFrame):
            out[k] = sha(v.to_csv(lineterminator="\n").encode())
    return out


def mps_sha(problem, **kw) -> str:
    from facility_opt.portfolio.model import build_model

    m = build_model(problem, **kw)
    with tempfile.TemporaryDirectory() as d:
        p = pathlib.Path(d) / "m.lp"
        m.prob.writeLP(str(p)) if hasattr(m, "prob") else m.milp.prob.writeLP(str(p))
        return sha(p.read_bytes())


def tiny_cases() -> dict:
    import portfolio_cases as pc
    from facility_opt.portfolio import optimise_portfolio

    out = {}
    for name in sorted(n for n in dir(pc) if not n.startswith("_") and callable(getattr(pc, n))):
        f = getattr(pc, name)
        if getattr(f, "__module__", "") != pc.__name__ or name[0].isupper():
            continue
        try:
            problem = f()
        except TypeError:
            continue
        if type(problem).__name__ != "PortfolioProblem":
            continue
        rec = {"frames": frames_sha(problem)}
        try:
            rec["lp"] = mps_sha(problem)
        except Exception as e:  # noqa
            rec["lp"] = f"error {type(e).__name__}: {e}"
        try:
            plan = optimise_portfolio(problem, pc.EXACT)
            with tempfile.TemporaryDirectory() as d:
                files = plan.to_files(d)
                rec["files"] = {k: sha(pathlib.Path(p).read_bytes()) for k, p in sorted(files.items())}
        except Exception as e:  # noqa
            rec["files"] = f"error {type(e).__name__}: {str(e)[:200]}"
        out[name] = rec
    return out


def nerima() -> dict:
    from facility_opt.planning import load_planning_model
    from facility_opt.portfolio.build import problem_from_model

    m = load_planning_model("models/nerima.yaml")
    problem = problem_from_model(m, m.read_ward())
    return {"frames": frames_sha(problem), "lp": mps_sha(problem)}


if __name__ == "__main__":
    res = {"tiny": tiny_cases()}
    if "--nerima" in sys.argv:
        res["nerima"] = nerima()
    pathlib.Path(sys.argv[1]).write_text(json.dumps(res, indent=1, sort_keys=True) + "\n")
    print("wrote", sys.argv[1])
