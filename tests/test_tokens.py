"""Tests for folkabc.tokens: abc → tokens, tokens → abc, folk-rnn files."""

from __future__ import annotations

import pytest

from folkabc.errors import TokenSequenceError, UnknownTokenError
from folkabc.tokens import TokenizedTune, detokenize, read_folkrnn, tokenize, write_folkrnn
from folkabc.vocab import VOCAB


def one(abc: str) -> TokenizedTune:
    tunes = tokenize(abc)
    assert len(tunes) == 1
    assert tunes[0].error is None, tunes[0].error
    return tunes[0]


def test_folkrnn_examples_round_trip_unchanged(folkrnn_examples):
    seqs = read_folkrnn(folkrnn_examples)
    assert len(seqs) == 2
    assert seqs[0][:4] == ["M:4/4", "K:Cmaj", "B,", "|"]
    for seq in seqs:
        abc = detokenize(seq)
        back = one(abc)
        assert back.tokens == seq
        assert back.transpose == 0
        assert back.in_vocab
    assert write_folkrnn(seqs).strip() == folkrnn_examples.strip()


@pytest.mark.parametrize(
    "abc, expected",
    [
        # D major reel: D → C is 2 semitones down (nearest, all notes in range)
        ("X:1\nM:C|\nL:1/8\nK:D\nA,DD2 A,DFD|", "M:4/4 K:Cmaj G, C C 2 G, C E C |"),
        # L:1/16 halves every written length; default L for 2/4 is 1/16
        ("X:1\nM:2/4\nK:C\nC2D2 E4|", "M:2/4 K:Cmaj C D E 2 |"),
        ("X:1\nM:2/4\nL:1/8\nK:C\nC/D/ E|", "M:2/4 K:Cmaj C /2 D /2 E |"),
        # broken rhythm fused onto the first note's duration, or alone
        ("X:1\nM:4/4\nL:1/8\nK:C\nA2>B2 A>B c<d|", "M:4/4 K:Cmaj A 2> B 2 A > B c < d |"),
        # broken rhythm over unequal notes is written as played (abc2midi refuses the sign)
        ("X:1\nM:2/4\nL:1/8\nK:C\nA2>B c|", "M:2/4 K:Cmaj A 2 B c |"),
        # repeats made explicit as abc2midi plays them
        ("X:1\nM:2/4\nL:1/8\nK:C\nA4:|B4|1c4:|2d4|]", "M:2/4 K:Cmaj A 4 :| |: B 4 |1 c 4 :| |2 d 4 |"),
        ("X:1\nM:2/4\nL:1/8\nK:C\nA4|:B4|]", "M:2/4 K:Cmaj A 4 | B 4 |"),
        # ties and slurs dropped, durations unchanged
        ("X:1\nM:4/4\nL:1/8\nK:C\n(A2-A2) B4|", "M:4/4 K:Cmaj A 2 A 2 B 4 |"),
        # chords, guitar chords, decorations, grace notes
        ('X:1\nM:3/4\nL:1/8\nK:C\n"C"[CEG]2 ~E2 {g}!trill!F2|', "M:3/4 K:Cmaj [ C E G ] 2 E 2 F 2 |"),
        # tuplets
        ("X:1\nM:2/4\nL:1/8\nK:C\n(3CDE (3:2:3FGA|", "M:2/4 K:Cmaj (3 C D E (3 F G A |"),
        # repeats and endings
        ("X:1\nM:2/4\nL:1/8\nK:C\n|:CD|1EF:|2GA||", "M:2/4 K:Cmaj |: C D |1 E F :| |2 G A |"),
        ("X:1\nM:2/4\nL:1/8\nK:C\nCD::EF|[1 G2:|[2 A2|]", "M:2/4 K:Cmaj C D :| |: E F |1 G 2 :| |2 A 2 |"),
        # modes
        ("X:1\nM:6/8\nL:1/8\nK:Ador\nABc BAG|", "M:6/8 K:Cdor c d e d c B |"),
        ("X:1\nM:6/8\nL:1/8\nK:Em\nEFG B2e|", "M:6/8 K:Cmin C D E G 2 c |"),
        ("X:1\nM:6/8\nL:1/8\nK:DMix\nDEF GAc|", "M:6/8 K:Cmix C D E F G B |"),
        # accidentals carry to the end of the bar (the 4th note is G#); a sharpened 7th in minor
        ("X:1\nM:4/4\nL:1/8\nK:Am\nA^GAG ^G2A2|G2A2|", "M:4/4 K:Cmin c =B c B B 2 c 2 | B 2 c 2 |"),
        # rests: x → z; Z is a whole-bar rest
        ("X:1\nM:3/4\nL:1/8\nK:C\nz2 x2 C2|Z2|", "M:3/4 K:Cmaj z 2 z 2 C 2 | z 6 | z 6 |"),
        # inline meter and same-tonic mode changes
        ("X:1\nM:3/4\nL:1/8\nK:G\nGAB [M:2/4]cd|[K:Gmix]=f2g2|",
         "M:3/4 K:Cmaj c d e M:2/4 f g | K:Cmix b 2 c' 2 |"),
    ],
)
def test_abc_to_tokens(abc, expected):
    t = one(abc)
    assert " ".join(t.tokens) == expected
    assert tokenize(detokenize(t.tokens))[0].tokens == t.tokens


