"""Fingerprint what the reading core makes of every tune of music21's ABC collections.

For each tune of each ``.abc`` file music21 installs, one digest (the first 4 bytes of a
sha256, 8 hex digits) of

* what :func:`folkabc.tokens.tokenize` makes of the file (the tune's ``to_dict()``: tokens,
  title, warnings, error, transposition, part ends …; its token positions and unit length),
* its :func:`folkabc.check` result (``to_dict()``: findings with bars, lengths, lines and columns,
  pickups, structure), as ``check(text)`` gives it, and
* the reader's events for it (:func:`folkabc.abc.read_body` with ``lenient=True``, as the
  performer reads), with the reading's warnings.

``tests/test_reading_fingerprint.py`` proves the code still gives the digests saved in
``tests/data/reading-fingerprint.tsv``, which were made with main at ``fc43f94`` (before the
tokenize/check speed-up of issues 16 and 18). A deliberate change of behaviour regenerates it::

    PYTHONPATH=$PWD python tools/reading_fingerprint.py --write     # refresh the saved file
    PYTHONPATH=$PWD python tools/reading_fingerprint.py             # compare, list tunes that differ

Each line of the file is ``collection/file.abc<TAB>digest digest …`` (one digest per tune, in order).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAVED = ROOT / "tests" / "data" / "reading-fingerprint.tsv"


def abc_paths() -> list[Path]:
    """Every ``.abc`` file music21 installs, sorted."""
    from music21 import corpus

    return sorted(Path(str(p)) for p in corpus.getCorePaths() if str(p).endswith(".abc"))


def _default(x):
    return repr(x)


def file_digests(text: str) -> list[str]:
    """One digest per tune of an ABC text (see the module docstring)."""
    from folkabc.abc import read_body, split_tunes
    from folkabc.errors import FolkabcError
    from folkabc.tokens import tokenize
    from folkabc.validate import check

    tunes = tokenize(text)
    checks = check(tunes) if tunes else []
    raws = split_tunes(text)
    out = []
    for tt, res, raw in zip(tunes, checks, raws, strict=True):
        try:
            reading = read_body(raw, lenient=True)
            events = [repr(reading.events), reading.warnings, repr(reading.key), repr(reading.meter),
                      str(reading.unit), reading.meter_at]
        except FolkabcError as exc:
            events = ["error", str(exc)]
        blob = json.dumps([tt.to_dict(), tt.positions, str(tt.unit), res.to_dict(), events],
                          default=_default, sort_keys=True, ensure_ascii=False)
        out.append(hashlib.sha256(blob.encode("utf-8")).hexdigest()[:8])
    return out


def fingerprint() -> dict[str, list[str]]:
    """``collection/file.abc`` → the digests of its tunes, for every music21 ABC file."""
    return {f"{p.parent.name}/{p.name}": file_digests(p.read_text(encoding="latin-1")) for p in abc_paths()}


def read_saved(path: Path = SAVED) -> dict[str, list[str]]:
    """The saved fingerprint (see :func:`fingerprint`)."""
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        name, _, digests = line.partition("\t")
        out[name] = digests.split()
    return out


def differences(saved: dict[str, list[str]], now: dict[str, list[str]]) -> list[str]:
    """One line per file or tune whose digest differs (empty when they agree)."""
    out = []
    for name in sorted(set(saved) | set(now)):
        a, b = saved.get(name), now.get(name)
        if a is None or b is None:
            out.append(f"{name}: {'new' if a is None else 'missing'} file")
        elif len(a) != len(b):
            out.append(f"{name}: {len(a)} tunes saved, {len(b)} now")
        else:
            out += [f"{name}: tune {k + 1} (of {len(a)}) differs" for k in range(len(a)) if a[k] != b[k]]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help=f"write {SAVED.relative_to(ROOT)}")
    args = ap.parse_args(argv)
    now = fingerprint()
    if args.write:
        SAVED.write_text("".join(f"{k}\t{' '.join(v)}\n" for k, v in now.items()), encoding="utf-8")
        print(f"wrote {SAVED} ({len(now)} files, {sum(map(len, now.values()))} tunes)")
        return 0
    diff = differences(read_saved(), now)
    print("\n".join(diff) if diff else f"same ({len(now)} files, {sum(map(len, now.values()))} tunes)")
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main())
