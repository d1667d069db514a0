"""``folkabc similar``: the nearest corpus tunes of a tune, with scores and aligned bars."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import example_epilog, path_arg, print_json, read_input
from .novelty import read_tunes

__all__ = ["ORDER", "add_parser", "run", "format_result", "read_query_tunes"]

ORDER = 52


def add_parser(subparsers) -> None:
    """Register ``folkabc similar``."""
    p = subparsers.add_parser(
        "similar",
        help="nearest corpus tunes of a tune: transposed, rhythm varied, ornamented or with notes changed",
        description="For each tune of TUNE (an ABC or folk-rnn token file, - for stdin, or a corpus tune id "
                    "such as 1234 or #1234): the corpus tunes nearest to it, each with its score (0..1, the "
                    "share of the tune's notes found in order, after transposition; repeated notes merged, "
                    "rhythm ignored), the transposition, and for the best hits the bars side by side. "
                    "Scores at or above the threshold (default 0.6, see docs/similar.md) mean another setting of the same "
                    "tune. Exit 0 when some "
                    "tune has a hit at or above the threshold, 1 when none has, 2 on bad input.",
        epilog=example_epilog("folkabc similar generated.abc",
                              "folkabc similar 1234 --limit 5",
                              "folkabc similar tune.abc --json --threshold 0.6"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("tune", metavar="TUNE",
                   help="ABC or folk-rnn token file, - for stdin, or a corpus tune id")
    p.add_argument("--limit", type=int, default=5, help="hits listed per tune (default 5)")
    p.add_argument("--threshold", type=float, default=None,
                   help="score that counts as the same tune (default: folkabc.similar.DEFAULT_THRESHOLD, 0.6)")
    p.add_argument("--bars", type=int, default=2, help="hits shown with their aligned bars (default 2)")
    p.add_argument("--figure", action="store_true",
                   help="local alignment: find the query as a figure inside tunes (default: whole tune)")
    p.add_argument("--corpus", type=path_arg, metavar="DIR",
                   help="corpus directory (default: the embedded default corpus)")
    p.add_argument("--json", action="store_true", help="print a JSON list, one result per tune")
    p.set_defaults(func=run)


def read_query_tunes(spec: str, corpus) -> list[tuple[str, list[str], int | None]]:
    """``(name, tokens, corpus row or None)`` for each tune named by ``spec`` (file, ``-`` or a tune id).

    Examples
    --------
    >>> from folkabc.corpus.core import _example_corpus
    >>> read_query_tunes("#1", _example_corpus())
    [("#1 'Tune A'", ['M:6/8', 'K:Cdor', 'C', 'D', 'E', '|'], 0)]
    """
    from ..errors import FolkabcError

    digits = spec[1:] if spec.startswith("#") else spec
    if digits.isdigit() and (spec.startswith("#") or not Path(spec).exists()):
        tid = int(digits)
        row = corpus.row_of(tid)
        if row is None:
            raise FolkabcError(f"no searchable corpus tune with id {tid}")
        return [(f"#{tid} {corpus.tune_at(row).title!r}", corpus.row_tokens(row), row)]
    out = []
    for n, t in enumerate(read_tunes(read_input(spec), path=spec), 1):
        if isinstance(t, list):
            out.append((f"tune {n}", t, None))
        elif t.error is not None:
            raise FolkabcError(f"tune {t.index}: {t.error}", path=spec)
        else:
            out.append((f"tune {t.index}" + (f" {t.title!r}" if t.title else ""), list(t.tokens), None))
    return out


def format_result(name: str, res, *, max_bars: int = 8) -> str:
    """Text report of one query.

    Examples
    --------
    >>> from folkabc.similar import AlignedBar, SimilarHit, SimilarResult
    >>> bar = AlignedBar(1, 1, ["D", "E", "F", "|"], ["C", "D", "E", "|"], 3, 3)
    >>> hit = SimilarHit(0, 1.0, -2, 3.2, 1, "Tune A", "demo", [bar])
    >>> print(format_result("tune 1", SimilarResult(3, 0.5, 1, [hit])))
    tune 1: 3 notes; 1 hit at or above 0.5
      1.000  #1      Tune A [demo]  (-2 semitones)
          bar 1    D E F |                          ~ bar 1    C D E |
    """
    found = sum(h.score >= res.threshold for h in res.hits)
    out = [f"{name}: {res.query_notes} notes; {found} hit{'s' if found != 1 else ''} at or above {res.threshold:g}"]
    for h in res.hits:
        tr = f"  ({h.transpose:+d} semitones)" if h.transpose else ""
        src = f" [{h.source}]" if h.source else ""
        out.append(f"  {h.score:.3f}  #{h.tune_id if h.tune_id is not None else h.row:<6} "
                   f"{h.title or '(untitled)'}{src}{tr}")
        for b in h.bars[:max_bars]:
            q = " ".join(b.query_tokens)
            out.append(f"      bar {b.query_bar:<4} {q:<32} ~ bar {b.tune_bar:<4} {' '.join(b.tune_tokens)}")
        if len(h.bars) > max_bars:
            out.append(f"      ... {len(h.bars) - max_bars} more bars (--json lists all)")
    return "\n".join(out)


def run(args) -> int:
    """Run ``folkabc similar``; 0 when a hit reaches the threshold, 1 when none does."""
    from ..corpus import Corpus
    from ..errors import ParameterError
    from ..similar import DEFAULT_THRESHOLD

    if args.threshold is None:
        args.threshold = DEFAULT_THRESHOLD
    if args.limit < 1:
        raise ParameterError(f"--limit must be >= 1, got {args.limit}")
    if args.bars < 0:
        raise ParameterError(f"--bars must be >= 0, got {args.bars}")
    if not 0 < args.threshold <= 1:
        raise ParameterError(f"--threshold must be in (0, 1], got {args.threshold}")
    corpus = Corpus.open(args.corpus)
    queries = read_query_tunes(args.tune, corpus)
    results = []
    for name, tokens, row in queries:
        res = corpus.similar(tokens, limit=args.limit, threshold=args.threshold, bars=args.bars,
                             local=args.figure, exclude=() if row is None else (row,))
        results.append((name, res))
    if args.json:
        print_json([{"query": name, **res.to_dict()} for name, res in results])
    else:
        print("\n\n".join(format_result(name, res) for name, res in results))
    return 0 if any(res.found for _, res in results) else 1
