"""The 137-token folk-rnn v2 vocabulary: one frozen table, every lookup derived from it.

The v2 model's index of each token came from Python set order, so only the
published part of its table is known (indices 0–32, see
``shared/spec/folkrnn-facts.md``). folkabc keeps those 33 indices fixed and
completes the table by a rule (:func:`vocabulary_rule`):

1. ids 0–32: the published v2 table, unchanged;
2. then, skipping tokens already placed, category by category:

   - ``special``: ``<s> </s>``
   - ``meter``: the seven v2 meters ``M:4/4 M:6/8 M:3/2 M:9/8 M:2/4 M:3/4 M:12/8``
   - ``mode``: ``K:Cmaj K:Cmin K:Cdor K:Cmix``
   - ``measure``: ``| |: :| |1 |2 [ ]`` (chord brackets are measure tokens, as in v2)
   - ``grouping``: tuplet openers ``(2 … (7``
   - ``duration``: the fifteen durations the v2 analyses name
     (``2 3 4 5 6 8 9 16 3/2 /2 /2> > < 2> 2<``) then ``/4 3/4``
   - ``rest``: ``z``
   - ``pitch``: plain letters over four octaves, ``C,`` … ``b'`` (low to high);
     then ``^ _ =`` on every letter from ``G,`` to ``f'`` (for each letter low to
     high: sharp, flat, natural); then the two low-C accidentals the v2 data
     holds, ``^C, =C,``.

That makes exactly 137 tokens. The result is frozen in
``folkabc/data/vocab_v2.tsv`` (id, token, category); a test proves the file
equals the rule.

Examples
--------
>>> from folkabc.vocab import VOCAB
>>> len(VOCAB)
137
>>> VOCAB.id("d'"), VOCAB.token(23)
(0, '4')
>>> VOCAB.category("K:Cdor")
'mode'
>>> VOCAB.encode(["M:4/4", "K:Cmaj", "G,", "C"]).tolist() == [VOCAB.id(t) for t in ["M:4/4", "K:Cmaj", "G,", "C"]]
True
"""

from __future__ import annotations

import os

from ._record import Record
from .errors import UnknownTokenError
from .grammar import token_category as _grammar_category

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:  # numpy loads on first encode, so reading and checking ABC never import it
    from typing import Iterable, Sequence

    import numpy as np

__all__ = [
    "Vocabulary",
    "VOCAB",
    "PUBLISHED_V2",
    "CATEGORIES",
    "vocabulary_rule",
    "token_category",
    "load_vocabulary",
    "meter_token",
    "mode_token",
]

#: The published indices 0–32 of the folk-rnn v2 vocabulary.
PUBLISHED_V2: tuple[str, ...] = (
    "d'", "=A,", "^c'", "=e", "=d", "=g", "=f", "=a", "=c", "=b", "_G",
    "_E", "_D", "_C", "_B", "_A", "2<", "2>", "=E", "=D", "_B,", "=F",
    "=A", "4", "=C", "=B", "_g", "8", "_e", "_d", "_c", "<", "_a",
)

CATEGORIES: tuple[str, ...] = (
    "special", "meter", "mode", "measure", "grouping", "duration", "rest", "pitch",
)

_METERS = ("M:4/4", "M:6/8", "M:3/2", "M:9/8", "M:2/4", "M:3/4", "M:12/8")
_MODES = ("K:Cmaj", "K:Cmin", "K:Cdor", "K:Cmix")
_MEASURES = ("|", "|:", ":|", "|1", "|2", "[", "]")
_GROUPINGS = tuple(f"({n}" for n in range(2, 8))
_DURATIONS = ("2", "3", "4", "5", "6", "8", "9", "16", "3/2", "/2", "/2>", ">", "<",
              "2>", "2<", "/4", "3/4")
_LETTERS = "CDEFGAB"


def _letter_octaves() -> list[str]:
    """Plain pitch names from ``C,`` to ``b'``, low to high."""
    out = [c + "," for c in _LETTERS]
    out += list(_LETTERS)
    out += [c.lower() for c in _LETTERS]
    out += [c.lower() + "'" for c in _LETTERS]
    return out


