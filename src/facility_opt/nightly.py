"""The nightly re-optimisation job: run only when an input changed, never damage the last good plan.

State folder layout (``--state DIR``)::

    lock                     held (flock) while a run is in progress; a second run exits at once
    runs/0001-<fp>/          one folder per successful run: the plan files, inputs.json, diff.json/.md
    current                  text file naming the folder of the last good run (replaced atomically)
    history.jsonl            one JSON line per attempt (started, outcome, fingerprint, changed inputs)
    nightly.log.jsonl        structured log lines for the scheduler
    data/                    the ward as read from PostGIS (``--data postgresql://…``): what is planned on

A run computes a fingerprint of every input file (the ward data folder and the planning-model
files). If nothing changed since the last good run it says so and exits 0. Otherwise it runs the job
into a hidden temporary folder under ``runs/``; only when every file is written does it rename the
folder into place and replace ``current``. Invalid data, a solver failure or a crash leave the
previous run untouched (the temporary folder is removed, or ignored and cleaned on the next run if
the process was killed).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .atomic import atomic_write_text
from .errors import FacilityOptError

__all__ = [
    "NightlyOutcome",
    "fingerprint_inputs",
    "run_nightly",
    "diff_decisions",
    "diff_table",
    "DIFF_TABLES",
    "LockedError",
    "JsonLinesFormatter",
]

log = logging.getLogger(__name__)

#: a job writes a complete run into ``out_dir``; ``previous`` is the last good run's folder (warm start)
JobFn = Callable[[Path, Path | None], None]


class LockedError(FacilityOptError):
    """Another nightly run holds the lock on this state folder."""


class JsonLinesFormatter(logging.Formatter):
    """One JSON object per log line (time, level, logger, message, and any ``extra={'data': ...}``)."""

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if isinstance(getattr(record, "data", None), dict):
            out.update(record.data)
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, sort_keys=True)


def _hash_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fingerprint_inputs(paths: dict[str, Path]) -> dict[str, str]:
    """SHA-256 of every file under each named input (a file or a folder), keyed ``name/relative/path``.

    Hidden files and ``__pycache__`` are ignored, so editor swap files do not trigger a run.
    """
    out: dict[str, str] = {}
    for name, root in sorted(paths.items()):
        root = Path(root)
        if root.is_file():
            out[name] = _hash_file(root)
            continue
        for p in sorted(root.rglob("*")):
            rel = p.relative_to(root)
            if p.is_file() and not any(part.startswith(".") or part == "__pycache__" for part in rel.parts):
                out[f"{name}/{rel.as_posix()}"] = _hash_file(p)
    return out


def _overall(fps: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(fps, sort_keys=True).encode()).hexdigest()


@contextlib.contextmanager
def _lock(state: Path) -> Iterator[None]:
    state.mkdir(parents=True, exist_ok=True)
    fh = (state / "lock").open("a+")
    try:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockedError(f"another nightly run holds {state / 'lock'}; not starting a second one") from None
        yield
    finally:
        fh.close()  # closing releases the flock, also when the process dies


def diff_decisions(old: Path, new: Path, key: str = "facility_id") -> pd.DataFrame:
    """Rows of ``decisions.csv`` that differ between two runs: key, column, before, after."""
    a = pd.read_csv(old / "decisions.csv", dtype=str, keep_default_na=False).set_index(key)
    b = pd.read_csv(new / "decisions.csv", dtype=str, keep_default_na=False).set_index(key)
    rows = []
    for k in sorted(set(a.index) | set(b.index)):
        if k not in a.index or k not in b.index:
            rows.append(
                {
                    key: k,
                    "column": "(row)",
                    "before": "absent" if k not in a.index else "present",
                    "after": "absent" if k not in b.index else "present",
                }
            )
            continue
        for c in sorted(set(a.columns) & set(b.columns)):
            if a.at[k, c] != b.at[k, c]:
                rows.append({key: k, "column": c, "before": a.at[k, c], "after": b.at[k, c]})
    return pd.DataFrame(rows, columns=[key, "column", "before", "after"])


#: the year-by-year tables of a plan the nightly diff compares, with their row keys
DIFF_TABLES: dict[str, tuple[str, ...]] = {
    "timeline": ("site_id", "service_id", "from_year"),
    "years": ("year", "service_id"),
}


def diff_table(old: Path, new: Path, name: str, keys: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Rows of ``<name>.csv`` that differ between two runs: ``key`` (the key columns' values joined
    by ``/``), column, before, after; a row in one run only has column ``(row)``.  A table missing
    from a run counts as empty."""
    keys = keys or DIFF_TABLES[name]

    def read(folder: Path) -> pd.DataFrame:
        f = folder / f"{name}.csv"
        if not f.is_file():
            return pd.DataFrame(columns=list(keys)).set_index(list(keys))
        d = pd.read_csv(f, dtype=str, keep_default_na=False)
        d.index = d[list(keys)].agg("/".join, axis=1)
        return d.drop(columns=list(keys))

    a, b = read(old), read(new)
    rows = []
    for k in sorted(set(a.index) | set(b.index)):
        if k not in a.index or k not in b.index:
            rows.append(
                {
                    "key": k,
                    "column": "(row)",
                    "before": "absent" if k not in a.index else "present",
                    "after": "absent" if k not in b.index else "present",
                }
            )
            continue
        for c in sorted(set(a.columns) & set(b.columns)):
            if a.at[k, c] != b.at[k, c]:
                rows.append({"key": k, "column": c, "before": a.at[k, c], "after": b.at[k, c]})
    return pd.DataFrame(rows, columns=["key", "column", "before", "after"])


