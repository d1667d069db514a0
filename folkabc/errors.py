"""One exception family for folkabc.

Every error folkabc raises on bad input is a :class:`FolkabcError`. Each
carries where the problem was (tune index and title, line and column, or
token position) and prints it, so the CLI can turn any of them into one line
on stderr and exit code 2.

Examples
--------
>>> from folkabc.errors import AbcSyntaxError
>>> str(AbcSyntaxError("unexpected character '#'", tune=3, title="The Kesh", line=7, column=12))
"tune 3 'The Kesh', line 7, column 12: unexpected character '#'"
"""

from __future__ import annotations

__all__ = [
    "FolkabcError",
    "AbcSyntaxError",
    "UnknownTokenError",
    "TokenSequenceError",
    "CorpusError",
    "IndexFileError",
    "ModelFileError",
    "ParameterError",
    "RenderError",
    "LimitError",
]


#: The longest error text: an error quoting its input (a 5 MB token, a title) stays one readable line.
MAX_MESSAGE = 511


class FolkabcError(Exception):
    """Root of every error folkabc raises on bad input or bad arguments.

    Parameters
    ----------
    message : str
        What went wrong, in words.
    tune : int or None
        The tune's ``X:`` number (or 1-based index in a token file).
    title : str or None
        The tune's first title.
    line, column : int or None
        1-based position in the source text.
    position : int or None
        0-based token position (for token-level errors).
    path : str or None
        The file involved.

    Examples
    --------
    >>> str(FolkabcError("cannot read", path="x.abc"))
    'x.abc: cannot read'
    """

    def __init__(
        self,
        message: str,
        *,
        tune: int | None = None,
        title: str | None = None,
        line: int | None = None,
        column: int | None = None,
        position: int | None = None,
        path: str | None = None,
    ) -> None:
        self.message = message
        self.tune = tune
        self.title = title
        self.line = line
        self.column = column
        self.position = position
        self.path = path
        super().__init__(str(self))

    def location(self) -> str:
        """Where the error happened, as text (empty when unknown).

        Examples
        --------
        >>> FolkabcError("x", tune=1, line=2, column=3).location()
        'tune 1, line 2, column 3'
        """
        parts = []
        if self.path:
            parts.append(str(self.path))
        if self.tune is not None:
            parts.append(f"tune {self.tune}" + (f" {self.title!r}" if self.title else ""))
        elif self.title:
            parts.append(repr(self.title))
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.column is not None:
            parts.append(f"column {self.column}")
        if self.position is not None:
            parts.append(f"token {self.position}")
        return ", ".join(parts)

    def __str__(self) -> str:
        """One line: the location, then the message (a message quoting a huge input is cut short).

        Examples
        --------
        >>> len(str(FolkabcError("unknown token " + "x" * 100000, tune=1)))
        511
        """
        loc = self.location()
        text = f"{loc}: {self.message}" if loc else self.message
        return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE - 1] + "…"


class AbcSyntaxError(FolkabcError):
    """ABC text that cannot be read (names tune, line and column)."""


class UnknownTokenError(FolkabcError):
    """A token outside the vocabulary (names the token and its position)."""

    def __init__(self, token: str, **where) -> None:
        self.token = token
        super().__init__(f"unknown token {token!r}", **where)


class TokenSequenceError(FolkabcError):
    """A token sequence that breaks the folk-rnn grammar."""


class CorpusError(FolkabcError):
    """A corpus source or store that cannot be read or written."""


class IndexFileError(FolkabcError):
    """A search index file that is missing, corrupt or of the wrong version."""


class ModelFileError(FolkabcError):
    """A model file that is corrupt, truncated, of the wrong layout or hostile."""


class ParameterError(FolkabcError, ValueError):
    """A bad argument: names the parameter, its value and what is allowed."""


class RenderError(FolkabcError):
    """A tune that cannot be rendered, or an output that cannot be written."""


class LimitError(FolkabcError):
    """An input or argument over one of folkabc's size limits (:mod:`folkabc.limits`).

    The message names the limit, the value met and how to raise the limit.
    """
