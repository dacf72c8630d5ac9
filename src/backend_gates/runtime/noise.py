"""One definition of "clearly above a threshold", shared by every runtime rule that times things.

Timings in a test run are noisy: a loaded CI machine, a garbage collection, a cold cache. A rule
fails on a measurement only when it is clearly above its threshold: repeated (at least `REPEATS`
measurements above it) or beyond the margin (one measurement at `MARGIN` times the threshold or
more), and, among many measurements of one thing, at least `MIN_SHARE` of them above it (a
statement fast in 283 of 286 executions was slowed down by the machine, not by itself). A
measurement above the threshold that is not clearly above is reported at info severity ("noisy")
and never fails a gate; a measurement equal to the threshold is not above it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

REPEATS = 2
MARGIN = 3.0
MIN_SHARE = 0.05


@dataclass(frozen=True, slots=True)
class Verdict:
    above: int  # measurements strictly above the threshold
    peak: float  # the largest measurement
    clearly: bool  # repeated or beyond the margin: a failure, not noise

    @property
    def noisy(self) -> bool:
        return self.above > 0 and not self.clearly


def judge(values: Iterable[float], threshold: float, *, above: int | None = None, total: int | None = None) -> Verdict:
    """Judge measurements against `threshold`. `above` overrides the count of measurements over it
    (when only a sample of them was kept); `total` is the number of measurements taken (default:
    the values given)."""
    kept = list(values)
    peak = max(kept, default=0.0)
    count = above if above is not None else sum(1 for v in kept if v > threshold)
    taken = total if total is not None else len(kept)
    clearly = (count >= REPEATS or (count >= 1 and peak >= MARGIN * threshold)) and count >= MIN_SHARE * taken
    return Verdict(count, peak, clearly)


def describe() -> str:
    return (
        f"at least {REPEATS} measurements above the threshold, or one at {MARGIN:g}x it,"
        f" and at least {MIN_SHARE:.0%} of the measurements"
    )
