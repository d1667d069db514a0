"""The frozen 137-token vocabulary."""

from importlib import resources

import numpy as np
import pytest

from folkabc.errors import UnknownTokenError
from folkabc.vocab import PUBLISHED_V2, VOCAB, Vocabulary, load_vocabulary, vocabulary_rule


def test_size_and_categories():
    assert len(VOCAB) == 137
    counts = {c: len(VOCAB.ids_of(c)) for c in set(VOCAB.categories)}
    assert counts == {"special": 2, "meter": 7, "mode": 4, "measure": 7, "grouping": 6,
                      "duration": 17, "rest": 1, "pitch": 93}


@pytest.mark.parametrize("idx,token", list(enumerate(PUBLISHED_V2)))
def test_published_indices_fixed(idx, token):
    assert VOCAB.token(idx) == token
    assert VOCAB.id(token) == idx


def test_frozen_file_equals_rule():
    text = resources.files("folkabc").joinpath("data/vocab_v2.tsv").read_text(encoding="utf-8")
    rule = vocabulary_rule()
    assert load_vocabulary(text) == Vocabulary(tuple(t for t, _ in rule), tuple(c for _, c in rule))


def test_named_v2_tokens_present():
    named = ("<s> </s> M:4/4 M:6/8 M:3/2 M:9/8 M:2/4 M:3/4 M:12/8 K:Cmaj K:Cmin K:Cdor K:Cmix "
             "| |: :| |1 |2 ] [ (2 (3 (7 2 3 4 5 6 8 9 16 3/2 /2 /2> > < 2> 2< "
             "G, A, B, C D E F G A B c d e f g a b c' d' ^C, =C, _A, =B, _B, _C _c =c ^g ^F _B "
             "=f' ^f' ^c'").split()
    missing = [t for t in named if t not in VOCAB]
    assert missing == []


def test_encode_decode_and_unknown():
    toks = ["M:6/8", "K:Cdor", "|:", "G", "2", "A", ":|"]
    ids = VOCAB.encode(toks)
    assert ids.dtype == np.uint8
    assert VOCAB.decode(ids) == toks
    with pytest.raises(UnknownTokenError) as err:
        VOCAB.encode(["C", "D", "^^F"])
    assert err.value.token == "^^F" and err.value.position == 2
    assert "'^^F'" in str(err.value) and "token 2" in str(err.value)
    assert VOCAB.encode(["^^F"], fallback="z").tolist() == [VOCAB.id("z")]
