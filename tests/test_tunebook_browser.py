"""The HTML tunebook, opened in real headless Chromium: it loads, shows every tune, and plays."""

from __future__ import annotations

import html
import json
import random
import re
import subprocess
from pathlib import Path

import pytest

from conftest import music21_abc_paths, require_tool
from folkabc.cli import main
from folkabc.render import load_tunes, perform, tunebook_html, write_tunebook

pytestmark = pytest.mark.external

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--autoplay-policy=no-user-gesture-required", "--enable-logging=stderr", "--v=0"]


def _chromium(page: Path, tmp: Path, *extra: str) -> subprocess.CompletedProcess:
    exe = require_tool("chromium")
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    return subprocess.run([exe, *FLAGS, f"--user-data-dir={profile}", *extra, f"{page.as_uri()}#autotest"],
                          capture_output=True, text=True, timeout=120, check=False)


def _status(dom: str) -> dict:
    m = re.search(r'<pre id="folkabc-test-status"[^>]*>(.*?)</pre>', dom, re.S)
    assert m and m.group(1), "the page's self-test did not run"
    return json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&"))


def _console_errors(stderr: str) -> list[str]:
    """Console messages Chromium logged at warning/error level, and uncaught exceptions."""
    return [ln for ln in stderr.splitlines() if "CONSOLE" in ln and ("Uncaught" in ln or ":ERROR:" in ln)]


@pytest.fixture(scope="module")
def twenty_tunes():
    tunes = []
    for path in music21_abc_paths("oneills1850"):
        tunes.extend(load_tunes(path.read_text(encoding="latin-1")))
    return random.Random(3).sample(tunes, 20)


def test_tunebook_loads_shows_20_tunes_and_plays(twenty_tunes, tmp_path):
    book = tmp_path / "book.html"
    report = write_tunebook(twenty_tunes, book, title="Twenty tunes", corpus=False)
    assert (report.tunes, report.rendered, report.failures) == (20, 20, [])
    page = book.read_text(encoding="utf-8")
    # self-contained: no remote scripts, styles, fonts or images
    assert not re.search(r'<(script|link|img|iframe)[^>]+(src|href)=', page)
    assert not re.search(r"url\(|@import|https?://(?!www\.w3\.org/)", page)

    run = _chromium(book, tmp_path, "--virtual-time-budget=5000", "--dump-dom")
    assert run.returncode == 0, run.stderr[-2000:]
    status = _status(run.stdout)
    assert status["errors"] == [] and _console_errors(run.stderr) == []
    assert status["tunes"] == status["rendered"] == status["buttons"] == 20
    assert status["failed"] == 0
    # the first play button was pressed: every note of the first tune is scheduled on a running clock
    assert status["state"] == "playing" and status["tune"] == 0
    assert status["scheduled"] == len(perform(twenty_tunes[0].abc).notes)
    assert status["audio"] == "running"
    shown = html.unescape(run.stdout)
    for tune in twenty_tunes:  # every title is on the page
        assert f"{tune.index}. {tune.title}" in shown

    shot = tmp_path / "book.png"
    run = _chromium(book, tmp_path, "--virtual-time-budget=3000", f"--screenshot={shot}", "--window-size=1100,1600")
    assert run.returncode == 0 and shot.exists()
    from PIL import Image

    img = Image.open(shot).convert("L")
    assert img.size == (1100, 1600)
    dark = sum(img.histogram()[:128]) / (img.size[0] * img.size[1])
    assert 0.005 < dark < 0.5  # notation drawn, not a blank page


def test_page_reports_script_errors(tmp_path):
    """The self-test catches errors: a page with a failing script reports it."""
    page, _ = tunebook_html("X:1\nT:Scale\nM:4/4\nL:1/4\nK:C\nCDEF|\n", corpus=False)
    broken = tmp_path / "broken.html"
    broken.write_text(page.replace("</body>", "<script>console.error('boom'); undefinedCall();</script></body>"))
    run = _chromium(broken, tmp_path, "--virtual-time-budget=3000", "--dump-dom")
    errors = _status(run.stdout)["errors"]
    assert any("boom" in e for e in errors) and any("undefinedCall" in e for e in errors)


def test_tunebook_shows_check_and_novelty(tmp_path):
    from folkabc.corpus import build_corpus

    corpus_dir = tmp_path / "misc"
    build_corpus(["music21:miscFolk"], corpus_dir, quiet=True)
    misc = [p for p in music21_abc_paths("miscFolk")]
    tunes = load_tunes(misc[0].read_text(encoding="latin-1"))[:2]
    bad = "X:9\nT:Short bar\nM:4/4\nL:1/8\nK:G\nGABc dedB|GAB|cBAG FGAB|G8|]\n"
    page, report = tunebook_html(tunes + load_tunes(bad), corpus=corpus_dir)
    assert report.rendered == 3
    assert page.count('class="novelty"') == 3
    # a corpus tune is found in its own corpus: all of it is covered
    first = page.split('class="novelty">', 1)[1].split("</p>", 1)[0]
    assert first.startswith("Novelty: 100%")
    assert page.count('class="check ok"') >= 1
    assert 'class="check bad">Check: 1 problem(s)' in page
    assert "<li>bar 2 (part A) is short: 3 units of 1/8 instead of 8 (line 6)</li>" in page


def test_cli_tunebook_from_token_file(folkrnn_examples, tmp_path, capsys):
    src = tmp_path / "gen.txt"
    src.write_text(folkrnn_examples)
    out = tmp_path / "gen.html"
    assert main(["tunebook", str(src), "-o", str(out), "--no-novelty"]) == 0
    assert capsys.readouterr().out.strip() == f"{out}: 2 of 2 tune(s) rendered"
    page = out.read_text()
    assert page.count('<button class="play"') == 2 and page.count("<section") == 2
