"""Novelty reports (folkabc.search.novelty, ``folkabc novelty``) on O'Neill's 1850 and the folk-rnn examples."""

from __future__ import annotations

import json

import numpy as np
import pytest

from folkabc.cli import main
from folkabc.search import novelty
from folkabc.search.query import MEASURE_TOKENS
from folkabc.vocab import VOCAB


@pytest.fixture(scope="module")
def corpus(oneills_corpus):
    """O'Neill's 1850 (music21) as a corpus (conftest builds it once)."""
    return oneills_corpus


@pytest.fixture(scope="module")
def first_example(folkrnn_examples):
    lines = [ln for ln in folkrnn_examples.strip().split("\n\n")[0].splitlines() if ln.strip()]
    return [lines[0], lines[1]] + lines[2].split()


def _tunes_holding(corpus, tokens: list[str]) -> set[int]:
    """Tune ids of the rows containing ``tokens``, by a plain scan of every row."""
    m = len(tokens)
    out = set()
    for row in range(corpus.n_rows):
        toks = corpus.row_tokens(row)
        if any(toks[j:j + m] == tokens for j in range(len(toks) - m + 1)):
            out.add(int(corpus.tune_ids[row]))
    return out


def test_first_example_lists_every_bar(corpus, first_example):
    rep = novelty(corpus, first_example, max_tunes=1000)
    # 17 numbered bars (pickup 0 .. 16) plus the B part's pickup, which stays in bar 8
    assert [b.bar for b in rep.bars] == list(range(9)) + [8] + list(range(9, 17))
    assert [" ".join(b.tokens) for b in rep.bars[:3]] == ["B,", "G, C C 2 G, C E C", "G, C E G F D B, D"]
    body_notes = [t for t in first_example[2:] if t not in MEASURE_TOKENS]
    assert sum(len(b.tokens) for b in rep.bars) == len(body_notes)
    # each bar's count equals a scan of the corpus (checked on a few bars, one per kind)
    for b in (rep.bars[0], rep.bars[2], rep.bars[13]):
        expect = _tunes_holding(corpus, b.tokens)
        assert b.tunes == len(expect)
        assert set(b.tune_ids) <= expect
        assert b.same_bar <= b.tunes
    # the single pickup note is everywhere, and opens some tunes as their pickup
    assert rep.bars[0].tunes > 100 and rep.bars[0].same_bar > 0
    assert rep.n_tokens == len(first_example) - 2
    assert 0.0 < rep.coverage < 1.0
    lf = rep.longest
    assert lf.length >= 8 and set(lf.tune_ids) == _tunes_holding(corpus, lf.tokens)


def test_corpus_tune_finds_itself(corpus):
    row = 250
    tokens = corpus.row_tokens(row)
    tune_id = int(corpus.tune_ids[row])
    rep = corpus.novelty(tokens)
    assert rep.coverage == 1.0 and rep.covered == len(tokens) - 2
    assert rep.longest.length == len(tokens) - 2
    assert tune_id in rep.longest.tune_ids
    assert rep.longest.titles[rep.longest.tune_ids.index(tune_id)] == corpus.tune(tune_id).title
    assert all(b.same_bar >= 1 for b in rep.bars)


def test_shuffled_tune_is_novel(corpus):
    row = 250
    tokens = corpus.row_tokens(row)
    rng = np.random.default_rng(3)
    body = list(np.array(tokens[2:], dtype=object)[rng.permutation(len(tokens) - 2)])
    rep = novelty(corpus, tokens[:2] + body)
    assert rep.coverage < 0.25
    assert rep.longest.length < 12
    assert int(corpus.tune_ids[row]) not in rep.longest.tune_ids or rep.longest.tunes > 1


def test_k_controls_coverage(corpus, first_example):
    cov = [novelty(corpus, first_example, k=k).coverage for k in (1, 4, 8, 16)]
    assert cov[0] == 1.0  # every token of the example occurs somewhere
    assert cov == sorted(cov, reverse=True) and cov[-1] < cov[1]


def test_tokenized_abc_tune(corpus):
    from folkabc.tokens import tokenize

    abc = corpus.tune(int(corpus.tune_ids[10])).abc
    tune = tokenize(abc)[0]
    rep = novelty(corpus, tune)
    assert rep.title == tune.title and rep.coverage == 1.0


def test_cli_text_report(corpus, shared_data, capsys):
    code = main(["novelty", str(shared_data / "folkrnn-v2-examples.txt"), "--corpus", str(corpus.path)])
    out = capsys.readouterr().out
    assert code == 0
    blocks = out.strip().split("\n\n")
    assert len(blocks) == 2
    assert blocks[0].startswith("tune 1: 144 tokens, ")
    assert "longest shared figure: " in blocks[0]
    rows = [ln for ln in blocks[0].splitlines() if ln.startswith("  ") and ln.strip()[:1].isdigit()]
    assert len(rows) == 18 and rows[1].split()[-8:] == "G, C C 2 G, C E C".split()


def test_cli_json_many_tunes(corpus, shared_data, capsys):
    code = main(["novelty", str(shared_data / "folkrnn-v2-examples.txt"), "--corpus", str(corpus.path),
                 "--json", "--k", "6"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and len(data) == 2
    assert {"coverage", "covered", "k", "longest", "bars", "n_tokens"} <= set(data[0])
    assert data[0]["k"] == 6 and data[1]["n_tokens"] == 114
    assert data[0]["bars"][1] == {**data[0]["bars"][1], "bar": 1, "tokens": "G, C C 2 G, C E C"}


def test_cli_abc_file_of_corpus_tune(corpus, tmp_path, capsys):
    abc = corpus.tune(int(corpus.tune_ids[5])).abc
    f = tmp_path / "t.abc"
    f.write_text(abc)
    assert main(["novelty", str(f), "--corpus", str(corpus.path)]) == 0
    assert "100.0% covered" in capsys.readouterr().out


@pytest.mark.parametrize("option", [["--k", "0"], ["--max-tunes", "0"]])
def test_cli_bad_option_is_one_error_before_any_work(shared_data, tmp_path, option, capsys):
    code = main(["novelty", str(shared_data / "folkrnn-v2-examples.txt"), "--corpus", str(tmp_path / "none"),
                 *option])
    err = capsys.readouterr().err
    assert code == 2 and err.count("error:") == 1 and f"{option[0]} must be >= 1, got 0" in err


def test_cli_corpus_without_index_is_one_error(shared_data, tmp_path, capsys):
    from folkabc.corpus.build import build_corpus

    src = tmp_path / "t.abc"
    src.write_text("X:1\nT:A\nM:2/4\nL:1/8\nK:G\nGABc|d2d2|\n", encoding="utf-8")
    build_corpus([src], tmp_path / "c", index=False, quiet=True, workers=1)
    code = main(["novelty", str(shared_data / "folkrnn-v2-examples.txt"), "--corpus", str(tmp_path / "c")])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert captured.err.count("error:") == 1 and "search.json missing" in captured.err


def test_vocab_ids_unchanged():
    # the novelty sentinel id must stay outside the vocabulary
    assert len(VOCAB) < 255
