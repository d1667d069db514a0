"""MIDI: the notes folkabc plays, checked by hand on small tunes and against abc2midi on the corpus."""

from __future__ import annotations

import random
import subprocess
from collections import Counter
from fractions import Fraction
from pathlib import Path

import pytest

from conftest import music21_abc_paths, require_tool
from folkabc.render import load_tunes, perform, performance_to_midi, read_midi, render
from folkabc.render.perform import DEFAULT_QPM, TEMPO_BY_TYPE, Note

F = Fraction


def _abc(body: str, *, meter: str = "4/4", unit: str = "1/8", key: str = "D", extra: str = "") -> str:
    return f"X:1\nT:t\nM:{meter}\nL:{unit}\n{extra}K:{key}\n{body}\n"


def _triples(notes):
    """(onset, pitch, duration) in eighth notes, for readable expectations."""
    return [(n.onset * 2, n.pitch, n.duration * 2) for n in notes]


# Hand-checked expectations (times in eighth notes; A = 69 and K:D sharpens F and C).
@pytest.mark.parametrize(
    "body, expected",
    [
        ("A B c d", [(0, 69, 1), (1, 71, 1), (2, 73, 1), (3, 74, 1)]),
        ("A2-A2 A", [(0, 69, 4), (4, 69, 1)]),  # tie joins one pitch
        ("A>B A<B", [(0, 69, F(3, 2)), (F(3, 2), 71, F(1, 2)), (2, 69, F(1, 2)), (F(5, 2), 71, F(3, 2))]),
        ("(3ABc d", [(0, 69, F(2, 3)), (F(2, 3), 71, F(2, 3)), (F(4, 3), 73, F(2, 3)), (2, 74, 1)]),
        ("{g}A2", [(0, 79, F(1, 4)), (F(1, 4), 69, F(7, 4))]),  # grace: a quarter of L from the note
        ("^A =c a A|A", [(0, 70, 1), (1, 72, 1), (2, 82, 1), (3, 70, 1), (4, 69, 1)]),  # bar accidentals
        ("[AB]2 z B", [(0, 69, 2), (0, 71, 2), (3, 71, 1)]),
        ("|:AB:|c", [(0, 69, 1), (1, 71, 1), (2, 69, 1), (3, 71, 1), (4, 73, 1)]),
        ("|:A|1 B:|2 c|]", [(0, 69, 1), (1, 71, 1), (2, 69, 1), (3, 73, 1)]),
        ("~A3", [(0, 69, 1), (1, 71, F(1, 4)), (F(5, 4), 69, F(3, 4)), (2, 67, F(1, 4)), (F(9, 4), 69, F(3, 4))]),
        (".A2 HA", [(0, 69, 1), (2, 69, 2)]),  # staccato sounds half; fermata doubles
        ("{g}.A2", [(0, 79, F(1, 4)), (F(1, 4), 69, F(3, 4))]),  # half of A2, less the grace
        ("T(AB)", [(0, 69, 1), (1, 71, 1)]),  # abc2midi drops a decoration before a slur
        ("TA", [(0, 71, F(1, 4)), (F(1, 4), 69, F(1, 4)), (F(1, 2), 71, F(1, 4)), (F(3, 4), 69, F(1, 4))]),
    ],
)
def test_perform_hand_checked(body, expected):
    assert _triples(perform(_abc(body)).notes) == [(F(a), p, F(d)) for a, p, d in expected]


# How abc2midi plays repeat structures (each line checked with abc2midi 4.84 by hand).
@pytest.mark.parametrize(
    "body, played",
    [
        ("|: A |1 B :|2 c || d e :|", "A B A c d e A d e"),
        ("|: A |1 B :|2 c | d e :|", "A B A c d e A"),
        ("|: A |1 B :|2 c || d e |1 f :|2 g |]", "A B A c d e g"),
        ("A :| B || c :|", "A A B c c"),
        ("A || B :|", "A B A B"),
        ("|: A :| B | c || d :|", "A A B c d d"),
        ("A B |1 c :|2 d || e :|", "A B c A B d e A B e"),
        ("A B :| c d |: e f :| g a :: B c :| d", "A B A B c d e f e f g a g a B c B c d"),
        ("|: A B |1 c d :|2 e f || g a |1 B c :|2 d e |]", "A B c d A B e f g a d e"),
    ],
)
def test_repeats_as_abc2midi_plays_them(body, played):
    names = {69: "A", 71: "B", 73: "c", 74: "d", 76: "e", 78: "f", 79: "g", 81: "a"}
    assert " ".join(names[n.pitch] for n in perform(_abc(body)).notes) == played


def test_keys_and_modes():
    # K:Ador has F sharp (A dorian = G major's notes); K:Bb flattens B and E; K:F#min sharpens F C G
    assert [n.pitch for n in perform(_abc("ABcfg", key="Ador")).notes] == [69, 71, 72, 78, 79]
    assert [n.pitch for n in perform(_abc("Bce", key="Bb")).notes] == [70, 72, 75]
    assert [n.pitch for n in perform(_abc("FCG", key="F#min")).notes] == [66, 61, 68]
    assert [n.pitch for n in perform(_abc("Fc", key="D exp ^f _c")).notes] == [66, 71]


def test_tempo_from_q_and_type():
    assert perform(_abc("A", extra="Q:3/8=120\n", meter="6/8")).qpm == pytest.approx(180)
    assert perform(_abc("A", extra="R:reel\n")).qpm == TEMPO_BY_TYPE["reel"]
    assert perform(_abc("A", extra="R:Slip jig\n", meter="9/8")).qpm == TEMPO_BY_TYPE["slip jig"]
    assert perform(_abc("A")).qpm == DEFAULT_QPM


