"""Engraved notation with verovio: SVG sized to the tune, PNG through cairosvg, PDF of many tunes.

verovio reads the ABC directly and keeps its line breaks (one system per line of music);
the page is as wide as :data:`PAGE_WIDTH` and as tall as the music. PNG and PDF rasterise or
vectorise that SVG with cairosvg (verovio draws every glyph as an SVG path, so no music font
is needed).
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

from ..errors import RenderError
from ..limits import check_limit, limit

__all__ = ["check_abc_size", "abc_to_svg", "engrave_many", "svg_to_png", "svgs_to_pdf", "count_systems", "PAGE_WIDTH", "SCALE"]

#: verovio page width (tenths of a millimetre at scale 100): a little wider than A4 text width.
PAGE_WIDTH = 2100
#: verovio zoom, in percent.
SCALE = 40

_SVG_NS = "{http://www.w3.org/2000/svg}"


_FIELD_LINE = re.compile(r"^[A-Za-z+]:")
_NOTE_NUMBER = re.compile(r"[A-Ga-gzxZX][,']*(\d+)|/(\d+)")
_METER = re.compile(r"M:\s*(\d+)\s*/\s*(\d+)")
_COMMENT = re.compile(r"%.*")
_QUOTED = re.compile(r'"[^"\n]*"|![^!\n]*!')


def check_abc_size(abc: str) -> None:
    """Refuse an ABC tune whose size alone would make rendering slow or huge, before any work.

    Checked (each a row of :mod:`folkabc.limits`): the tune's bytes (``max_tune_bytes``), the
    longest number in it (``max_digits``), note lengths and meters (``max_note_length``: an
    ``A99999999999`` or ``M:999999/1`` makes verovio and music21 work for minutes) and open
    slurs and brackets (``max_nesting``). A linear scan of the text; it reads no music.

    Raises
    ------
    RenderError
        One line naming the limit and its environment variable.

    Examples
    --------
    >>> check_abc_size("X:1\\nM:6/8\\nK:D\\nA3 (AB) c/2|\\n")
    >>> check_abc_size("X:1\\nM:999999/1\\nK:D\\nA|\\n")
    Traceback (most recent call last):
    ...
    folkabc.errors.RenderError: M:999999/1: 999999 units is over the limit max_note_length = 4096 (a note length's factor (A64, A/64) or a meter's terms (M:64/1)); raise it with FOLKABC_MAX_NOTE_LENGTH=N
    """
    check_limit("max_tune_bytes", len(abc.encode("utf-8", "replace")), where="tune text", error=RenderError)
    digits = limit("max_digits")
    long_number = re.search(r"\d{%d,}" % (digits + 1), abc)
    if long_number:  # measured without int(): 5,000 digits would be refused by int() anyway, slowly
        run = re.match(r"\d+", abc[long_number.start():]).group()
        check_limit("max_digits", len(run), where="a number", error=RenderError)
    top = limit("max_note_length")
    for m in _METER.finditer(abc):
        for g in m.groups():
            check_limit("max_note_length", int(g), where=m.group().replace(" ", ""), error=RenderError)
    depth = deepest = 0
    nesting = limit("max_nesting")
    for line in abc.splitlines():
        if _FIELD_LINE.match(line):
            continue
        body = _QUOTED.sub("", _COMMENT.sub("", line))
        for m in _NOTE_NUMBER.finditer(body):
            value = int(m.group(1) or m.group(2))
            if value > top:
                check_limit("max_note_length", value, where=m.group(), error=RenderError)
        for i, ch in enumerate(body):
            if ch in "([{":
                if ch == "(" and body[i + 1:i + 2].isdigit():  # a tuplet (3 opens nothing to close
                    continue
                depth += 1
                if depth > deepest:
                    deepest = depth
                    if deepest > nesting:
                        check_limit("max_nesting", deepest, where="open slurs and brackets", error=RenderError)
            elif ch in ")]}" and depth:
                depth -= 1


def _engrave(abc: str, width: int, scale: int, header: bool) -> str:
    """Run verovio on one tune (called in a child process: verovio can crash on odd ABC)."""
    from importlib import resources

    import verovio

    # verovio keeps its resource (font) path per thread, set only in the thread that imported it; the
    # engraver may run in a process forked from any thread (the server's worker threads), so set it here.
    verovio.setDefaultResourcePath(str(resources.files("verovio") / "data"))
    verovio.enableLog(verovio.LOG_OFF)
    tk = verovio.toolkit()
    tk.setOptions({
        "inputFrom": "abc",
        "pageWidth": int(width),
        "pageHeight": 60000,
        "adjustPageHeight": True,
        "scale": int(scale),
        "breaks": "encoded",
        "footer": "none",
        "header": "auto" if header else "none",
        "svgViewBox": False,
    })
    if not tk.loadData(abc):
        raise RenderError("verovio could not read the ABC")
    _add_endings(tk, abc)
    if tk.getPageCount() < 1:
        raise RenderError("verovio found no music in the ABC")
    svg = tk.renderToSVG(1)
    if count_systems(svg) == 0:
        raise RenderError("verovio engraved no staff from the ABC")
    return svg


_MEI = "{http://www.music-encoding.org/ns/mei}"


def _add_endings(tk, abc: str) -> bool:
    """Give verovio's score the first/second-ending brackets its ABC reader leaves out.

    The bars of each ending (from :func:`folkabc.render.perform.measure_endings`) are wrapped
    in MEI ``<ending>`` elements and the score is reloaded. Nothing changes when the bar
    counts of folkabc and verovio differ. Returns whether endings were added.
    """
    from .perform import measure_endings

    try:
        labels = measure_endings(abc)
    except RenderError:
        return False
    if not any(labels):
        return False
    root = ET.fromstring(tk.getMEI())
    sections = list(root.iter(f"{_MEI}section"))
    if len(sections) != 1:
        return False
    section = sections[0]
    measures = [c for c in section if c.tag == f"{_MEI}measure"]
    if len(measures) != len(labels):
        return False
    children, group, current, k = [], None, None, 0
    for child in list(section):
        if child.tag == f"{_MEI}measure":
            label, k = labels[k], k + 1
            if label is None:
                group = current = None
                children.append(child)
                continue
            if group is None or label != current:
                group = ET.Element(f"{_MEI}ending", {"n": label.split(",")[0], "label": label})
                children.append(group)
                current = label
            group.append(child)
        elif group is not None and k < len(labels) and labels[k] == current:
            group.append(child)  # a line break inside an ending
        else:
            group = current = None
            children.append(child)
    for child in list(section):
        section.remove(child)
    section.extend(children)
    ET.register_namespace("", _MEI[1:-1])
    tk.setOptions({"inputFrom": "mei"})
    return bool(tk.loadData(ET.tostring(root, encoding="unicode")))


def _serve(conn, width: int, scale: int, header: bool) -> None:
    """Worker loop: engrave each ABC text received until ``None`` arrives."""
    import faulthandler
    import os

    faulthandler.disable()  # a crash is reported as a RenderError, not a dump
    try:  # verovio's C++ noise ("terminate called after …") must not reach the user's stderr
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    except OSError:  # pragma: no cover
        pass
    while True:
        abc = conn.recv()
        if abc is None:
            return
        try:
            conn.send((True, _engrave(abc, width, scale, header)))
        except RenderError as exc:
            conn.send((False, exc.message))
        except Exception as exc:  # noqa: BLE001 - any other failure fails this tune, not the worker
            conn.send((False, f"cannot engrave the tune: {exc}"))


class _Worker:
    """One verovio process, restarted after a crash or a timeout."""

    def __init__(self, width: int, scale: int, header: bool) -> None:
        import multiprocessing

        try:
            self.ctx = multiprocessing.get_context("fork")  # cheap: the worker inherits verovio
        except ValueError:  # pragma: no cover - platforms without fork
            self.ctx = multiprocessing.get_context()
        self.args = (width, scale, header)
        self.proc = None
        self.conn = None

    def engrave(self, abc: str, timeout: float) -> str | RenderError:
        if self.proc is None:
            parent, child = self.ctx.Pipe()
            self.proc = self.ctx.Process(target=_serve, args=(child, *self.args), daemon=True)
            self.proc.start()
            child.close()
            self.conn = parent
        self.conn.send(abc)
        if not self.conn.poll(timeout):
            self.stop(kill=True)
            return RenderError(f"verovio took more than {timeout:g} s on this tune")
        try:
            ok, value = self.conn.recv()
        except EOFError:  # the worker died: verovio crashed
            self.stop(kill=True)
            return RenderError("verovio crashed on this tune")
        return value if ok else RenderError(value)

    def stop(self, *, kill: bool = False) -> None:
        if self.proc is None:
            return
        if kill:
            self.proc.kill()
        else:
            try:
                self.conn.send(None)
            except OSError:  # pragma: no cover - already gone
                pass
        self.proc.join(timeout=10)
        self.conn.close()
        self.proc = self.conn = None


def engrave_many(abcs: list[str], *, width: int = PAGE_WIDTH, scale: int = SCALE,
                 header: bool = True, timeout: float = 120.0) -> list[str | RenderError]:
    """Engrave several tunes in a worker process, so a tune that crashes verovio fails alone.

    Parameters
    ----------
    abcs : list of str
        One ABC tune per item.
    width, scale, header
        As in :func:`abc_to_svg`.
    timeout : float > 0
        Seconds allowed per tune before its worker is stopped.

    Returns
    -------
    list of str or RenderError
        The SVG of each tune, or the error that stopped it (verovio's crash included).

    Examples
    --------
    >>> out = engrave_many(["X:1\\nT:A\\nK:G\\nGABc|\\n", "X:2\\nT:B\\nK:G\\nA]\\n"])
    >>> out[0].startswith("<svg"), str(out[1])
    (True, 'verovio crashed on this tune')
    """
    import verovio  # noqa: F401 - imported once here, inherited by the forked worker

    if width <= 0:
        raise RenderError(f"width must be positive, not {width}")
    if not 10 <= scale <= 200:
        raise RenderError(f"scale must be in 10..200, not {scale}")
    if timeout <= 0:
        raise RenderError(f"timeout must be positive, not {timeout}")
    worker = _Worker(int(width), int(scale), bool(header))
    results: list[str | RenderError] = []
    try:
        for abc in abcs:
            if "K:" not in abc:
                results.append(RenderError("not an ABC tune: no K: field"))
                continue
            try:
                check_abc_size(abc)
            except RenderError as exc:
                results.append(exc)
                continue
            results.append(worker.engrave(abc, timeout))
    finally:
        worker.stop()
    return results


def abc_to_svg(abc: str, *, width: int = PAGE_WIDTH, scale: int = SCALE, header: bool = True) -> str:
    """Engrave one ABC tune as an SVG document sized to the music.

    Parameters
    ----------
    abc : str
        One ABC tune (header and body).
    width : int > 0
        Page width in verovio units (tenths of a millimetre at scale 100).
    scale : int, 10..200
        Zoom in percent.
    header : bool
        Engrave the title (and composer) above the music.

    Returns
    -------
    str
        The SVG text: one ``<g class="system">`` per line of music of the ABC.

    Raises
    ------
    RenderError
        When verovio cannot read the ABC, holds no music, or crashes on it.

    See Also
    --------
    engrave_many : several tunes, each failure kept apart.

    Examples
    --------
    >>> svg = abc_to_svg("X:1\\nT:Two lines\\nM:2/4\\nL:1/8\\nK:G\\nGABc|d2B2|\\nc2A2|G4|]\\n")
    >>> svg.startswith("<svg"), count_systems(svg)
    (True, 2)
    """
    result = engrave_many([abc], width=width, scale=scale, header=header)[0]
    if isinstance(result, RenderError):
        raise result
    return result


def count_systems(svg: str) -> int:
    """Number of systems (lines of music holding at least one staff) in a verovio SVG.

    Examples
    --------
    >>> count_systems('<svg xmlns="http://www.w3.org/2000/svg"><g class="system">'
    ...               '<g class="staff"/></g><g class="system"/></svg>')
    1
    """
    try:
        root = ET.fromstring(svg)
    except ET.ParseError as exc:
        raise RenderError(f"not valid SVG: {exc}") from exc
    n = 0
    for g in root.iter(f"{_SVG_NS}g"):
        if g.get("class") == "system" and any(
            s.get("class") == "staff" for s in g.iter(f"{_SVG_NS}g")
        ):
            n += 1
    return n


def _size(svg: str) -> tuple[float, float]:
    m = re.search(r'<svg[^>]*?width="([\d.]+)px"[^>]*?height="([\d.]+)px"', svg)
    if not m:
        raise RenderError("SVG without a pixel size")
    return float(m.group(1)), float(m.group(2))


def svg_to_png(svg: str, *, width: int | None = None) -> bytes:
    """Rasterise an SVG on a white background.

    Parameters
    ----------
    svg : str
        An SVG document (e.g. from :func:`abc_to_svg`).
    width : int > 0 or None
        Width of the image in pixels; None keeps the SVG's own size. Height follows.

    Returns
    -------
    bytes
        A PNG image.

    Examples
    --------
    >>> png = svg_to_png('<svg xmlns="http://www.w3.org/2000/svg" width="20px" height="10px"/>')
    >>> png[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True
    """
    import cairosvg

    if width is not None and width <= 0:
        raise RenderError(f"width must be positive, not {width}")
    try:
        return cairosvg.svg2png(bytestring=svg.encode("utf-8"), output_width=width, background_color="white")
    except Exception as exc:  # noqa: BLE001 - cairosvg raises many kinds
        raise RenderError(f"cannot rasterise the SVG: {exc}") from exc


def svgs_to_pdf(svgs: list[str]) -> bytes:
    """One PDF with a page per SVG, each page sized to its SVG.

    Examples
    --------
    >>> pdf = svgs_to_pdf(['<svg xmlns="http://www.w3.org/2000/svg" width="20px" height="10px"/>'] * 2)
    >>> pdf[:5], len(re.findall(rb"/Type\\s*/Page\\b(?!s)", pdf))
    (b'%PDF-', 2)
    """
    import cairocffi
    import cairosvg.parser
    import cairosvg.surface

    if not svgs:
        raise RenderError("nothing to put in the PDF")
    out = io.BytesIO()
    pdf = cairocffi.PDFSurface(out, 1, 1)

    class _Page(cairosvg.surface.PDFSurface):
        def _create_surface(self, width, height):
            pdf.set_size(width, height)
            return pdf, width, height

    for k, svg in enumerate(svgs):
        if k:
            pdf.show_page()
        try:
            tree = cairosvg.parser.Tree(bytestring=svg.encode("utf-8"))
            _Page(tree, None, 96, background_color="white")
        except (ValueError, ET.ParseError) as exc:
            raise RenderError(f"cannot draw page {k + 1} of the PDF: {exc}") from exc
    pdf.finish()
    return out.getvalue()
