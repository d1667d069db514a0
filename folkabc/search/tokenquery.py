"""Token queries: text whose every piece is shaped like a token, checked without the ABC reader.

:func:`folkabc.search.query.parse_query` reads any query; a query of tokens (``"G, C C 2"``)
needs only the vocabulary, so a one-shot search of one starts without importing the
tokenizer (:func:`token_query`). Both apply :func:`check_query_tokens`.

Examples
--------
>>> token_query("G, C C 2"), token_query("GAB cBA")
(['G,', 'C', 'C', '2'], None)
"""

from __future__ import annotations

from typing import Sequence

from ..errors import ParameterError, UnknownTokenError
from ..vocab import VOCAB, token_category

__all__ = ["token_query", "check_query_tokens", "is_token_shaped"]


def is_token_shaped(piece: str) -> bool:
    """Whether a query piece reads as a token (a vocabulary token or one of a token's shapes).

    Examples
    --------
    >>> is_token_shaped("G,"), is_token_shaped("GAB")
    (True, False)
    """
    return piece in VOCAB or token_category(piece) != "unknown"


def check_query_tokens(tokens: Sequence[str]) -> None:
    """Raise unless every token is in the vocabulary and none is a start/end marker.

    Raises
    ------
    UnknownTokenError
        A token outside the vocabulary, naming it and its 0-based position.
    ParameterError
        ``<s>`` or ``</s>``.

    Examples
    --------
    >>> check_query_tokens(["C", "D"])
    >>> check_query_tokens(["C", "</s>"])
    Traceback (most recent call last):
    ...
    folkabc.errors.ParameterError: query token 1 is '</s>': a figure cannot hold start/end markers
    """
    for pos, tok in enumerate(tokens):
        if tok not in VOCAB:
            raise UnknownTokenError(tok, position=pos)
        if tok in ("<s>", "</s>"):
            raise ParameterError(f"query token {pos} is {tok!r}: a figure cannot hold start/end markers")


def token_query(text: str) -> list[str] | None:
    """The checked tokens of a token query; None when ``text`` is to be read as ABC.

    Raises
    ------
    ParameterError
        An empty query, or a start/end marker.
    UnknownTokenError
        A token-shaped piece outside the vocabulary.

    Examples
    --------
    >>> token_query("G, C E C |")
    ['G,', 'C', 'E', 'C', '|']
    """
    pieces = text.split()
    if not pieces:
        raise ParameterError("empty query: give tokens (\"G, C C 2\") or ABC (\"G,CC2\")")
    if not all(is_token_shaped(p) for p in pieces):
        return None
    check_query_tokens(pieces)
    return pieces
