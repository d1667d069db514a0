"""Notation (SVG, PNG, PDF), MusicXML and the render front, on real corpus tunes."""

from __future__ import annotations

import io
import random
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import music21_abc_paths
from folkabc.cli import main
from folkabc.render import (
    abc_to_svg, count_systems, load_tunes, read_midi, render, render_tunes, svg_to_png, svgs_to_pdf,
)

SVG_NS = "{http://www.w3.org/2000/svg}"


def _music_lines(abc: str) -> int:
    """Lines of music in an ABC tune's body (a line ending in ``\\`` continues on the next)."""
    body = abc.split("\nK:", 1)[1].split("\n", 1)[1]
    n, continued = 0, False
    for line in body.splitlines():
        text = line.split("%")[0].rstrip()
        if not text.strip() or re.match(r"[A-Za-z]:", text):
            continue
        if not continued:
            n += 1
        continued = text.endswith("\\")
    return n


@pytest.fixture(scope="module")
def dance_tunes():
    """20 tunes drawn at random (fixed seed) from O'Neill's and Ryan's collections."""
    tunes = []
    for path in music21_abc_paths("oneills1850") + music21_abc_paths("ryansMammoth"):
        tunes.extend(load_tunes(path.read_text(encoding="latin-1")))
    assert len(tunes) > 2500
    return random.Random(7).sample(tunes, 20)


def test_svg_is_xml_with_one_system_per_line_of_music(dance_tunes):
    for tune in dance_tunes:
        svg = abc_to_svg(tune.abc)
        root = ET.fromstring(svg)  # valid XML
        assert root.tag == f"{SVG_NS}svg"
        assert count_systems(svg) == _music_lines(tune.abc), tune.label
        # sized to the tune: the page is no taller than its systems need
        height = float(root.get("height").removesuffix("px"))
        assert 60 * count_systems(svg) < height < 200 + 140 * count_systems(svg), tune.label


def test_svg_title_and_notes():
    abc = "X:1\nT:The Kesh\nR:jig\nM:6/8\nL:1/8\nK:G\n|:GAG GAB|ABA ABd:|\n"
    svg = render(abc, to="svg")
    assert "The Kesh" in svg
    root = ET.fromstring(svg)
    notes = [g for g in root.iter(f"{SVG_NS}g") if g.get("class") == "note"]
    assert len(notes) == 12


def test_png_is_non_blank_and_of_the_expected_size(dance_tunes):
    from PIL import Image

    svg = abc_to_svg(dance_tunes[0].abc)
    width = float(re.search(r'width="([\d.]+)px"', svg).group(1))
    height = float(re.search(r'height="([\d.]+)px"', svg).group(1))
    png = svg_to_png(svg, width=1200)
    img = Image.open(io.BytesIO(png)).convert("L")
    assert img.size[0] == 1200
    assert abs(img.size[1] - height * 1200 / width) <= 1
    dark = sum(img.histogram()[:128]) / (img.size[0] * img.size[1])
    assert 0.01 < dark < 0.5  # ink on white: notation, not a blank or black page
    # the ink spans the page: staff lines reach across most of the width
    cols = [x for x in range(0, img.size[0], 10) if any(img.getpixel((x, y)) < 128 for y in range(img.size[1]))]
    assert len(cols) > 0.8 * img.size[0] / 10


def test_pdf_has_a_page_per_tune(dance_tunes):
    pdf = render("\n\n".join(t.abc for t in dance_tunes[:3]), to="pdf")
    assert pdf.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) == 3


def _music21_notes(stream):
    out = []
    for el in stream.recurse().notes:
        if el.duration.isGrace:
            continue
        pitches = tuple(sorted(p.midi for p in el.pitches))
        out.append((pitches, float(el.duration.quarterLength)))
    return out


def test_musicxml_parses_back_to_the_same_notes(dance_tunes):
    from music21 import converter

    for tune in dance_tunes[:6]:
        xml = render(tune.abc, to="musicxml")
        assert "<score-partwise" in xml
        back = converter.parseData(xml, format="musicxml")
        direct = converter.parse(tune.abc, format="abc", forceSource=True)
        ours, theirs = _music21_notes(back), _music21_notes(direct)
        assert len(ours) > 20, tune.label
        assert ours == theirs, tune.label