def vocabulary_rule() -> list[tuple[str, str]]:
    """Build the 137 (token, category) pairs by the documented rule.

    Returns
    -------
    list of (str, str)
        Token and category, in id order.

    Examples
    --------
    >>> table = vocabulary_rule()
    >>> len(table), table[0], table[33]
    (137, ("d'", 'pitch'), ('<s>', 'special'))
    """
    plain = _letter_octaves()
    lo, hi = plain.index("G,"), plain.index("f'")
    accidental = [acc + p for p in plain[lo:hi + 1] for acc in ("^", "_", "=")]
    groups = [
        ("special", ["<s>", "</s>"]),
        ("meter", list(_METERS)),
        ("mode", list(_MODES)),
        ("measure", list(_MEASURES)),
        ("grouping", list(_GROUPINGS)),
        ("duration", list(_DURATIONS)),
        ("rest", ["z"]),
        ("pitch", plain + accidental + ["^C,", "=C,"]),
    ]
    category_of = {t: cat for cat, toks in groups for t in toks}
    table = [(t, category_of[t]) for t in PUBLISHED_V2]
    seen = set(PUBLISHED_V2)
    for cat, toks in groups:
        for t in toks:
            if t not in seen:
                table.append((t, cat))
                seen.add(t)
    return table


def token_category(token: str) -> str:
    """The category of any token by its shape, in or out of the vocabulary.

    The token grammar (:func:`folkabc.grammar.token_category`) decides.

    Parameters
    ----------
    token : str

    Returns
    -------
    str
        One of :data:`CATEGORIES`, or ``"unknown"``.

    Examples
    --------
    >>> token_category("^f''"), token_category("7/2"), token_category("(9")
    ('pitch', 'duration', 'grouping')
    """
    return _grammar_category(token)


def meter_token(meter: str) -> str:
    """A meter as the user writes it, as a meter token: ``6/8`` → ``M:6/8``.

    ``C``, ``C|`` and ``2/2`` give ``M:4/4``, as the tokenizer maps them; the token
    may be outside the vocabulary (``3/8`` → ``M:3/8``).

    Examples
    --------
    >>> meter_token("6/8"), meter_token(" M:3/4 "), meter_token("C|"), meter_token("M:2/2")
    ('M:6/8', 'M:3/4', 'M:4/4', 'M:4/4')
    """
    m = str(meter).strip()
    m = m[2:].strip() if m[:2].upper() == "M:" else m
    return "M:" + _COMMON_TIME.get(m, m)


_COMMON_TIME = {"C": "4/4", "C|": "4/4", "2/2": "4/4"}
_MODE_ALIASES = {"maj": "maj", "ion": "maj", "min": "min", "aeo": "min", "m": "min", "dor": "dor",
                 "mix": "mix"}


def mode_token(mode: str, *, strict: bool = True) -> str:
    """A mode as the user writes it, as a mode token: ``dor``, ``Cdor``, ``dorian``, ``K:Cdor`` → ``K:Cdor``.

    Parameters
    ----------
    mode : str
    strict : bool
        With False, a name that is none of the four v2 modes still gives a token
        (``lyd`` → ``K:Clyd``), for the caller to refuse with the token named.

    Raises
    ------
    ParameterError
        When ``strict`` and it names none of the four v2 modes (maj, min, dor, mix).

    Examples
    --------
    >>> mode_token("dorian"), mode_token("K:Cmix"), mode_token("major"), mode_token("m")
    ('K:Cdor', 'K:Cmix', 'K:Cmaj', 'K:Cmin')
    >>> mode_token("Aeolian"), mode_token("ionian")
    ('K:Cmin', 'K:Cmaj')
    >>> mode_token("lyd", strict=False)
    'K:Clyd'
    """
    from .errors import ParameterError

    m = str(mode).strip()
    if m[:2].upper() == "K:":
        m = m[2:].strip()
    if m[:1] in "Cc" and len(m) > 1 and m[:3].lower() not in _MODE_ALIASES:
        m = m[1:]
    short = _MODE_ALIASES.get(m[:3].lower())
    if short is None:
        if not strict:
            return f"K:C{m}"
        raise ParameterError(f"mode {mode!r} is not one of maj, min, dor or mix (modes are C-rooted)")
    return f"K:C{short}"


