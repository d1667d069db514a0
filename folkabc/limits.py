"""folkabc's size limits, in one table.

Every bound folkabc puts on its input or its arguments (tune length, digits in a number,
nesting, generated tokens, beam width, batch size, file and array sizes…) is one row of
:data:`LIMITS`. Code asks this module for a limit (:func:`limit`) or checks a value
against it (:func:`check_limit`) *before* it allocates memory or starts the work the value
measures; a value over the limit becomes one :class:`~folkabc.errors.LimitError` line naming
the limit, the value and how to raise it.

Every limit can be raised (or lowered) with its environment variable, ``FOLKABC_`` + the
limit's name in capitals, e.g. ``FOLKABC_MAX_TOKENS=500000``; some also have a command-line
option. ``docs/limits.md`` is generated from this table (:func:`limits_markdown`; a test
keeps the two equal).

Examples
--------
>>> LIMITS["max_beam"].env
'FOLKABC_MAX_BEAM'
>>> check_limit("max_beam", 8)
>>> check_limit("max_beam", 100000, where="--beam")
Traceback (most recent call last):
...
folkabc.errors.LimitError: --beam: 100000 beams is over the limit max_beam = 256 (beam width); raise it with FOLKABC_MAX_BEAM=N
"""

from __future__ import annotations

import os
from types import MappingProxyType

from ._record import NamedTuple
from .errors import FolkabcError, LimitError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from typing import Mapping

__all__ = ["Limit", "LIMITS", "limit", "check_limit", "limits_markdown"]


class Limit(NamedTuple):
    """One row of the limits table.

    Attributes
    ----------
    name : str
        The limit's name (``max_…``), as code asks for it.
    default : int
        Its value unless the environment variable sets another.
    bounds : str
        What it bounds, in words.
    unit : str
        The unit of the value (``tokens``, ``bytes``…).
    option : str or None
        The command-line option that sets the bounded value itself, if any.
    owner : str
        The module that enforces it.
    """

    name: str
    default: int
    bounds: str
    unit: str
    option: str | None
    owner: str

    @property
    def env(self) -> str:
        """The environment variable that overrides the default (``FOLKABC_`` + NAME)."""
        return "FOLKABC_" + self.name.upper()


_MiB = 1 << 20

_TABLE = (
    # --- ABC text and tokens (enforced by the reader, tokenizer and normaliser)
    Limit("max_tokens", 50_000, "tokens in one tune (tokenize, check, score, render)", "tokens", None,
          "folkabc.tokens, folkabc.cli.score, folkabc.render"),
    Limit("max_bars", 10_000, "bars in one tune", "bars", None, "folkabc.abc, folkabc.validate"),
    Limit("max_rest_bars", 1_000, "bars of one multi-bar rest (Z8 = 8 bars of rest)", "bars", None,
          "folkabc.abc, folkabc.normalize"),
    Limit("max_digits", 20, "digits in one number of ABC text (X:, lengths, meters; far below "
          "Python's 4,300-digit int limit)", "digits", None, "folkabc.abc, folkabc.render"),
    Limit("max_note_length", 4_096, "a note length's factor (A64, A/64) or a meter's terms (M:64/1)",
          "units", None, "folkabc.abc, folkabc.render"),
    Limit("max_nesting", 100, "open brackets, slurs and tuplets at once", "levels", None,
          "folkabc.abc, folkabc.render"),
    Limit("max_repeats", 2_000, "repeat signs (|:, :|, [1 …) in one tune", "signs", None,
          "folkabc.normalize"),
    Limit("max_tune_bytes", 1 * _MiB, "ABC text of one tune rendered (svg, png, pdf, midi, musicxml, html)",
          "bytes", None, "folkabc.render"),
    # --- generation arguments
    Limit("max_generated_tokens", 100_000, "tokens generated per tune", "tokens", "--max-length",
          "folkabc.model.sampling"),
    Limit("max_beam", 256, "beam width", "beams", "--beam", "folkabc.model.sampling"),
    Limit("max_batch", 10_000, "tunes generated in one run", "tunes", "-n", "folkabc.model.sampling"),
    Limit("max_beam_depth", 8,
          "depth of the beam-coverage expansion (each level scores up to 4,096 prefixes)",
          "levels", "--beam-depth", "folkabc.analysis"),
    Limit("max_self_samples", 100_000, "tunes one training run writes for self-training or for each selection",
          "tunes", "--self-samples, --select-samples", "folkabc.train.settings"),
    Limit("max_workers", 64, "processes one training run forks to write its self-training and selection tunes",
          "processes", "--workers", "folkabc.train.settings"),
    Limit("max_units", 1_000_000, "units named by one --ablate range", "units", "--ablate",
          "folkabc.cli.generate"),
    # --- files
    Limit("max_file_bytes", 1024 * _MiB, "one input file read whole (ABC, tokens, model pickle)", "bytes", None,
          "folkabc.cli._common, folkabc.model.io"),
    Limit("max_array_bytes", 512 * _MiB, "arrays of one model or corpus file, in all (.npy, .npz members, pickle)",
          "bytes", None, "folkabc.model.io, folkabc.corpus.store"),
    Limit("max_json_depth", 64, "nesting of JSON in a model.json or index file", "levels", None,
          "folkabc.model.io"),
    Limit("max_pickle_depth", 100, "nesting of containers and dtypes in a model pickle", "levels", None,
          "folkabc.model.io"),
    # --- requests to the local web server (folkabc serve)
    Limit("max_request_bytes", 256 * 1024, "body of one HTTP request (server)", "bytes", None, "folkabc.server"),
    Limit("max_request_abc_chars", 64 * 1024, "ABC text in one request (editor text, a saved tune)", "characters",
          None, "folkabc.server"),
    Limit("max_request_tunes", 8, "tunes generated by one request (n)", "tunes", None, "folkabc.server"),
    Limit("max_request_tokens", 1_000, "tokens one tune generated by a request may reach (max_length)", "tokens",
          None, "folkabc.server"),
    Limit("max_request_prime_tokens", 200, "prime tokens of one generate request", "tokens", None, "folkabc.server"),
    Limit("max_request_query_tokens", 64, "tokens of one figure query", "tokens", None, "folkabc.server"),
    Limit("max_request_query_chars", 400, "characters of one search text (figure or title)", "characters", None,
          "folkabc.server"),
    Limit("max_request_results", 100, "matches or tunes one search request returns", "results", None,
          "folkabc.server"),
    Limit("max_request_title_chars", 200, "a saved tune's title", "characters", None, "folkabc.server"),
    Limit("max_request_notes_chars", 10_000, "a saved tune's notes", "characters", None, "folkabc.server"),
    Limit("max_tunebook_tunes", 10_000, "tunes the server's local tunebook holds", "tunes", None, "folkabc.server"),
    Limit("max_model_threads", 2, "model requests the server runs at once (the rest wait their turn)", "threads",
          None, "folkabc.server"),
)