def test_token_file_renders_every_tune(folkrnn_examples, tmp_path):
    report = render_tunes(folkrnn_examples, to="svg", out=tmp_path)
    assert [p.name for p in report.written] == ["001-tune-1.svg", "002-tune-2.svg"]
    assert not report.failures
    for path in report.written:
        assert count_systems(path.read_text()) >= 1


def test_render_accepts_tokenized_tunes_and_token_lists():
    from folkabc.tokens import tokenize

    tune = tokenize("X:4\nT:Scale\nM:4/4\nL:1/8\nK:D\nDEFG ABcd|\n")[0]
    notes = read_midi(render(tune, to="midi")).melody()
    assert [n.pitch for n in notes] == [62, 64, 66, 67, 69, 71, 73, 74]  # the original key, not C
    tokens = ["M:4/4", "K:Cmaj", "C", "E", "G", "c", "|"]
    assert [n.pitch for n in read_midi(render(tokens, to="midi")).melody()] == [60, 64, 67, 72]


def test_cli_render_one_file_per_tune(tmp_path, capsys):
    abc = tmp_path / "two.abc"
    abc.write_text("X:1\nT:Tune A\nK:G\nGABc|\n\nX:2\nT:Tune B\nK:D\nDEFG|\n")
    out = tmp_path / "out"
    assert main(["render", str(abc), "--to", "midi", "-o", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["001-tune-a.mid", "002-tune-b.mid"]
    printed = capsys.readouterr().out.split()
    assert printed == [str(out / "001-tune-a.mid"), str(out / "002-tune-b.mid")]
    single = tmp_path / "a.png"
    one = tmp_path / "one.abc"
    one.write_text("X:1\nT:Tune A\nK:G\nGABc|\n")
    assert main(["render", str(one), "--to", "png", "--width", "400", "-o", str(single)]) == 0
    assert single.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["render", str(abc), "--to", "pdf", "-o", str(tmp_path / "b.pdf")]) == 0
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", (tmp_path / "b.pdf").read_bytes())) == 2


def test_svgs_to_pdf_keeps_each_page_size():
    small = '<svg xmlns="http://www.w3.org/2000/svg" width="200px" height="100px"><rect width="10" height="10"/></svg>'
    big = '<svg xmlns="http://www.w3.org/2000/svg" width="800px" height="400px"><rect width="10" height="10"/></svg>'
    pdf = svgs_to_pdf([small, big])
    boxes = [tuple(float(v) for v in m) for m in re.findall(rb"/MediaBox \[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)]
    assert sorted(boxes) == [(150.0, 75.0), (600.0, 300.0)]  # px → pt (0.75)


def test_shipped_examples_render(tmp_path):
    examples = Path(__file__).resolve().parent.parent / "folkabc" / "data" / "examples"
    files = sorted(examples.glob("*.abc"))
    if not files:
        pytest.skip("no shipped ABC examples")
    report = render_tunes(files[0].read_text(encoding="utf-8"), to="svg", out=tmp_path)
    assert report.written and not report.failures


@pytest.mark.parametrize("first", ["import folkabc", "import folkabc.render"])
def test_folkabc_render_is_callable_whatever_was_imported_first(first):
    import subprocess
    import sys

    code = (f"{first}\nimport folkabc, folkabc.render\n"
            "print(folkabc.render('X:1\\nT:t\\nK:C\\nCDEF|\\n', to='midi')[:4])")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "b'MThd'"


def test_tunebook_from_a_list_of_abc_texts(tmp_path):
    """What `folkabc demo` and generators hand over: one ABC text per tune."""
    from folkabc.render import write_tunebook

    abcs = ["X:1\nT:First\nM:4/4\nL:1/8\nK:G\nGABc dedB|\n", "X:2\nT:Second\nM:6/8\nL:1/8\nK:D\nDFA dAF|\n"]
    report = write_tunebook(abcs, tmp_path / "b.html", corpus=False)
    assert (report.tunes, report.rendered, report.failures) == (2, 2, [])
    page = (tmp_path / "b.html").read_text()
    assert "<h2>1. First</h2>" in page and "<h2>2. Second</h2>" in page
    # each tune's MIDI file is in the page, as a data: link, and holds the tune's notes
    import base64

    from folkabc.render import perform

    links = re.findall(r'<a class="midi" download="([^"]+)" href="data:audio/midi;base64,([^"]+)"', page)
    assert [name for name, _ in links] == ["001-first.mid", "002-second.mid"]
    notes = read_midi(base64.b64decode(links[1][1])).melody()
    assert [(n.onset, n.pitch, n.duration) for n in notes] == [
        (n.onset, n.pitch, n.duration) for n in perform(abcs[1]).notes]


def test_first_and_second_endings_are_drawn():
    """verovio's ABC reader drops endings; folkabc adds them back as MEI <ending> brackets."""
    from folkabc.render.perform import measure_endings

    abc = "X:1\nT:Endings\nM:2/4\nL:1/8\nK:G\nD|:GABc|1 d4:|2 g4|]\n|:B2B2|[1 c4 :|[2 d2 e2|f4|]\n"
    assert measure_endings(abc) == [None, None, "1", "2", None, "1", "2", "2"]
    svg = render(abc, to="svg")
    root = ET.fromstring(svg)
    endings = [g for g in root.iter(f"{SVG_NS}g") if (g.get("class") or "").startswith("ending")]
    assert len(endings) == 4
    assert len([g for g in root.iter(f"{SVG_NS}g") if g.get("class") == "voltaBracket"]) == 4
    assert count_systems(svg) == 2


def test_musicxml_hand_checked():
    """Pitches and quarter lengths of a small tune, read back from folkabc's MusicXML."""
    from music21 import converter

    abc = "X:1\nT:t\nM:6/8\nL:1/8\nK:D\nDFA d2c|B>AG (3FGA d|[DA]3 z3|]\n"
    back = converter.parseData(render(abc, to="musicxml"), format="musicxml")
    got = [(tuple(p.midi for p in n.pitches), float(n.duration.quarterLength)) for n in back.recurse().notes]
    third = pytest.approx(1 / 3)
    assert got == [((62,), 0.5), ((66,), 0.5), ((69,), 0.5), ((74,), 1.0), ((73,), 0.5),
                   ((71,), 0.75), ((69,), 0.25), ((67,), 0.5), ((66,), third), ((67,), third), ((69,), third),
                   ((74,), 0.5), ((62, 69), 1.5)]


def test_cli_render_html(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("FOLKABC_HOME", str(tmp_path / "home"))  # no default corpus built there
    src = tmp_path / "two.abc"
    src.write_text("X:1\nT:Tune A\nK:G\nGABc|\n\nX:2\nT:Tune B\nK:D\nDEFG|\n")
    assert main(["render", str(src), "--to", "html", "-o", str(tmp_path / "two.html")]) == 0
    page = (tmp_path / "two.html").read_text()
    assert page.count('<section class="tune"') == 2 and "<title>two</title>" in page
    assert "novelty not measured: the default corpus is not built yet (run `folkabc corpus build`)" in page


def test_generate_writes_a_tunebook_of_its_tunes(tmp_path, capsys):
    """``folkabc generate … --tunebook`` writes one section per generated tune, titled and engraved."""
    book = tmp_path / "book.html"
    code = main(["generate", "-n", "3", "--seed", "2", "--meter", "4/4", "--tunebook", str(book)])
    out = capsys.readouterr()
    assert code in (0, 1)  # 1 only if a tune could not be rendered (reported below)
    page = book.read_text(encoding="utf-8")
    assert page.count('class="tune"') == 3
    assert page.count("<svg") >= 3
    assert f"{book}: " in out.err and "tune(s) rendered" in out.err
    blocks = [b for b in out.out.split("\n\n") if b.strip()]
    assert len(blocks) == 3 and all(b.startswith("M:4/4") for b in blocks)
