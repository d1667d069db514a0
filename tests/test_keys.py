"""Writing tunes in a key (issue 19): detokenize(key=...), written_key, and abc2midi as the peer.

abc2midi plays the ABC detokenize writes in a key; its notes must be the notes it plays for the
same tokens written in C, moved by the key's transposition (the C writing is itself checked
against the sources by tests/test_tokens_corpus.py and tests/test_render_midi.py).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import music21_abc_paths, require_tool
from folkabc.abc.keys import FOLK_MODES, parse_key, written_key
from folkabc.errors import TokenSequenceError
from folkabc.render.midi import read_midi
from folkabc.tokens import detokenize, key_of, tokenize

TONICS = ["C", "G", "D", "A", "E", "B", "F#", "C#", "F", "Bb", "Eb", "Ab", "Db", "Gb"]


def test_written_key_signatures_agree_with_the_reader():
    """pyabc2's signature of every tonic in the four modes equals the reader's own K: reading."""
    checked = 0
    for tonic in TONICS:
        for mode in FOLK_MODES:
            try:
                wk = written_key(tonic, mode)
            except ValueError as e:
                assert "double sharps or flats" in str(e)
                continue
            assert wk.signature == parse_key(tonic + mode).signature, (tonic, mode)
            assert (wk.semis - parse_key(tonic).tonic_pc) % 12 == 0 and -7 <= wk.semis <= 6
            checked += 1
    assert checked >= 50


@pytest.mark.parametrize("text, mode, name", [
    ("D", "maj", "D"), ("Edor", "dor", "Edor"), ("A", "dor", "Ador"), ("G mixolydian", "mix", "Gmix"),
    ("Bm", "min", "Bmin"), ("Bmin", "min", "Bmin"), ("F#", "min", "F#min"), ("Bb", "maj", "Bb"),
])
def test_written_key_names(text, mode, name):
    assert written_key(text, mode).name == name


@pytest.mark.parametrize("text, mode, words", [
    ("Edor", "maj", ["dorian", "major", "(E)", "(Emaj)"]),
    ("D", "lyd", ["maj, min, dor, mix"]),
    ("Q", "maj", ["unreadable key 'Q'", "maj, min, dor, mix"]),
    ("Dfoo", "maj", ["unreadable key 'Dfoo'"]),
    ("D#", "maj", ["double sharps or flats"]),
])
def test_written_key_refusals_name_what_is_allowed(text, mode, words):
    with pytest.raises(ValueError) as e:
        written_key(text, mode)
    assert "\n" not in str(e.value)
    for w in words:
        assert w in str(e.value)


def test_detokenize_key_refusal_is_a_token_sequence_error():
    with pytest.raises(TokenSequenceError, match="is dorian but the tune is major"):
        detokenize("M:4/4 K:Cmaj C D E F |", key="Edor")


def test_spelling_in_the_key():
    """Accidentals are spelled for the key: the signature's sharps are not written, the raised
    seventh of A minor is G sharp, a note the signature alters is marked natural."""
    abc = detokenize("M:4/4 K:Cmaj C D E F G A B c | F ^F G 2 _B 2 c 2 |", key="D")
    assert "K:D" in abc and abc.splitlines()[-1] == "DE FG AB cd | G^G A2 =c2 d2 |]"
    abc = detokenize("M:3/4 K:Cmin C D _E D C =B, | C 6 |", key="A")
    assert "K:Amin" in abc and abc.splitlines()[-1] == "A,B, CB, A,^G, | A,6 |]"
    abc = detokenize("M:4/4 K:Cmaj C _E =E c |", key="Bb")
    assert "K:Bb" in abc and abc.splitlines()[-1] == "B,_D =DB |]"


def test_inline_mode_change_moves_with_the_key():
    abc = detokenize("M:4/4 K:Cmaj C E G c | K:Cmin C _E G c |", key="G")
    assert "K:G\n" in abc and "[K:Gmin]" in abc
    assert abc.splitlines()[-1] == "G,B, DG | [K:Gmin] G,B, DG |]"


def test_key_original_round_trip_to_the_source_key():
    t = tokenize("X:3\nT:Reel\nM:4/4\nL:1/8\nK:Edor\nEFGA B2e2|dBAF GFED|\n")[0]
    assert key_of(t) == "Edor"
    abc = detokenize(t.tokens, key=key_of(t), transpose=t.transpose)
    assert "K:Edor" in abc and abc.splitlines()[-1] == "EF GA B2 e2 | dB AF GF ED |]"
    assert tokenize(abc)[0].tokens == t.tokens


def test_part_ends_written_double_bar():
    t = tokenize("X:1\nM:4/4\nL:1/8\nK:G\nGABc d4||e2d2 B4|]\n")[0]
    assert t.part_ends
    assert "g4 || " in detokenize(t.tokens, part_ends=t.part_ends)
    assert "d4 || " in detokenize(t.tokens, part_ends=t.part_ends, key=key_of(t), transpose=t.transpose)


# ------------------------------------------------------------------ abc2midi as the peer


def _played(abc2midi: str, texts: list[str], folder: Path, stem: str) -> dict[int, list[tuple[int, int]]]:
    """abc2midi's (onset in ticks, pitch) of each tune of ``texts`` (X: numbers 1..n), by X:."""
    folder.mkdir(parents=True, exist_ok=True)
    src = folder / f"{stem}.abc"
    src.write_text("\n".join(texts), encoding="utf-8")
    subprocess.run([abc2midi, src.name], capture_output=True, cwd=folder, timeout=600, check=False)
    out = {}
    for k in range(1, len(texts) + 1):
        mid = folder / f"{stem}{k}.mid"
        if mid.exists():
            out[k] = sorted((n.onset, n.pitch) for n in read_midi(mid.read_bytes()).melody(0))
    return out


@pytest.mark.parametrize("collection", ["airdsAirs", "miscFolk"])
def test_tokens_written_in_the_original_key_play_the_source_pitches(collection, tmp_path):
    """Every tune of a music21 collection, written back in its own key from its tokens, plays
    (abc2midi) the notes its tokens play in C, moved back by the tune's transposition."""
    abc2midi = require_tool("abc2midi")
    tunes = []
    for path in music21_abc_paths(collection):
        tunes += [t for t in tokenize(path.read_text(encoding="latin-1")) if t.error is None]
    assert len(tunes) > 150
    in_c = [detokenize(t.tokens, index=k, part_ends=t.part_ends) for k, t in enumerate(tunes, 1)]
    in_key = [detokenize(t.tokens, index=k, key=key_of(t), transpose=t.transpose, part_ends=t.part_ends)
              for k, t in enumerate(tunes, 1)]
    heads = [a.split("\nK:", 1)[1].split("\n", 1)[0] for a in in_key]
    assert sum(h != "C" for h in heads) > len(tunes) / 3  # most tunes are not in C
    ref = _played(abc2midi, in_c, tmp_path, "c")
    got = _played(abc2midi, in_key, tmp_path, "k")
    assert len(ref) >= 0.98 * len(tunes) and set(got) == set(ref)
    differ = []
    for k, notes in ref.items():
        shift = -tunes[k - 1].transpose
        if got[k] != [(o, p + shift) for o, p in notes]:
            differ.append((k, tunes[k - 1].title, key_of(tunes[k - 1])))
    print(f"\n{collection}: {len(ref)} tunes played by abc2midi in their own keys; differ: {differ[:5]}")
    assert differ == []
