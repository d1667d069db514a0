"""Query text → tokens, and the filters of a search (meter, mode, bar position).

A query is either tokens separated by spaces (``"G, C C 2"``: every piece
shaped like a token, see :func:`folkabc.vocab.token_category`) or plain ABC (``"G,CC2 G,CEC"``), which is read by
:func:`folkabc.tokens.tokenize` as the body of a synthetic tune
``X:1 / M:4/4 / L:1/8 / K:<key>``, so it is transposed to C like the corpus.

Examples
--------
>>> parse_query("G, C C 2")
['G,', 'C', 'C', '2']
>>> parse_meter("6/8"), parse_mode("dor")
('M:6/8', 'K:Cdor')
>>> parse_same_position("1:0"), parse_same_position("3")
((1, 0), (3, None))
"""

from __future__ import annotations

import re

from ..errors import ParameterError, UnknownTokenError
from ..tokens import tokenize
from ..vocab import VOCAB, meter_token, mode_token
from .mapped import MEASURE_TOKENS
from .tokenquery import check_query_tokens, token_query

__all__ = ["parse_query", "parse_meter", "parse_mode", "parse_same_position", "MEASURE_TOKENS"]

def parse_query(text: str, *, key: str = "C") -> list[str]:
    """Turn query text into vocabulary tokens.

    Parameters
    ----------
    text : str
        Tokens separated by spaces, or plain ABC notes.
    key : str
        The key the ABC is written in (``"G"``, ``"Ador"``, ...); ABC queries
        are transposed to C like every corpus tune. Ignored for token queries.

    Returns
    -------
    list of str
        Vocabulary tokens (no meter or mode unless the query gave them).

    Raises
    ------
    ParameterError
        An empty query.
    UnknownTokenError
        A token outside the vocabulary, naming it and its 0-based position.
    AbcSyntaxError
        ABC that cannot be read.

    Examples
    --------
    >>> parse_query("G, C E C |")
    ['G,', 'C', 'E', 'C', '|']
    """
    tokens = token_query(text)  # token-shaped pieces: a token query (outside the vocabulary is an error)
    if tokens is None:
        tokens = _abc_to_tokens(text, key=key)
        check_query_tokens(tokens)
    return tokens


def _abc_to_tokens(text: str, *, key: str) -> list[str]:
    """Read ``text`` as the body of a tune in ``key``; return its body tokens."""
    if "\n" in text.strip() or re.search(r"(^|\s)[A-Za-z]:", text):
        raise ParameterError(f"query {text!r}: give notes only (no header fields or line breaks)")
    abc = f"X:1\nM:4/4\nL:1/8\nK:{key}\n{text.strip()}\n"
    tunes = tokenize(abc)
    if not tunes:
        raise ParameterError(f"query {text!r} holds no notes")
    tune = tunes[0]
    if tune.error is not None:  # point into the query, not into the synthetic tune around it
        err = tune.error
        if isinstance(err, UnknownTokenError):
            raise err
        raise type(err)(f"query {text.strip()!r}: {err.message}", column=err.column) from err
    body = list(tune.body)
    wrote_bar = re.search(r"[|:]\s*$|\|[\]12]\s*$", text) is not None
    if body and body[-1] in MEASURE_TOKENS and not wrote_bar:
        body = body[:-1]
    if not body:
        raise ParameterError(f"query {text!r} holds no notes")
    return body


def parse_meter(value: str | None) -> str | None:
    """A meter filter (``"6/8"``, ``"M:6/8"``, ``"C"``, ``"C|"``) → its vocabulary token.

    Raises
    ------
    ParameterError
        A meter with no vocabulary token (names the value and the choices).

    Examples
    --------
    >>> parse_meter("C"), parse_meter("M:9/8"), parse_meter(None)
    ('M:4/4', 'M:9/8', None)
    """
    if value is None:
        return None
    tok = meter_token(value)
    if tok not in VOCAB:
        choices = ", ".join(t[2:] for t in VOCAB.tokens if t.startswith("M:"))
        raise ParameterError(f"meter {value!r} is not in the corpus vocabulary (choose from {choices})")
    return tok


def parse_mode(value: str | None) -> str | None:
    """A mode filter (``"dor"``, ``"Cdor"``, ``"K:Cdor"``, ``"minor"``) → its vocabulary token.

    Raises
    ------
    ParameterError
        A mode other than major, minor, dorian or mixolydian.

    Examples
    --------
    >>> parse_mode("minor"), parse_mode("K:Cmix")
    ('K:Cmin', 'K:Cmix')
    """
    return None if value is None else mode_token(value)


def parse_same_position(value: str | None) -> tuple[int, int | None] | None:
    """``"BAR"`` or ``"BAR:OFFSET"`` → ``(bar, offset or None)``.

    Raises
    ------
    ParameterError
        Anything other than one or two non-negative integers.

    Examples
    --------
    >>> parse_same_position("0:2")
    (0, 2)
    """
    if value is None:
        return None
    m = re.fullmatch(r"\s*(\d+)\s*(?::\s*(\d+)\s*)?", str(value))
    if not m:
        raise ParameterError(f"same-position {value!r}: write BAR or BAR:OFFSET, e.g. 1 or 1:0")
    return int(m.group(1)), (int(m.group(2)) if m.group(2) is not None else None)
