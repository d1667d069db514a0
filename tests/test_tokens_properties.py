"""Property tests (hypothesis): token sequences drawn from the folk-rnn grammar survive
``tokens → abc → tokens``, keeping their sounding pitches, durations and bars."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from folkabc.normalize import explicit_broken, explicit_repeats
from folkabc.grammar import token_kind
from folkabc.tokens import PITCH_RANGE, detokenize, tokenize
from folkabc.vocab import VOCAB

PITCHES = [t for t in VOCAB.tokens if VOCAB.category(t) == "pitch"]
PLAIN = [t for t in PITCHES if t[0] not in "^_="]
DURS = ["", "2", "3", "4", "6", "8", "/2", "3/2"]
METERS = [t for t in VOCAB.tokens if VOCAB.category(t) == "meter"]
MODES = [t for t in VOCAB.tokens if VOCAB.category(t) == "mode"]
BARS = ["|", "|", "|", "|:", ":|", ":| |2", ":| |:"]

_BROKEN = {">": (Fraction(3, 2), Fraction(1, 2)), "<": (Fraction(1, 2), Fraction(3, 2)),
           ">>": (Fraction(7, 4), Fraction(1, 4)), "<<": (Fraction(1, 4), Fraction(7, 4))}

# independent reference semantics of a token sequence (ABC 2.1 reading of folk-rnn tokens)
_SIG = {"K:Cmaj": {}, "K:Cmin": {"E": -1, "A": -1, "B": -1}, "K:Cdor": {"E": -1, "B": -1},
        "K:Cmix": {"B": -1}}
_NAT = dict(zip("CDEFGAB", (0, 2, 4, 5, 7, 9, 11)))
_PITCH = re.compile(r"([_=^]?)([A-Ga-g])([,']*)")


def sounding(tokens):
    """(MIDI pitches, durations in eighths per note/rest/chord, bar tokens) of a sequence."""
    sig = _SIG[tokens[1]]
    acc: dict[str, int] = {}
    pitches, durs, bars = [], [], []
    in_chord = False
    # broken rhythm: (first note, second note, factors), applied at the end where the two notes
    # are of one length (abc2midi refuses a pair of unequal notes and plays it as written)
    pairs: list[tuple[int, int, Fraction, Fraction]] = []
    pending = None
    for t in tokens[2:]:
        if t[-1] in "<>" and durs:
            pending = (len(durs) - 1, *_BROKEN[re.sub(r"[^<>]", "", t)])
        elif pending is not None and (_PITCH.fullmatch(t) or t in ("z", "[")) and not in_chord:
            pairs.append((pending[0], len(durs), pending[1], pending[2]))
            pending = None
        m = _PITCH.fullmatch(t)
        if m:
            letter = m.group(2).upper()
            octave = (5 if m.group(2).islower() else 4) + m.group(3).count("'") - m.group(3).count(",")
            if m.group(1):
                acc[letter] = {"^": 1, "_": -1, "=": 0}[m.group(1)]  # every octave (ABC 2.1 default, abc2midi)
            alt = acc.get(letter, sig.get(letter, 0))
            pitches.append(12 * (octave + 1) + _NAT[letter] + alt)
            if not in_chord:
                durs.append(Fraction(1))
        elif t == "z":
            durs.append(Fraction(1))
        elif t == "[":
            in_chord = True
            durs.append(Fraction(1))
        elif t == "]":
            in_chord = False
        elif t in _SIG:
            sig = _SIG[t]
            acc.clear()
        elif t.startswith(("|", ":|")):
            bars.append(t)
            acc.clear()
        elif re.fullmatch(r"\d*(/\d+)?[<>]*", t):
            num, _, den = t.rstrip("<>").partition("/")
            durs[-1] = Fraction(int(num or 1), int(den or 1) if _ else 1)
    for i, j, a, b in pairs:
        if j < len(durs) and durs[i] == durs[j]:
            durs[i], durs[j] = durs[i] * a, durs[j] * b
    return pitches, durs, bars


@st.composite
def tunes(draw, pitch=st.sampled_from(PITCHES), allow_changes=True, canonical=False):
    """Token sequences from the grammar; ``canonical``: only forms the tokenizer writes itself
    (broken rhythm over equal notes, every ``|:`` closed: see folkabc.normalize)."""
    toks = [draw(st.sampled_from(METERS)), draw(st.sampled_from(MODES))]
    open_repeat = first = closed = False
    in_second = second_closed = False  # just after `|2`; just after a `:|` that closed a `|2`
    if draw(st.booleans()):
        toks.append("|:")
        open_repeat = True
    for _ in range(draw(st.integers(1, 8))):
        if allow_changes and draw(st.integers(0, 9)) == 0:
            toks.append(draw(st.sampled_from(METERS + MODES)))
        for _ in range(draw(st.integers(1, 6))):
            kind = draw(st.integers(0, 9))
            if kind <= 4:
                toks.append(draw(pitch))
            elif kind == 5:
                toks.append("z")
            elif kind == 6:
                toks += ["["] + draw(st.lists(pitch, min_size=2, max_size=3)) + ["]"]
            elif kind == 7:
                toks += ["(3"] + draw(st.lists(pitch, min_size=3, max_size=3))
                continue
            else:  # broken rhythm pair
                op = draw(st.sampled_from(["2>", ">", "<", "2<", "/2>"]))
                toks += [draw(pitch), op, draw(pitch)]
                if canonical and op[0] in "2/":  # the second note as long as the first
                    toks.append(op[:-1])
                continue
            d = draw(st.sampled_from(DURS))
            if d:
                toks.append(d)
        bar = draw(st.sampled_from(BARS))
        if canonical:  # well-formed repeats: |: … |1 … :| |2 …, every |: closed
            if first:
                bar, first = ":| |2", False
            elif bar == ":| |2":
                bar, first = ("|", False) if closed else ("|1", True)
            elif open_repeat and bar == "|:":
                bar = ":| |:"
            # a `:|` closing a second ending straight before `|:` goes (folkabc.normalize)
            if in_second and bar == ":| |:":
                bar = "|:"
            elif second_closed and bar.startswith("|:") and toks[-1] == ":|":
                toks.pop()
        second_closed = in_second and bar == ":|"
        in_second = bar.endswith("|2")
        open_repeat = bar.endswith("|:") or (open_repeat and ":|" not in bar)
        closed = ":|" in bar and not bar.endswith("|:") or (closed and "|:" not in bar)
        toks += bar.split()
    if canonical and (open_repeat or first):
        if toks[-1] in ("|", "|:", "|1"):
            first = first and toks[-1] != "|1"
            toks.pop()
        toks += [":|", "|2"] if first else [":|"]
    return toks


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tunes())
def test_round_trip_is_a_fixed_point_and_keeps_the_music(toks):
    abc = detokenize(toks, title="Prop")
    (t,) = tokenize(abc)
    assert t.error is None, (t.error, abc)
    y = t.tokens
    assert tokenize(detokenize(y))[0].tokens == y
    # the same sounding pitches and durations (spelling may change, music may not), and the bar
    # lines, with the repeats made explicit as abc2midi plays them
    # (a sequence already in C moves by at most whole octaves: the octave rule may prefer the one
    # whose accidentals are in the vocabulary, counted against the first key, e.g. after K:Cmin)
    assert t.transpose % 12 == 0
    assert [p - t.transpose for p in sounding(y)[0]] == sounding(toks)[0]
    assert sounding(y)[1] == sounding(toks)[1]
    # (detokenize closes an open last bar with `|]`, read back as `|`)
    played = explicit_repeats(toks, [(0, 0)] * len(toks))[0]
    assert sounding(y)[2] == sounding(played)[2] + (["|"] if len(played) > 2 and token_kind(played[-1])
                                                      not in ("bar", "ending") else [])
    # a meter token before the first note is the opening meter (issue 16, case 4)
    opening = toks[0]
    for tok in toks[2:]:
        if tok.startswith("M:"):
            opening = tok
        elif tok == "z" or tok == "[" or tok[-1] in "ABCDEFGabcdefg,'":
            break
    assert y[:2] == [opening, toks[1]]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tunes(pitch=st.sampled_from(PLAIN), allow_changes=False, canonical=True))
def test_plain_sequences_round_trip_unchanged_and_stay_in_vocabulary(toks):
    (t,) = tokenize(detokenize(toks))
    assert t.tokens == toks
    assert t.in_vocab and t.oov == []
    assert VOCAB.decode(t.ids) == toks


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(PLAIN), min_size=1, max_size=40),
       st.sampled_from(["C", "D", "Bb", "F#", "Ab"]))
def test_transposed_pitches_stay_in_range_and_keep_intervals(notes, key):
    """A melody written in any key comes back inside the vocabulary range whenever some octave of
    the transposition to C fits it, with its intervals unchanged."""
    (t,) = tokenize("X:1\nM:4/4\nL:1/8\nK:C\n" + "".join(notes) + "|\n")
    original, _, _ = sounding(t.tokens)
    lo, hi = PITCH_RANGE
    s0 = -{"C": 0, "D": 2, "Bb": 10, "F#": 6, "Ab": 8}[key] % 12
    assume(any(lo <= min(original) + s0 + 12 * k and max(original) + s0 + 12 * k <= hi for k in range(-3, 4)))
    (u,) = tokenize(f"X:1\nM:4/4\nL:1/8\nK:{key}\n[K:C]" + "".join(notes) + "|\n")
    moved, _, _ = sounding(u.tokens)
    assert all(lo <= p <= hi for p in moved)
    assert [b - a for a, b in zip(moved, moved[1:])] == [b - a for a, b in zip(original, original[1:])]
    assert {m - o for o, m in zip(original, moved)} == {u.transpose}


@settings(max_examples=200, deadline=None)
@given(tunes(allow_changes=False))
def test_detokenized_abc_beams_within_beats(toks):
    """Notes written together (no space) last at most one beat, unless the group is one note
    (or a tuplet / broken-rhythm pair); the body has no field lines or blank lines."""
    abc = detokenize(toks)
    head, body = abc.split("\n")[:5], abc.split("\n")[5:]
    assert head[3] == "L:1/8" and head[2] == toks[0] and body[-1] == ""
    n, d = map(int, toks[0][2:].split("/"))
    beat = Fraction(3) if d == 8 and n % 3 == 0 and n > 3 else Fraction(n) if d == 8 else Fraction(2)
    for line in body[:-1]:
        assert line and not re.match(r"[A-Za-z]:", line)
        for group in line.split():
            if group.startswith(("|", ":|", "[M:", "[K:")) or "(" in group or re.search("[<>]", group):
                continue
            (g,) = tokenize(f"X:1\nM:{n}/{d}\nL:1/8\nK:C\n{group}\n")
            _, durs, _ = sounding(g.tokens)
            assert len(durs) == 1 or sum(durs) <= beat, (group, line)


def bar_sums(tokens):
    """Length of each bar in eighths (tuplets and broken rhythm not used by the generator below)."""
    sums, cur = [], Fraction(0)
    last = Fraction(0)
    for t in tokens[2:]:
        if t.startswith(("|", ":|")):
            sums.append(cur)
            cur = Fraction(0)
        elif _PITCH.fullmatch(t) or t == "z":
            last = Fraction(1)
            cur += last
        elif re.fullmatch(r"\d*(/\d+)?", t):
            num, slash, den = t.partition("/")
            d = Fraction(int(num or 1), int(den or 1) if slash else 1)
            cur += d - last
            last = d
    return sums


@st.composite
def full_bars(draw):
    meter = draw(st.sampled_from(["M:4/4", "M:6/8", "M:3/4", "M:2/4", "M:9/8"]))
    n, d = map(int, meter[2:].split("/"))
    length = n * 8 // d
    toks = [meter, draw(st.sampled_from(MODES))]
    for _ in range(draw(st.integers(1, 6))):
        left = length
        while left:
            dur = draw(st.integers(1, min(4, left)))
            toks.append(draw(st.sampled_from(PLAIN + ["z"])))
            if dur > 1:
                toks.append(str(dur))
            left -= dur
        toks.append(draw(st.sampled_from(["|", "|", ":|"])))
    return toks, length


@settings(max_examples=200, deadline=None)
@given(full_bars())
def test_bar_sums_survive_the_round_trip(drawn):
    """Every bar of a sequence built from full bars still sums to the meter after abc → tokens."""
    toks, length = drawn
    (t,) = tokenize(detokenize(toks))
    assert bar_sums(t.tokens) == [length] * len(bar_sums(toks))
    lo, hi = PITCH_RANGE
    assert all(lo <= p <= hi for p in sounding(t.tokens)[0])


@settings(max_examples=300, deadline=None)
@given(tunes(allow_changes=False))
def test_written_out_broken_rhythm_keeps_every_length(toks):
    """explicit_broken changes how lengths are written, never the lengths (reference semantics
    above, independent of folkabc), and leaves a canonical sequence alone."""
    out, pos, notes = explicit_broken(toks, [(0, 0)] * len(toks))
    assert sounding(out) == sounding(toks)
    assert len(pos) == len(out)
    assert explicit_broken(out, pos)[0] == out


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(tunes(), min_size=40, max_size=40))
def test_abc2midi_reads_the_abc_of_any_sequence(tmp_path_factory, seqs):
    """Any sequence from the grammar (unclosed `|:`, endings with no `|:`, broken rhythm over
    unequal notes, as a model may write them) is written as ABC that abc2midi reads with no error."""
    import subprocess

    from conftest import require_tool

    abc2midi = require_tool("abc2midi")
    folder = tmp_path_factory.mktemp("anyseq")
    text = "\n".join(detokenize(s, index=i) for i, s in enumerate(seqs, 1))
    (folder / "seqs.abc").write_text(text, encoding="utf-8")
    proc = subprocess.run([abc2midi, "seqs.abc"], capture_output=True, text=True, cwd=folder, timeout=120)
    errors = [ln for ln in (proc.stdout + proc.stderr).splitlines() if "Error" in ln]
    assert errors == [], (errors[:5], text[:2000])
    assert len(list(folder.glob("*.mid"))) == len(seqs)


@settings(max_examples=300, deadline=None)
@given(tunes())
def test_the_fast_paths_agree_with_the_full_passes(toks):
    """explicit_repeats and explicit_broken skip their full pass when a quick look says nothing
    changes; on any grammar sequence that look is right (the full pass changes nothing either)."""
    import folkabc.normalize as N

    pos = [(0, 0)] * len(toks)
    fast = (N.explicit_repeats(toks, pos)[0], N.explicit_broken(toks, pos)[0])
    real = N._repeats_well_formed, N._broken_equal
    N._repeats_well_formed = N._broken_equal = lambda tokens, *ends: False
    try:
        full = (N.explicit_repeats(toks, pos)[0], N.explicit_broken(toks, pos)[0])
    finally:
        N._repeats_well_formed, N._broken_equal = real
    assert fast == full


# --- the transposition choice: the pruned search picks what the rule (module docstring of tokens) says


def _shift_by_the_rule(notes, steps, semis, mode):
    """Every octave choice k = -3..3 scored as the rule reads: notes in range, then notes written with
    an accidental whose token is in the vocabulary, then the smallest shift (then the lower)."""
    from folkabc.abc.keys import FOLK_SIGNATURES, NATURAL
    from folkabc.tokens import _spelling

    lo, hi = PITCH_RANGE
    sig = FOLK_SIGNATURES[mode]
    best = None
    for k in range(-3, 4):
        s, st_ = semis + 12 * k, steps + 7 * k
        n = sum(lo <= m + s <= hi for _, m in notes)
        nm = 0
        for d, m in notes:
            marked = _spelling(d + st_, m + s)[4]
            octv, li0 = divmod(d + steps, 7)
            if m + semis - 12 * (octv + 1) - NATURAL[li0] != sig[li0] and marked in VOCAB.index:
                nm += 1
        cand = (-n, -nm, abs(s), s, st_)
        best = cand if best is None or cand < best else best
    return best[4], best[3]


@settings(max_examples=400, deadline=None)
@given(notes=st.lists(st.tuples(st.integers(0, 60), st.integers(-3, 3)), max_size=12),
       tonic=st.integers(0, 6), alter=st.integers(-1, 1), mode=st.sampled_from(["maj", "min", "dor", "mix"]))
def test_shift_choice_follows_the_rule(notes, tonic, alter, mode):
    from folkabc.abc.keys import NATURAL
    from folkabc.tokens import _choose_shift

    steps, semis = (7 - tonic) % 7, (12 if tonic else 0) - NATURAL[tonic] - alter  # to C, as tokenize_tune asks

    # (step, midi) near the natural pitch of the step: what a reader gives for a written note
    pairs = [(d, 12 * (d // 7 + 1) + NATURAL[d % 7] + a) for d, a in notes]
    from collections import Counter

    chosen = _choose_shift(set(pairs), lambda: Counter(pairs), steps, semis, mode)
    assert chosen == _shift_by_the_rule(pairs, steps, semis, mode)


_ODD_BARS = ["|", "|:", ":|", "|1", "|2", "|1,3", "||", "c", "c", "2", "M:6/8"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_ODD_BARS), max_size=14), st.data())
def test_explicit_repeats_takes_any_order_of_bars_and_endings(body, data):
    """Repeat signs and endings in any order (`c |2 |1`, `|1 |:` …) are repaired, never a crash: the
    tokens and positions stay aligned and every bar token comes from the input's."""
    toks = ["M:4/4", "K:Cmaj", *body]
    ends = data.draw(st.sets(st.sampled_from(range(len(toks)))))
    pos = [(0, i) for i in range(len(toks))]
    out, out_pos, _ = explicit_repeats(toks, pos, ends)
    assert len(out) == len(out_pos) and out[:2] == toks[:2]
    assert [t for t in out[2:] if t not in _ODD_BARS] == []
    assert [t for t in out if t in ("c", "2", "M:6/8")] == [t for t in toks if t in ("c", "2", "M:6/8")]


