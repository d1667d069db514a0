"""Bad input to render and tunebook: one clear message, exit 2; a failing tune does not stop the rest."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from folkabc.cli import main
from folkabc.errors import AbcSyntaxError, RenderError
from folkabc.render import (
    abc_to_svg, engrave_many, perform, read_midi, render, render_tunes, svg_to_png, svgs_to_pdf, write_tunebook,
)

GOOD = "X:1\nT:Good one\nM:4/4\nL:1/8\nK:G\nGABc dedB|\n"
RESTS = "X:2\nT:Only rests\nM:4/4\nL:1/8\nK:G\nz8|z8|\n"
CRASHER = "X:3\nT:Stray bracket\nM:4/4\nL:1/8\nK:G\nA]\n"  # verovio 6.4 segfaults on it
GOOD2 = "X:4\nT:Good two\nM:6/8\nL:1/8\nK:D\nDFA dAF|\n"


def _cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["render", "{missing}", "--to", "svg"], "{missing}: cannot read: No such file or directory"),
        (["render", "{notabc}", "--to", "svg"], "{notabc}: no tune found: expected ABC (X:, T:, K: ...) or a folk-rnn "
                                                "token file"),
        (["render", "{good}", "--to", "gif"], "{good}: unknown format 'gif'; choose one of svg, png, pdf, midi, "
                                              "musicxml, html"),
        (["render", "{good}", "--to", "midi", "-o", "/proc/no/such/dir/x.mid"],
         "/proc/no/such/dir/x.mid: cannot write: No such file or directory"),
        (["render", "{good}", "--to", "pdf", "-o", "/proc/no/such/dir/x.pdf"],
         "/proc/no/such/dir/x.pdf: cannot write: No such file or directory"),
        (["tunebook", "{good}", "-o", "/proc/no/such/dir/b.html", "--no-novelty"],
         "/proc/no/such/dir/b.html: cannot write the tunebook: No such file or directory"),
        (["tunebook", "{missing}", "-o", "b.html"], "{missing}: cannot read: No such file or directory"),
        (["render", "{binary}", "--to", "png"], "{binary}: no tune found: expected ABC (X:, T:, K: ...) or a "
                                                "folk-rnn token file"),
        (["render", "{rests}", "--to", "midi", "-o", "{tmp}/r.mid"], "{rests}: no tune could be rendered: tune 2 'Only rests': the tune has no notes to play"),
    ],
)
def test_cli_bad_input_one_line_exit_2(argv, message, tmp_path, capsys):
    files = {"missing": tmp_path / "missing.abc", "notabc": tmp_path / "notes.txt",
             "good": tmp_path / "good.abc", "rests": tmp_path / "rests.abc", "tmp": tmp_path}
    files["notabc"].write_text("just some words\nand more words\n")
    files["binary"] = tmp_path / "image.abc"
    files["binary"].write_bytes(bytes(range(256)) * 8)
    files["good"].write_text(GOOD)
    files["rests"].write_text(RESTS)
    names = {k: str(v) for k, v in files.items()}
    code, out, err = _cli(capsys, *[a.format(**names) for a in argv])
    assert code == 2
    lines = err.strip().splitlines()
    assert lines == [f"folkabc {argv[0]}: error: {message.format(**names)}"]  # exit 2: one line
    assert "Traceback" not in err


def test_failing_tune_does_not_stop_the_others(tmp_path, capsys):
    src = tmp_path / "mixed.abc"
    src.write_text("\n".join([GOOD, RESTS, GOOD2]))
    out = tmp_path / "out"
    code, printed, err = _cli(capsys, "render", str(src), "--to", "midi", "-o", str(out))
    assert code == 1
    assert sorted(p.name for p in out.iterdir()) == ["001-good-one.mid", "004-good-two.mid"]
    assert "folkabc render: tune 2 'Only rests': the tune has no notes to play" in err
    assert "2 written, 1 tune(s) failed" in err


def test_verovio_crash_is_contained(tmp_path, capsys):
    src = tmp_path / "crash.abc"
    src.write_text("\n".join([GOOD, CRASHER, GOOD2]))
    code, printed, err = _cli(capsys, "render", str(src), "--to", "svg", "-o", str(tmp_path))
    assert code == 1
    assert sorted(p.name for p in tmp_path.glob("*.svg")) == ["001-good-one.svg", "004-good-two.svg"]
    assert "tune 3 'Stray bracket': verovio crashed on this tune" in err
    # the tunebook keeps the crashed tune's section, with the reason, and plays the others
    report = write_tunebook("\n".join([GOOD, CRASHER, GOOD2]), tmp_path / "b.html", corpus=False)
    assert (report.tunes, report.rendered) == (3, 2)
    assert report.failures == [("3 'Stray bracket'", "verovio crashed on this tune")]
    page = (tmp_path / "b.html").read_text()
    assert page.count('class="tune failed"') == 1 and page.count('<button class="play"') == 2


def test_cli_tunebook_reports_failures(tmp_path, capsys):
    src = tmp_path / "mixed.abc"
    src.write_text("\n".join([GOOD, RESTS]))
    code, printed, err = _cli(capsys, "tunebook", str(src), "-o", str(tmp_path / "b.html"), "--no-novelty")
    assert code == 1
    assert printed.strip() == f"{tmp_path / 'b.html'}: 1 of 2 tune(s) rendered"
    assert "folkabc tunebook: tune 2 'Only rests': the tune has no notes to play" in err


def test_stdin_input(tmp_path):
    run = subprocess.run([sys.executable, "-c", "from folkabc.cli import main; raise SystemExit(main())",
                          "render", "-", "--to", "midi", "-o", str(tmp_path / "x.mid")],
                         input=GOOD, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert [n.pitch for n in read_midi((tmp_path / "x.mid").read_bytes()).melody()] == [
        67, 69, 71, 72, 74, 76, 74, 71]


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: render(GOOD, to="wav"), "unknown format 'wav'; choose one of svg, png, pdf, midi, musicxml, html"),
        (lambda: render(GOOD + "\n" + GOOD2, to="svg"),
         "2 tunes given; svg renders one tune (use render_tunes for a file of tunes)"),
        (lambda: render(3.5, to="svg"), "cannot render a float; give ABC text, tokens or a TokenizedTune"),
        (lambda: render("", to="svg"), "no tune found: expected ABC (X:, T:, K: ...) or a folk-rnn token file"),
        (lambda: render(RESTS, to="midi"), "tune 2 'Only rests': the tune has no notes to play"),
        (lambda: abc_to_svg(GOOD, width=0), "width must be positive, not 0"),
        (lambda: abc_to_svg(GOOD, scale=500), "scale must be in 10..200, not 500"),
        (lambda: abc_to_svg("T:no key\nabc"), "not an ABC tune: no K: field"),
        (lambda: perform("X:1\nT:no key\nABC\n"), "tune 1 'no key': not an ABC tune: no K: field"),
        (lambda: read_midi(b"RIFF....WAVE"), "not a standard MIDI file"),
        (lambda: read_midi(b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x01\xe0MTrk\x00\x00\x00\x10\x00\x90"),
         "truncated MIDI file"),
        (lambda: svg_to_png("<svg", width=100), "cannot rasterise the SVG"),
        (lambda: svg_to_png("<svg/>", width=-3), "width must be positive, not -3"),
        (lambda: svgs_to_pdf([]), "nothing to put in the PDF"),
        (lambda: render_tunes(GOOD, to="svg", out="/proc/nope/dir"), "/proc/nope/dir: cannot create the output folder"),
    ],
)
def test_api_errors(call, message):
    with pytest.raises(RenderError) as info:
        call()
    assert str(info.value).startswith(message)


def test_engrave_many_keeps_going():
    out = engrave_many([GOOD, CRASHER, "no key here", GOOD2])
    assert isinstance(out[0], str) and isinstance(out[3], str)
    assert [str(e) for e in out[1:3]] == ["verovio crashed on this tune", "not an ABC tune: no K: field"]


def test_token_file_with_bad_tokens(tmp_path, capsys):
    src = tmp_path / "bad.txt"
    src.write_text("M:4/4\nK:Cmaj\n| C D E F | G A B c |\n\nM:4/4\nK:Cmaj\n| C D %% E F |\n")
    code, printed, err = _cli(capsys, "render", str(src), "--to", "midi", "-o", str(tmp_path / "o"))
    assert code == 1
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["001-tune-1.mid"]
    assert err.splitlines()[0] == "folkabc render: tune 2 'Tune 2': not a folk-rnn token: '%%'"


_BODY = "ABCDEFGabcdefgzxZ|:[]{}()<>~.-_^=,'/123456789 \"!+HTLK:M"


@settings(max_examples=150, deadline=None)
@given(body=st.text(alphabet=_BODY, min_size=1, max_size=40),
       meter=st.sampled_from(["4/4", "6/8", "C|", "none", "3/"]),
       key=st.sampled_from(["G", "Ador", "none", "Hp", "zzz", "F#m ^g"]))
def test_player_never_crashes_on_odd_abc(body, meter, key):
    """Any body text either plays or raises RenderError (never another exception)."""
    try:
        perf = perform(f"X:1\nT:f\nM:{meter}\nL:1/8\nK:{key}\n{body}\n")
    except (RenderError, AbcSyntaxError):  # unreadable ABC: the reader's located error, as tokenize
        return
    assert perf.notes and all(n.duration >= 0 for n in perf.notes)


def test_generated_tune_records_render():
    class Generated:  # what a generator hands over: tokens and maybe a title, no ABC
        tokens = "M:6/8 K:Cdor |: G 2 G c 2 d :|"
        title = "Generated 1"

    notes = read_midi(render(Generated(), to="midi")).melody()
    assert [n.pitch for n in notes] == [67, 67, 72, 74] * 2


def test_engrave_timeout_stops_the_worker():
    (out,) = engrave_many([GOOD], timeout=1e-6)  # no worker engraves a tune in a microsecond
    assert str(out) == "verovio took more than 1e-06 s on this tune"
    with pytest.raises(RenderError, match="timeout must be positive, not 0"):
        engrave_many([GOOD], timeout=0)


def test_json_reports(tmp_path, capsys):
    import json

    src = tmp_path / "mixed.abc"
    src.write_text("\n".join([GOOD, RESTS]))
    code, printed, err = _cli(capsys, "render", str(src), "--to", "midi", "-o", str(tmp_path / "o"), "--json")
    assert code == 1
    assert json.loads(printed) == {
        "tunes": 2, "written": [str(tmp_path / "o" / "001-good-one.mid")],
        "failures": [{"tune": "2 'Only rests'", "message": "the tune has no notes to play"}]}
    code, printed, err = _cli(capsys, "tunebook", str(src), "-o", str(tmp_path / "b.html"), "--no-novelty", "--json")
    assert code == 1
    report = json.loads(printed)
    assert (report["tunes"], report["rendered"], report["path"]) == (2, 1, str(tmp_path / "b.html"))


def test_render_writes_are_atomic_and_leave_no_temp_file(tmp_path):
    """A write that fails keeps the earlier file whole; a good one leaves only the file."""
    from folkabc.errors import RenderError

    book = tmp_path / "b.html"
    write_tunebook(GOOD, book, corpus=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.html"]
    (tmp_path / "d.html").mkdir()  # a folder where the page should go: os.replace fails
    with pytest.raises(RenderError, match="cannot write the tunebook"):
        write_tunebook(GOOD, tmp_path / "d.html", corpus=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.html", "d.html"]
    report = render_tunes(GOOD, to="midi", out=tmp_path / "one.mid")
    assert report.written == [tmp_path / "one.mid"] and read_midi((tmp_path / "one.mid").read_bytes()).melody()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_a_bad_png_width_is_refused_once_before_engraving(tmp_path, capsys):
    src = tmp_path / "two.abc"
    src.write_text("\n".join([GOOD, GOOD.replace("X:1", "X:2")]))
    with pytest.raises(RenderError, match="width must be positive, not -5"):
        render_tunes(src.read_text(), to="png", out=tmp_path, width=-5)
    assert main(["render", str(src), "--to", "png", "--width", "0", "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("width must be positive") == 1 and str(src) in err


def test_tunebook_cli_names_the_input_file_that_holds_no_tune(tmp_path, capsys):
    src = tmp_path / "words.txt"
    src.write_text("just some words\n")
    assert main(["tunebook", str(src), "-o", str(tmp_path / "b.html"), "--no-novelty"]) == 2
    assert f"{src}: no tune found" in capsys.readouterr().err


def test_a_zero_length_denominator_is_a_render_error_not_a_traceback(tmp_path, capsys):
    """``D/0`` raised ZeroDivisionError in perform and killed the engraving worker with a traceback."""
    bad = "X:1\nT:Zero\nM:2/4\nL:1/8\nK:D\nD/0 FAd|\n"
    with pytest.raises(AbcSyntaxError, match="line 6, column 1: duration divided by zero 'D/0'"):
        perform(bad)
    assert engrave_many([bad])[0].startswith("<svg")
    src = tmp_path / "z.abc"
    src.write_text(bad)
    assert main(["render", str(src), "--to", "midi", "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "tune 1 'Zero': duration divided by zero 'D/0'" in err
    with pytest.raises(AbcSyntaxError, match="unexpected character '0'"):
        perform("X:1\nT:Zero\nM:2/4\nL:1/8\nK:D\n(0DFA|\n")


def test_a_bad_token_list_among_several_fails_alone_and_is_named_by_its_place(tmp_path):
    """A list of token lists with one bad tune raised for the whole book, naming it 'tune 1'."""
    from folkabc.render import load_tunes

    good, bad = ["M:4/4", "K:Cmaj", "C", "D", "E", "F", "|"], ["M:4/4", "K:Cxyz", "C", "|"]
    tunes = load_tunes([good, bad, good])
    assert [t.index for t in tunes] == [1, 2, 3] and tunes[1].error is not None and "tune 2" in str(tunes[1].error)
    report = write_tunebook([good, bad, good], tmp_path / "b.html", corpus=False)
    assert report.rendered == 2 and [label for label, _ in report.failures] == ["2 'Tune 2'"]


def test_a_header_parts_order_that_would_fill_the_memory_is_refused():
    """``P:((AB)999)999`` expanded to a million parts (and a nested one to billions) before playing."""
    tune = "X:1\nT:Parts\nM:2/4\nL:1/8\nP:((AB)999)999\nK:D\nP:A\nDFAd|\nP:B\nAdfa|\n"
    with pytest.raises(RenderError, match="P: field plays more than 1000 parts"):
        perform(tune)
    assert len(perform(tune.replace("((AB)999)999", "(AB)2")).notes) == 16


def test_pdf_into_a_new_folder_named_with_a_slash(tmp_path, capsys):
    """`-o book/` (a folder that does not exist yet) is a folder: the PDF goes inside, named after
    the input, instead of a file called `book`."""
    from folkabc.cli import main

    src = tmp_path / "two.abc"
    src.write_text("X:1\nT:One\nK:C\nCDEF|\n\nX:2\nT:Two\nK:G\nGABc|\n", encoding="utf-8")
    out = tmp_path / "book"
    assert main(["render", str(src), "--to", "pdf", "-o", str(out) + "/", "--json"]) == 0
    assert out.is_dir() and (out / "two.pdf").read_bytes()[:5] == b"%PDF-"
    report = json.loads(capsys.readouterr().out)
    assert report == {"tunes": 2, "written": [str(out / "two.pdf")], "failures": []}


def test_a_note_too_long_for_a_midi_delta_is_a_clear_error_not_a_broken_file():
    """A MIDI delta time holds 2^28 - 1 ticks; a longer gap is refused with the numbers, where the
    writer used to emit a five-byte quantity that no reader parses."""
    from folkabc.errors import RenderError
    from folkabc.render.midi import performance_to_midi, read_midi
    from folkabc.render.perform import perform

    ok = performance_to_midi(perform("X:1\nT:t\nM:4/4\nL:1/8\nK:C\nC8000 D|\n"))  # 4,000 quarters
    assert [n[1] for n in read_midi(ok).notes] == [60, 62]
    with pytest.raises(RenderError, match=r"at most 268,435,455 ticks \(559,240 quarter notes\)"):
        performance_to_midi(perform("X:1\nT:t\nM:4/4\nL:1/8\nK:C\nC99999999 D|\n"))
