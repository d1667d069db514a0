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

__all__ = ["abc_to_svg", "svg_to_png", "svgs_to_pdf", "count_systems", "PAGE_WIDTH", "SCALE"]

#: verovio page width (tenths of a millimetre at scale 100): a little wider than A4 text width.
PAGE_WIDTH = 2100
#: verovio zoom, in percent.
SCALE = 40

_SVG_NS = "{http://www.w3.org/2000/svg}"


def _toolkit():
    import verovio

    verovio.enableLog(verovio.LOG_OFF)
    tk = verovio.toolkit()
    return tk


def abc_to_svg(abc: str, *, width: int = PAGE_WIDTH, scale: int = SCALE) -> str:
    """Engrave one ABC tune as an SVG document sized to the music.

    Parameters
    ----------
    abc : str
        One ABC tune (header and body).
    width : int > 0
        Page width in verovio units (tenths of a millimetre at scale 100).
    scale : int, 10..200
        Zoom in percent.

    Returns
    -------
    str
        The SVG text: one ``<g class="system">`` per line of music of the ABC.

    Raises
    ------
    RenderError
        When verovio cannot read the ABC or it holds no music.

    Examples
    --------
    >>> svg = abc_to_svg("X:1\\nT:Two lines\\nM:2/4\\nL:1/8\\nK:G\\nGABc|d2B2|\\nc2A2|G4|]\\n")
    >>> svg.startswith("<svg"), count_systems(svg)
    (True, 2)
    """
    if width <= 0:
        raise RenderError(f"width must be positive, not {width}")
    if not 10 <= scale <= 200:
        raise RenderError(f"scale must be in 10..200, not {scale}")
    if "K:" not in abc:
        raise RenderError("not an ABC tune: no K: field")
    tk = _toolkit()
    tk.setOptions({
        "inputFrom": "abc",
        "pageWidth": int(width),
        "pageHeight": 60000,
        "adjustPageHeight": True,
        "scale": int(scale),
        "breaks": "encoded",
        "footer": "none",
        "header": "auto",
        "svgViewBox": False,
    })
    if not tk.loadData(abc):
        raise RenderError("verovio could not read the ABC")
    pages = tk.getPageCount()
    if pages < 1:
        raise RenderError("verovio found no music in the ABC")
    if pages > 1:  # pragma: no cover - a page 6 m tall
        raise RenderError("the tune is too long for one page")
    svg = tk.renderToSVG(1)
    if count_systems(svg) == 0:
        raise RenderError("verovio engraved no staff from the ABC")
    return svg


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
    except (ValueError, ET.ParseError, Exception) as exc:  # cairosvg raises many kinds
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
