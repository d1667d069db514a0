"""MusicXML through music21's ABC reader."""

from __future__ import annotations

from ..errors import RenderError
from .notation import check_abc_size

__all__ = ["abc_to_musicxml"]


def abc_to_musicxml(abc: str) -> str:
    """Convert one ABC tune to a MusicXML (partwise) document with music21.

    Parameters
    ----------
    abc : str
        One ABC tune.

    Returns
    -------
    str
        The MusicXML text (``<score-partwise>``), notes as written (repeats not played out).

    Raises
    ------
    RenderError
        When music21 cannot read the ABC or finds no notes in it.

    Examples
    --------
    >>> xml = abc_to_musicxml("X:1\\nT:Scale\\nM:4/4\\nL:1/4\\nK:C\\nCDEF|\\n")
    >>> "<score-partwise" in xml, xml.count("<note")
    (True, 4)
    """
    from music21 import converter
    from music21.musicxml.m21ToXml import GeneralObjectExporter

    if "K:" not in abc:
        raise RenderError("not an ABC tune: no K: field")
    check_abc_size(abc)
    try:
        score = converter.parse(abc, format="abc", forceSource=True)
    except Exception as exc:  # music21 raises many unrelated classes on bad ABC
        raise RenderError(f"music21 could not read the ABC: {exc}") from exc
    if not score.recurse().notes:
        raise RenderError("music21 found no notes in the ABC")
    try:
        data = GeneralObjectExporter(score).parse()
    except Exception as exc:  # noqa: BLE001 - exporter failures of any kind
        raise RenderError(f"music21 could not write MusicXML: {exc}") from exc
    return data.decode("utf-8")
