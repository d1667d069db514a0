"""Render tunes: notation (SVG, PNG, PDF), sound (MIDI), MusicXML and an HTML tunebook.

``render(tune, to="svg")`` renders one tune (ABC text, a token list, a TokenizedTune);
``render_tunes(source, to=..., out=...)`` writes one file per tune (one file for ``pdf`` and
``html``) and reports the tunes that failed without stopping; ``write_tunebook(tunes, path)``
writes the HTML tunebook.

Modules: :mod:`.perform` (ABC → notes as played), :mod:`.midi` (MIDI files),
:mod:`.notation` (verovio SVG, PNG, PDF), :mod:`.musicxml` (music21), :mod:`.tunebook`.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import FolkabcError, RenderError
from ._source import TuneSource, load_tunes, output_name, write_output
from .midi import performance_to_midi, read_midi
from .notation import abc_to_svg, check_abc_size, count_systems, engrave_many, svg_to_png, svgs_to_pdf
from .perform import Note, Performance, perform
from .tunebook import TunebookReport, tunebook_html, write_tunebook

__all__ = [
    "render", "render_tunes", "RenderReport", "FORMATS", "write_tunebook", "tunebook_html", "TunebookReport",
    "perform", "Performance", "Note", "performance_to_midi", "read_midi", "abc_to_svg", "svg_to_png",
    "svgs_to_pdf", "count_systems", "engrave_many", "load_tunes", "TuneSource",
]

#: Output formats and their file extensions.
FORMATS: dict[str, str] = {
    "svg": "svg", "png": "png", "pdf": "pdf", "midi": "mid", "musicxml": "musicxml", "html": "html",
}
_WHOLE_BOOK = ("pdf", "html")


def _check_format(to: str) -> str:
    fmt = str(to).lower()
    if fmt == "mid":
        fmt = "midi"
    if fmt in ("xml", "mxl"):
        fmt = "musicxml"
    if fmt not in FORMATS:
        raise RenderError(f"unknown format {to!r}; choose one of {', '.join(FORMATS)}")
    return fmt


def _check_width(width: int | None) -> None:
    """Refuse a bad PNG width once, before any tune is engraved."""
    if width is not None and width <= 0:
        raise RenderError(f"width must be positive, not {width}")


def _render_one(tune: TuneSource, fmt: str, *, width: int | None, svg: str | RenderError | None = None) -> str | bytes:
    try:
        if tune.error is not None:
            raise tune.error
        if isinstance(svg, RenderError):
            raise svg
        check_abc_size(tune.abc)
        if fmt == "svg":
            return svg if svg is not None else abc_to_svg(tune.abc)
        if fmt == "png":
            return svg_to_png(svg if svg is not None else abc_to_svg(tune.abc), width=width)
        if fmt == "midi":
            return performance_to_midi(perform(tune.abc))
        if fmt == "musicxml":
            from .musicxml import abc_to_musicxml

            return abc_to_musicxml(tune.abc)
    except FolkabcError as exc:
        raise RenderError(exc.message, tune=tune.index, title=tune.title) from exc
    raise RenderError(f"format {fmt!r} renders whole books")  # pragma: no cover


def render(tune: Any, *, to: str = "svg", width: int | None = None) -> str | bytes:
    """Render a tune (or, for ``pdf`` and ``html``, every tune given).

    Parameters
    ----------
    tune : str, list of str, TokenizedTune
        ABC text, a folk-rnn token file's text, one tune's tokens, or a tokenized tune.
    to : {'svg', 'png', 'pdf', 'midi', 'musicxml', 'html'}
        Output format.
    width : int > 0 or None
        PNG width in pixels (default: the SVG's own size).

    Returns
    -------
    str or bytes
        Text for ``svg``, ``musicxml`` and ``html``; bytes for ``png``, ``pdf`` and ``midi``.

    Raises
    ------
    RenderError
        For an unknown format, unreadable input, several tunes given to a one-tune format,
        or a tune that cannot be rendered.

    See Also
    --------
    render_tunes : one file per tune, failures reported.
    write_tunebook : the HTML tunebook.

    Examples
    --------
    >>> abc = "X:1\\nT:Scale\\nM:4/4\\nL:1/4\\nK:C\\nCDEF|GABc|\\n"
    >>> render(abc, to="midi")[:4]
    b'MThd'
    >>> [n.pitch for n in read_midi(render(abc, to="midi")).melody()][:4]
    [60, 62, 64, 65]
    >>> render(abc, to="svg").startswith("<svg")
    True
    """
    fmt = _check_format(to)
    _check_width(width)
    tunes = load_tunes(tune)
    if fmt == "html":
        return tunebook_html(tunes)[0]
    if fmt == "pdf":
        pages = [_render_one(t, "svg", width=None, svg=svg) for t, svg in zip(tunes, engrave_many([t.abc for t in tunes]))]
        return svgs_to_pdf(pages)  # type: ignore[arg-type]
    if len(tunes) != 1:
        raise RenderError(f"{len(tunes)} tunes given; {fmt} renders one tune (use render_tunes for a file of tunes)")
    return _render_one(tunes[0], fmt, width=width)


@dataclass
class RenderReport:
    """Files written by :func:`render_tunes` and the tunes that failed.

    Attributes
    ----------
    written : list of Path
    failures : list of (str, str)
        ``(tune label, message)``.
    tunes : int
        Tunes read from the input.
    """

    written: list[Path] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)
    tunes: int = 0

    def to_dict(self) -> dict:
        """JSON-ready form (``folkabc render --json``).

        Examples
        --------
        >>> RenderReport([Path("a.mid")], [("2 'Bad'", "no notes")], 2).to_dict()
        {'tunes': 2, 'written': ['a.mid'], 'failures': [{'tune': "2 'Bad'", 'message': 'no notes'}]}
        """
        return {"tunes": self.tunes, "written": [str(p) for p in self.written],
                "failures": [{"tune": label, "message": msg} for label, msg in self.failures]}


def render_tunes(source: Any, *, to: str, out: str | Path | None = None, stem: str = "tunes",
                 width: int | None = None, corpus: Any = None) -> RenderReport:
    """Render every tune of ``source`` to files; a failing tune does not stop the others.

    Parameters
    ----------
    source : str, list
        ABC text or a token file's text (any number of tunes), or token lists.
    to : {'svg', 'png', 'pdf', 'midi', 'musicxml', 'html'}
    out : path or None
        ``pdf``/``html``: the file (default ``<stem>.<ext>``), or a folder (one that exists, or
        a path ending in ``/``, created) to write ``<stem>.<ext>`` into. Other formats: with one tune
        and a path ending in the format's extension, that file; otherwise a directory
        (created) holding ``<index>-<title>.<ext>`` per tune (default: the current one).
    stem : str
        Default file name stem for ``pdf``/``html``.
    width : int or None
        PNG width in pixels.
    corpus : Corpus, path, None or False
        Novelty corpus for ``html`` (see :func:`tunebook_html`).

    Returns
    -------
    RenderReport

    Raises
    ------
    RenderError
        For an unknown format, a PNG width that is not positive, input with no tune, or an
        output that cannot be written.

    Examples
    --------
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> abc = "X:1\\nT:One\\nK:C\\nCDEF|\\n\\nX:2\\nT:Two\\nK:G\\nGABc|\\n"
    >>> [p.name for p in render_tunes(abc, to="midi", out=d).written]
    ['001-one.mid', '002-two.mid']
    """
    fmt = _check_format(to)
    _check_width(width)
    tunes = load_tunes(source)
    report = RenderReport(tunes=len(tunes))
    ext = FORMATS[fmt]
    if fmt in _WHOLE_BOOK:
        target = Path(out) if out is not None else Path(f"{stem}.{ext}")
        if target.is_dir() or str(out or "").endswith(("/", os.sep)):  # a folder, perhaps new: `-o book/`
            try:
                target.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise RenderError(f"cannot create the output folder: {exc.strerror or exc}",
                                  path=str(target)) from exc
            target = target / f"{stem}.{ext}"
        if fmt == "html":
            book = write_tunebook(tunes, target, title=stem, corpus=corpus)
            report.failures = book.failures
            report.written.append(target)
            return report
        pages = []
        for tune, svg in zip(tunes, engrave_many([t.abc for t in tunes])):
            if isinstance(svg, RenderError):
                report.failures.append((tune.label, svg.message))
            else:
                pages.append(svg)
        if pages:
            write_output(target, svgs_to_pdf(pages))
            report.written.append(target)
        return report
    if out is not None and len(tunes) == 1 and str(out).lower().endswith("." + ext):
        targets = [Path(out)]
    else:
        folder = Path(out) if out is not None else Path(".")
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RenderError(f"cannot create the output folder: {exc.strerror or exc}", path=str(folder)) from exc
        targets = [folder / output_name(t, ext) for t in tunes]
    engraved = engrave_many([t.abc for t in tunes]) if fmt in ("svg", "png") else [None] * len(tunes)
    for tune, target, svg in zip(tunes, targets, engraved):
        try:
            data = _render_one(tune, fmt, width=width, svg=svg)
        except RenderError as exc:
            report.failures.append((tune.label, exc.message))
            continue
        write_output(target, data)
        report.written.append(target)
    return report


class _CallableModule(type(sys.modules[__name__])):
    """``folkabc.render`` is this package once it is imported; calling it calls :func:`render`."""

    def __call__(self, tune: Any, *, to: str = "svg", width: int | None = None) -> str | bytes:
        return render(tune, to=to, width=width)


sys.modules[__name__].__class__ = _CallableModule
