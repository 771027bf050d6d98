"""The expected cost of a request, from what past tasks were actually charged."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation


@dataclass(frozen=True)
class CostEstimate:
    per_task: Decimal
    total: Decimal
    based_on: int  # how many past charges the estimate rests on
    same_duration: bool  # True when those charges were for this very duration


def expected_cost(
    history: Sequence[tuple[int, str]], duration_tenths: int, takes: int = 1
) -> CostEstimate | None:
    """Median of past charges at this duration, else the median rate per second scaled.

    `history` holds (duration in tenths, charged units) pairs, as `Store.cost_history` gives.
    None when nothing was ever charged.
    """
    parsed: list[tuple[int, Decimal]] = []
    for tenths, cost in history:
        try:
            value = Decimal(cost)
        except InvalidOperation:
            continue
        if value.is_finite() and value >= 0 and tenths > 0:
            parsed.append((tenths, value))
    if not parsed:
        return None
    same = [value for tenths, value in parsed if tenths == duration_tenths]
    if same:
        per_task = statistics.median(same)
        based_on, same_duration = len(same), True
    else:
        rate = statistics.median(value / tenths for tenths, value in parsed)
        per_task = rate * duration_tenths
        based_on, same_duration = len(parsed), False
    per_task = per_task.quantize(Decimal("0.01"))
    return CostEstimate(per_task, per_task * takes, based_on, same_duration)
