"""The records of a figure search, :class:`Match` and :class:`SearchResult` (no numpy needed to make or print them).

Examples
--------
>>> m = Match(7, 6, 4, 1, 0, "The Kesh", "oneills1850", ["G", "A", "|"])
>>> SearchResult(["G", "A"], 1, 1, [m]).to_dict()["matches"][0]["bar_tokens"]
'G A |'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, NamedTuple, Sequence

from ..vocab import VOCAB

__all__ = ["Match", "SearchResult", "Place", "list_matches"]


class Place(NamedTuple):
    """Where a listed match lies (:func:`folkabc.search.mapped.places`); :class:`Match` names the fields.

    Examples
    --------
    >>> Place(0, 4, 1, 0, 0.0, [10, 11]).bar
    1
    """

    row: int
    position: int
    bar: int
    offset: int
    onset: float
    bar_ids: list[int]


@dataclass
class Match:
    """One occurrence of a figure.

    Attributes
    ----------
    tune_id : int
        The corpus tune id (the row when the index has no corpus).
    row : int
        Row of the tune in the index.
    position : int
        Token offset of the match in the tune (0 = its meter token).
    bar : int
        Bar number where the figure starts (pickup = bar 0).
    offset : int
        Tokens from the bar's first token to the figure's first note.
    title, source : str or None
    bar_tokens : list of str
        The bar the figure starts in, with its closing bar line.
    onset : float or None
        Time from the bar's start to the figure's first token, in units of
        L:1/8 (tuplets approximated as in :mod:`folkabc.search.bars`).
    """

    tune_id: int
    row: int
    position: int
    bar: int
    offset: int
    title: str | None = None
    source: str | None = None
    bar_tokens: list[str] = field(default_factory=list)
    onset: float | None = None

    def to_dict(self) -> dict:
        """JSON form (``tune_id``, ``title``, ``source``, ``bar``, ``offset``, ``position``, ``bar_tokens``).

        Examples
        --------
        >>> Match(7, 6, 4, 1, 0, "The Kesh", "oneills1850", ["G", "A", "|"]).to_dict()["bar_tokens"]
        'G A |'
        """
        return {"tune_id": self.tune_id, "title": self.title, "source": self.source, "bar": self.bar,
                "offset": self.offset, "onset": self.onset, "position": self.position,
                "bar_tokens": " ".join(self.bar_tokens)}


@dataclass
class SearchResult:
    """Counts and matches of one figure query.

    Attributes
    ----------
    query_tokens : list of str
    tunes : int
        Tunes that contain the figure (after the filters).
    occurrences : int
        Occurrences (after the filters).
    matches : list of Match
        In corpus order, at most ``limit`` of them.
    approx : bool
        True when ``limit`` cut ``matches`` short (the counts stay exact). The
        listed matches are then a sample, not the first ``limit`` in the corpus:
        the first ``limit`` occurrences in suffix-array order (ordered by the
        tokens that follow the figure, ties in a fixed order), which costs
        O(limit · log N) to find however many occurrences there are.
    limit : int or None
    """

    query_tokens: list[str]
    tunes: int
    occurrences: int
    matches: list[Match]
    approx: bool = False
    limit: int | None = None

    def to_dict(self) -> dict:
        """JSON form: ``query_tokens``, ``tunes``, ``occurrences``, ``approx``, ``limit``, ``matches``.

        Examples
        --------
        >>> SearchResult(["C", "D"], 0, 0, []).to_dict()
        {'query_tokens': ['C', 'D'], 'tunes': 0, 'occurrences': 0, 'approx': False, 'limit': None, 'matches': []}
        """
        return {"query_tokens": list(self.query_tokens), "tunes": self.tunes,
                "occurrences": self.occurrences, "approx": self.approx, "limit": self.limit,
                "matches": [m.to_dict() for m in self.matches]}


def list_matches(found: Sequence[Place], *, tune_ids: Sequence[int] | None = None,
                 describe: Callable[[int], tuple[str | None, str | None]] | None = None) -> list[Match]:
    """:class:`Match` records of the listed matches' places (:func:`folkabc.search.mapped.places`).

    Parameters
    ----------
    found : sequence of Place
    tune_ids : sequence of int or None
        Corpus tune id of each row (default: the row).
    describe : callable or None
        ``row -> (title, source)``.

    Examples
    --------
    >>> p = Place(0, 4, 1, 0, 0.0, VOCAB.encode(["G", "A", "|"]).tolist())
    >>> list_matches([p], tune_ids=[7])[0].bar_tokens
    ['G', 'A', '|']
    """
    out = []
    for p in found:
        title, source = describe(p.row) if describe is not None else (None, None)
        out.append(Match(tune_id=int(tune_ids[p.row]) if tune_ids is not None else p.row, row=p.row,
                         position=p.position, bar=p.bar, offset=p.offset, title=title, source=source,
                         bar_tokens=VOCAB.decode(p.bar_ids), onset=p.onset))
    return out
