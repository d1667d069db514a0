"""Benchmark: ``folkabc check`` against ``abc2midi -c`` on the same ABC files, in one run.

Usage::

    python bench/check.py [COLLECTION ...]     # default: oneills1850 ryansMammoth

For each music21 ABC collection named, it times

* ``abc2midi FILE -c`` run once per file (a process per file, as one uses it), and
* ``folkabc.check(text)`` on the same files, in this process: the whole job
  (reading the ABC, tokenising, counting), and counting alone on tokens
  read beforehand.

It prints tunes per second for each and the ratio folkabc / abc2midi. Each
measurement is the best of ``--repeat`` runs (default 2).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _paths(collections: list[str]) -> list[Path]:
    from music21 import corpus

    every = sorted(Path(str(p)) for p in corpus.getCorePaths() if str(p).endswith(".abc"))
    return [p for p in every if p.parent.name in collections]


def _best(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("collections", nargs="*", default=["oneills1850", "ryansMammoth"])
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args(argv)

    from folkabc.tokens import tokenize
    from folkabc.validate import check

    exe = shutil.which("abc2midi")
    if exe is None:
        print("abc2midi is not installed (apt-get install abcmidi)", file=sys.stderr)
        return 2
    paths = _paths(args.collections)
    texts = [p.read_text(encoding="latin-1") for p in paths]
    n_tunes = sum(t.count("\nX:") + t.startswith("X:") for t in texts)
    print(f"{len(paths)} files, {n_tunes} tunes ({', '.join(args.collections)})")

    def run_abc2midi():
        with tempfile.TemporaryDirectory() as tmp:
            for p in paths:
                subprocess.run([exe, str(p), "-c"], cwd=tmp, capture_output=True, check=False)

    def run_folkabc():
        for t in texts:
            check(t)

    tokenized = [tt for t in texts for tt in tokenize(t)]

    def run_counting():
        check(tokenized)

    t_peer = _best(run_abc2midi, args.repeat)
    t_ours = _best(run_folkabc, args.repeat)
    t_count = _best(run_counting, args.repeat)
    rate_peer, rate_ours, rate_count = n_tunes / t_peer, n_tunes / t_ours, len(tokenized) / t_count
    print(f"abc2midi -c        : {rate_peer:10,.0f} tunes/s  ({t_peer:.2f} s)")
    print(f"folkabc check      : {rate_ours:10,.0f} tunes/s  ({t_ours:.2f} s)  "
          f"ratio {rate_ours / rate_peer:.2f}x")
    print(f"  counting only    : {rate_count:10,.0f} tunes/s  ({t_count:.2f} s)  "
          f"ratio {rate_count / rate_peer:.2f}x  (tokens read beforehand)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
