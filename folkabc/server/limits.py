"""Request limits of ``folkabc serve``: one table, checked before any work is done.

To be folded into ``folkabc.limits`` (the project's one table of limits) when that module
lands; until then this is the only place the server's limits are written down, and
``docs/serve.md`` and ``GET /api/info`` report them from here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

__all__ = ["RequestLimits", "LIMITS"]


@dataclass(frozen=True)
class RequestLimits:
    """The most any one request may ask for.

    Attributes
    ----------
    body_bytes : int
        Request body size.
    abc_chars : int
        ABC text in one request (editor text, a saved tune).
    tunes_per_request : int
        ``n`` of a generate request.
    max_tokens : int
        Tokens one generated tune may reach (``max_length``).
    prime_tokens : int
        Prime tokens given to the model.
    temperature : (float, float)
        Allowed sampling temperatures, inclusive.
    seed_max : int
        Largest seed (seeds are 0..seed_max).
    query_tokens : int
        Tokens of a corpus figure query.
    query_chars : int
        Characters of a search text (figure or title).
    search_results : int
        Matches or tunes one search returns.
    notes_chars, title_chars : int
        A tunebook entry's notes and title.
    tunebook_tunes : int
        Tunes the local tunebook holds.
    model_threads : int
        Model requests run at once (the rest wait their turn).

    Examples
    --------
    >>> LIMITS.tunes_per_request, LIMITS.temperature
    (8, (0.05, 5.0))
    """

    body_bytes: int = 256 * 1024
    abc_chars: int = 64 * 1024
    tunes_per_request: int = 8
    max_tokens: int = 1000
    prime_tokens: int = 200
    temperature: tuple[float, float] = (0.05, 5.0)
    seed_max: int = 2**32 - 1
    query_tokens: int = 64
    query_chars: int = 400
    search_results: int = 100
    notes_chars: int = 10_000
    title_chars: int = 200
    tunebook_tunes: int = 10_000
    model_threads: int = 2

    def to_dict(self) -> dict:
        """JSON form (``GET /api/info``).

        Examples
        --------
        >>> LIMITS.to_dict()["body_bytes"]
        262144
        """
        d = asdict(self)
        d["temperature"] = list(self.temperature)
        return d


#: The limits the server applies.
LIMITS = RequestLimits()