#: name → :class:`Limit`, in table order.
LIMITS: Mapping[str, Limit] = MappingProxyType({row.name: row for row in _TABLE})


def limit(name: str) -> int:
    """The value of limit ``name``: its environment variable if set to a positive integer, else its default.

    Examples
    --------
    >>> limit("max_json_depth")
    64
    >>> import os
    >>> os.environ["FOLKABC_MAX_JSON_DEPTH"] = "200"
    >>> limit("max_json_depth")
    200
    >>> del os.environ["FOLKABC_MAX_JSON_DEPTH"]
    """
    row = LIMITS[name]
    raw = os.environ.get(row.env)
    if raw is None or not raw.strip():
        return row.default
    try:
        value = int(raw.strip()[:40].replace("_", ""))
    except ValueError:
        raise LimitError(f"{row.env}={raw[:40]!r} must be a positive integer") from None
    if value <= 0:
        raise LimitError(f"{row.env}={raw[:40]!r} must be a positive integer")
    return value


def check_limit(name: str, value: int, *, where: str = "", error: type[FolkabcError] = LimitError, **loc) -> None:
    """Raise a one-line :class:`LimitError` when ``value`` is over limit ``name``.

    Parameters
    ----------
    name : str
        A row of :data:`LIMITS`.
    value : int
        The size met (tokens, bytes, digits…).
    where : str
        What holds it (an option such as ``--beam``, or a file part), put before the message.
    error : FolkabcError subclass
        The class raised (default :class:`LimitError`; e.g. ``ModelFileError`` for a model file).
    **loc
        Location fields for the error (``tune``, ``title``, ``line``, ``column``, ``path``).

    Examples
    --------
    >>> check_limit("max_digits", 5)
    >>> check_limit("max_digits", 5000, tune=1, line=3)
    Traceback (most recent call last):
    ...
    folkabc.errors.LimitError: tune 1, line 3: 5000 digits is over the limit max_digits = 20 (digits in one number of ABC text (X:, lengths, meters; far below Python's 4,300-digit int limit)); raise it with FOLKABC_MAX_DIGITS=N
    """
    top = limit(name)
    if value <= top:
        return
    row = LIMITS[name]
    msg = f"{value} {row.unit} is over the limit {name} = {top} ({row.bounds}); raise it with {row.env}=N"
    if where:
        msg = f"{where}: {msg}"
    raise error(msg, **loc)


def limits_markdown() -> str:
    """The limits table as Markdown (the body of ``docs/limits.md``).

    Examples
    --------
    >>> limits_markdown().splitlines()[0]
    '# Limits'
    """
    lines = [
        "# Limits",
        "",
        "<!-- generated from folkabc/limits.py by folkabc.limits.limits_markdown(); "
        "tests/test_limits.py checks they agree -->",
        "",
        "folkabc bounds the work any input can cause. Each limit below is checked before the memory or",
        "time it bounds is spent; a value over it ends the command with one line, exit code 2",
        "(`LimitError`), naming the limit and its environment variable. Raise a limit by setting the",
        "variable, e.g. `FOLKABC_MAX_TOKENS=200000 folkabc check big.abc`.",
        "",
        "| limit | default | bounds | environment variable | option |",
        "|---|---:|---|---|---|",
    ]
    for row in _TABLE:
        opt = f"`{row.option}`" if row.option else ""
        lines.append(f"| `{row.name}` | {row.default:,} {row.unit} | {row.bounds} | `{row.env}` | {opt} |")
    lines.append("")
    return "\n".join(lines)
