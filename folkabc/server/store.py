"""The local tunebook of ``folkabc serve``: saved tunes and their notes in one SQLite file.

The file lives in the folkabc home folder (``$FOLKABC_HOME``, else ``~/.cache/folkabc``: the
folder that holds the default corpus, asked of :func:`folkabc.corpus.home_dir`),
as ``tunebook.sqlite``. Every write is one transaction; the database runs in WAL mode so a
reader never sees half a write, and each call opens its own connection, so the store is
safe to use from several threads.
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from ..corpus import home_dir
from ..errors import FolkabcError, ParameterError
from .limits import LIMITS

__all__ = ["Tunebook", "SavedTune", "NotFoundError", "default_tunebook_path", "check_text"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tunes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    abc TEXT NOT NULL,
    notes TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL,
    updated REAL NOT NULL
);
"""


class NotFoundError(FolkabcError):
    """No such tune (in the tunebook or the corpus)."""


def default_tunebook_path() -> Path:
    """``tunebook.sqlite`` in the folkabc home folder (beside the default corpus).

    Examples
    --------
    >>> default_tunebook_path().name
    'tunebook.sqlite'
    """
    return home_dir() / "tunebook.sqlite"


@dataclass(frozen=True)
class SavedTune:
    """One tune of the tunebook.

    Attributes
    ----------
    id : int
    title : str
    abc : str
    notes : str
    created, updated : float
        Seconds since the epoch.
    """

    id: int
    title: str
    abc: str
    notes: str
    created: float
    updated: float

    def to_dict(self, *, abc: bool = True) -> dict:
        """JSON form (without the ABC text for listings).

        Examples
        --------
        >>> SavedTune(1, "T", "X:1", "", 0.0, 0.0).to_dict(abc=False)
        {'id': 1, 'title': 'T', 'notes': '', 'created': 0.0, 'updated': 0.0}
        """
        d = {"id": self.id, "title": self.title, "abc": self.abc, "notes": self.notes,
             "created": self.created, "updated": self.updated}
        if not abc:
            del d["abc"]
        return d


def check_text(value, name: str, most: int, *, required: bool = False) -> str:
    """A request's text field: a string of at most ``most`` characters, not blank when ``required``.

    Examples
    --------
    >>> check_text("reel", "title", 10), check_text(None, "notes", 10)
    ('reel', '')
    """
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise ParameterError(f"{name} must be a string")
    if len(value) > most:
        raise ParameterError(f"{name} is {len(value)} characters; the most is {most}")
    if required and not value.strip():
        raise ParameterError(f"{name} is empty")
    return value


class Tunebook:
    """Saved tunes in a SQLite file (created on first use).

    Parameters
    ----------
    path : path or None
        The database file (default :func:`default_tunebook_path`).

    Examples
    --------
    >>> import tempfile, os
    >>> book = Tunebook(os.path.join(tempfile.mkdtemp(), "book.sqlite"))
    >>> t = book.add("Scale", "X:1\\nT:Scale\\nK:C\\nCDEF|\\n", notes="a test")
    >>> [s.title for s in book.list()], book.get(t.id).notes
    (['Scale'], 'a test')
    >>> book.update(t.id, notes="changed").notes
    'changed'
    >>> book.delete(t.id); len(book.list())
    0
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_tunebook_path()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with closing(self._connect()) as db, db:
                db.execute("PRAGMA journal_mode=WAL")
                db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise FolkabcError(f"cannot open the tunebook: {exc}", path=str(self.path)) from exc

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10)
        db.row_factory = sqlite3.Row
        return db

    def _run(self, sql: str, args: tuple = ()) -> list[sqlite3.Row]:
        """One statement in one transaction (committed, or rolled back on error)."""
        try:
            with closing(self._connect()) as db, db:
                return db.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise FolkabcError(f"tunebook: {exc}", path=str(self.path)) from exc

    @staticmethod
    def _tune(row: sqlite3.Row) -> SavedTune:
        return SavedTune(row["id"], row["title"], row["abc"], row["notes"], row["created"], row["updated"])

    def list(self) -> list[SavedTune]:
        """Every saved tune, newest first."""
        return [self._tune(r) for r in self._run("SELECT * FROM tunes ORDER BY updated DESC, id DESC")]

    def get(self, tune_id: int) -> SavedTune:
        """One saved tune.

        Raises
        ------
        NotFoundError
            No tune with that id.
        """
        rows = self._run("SELECT * FROM tunes WHERE id = ?", (int(tune_id),))
        if not rows:
            raise NotFoundError(f"no saved tune {tune_id}")
        return self._tune(rows[0])

    def add(self, title: str, abc: str, *, notes: str = "") -> SavedTune:
        """Save a tune; returns it with its id.

        Raises
        ------
        ParameterError
            Empty or oversized title or ABC, oversized notes, or a full tunebook.
        """
        title = check_text(title, "title", LIMITS.title_chars, required=True)
        abc = check_text(abc, "abc", LIMITS.abc_chars, required=True)
        notes = check_text(notes, "notes", LIMITS.notes_chars)
        now = time.time()
        try:
            with closing(self._connect()) as db, db:
                (count,) = db.execute("SELECT count(*) FROM tunes").fetchone()
                if count >= LIMITS.tunebook_tunes:
                    raise ParameterError(f"the tunebook is full ({count} tunes)")
                cur = db.execute("INSERT INTO tunes (title, abc, notes, created, updated) VALUES (?, ?, ?, ?, ?)",
                                 (title, abc, notes, now, now))
                new_id = cur.lastrowid
        except sqlite3.Error as exc:
            raise FolkabcError(f"tunebook: {exc}", path=str(self.path)) from exc
        return self.get(new_id)

    def update(self, tune_id: int, *, title: str | None = None, abc: str | None = None,
               notes: str | None = None) -> SavedTune:
        """Change a saved tune's title, ABC or notes (the others are kept)."""
        old = self.get(tune_id)
        title = old.title if title is None else check_text(title, "title", LIMITS.title_chars, required=True)
        abc = old.abc if abc is None else check_text(abc, "abc", LIMITS.abc_chars, required=True)
        notes = old.notes if notes is None else check_text(notes, "notes", LIMITS.notes_chars)
        self._run("UPDATE tunes SET title = ?, abc = ?, notes = ?, updated = ? WHERE id = ?",
                  (title, abc, notes, time.time(), old.id))
        return self.get(old.id)

    def delete(self, tune_id: int) -> None:
        """Remove a saved tune.

        Raises
        ------
        NotFoundError
            No tune with that id.
        """
        self.get(tune_id)
        self._run("DELETE FROM tunes WHERE id = ?", (int(tune_id),))
