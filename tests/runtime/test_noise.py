"""What counts as clearly above a timing threshold (runtime/noise.py)."""

from __future__ import annotations

from backend_gates.runtime import noise


def test_repeated_or_far_above_is_clear_and_a_single_near_miss_is_noise() -> None:
    assert noise.judge([60.0, 70.0], 50.0).clearly
    assert noise.judge([160.0], 50.0).clearly  # beyond the margin
    assert noise.judge([60.0], 50.0).noisy
    assert not noise.judge([50.0], 50.0).above  # equal is not above


def test_rare_outliers_among_many_executions_are_noise() -> None:
    # a statement fast in 283 of 286 executions: the machine slowed it down, not its plan
    assert not noise.judge([64.0], 50.0, above=3, total=286).clearly
    assert noise.judge([64.0], 50.0, above=30, total=286).clearly
    assert noise.judge([64.0], 50.0, above=2, total=2).clearly
