"""`folkabc demo` on a small corpus: the report as text and as JSON, and its errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from folkabc.cli import main


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory) -> Path:
    from folkabc.corpus import build_corpus

    out = tmp_path_factory.mktemp("corpus") / "c"
    src = Path(__file__).resolve().parents[1] / "folkabc" / "data" / "examples" / "oneills-sample.abc"
    build_corpus([src], out, workers=1, quiet=True)
    return out


def test_demo_json_reports_every_file_it_wrote(small_corpus, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["demo", "-o", str(out), "-n", "1", "--corpus", str(small_corpus), "--quiet", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["out"] == str(out) and len(report["generated"]) == 1 and len(report["examples"]) == 7
    assert {Path(p).name for p in report["files"]} >= {"tunebook.html", "summary.md", "generated.abc"}
    assert all(Path(p).is_file() for p in report["files"])


def test_demo_errors_are_one_line(tmp_path, capsys):
    assert main(["demo", "-o", str(tmp_path), "-n", "0"]) == 2
    assert "n must be at least 1" in capsys.readouterr().err
    (tmp_path / "f").write_text("x")
    assert main(["demo", "-o", str(tmp_path / "f" / "out"), "--quiet"]) == 2
    assert "cannot create output directory" in capsys.readouterr().err
