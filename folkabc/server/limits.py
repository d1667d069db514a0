"""Request limits of ``folkabc serve``, read from folkabc's one table of limits.

Every size a request may reach is a row of :data:`folkabc.limits.LIMITS` (``max_request_…``,
``max_tunebook_tunes``, ``max_model_threads``), set by its environment variable like any other
limit. What is the server's alone, and no size, is written here: the allowed temperature range
and the largest seed. :data:`LIMITS` gathers both as the server checks them, and
``GET /api/info`` reports them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ..limits import limit

__all__ = ["RequestLimits", "LIMITS"]


def _row(name: str):
    return field(default_factory=lambda: limit(name))


@dataclass(frozen=True)
class RequestLimits:
    """The most any one request may ask for (sizes from :data:`folkabc.limits.LIMITS`, read when made).

    Attributes
    ----------
    body_bytes : int
        Request body size (``max_request_bytes``).
    abc_chars : int
        ABC text in one request (``max_request_abc_chars``).
    tunes_per_request : int
        ``n`` of a generate request (``max_request_tunes``).
    max_tokens : int
        Tokens one generated tune may reach (``max_request_tokens``).
    prime_tokens : int
        Prime tokens given to the model (``max_request_prime_tokens``).
    temperature : (float, float)
        Allowed sampling temperatures, inclusive (the server's own).
    seed_max : int
        Largest seed (seeds are 0..seed_max; the server's own).
    query_tokens : int
        Tokens of a corpus figure query (``max_request_query_tokens``).
    query_chars : int
        Characters of a search text (``max_request_query_chars``).
    search_results : int
        Matches or tunes one search returns (``max_request_results``).
    notes_chars, title_chars : int
        A tunebook entry's notes and title (``max_request_notes_chars``, ``max_request_title_chars``).
    tunebook_tunes : int
        Tunes the local tunebook holds (``max_tunebook_tunes``).
    model_threads : int
        Model requests run at once (``max_model_threads``).

    Examples
    --------
    >>> LIMITS.tunes_per_request, LIMITS.temperature
    (8, (0.05, 5.0))
    """

    body_bytes: int = _row("max_request_bytes")
    abc_chars: int = _row("max_request_abc_chars")
    tunes_per_request: int = _row("max_request_tunes")
    max_tokens: int = _row("max_request_tokens")
    prime_tokens: int = _row("max_request_prime_tokens")
    temperature: tuple[float, float] = (0.05, 5.0)
    seed_max: int = 2**32 - 1
    query_tokens: int = _row("max_request_query_tokens")
    query_chars: int = _row("max_request_query_chars")
    search_results: int = _row("max_request_results")
    notes_chars: int = _row("max_request_notes_chars")
    title_chars: int = _row("max_request_title_chars")
    tunebook_tunes: int = _row("max_tunebook_tunes")
    model_threads: int = _row("max_model_threads")

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


#: The limits the server applies (the table's values, and its environment, when folkabc.server is imported).
LIMITS = RequestLimits()
