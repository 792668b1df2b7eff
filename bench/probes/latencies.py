"""p50 and p99 of measured latencies, one rule for every benchmark."""

from __future__ import annotations

import statistics


def p50_p99(latencies: list[float]) -> tuple[float, float]:
    """The median and the 99th percentile (nearest rank) of `latencies`, in their unit."""
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered), p99
