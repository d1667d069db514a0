"""Reading ``.npy`` files that may be damaged: the header is checked before any memory is allocated.

A corpus or index folder is data anyone can hand over or a killed build can leave half-written:
an ``.npy`` there may be empty, truncated, garbage, or declare a shape of 10^11 elements. numpy
answers those with ``EOFError``, ``ValueError`` or a ``MemoryError`` after trying to allocate;
:func:`load_npy` answers each with one :class:`~folkabc.errors.FolkabcError` line naming the file.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .errors import FolkabcError
from .limits import check_limit

__all__ = ["load_npy"]

_HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}


def load_npy(path: str | os.PathLike, *, mmap_mode: str | None = None,
             error: type[FolkabcError] = FolkabcError, what: str = "array file") -> np.ndarray:
    """Load the array in the ``.npy`` file at ``path``, after checking its header against the file and the limits.

    The header's shape and dtype are read first: an object dtype (a pickle), an array larger
    than the ``max_array_bytes`` limit, or one larger than the file holds is refused before
    numpy allocates or maps anything.

    Parameters
    ----------
    path : path
        The ``.npy`` file.
    mmap_mode : {None, "r"}
        ``"r"`` maps the file read-only instead of reading it.
    error : FolkabcError subclass
        Raised, naming the path, for a missing, damaged or oversized file.
    what : str
        What the file is, in the messages (``"missing <what>"``, ``"unreadable <what>: …"``).

    Returns
    -------
    np.ndarray

    Raises
    ------
    FolkabcError
        (``error``) one line naming the file and what is wrong with it.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> np.save(d / "a.npy", np.arange(3, dtype=np.uint8))
    >>> load_npy(d / "a.npy").tolist()
    [0, 1, 2]
    >>> _ = (d / "b.npy").write_bytes(b"")
    >>> load_npy(d / "b.npy")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    folkabc.errors.FolkabcError: .../b.npy: unreadable array file: empty
    """
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size == 0:
                raise error(f"unreadable {what}: empty", path=str(path))
            try:
                version = np.lib.format.read_magic(fh)
                read_header = _HEADER_READERS.get(version)
                if read_header is None:
                    raise error(f"unreadable {what}: unsupported .npy version {version}", path=str(path))
                shape, _, dtype = read_header(fh)
            except (ValueError, EOFError) as exc:  # no magic, a header that does not parse
                raise error(f"unreadable {what}: {str(exc)[:120]}", path=str(path)) from None
            if dtype.hasobject:
                raise error(f"unreadable {what}: holds Python objects, not numbers", path=str(path))
            nbytes = int(np.prod(shape, dtype=object)) * dtype.itemsize
            check_limit("max_array_bytes", nbytes, where=f"array of shape {shape}", error=error, path=str(path))
            if fh.tell() + nbytes > size:
                raise error(f"unreadable {what}: its header declares {nbytes} bytes of data, the file holds "
                            f"{size - fh.tell()}", path=str(path))
        return np.load(path, mmap_mode=mmap_mode if nbytes else None, allow_pickle=False)  # no map of 0 bytes
    except FileNotFoundError:
        raise error(f"missing {what}", path=str(path)) from None
    except (OSError, ValueError, EOFError) as exc:
        raise error(f"unreadable {what}: {str(exc)[:120]}", path=str(path)) from None
