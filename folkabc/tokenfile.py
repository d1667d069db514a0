"""The folk-rnn token file: one reader and one sniffer for every command.

A token file holds one tune per block: a meter line, a mode line and body lines
(``M:4/4`` / ``K:Cmaj`` / ``C D E F |``), blocks separated by blank lines, as the
folk-rnn data sets are written; or one tune per line (``M:4/4 K:Cmaj C D E F |``),
as folk-rnn's sampler prints them. ``<s>`` and ``</s>`` (the model's start and end
tokens) may stand around a tune: they are dropped, and ``</s>`` ends the tune.

:func:`read_token_file` cuts the text into :class:`TokenBlock` records (tokens,
each token's line and column, the block's first line); :func:`is_token_file`
tells such a file from ABC. :func:`folkabc.tokens.read_folkrnn`, :func:`folkabc.check`,
the corpus sources, ``folkabc score``, ``novelty``, ``abc`` and ``render`` all read
token files through these two.

Examples
--------
>>> is_token_file("<s> M:4/4 K:Cmaj C D E F | </s>")
True
>>> [b.tokens for b in read_token_file("<s> M:4/4 K:Cmaj C D | </s>\\n<s> M:6/8 K:Cmin C 6 | </s>\\n")]
[['M:4/4', 'K:Cmaj', 'C', 'D', '|'], ['M:6/8', 'K:Cmin', 'C', '6', '|']]
"""

from __future__ import annotations

from . import _regex
from ._record import NamedTuple
from .grammar import token_info

__all__ = ["TokenBlock", "is_token_file", "read_token_file"]

_MARKS = ("<s>", "</s>")
_WORD = _regex.compile(r"\S+")


class TokenBlock(NamedTuple):
    """One tune of a token file: its tokens, each token's (line, column), its first line."""

    tokens: list[str]
    positions: list[tuple[int, int]]
    line: int


def _all_tokens(words: list[str]) -> bool:
    """True when most words have a token shape (``GABc|`` is ABC, ``G A B c |`` tokens)."""
    return not words or sum(token_info(w) is not None for w in words) >= 0.75 * len(words)


def _is_meter(word: str) -> bool:
    return word.startswith("M:") and len(word) > 2


def is_token_file(text: str) -> bool:
    """True when ``text`` is a folk-rnn token file (see the module docstring).

    A token file has no ``X:`` line, and its first tune opens with a meter token and a
    mode token (on their own lines, or as the first two tokens of a one-line tune),
    after an optional ``<s>``; its body words have token shapes.

    Examples
    --------
    >>> is_token_file("M:4/4\\nK:Cmaj\\n| C D E F |\\n"), is_token_file("X:1\\nM:4/4\\nK:C\\nCDEF|\\n")
    (True, False)
    >>> is_token_file("M:4/4\\nK:Cmaj\\nCDEF|\\n")  # ABC without X:
    False
    >>> is_token_file("<s>\\nM:6/8\\nK:Cmin\\nC 6 |\\n</s>\\n")
    True
    """
    lines = []
    for raw in text.splitlines():
        words = [w for w in raw.split() if w not in _MARKS]
        if not words:
            continue
        if words[0].startswith("X:"):
            return False
        lines.append(words)
        if len(lines) == 3:
            break
    if not lines or not _is_meter(lines[0][0]):
        return False
    first = lines[0]
    if len(first) > 1:
        return first[1].startswith("K:") and _all_tokens(first[2:12])
    return (len(lines) > 1 and lines[1][0].startswith("K:") and len(lines[1]) == 1
            and (len(lines) == 2 or _all_tokens(lines[2][:10])))


def read_token_file(text: str) -> list[TokenBlock]:
    """The tunes of a folk-rnn token file, with each token's (line, column).

    A tune ends at a blank line, at ``</s>``, at ``<s>``, or where a line opens with a
    meter token followed by a mode token (or alone on its line) after a body: a new tune
    written without a blank line before it.

    See Also
    --------
    is_token_file : tells a token file from ABC.
    folkabc.tokens.write_folkrnn : writes the block form.

    Examples
    --------
    >>> toks, pos, line = read_token_file("\\nM:3/4\\nK:Cdor\\nA B c |\\n")[0]
    >>> toks, pos[2], line
    (['M:3/4', 'K:Cdor', 'A', 'B', 'c', '|'], (4, 1), 2)
    >>> [b.tokens for b in read_token_file("M:4/4 K:Cmaj C D |\\nM:6/8 K:Cmin C 6 |\\n")]
    [['M:4/4', 'K:Cmaj', 'C', 'D', '|'], ['M:6/8', 'K:Cmin', 'C', '6', '|']]
    """
    out: list[TokenBlock] = []
    toks: list[str] = []
    pos: list[tuple[int, int]] = []
    start = 0

    def close() -> None:
        nonlocal toks, pos
        if toks:
            out.append(TokenBlock(toks, pos, start))
            toks, pos = [], []

    for ln, raw in enumerate(text.splitlines(), 1):
        words = [(m.group(), m.start() + 1) for m in _WORD.finditer(raw)]
        if not words:
            close()
            continue
        plain = [w for w, _ in words if w not in _MARKS]
        if (plain and len(toks) > 2 and _is_meter(plain[0]) and not toks[-1].startswith("M:")
                and (len(plain) == 1 or plain[1].startswith("K:"))):
            close()  # a new tune with no blank line before it
        for w, col in words:
            if w in _MARKS:
                close()
                continue
            if not toks:
                start = ln
            toks.append(w)
            pos.append((ln, col))
    close()
    return out
