"""folkabc check against abc2midi -c (Debian abcmidi) as a peer, on hand-made tunes and on
every tune of the music21 ABC collections."""

from __future__ import annotations

import collections

import pytest
from conftest import music21_abc_paths, require_tool

from folkabc.validate import check
from folkabc.validate.peer import abc2midi_bar_warnings, compare_with_abc2midi, parse_abc2midi_output

pytestmark = pytest.mark.external

HAND_MADE = """\
X:1
T:Reel, bar 5 one quaver short
M:4/4
L:1/8
K:G
|:D|GABc dedB|dBAG FGAF|GABc dedB|ABAG FD D2|
GABc ded|dBAG FGAF|GABc dedB|ABAG G3:|

X:2
T:Twin of 1
M:4/4
L:1/8
K:G
|:D|GABc dedB|dBAG FGAF|GABc dedB|ABAG FD D2|
GABc dedB|dBAG FGAF|GABc dedB|ABAG G3:|

X:3
T:Jig with grace notes, a triplet miscount in bar 3
M:6/8
L:1/8
K:D
A|{g}d2A {e}f2d|(3efe d cBA|(3Bcd e fg|b2a a2:|

X:4
T:Hornpipe, broken rhythm miscount in bar 2
M:4/4
L:1/8
K:D
(3ABc|d>cd>e f>ed>c|B>AB>c d>e f>g a|b>ag>f e>dc>B|A2 a2 a2:|

X:5
T:Polka in L:1/16 with chords, long bar 3
M:2/4
L:1/16
K:G
B2c2|[d4B4] [d4B4]|e2d2 B2A2|G4 A4 B2|[A4F4]|]
"""


@pytest.fixture(scope="module")
def hand_made(tmp_path_factory):
    require_tool("abc2midi")
    path = tmp_path_factory.mktemp("peer") / "hand.abc"
    path.write_text(HAND_MADE)
    return path


def test_abc2midi_output_parsed_by_tune(hand_made):
    warnings = abc2midi_bar_warnings(hand_made)
    assert sorted(warnings) == [0, 2, 3, 4]          # tune 2 (the twin) is clean for abc2midi too
    w = warnings[0][0]
    assert (w.line, w.in_repeat) == (7, False) and w.actual == "7/2" and w.expected == "4"


def test_hand_made_tunes_found_at_the_right_bar(hand_made):
    res = check(hand_made.read_text())
    got = {r.index: [(f.kind, f.bar) for f in r.errors] for r in res}
    assert got == {1: [("short", 5)], 2: [], 3: [("short", 3)], 4: [("long", 2)], 5: [("long", 3)]}
    assert res[1].ok and [p.reason for p in res[1].pickups] == ["completed"]
    # grace notes count zero: bar 1 of tune 3 is {g}d2A {e}f2d = 6 eighths
    assert res[2].miscounted_bars == [3]
    # L:1/16: lengths are reported in sixteenths
    f = res[4].errors[0]
    assert (f.expected, f.actual, f.line) == (8, 10, 36)


def test_hand_made_tunes_agree_with_abc2midi(hand_made):
    comps = compare_with_abc2midi(hand_made)
    assert [c.index for c in comps] == [1, 2, 3, 4, 5]
    assert all(c.agree for c in comps), [(c.index, c.ours, c.theirs) for c in comps if not c.agree]
    assert [len(c.ours) for c in comps] == [1, 0, 1, 1, 1]


def test_parse_output_maps_lines_to_tunes():
    out = ("Warning in line-char 3-5 : Track 0 Bar 1 has 3 time units while the time signature has 4\n"
           "Warning in line-char 12-0 : Track 0 Bar 0 has 9/2 time units while the time signature has 4"
           " in repeat\n")
    got = parse_abc2midi_output(out, [1, 10])
    assert sorted(got) == [0, 1] and got[1][0].in_repeat and got[1][0].column == 1


@pytest.mark.slow
def test_agreement_with_abc2midi_over_music21_collections():
    require_tool("abc2midi")
    per = collections.Counter()
    agree = collections.Counter()
    examples = {}
    for path in music21_abc_paths():
        for c in compare_with_abc2midi(path):
            coll = path.parent.name
            per[coll] += 1
            agree[coll] += c.agree
            if not c.agree:
                examples.setdefault(coll, (path.name, c.index, c.title))
    total, ok = sum(per.values()), sum(agree.values())
    report = {k: f"{agree[k]}/{per[k]}" for k in per}
    print("agreement with abc2midi:", report, f"total {ok}/{total} = {ok / total:.3f}", examples)
    assert total > 12000                      # every collection was read
    assert ok / total >= 0.95, report
    assert all(agree[k] / per[k] >= 0.85 for k in per), report
