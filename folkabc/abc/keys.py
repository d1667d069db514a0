"""Keys and modes of ABC ``K:`` fields, and the meters and unit lengths of ``M:`` and ``L:``.

A key is read into a :class:`Key`: its tonic (letter and alteration), its mode,
the key signature it implies (one alteration per letter ``C D E F G A B``), and
the folk-rnn mode it reduces to (``maj min dor mix``).

Mode policy (folk-rnn v2 has four modes): ionian/major → ``maj``, aeolian/minor →
``min``, dorian → ``dor``, mixolydian → ``mix``; lydian → ``maj``, phrygian →
``min`` and locrian → ``min``, each with a warning. ``K:none`` (or no tonic)
reads the notes as written, with root C. ``K:HP`` (highland pipes, no signature
printed) and ``K:Hp`` both read the notes with F♯ C♯ (the pipes' scale, as abc2midi plays
them); both have root A, mode ``mix``. Explicit accidentals (``K:D exp ^f ^c``, ``K:Dmix ^g``) change the
signature used to read the notes; the mode word alone decides the folk-rnn mode.

Examples
--------
>>> k = parse_key("Ador")
>>> k.tonic, k.mode, k.folk_mode
('A', 'dor', 'dor')
>>> parse_key("F#m").signature   # C D E F G A B
(1, 0, 0, 1, 1, 0, 0)
>>> parse_meter("C|").token, parse_meter("6/8").token
('M:4/4', 'M:6/8')
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

from .. import _regex
from .._record import NamedTuple

__all__ = [
    "Key",
    "Meter",
    "parse_key",
    "parse_meter",
    "parse_length",
    "default_length",
    "tuplet_q",
    "BROKEN_RHYTHM",
    "LETTERS",
    "NATURAL",
    "FOLK_SIGNATURES",
    "FOLK_MODES",
    "WrittenKey",
    "written_key",
]

#: Pitch letters in diatonic order, and their natural semitones above C.
LETTERS = "CDEFGAB"
NATURAL = (0, 2, 4, 5, 7, 9, 11)

#: Key signatures (alteration per letter C..B) of the four folk-rnn modes on C.
FOLK_SIGNATURES: dict[str, tuple[int, ...]] = {
    "maj": (0, 0, 0, 0, 0, 0, 0),
    "min": (0, 0, -1, 0, 0, -1, -1),
    "dor": (0, 0, -1, 0, 0, 0, -1),
    "mix": (0, 0, 0, 0, 0, 0, -1),
}

#: The four folk-rnn modes, in the order their tokens are listed.
FOLK_MODES = ("maj", "min", "dor", "mix")

# number of sharps (negative: flats) of the major key on each tonic
_MAJOR_SHARPS = {"C": 0, "G": 1, "D": 2, "A": 3, "E": 4, "B": 5, "F": -1}
_MODE_OFFSET = {"maj": 0, "dor": -2, "phr": -4, "lyd": 1, "mix": -1, "min": -3, "loc": -5}
_MODE_WORDS = {
    "maj": "maj", "ion": "maj", "min": "min", "aeo": "min", "m": "min", "dor": "dor",
    "phr": "phr", "lyd": "lyd", "mix": "mix", "loc": "loc",
}
_FOLK_MODE = {"maj": "maj", "min": "min", "dor": "dor", "mix": "mix", "lyd": "maj", "phr": "min",
              "loc": "min", "none": "maj"}
_SHARP_ORDER = "FCGDAEB"
_CLEF_WORDS = {"treble", "bass", "alto", "tenor", "perc", "none", "clef", "middle", "transpose",
               "octave", "stafflines", "exp", "treble8", "bass8", "treble-8", "bass-8", "-8va",
               "+8va", "8va", "treble+8", "bass3", "baritone", "mezzo", "soprano"}

_KEY_RE = _regex.compile(
    r"\s*(?:(?P<none>none)\b|(?P<hp>HP|Hp)\b|(?P<tonic>[A-GH])(?P<acc>[#b]?)"
    r"\s*(?P<mode>[A-Za-z]*))?"
)
_ACC_RE = _regex.compile(r"(?P<acc>\^\^|__|\^|_|=)(?P<letter>[A-Ga-g])")


class Key(NamedTuple):
    """A key read from a ``K:`` field.

    Attributes
    ----------
    tonic : str
        Tonic letter, upper case (``C`` for ``K:none``).
    tonic_alter : int
        Tonic alteration in semitones (``F#`` → 1, ``Bb`` → -1).
    mode : str
        ``maj min dor phr lyd mix loc`` or ``none``.
    signature : tuple of int
        Alteration of each letter ``C D E F G A B`` in the key signature.
    warnings : tuple of str
        Policy notes (mode reduced, highland pipes, no tonic).

    Examples
    --------
    >>> parse_key("Bb").signature
    (0, 0, -1, 0, 0, 0, -1)
    """

    tonic: str
    tonic_alter: int
    mode: str
    signature: tuple[int, ...]
    warnings: tuple[str, ...] = ()

    @property
    def folk_mode(self) -> str:
        """The folk-rnn mode (``maj min dor mix``) this key reduces to.

        Examples
        --------
        >>> parse_key("G lydian").folk_mode
        'maj'
        """
        return _FOLK_MODE[self.mode]

    @property
    def tonic_pc(self) -> int:
        """Pitch class (0–11) of the tonic.

        Examples
        --------
        >>> parse_key("Bb").tonic_pc
        10
        """
        return (NATURAL[LETTERS.index(self.tonic)] + self.tonic_alter) % 12


@lru_cache(maxsize=1024)
def parse_key(text: str) -> Key:
    """Read the value of a ``K:`` field.

    Parameters
    ----------
    text : str
        The field's value, e.g. ``"D"``, ``"Ador"``, ``"E Minor"``, ``"F#m"``,
        ``"D exp ^f ^c"``, ``"none"``, ``"HP"``, with optional clef words.

    Returns
    -------
    Key

    Raises
    ------
    ValueError
        For a mode word that is not a mode or clef word (the caller adds the location).

    Examples
    --------
    >>> parse_key("E Minor").mode, parse_key("Dmix").signature
    ('min', (0, 0, 0, 1, 0, 0, 0))
    >>> parse_key("D exp ^f ^c").signature
    (1, 0, 0, 1, 0, 0, 0)
    """
    text = text.split("%", 1)[0].strip()
    m = _KEY_RE.match(text)
    warnings: list[str] = []
    rest = text[m.end():]
    if m.group("none") is not None or m.group(0).strip() == "":
        tonic, alter, mode, sig = "C", 0, "none", [0] * 7
        clef_only = text.startswith(("clef", "treble", "bass", "^", "_", "="))
        if m.group("none") is None and text and not clef_only:
            raise ValueError(f"unreadable key {text!r}")
        if m.group("none") is None:
            warnings.append(f"key {text!r} has no tonic: read as written, root C")
    elif m.group("hp") is not None:
        tonic, alter, mode = "A", 0, "mix"
        sig = [1, 0, 0, 1, 0, 0, 0]  # the pipes' scale: HP prints no signature, both play F# C# (abc2midi)
        warnings.append(f"K:{m.group('hp')} (highland pipes) read as A mixolydian (F#, C#)")
    else:
        tonic = m.group("tonic").replace("H", "B")  # German H = B
        alter = {"#": 1, "b": -1, "": 0}[m.group("acc")]
        word = m.group("mode")
        if tonic == "B" and m.group("acc") == "" and word == "n":
            word = ""  # "Bn": B natural
        low = word.lower()
        if low in ("", "exp"):
            mode = "maj"
        elif low == "m":
            mode = "min"
        elif low[:3] in _MODE_WORDS:  # "m" alone was read above: here a word of 3+ letters
            mode = _MODE_WORDS[low[:3]]
        elif low in _CLEF_WORDS:
            mode = "maj"
        elif low == "s" and tonic in "EA":  # German Es / As
            mode, alter = "maj", -1
        else:
            raise ValueError(f"unknown mode {word!r} in key {text!r}")
        if mode in ("lyd", "phr", "loc"):
            warnings.append(f"mode {mode} reduced to {_FOLK_MODE[mode]}")
        n = _MAJOR_SHARPS[tonic] + 7 * alter + _MODE_OFFSET[mode]
        sig = [0] * 7
        if "exp" not in text.lower().split():
            # n sharps go F C G D A E B (then round again: double sharps); -n flats the other way
            order, step = (_SHARP_ORDER, 1) if n > 0 else (_SHARP_ORDER[::-1], -1)
            for i in range(abs(n)):
                sig[LETTERS.index(order[i % 7])] += step
    for am in _ACC_RE.finditer(rest):
        explicit = {"^": 1, "^^": 2, "_": -1, "__": -2, "=": 0}[am.group("acc")]
        sig[LETTERS.index(am.group("letter").upper())] = explicit
    return Key(tonic, alter, mode, tuple(sig), tuple(warnings))


class WrittenKey(NamedTuple):
    """A key to write a folk-rnn tune in: tonic, mode and the transposition from the tokens' C.

    Attributes
    ----------
    name : str
        The ``K:`` value (``D``, ``Ador``, ``Bmin``, ``Gmix``).
    mode : str
        The folk-rnn mode (``maj min dor mix``).
    steps : int
        Letter steps from C to the tonic (``D`` → 1, ``B`` → -1: written below C).
    semis : int
        Semitones from C to the tonic, the same octave as ``steps``.
    signature : tuple of int
        Alteration of each letter ``C D E F G A B`` in the key signature.

    Examples
    --------
    >>> written_key("A", "dor")
    WrittenKey(name='Ador', mode='dor', steps=-2, semis=-3, signature=(0, 0, 0, 1, 0, 0, 0))
    """

    name: str
    mode: str
    steps: int
    semis: int
    signature: tuple[int, ...]


def written_key(text: str, mode: str, *, semis: int | None = None) -> WrittenKey:
    """The key to write a tune of folk-rnn mode ``mode`` in, from a key name.

    ``text`` is a tonic (``D``, ``F#``, ``Bb``: the tune keeps its mode) or a tonic with a
    mode (``Edor``, ``Bm``, ``G mixolydian``), which must be the tune's mode. Key and mode
    names and the signature come from pyabc2. The tune is moved to the tonic nearest C (at most
    a fifth down or a tritone up), or by ``semis`` semitones when that is given (a tune's
    own transposition, to write it back where it was).

    Parameters
    ----------
    text : str
        Key name.
    mode : str
        The tune's folk-rnn mode: ``maj min dor mix``.
    semis : int or None
        Semitones to move the tokens' C by (its octave decides the register).

    Returns
    -------
    WrittenKey

    Raises
    ------
    ValueError
        One line naming the key and the keys the mode allows.

    Examples
    --------
    >>> written_key("D", "maj").name, written_key("Edor", "dor").signature
    ('D', (1, 0, 0, 1, 0, 0, 0))
    >>> written_key("G", "maj", semis=-5).steps
    -3
    >>> written_key("Edor", "maj")
    Traceback (most recent call last):
    ...
    ValueError: key 'Edor' is dorian but the tune is major: give a tonic alone (E) or a major key (Emaj)
    """
    names = {"maj": "major", "min": "minor", "dor": "dorian", "mix": "mixolydian", "lyd": "lydian",
             "phr": "phrygian", "loc": "locrian"}
    if mode not in FOLK_MODES:
        raise ValueError(f"unknown mode {mode!r}: the modes are {', '.join(FOLK_MODES)}")
    m = _KEY_RE.match(text.strip())
    if not text.strip() or m is None or m.group("tonic") is None or m.end() != len(text.strip()):
        raise ValueError(f"unreadable key {text!r}: write a tonic (C D E F G A B, with # or b) "
                         f"and optionally a mode ({', '.join(FOLK_MODES)})")
    tonic = m.group("tonic").replace("H", "B") + m.group("acc")
    try:
        k = parse_key(text.strip())
    except ValueError:
        raise ValueError(f"unreadable key {text!r}: the modes are {', '.join(FOLK_MODES)}") from None
    if m.group("mode") and k.mode != mode:
        raise ValueError(f"key {text!r} is {names.get(k.mode, k.mode)} but the tune is {names[mode]}: "
                         f"give a tonic alone ({tonic}) or a {names[mode]} key ({tonic}{mode})")
    from pyabc2 import Key as _PyKey  # ~75 ms to import: only when writing in a key

    try:
        acc = _PyKey(f"{tonic}{mode}").accidentals
    except (KeyError, ValueError):
        raise ValueError(f"key {tonic}{mode} needs double sharps or flats: choose its enharmonic "
                         f"twin") from None
    sig = tuple({"#": 1, "b": -1}.get(acc.get(letter, ""), 0) for letter in LETTERS)
    li = LETTERS.index(tonic[0])
    pc = NATURAL[li] + k.tonic_alter
    if semis is None:
        octv = -1 if pc > 6 else 0
    else:
        octv = round((semis - pc) / 12)
        if semis != pc + 12 * octv:
            raise ValueError(f"a move of {semis} semitones does not reach the tonic {tonic}")
    return WrittenKey(tonic + ("" if mode == "maj" else mode), mode, li + 7 * octv, pc + 12 * octv, sig)


class Meter(NamedTuple):
    """A meter read from an ``M:`` field.

    Attributes
    ----------
    text : str
        The field's value as written (stripped).
    value : Fraction or None
        Bar length in whole notes (``None`` for free meter).
    token : str
        The folk-rnn meter token: ``M:C``, ``M:C|`` and ``M:2/2`` map to
        ``M:4/4``; free meter gives ``M:none``; others ``M:n/d`` as written.

    Examples
    --------
    >>> parse_meter("C").value
    Fraction(1, 1)
    """

    text: str
    value: Fraction | None
    token: str

    @property
    def numerator(self) -> int:
        """The numerator of :attr:`token` as written (6 for 6/8, not 3), 0 for free meter.

        Examples
        --------
        >>> parse_meter("6/8").numerator, parse_meter("C|").numerator, parse_meter("none").numerator
        (6, 4, 0)
        """
        return int(self.token[2:].partition("/")[0]) if self.value is not None else 0


_METER_RE = _regex.compile(r"\s*\(?\s*(?P<num>\d+(?:\s*\+\s*\d+)*)\s*\)?\s*/\s*(?P<den>\d+)\s*$")


@lru_cache(maxsize=256)
def parse_meter(text: str) -> Meter:
    """Read the value of an ``M:`` field.

    Raises
    ------
    ValueError
        For a value that is not a meter.

    Examples
    --------
    >>> parse_meter("2/2").token, parse_meter("none").token, parse_meter("3/8").token
    ('M:4/4', 'M:none', 'M:3/8')
    """
    t = text.split("%", 1)[0].strip()
    if t in ("C", "c", "C|", "c|"):
        return Meter(t, Fraction(1), "M:4/4")
    if t.lower() in ("none", "") or t.upper().startswith("FREI"):  # Essen: FREI4/4 = free meter
        return Meter(t, None, "M:none")
    m = _METER_RE.match(t)
    if not m:
        raise ValueError(f"unreadable meter {text.strip()!r}")
    num = sum(int(x) for x in m.group("num").split("+"))
    den = int(m.group("den"))
    if den == 0 or num == 0:
        raise ValueError(f"unreadable meter {text.strip()!r}")
    if num == 2 and den == 2:
        return Meter(t, Fraction(1), "M:4/4")
    return Meter(t, Fraction(num, den), f"M:{num}/{den}")


_LENGTH_RE = _regex.compile(r"\s*(\d+)\s*(?:/\s*(\d+))?\s*$")


@lru_cache(maxsize=64)
def parse_length(text: str) -> Fraction:
    """Read the value of an ``L:`` field (the unit note length).

    Raises
    ------
    ValueError
        For a value that is not a positive fraction.

    Examples
    --------
    >>> parse_length("1/16")
    Fraction(1, 16)
    """
    m = _LENGTH_RE.match(text.split("%", 1)[0])
    if not m or int(m.group(1)) == 0 or (m.group(2) is not None and int(m.group(2)) == 0):
        raise ValueError(f"unreadable unit length {text.strip()!r}")
    return Fraction(int(m.group(1)), int(m.group(2) or 1))


def default_length(meter: Meter | None) -> Fraction:
    """The default unit length (ABC 2.1 §3.1.7): 1/16 when the meter is below 3/4, else 1/8.

    Examples
    --------
    >>> default_length(parse_meter("2/4")), default_length(parse_meter("6/8"))
    (Fraction(1, 16), Fraction(1, 8))
    """
    if meter is None or meter.value is None:
        return Fraction(1, 8)
    return Fraction(1, 16) if meter.value < Fraction(3, 4) else Fraction(1, 8)


#: Broken rhythm (ABC 2.1 §4.4): the factors on the lengths of the note before and after
#: ``>``, ``>>``, ``>>>`` and their mirrors ``<`` … (a dotted pair, double and triple dotted).
#: The tokenizer, the normaliser and the bar checker all read it from here.
BROKEN_RHYTHM: dict[str, tuple[Fraction, Fraction]] = {
    ">": (Fraction(3, 2), Fraction(1, 2)),
    ">>": (Fraction(7, 4), Fraction(1, 4)),
    ">>>": (Fraction(15, 8), Fraction(1, 8)),
    "<": (Fraction(1, 2), Fraction(3, 2)),
    "<<": (Fraction(1, 4), Fraction(7, 4)),
    "<<<": (Fraction(1, 8), Fraction(15, 8)),
}


def tuplet_q(p: int, meter_num: int) -> int:
    """The default ``q`` of a tuplet ``(p`` (``p`` notes in the time of ``q``; ABC 2.1 §4.13).

    2, 4 and 8 notes go in the time of 3, 3 and 6 in the time of 2, and 5, 7 and 9 in
    the time of 3 in a compound meter (numerator 6, 9, 12, …), else of 2.

    Parameters
    ----------
    p : int
        The tuplet's number of notes, 2 to 9.
    meter_num : int
        The written numerator of the meter in force (6 for 6/8, see :attr:`Meter.numerator`;
        0 for free meter).

    Examples
    --------
    >>> tuplet_q(3, 6), tuplet_q(2, 4), tuplet_q(5, 6), tuplet_q(5, 4), tuplet_q(5, 3)
    (2, 3, 3, 2, 2)
    """
    if p in (2, 4, 8):
        return 3
    if p in (3, 6):
        return 2
    return 3 if meter_num % 3 == 0 and meter_num > 3 else 2
