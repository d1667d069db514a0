"""Benchmark: ``folkabc.tokenize`` (abc → tokens) against music21's ABC parsing, in one run.

Usage::

    python bench/tokens.py [--sample 150] [--repeat 2]

It reads every ABC file of the music21 collections (O'Neill's, Ryan's, Aird's,
misc folk, Essen) into memory, then times, on one core:

* ``folkabc.tokenize(text)`` over all of them (whole job: splitting the tunebook,
  reading headers and bodies, transposing, spelling tokens), best of ``--repeat``;
* ``folkabc.detokenize`` of every converted tune (tokens → ABC);
* ``music21.converter.parse(tune, format="abc")`` on ``--sample`` of the same
  tunes (evenly spaced), one tune at a time.

It prints tunes per second for each and the ratio folkabc / music21.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

COLLECTIONS = ("oneills1850", "ryansMammoth", "airdsAirs", "miscFolk", "essenFolksong")


def _texts() -> list[str]:
    from music21 import corpus

    paths = sorted(Path(str(p)) for p in corpus.getCorePaths()
                   if str(p).endswith(".abc") and Path(str(p)).parent.name in COLLECTIONS)
    return [p.read_text(encoding="latin-1") for p in paths]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", type=int, default=150, help="tunes parsed by music21 (default 150)")
    ap.add_argument("--repeat", type=int, default=2, help="runs of the folkabc timing (best is kept)")
    args = ap.parse_args()

    from folkabc.tokens import detokenize, tokenize

    texts = _texts()
    best = float("inf")
    tunes = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        tunes = [t for text in texts for t in tokenize(text)]
        best = min(best, time.perf_counter() - t0)
    n = len(tunes)
    ok = [t for t in tunes if t.error is None]
    t0 = time.perf_counter()
    for t in ok:
        detokenize(t.tokens)
    det = time.perf_counter() - t0
    fk_rate = n / best
    print(f"folkabc tokenize : {n} tunes in {best:.2f} s = {fk_rate:,.0f} tunes/s "
          f"({sum(len(t.tokens) for t in ok) / best:,.0f} tokens/s)")
    print(f"folkabc detokenize: {len(ok)} tunes in {det:.2f} s = {len(ok) / det:,.0f} tunes/s")

    from music21 import converter

    step = max(1, len(ok) // args.sample)
    sample = ok[::step][: args.sample]
    t0 = time.perf_counter()
    parsed = 0
    for t in sample:
        try:
            converter.parse(t.abc, format="abc", forceSource=True)
            parsed += 1
        except Exception:  # noqa: BLE001 - music21 fails on some tunes; count only what it parsed
            pass
    m21 = time.perf_counter() - t0
    m21_rate = len(sample) / m21
    # folkabc on exactly the same sample, tune by tune, for a like-for-like ratio
    t0 = time.perf_counter()
    for t in sample:
        tokenize(t.abc)
    same = time.perf_counter() - t0
    print(f"music21 parse    : {len(sample)} tunes ({parsed} parsed) in {m21:.2f} s "
          f"= {m21_rate:,.1f} tunes/s")
    print(f"folkabc on the same {len(sample)} tunes: {len(sample) / same:,.0f} tunes/s")
    print(f"ratio folkabc / music21: {fk_rate / m21_rate:,.0f}x (whole collections), "
          f"{(len(sample) / same) / m21_rate:,.0f}x (same sample)")


if __name__ == "__main__":
    main()
