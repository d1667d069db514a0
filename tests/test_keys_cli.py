"""The command line of issue 19: --key on abc/generate/render/tunebook, seeds in titles, one
check line per tune, and search's query refusal. Real model, real corpus, real abc2midi."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import require_tool
from folkabc.cli import main
from folkabc.model import load_model
from folkabc.render.midi import read_midi
from folkabc.tokens import detokenize

REEL = "X:4\nT:The Reel\nM:C|\nL:1/8\nK:Edor\nEFGA B2e2|dBAF GFED:|\n"


def test_abc_key_original_reads_tokenize_json_back(tmp_path, capsys):
    src = tmp_path / "r.abc"
    src.write_text(REEL, encoding="utf-8")
    assert main(["tokenize", "--json", str(src)]) == 0
    js = tmp_path / "r.json"
    js.write_text(capsys.readouterr().out, encoding="utf-8")
    assert json.loads(js.read_text())[0]["key"] == "Edor"
    assert main(["abc", "--key", "original", str(js)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[:5] == ["X:4", "T:The Reel", "M:4/4", "L:1/8", "K:Edor"]
    assert out.splitlines()[-1] == "EF GA B2 e2 | dB AF GF ED :|"


def test_abc_key_original_keeps_the_part_ends_of_tokenize_json(tmp_path, capsys):
    """``tokenize --json`` records which bar lines close a part (``||``), and ``abc`` writes them back."""
    src = tmp_path / "p.abc"
    src.write_text("X:1\nT:Parts\nM:4/4\nL:1/8\nK:D\nDEFG ABcd|d8||efga bagf|e8|]\n", encoding="utf-8")
    assert main(["tokenize", "--json", str(src)]) == 0
    js = tmp_path / "p.json"
    js.write_text(capsys.readouterr().out, encoding="utf-8")
    row = json.loads(js.read_text())[0]
    assert [row["tokens"].split()[i] for i in row["part_ends"]] == ["|", "|"]  # the `||` and the `|]`
    assert main(["abc", "--key", "original", str(js)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "DE FG AB cd | d8 || ef ga ba gf | e8 |]"
    deep = tmp_path / "deep.json"  # JSON nested past max_json_depth: one line, no RecursionError
    deep.write_text("[" * 100000 + "]" * 100000, encoding="utf-8")
    assert main(["abc", str(deep)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "max_json_depth" in err[0]


def test_abc_key_on_tokens_and_its_refusals(tmp_path, capsys):
    tok = tmp_path / "r.txt"
    tok.write_text("M:4/4\nK:Cdor\nC D _E F G 2 c 2 |\n", encoding="utf-8")
    assert main(["abc", "--key", "A", str(tok)]) == 0
    out = capsys.readouterr().out
    assert "K:Ador" in out and out.splitlines()[-1] == "A,B, CD E2 A2 |]"
    assert main(["abc", "--key", "Amaj", str(tok)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is major but the tune is dorian" in err[0] and "(Ador)" in err[0]
    assert main(["abc", "--key", "original", str(tok)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "carry no key" in err[0] and "tokenize --json" in err[0]


def test_generate_mode_names_the_allowed_modes(capsys):
    assert main(["generate", "--mode", "D"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "Cmaj, Cmin, Cdor, Cmix" in err[0] and "--key D" in err[0] and "K:CD" not in err[0]


def test_generate_titles_seeds_and_one_check_line_per_tune(capsys):
    code = main(["generate", "-n", "3", "--seed", "5", "--meter", "4/4", "--mode", "dor", "--key", "A",
                 "--check", "--max-length", "300"])
    out, err = capsys.readouterr()
    assert code in (0, 1)
    titles = [ln for ln in out.splitlines() if ln.startswith("T:")]
    assert titles == ["T:folkabc (seed 5)", "T:folkabc (seed 6)", "T:folkabc (seed 7)"]
    assert out.count("K:Ador") == 3
    lines = [ln for ln in err.splitlines() if ln.startswith("tune ")]
    assert [ln.split(":")[0] for ln in lines] == ["tune 1 (seed 5)", "tune 2 (seed 6)", "tune 3 (seed 7)"]
    for ln in lines:  # one verdict per line, not the check's own "tune 1: ..." again
        assert ln.count("tune ") == 1 and ln.count(": ") == 1


def test_render_key(tmp_path, capsys):
    tok = tmp_path / "r.txt"
    tok.write_text("M:4/4\nK:Cmaj\nC D E F G 2 c 2 |\n", encoding="utf-8")
    assert main(["render", str(tok), "--key", "D", "--to", "svg", "-o", str(tmp_path)]) == 0
    assert len(list(tmp_path.glob("*.svg"))) == 1
    assert main(["render", str(tok), "--key", "Ddor", "--to", "svg", "-o", str(tmp_path)]) == 2
    assert "is dorian but the tune is major" in capsys.readouterr().err


def test_search_refuses_a_symbol_that_is_neither_token_nor_note(capsys):
    assert main(["search", "G E D H"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "'H' (piece 4)" in err[0]


def test_search_says_when_it_reads_abc(capsys):
    main(["search", "GAB cBA", "--key", "G", "--limit", "1"])
    err = capsys.readouterr().err
    assert "read as ABC in G" in err and "c d e f e d" in err


# ------------------------------------------------------------------ generated tunes in D and A dorian


def _played(abc2midi: str, abc: str, folder: Path, stem: str) -> list[tuple]:
    src = folder / f"{stem}.abc"
    src.write_text(abc, encoding="utf-8")
    subprocess.run([abc2midi, src.name, "-o", f"{stem}.mid"], capture_output=True, cwd=folder, timeout=60)
    return sorted((n.onset, n.pitch) for n in read_midi((folder / f"{stem}.mid").read_bytes()).melody(0))


@pytest.mark.parametrize("mode, key, shift", [("maj", "D", 2), ("dor", "Ador", -3)])
def test_generated_tunes_in_d_and_a_dorian_play_right(mode, key, shift, tmp_path):
    abc2midi = require_tool("abc2midi")
    gens = load_model(None).generate(n=3, seed=11, meter="6/8", mode=mode, max_length=300)
    played = 0
    for k, g in enumerate(gens):
        try:
            in_c = detokenize(g.tokens)
        except Exception:  # a generated sequence no ABC holds is refused in C as in any key
            continue
        in_key = detokenize(g.tokens, key=key)
        assert f"K:{key}\n" in in_key
        ref = _played(abc2midi, in_c, tmp_path, f"c{k}")
        got = _played(abc2midi, in_key, tmp_path, f"k{k}")
        assert ref and got == [(o, p + shift) for o, p in ref]
        played += 1
    assert played >= 2


def test_corpus_export_abc_in_original_keys(tmp_path, capsys):
    """A tunebook of the corpus's miscFolk tunes: X: 1..n, their titles, their own keys, and the
    same tokens as the corpus holds when read back."""
    import re

    from folkabc.corpus import Corpus
    from folkabc.tokens import tokenize

    out = tmp_path / "misc.abc"
    assert main(["corpus", "export", "--format", "abc", "--source", "miscFolk", "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    import numpy as np

    corpus = Corpus.open(None)
    tunes = [corpus.tune(int(corpus.tune_ids[r])) for r in np.flatnonzero(corpus.mask(source="miscFolk"))]
    n = len(re.findall(r"(?m)^X:", text))
    assert n == len(tunes) > 100
    assert re.findall(r"(?m)^X:(\d+)", text) == [str(k) for k in range(1, n + 1)]
    keys = re.findall(r"(?m)^K:(.*)", text)
    assert sum(k != "C" for k in keys) > n / 2
    back = tokenize(text)
    assert [t.title for t in back] == [t.title for t in tunes]
    differ = [k for k, (a, b) in enumerate(zip(back, tunes)) if a.tokens != list(b.tokens)]
    assert differ == []
