"""A progress bar for long work (corpus builds, batch jobs): on a TTY only, quiet otherwise."""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from typing import Iterable, Iterator, TypeVar

    T = TypeVar("T")

__all__ = ["progress"]


def progress(items: Iterable[T], *, total: int | None = None, desc: str = "", quiet: bool = False) -> Iterator[T]:
    """Yield ``items``, drawing a progress bar on stderr when it is a TTY and not ``quiet``.

    Quiet when stderr is piped, under ``quiet=True``, or when ``FOLKABC_QUIET`` is set.

    Examples
    --------
    >>> list(progress(range(3), desc="build", quiet=True))
    [0, 1, 2]
    """
    show = not quiet and sys.stderr is not None and sys.stderr.isatty() and not os.environ.get("FOLKABC_QUIET")
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    if not show:
        yield from items
        return
    n = 0
    width = 30
    for item in items:
        yield item
        n += 1
        if total:
            done = int(width * n / total)
            sys.stderr.write(f"\r{desc} [{'#' * done}{'.' * (width - done)}] {n}/{total}")
        else:
            sys.stderr.write(f"\r{desc} {n}")
        sys.stderr.flush()
    sys.stderr.write("\n")
