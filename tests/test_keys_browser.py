"""A tunebook of generated tunes written in D, opened in real headless Chromium (issue 19)."""

from __future__ import annotations

import html
import re

import pytest

from folkabc.cli import main
from folkabc.model import load_model
from folkabc.tokens import write_folkrnn
from test_tunebook_browser import _chromium, _console_errors, _status

pytestmark = pytest.mark.external


def test_tunebook_in_d_opens_in_chromium_with_a_screenshot(tmp_path, capsys):
    gens = load_model(None).generate(n=3, seed=21, meter="4/4", mode="Cmaj", max_length=300)
    tokens = tmp_path / "gen.txt"
    tokens.write_text(write_folkrnn(g.tokens for g in gens), encoding="utf-8")
    book = tmp_path / "book.html"
    code = main(["tunebook", str(tokens), "--key", "D", "-o", str(book), "--no-novelty"])
    assert code in (0, 1)
    page = book.read_text(encoding="utf-8")
    assert "K:D" in html.unescape(page) and "K:C\n" not in html.unescape(page)

    run = _chromium(book, tmp_path, "--virtual-time-budget=5000", "--dump-dom")
    assert run.returncode == 0, run.stderr[-2000:]
    status = _status(run.stdout)
    assert status["errors"] == [] and _console_errors(run.stderr) == []
    assert status["tunes"] == status["rendered"] == 3 and status["failed"] == 0
    # the notation shows D major's two sharps: each staff's key signature is drawn
    assert len(re.findall(r'class="keySig', run.stdout)) >= 3

    shot = tmp_path / "book-in-d.png"
    run = _chromium(book, tmp_path, "--virtual-time-budget=3000", f"--screenshot={shot}", "--window-size=1100,1600")
    assert run.returncode == 0 and shot.exists()
    from PIL import Image

    img = Image.open(shot).convert("L")
    assert img.size == (1100, 1600)
    dark = sum(1 for p in img.getdata() if p < 128)
    assert dark > 2000  # notes and staves drawn, not a blank page
