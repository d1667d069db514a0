"""Benchmark: building the default corpus (music21's ABC collections), step by step.

Usage::

    python bench/corpus.py [--workers N ...] [--sources SPEC ...] [--no-peer]

Builds the corpus from scratch into a temporary directory (never the cached
default corpus) once per ``--workers`` value (default: 2) and prints, for each
build, the wall time of *convert + store* (reading, tokenising, bar-checking,
deduplicating, SQLite and arrays) and of *index* (the suffix array), tunes per
second, and the peak memory of this process (``ru_maxrss``; worker processes
are not counted).

The peer, in the same run: ``abc2abc`` (abcMIDI's ABC reader/rewriter, C) over
the same files, a process per file — a floor for "read every tune once" with
a compiled parser. The target is a full default build in under 30 s on the
2-core dev machine.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _build(sources: list[str], workers: int) -> dict:
    from folkabc.corpus import build_corpus

    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        report = build_corpus(sources, Path(d) / "corpus", workers=workers, quiet=True)
        wall = time.perf_counter() - t
    return {"wall": wall, **report.to_dict()}


def _peer(sources: list[str]) -> tuple[float, int] | None:
    exe = shutil.which("abc2abc")
    if exe is None:
        return None
    from folkabc.corpus.sources import expand_sources

    paths = [p for s in expand_sources(sources) for p in s.paths]
    t = time.perf_counter()
    for p in paths:
        subprocess.run([exe, str(p)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - t, len(paths)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, nargs="*", default=[2])
    ap.add_argument("--sources", nargs="*", default=["default"])
    ap.add_argument("--no-peer", action="store_true")
    args = ap.parse_args(argv)

    for w in args.workers:
        r = _build(args.sources, w)
        c, s = r["counts"], r["seconds"]
        print(f"folkabc build, {w} worker(s): {r['wall']:.1f} s total "
              f"(convert+store {s['convert_store']:.1f} s, index {s['index']:.1f} s); "
              f"{c['transcriptions']} transcriptions -> {c['tunes']} tunes ({c['duplicates']} duplicates), "
              f"{c['rows']} searchable, {c['tokens']} tokens; "
              f"{c['transcriptions'] / s['convert_store']:.0f} transcriptions/s")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {rss:.0f} MiB")
    if not args.no_peer:
        peer = _peer(args.sources)
        if peer is None:
            print("peer: abc2abc not installed")
        else:
            secs, n = peer
            print(f"peer abc2abc (read + rewrite, a process per file): {secs:.1f} s for {n} files; "
                  f"folkabc full build / abc2abc = {r['wall'] / secs:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
