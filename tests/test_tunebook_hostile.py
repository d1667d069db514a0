"""A tunebook whose titles hold HTML that could end or open a script still plays, in real headless Chromium."""

from __future__ import annotations

import json
import re

import pytest

from folkabc.render import write_tunebook
from test_tunebook_browser import _chromium, _console_errors, _status

pytestmark = pytest.mark.external

HOSTILE_TITLES = ["<!--<script>", "</script><script>window.folkabcHacked=1</script>", "a & b <!-- c --> d"]


def test_script_like_titles_do_not_disable_the_player(tmp_path):
    abc = "".join(f"X:{k}\nT:{t}\nM:4/4\nL:1/4\nK:C\nCDEF|GABc|\n\n" for k, t in enumerate(HOSTILE_TITLES, 1))
    book = tmp_path / "hostile.html"
    report = write_tunebook(abc, book, corpus=False)
    assert (report.rendered, report.failures) == (3, [])
    page = book.read_text(encoding="utf-8")
    payload = re.search(r'<script type="application/json" id="folkabc-tunes">(.*?)</script>', page, re.S).group(1)
    assert "<" not in payload and ">" not in payload and "&" not in payload
    assert [t["title"] for t in json.loads(payload)] == HOSTILE_TITLES

    run = _chromium(book, tmp_path, "--virtual-time-budget=5000", "--dump-dom")
    assert run.returncode == 0, run.stderr[-2000:]
    status = _status(run.stdout)
    assert status["errors"] == [] and _console_errors(run.stderr) == []
    assert status["tunes"] == status["rendered"] == status["buttons"] == 3
    assert status["state"] == "playing" and status["tune"] == 0
    assert "<script>window.folkabcHacked" not in run.stdout  # shown as text (&lt;script&gt;), never run