def test_positions_point_into_the_source():
    text = "X:5\nT:Pos\nM:6/8\nK:D\n|:DFA d2f:|\n"
    t = one(text)
    assert len(t.positions) == len(t.tokens)
    assert t.positions[0] == (3, 3)  # M: value
    assert t.positions[1] == (4, 3)  # K: value
    assert t.positions[2] == (5, 1)  # |:
    assert t.positions[3] == (5, 3)  # D


def test_tokenized_tune_fields_and_ids():
    t = one("X:12\nT:First\nT:Second\nR:reel\nM:C\nL:1/8\nK:Bb\nB,DFB dBFD|\n")
    assert (t.index, t.title, t.titles) == (12, "First", ["First", "Second"])
    assert t.header["R"] == ["reel"]
    assert (t.key, t.meter_text, t.meter, t.mode) == ("Bb", "C", "M:4/4", "K:Cmaj")
    assert t.transpose == 2
    assert VOCAB.decode(t.ids) == t.tokens
    d = t.to_dict()
    assert d["index"] == 12 and d["error"] is None and d["tokens"].startswith("M:4/4 K:Cmaj C E G c e c")


def test_out_of_vocabulary_meter_is_reported_not_forced():
    t = one("X:1\nM:3/8\nL:1/8\nK:C\nCDE|\n")
    assert t.meter == "M:3/8"
    assert not t.in_vocab
    assert t.oov == [(0, "M:3/8")]
    with pytest.raises(UnknownTokenError, match="M:3/8"):
        t.ids


def test_detokenize_beams_by_beat():
    abc = detokenize("M:6/8 K:Cmaj C D E F G A | c 3 c 3 |", title="Beams")
    assert abc.splitlines()[-1] == "CDE FGA | c3 c3 |]"
    abc = detokenize("M:4/4 K:Cdor C D E F G 2 A > B |")
    assert abc.splitlines()[4] == "K:Cdor"
    assert abc.splitlines()[-1] == "CD EF G2 A>B |]"


def test_detokenize_rejects_bad_sequences():
    with pytest.raises(TokenSequenceError, match="meter"):
        detokenize(["K:Cmaj", "C"])
    with pytest.raises(TokenSequenceError, match="token 3"):
        detokenize(["M:4/4", "K:Cmaj", "|", "2"])


# ------------------------------------------------------------------ CLI

