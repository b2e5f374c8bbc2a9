"""Calibrating a renewal-cost preset to a ward's published total (e.g. Nerima's 約6,450億円 over 30 years).

A ward publishes the total of its renewal estimate, not its parameters. For a chosen preset this module
asks which parameter the total is most sensitive to and which value of it reproduces the published
total:

* **sensitivity**: the elasticity of the total (d ln total / d ln parameter) at the preset's value, by
  central differences (±1 % for a continuous parameter, ±1 year for an age);
* **fit**: each candidate parameter alone (the others as in the preset) is solved for the target within
  its plausible bounds: a continuous one (``unit_cost_factor``, 0.5-3) by Brent's root finder
  (:func:`scipy.optimize.brentq`); an integer age (``rebuild_age`` ±20 years but not below 40,
  ``interventions.<i>.age`` ±10 years within the cycle) by evaluating every whole year within its
  bounds (the total is a step function of an age, which no root finder can bracket) and keeping the
  nearest. An earlier rebuild drops the interventions due within 10 years before it (as the
  総務省 method skips a renovation when the rebuild is near).

The fitted value is a **hypothesis** (the ward's parameters are unknown): it says which parameter
value would make this library's method agree with the ward's figure, given the stock and the age
profile used (for Nerima the age profile is itself an assumption). Deterministic: the same inputs give
the same table.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from ..catalogue import Catalogue, default_catalogue
from ..errors import ModelConfigError
from ..units import OKU_YEN
from .params import RenewalCostParams, default_renewal_params
from .projection import project_renewal
from .stock import _expand_stock

__all__ = ["NERIMA_TOTAL_YEN", "NERIMA_TOTAL_SOURCE", "ParameterFit", "Calibration", "calibrate_renewal", "stock_total"]

log = logging.getLogger(__name__)

#: Nerima's published 30-year renewal cost of all ward facilities kept as they are.
NERIMA_TOTAL_YEN = 6450 * OKU_YEN
NERIMA_TOTAL_SOURCE = (
    "練馬区 区政改革計画 素案 (2016-05, 取組12) and 公共施設等総合管理計画 素案 (2016-10): "
    "今後30年間に必要となる改修・改築費用は約6,450億円 (年215億円)"
)
#: the plan's "今後30年間" counts from its year
NERIMA_START_YEAR = 2016

HYPOTHESIS = (
    "hypothesis: the ward did not publish its parameters; this value only makes the model's total "
    "agree with the published figure, given the stock table and the (assumed) age profile"
)

FACTOR_BOUNDS = (0.5, 3.0)
AGE_WINDOW = 10  # an intervention's age may move this many years either way (within the cycle)
REBUILD_WINDOW = 20  # the rebuild age may move this many years either way (not below 40)
#: when the rebuild age moves earlier, interventions due within this many years before it are dropped
#: (as the 総務省 method skips a renovation due within 10 years of the rebuild: 築51年以上)
NO_WORK_BEFORE_REBUILD = 10


@dataclass(frozen=True)
class ParameterFit:
    """One candidate parameter: its sensitivity and the value that reproduces the target (if any)."""

    parameter: str  # "unit_cost_factor", "rebuild_age", "interventions.0.age"
    kind: Literal["continuous", "integer"]
    preset_value: float
    lower: float
    upper: float
    elasticity: float  # d ln total / d ln parameter at the preset value
    value: float | None  # calibrated value (None: no value within bounds is within tolerance)
    total_yen: float  # total at ``value`` (or at the best value tried)
    ratio: float  # total / target
    within_tolerance: bool
    min_total_yen: float  # the range of totals within the bounds
    max_total_yen: float


@dataclass(frozen=True)
class Calibration:
    """The calibration of one preset: base total, and one :class:`ParameterFit` per candidate parameter
    sorted by decreasing absolute elasticity (then by name)."""

    preset: str
    target_yen: float
    tolerance: float
    start_year: int
    horizon_years: int
    floor_area_m2: float
    base_total_yen: float
    fits: tuple[ParameterFit, ...]
    note: str = HYPOTHESIS

    @property
    def best(self) -> ParameterFit | None:
        """The most sensitive parameter whose calibrated value reproduces the target, or None."""
        return next((f for f in self.fits if f.within_tolerance), None)

    def fit(self, parameter: str) -> ParameterFit:
        for f in self.fits:
            if f.parameter == parameter:
                return f
        raise KeyError(f"no fit for {parameter!r}; fitted: {[f.parameter for f in self.fits]}")

    def to_frame(self) -> pd.DataFrame:
        """One row per parameter (totals in 億円)."""
        df = pd.DataFrame([asdict(f) for f in self.fits])
        for c in ("total_yen", "min_total_yen", "max_total_yen"):
            df[c.replace("_yen", "_oku")] = df.pop(c) / OKU_YEN
        return df

    def to_dict(self) -> dict:
        best = self.best
        return {
            "preset": self.preset,
            "target_oku_yen": self.target_yen / OKU_YEN,
            "tolerance": self.tolerance,
            "start_year": self.start_year,
            "horizon_years": self.horizon_years,
            "floor_area_m2": round(self.floor_area_m2, 1),
            "base_total_oku_yen": round(self.base_total_yen / OKU_YEN, 1),
            "base_ratio": round(self.base_total_yen / self.target_yen, 4),
            "best": None
            if best is None
            else {
                "parameter": best.parameter,
                "value": best.value,
                "total_oku_yen": round(best.total_yen / OKU_YEN, 1),
            },
            "fits": [
                {
                    **asdict(f),
                    "elasticity": round(f.elasticity, 4),
                    "ratio": round(f.ratio, 4),
                    "total_yen": round(f.total_yen),
                    "min_total_yen": round(f.min_total_yen),
                    "max_total_yen": round(f.max_total_yen),
                }
                for f in self.fits
            ],
            "note": self.note,
            "preset_snippet": self.preset_snippet(),
        }

    def preset_snippet(self) -> str | None:
        """YAML for a calibrated preset derived from this one (the best fit), to paste under ``presets:``."""
        best = self.best
        if best is None:
            return None
        key = best.parameter
        if key.startswith("interventions."):
            return None  # a list entry cannot be overridden on its own: edit the preset's interventions
        value = f"{best.value:.3f}" if best.kind == "continuous" else f"{int(best.value)}"
        return (
            f"{self.preset}_calibrated:\n  base: {self.preset}\n"
            f'  description: "{self.preset} calibrated to {self.target_yen / OKU_YEN:,.0f}億円 (hypothesis)"\n'
            f'  source: "{HYPOTHESIS}; facility-opt costs --calibrate --preset {self.preset}"\n'
            f"  {key}: {value}\n"
        )

    def write(self, folder: str | Path) -> dict[str, Path]:
        """``calibration.json`` and ``calibration.csv`` in ``folder`` (written atomically)."""
        from ..atomic import atomic_write_text

        folder = Path(folder)
        paths = {"json": folder / "calibration.json", "csv": folder / "calibration.csv"}
        atomic_write_text(paths["json"], json.dumps(self.to_dict(), ensure_ascii=False, indent=1) + "\n")
        atomic_write_text(paths["csv"], self.to_frame().to_csv(index=False, lineterminator="\n", float_format="%.6g"))
        return paths


def stock_total(
    pseudo: pd.DataFrame, params: RenewalCostParams, start_year: int, catalogue: Catalogue | None = None
) -> float:
    """Total renewal cost (yen) over ``params.horizon_years`` of pseudo-buildings (no operation)."""
    c = project_renewal(pseudo, start_year=start_year, params=params, catalogue=catalogue, include_operation=False)
    return float(c["cost_yen"].sum())


def _candidates(
    params: RenewalCostParams,
) -> list[tuple[str, str, float, float, float, Callable[[float], RenewalCostParams]]]:
    """(name, kind, preset value, lower, upper, params-at-value) of every calibratable parameter."""
    pre = params.active
    out = [
        (
            "unit_cost_factor",
            "continuous",
            pre.unit_cost_factor,
            *FACTOR_BOUNDS,
            lambda v: params.with_changes(unit_cost_factor=float(v)),
        )
    ]
    ages = [iv.age for iv in pre.interventions]
    # an earlier rebuild drops the interventions it pre-empts: none within NO_WORK_BEFORE_REBUILD years of it
    out.append(
        (
            "rebuild_age",
            "integer",
            pre.rebuild_age,
            max(40, pre.rebuild_age - REBUILD_WINDOW),
            pre.rebuild_age + REBUILD_WINDOW,
            lambda v: params.with_changes(
                rebuild_age=int(v),
                interventions=[iv for iv in pre.interventions if iv.age <= int(v) - NO_WORK_BEFORE_REBUILD],
            ),
        )
    )
    for i, iv in enumerate(pre.interventions):
        before = [a for a in ages if a < iv.age]
        after = [a for a in ages if a > iv.age] + [pre.rebuild_age]
        lo = max(max(before, default=0) + 1, iv.age - AGE_WINDOW)
        hi = min(min(after) - 1, iv.age + AGE_WINDOW)

        def at(v, i=i):
            ivs = [x.model_copy(update={"age": int(v)}) if j == i else x for j, x in enumerate(pre.interventions)]
            return params.with_changes(interventions=ivs)

        out.append((f"interventions.{i}.age", "integer", iv.age, lo, hi, at))
    return out


def _fit(name, kind, v0, lo, hi, at, total, target, tol) -> ParameterFit:
    t0 = total(at(v0))
    if kind == "continuous":
        h = 0.01 * v0
        el = (total(at(v0 + h)) - total(at(v0 - h))) / (2 * h) * v0 / t0
        f_lo, f_hi = total(at(lo)) - target, total(at(hi)) - target
        if f_lo * f_hi <= 0:
            value = float(brentq(lambda x: total(at(x)) - target, lo, hi, xtol=1e-10, rtol=1e-12))
            value = round(value, 6)
            t = total(at(value))
        else:
            value, t = None, (f_lo if abs(f_lo) < abs(f_hi) else f_hi) + target
        lo_t, hi_t = sorted((f_lo + target, f_hi + target))
        ok = value is not None and abs(t / target - 1) <= tol
        return ParameterFit(
            name,
            kind,
            float(v0),
            float(lo),
            float(hi),
            float(el),
            value if ok else None,
            float(t),
            float(t / target),
            ok,
            float(lo_t),
            float(hi_t),
        )
    values = np.arange(int(lo), int(hi) + 1)
    totals = np.array([t0 if v == v0 else total(at(v)) for v in values])
    up = totals[values == v0 + 1][0] if v0 + 1 <= hi else t0
    down = totals[values == v0 - 1][0] if v0 - 1 >= lo else t0
    steps = int(v0 + 1 <= hi) + int(v0 - 1 >= lo)
    el = (up - down) / max(steps, 1) * v0 / t0
    # nearest to the target; ties: the value closest to the preset's, then the smaller
    order = np.lexsort((values, np.abs(values - v0), np.round(np.abs(totals - target), 3)))
    k = int(order[0])
    ok = bool(abs(totals[k] / target - 1) <= tol)
    return ParameterFit(
        name,
        kind,
        float(v0),
        float(lo),
        float(hi),
        float(el),
        float(values[k]) if ok else None,
        float(totals[k]),
        float(totals[k] / target),
        ok,
        float(totals.min()),
        float(totals.max()),
    )


def calibrate_renewal(
    stock: pd.DataFrame,
    age_profile: pd.DataFrame,
    *,
    params: RenewalCostParams | None = None,
    preset: str | None = None,
    start_year: int = NERIMA_START_YEAR,
    target_yen: float = NERIMA_TOTAL_YEN,
    tolerance: float = 0.05,
    parameters: Sequence[str] | None = None,
    catalogue: Catalogue | None = None,
) -> Calibration:
    """Which parameter of a preset, at which value, reproduces a ward's published renewal total.

    Parameters
    ----------
    stock, age_profile
        The ward's type-level stock table and construction-year profile, as
        :func:`facility_opt.renewal.stock.project_stock` (for Nerima: ``geodata/nerima/stock_2013.csv`` and
        ``models/nerima_age_profile.yaml``).
    params, preset
        The renewal-cost parameters (default: ``models/renewal_costs.yaml``) and the preset to calibrate
        (default: the active one).
    start_year, target_yen, tolerance
        The published total over ``params.horizon_years`` from ``start_year`` (default: Nerima's 6,450億円
        from 2016) and the accepted relative error (±5 %).
    parameters
        Candidate parameters (default: all): ``unit_cost_factor``, ``rebuild_age``, ``interventions.<i>.age``.

    Returns
    -------
    Calibration
        Fits sorted by decreasing sensitivity; :attr:`Calibration.best` is the most sensitive parameter
        that reaches the target. Its value is a hypothesis, not a fact about the ward.

    Examples
    --------
    >>> import pandas as pd
    >>> stock = pd.DataFrame({"category": ["primary_school"], "floor_area_m2": [10_000.0]})
    >>> prof = pd.DataFrame({"from_year": [1970], "to_year": [1970], "share": [1.0]})
    >>> cal = calibrate_renewal(stock, prof, target_yen=100 * OKU_YEN, parameters=["unit_cost_factor"])
    >>> cal.base_total_yen / OKU_YEN, cal.best.value  # 50億 at 17 + 33 万円/m²: twice the unit costs
    (50.0, 2.0)
    """
    params = params or default_renewal_params()
    if preset is not None:
        params = params.with_preset(preset)
    catalogue = catalogue or default_catalogue()
    if not 0 < tolerance < 1:
        raise ModelConfigError(f"tolerance must be in (0, 1), got {tolerance}")
    if target_yen <= 0:
        raise ModelConfigError(f"target_yen must be positive, got {target_yen}")
    pseudo = _expand_stock(stock, age_profile)
    cache: dict[str, float] = {}

    def total(p: RenewalCostParams) -> float:
        key = p.active.model_dump_json()
        if key not in cache:
            cache[key] = stock_total(pseudo, p, start_year, catalogue)
        return cache[key]

    cands = _candidates(params)
    known = [c[0] for c in cands]
    wanted = list(parameters) if parameters is not None else known
    unknown = [p for p in wanted if p not in known]
    if unknown:
        raise ModelConfigError(f"cannot calibrate {unknown}; preset '{params.preset}' has parameters {known}")
    fits = [_fit(*c, total, float(target_yen), tolerance) for c in cands if c[0] in wanted]
    fits.sort(key=lambda f: (-round(abs(f.elasticity), 9), f.parameter))
    base = total(params)
    log.info(
        "calibration of %s: base %.1f億円 (%.3f of the target), %d model runs",
        params.preset,
        base / OKU_YEN,
        base / target_yen,
        len(cache),
    )
    return Calibration(
        preset=params.preset,
        target_yen=float(target_yen),
        tolerance=tolerance,
        start_year=int(start_year),
        horizon_years=params.horizon_years,
        floor_area_m2=float(stock["floor_area_m2"].sum()),
        base_total_yen=base,
        fits=tuple(fits),
    )