def test_an_ending_after_a_stray_second_ending_reads():
    """`c [2 [1`: the stray `|2` is made plain, the `|1` then replaces that empty bar (a fuzzed
    text once raised IndexError here)."""
    (t,) = tokenize("X:1\nK:C\nc[2[1\n")
    assert t.error is None and t.tokens[2:] == ["c", "|"]


_BODY_TOKENS = [t for t in VOCAB.tokens if not t.startswith(("M:", "K:", "<"))]


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(METERS), st.sampled_from(MODES), st.lists(st.sampled_from(_BODY_TOKENS), max_size=40),
       st.sampled_from([None, "A", "Bb", "F#"]))
def test_what_detokenize_writes_tokenize_reads(meter, mode, body, key):
    """Any sequence of vocabulary tokens: detokenize refuses it (one TokenSequenceError) or writes ABC
    that tokenize reads with no error (a fuzzer once found nested tuplets and empty bodies written
    as ABC that the reader then refused)."""
    from folkabc.errors import TokenSequenceError

    try:
        abc = detokenize([meter, mode, *body], key=key)
    except TokenSequenceError:
        return
    (t,) = tokenize(abc)
    assert t.error is None, (t.error, abc)


def test_detokenize_refuses_what_no_reader_takes_back():
    from folkabc.errors import TokenSequenceError

    with pytest.raises(TokenSequenceError, match="token 4: tuplet [(]3 starts inside another tuplet"):
        detokenize("M:6/8 K:Cmaj (3 c (3 d e f g a |".split())
    for empty in ("M:4/4 K:Cmaj", "M:4/4 K:Cmaj | :|"):
        with pytest.raises(TokenSequenceError, match="no note or rest in the tune body"):
            detokenize(empty.split())