@dataclass(frozen=True)
class NightlyOutcome:
    """What a nightly run did: ``status`` is 'unchanged', 'updated' or 'failed'."""

    status: str
    run_dir: Path | None
    changed_inputs: list[str]
    message: str


def _current(state: Path) -> Path | None:
    p = state / "current"
    if not p.is_file():
        return None
    run = state / "runs" / p.read_text(encoding="utf-8").strip()
    return run if run.is_dir() else None


def _append_history(state: Path, entry: dict) -> None:
    with (state / "history.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def run_nightly(
    inputs: dict[str, Path],
    state: str | Path,
    job: JobFn,
    force: bool = False,
    prepare: Callable[[], None] | None = None,
    after: Callable[[NightlyOutcome], None] | None = None,
) -> NightlyOutcome:
    """Run ``job`` when ``inputs`` changed since the last good run; promote its output atomically.

    Raises :class:`LockedError` when another run holds the lock. Any exception from ``job`` is
    logged, recorded in the history and re-raised after the temporary output is removed; the
    previous run stays current. Under the same lock, ``prepare()`` runs before the inputs are
    fingerprinted (e.g. to copy a database into an input folder; its failure is recorded like a
    job's) and ``after(outcome)`` once the outcome is known, also when nothing changed (e.g. to
    publish the current plan).
    """
    state = Path(state)
    with _lock(state):
        runs = state / "runs"
        runs.mkdir(exist_ok=True)
        for stale in runs.glob(".tmp-*"):  # left by a killed run
            log.warning("removing the incomplete run folder %s left by an interrupted run", stale.name)
            shutil.rmtree(stale, ignore_errors=True)
        if prepare is not None:
            _prepare(state, prepare)
        fps = fingerprint_inputs(inputs)
        fp = _overall(fps)
        prev = _current(state)
        prev_fps = json.loads((prev / "inputs.json").read_text(encoding="utf-8"))["files"] if prev else {}
        changed = sorted(k for k in set(fps) | set(prev_fps) if fps.get(k) != prev_fps.get(k))
        started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        if prev is not None and not changed and not force:
            msg = f"no input changed since run {prev.name}; nothing to do"
            log.info(msg, extra={"data": {"event": "unchanged", "run": prev.name, "fingerprint": fp}})
            _append_history(state, {"started": started, "outcome": "unchanged", "fingerprint": fp, "run": prev.name})
            outcome = NightlyOutcome("unchanged", prev, [], msg)
            if after is not None:
                after(outcome)
            return outcome
        seq = 1 + max(
            (int(p.name.split("-")[0]) for p in runs.iterdir() if p.is_dir() and p.name[:4].isdigit()), default=0
        )
        name = f"{seq:04d}-{fp[:12]}"
        tmp = runs / f".tmp-{name}"
        tmp.mkdir()
        log.info("inputs changed; running", extra={"data": {"event": "start", "run": name, "changed": changed}})
        try:
            job(tmp, prev)
            atomic_write_text(
                tmp / "inputs.json", json.dumps({"fingerprint": fp, "files": fps}, indent=1, sort_keys=True) + "\n"
            )
            if prev is not None and (prev / "decisions.csv").is_file() and (tmp / "decisions.csv").is_file():
                _write_diff(prev, tmp, changed)
        except BaseException as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            log.error(
                "run failed; the previous plan stays current",
                extra={"data": {"event": "failed", "run": name, "error": f"{type(exc).__name__}: {exc}"}},
            )
            _append_history(
                state,
                {
                    "started": started,
                    "outcome": "failed",
                    "fingerprint": fp,
                    "run": name,
                    "error": f"{type(exc).__name__}: {exc}"[:2000],
                    "changed": changed,
                },
            )
            raise
        final = runs / name
        os.replace(tmp, final)
        atomic_write_text(state / "current", name + "\n")
        _append_history(
            state, {"started": started, "outcome": "updated", "fingerprint": fp, "run": name, "changed": changed}
        )
        log.info("new plan is current", extra={"data": {"event": "updated", "run": name}})
        outcome = NightlyOutcome("updated", final, changed, f"run {name} written; {len(changed)} input file(s) changed")
        if after is not None:
            after(outcome)
        return outcome


