"""What render reads: ABC text, a folk-rnn token file, a TokenizedTune or a token list → tunes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import FolkabcError, RenderError

__all__ = ["TuneSource", "load_tunes", "output_name", "write_output"]


@dataclass
class TuneSource:
    """One tune ready to render: its index, title, complete ABC and (if known) tokens."""

    index: int
    title: str | None
    abc: str
    tokens: list[str] | None = None
    line: int | None = None
    error: FolkabcError | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """How messages name the tune.

        Examples
        --------
        >>> TuneSource(3, "The Kesh", "").label
        "3 'The Kesh'"
        """
        return f"{self.index} {self.title!r}" if self.title else str(self.index)


def _with_defaults(abc: str, defaults: dict) -> str:
    """Put the file header's M:/L: into a tune's own header when it lacks them."""
    lines = abc.splitlines()
    if not lines:
        return abc
    extra = []
    head = abc.split("\nK:", 1)[0]
    for letter in ("M", "L"):
        if letter in defaults and not re.search(rf"(?m)^{letter}:", head):
            extra.append(f"{letter}:{defaults[letter][0]}")
    return "\n".join(lines[:1] + extra + lines[1:]) + "\n" if extra else abc


def _from_tokens(tokens: list[str], index: int, title: str | None) -> TuneSource:
    from ..tokens import detokenize

    title = title or f"Tune {index}"
    return TuneSource(index, title, detokenize(tokens, title=title, index=index), list(tokens))


def _tokens_tune(tokens: list[str], index: int) -> TuneSource:
    """One tune's tokens as a TuneSource; tokens that make no ABC give a tune with its error."""
    try:
        return _from_tokens(tokens, index, None)
    except FolkabcError as exc:  # one bad tune does not stop the others
        return TuneSource(index, f"Tune {index}", "", list(tokens), error=exc)


def _is_token_list(item: Any) -> bool:
    """One tune's token list (no token holds a space)."""
    return (isinstance(item, (list, tuple)) and bool(item)
            and all(isinstance(t, str) and t and not any(ch.isspace() for ch in t) for t in item))


def load_tunes(source: Any) -> list[TuneSource]:
    """Every tune of ``source`` as :class:`TuneSource`.

    Parameters
    ----------
    source : str, TokenizedTune, TuneSource, list of str, or list of those
        ABC text (any number of ``X:`` tunes), a folk-rnn token file's text, one tune's
        token list (``["M:4/4", "K:Cmaj", ...]``), already tokenized tunes, or a list of
        any of these (e.g. one ABC text per tune).

    Raises
    ------
    RenderError
        When the text holds no tune.

    Examples
    --------
    >>> [t.title for t in load_tunes("X:1\\nT:A\\nK:G\\nGAB|\\n\\nX:2\\nT:B\\nK:D\\nDEF|\\n")]
    ['A', 'B']
    >>> load_tunes(["M:4/4", "K:Cmaj", "C", "D", "E", "F", "|"])[0].abc.splitlines()[:2]
    ['X:1', 'T:Tune 1']
    >>> [t.index for t in load_tunes(["X:7\\nT:A\\nK:G\\nGAB|\\n", "X:8\\nT:B\\nK:D\\nDEF|\\n"])]
    [7, 8]
    """
    if isinstance(source, TuneSource):
        return [source]
    if isinstance(source, (list, tuple)):
        if _is_token_list(source):
            return [_from_tokens(list(source), 1, None)]
        out: list[TuneSource] = []
        for k, item in enumerate(source, 1):
            if _is_token_list(item):
                out.append(_tokens_tune(list(item), k))
                continue
            for t in load_tunes(item):
                if isinstance(item, (list, tuple)):
                    t.index, t.title = k, t.title if t.title != "Tune 1" else f"Tune {k}"
                    t.abc = _from_tokens(t.tokens or [], k, t.title).abc
                out.append(t)
        return out
    if hasattr(source, "tokens"):  # a TokenizedTune, or any record with tokens (a generated tune)
        tokens = source.tokens.split() if isinstance(source.tokens, str) else list(source.tokens)
        index, title = getattr(source, "index", None) or 1, getattr(source, "title", None)
        abc = getattr(source, "abc", None)
        if not isinstance(abc, str) or "K:" not in abc:
            return [_from_tokens(tokens, index, title)]
        return [TuneSource(index, title, abc, tokens, getattr(source, "line", None))]
    if not isinstance(source, str):
        raise RenderError(f"cannot render a {type(source).__name__}; give ABC text, tokens or a TokenizedTune")
    text = source
    from ..tokenfile import is_token_file, read_token_file

    if is_token_file(text):
        try:
            seqs = [b.tokens for b in read_token_file(text)]
        except FolkabcError as exc:
            raise RenderError(f"cannot read the token file: {exc.message}") from exc
        tunes = [_tokens_tune(seq, k) for k, seq in enumerate(seqs, 1)]
    else:
        from ..tokens import split_tunes

        tunes = []
        for raw in split_tunes(text):
            if not raw.header.get("K") and not re.search(r"(?m)^K:", raw.abc):
                continue
            tunes.append(TuneSource(raw.index, raw.title, _with_defaults(raw.abc, raw.defaults), line=raw.line))
    if not tunes:
        raise RenderError("no tune found: expected ABC (X:, T:, K: ...) or a folk-rnn token file")
    return tunes


def output_name(tune: TuneSource, ext: str) -> str:
    """A file name from the tune's index and title: ``'003-the-kesh.svg'``.

    Examples
    --------
    >>> output_name(TuneSource(3, "The Kesh (jig)", ""), "svg")
    '003-the-kesh-jig.svg'
    """
    slug = re.sub(r"[^a-z0-9]+", "-", (tune.title or "").lower()).strip("-")[:60]
    return f"{tune.index:03d}-{slug}.{ext}" if slug else f"{tune.index:03d}.{ext}"


def write_output(path: str | Path, data: str | bytes, *, what: str = "cannot write") -> Path:
    """Write ``data`` to ``path`` atomically (a temp file beside it, then ``os.replace``).

    A failed write leaves any earlier file at ``path`` whole and no temp file behind.

    Raises
    ------
    RenderError
        ``"<what>: <reason>"`` naming ``path`` when it cannot be written.

    Examples
    --------
    >>> import tempfile, os
    >>> p = write_output(os.path.join(tempfile.mkdtemp(), "t.svg"), "<svg/>")
    >>> p.read_text(), os.listdir(p.parent)
    ('<svg/>', ['t.svg'])
    """
    from .._io import atomic_write

    return atomic_write(path, data, error=RenderError, what=what)