class Vocabulary(Record):
    """An id ↔ token table with categories (immutable).

    Parameters
    ----------
    tokens : tuple of str
        Tokens in id order.
    categories : tuple of str
        The category of each token.

    Attributes
    ----------
    index : dict of str to int
        Token → id.

    See Also
    --------
    load_vocabulary : read one from a TSV file.

    Examples
    --------
    >>> v = Vocabulary(("<s>", "</s>", "C"), ("special", "special", "pitch"))
    >>> v.decode([2, 1])
    ['C', '</s>']
    >>> v
    Vocabulary(tokens=('<s>', '</s>', 'C'), categories=('special', 'special', 'pitch'))
    """

    __slots__ = ("tokens", "categories", "index")
    _fields = ("tokens", "categories")

    tokens: tuple[str, ...]
    categories: tuple[str, ...]
    index: dict[str, int]

    def __init__(self, tokens: tuple[str, ...], categories: tuple[str, ...]) -> None:
        if len(tokens) != len(categories):
            raise ValueError("tokens and categories differ in length")
        index = {t: i for i, t in enumerate(tokens)}
        if len(index) != len(tokens):
            raise ValueError("vocabulary has repeated tokens")
        object.__setattr__(self, "tokens", tokens)
        object.__setattr__(self, "categories", categories)
        object.__setattr__(self, "index", index)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r}: a Vocabulary is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}: a Vocabulary is immutable")

    def __hash__(self) -> int:
        return hash((self.tokens, self.categories))

    def __reduce__(self):
        return type(self), (self.tokens, self.categories)

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: object) -> bool:
        return token in self.index

    def __iter__(self):
        return iter(self.tokens)

    def id(self, token: str) -> int:
        """The id of ``token``; :class:`UnknownTokenError` if it has none.

        Examples
        --------
        >>> VOCAB.id("<")
        31
        """
        try:
            return self.index[token]
        except KeyError:
            raise UnknownTokenError(token) from None

    def token(self, i: int) -> str:
        """The token with id ``i``.

        Examples
        --------
        >>> VOCAB.token(0)
        "d'"
        """
        return self.tokens[i]

    def category(self, token: str) -> str:
        """The category of an in-vocabulary token.

        Examples
        --------
        >>> VOCAB.category("|:")
        'measure'
        """
        return self.categories[self.id(token)]

    def ids_of(self, category: str) -> np.ndarray:
        """All ids of one category, ascending.

        Examples
        --------
        >>> len(VOCAB.ids_of("meter")), len(VOCAB.ids_of("mode"))
        (7, 4)
        """
        import numpy as np  # lazy: the check path never needs numpy

        return np.array([i for i, c in enumerate(self.categories) if c == category], dtype=np.int64)

    def encode(self, tokens: Iterable[str], *, fallback: str | None = None) -> np.ndarray:
        """Tokens → ids (``uint8``), the inverse of :meth:`decode`.

        Parameters
        ----------
        tokens : iterable of str
        fallback : str or None
            If given, a token outside the vocabulary maps to this token's id
            instead of raising.

        Raises
        ------
        UnknownTokenError
            Naming the token and its 0-based position.

        Examples
        --------
        >>> VOCAB.decode(VOCAB.encode(["|:", "C", ":|"]))
        ['|:', 'C', ':|']
        """
        import numpy as np  # lazy: the check path never needs numpy

        index = self.index
        fb = index[fallback] if fallback is not None else None
        out = []
        for pos, t in enumerate(tokens):
            i = index.get(t)
            if i is None:
                if fb is None:
                    raise UnknownTokenError(t, position=pos)
                i = fb
            out.append(i)
        return np.array(out, dtype=np.uint8)

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Ids → tokens, the inverse of :meth:`encode`.

        Examples
        --------
        >>> VOCAB.decode([0, 23])
        ["d'", '4']
        """
        toks = self.tokens
        out = []
        for pos, i in enumerate(ids):
            i = int(i)
            if not 0 <= i < len(toks):
                raise UnknownTokenError(f"#{i}", position=pos)
            out.append(toks[i])
        return out

    def to_tsv(self) -> str:
        """The table as TSV text (``id<TAB>token<TAB>category``), as frozen on disk."""
        rows = ["id\ttoken\tcategory"]
        rows += [f"{i}\t{t}\t{c}" for i, (t, c) in enumerate(zip(self.tokens, self.categories))]
        return "\n".join(rows) + "\n"

    @classmethod
    def from_tokens(cls, tokens: Sequence[str]) -> "Vocabulary":
        """A vocabulary over ``tokens`` (categories from their shape), e.g. a model file's table.

        Examples
        --------
        >>> Vocabulary.from_tokens(["<s>", "C"]).categories
        ('special', 'pitch')
        """
        return cls(tuple(tokens), tuple(token_category(t) for t in tokens))


def load_vocabulary(text: str) -> Vocabulary:
    """Parse the TSV form written by :meth:`Vocabulary.to_tsv`.

    Examples
    --------
    >>> load_vocabulary(VOCAB.to_tsv()) == VOCAB
    True
    """
    lines = [ln for ln in text.splitlines() if ln.strip()]
    toks, cats = [], []
    for n, ln in enumerate(lines[1:]):
        i, t, c = ln.split("\t")
        if int(i) != n:
            raise ValueError(f"vocabulary row {n} has id {i}")
        toks.append(t)
        cats.append(c)
    return Vocabulary(tuple(toks), tuple(cats))


def _data_text(name: str) -> str:
    """The text of ``folkabc/data/NAME`` (read with ``open``: :mod:`pathlib` is not on the check path)."""
    with open(os.path.join(os.path.dirname(__file__), "data", name), encoding="utf-8") as fh:
        return fh.read()


#: The frozen folkabc v2 vocabulary (137 tokens).
VOCAB: Vocabulary = load_vocabulary(_data_text("vocab_v2.tsv"))
