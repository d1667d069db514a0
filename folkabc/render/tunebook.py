"""The HTML tunebook: one self-contained page (no remote scripts, fonts or images).

Each tune gets its title, engraved notation (inline SVG from verovio), a play button (a
small WebAudio synth in the page plays the tune's notes, computed in Python exactly as the
MIDI file is), its MIDI file (a ``data:`` link), the bar check and, where a corpus is at hand,
a novelty summary.
"""

from __future__ import annotations

import base64
import html
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import FolkabcError, RenderError
from ._source import TuneSource, load_tunes, output_name, write_output
from .midi import performance_to_midi
from .notation import engrave_many
from .perform import perform

__all__ = ["script_json", "tunebook_html", "write_tunebook", "TunebookReport"]


@dataclass
class TunebookReport:
    """What went into a tunebook.

    Attributes
    ----------
    path : Path or None
        The file written (None for :func:`tunebook_html`).
    tunes : int
        Tunes in the page.
    rendered : int
        Tunes with notation and sound.
    failures : list of (str, str)
        ``(tune label, message)`` of each tune that could not be rendered (it still has
        its section in the page, with the message).
    notes : list of str
        Page-level notes (e.g. why there is no novelty summary).
    """

    path: Path | None
    tunes: int
    rendered: int
    failures: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON-ready form (``folkabc tunebook --json``).

        Examples
        --------
        >>> TunebookReport(Path("book.html"), 3, 2, [("3 'X'", "no notes")]).to_dict()["failures"]
        [{'tune': "3 'X'", 'message': 'no notes'}]
        """
        return {"path": None if self.path is None else str(self.path), "tunes": self.tunes,
                "rendered": self.rendered, "notes": list(self.notes),
                "failures": [{"tune": label, "message": msg} for label, msg in self.failures]}


_CSS = """
body{font-family:Georgia,'DejaVu Serif',serif;max-width:1000px;margin:1.5em auto;padding:0 1em;color:#222}
h1{font-weight:normal;border-bottom:1px solid #aaa}
section.tune{border-bottom:1px solid #ddd;padding:0.8em 0 1.2em}
section.tune h2{font-weight:normal;margin:0.2em 0}
.meta{color:#666;font-size:0.9em}
.score svg{max-width:100%;height:auto}
button.play{font-size:1em;padding:0.3em 0.9em;border:1px solid #557;border-radius:4px;background:#eef;cursor:pointer}
button.play.playing{background:#fdd}
a.midi{margin-left:1em;color:#557;font-size:0.9em}
.check.ok{color:#275d27}.check.bad{color:#8a4b00}.error{color:#a00}
.novelty{color:#335}.note{color:#666;font-style:italic}
details pre{background:#f6f6f6;padding:0.5em;overflow-x:auto}
"""


def _player_js() -> str:
    return resources.files("folkabc.data").joinpath("js/player.js").read_text(encoding="utf-8")


def _check_html(abc: str) -> str:
    from ..validate import ERROR_KINDS, check

    try:
        results = check(abc)
    except FolkabcError as exc:
        return f'<p class="check bad">Check: could not read the tune ({html.escape(exc.message)})</p>'
    if not results:
        return '<p class="note">Check: nothing to check</p>'
    r = results[0]
    structure = html.escape(r.structure.summary) if r.structure is not None else ""
    problems = [f for f in r.findings if f.kind in ERROR_KINDS]
    remarks = [f for f in r.findings if f.kind not in ERROR_KINDS]

    def items(findings) -> str:
        rows = [f"<li>{html.escape(f.message)}" + (f" (line {f.line})" if f.line else "") + "</li>"
                for f in findings[:6]]
        if len(findings) > 6:
            rows.append(f"<li>… {len(findings) - 6} more</li>")
        return "".join(rows)

    notes = f'<ul class="note">{items(remarks)}</ul>' if remarks else ""
    if r.ok and not problems:
        return f'<div class="check ok">Check: every bar is complete &mdash; {structure}{notes}</div>'
    return (f'<div class="check bad">Check: {len(problems)} problem(s) &mdash; {structure}'
            f"<ul>{items(problems)}</ul>{notes}</div>")


def _open_corpus(corpus: Any) -> tuple[Any, str | None]:
    """The corpus to measure novelty against, or None and the reason."""
    if corpus is False:
        return None, "novelty not measured (no corpus asked for)"
    from ..corpus import Corpus, default_corpus_path

    try:
        if corpus is None:
            path = default_corpus_path()
            if not (Path(path) / "manifest.json").exists():
                return None, ("novelty not measured: the default corpus is not built yet "
                              "(run `folkabc corpus build`)")
            return Corpus.open(), None
        if isinstance(corpus, (str, Path)):
            return Corpus.open(corpus), None
        return corpus, None
    except FolkabcError as exc:
        return None, f"novelty not measured: {exc}"


def _novelty_html(corpus: Any, tune: TuneSource) -> str:
    try:
        from ..tokens import tokenize

        tokens = tune.tokens
        if tokens is None:
            tokenized = tokenize(tune.abc)
            if not tokenized or tokenized[0].error is not None:
                return '<p class="note">Novelty: the tune could not be tokenized</p>'
            tokens = tokenized[0].tokens
        report = corpus.novelty(tokens)
    except FolkabcError as exc:
        return f'<p class="note">Novelty: {html.escape(exc.message)}</p>'
    text = f"Novelty: {report.coverage:.0%} of the tune lies in figures of ≥{report.k} tokens found in the corpus"
    if report.longest is not None:
        lf = report.longest
        names = ", ".join(t for t in (lf.titles or [])[:3] if t)
        text += (f"; longest shared figure {lf.length} tokens (bars {lf.bars[0]}–{lf.bars[1]}) "
                 f"in {lf.tunes} tune(s){': ' + names if names else ''}")
    return f'<p class="novelty">{html.escape(text)}</p>'


def script_json(data: Any) -> str:
    """JSON for a ``<script type="application/json">`` element: no text in it can end or open a script.

    ``<``, ``>`` and ``&`` become ``\\u003c``, ``\\u003e`` and ``\\u0026`` (the same string to
    ``JSON.parse``), so a title such as ``<!--<script>`` or ``</script>`` stays inside its string:
    the HTML parser's script states never see a ``<!--`` or ``</`` (U+2028/2029 are escaped too).

    Examples
    --------
    >>> script_json([{"title": "<!--<script>"}])
    '[{"title": "\\\\u003c!--\\\\u003cscript\\\\u003e"}]'
    >>> json.loads(script_json(["</script> & <!--"]))
    ['</script> & <!--']
    """
    text = json.dumps(data, ensure_ascii=False)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                    ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text


def tunebook_html(tunes: Any, *, title: str = "folkabc tunebook", corpus: Any = None,
                  check: bool = True) -> tuple[str, TunebookReport]:
    """Build the tunebook page.

    Parameters
    ----------
    tunes : str, list of token lists, list of TokenizedTune, ...
        Anything :func:`folkabc.render.load_tunes` reads (ABC text, a token file's text...).
    title : str
        The page heading.
    corpus : Corpus, path, None or False
        Corpus for the novelty summary; None uses the default corpus when it is already
        built (a note says so when it is not); False leaves novelty out.
    check : bool
        Include the bar check of each tune.

    Returns
    -------
    (str, TunebookReport)
        The HTML text and what went into it.

    Examples
    --------
    >>> page, report = tunebook_html("X:1\\nT:Scale\\nM:4/4\\nL:1/4\\nK:C\\nCDEF|\\n", corpus=False)
    >>> report.rendered, page.count('<button class="play"'), "<script src" in page
    (1, 1, False)
    """
    sources = load_tunes(tunes)
    db, corpus_note = _open_corpus(corpus)
    report = TunebookReport(None, len(sources), 0)
    if corpus_note:
        report.notes.append(corpus_note)
    sections, data = [], []
    engraved = engrave_many([t.abc for t in sources], header=False)
    for k, (tune, svg) in enumerate(zip(sources, engraved)):
        head = f"<h2>{tune.index}. {html.escape(tune.title or 'Untitled')}</h2>"
        try:
            if tune.error is not None:
                raise tune.error
            if isinstance(svg, RenderError):
                raise svg
            perf = perform(tune.abc)
        except FolkabcError as exc:
            msg = exc.message
            report.failures.append((tune.label, msg))
            sections.append(f'<section class="tune failed" id="tune-{k}">{head}'
                            f'<p class="error">Could not render this tune: {html.escape(msg)}</p>'
                            f"<details><summary>ABC</summary><pre>{html.escape(tune.abc)}</pre></details>"
                            "</section>")
            continue
        report.rendered += 1
        data.append({"title": tune.title, "qpm": perf.qpm,
                     "notes": [[round(a, 4), p, round(d, 4)] for a, p, d in perf.to_seconds()]})
        meta = html.escape(f"M:{perf.meter} · ♩={perf.qpm:g} · {len(perf.notes)} notes, "
                           f"{perf.length * 60 / perf.qpm:.0f} s")
        parts = [f'<section class="tune" id="tune-{k}">{head}<div class="meta">{meta}</div>',
                 f'<div class="score">{svg}</div>',
                 f'<p><button class="play" type="button" data-tune="{len(data) - 1}">▶ Play</button> '
                 f'<a class="midi" download="{html.escape(output_name(tune, "mid"))}" href="data:audio/midi;base64,'
                 f'{base64.b64encode(performance_to_midi(perf)).decode("ascii")}">MIDI file</a></p>']
        if check:
            parts.append(_check_html(tune.abc))
        if db is not None:
            parts.append(_novelty_html(db, tune))
        parts.append(f"<details><summary>ABC</summary><pre>{html.escape(tune.abc)}</pre></details></section>")
        sections.append("".join(parts))
    notes = "".join(f'<p class="note">{html.escape(n)}</p>' for n in report.notes)
    if report.failures:
        notes += f'<p class="error">{len(report.failures)} tune(s) could not be rendered.</p>'
    payload = script_json(data)
    page = (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title>"
        "<script>window.folkabcErrors=[];window.addEventListener('error',function(e){"
        "window.folkabcErrors.push(String(e.message||e));});(function(){var ce=console.error;"
        "console.error=function(){window.folkabcErrors.push(Array.prototype.join.call(arguments,' '));"
        "return ce.apply(console,arguments);};})();</script>"
        f"<style>{_CSS}</style></head>\n<body>\n<h1>{html.escape(title)}</h1>\n"
        f"<p class=\"meta\">{report.tunes} tune(s) · made by folkabc</p>{notes}\n"
        + "\n".join(sections)
        + '\n<pre id="folkabc-test-status" hidden></pre>\n'
        f'<script type="application/json" id="folkabc-tunes">{payload}</script>\n'
        f"<script>{_player_js()}</script>\n</body></html>\n"
    )
    return page, report


def write_tunebook(tunes: Any, path: str | Path, *, title: str = "folkabc tunebook", corpus: Any = None,
                   check: bool = True) -> TunebookReport:
    """Write the tunebook page to ``path`` (see :func:`tunebook_html` for the options).

    A tune that cannot be rendered keeps its section with the reason and is listed in
    ``failures``; the others are written.

    Raises
    ------
    RenderError
        When ``path`` cannot be written, or the input holds no tune.

    Examples
    --------
    >>> import tempfile, os
    >>> out = os.path.join(tempfile.mkdtemp(), "book.html")
    >>> write_tunebook([["M:4/4", "K:Cmaj", "C", "D", "E", "F", "|"]], out, corpus=False).rendered
    1
    """
    page, report = tunebook_html(tunes, title=title, corpus=corpus, check=check)
    report.path = write_output(path, page, what="cannot write the tunebook")
    return report
