"""Where a tune's sections end in its source: bar lines written ``||``, ``|]`` or ``[|``.

folk-rnn tokens write those bar lines as a plain ``|``; the source text, with each token's
position, still tells them apart. The tokenizer no longer uses this: it reads part ends from the
reader's :class:`~folkabc.abc.events.Bar` kinds into ``TokenizedTune.part_ends``. It is kept only for
:mod:`folkabc.validate` (``validate/_bars.py`` re-exports it) until the checker asks
``TokenizedTune.part_ends``; then this module goes.
"""

from __future__ import annotations

from typing import Sequence

__all__ = ["section_ends"]


def section_ends(tokens: Sequence[str], positions: Sequence[tuple[int, int]], lines: Sequence[str],
                 *, first_line: int = 1) -> set[int]:
    """Indices of bar-line tokens written ``||``, ``|]`` or ``[|`` in the source ``lines``.

    ``lines[0]`` is line ``first_line`` of the text the positions count in.

    Examples
    --------
    >>> sorted(section_ends(["M:4/4", "c", "|", "d", "|"], [(1, 1), (2, 1), (2, 2), (2, 5), (2, 6)],
    ...                     ["M:4/4", "c|| d|]"]))
    [2, 4]
    """
    out = set()
    for i, tok in enumerate(tokens):
        if "|" not in tok:
            continue
        ln, col = positions[i]
        ln -= first_line
        if not 0 <= ln < len(lines) or col < 1:
            continue
        text = lines[ln]
        j = col - 1
        k = j
        while k < len(text) and text[k] in "|:[]":
            k += 1
        run = text[j:k]
        if "||" in run or "|]" in run or "[|" in run:
            out.add(i)
    return out