def _prepare(state: Path, prepare: Callable[[], None]) -> None:
    """Run ``prepare()``; a failure is logged and recorded in the history, then re-raised."""
    try:
        prepare()
    except BaseException as exc:
        log.error(
            "preparing the inputs failed; the previous plan stays current",
            extra={"data": {"event": "failed", "error": f"{type(exc).__name__}: {exc}"}},
        )
        _append_history(
            state,
            {
                "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "outcome": "failed",
                "stage": "prepare",
                "error": f"{type(exc).__name__}: {exc}"[:2000],
            },
        )
        raise


def _write_diff(prev: Path, new: Path, changed: list[str]) -> None:
    """``diff.json`` and ``diff.md`` in the new run: changed inputs, decisions, timeline and years rows,
    and the decisions that became unstable in tonight's sweep."""
    d = diff_decisions(prev, new)
    tables = {table: diff_table(prev, new, table) for table in DIFF_TABLES}
    atomic_write_text(
        new / "diff.json",
        json.dumps(
            {
                "previous_run": prev.name,
                "changed_inputs": changed,
                "changed_decisions": d.to_dict("records"),
                **{f"changed_{table}": t.to_dict("records") for table, t in tables.items()},
            },
            ensure_ascii=False,
            indent=1,
        )
        + "\n",
    )
    lines = [
        f"# Changes since run {prev.name}",
        "",
        "Changed inputs:",
        *[f"- {c}" for c in changed],
        "",
        f"Changed decisions ({len(d)}):",
    ]
    lines += [f"- {r.facility_id}: {r.column} {r.before!r} -> {r.after!r}" for r in d.itertuples()]
    for table, t in tables.items():
        lines += ["", f"Changed {table} rows ({t['key'].nunique()}):"]
        lines += [f"- {r.key}: {r.column} {r.before!r} -> {r.after!r}" for r in t.itertuples()]
    unstable = new / "sweep" / "newly_unstable.csv"  # facility_opt.robust.nightly
    if unstable.is_file():
        u = pd.read_csv(unstable, dtype={"facility_id": str})
        lines += ["", f"Decisions unstable in tonight's sweep, not last night ({len(u)}):"]
        lines += [
            f"- {r.facility_id} {r.decision}: taken in {100 * r.share_after:.0f} % of variants "
            f"(before {r.stability_before or 'no sweep'})"
            for r in u.itertuples()
        ]
    atomic_write_text(new / "diff.md", "\n".join(lines) + "\n")
