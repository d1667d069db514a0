"""The reading core's answers for every tune of music21's ABC collections are unchanged.

``tests/data/reading-fingerprint.tsv`` holds one digest per tune (tokens, positions, warnings,
errors, part ends, the ``check`` findings and the reader's events; see
``tools/reading_fingerprint.py``), made with main at ``fc43f94``, before the tokenize/check
speed-up (issues 16 and 18). Any change of a token, a position, a finding or an event of any
tune fails here, naming the file and tune.
"""

from __future__ import annotations

import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))

import reading_fingerprint as fp  # noqa: E402


def test_every_music21_tune_reads_as_saved():
    saved = fp.read_saved()
    assert len(saved) > 1000 and sum(map(len, saved.values())) > 12000
    now = fp.fingerprint()
    diff = fp.differences(saved, now)
    assert not diff, f"{len(diff)} differ, first: " + "; ".join(diff[:10])


def test_a_changed_token_is_seen():
    text = "X:1\nT:A\nM:2/4\nL:1/8\nK:G\nGABc|d2B2|\n\nX:2\nT:B\nM:2/4\nK:D\nDEFG|A4|\n"
    before = fp.file_digests(text)
    assert len(before) == 2 and before == fp.file_digests(text)
    after = fp.file_digests(text.replace("d2B2", "d2B>c"))
    assert after[0] != before[0] and after[1] == before[1]
    assert fp.differences({"f": before}, {"f": after}) == ["f: tune 1 (of 2) differs"]
