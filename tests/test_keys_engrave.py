"""Every bar is engraved (issue 19): the ABC detokenize writes closes its last bar, so verovio draws
as many measures as the checker counts bars, for the demo's tunes and 100 corpus tunes (written
in their own keys)."""

from __future__ import annotations

import random

import pytest

from conftest import music21_abc_paths
from folkabc.demo import example_tunes
from folkabc.tokens import detokenize, key_of, tokenize
from folkabc.validate import check

pytest.importorskip("verovio")

from folkabc.render.notation import abc_to_svg  # noqa: E402


def _measures(svg: str) -> int:
    return svg.count('class="measure"')


def test_an_open_last_bar_is_engraved():
    abc = detokenize("M:4/4 K:Cmaj c 2 e 2 g 2 e 2 | d 8 | c 8")
    assert abc.splitlines()[-1].endswith("c8 |]")
    assert _measures(abc_to_svg(abc)) == 3


def _sample():
    tunes = []
    for name in ("oneills1850", "airdsAirs"):
        for path in music21_abc_paths(name):
            tunes += [t for t in tokenize(path.read_text(encoding="latin-1")) if t.error is None and t.in_vocab]
    return random.Random(19).sample(tunes, 100)


def test_every_bar_of_demo_and_corpus_tunes_is_engraved():
    rows = []
    for t in example_tunes():
        rows.append(("demo", t.title, t.tokens, detokenize(t.tokens, title=t.title)))
        rows.append(("demo in D", t.title, t.tokens, detokenize(t.tokens, title=t.title, key="D")))
    for t in _sample():
        rows.append(("corpus", t.title, t.tokens,
                     detokenize(t.tokens, title=t.title, key=key_of(t), transpose=t.transpose, part_ends=t.part_ends)))
    assert len(rows) >= 100 + 2 * len(example_tunes())
    differ = []
    for source, title, toks, abc in rows:
        want = check(toks)[0].bars
        got = _measures(abc_to_svg(abc))
        if got != want:
            differ.append((source, title, want, got))
    print(f"\n{len(rows)} tunes engraved; differ: {differ[:10]}")
    assert differ == []