def test_hornpipe_lilt():
    notes = perform(_abc("dedc", extra="R:hornpipe\n")).notes  # abc2midi's 2:1 hornpipe swing
    assert [n.duration for n in notes] == [F(2, 3), F(1, 3), F(2, 3), F(1, 3)]


def test_parts_order_from_header():
    abc = "X:1\nT:p\nM:2/4\nL:1/8\nP:ABA\nK:C\nP:A\nC2D2|\nP:B\nE2F2|\n"
    assert [n.pitch for n in perform(abc).notes] == [60, 62, 64, 65, 60, 62]


def test_midi_round_trip_and_tempo():
    tune = _abc("|:A>B (3cde f2-f2:|", extra="Q:1/4=96\n")
    perf = perform(tune)
    back = read_midi(performance_to_midi(perf))
    assert back.qpm == pytest.approx(96, abs=0.01)
    assert back.melody() == [Note(n.onset, n.pitch, n.duration) for n in perf.notes] or all(
        abs(a.onset - b.onset) <= F(1, 480) and a.pitch == b.pitch and abs(a.duration - b.duration) <= F(1, 480)
        for a, b in zip(back.melody(), perf.notes)
    )
    assert len(back.melody()) == len(perf.notes) == 12


def test_render_midi_of_token_file(folkrnn_examples):
    data = render(folkrnn_examples.split("\n\n")[0], to="midi")
    notes = read_midi(data).melody()
    # the folk-rnn tune opens with the pickup B, then G, C C 2 (K:Cmaj, L:1/8)
    assert [n.pitch for n in notes[:5]] == [59, 55, 60, 60, 55]
    assert notes[3].duration == 1  # "C 2" is a quarter note


# ---------------------------------------------------------------- differential test vs abc2midi

SAMPLE = 320
SEED = 20240601
_ONSET_TOL = F(40, 480)  # abc2midi staggers chord notes by 10 ticks each
_END_TOL = F(16, 480)  # and starts notes one tick late / ends them one tick early


def _cluster(notes):
    """Sort by onset with chord notes (onsets within the stagger) grouped, then by pitch."""
    notes = sorted(notes, key=lambda n: n.onset)
    keyed, start = [], None
    for n in notes:
        if start is None or n.onset - start > _ONSET_TOL:
            start = n.onset
        keyed.append((start, n.pitch, n))
    return [n for _, _, n in sorted(keyed, key=lambda k: (k[0], k[1]))]


def _compare(mine, ref):
    mine, ref = _cluster(mine), _cluster(ref)
    if len(mine) != len(ref):
        return f"{len(mine)} notes vs abc2midi's {len(ref)}"
    for k, (a, b) in enumerate(zip(mine, ref)):
        if a.pitch != b.pitch or abs(a.onset - b.onset) > _ONSET_TOL or abs(a.end - b.end) > _END_TOL:
            return f"note {k}: {a} vs abc2midi {b}"
    return None


def _corpus_sample():
    from folkabc.corpus import MUSIC21_COLLECTIONS

    tunes = []
    for path in music21_abc_paths():
        if not set(path.parts) & set(MUSIC21_COLLECTIONS):
            continue
        for tune in load_tunes(path.read_text(encoding="latin-1")):
            tunes.append((path.parent.name, tune))
    single = [(c, t) for c, t in tunes if "\nV:" not in t.abc and "[V:" not in t.abc]
    return len(tunes), len(single), random.Random(SEED).sample(single, SAMPLE)


@pytest.mark.external
def test_midi_agrees_with_abc2midi(tmp_path: Path):
    """On 320 tunes drawn at random from the default corpus, folkabc's notes equal abc2midi's.

    Times are compared in quarter notes (so the tempo is aligned), chord notes as a set.
    """
    abc2midi = require_tool("abc2midi")
    total, single, sample = _corpus_sample()
    assert total > 10000 and single > 0.95 * total
    agree, disagree, skipped = 0, [], 0
    for k, (collection, tune) in enumerate(sample):
        src, mid = tmp_path / f"{k}.abc", tmp_path / f"{k}.mid"
        src.write_text(tune.abc, encoding="utf-8")
        subprocess.run([abc2midi, str(src), "-o", str(mid)], capture_output=True, timeout=30, check=False)
        if not mid.exists():
            skipped += 1
            continue
        ref = read_midi(mid.read_bytes()).melody(0)
        mine = read_midi(performance_to_midi(perform(tune.abc))).melody()
        why = _compare(mine, ref)
        if why is None:
            agree += 1
        else:
            disagree.append((collection, tune.label, why))
    compared = agree + len(disagree)
    for row in disagree:
        print("disagreement:", *row)
    print(f"MIDI vs abc2midi: {agree}/{compared} tunes agree ({agree / compared:.1%}); "
          f"by collection: {Counter(c for c, _, _ in disagree)}; abc2midi wrote nothing for {skipped}")
    assert compared >= 300
    assert agree / compared >= 0.98


@pytest.mark.parametrize("q, qpm", [("1/4=0", 120.0), ("1/4=2", 4.0), ("1/4=90", 90.0), ("1/4=5000", 1000.0)])
def test_an_absurd_tempo_is_clamped_not_a_traceback(q, qpm):
    """Q:1/4=0 divided by zero and Q:1/4=2 overflowed the MIDI tempo event."""
    from folkabc.render import performance_to_midi, perform, read_midi

    perf = perform(f"X:1\nT:t\nM:2/4\nL:1/8\nQ:{q}\nK:D\nDFAd|\n")
    assert perf.qpm == qpm
    assert read_midi(performance_to_midi(perf)).qpm == pytest.approx(qpm, rel=1e-3)
