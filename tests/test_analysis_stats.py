"""folkabc.analysis.stats: intervals, distances, the AABB detector and the bar period, by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from folkabc.analysis.stats import (
    bar_period,
    bootstrap_interval,
    steps_between_bar_lines,
    tv_distance,
    two_repeated_parts,
    wilson_interval,
)
from folkabc.errors import ParameterError
from folkabc.validate import PartSummary, Structure, check


# Wilson by hand: p = k/n, z = 1.96, (p + z²/2n ± z sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)
@pytest.mark.parametrize("k, n, lo, hi", [
    (0, 10, 0.0, 0.27753),        # centre 0.19207, half 0.19207, den 1.38415
    (10, 10, 0.72247, 1.0),       # the mirror image
    (5, 10, 0.23659, 0.76341),    # centre 0.69207/1.38415 = 0.5, half 0.37459/1.38415
    (258, 300, 0.81617, 0.89472),  # issue 20: 86.0% [81.6–89.5]
    (1, 1, 0.20654, 1.0),
])
def test_wilson_hand_checked(k, n, lo, hi):
    got = wilson_interval(k, n)
    assert got[0] == pytest.approx(lo, abs=5e-5) and got[1] == pytest.approx(hi, abs=5e-5)


def test_wilson_contains_the_share_and_narrows():
    for n in (1, 7, 50, 400):
        for k in range(0, n + 1, max(1, n // 7)):
            lo, hi = wilson_interval(k, n)
            assert 0 <= lo <= k / n <= hi <= 1
    assert np.diff([np.diff(wilson_interval(n // 2, n))[0] for n in (10, 100, 1000)]).max() < 0


def test_wilson_z_and_errors():
    lo, hi = wilson_interval(5, 10, z=1.0)  # centre 0.5, half sqrt(0.025 + 0.0025)/1.1
    assert hi - 0.5 == pytest.approx(math.sqrt(0.0275) / 1.1)
    assert wilson_interval(0, 0) == (0.0, 1.0)
    for k, n in ((3, 2), (-1, 4), (1.5, 4)):
        with pytest.raises(ParameterError):
            wilson_interval(k, n)


def test_bootstrap_constant_and_two_values():
    assert bootstrap_interval(np.full(20, 3.0)) == (3.0, 3.0)
    # the mean of n draws of {0, 1} (half each): about 0.5 ± 1.96 * 0.5/sqrt(n)
    x = np.array([0.0, 1.0] * 200)
    lo, hi = bootstrap_interval(x, np.mean, n_boot=4000)
    assert lo == pytest.approx(0.5 - 1.96 * 0.5 / 20, abs=0.012)
    assert hi == pytest.approx(0.5 + 1.96 * 0.5 / 20, abs=0.012)


def test_bootstrap_rows_ratio_and_seed():
    rows = np.array([[2.0, 1.0], [6.0, 3.0], [4.0, 2.0]])  # every ratio is 2
    assert bootstrap_interval(rows, lambda r: r[:, 0].sum() / r[:, 1].sum()) == (2.0, 2.0)
    x = np.random.default_rng(1).normal(size=50)
    assert bootstrap_interval(x, rng=3) == bootstrap_interval(x, rng=3)
    with pytest.raises(ParameterError):
        bootstrap_interval([])
    with pytest.raises(ParameterError):
        bootstrap_interval([1.0], level=1.0)


def test_tv_distance_by_hand():
    assert tv_distance({"a": 3, "b": 1}, {"a": 1, "b": 3}) == pytest.approx(0.5)
    assert tv_distance({"a": 1}, {"b": 5}) == 1.0
    assert tv_distance({"a": 2, "b": 2}, {"a": 1, "b": 1}) == 0.0
    with pytest.raises(ParameterError):
        tv_distance({}, {"a": 1})


def _part(bars: int, *, repeat: str = "|: ", close: str = ":|") -> str:
    return repeat + " | ".join(["c 2 c 2 c 2 c 2"] * bars) + f" {close} "


def test_two_repeated_parts_on_checked_tunes():
    aabb = check(("M:4/4 K:Cmaj " + _part(8) + _part(8)).split())[0]
    assert aabb.ok and aabb.structure.summary == "AABB, 8+8 bars"
    assert two_repeated_parts(aabb.structure)
    # with first and second endings
    a = "|: " + " | ".join(["c 2 c 2 c 2 c 2"] * 7) + " |1 c 8 :|2 c 8 |] "
    endings = check(("M:4/4 K:Cmaj " + a + _part(8)).split())[0]
    assert endings.ok and two_repeated_parts(endings.structure), endings.structure.summary
    for body in (_part(8) + _part(4),              # AABB, 8+4
                 _part(8),                          # AA
                 _part(8) + _part(8) + _part(8),    # AABBCC
                 _part(8, repeat="| ", close="|") + _part(8, repeat="", close="||")):  # no repeats
        s = check(("M:4/4 K:Cmaj " + body).split())[0].structure
        assert not two_repeated_parts(s), s.summary
    assert two_repeated_parts(check(("M:4/4 K:Cmaj " + _part(4) + _part(4)).split())[0].structure, bars=4)


def test_two_repeated_parts_from_a_structure():
    assert two_repeated_parts(Structure([PartSummary("A", 8, True, 0, True), PartSummary("B", 8, True, 0, False)]))
    assert not two_repeated_parts(Structure([PartSummary("A", 8, True, 0, True), PartSummary("B", 8, False, 0, False)]))
    assert not two_repeated_parts(Structure([]))
    with pytest.raises(ParameterError):
        two_repeated_parts(Structure([]), bars=0)


def test_steps_between_bar_lines_by_hand():
    toks = "M:6/8 K:Cmaj G | c 2 c c 2 c |: d e f g a b :| c 6 |1 d 6 |2 e 6 |".split()
    # bar lines at 3, 10, 17, 20, 23, 26 -> 7, 7, 3, 3, 3
    assert steps_between_bar_lines(toks).tolist() == [7, 7, 3, 3, 3]
    assert steps_between_bar_lines("M:4/4 K:Cmaj c d e f".split()).size == 0
    # chord brackets are not bar lines
    assert steps_between_bar_lines("M:4/4 K:Cmaj | [ c e ] 4 c 4 |".split()).tolist() == [8]


def test_bar_period_by_hand():
    reel = ["M:4/4", "K:Cmaj", "|", *(list("cdefgabc") + ["|"]) * 3]    # 9 steps per bar
    crotchets = ["M:4/4", "K:Cmaj", "|", *(["c", "2", "d", "2", "e", "2", "f", "2"] + ["|"]) * 2]  # 9
    short = ["M:4/4", "K:Cmaj", "|", "c", "4", "c", "4", "|", "c", "8", "|"]  # 5, 3 -> mean 4
    bp = bar_period([reel, crotchets, short, ["M:4/4", "K:Cmaj", "c"]])
    assert (bp.tunes, bp.bars) == (3, 7)
    assert bp.period == 9.0                       # median of 9, 9, 4
    assert bp.median_tokens_per_bar == 8.0        # bars of 8, 8, 8, 8, 8, 4, 2 tokens
    # quartiles of (4, 9, 9) are 6.5 and 9; the upper end widens to 9 * 1.0333
    assert bp.band[0] == pytest.approx(6.5) and bp.band[1] == pytest.approx(9 * 1.0333)
    narrow = bar_period([reel, crotchets])
    assert narrow.band == pytest.approx((9 * (1 - 0.0333), 9 * (1 + 0.0333)))
    with pytest.raises(ParameterError, match="two bar lines"):
        bar_period([["M:4/4", "K:Cmaj", "c", "|"]])
