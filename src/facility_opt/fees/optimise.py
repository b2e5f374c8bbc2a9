"""Fee revision as a small MILP: one fee level per line, chosen from discrete candidates.

For every fee item the candidate fees are the multiples of the rounding unit between the lower limit
(``min_fee_ratio`` × current) and the upper limit (the smallest of ``cap_ratio`` × current, the
comparable private price and ``max_recovery`` × unit cost).  Use and revenue at each candidate are
precomputed (use responds to the price each group of users pays: full, reduced, exempt,
non-resident), so the model is linear:

* one binary ``x[i, l]`` per (item, level), ``sum_l x[i, l] = 1`` per item;
* per facility type and unit of use: ``sum x[i, l] · uses[i, l] >= (1 − max drop) · uses now``;
* objective "target": minimise ``sum |recovery[i, l] − target_i| · cost of item i's current use``
  (the absolute deviation is a constant per level, so no deviation variables are needed), or
  "revenue": maximise revenue; plus a tie-break term far below the yen resolution that prefers the
  smaller change from the current fee, then the lower fee.

Every line gets a reason in words: target met, which limit binds (increase cap, private price, cost
ceiling, reduction limit, use-drop limit), or why it stays free.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd

from ..errors import InfeasibleError
from ..milp import Milp, values
from ..solver import SolverOptions, require_solution
from .costbasis import DepreciationSource, cost_bases
from .levels import LevelOutcomes, _prepare, _Prepared, _round_to, candidate_fees, level_outcomes
from .reasons import _check_targets, _check_use_limits, _group_key, _reason
from .result import COLUMNS, FeeResult, _summary
from .tariff import FeeModel, FeePolicy, FeeTariff

__all__ = ["FeeRevision", "FeeResult", "optimise_fees", "candidate_fees", "level_outcomes", "LevelOutcomes"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FeeRevision:
    """A fee revision's parameters; ``solve(model)`` chooses one fee per line and never changes ``model``.

    ``policy`` overrides the model's (a bare :class:`FeeTariff` uses the defaults when None);
    ``depreciation`` and ``options`` as :func:`optimise_fees` (which is ``FeeRevision(...).solve(model)``).

    Examples
    --------
    >>> from facility_opt.fees import default_fee_model
    >>> res = FeeRevision().solve(default_fee_model())
    >>> res.status, len(res.to_frame())
    ('optimal', 10)
    """

    policy: FeePolicy | None = None
    options: SolverOptions | None = None
    depreciation: DepreciationSource = None

    def solve(self, model: FeeModel | FeeTariff) -> FeeResult:
        """The proposed fees; see :func:`optimise_fees`."""
        milp = Milp("fee_revision")  # its clock times the whole build, the cost bases included
        if isinstance(model, FeeModel):
            tariff, pol, illustrative = model.tariff, self.policy or model.policy, model.illustrative
        else:
            tariff, pol, illustrative = model, self.policy or FeePolicy(), False
        bases = cost_bases(tariff, pol.include_depreciation, self.depreciation)
        items = sorted(tariff.items, key=lambda it: (it.facility_type, it.room_class, it.band, it.item_id))
        preps = [_prepare(it, bases[it.item_id], pol) for it in items]
        alone = [int(np.lexsort((pr.rank, pr.coef))[0]) for pr in preps]
        _check_use_limits(preps, pol)
        if pol.require_targets:
            _check_targets(preps, alone, pol)
        x, starts = _build(milp, preps, pol)
        info = milp.solve(self.options or SolverOptions(gap_rel=0.0, gap_abs=1e-9))
        require_solution(info, "fee revision")
        if info.status == "infeasible":  # the pre-check is exact, so this signals a numerical problem
            raise InfeasibleError(
                "fee revision is infeasible", ["the solver found no fee set meeting the use-drop limits"]
            )
        val = values(x)
        chosen = [int(np.argmax(val[starts[i] : starts[i + 1]])) for i in range(len(preps))]
        df = pd.DataFrame([_row(pr, c, a, pol) for pr, c, a in zip(preps, chosen, alone)], columns=COLUMNS)
        summary = _summary(df, preps, tariff, pol, illustrative)
        summary["objective_value"] = None if info.objective is None else round(info.objective, 2)
        log.info(
            "fee revision: %d items, revenue %.0f -> %.0f (%s)",
            len(df),
            summary["revenue_before"],
            summary["revenue_after"],
            info,
        )
        return FeeResult(df, MappingProxyType(summary), pol, info, illustrative)


def _build(milp: Milp, preps: list[_Prepared], pol: FeePolicy) -> tuple[np.ndarray, np.ndarray]:
    """The MILP over flat (item, level) arrays into ``milp``; (x, item starts).

    Families: ``one_fee_per_item`` (``sum_l x[i, l] = 1``, a row per item) and ``use_drop_limit``
    (a row per facility type and unit of use whose use may fall less than 100 %).
    """
    sizes = np.array([len(pr.fees) for pr in preps])
    coef = np.concatenate([pr.coef for pr in preps]).astype(float)
    rank = np.concatenate([pr.rank for pr in preps]).astype(float)
    uses = np.concatenate([pr.out.uses for pr in preps]).astype(float)
    tie = 1e-3 * rank / (max(1.0, rank.max()) + 1.0) / len(preps)
    x = milp.block("x", len(coef), cat="Binary", up=1.0)
    milp.set_objective(list(zip(x, (coef + tie).tolist())))
    starts = np.concatenate([[0], np.cumsum(sizes)])
    item_of = np.repeat(np.arange(len(preps)), sizes)
    labels = [f"one_fee_per_item[{pr.item.item_id}]" for pr in preps]
    milp.add("one_fee_per_item", item_of, x, 1.0, "==", 1.0, n_rows=len(preps), labels=labels)
    groups: dict[tuple[str, str], list[int]] = {}
    for i, pr in enumerate(preps):
        groups.setdefault(_group_key(pr.item), []).append(i)
    rows, ks, rhs, labels = [], [], [], []
    for gkey, members in sorted(groups.items()):
        d = pol.use_drop_limit(gkey[0])
        if d >= 1:
            continue
        k = np.concatenate([np.arange(starts[i], starts[i + 1]) for i in members])
        need = (1 - d) * sum(preps[i].item.annual_uses for i in members)
        rows.append(np.full(len(k), len(rhs)))
        ks.append(k)
        rhs.append(need - 1e-7 * need)
        labels.append(f"use_drop_limit[{gkey[0]}/{gkey[1]}]")
    k = np.concatenate(ks) if ks else np.zeros(0, dtype=np.int64)
    row = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    milp.add("use_drop_limit", row, x[k], uses[k], ">=", np.array(rhs), n_rows=len(rhs), labels=labels)
    return x, starts


def _row(pr: _Prepared, c: int, a: int, pol: FeePolicy) -> dict:
    """One line of the fee table: fee ``c`` chosen (``a`` alone, without the use-drop rows)."""
    it, u = pr.item, pr.basis.unit_cost_yen
    fee = float(pr.fees[c])
    code, reason = _reason(pr, c, a, pol)
    q, rev = float(pr.out.uses[c]), float(pr.out.revenue[c])
    q0, rev0 = float(pr.now.uses[0]), float(pr.now.revenue[0])
    paid = rev / q if q > 0 else 0.0
    return {
        "item_id": it.item_id,
        "facility_type": it.facility_type,
        "room_class": it.room_class,
        "band": it.band,
        "facility": it.facility or "",
        "unit": it.unit.value,
        "unit_label": it.label,
        "current_fee": float(it.current_fee),
        "proposed_fee": fee,
        "fee_change_pct": round(100 * (fee / it.current_fee - 1), 2) if it.current_fee > 0 else 0.0,
        "reduced_fee": float(_round_to(fee * (1 - pol.reduction_rate), pol.rounding_unit, pol.derived_rounding)),
        "nonresident_fee": float(
            _round_to(fee * (1 + pol.nonresident_surcharge), pol.rounding_unit, pol.derived_rounding)
        ),
        "unit_cost": round(u, 2),
        "target_share": round(pr.target, 4),
        "current_recovery": round(float(pr.now.recovery[0]), 4),
        "achieved_recovery": round(float(pr.out.recovery[c]), 4),
        "current_uses": round(q0, 2),
        "expected_uses": round(q, 2),
        "use_change_pct": round(100 * (q / q0 - 1), 2),
        "current_revenue": round(rev0),
        "expected_revenue": round(rev),
        "revenue_change": round(rev) - round(rev0),
        "user_pays_per_use": round(paid, 2),
        "taxes_pay_per_use": round(u - paid, 2),
        "binding": code,
        "reason": reason,
    }


def optimise_fees(
    model: FeeModel | FeeTariff,
    policy: FeePolicy | None = None,
    *,
    depreciation: DepreciationSource = None,
    options: SolverOptions | None = None,
) -> FeeResult:
    """Choose a fee per item that brings cost recovery to its target (or maximises revenue).

    Parameters
    ----------
    model : a :class:`FeeModel` (tariff and policy) or a bare :class:`FeeTariff`.
    policy : overrides the model's policy (required for a bare tariff unless the defaults suit).
    depreciation : when ``policy.include_depreciation``, where the depreciation per cost entity comes
        from: a ``{cost_key: yen}`` table or a callable ``(cost_key, FacilityCost) -> yen`` (e.g. a
        renewal-cost model); by default each entity's own figures.
    options : solver options (default: HiGHS, zero relative gap so the optimum is exact).

    Returns
    -------
    FeeResult

    Raises
    ------
    InfeasibleError
        when a facility type's use-drop limit cannot be met by any admissible fees (the message names
        the type and the items), or, with ``require_targets``, when a target is out of reach.

    Examples
    --------
    >>> from facility_opt.fees import default_fee_model
    >>> res = optimise_fees(default_fee_model())
    >>> res.summary["items"], res.summary["illustrative"]
    (10, True)
    """
    return FeeRevision(policy=policy, options=options, depreciation=depreciation).solve(model)
