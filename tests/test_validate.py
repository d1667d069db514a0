"""folkabc.validate: bar counting on token sequences, hand-made cases with known answers.

Each miscounted case has a correct twin that must check clean.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from folkabc.tokens import tokenize
from folkabc.validate import check, check_tokens, is_token_file, read_token_file

BAR8 = "c d e f g a b c'"          # one 4/4 bar of eighths
REEL_A = " | ".join([BAR8] * 8)    # eight good bars


def one(text: str, **kw):
    res = check(text.split(), **kw)
    assert len(res) == 1
    return res[0]


def errors(r):
    return [(f.kind, f.bar) for f in r.findings if f.is_error]


# --------------------------------------------------------------------------- shared data


def test_folkrnn_example_reel_clean_with_two_pickups(folkrnn_examples):
    r = check(folkrnn_examples)[0]
    assert r.ok and r.meter == "M:4/4"
    assert [(p.part, p.bar, p.length, p.reason) for p in r.pickups] == [
        ("A", 0, 1, "completed"), ("B", 8, 1, "completed")]
    assert r.pickups[0].completed_by[0] == 8        # A's closing bar completes A's pickup
    assert 16 in r.pickups[1].completed_by          # B's closing bar completes B's pickup
    assert [f.kind for f in r.findings] == ["pickup", "pickup"]
    assert r.structure.summary == "AABB, 8+8 bars"
    # positions point into the file: the first pickup is the first body token
    assert (r.findings[0].line, r.findings[0].column) == (3, 1)


def test_folkrnn_example_jig_clean_as_6_8(folkrnn_examples):
    r = check(folkrnn_examples)[1]
    assert r.ok and r.meter == "M:6/8"
    assert r.findings and all(f.kind == "pickup" for f in r.findings)
    assert r.structure.summary == "AABB, 8+8 bars"
    assert all(f.expected == 6 for f in r.findings)


def test_folkrnn_example_as_wrong_meter_fails(folkrnn_examples):
    # the 6/8 tune read as 4/4 miscounts nearly every bar
    body = folkrnn_examples.split("\n\n")[1].split("\n")[2]
    r = one("M:4/4 K:Cmaj " + body)
    assert not r.ok and len(r.miscounted_bars) >= 14


# --------------------------------------------------------------------------- one bar off


@pytest.mark.parametrize("bad_bar, body, kind, actual", [
    (5, "c d e f g a b", "short", 7),
    (5, "c d e f g a b c' d'", "long", 9),
    (3, "c 2 e 2 g 2 c' 2 d'", "long", 9),
])
def test_reel_bar_one_quaver_off_found_at_its_bar(bad_bar, body, kind, actual):
    bars = [BAR8] * 8
    bars[bad_bar - 1] = body
    r = one("M:4/4 K:Cmaj " + " | ".join(bars) + " |")
    assert not r.ok
    assert errors(r) == [(kind, bad_bar)]
    f = r.errors[0]
    assert (f.expected, f.actual) == (8, actual)
    assert f.part == "A"


def test_reel_twin_clean():
    r = one("M:4/4 K:Cmaj " + REEL_A + " |")
    assert r.ok and r.findings == [] and r.structure.summary == "A, 8 bars"


def test_positions_reported_for_token_file():
    bars = [BAR8] * 4
    bars[2] = "c d e f g a b"
    text = "M:4/4\nK:Cmaj\n" + " | ".join(bars[:2]) + " |\n" + " | ".join(bars[2:]) + " |\n"
    r = check(text)[0]
    f = r.errors[0]
    assert (f.bar, f.line, f.column) == (3, 4, 1)
    assert f.end_line == 4 and f.end_column == len("c d e f g a b ") + 1


# --------------------------------------------------------------------------- endings


def test_wrong_first_ending():
    bad = one(f"M:4/4 K:Cmaj |: {BAR8} | {BAR8} | {BAR8} |1 c d e f g a b :|2 c 8 |")
    assert errors(bad) == [("short", 4)]
    assert bad.structure.parts[0].endings == 2 and bad.structure.summary == "AA, 4 bars"
    good = one(f"M:4/4 K:Cmaj |: {BAR8} | {BAR8} | {BAR8} |1 c d e f g a b c :|2 c 8 |")
    assert good.ok and good.findings == []


def test_wrong_second_ending_numbered_after_first():
    r = one(f"M:4/4 K:Cmaj |: {BAR8} | {BAR8} |1 c 8 :|2 c 7 |")
    assert errors(r) == [("short", 4)]


def test_short_bar_before_endings_runs_on_into_each_ending():
    good = one(f"M:4/4 K:Cmaj |: {BAR8} | c 6 |1 d 2 :|2 e 2 |")
    assert good.ok, good.findings
    bad = one(f"M:4/4 K:Cmaj |: {BAR8} | c 6 |1 d 2 :|2 e 3 |")
    assert errors(bad) == [("long", 2)]


def test_part_with_endings_then_b_part_with_pickup():
    a = f"|: G | {BAR8} | {BAR8} | {BAR8} |1 c 7 :|2 c 7 |"
    b = f"|: d | {BAR8} | {BAR8} | {BAR8} | c 7 :|"
    r = one(f"M:4/4 K:Cmaj {a} {b}")
    assert r.ok, [f.message for f in r.findings]
    assert r.structure.summary == "AABB, 4+4 bars"
    assert [p.part for p in r.pickups] == ["A", "B"]


# --------------------------------------------------------------------------- tuplets


def test_triplet_miscount():
    bad = one(f"M:4/4 K:Cmaj {BAR8} | (3 c d e f g a b c | {BAR8} |")
    assert errors(bad) == [("short", 2)]
    assert bad.errors[0].actual == 7
    good = one(f"M:4/4 K:Cmaj {BAR8} | (3 c d e f g a b c d | {BAR8} |")
    assert good.ok


@pytest.mark.parametrize("meter, body, length", [
    ("M:4/4", "(3 c 2 d 2 e 2 c 4", 8),          # (3 of quarters = a half note
    ("M:6/8", "(2 c d e f g", 6),                # (2 in 6/8: two in the time of three
    ("M:6/8", "(4 c d e f c 3", 6),              # (4: four in the time of three
    ("M:2/4", "(5 c d e f g c 2", 4),            # (5 simple meter: five in the time of two
    ("M:6/8", "(5 c d e f g c 3", 6),            # (5 compound meter: five in the time of three
    ("M:3/4", "(3 [ c e ] d e c 4", 6),          # a chord counts as one tuplet note
    ("M:2/4", "(3 c /2 d /2 e /2 c 3", 4),       # a triplet of sixteenths is one eighth
    ("M:9/8", "(7 c c c c c c c c 6", 9),        # (7 compound meter: seven in the time of three
])
def test_tuplets_count(meter, body, length):
    r = one(f"{meter} K:Cmaj {body} | {body} |")
    assert r.ok, r.findings
    r2 = one(f"{meter} K:Cmaj {body} c | {body} |")
    assert errors(r2) == [("long", 1)]
    assert r2.errors[0].expected == length


# --------------------------------------------------------------------------- broken rhythm


def test_broken_rhythm_pair():
    good = one(f"M:4/4 K:Cmaj A > B c > d e 2 f < g | {BAR8} |")
    assert good.ok
    bad = one(f"M:4/4 K:Cmaj A > B c > d e 2 f < g a | {BAR8} |")
    assert errors(bad) == [("long", 1)] and bad.errors[0].actual == 9


@pytest.mark.parametrize("body", [
    "c 2> d 2 c 2> d 2",        # fused: 3 + 1 + 3 + 1
    "c >> d c 3/2 d /2 c 2 d 2",  # >>: 7/4 + 1/4
    "c /2> d /2 c 2< d 2 c 3",    # 3/4 + 1/4, 1 + 3 — fused on short and long notes
    "[ c e ] > d c 2 c 2 c 2",    # broken rhythm after a chord
])
def test_broken_rhythm_shapes(body):
    assert one(f"M:4/4 K:Cmaj {body} | {BAR8} |").ok


# --------------------------------------------------------------------------- chords, rests, meters


@pytest.mark.parametrize("body", [
    "[ C E G ] 2 [ C 2 E 2 ] c 4",
    "[ C E G ] [ C E G ] z 2 c 4",
    "[ C /2 E G ] 2 c /2 c /2 c 6",
])
def test_chords_count_once(body):
    assert one(f"M:4/4 K:Cmaj {body} | {BAR8} |").ok


def test_inline_meter_change():
    r = one(f"M:4/4 K:Cmaj {BAR8} | M:3/4 c 6 | c 2 d 2 e 2 | M:4/4 {BAR8} |")
    assert r.ok, r.findings
    bad = one(f"M:4/4 K:Cmaj {BAR8} | M:3/4 c 6 | {BAR8} |")
    assert errors(bad) == [("long", 3)] and bad.errors[0].expected == 6


def test_extended_tokens_count():
    r = one("M:3/8 K:Cmaj c 3 | ^^F 3/2 c'' 3/2 | (9 c c c c c c c c c c |")
    assert r.ok, r.findings   # (9 in simple meter: 9 in the time of 2 -> 2 + 1


def test_multi_measure_rest():
    assert one("M:4/4 K:Cmaj Z | c 8 | Z 4 | c 8 |").ok
    assert errors(one("M:4/4 K:Cmaj c 4 Z | c 8 |")) == [("long", 1)]


def test_free_meter_not_counted():
    assert one("M:none K:Cmaj c d e | c |").ok


def test_meter_argument_for_body_only():
    assert check("c 4 c 4 | c 8 |".split(), meter="M:4/4")[0].ok
    assert not check("c 4 c 4 | c 8 |".split(), meter="M:3/4")[0].ok


# --------------------------------------------------------------------------- pickups


def kinds(r):
    return [(f.kind, f.bar) for f in r.findings if f.kind != "pickup"]


def test_pickup_not_completed_by_last_bar():
    bad = one(f"M:4/4 K:Cmaj G | {REEL_A[:-len(BAR8)]} c 6 :|")
    assert kinds(bad) == [("unmatched-pickup", 0), ("short", 8)]
    assert errors(bad) == [("short", 8)]
    msg = bad.errors[0].message
    assert "short" in msg and "with the pickup: 7" in msg
    good = one(f"M:4/4 K:Cmaj G | {REEL_A[:-len(BAR8)]} c 7 :|")
    assert good.ok and good.ok_strict and [p.reason for p in good.pickups] == ["completed"]


def test_pickup_with_full_last_bar_is_its_own_kind_and_fails_only_strict():
    # printed collections open with a pickup and close with a full bar: not a miscounted bar
    r = one(f"M:4/4 K:Cmaj G | {REEL_A} |")
    assert kinds(r) == [("unmatched-pickup", 0)] and errors(r) == []
    assert r.ok and not r.ok_strict and r.errors == []
    assert r.pickups[0].reason == "unmatched" and not r.pickups[0].accepted
    strict = one(f"M:4/4 K:Cmaj G | {REEL_A} |", strict=True)
    assert not strict.ok and not strict.ok_strict
    assert [(f.kind, f.bar) for f in strict.errors] == [("unmatched-pickup", 0)]
    assert strict.to_dict()["ok_strict"] is False and r.to_dict()["ok"] is True


def test_pickup_into_repeat_accepted():
    r = one(f"M:4/4 K:Cmaj G | |: {BAR8} | {BAR8} :|")
    assert r.ok
    assert [(p.bar, p.reason) for p in r.pickups] == [(0, "leads into a repeat")]
    assert r.structure.summary == "AA, 2 bars"


def test_short_closing_bar_without_pickup():
    r = one(f"M:4/4 K:Cmaj |: {BAR8} | c 7 :|")
    assert errors(r) == [("short", 2)]
    assert "no pickup completes it" in r.errors[0].message


def test_b_pickup_does_not_complete_a_repeated_a_part():
    # A starts on the beat and its last bar is short: as played, `c 7 :|` goes back to A's first
    # bar, a 7-eighth bar (abc2midi reports it too); B's pickup completes only B's closing bar
    r = one(f"M:4/4 K:Cmaj |: {BAR8} | c 7 :| |: d | {BAR8} | c 7 :|")
    assert errors(r) == [("short", 2)]
    assert r.pickups[0].part == "B" and r.pickups[0].completed_by == [4]


def test_case2_a_pickup_is_completed_only_by_the_bar_closing_its_own_part():
    # issue 16 case 2 (6/8): A's closing bar is 4 + its pickup 1 as played, B's is 5 + its pickup 2;
    # before, A's closing bar was taken as completed by B's pickup (4 + 2) and the tune passed
    r = one("M:6/8 K:Cmaj |: E | C D E C D E | D C B, C :| |: E F | G A G F E D | D C C C 2 :|")
    assert not r.ok and not r.ok_strict
    assert errors(r) == [("short", 2), ("short", 3), ("short", 5)]
    assert "with the pickup: 5" in r.errors[0].message and "with the pickup: 7" in r.errors[2].message
    # the same tune with matching closing bars passes
    good = one("M:6/8 K:Cmaj |: E | C D E C D E | D C B, C D :| |: E F | G A G F E D | D C C 2 :|")
    assert good.ok and [p.completed_by for p in good.pickups] == [[2], [4]]


def test_structure_three_parts():
    a = f"|: {BAR8} | {BAR8} :|"
    b = f"|: {BAR8} | {BAR8} | {BAR8} | {BAR8} :|"
    c = f"{BAR8} | {BAR8} |"
    r = one(f"M:4/4 K:Cmaj {a} {b} {c}")
    assert r.ok and r.structure.summary == "AABBC, 2+4+2 bars"
    assert [p.repeated for p in r.structure.parts] == [True, True, False]


# --------------------------------------------------------------------------- inputs and JSON


def test_token_file_detection_and_reader(folkrnn_examples):
    assert is_token_file(folkrnn_examples)
    assert not is_token_file("X:1\nT:x\nM:4/4\nK:G\nGABc|\n")
    seqs = read_token_file(folkrnn_examples)
    assert [s[0][:2] for s in seqs] == [["M:4/4", "K:Cmaj"], ["M:6/8", "K:Cmaj"]]
    assert [s[2] for s in seqs] == [1, 5]
    one_line = check("M:2/4 K:Cmix c 4 | c 2 d 2 |\n")
    assert len(one_line) == 1 and one_line[0].ok


def test_json_shape(folkrnn_examples):
    d = check(folkrnn_examples)[0].to_dict()
    assert {"index", "title", "ok", "findings", "structure"} <= set(d)
    f = d["findings"][0]
    assert {"bar", "expected", "actual", "line", "column", "message", "kind"} <= set(f)
    assert d["structure"]["summary"] == "AABB, 8+8 bars"
    bad = one("M:6/8 K:Cmaj c 6 | c 3 c 5/2 | c 6 |").to_dict()
    assert bad["findings"][0]["actual"] == "11/2" and bad["ok"] is False


def test_check_tokens_unit_rescales():
    r = check_tokens("M:2/4 K:Cmaj c 2 d 2 | c 3 |".split(), unit=Fraction(1, 16))
    assert [(f.expected, f.actual) for f in r.findings] == [(8, 6)]


# --------------------------------------------------------------------------- ABC input (real data)

ABC_SECTIONS = """\
X:4
T:mid-tune pickup after a double bar
M:4/4
L:1/8
K:G
gggg gggg|gggg gggg|gggg gggg|gggg ggg||g|gggg gggg|gggg ggg|gggg gggg|gggg ggg|]
"""


def test_abc_double_bar_ends_a_section():
    # the tokens write || as |, the checker reads it from the source: ggg + the B pickup g make a bar
    r = check(ABC_SECTIONS)[0]
    assert (r.index, r.title) == (4, "mid-tune pickup after a double bar")
    assert r.structure.summary == "AB, 4+4 bars"
    assert [(p.part, p.reason) for p in r.pickups] == [("B", "completed")]
    assert [(f.kind, f.bar, f.line, f.column) for f in r.errors] == [("short", 6, 6, 53)]


def test_abc_unit_length_and_meter_text():
    r = check("X:1\nT:t\nM:C|\nL:1/4\nK:D\nA2 B2|c2 d|A4|]\n")[0]
    assert r.meter in ("M:2/2", "M:4/4") and r.unit == Fraction(1, 4)  # the same bar length
    assert [(f.bar, f.expected, f.actual) for f in r.errors] == [(2, 4, 3)]


def test_oneills_collection_reads_and_counts():
    from conftest import music21_abc_paths

    paths = music21_abc_paths("oneills1850")[:4]
    n_tunes = ok = 0
    for p in paths:
        text = p.read_text(encoding="latin-1")
        res = check(text)
        assert len(res) == text.count("\nX:") + text.startswith("X:")
        n_tunes += len(res)
        ok += sum(r.ok for r in res)
        # every tune is read, but for O'Neill's 83, whose `(9(9` nests a tuplet in a tuplet
        assert [(r.index, r.error) for r in res if r.error is not None] == (
            [(83, "tune 83 'THE BRINK OF THE WHITE ROCKS', line 568, column 30: tuplet (9 starts inside "
                  "another tuplet (abc2midi and the folk-rnn grammar have no nested tuplets)")]
            if p.name == "0051-0100.abc" else [])
    # real transcriptions are mostly well counted, but not all
    assert n_tunes > 150 and 0.6 < ok / n_tunes < 1.0


def test_fun_at_donnybrook_missing_bar_line():
    # O'Neill's 5: a bar line is missing in the second line, so bar 8 holds two bars (12 of 6)
    from conftest import music21_abc_paths

    path = [p for p in music21_abc_paths("oneills1850") if p.name == "0001-0050.abc"][0]
    r = [r for r in check(path.read_text(encoding="latin-1")) if r.index == 5][0]
    assert [(f.kind, f.bar, f.expected, f.actual) for f in r.errors] == [("long", 8, 6, 12)]
    assert r.pickups[0].reason == "completed"


# --------------------------------------------------------------------------- property: generated bars

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

# figures (tokens, length in eighths) from which bars are built
FIGURES = [
    ("c", Fraction(1)), ("d 2", Fraction(2)), ("e 3", Fraction(3)), ("f /2", Fraction(1, 2)),
    ("g 3/2", Fraction(3, 2)), ("a 4", Fraction(4)), ("c > d", Fraction(2)), ("c 2< d 2", Fraction(4)),
    ("(3 c d e", Fraction(2)), ("(3 c 2 d 2 e 2", Fraction(4)), ("[ c e ] 2", Fraction(2)),
    ("z", Fraction(1)), ("c >> d", Fraction(2)), ("(2 c d", Fraction(3)),
]
METERS = {"M:4/4": 8, "M:6/8": 6, "M:3/4": 6, "M:2/4": 4, "M:9/8": 9}


@st.composite
def tunes(draw):
    meter = draw(st.sampled_from(sorted(METERS)))
    size = METERS[meter]
    bars = []
    for _ in range(draw(st.integers(2, 8))):
        left, figs = Fraction(size), []
        while left:
            fits = [f for f in FIGURES if f[1] <= left]
            tok, length = draw(st.sampled_from(fits))
            figs.append(tok)
            left -= length
        bars.append(" ".join(figs))
    return meter, bars


@settings(max_examples=60, deadline=None)
@given(tunes(), st.data())
def test_generated_bars_count_and_one_extra_note_is_found(tune, data):
    meter, bars = tune
    good = check(f"{meter} K:Cmaj {' | '.join(bars)} |".split())[0]
    assert good.ok and good.bars == len(bars), good.findings
    k = data.draw(st.integers(0, len(bars) - 1))
    bad_bars = list(bars)
    bad_bars[k] += " B"
    bad = check(f"{meter} K:Cmaj {' | '.join(bad_bars)} |".split())[0]
    assert [(f.kind, f.bar) for f in bad.errors] == [("long", k + 1)]
    assert bad.errors[0].actual == METERS[meter] + 1


def test_airds_endings_that_start_mid_bar():
    # Aird's Airs book 1, 104 "Big Bowwow": `G2G [1 G2:| [2 G3||` — each ending completes the bar
    # before it (3 + 2 with the pickup c, 3 + 3); abc2midi adds both endings into one bar
    from conftest import music21_abc_paths

    path = [p for p in music21_abc_paths("airdsAirs") if p.name == "book1.abc"][0]
    blocks = ["X:" + b for b in path.read_text(encoding="latin-1").split("\nX:")[1:]]
    wanted = [b for b in blocks if b.startswith(("X:0104", "X:0152"))]
    res = {r.index: r for r in check("\n".join(wanted))}
    assert sorted(res) == [104, 152]
    for r in res.values():
        assert r.ok, [f.message for f in r.errors]
        assert r.structure.summary == "AABB, 8+8 bars"
        assert r.structure.parts[0].endings == 2
        assert r.pickups[0].reason == "completed"


@pytest.mark.parametrize("header, unit", [("M:6/8\nL:1/16 % sixteenths", Fraction(1, 16)),
                                          ("M:3+2/8", Fraction(1, 16)), ("M:C|", Fraction(1, 8))])
def test_findings_use_the_unit_length_the_reader_used(header, unit):
    (r,) = check(f"X:1\n{header}\nK:C\nCDE|\n")
    assert r.unit == unit


# ------------------------------------------------------------------ Essen: line ends as bar lines


def test_close_line_bars_restores_essens_phrase_end_bar_lines():
    """Essen writes one phrase per line and drops the bar line at its end; close_line_bars puts it
    back only where the bar is full. On the first four Essen files it turns 470 of 876 clean tunes
    into 652 (strict; 480 into 671 with unmatched pickups allowed), and no clean tune gets worse."""
    from conftest import music21_abc_paths

    from folkabc import tokenize
    from folkabc.validate import close_line_bars

    paths = music21_abc_paths("essenFolksong")[:4]
    halewyn = [t for t in tokenize(paths[0].read_text(encoding="latin-1")) if t.index == 9][0]
    assert halewyn.title == "Halewyn"
    fixed = close_line_bars(halewyn)
    assert " ".join(fixed.tokens) == (
        "M:3/4 K:Cmaj C 2 A, 2 _B, 2 | C 4 C 2 | D 2 C 2 _B, 2 | A, 6 | C 2 _B, 2 A, 2 | G, 2 F, 2 G, 2 | "
        "A, 2 _B, 2 C 2 | D 6 | D 2 _E 2 D 2 | C 4 D 2 | C 2 A, 2 _B, 2 | C 6")
    assert fixed.warnings[-1] == "2 bar lines added at line ends where the bar was full"
    assert [f.kind for f in check(halewyn)[0].errors] == ["long", "long"] and check(fixed)[0].ok
    n = before = after = worse = 0
    lenient = [0, 0]
    for p in paths:
        for t in tokenize(p.read_text(encoding="latin-1")):
            if t.error is None:
                r, rb = check(t)[0], check(close_line_bars(t))[0]
                a, b = r.ok_strict, rb.ok_strict
                n, before, after, worse = n + 1, before + a, after + b, worse + (a and not b)
                lenient[0] += r.ok
                lenient[1] += rb.ok
    assert (n, before, after, worse) == (876, 470, 652, 0)
    # unmatched pickups (its own kind) do not fail a tune unless strict
    assert lenient == [480, 671]


def test_close_line_bars_leaves_upbeat_lines_and_other_tunes_alone():
    from folkabc import tokenize
    from folkabc.validate import close_line_bars

    # a line that ends mid-bar (the next phrase starts with an upbeat) gets no bar line
    upbeat = tokenize("X:1\nM:3/4\nL:1/4\nK:C\nC2 | E3 | c\nc | c3 |]\n")[0]
    assert close_line_bars(upbeat) is upbeat
    # a tune that could not be read, and a free meter, come back as they are
    bad = tokenize("X:1\nK:C\nC#D|\n")[0]
    assert bad.error is not None and close_line_bars(bad) is bad
    free = tokenize("X:1\nM:none\nL:1/8\nK:C\nCDEF\nGABc|\n")[0]
    assert close_line_bars(free) is free


def test_a_file_header_unit_is_the_unit_findings_count_in():
    # L:1/16 in the file header, before X:1: lengths are reported in sixteenths, as in the tune
    r = check("L:1/16\n\nX:1\nM:2/4\nK:C\nCDEF GABc|CDEF GAB|\n")[0]
    assert r.unit == Fraction(1, 16)
    assert [f.message for f in r.findings] == ["bar 2 (part A) is short: 7 units of 1/16 instead of 8"]


def test_check_answers_from_the_tokenized_facts_alone():
    # the checker never re-reads the source: a TokenizedTune whose source text is gone checks the same
    tt = tokenize(ABC_SECTIONS)[0]
    assert tt.part_ends and tt.unit == Fraction(1, 8)
    bare = tt._replace(abc="")
    assert bare.abc == "" and tt.abc and bare.tokens == tt.tokens
    a, b = check(tt)[0], check(bare)[0]
    c = check_tokens(tt.tokens, positions=tt.positions, index=tt.index, title=tt.title,
                     part_ends=tt.part_ends, unit=tt.unit)
    assert a.to_dict() == b.to_dict() == {**c.to_dict(), "line": a.line}
    assert check(ABC_SECTIONS)[0].to_dict() == a.to_dict()
    # without the part ends the `||` is not seen: the short bar before it is not a part's end
    assert check_tokens(tt.tokens).structure.summary != a.structure.summary


def test_cli_strict_fails_an_unmatched_pickup(tmp_path, capsys):
    from folkabc.cli import main

    f = tmp_path / "t.txt"
    f.write_text("<s> M:4/4 K:Cmaj G | c 8 | c 8 | </s>\n")
    assert main(["check", str(f)]) == 0
    out = capsys.readouterr().out
    assert "1 ok only because an unmatched pickup is allowed" in out and "is not completed" in out
    assert main(["check", "--strict", str(f)]) == 1
    assert "0 ok, 1 with miscounted bars" in capsys.readouterr().out
    assert main(["check", "--errors-only", str(f)]) == 0
    assert "is not completed" not in capsys.readouterr().out
