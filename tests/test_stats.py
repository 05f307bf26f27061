"""Token statistics from a multiset of totals match the statistics module on the full list."""

from __future__ import annotations

import statistics
from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from tunelint.stats import _Counts, auto_epochs


@given(st.lists(st.integers(1, 70_000), min_size=1, max_size=60))
def test_counts_match_statistics_on_the_list(xs: list[int]) -> None:
    q = _Counts(Counter(xs)).quantiles()
    assert q["min"] == min(xs) and q["max"] == max(xs)
    assert q["median"] == statistics.median(xs)
    assert q["mean"] == round(statistics.fmean(xs), 1)
    if len(xs) >= 2:
        cuts = statistics.quantiles(xs, n=20, method="inclusive")
        assert (q["p5"], q["p95"]) == (round(cuts[0], 1), round(cuts[-1], 1))


@given(st.lists(st.integers(1, 500), min_size=1, max_size=60))
def test_histogram_counts_every_example_once(xs: list[int]) -> None:
    hist = _Counts(Counter(xs)).histogram()
    assert sum(c for _, _, c in hist) == len(xs)
    for lo, hi, c in hist:
        assert c == sum(1 for x in xs if lo <= x <= hi) or hi == hist[-1][1]


def test_auto_epochs_follows_the_cookbook() -> None:
    assert auto_epochs(10) == 10  # 100 // 10
    assert auto_epochs(50) == 3
    assert auto_epochs(20_000) == 1  # 25,000 // 20,000
    assert auto_epochs(1) == 25
