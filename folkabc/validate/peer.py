"""abc2midi as a peer: run ``abc2midi FILE -c`` and read its bar-length warnings.

``abc2midi -c`` (Debian package abcmidi) checks bar lengths without writing
MIDI and prints lines such as::

    Warning in line-char 6-30 : Track 0 Bar 3 has 7/2 time units while the time signature has 4

``line`` is 1-based and ``char`` is the 0-based column of the bar line that
closes the bar; lengths are in beats of the meter's denominator; a bar played
again inside a repeat is reported a second time with `` in repeat``. This
module maps the warnings to the file's tunes (by the lines of their ``X:``
fields) so they can be compared with :func:`folkabc.check`.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import FolkabcError
from ..tokens import tokenize
from . import check_tokens
from ._bars import Inexact, segment

__all__ = [
    "Abc2midiWarning", "TuneComparison", "abc2midi_bar_warnings", "compare_with_abc2midi",
    "parse_abc2midi_output", "tune_start_lines",
]

_WARN = re.compile(
    r"Warning in line-char (\d+)-(\d+) : Track \d+ Bar (\d+) has (\S+) time units while the time "
    r"signature has (\S+)( in repeat)?")


@dataclass(frozen=True, slots=True)
class Abc2midiWarning:
    """One bar-length warning: position of the closing bar line (line 1-based, column 1-based)."""

    line: int
    column: int
    bar: int          # abc2midi's own bar counter (0-based, restarts inside repeats)
    actual: str       # in beats, as abc2midi prints it ("7/2")
    expected: str
    in_repeat: bool


def tune_start_lines(text: str) -> list[int]:
    """1-based line numbers of every ``X:`` field in ``text``.

    Examples
    --------
    >>> tune_start_lines("X:1\\nK:C\\nC|\\n\\nX:2\\nK:C\\nD|\\n")
    [1, 5]
    """
    return [i for i, ln in enumerate(text.splitlines(), 1) if ln.startswith("X:")]


def parse_abc2midi_output(output: str, starts: list[int]) -> dict[int, list[Abc2midiWarning]]:
    """Group the bar-length warnings of ``abc2midi -c`` by tune (0-based tune order in the file).

    Parameters
    ----------
    output : str
        What abc2midi printed (stdout).
    starts : list of int
        Lines of the tunes' ``X:`` fields, from :func:`tune_start_lines`.

    Examples
    --------
    >>> out = "Warning in line-char 6-30 : Track 0 Bar 3 has 7/2 time units while the time signature has 4"
    >>> w = parse_abc2midi_output(out, [1, 5])[1][0]
    >>> (w.line, w.column, w.bar, w.actual, w.in_repeat)
    (6, 31, 3, '7/2', False)
    """
    import bisect

    found: dict[int, list[Abc2midiWarning]] = {}
    for m in _WARN.finditer(output):
        line, char = int(m.group(1)), int(m.group(2))
        tune = bisect.bisect_right(starts, line) - 1
        w = Abc2midiWarning(line, char + 1, int(m.group(3)), m.group(4), m.group(5), bool(m.group(6)))
        found.setdefault(max(tune, 0), []).append(w)
    return found


def abc2midi_bar_warnings(path: str | Path, *, ignore_fermata: bool = True,
                          timeout: float = 60.0) -> dict[int, list[Abc2midiWarning]]:
    """Run ``abc2midi PATH -c`` and return its bar-length warnings by tune (0-based order).

    With ``ignore_fermata`` (the default) abc2midi also gets ``-NFER``: by
    default it plays a note under a fermata (``H``, ``!fermata!``) twice as
    long and counts that longer note in the bar, which is wrong for checking
    the written bar lengths.

    Raises
    ------
    FolkabcError
        abc2midi is not installed, or did not finish within ``timeout`` seconds.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "t.abc").write_text("X:1\\nT:t\\nM:2/4\\nL:1/8\\nK:G\\nGABc|GAB|GABc|d4|]\\n")
    >>> [(w.line, w.column, w.actual) for w in abc2midi_bar_warnings(d / "t.abc")[0]]  # doctest: +SKIP
    [(6, 9, '3/2')]
    """
    exe = shutil.which("abc2midi")
    if exe is None:
        raise FolkabcError("abc2midi is not installed (Debian package abcmidi)")
    path = Path(path).resolve()
    text = path.read_text(encoding="latin-1")
    with tempfile.TemporaryDirectory() as tmp:  # abc2midi writes barloc.txt into its working folder
        try:
            proc = subprocess.run([exe, str(path), "-c"] + (["-NFER"] if ignore_fermata else []), cwd=tmp, capture_output=True, text=True,
                                  errors="replace", timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise FolkabcError(f"abc2midi did not finish in {timeout} s", path=str(path)) from exc
    return parse_abc2midi_output(proc.stdout + proc.stderr, tune_start_lines(text))


@dataclass(slots=True)
class TuneComparison:
    """folkabc's and abc2midi's miscounted bars for one tune, as sets of closing bar-line positions.

    ``ours`` holds the (line, column) of the bar line closing each bar that
    folkabc finds short or long; ``theirs`` the same for abc2midi's warnings
    (repeat-pass duplicates removed). ``skipped`` holds folkabc's findings on
    bars abc2midi never checks by design (the tune's first and last written
    bar); they are left out of ``ours``.
    """

    index: int
    title: str | None
    ours: set[tuple[int, int]]
    theirs: set[tuple[int, int]]
    skipped: set[tuple[int, int]]

    @property
    def agree(self) -> bool:
        """True when both find the same miscounted bars (or both none)."""
        return self.ours == self.theirs


def compare_with_abc2midi(path: str | Path, *, ignore_fermata: bool = True) -> list[TuneComparison]:
    """Check every tune of an ABC file with folkabc and with ``abc2midi -c`` and pair the results.

    Both sides name a miscounted bar by the bar line that closes it. abc2midi
    carries a short bar that ends at ``||``, ``:|``, ``|:`` or ``|1`` on into the
    next bar played and reports the sum at *that* bar's closing bar line; such
    a warning is mapped back to the short bar it started from when folkabc
    reports that bar. Tunes folkabc cannot read are left out.

    Raises
    ------
    FolkabcError
        abc2midi is missing.
    """
    path = Path(path)
    text = path.read_text(encoding="latin-1")
    warnings = abc2midi_bar_warnings(path, ignore_fermata=ignore_fermata)
    out: list[TuneComparison] = []
    for k, tt in enumerate(tokenize(text)):
        if tt.error is not None:
            continue
        try:
            res = check_tokens(tt.tokens, positions=tt.positions, index=tt.index, title=tt.title,
                               part_ends=tt.part_ends)
            bars = segment(tt.tokens, start=2, hard_at=tt.part_ends).bars
        except (FolkabcError, Inexact):  # Inexact: check_tokens needed a finer grid than segment's default
            continue
        ends = [tuple(tt.positions[b.end]) if b.end < len(tt.positions) else None for b in bars]
        ours, skipped = set(), set()
        for f in res.findings:
            if f.kind not in ("short", "long"):
                continue
            where = (f.end_line, f.end_column)
            # abc2midi never checks the tune's first bar, nor a short last bar
            last_soft = bars and bars[-1].length < bars[-1].expected and (
                bars[-1].close is None or bars[-1].close.hard or bars[-1].close.start_repeat)
            if f.end_line is None or (bars and where == ends[0]) or (last_soft and where == ends[-1]):
                skipped.add(where)
            else:
                ours.add(where)
        theirs = set()
        for w in warnings.get(k, []):
            theirs |= _map_back((w.line, w.column), w.in_repeat, bars, ends, ours)
        out.append(TuneComparison(tt.index, tt.title, ours, theirs, skipped))
    return out


def _map_back(where, in_repeat, bars, ends, ours) -> set:
    """The bars folkabc reports among those abc2midi merged into the one it reports."""
    if where in ends:
        j = ends.index(where)
    elif in_repeat:
        # reported at a bar line that closes no bar (an opening ``|``): the bar after it
        later = [k for k, e in enumerate(ends) if e is not None and e > where]
        if not later:
            return {where}
        j = later[0]
    else:
        return {where}
    cands = []
    i = j - 1
    while i >= 0 and bars[i].close is not None and _soft(bars[i].close) and bars[i].length < bars[i].expected:
        cands.append(i)
        i -= 1
    if in_repeat or j == 0 or (bars[j].open is not None and bars[j].open.start_repeat):
        # the bar before the :| that jumps back here
        for i in range(j, len(bars)):
            if bars[i].close is not None and bars[i].close.end_repeat:
                cands.append(i)
                break
    found = {ends[i] for i in cands if ends[i] in ours}
    if where in ours or not found:
        found.add(where)
    return found


def _soft(sign) -> bool:
    return sign.hard or sign.end_repeat or sign.start_repeat or bool(sign.ending)