def test_cli_tokenize_blocks_ids_and_json(tmp_path, capsys, folkrnn_examples):
    import json

    from folkabc.cli import main

    f = tmp_path / "tunes.abc"
    f.write_text("X:1\nT:Kesh\nM:6/8\nL:1/8\nK:G\n|:GAG GAB|ABA ABd:|\n\n"
                 "X:2\nT:Three\nM:3/8\nL:1/8\nK:D\nDFA|\n", encoding="utf-8")
    assert main(["tokenize", str(f)]) == 0
    out = capsys.readouterr().out
    assert out == ("M:6/8\nK:Cmaj\n|: c d c c d e | d e d d e g :|\n\n"
                   "M:3/8\nK:Cmaj\nC E G |\n")
    assert main(["tokenize", "--ids", str(f)]) == 1  # tune 2's meter is outside the vocabulary
    out, err = capsys.readouterr()
    ids = [int(i) for i in out.split()]
    assert VOCAB.decode(ids)[:3] == ["M:6/8", "K:Cmaj", "|:"] and len(out.splitlines()) == 1
    assert "token 'M:3/8' (position 0) is not in the vocabulary" in err
    assert main(["tokenize", "--json", str(f)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["index"] for d in data] == [1, 2]
    assert data[0]["title"] == "Kesh" and data[0]["error"] is None
    assert data[0]["tokens"].startswith("M:6/8 K:Cmaj |: c d c")
    assert data[1]["in_vocab"] is False and data[1]["oov"] == ["M:3/8"]

    g = tmp_path / "ex.txt"
    g.write_text(folkrnn_examples, encoding="utf-8")
    assert main(["abc", str(g)]) == 0
    abc = capsys.readouterr().out
    assert abc.count("X:") == 2 and "K:C\n" in abc and "L:1/8" in abc
    assert [t.tokens for t in tokenize(abc)] == read_folkrnn(folkrnn_examples)


@pytest.mark.parametrize(
    "key, body, transpose",
    [
        # highland pipes: HP (no signature printed) and Hp both play F# C#, as abc2midi does; root A, mode mix
        ("HP", "c d e f g a b c'", 3),
        ("Hp", "c d e f g a b c'", 3),
        ("none", "A B c d e f g a", 0),
        # explicit accidentals change the reading signature; the mode word gives the mode token
        ("D exp ^f ^c", "G A B c d e f g", -2),
        ("D exp _b", "G _A _B c d _e f g", -2),
        ("Dmix ^g", "G A B c d e ^f g", -2),
        # phrygian → min, lydian → maj (with a warning)
        ("E phr", "F G A B c _d e f", -4),
        ("G Lydian", "d e ^f g a b c' d'", 5),
        # C sharp and C flat: the letter stays, the notes move a semitone (C# was a traceback)
        ("C#", "A B c d e f g a", -1),
        ("C#m", "A B c d e f g a", -1),
        ("Cb", "A B c d e f g a", 1),
    ],
)
def test_key_policies(key, body, transpose):
    t = one(f"X:1\nM:4/4\nL:1/8\nK:{key}\nABcd efga|\n")
    assert " ".join(t.body) == body + " |"
    assert t.transpose == transpose
    assert tokenize(detokenize(t.tokens))[0].tokens == t.tokens
    if key in ("E phr", "G Lydian", "HP", "Hp"):
        assert t.warnings



@pytest.mark.parametrize(
    "header, inline, written, token, actual",
    [("6/8", "", "(5:2:5", "(5:2:5", 3), ("6/8", "", "(5:3:5", "(5", 4), ("6/8", "", "(5", "(5", 4),
     ("12/8", "", "(7:2:7", "(7:2:7", 3), ("4/4", "", "(5:2:5", "(5", 3), ("2/4", "[M:6/8]", "(5:3:5", "(5", 4)],
)
def test_tuplet_default_q_follows_the_written_meter_in_force(header, inline, written, token, actual):
    # ABC 2.1: (5 (7 (9 take the time of 3 in a compound meter; 6/8 is compound although 6/8 == 3/4
    from folkabc.validate import check

    n = int(written[1])
    (t,) = tokenize(f"X:1\nM:{header}\nL:1/8\nK:C\n{inline}{written}{'c' * n} c|\n")
    assert t.body[-n - 3:] == [token] + ["c"] * (n + 1) + ["|"]
    assert check(t)[0].findings[0].actual == actual  # q eighths for the tuplet, one for the last c
    assert tokenize(detokenize(t.tokens))[0].tokens == t.tokens


def test_multi_bar_rest_uses_the_meter_in_force():
    (t,) = tokenize("X:1\nM:2/4\nL:1/8\nK:C\nCDEF|[M:6/8] Z2|\n")
    assert t.body == ["C", "D", "E", "F", "|", "M:6/8", "z", "6", "|", "z", "6", "|"]


def test_cli_abc_json_gives_tokens_and_abc(folkrnn_examples, tmp_path, capsys):
    """``folkabc abc --json`` lists each block's tokens and the ABC written for it."""
    import json

    from folkabc.cli import main
    from folkabc.tokens import read_folkrnn, tokenize

    path = tmp_path / "tunes.txt"
    path.write_text(folkrnn_examples, encoding="utf-8")
    assert main(["abc", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    blocks = read_folkrnn(folkrnn_examples)
    assert [d["index"] for d in data] == [1, 2]
    assert [d["tokens"].split() for d in data] == blocks
    assert [tokenize(d["abc"])[0].tokens for d in data] == blocks
