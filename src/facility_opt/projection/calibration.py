"""Calibrating the projection: the migration level (and fertility level, children's migration) fitted
to published totals by weighted least squares, and the report of every target."""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .ages import _age_range
from .cohort import _run, _split, _zone_bands
from .params import _CALIBRATED, PopulationParams

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------
# Calibration
def _year_time(year: int, params: PopulationParams) -> float:
    return year + (params.reference_month - 1) / 12


def _interp(series: dict[int, float], when: dt.date, params: PopulationParams) -> float:
    """Value at a date, linear between the projection's yearly reference dates."""
    t = when.year + (when.month - 1) / 12 + (when.day - 1) / 365
    y0 = math.floor(t - (params.reference_month - 1) / 12)
    frac = t - _year_time(y0, params)
    if y0 not in series or (frac > 1e-12 and y0 + 1 not in series):
        raise ValueError(f"{when} lies outside the projected years {min(series)}..{max(series)}")
    return series[y0] if frac <= 1e-12 else (1 - frac) * series[y0] + frac * series[y0 + 1]


def _target_span(params: PopulationParams) -> int:
    """The last projection year any target needs."""
    last = params.base_year + 1
    for t in params.calibration.targets:
        last = max(last, (t.date.year + 1) if t.date else 0, (t.year or 0) + 1)
    return last


def _model_values(ward: np.ndarray, params: PopulationParams) -> list[float]:
    """The projection's value for every calibration target (same order)."""
    pops, births = _run(ward, params, _target_span(params), np.ones(1))
    basis = params.calibration.basis
    reg = basis.register_per_census() if basis is not None else 1.0
    out = []
    for t in params.calibration.targets:
        lo, hi = _age_range(t.ages, params.max_age) if t.ages else (0, params.max_age)
        series = {y: float(p[:, lo : hi + 1].sum()) for y, p in pops.items()}
        if t.kind == "total":
            out.append(_interp(series, t.date, params) * (reg if t.basis == "register" else 1.0))
        elif t.kind == "births":
            frac = (params.reference_month - 1) / 12  # share of calendar year t.year in the step ending in it
            out.append(frac * float(births[t.year].sum()) + (1 - frac) * float(births[t.year + 1].sum()))
        else:
            share = {y: series[y] / float(pops[y].sum()) for y in (t.from_year, t.year)}
            out.append(share[t.year] / share[t.from_year])
    return out


def _ward_pop(zones: pd.DataFrame, params: PopulationParams) -> np.ndarray:
    """The ward as one zone (single years); valid for targets because every zone has the same rates."""
    ids, bands, _ = _zone_bands(zones)
    if any(f != 1.0 for f in params.migration.zone_factors.values()):
        log.info("calibration: zone factors change zone shares only; the ward is calibrated as one zone")
    return _split(bands, params).sum(axis=0, keepdims=True)


def calibration_report(zones: pd.DataFrame, params: PopulationParams) -> pd.DataFrame:
    """Each calibration target: published value, the projection's value and the error.

    Returns
    -------
    DataFrame
        ``target, kind, weight, published, model, error, rel_error, source``; ``model`` of a
        ``basis: register`` total is on the register basis (see ``calibration.basis``).
    """
    vals = _model_values(_ward_pop(zones, params), params)
    rows = [
        {
            "target": t.label(),
            "kind": t.kind,
            "weight": t.weight,
            "published": t.value,
            "model": m,
            "error": m - t.value,
            "rel_error": (m - t.value) / t.value,
            "source": t.source,
        }
        for t, m in zip(params.calibration.targets, vals)
    ]
    out = pd.DataFrame(rows, columns=["target", "kind", "weight", "published", "model", "error", "rel_error", "source"])
    out[["model", "error"]] = out[["model", "error"]].round(4)
    out["rel_error"] = out["rel_error"].round(6)
    return out


def calibrate(
    zones: pd.DataFrame, params: PopulationParams, adjust: Sequence[str] | None = None
) -> tuple[PopulationParams, pd.DataFrame]:
    """Fit the migration level (and the fertility level) to the params' calibration targets.

    Weighted least squares on the relative errors of the targets with ``weight > 0``
    (``scipy.optimize.least_squares``, deterministic). Logs a warning when a weighted target stays
    further off than ``calibration.tolerance``.

    Parameters
    ----------
    zones : DataFrame
        Base-year zones (as for :func:`project_population`).
    params : PopulationParams
        Starting values and ``calibration`` (targets, ``adjust``, ``tolerance``).
    adjust : sequence of str, optional
        Override of ``calibration.adjust``: ``migration_level`` and/or ``fertility_level``.

    Returns
    -------
    (PopulationParams, DataFrame)
        The calibrated parameters and :func:`calibration_report` for them.
    """
    from scipy.optimize import least_squares

    names = list(adjust if adjust is not None else params.calibration.adjust)
    unknown = set(names) - set(_CALIBRATED)
    if unknown or not names:
        raise ValueError(f"adjust must name some of {sorted(_CALIBRATED)}, got {names}")
    targets = params.calibration.targets
    used = [i for i, t in enumerate(targets) if t.weight > 0]
    if len(used) < len(names):
        raise ValueError(f"{len(used)} weighted targets cannot determine {len(names)} parameters")
    ward = _ward_pop(zones, params)
    scale = np.array([_CALIBRATED[n][0] for n in names])
    lower = np.array([_CALIBRATED[n][1] for n in names]) / scale
    upper = np.array([_CALIBRATED[n][2] for n in names]) / scale

    def build(x: np.ndarray) -> PopulationParams:
        return params.with_levels(**{n: v for n, v in zip(names, x * scale)})

    def residuals(x: np.ndarray) -> np.ndarray:
        vals = _model_values(ward, build(x))
        return np.array([targets[i].weight * (vals[i] - targets[i].value) / targets[i].value for i in used])

    start = params.calibrated_values()
    x0 = np.clip([start[n] for n in names] / scale, lower, upper)
    fit = least_squares(residuals, x0, bounds=(lower, upper), method="trf", xtol=1e-12, ftol=1e-12, gtol=1e-12)
    best = build(fit.x)
    report = calibration_report(zones, best)
    worst = report.loc[report["weight"] > 0, "rel_error"].abs().max()
    for n in names:
        log.info("calibration: %s = %.6g", n, best.calibrated_values()[n])
    if worst > params.calibration.tolerance:
        log.warning(
            "calibration: a weighted target is %.2f %% off (tolerance %.2f %%)",
            100 * worst,
            100 * params.calibration.tolerance,
        )
    return best, report
