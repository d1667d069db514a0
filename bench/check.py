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


def _measure(paths: list[Path], exe: str, repeat: int) -> tuple[int, float, float, float]:
    from folkabc.tokens import tokenize
    from folkabc.validate import check

    texts = [p.read_text(encoding="latin-1") for p in paths]

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

    return (len(tokenized), _best(run_abc2midi, repeat), _best(run_folkabc, repeat),
            _best(run_counting, repeat))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("collections", nargs="*", default=["oneills1850", "ryansMammoth"])
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args(argv)

    exe = shutil.which("abc2midi")
    if exe is None:
        print("abc2midi is not installed (apt-get install abcmidi)", file=sys.stderr)
        return 2
    totals = [0, 0.0, 0.0, 0.0]
    print(f"{'collection':14} {'files':>6} {'tunes':>6} | {'abc2midi -c':>12} | {'folkabc check':>13} "
          f"{'ratio':>6} | {'counting only':>13} {'ratio':>6}   (tunes/s)")
    for coll in args.collections:
        paths = _paths([coll])
        n, t_peer, t_ours, t_count = _measure(paths, exe, args.repeat)
        for k, v in enumerate((n, t_peer, t_ours, t_count)):
            totals[k] += v
        _row(coll, len(paths), n, t_peer, t_ours, t_count)
    if len(args.collections) > 1:
        _row("all", sum(len(_paths([c])) for c in args.collections), *totals)
    return 0


def _row(name: str, files: int, n: int, t_peer: float, t_ours: float, t_count: float) -> None:
    peer, ours, count = n / t_peer, n / t_ours, n / t_count
    print(f"{name:14} {files:6d} {n:6d} | {peer:12,.0f} | {ours:13,.0f} {ours / peer:5.2f}x | "
          f"{count:13,.0f} {count / peer:5.2f}x")


if __name__ == "__main__":
    sys.exit(main())
