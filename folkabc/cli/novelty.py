"""``folkabc novelty``: a plagiarism report — which bars and figures of a tune the corpus holds."""

from __future__ import annotations

import argparse

from ._common import example_epilog, path_arg, print_json, read_input, require_text

__all__ = ["ORDER", "add_parser", "run", "read_tunes", "format_report", "nearest_tune", "format_nearest"]

ORDER = 51


def add_parser(subparsers) -> None:
    """Register ``folkabc novelty``."""
    p = subparsers.add_parser(
        "novelty",
        help="plagiarism report: which bars and figures of a tune the corpus already holds",
        description="For each tune of FILE (ABC or a folk-rnn token file): for each bar, how many corpus "
                    "tunes contain its notes and how many at the same bar number; the longest figure "
                    "shared with any corpus tune (tokens, bars, which tunes); and the share of the tune's "
                    "tokens covered by shared n-grams of at least K tokens.",
        epilog=example_epilog("folkabc novelty generated.txt",
                              "folkabc novelty tune.abc --k 12 --json"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", metavar="FILE", help="ABC or folk-rnn token file, or - for stdin")
    p.add_argument("--k", type=int, default=8,
                   help="minimum shared n-gram length for the coverage (default 8)")
    p.add_argument("--max-tunes", type=int, default=5, help="tune ids listed per bar and figure (default 5)")
    p.add_argument("--corpus", type=path_arg, metavar="DIR",
                   help="corpus directory (default: the embedded default corpus)")
    p.add_argument("--json", action="store_true", help="print a JSON list, one report per tune")
    p.set_defaults(func=run)


def read_tunes(text: str, *, path: str | None = None) -> list:
    """The tunes of an ABC or folk-rnn token file: TokenizedTune objects or token lists.

    Examples
    --------
    >>> read_tunes("M:4/4\\nK:Cmaj\\nG, C C 2 |\\n")
    [['M:4/4', 'K:Cmaj', 'G,', 'C', 'C', '2', '|']]
    >>> read_tunes("X:1\\nT:A\\nM:4/4\\nL:1/8\\nK:G\\nDGG2|\\n")[0].tokens[:4]
    ['M:4/4', 'K:Cmaj', 'G', 'c']
    """
    from ..errors import FolkabcError
    from ..tokenfile import is_token_file, read_token_file

    require_text(text, path)
    if is_token_file(text):
        return [toks for toks, _pos, _line in read_token_file(text)]
    from ..tokens import tokenize

    tunes = tokenize(text)
    if not tunes:
        raise FolkabcError("no tune (X:) found", path=path)
    return tunes


def format_report(rep, *, number: int) -> str:
    """Text report of one tune.

    Examples
    --------
    >>> from folkabc.search import BarReport, NoveltyReport
    >>> print(format_report(NoveltyReport("A", 1, 5, 8, 0.0, 0, None, [BarReport(1, ["C", "D"], 0, 0)]),
    ...                     number=1))
    tune 1 'A': 5 tokens, 0.0% covered by shared 8-grams or longer (0 tokens)
      longest shared figure: none
      bar  tunes  same bar  notes
        1      0         0  C D
    """
    name = f"tune {rep.index if rep.index is not None else number}" + (f" {rep.title!r}" if rep.title else "")
    out = [f"{name}: {rep.n_tokens} tokens, {100 * rep.coverage:.1f}% covered by shared "
           f"{rep.k}-grams or longer ({rep.covered} tokens)"]
    lf = rep.longest
    if lf is None:
        out.append("  longest shared figure: none")
    else:
        who = ", ".join(f"#{t}" + (f" {title!r}" if title else "")
                        for t, title in zip(lf.tune_ids, lf.titles or [None] * len(lf.tune_ids)))
        figure = " ".join(lf.tokens[:24]) + (" ..." if lf.length > 24 else "")
        out.append(f"  longest shared figure: {lf.length} tokens, bars {lf.bars[0]}-{lf.bars[1]}, "
                   f"in {lf.tunes} tune{'s' if lf.tunes != 1 else ''}: {who}"
                   + (" ..." if lf.tunes > len(lf.tune_ids) else ""))
        out.append(f"    {figure}")
    out.append("  bar  tunes  same bar  notes")
    for b in rep.bars:
        out.append(f"  {b.bar:>3}  {b.tunes:>5}  {b.same_bar:>8}  {' '.join(b.tokens)}")
    for w in rep.warnings:
        out.append(f"  warning: {w}")
    return "\n".join(out)


def nearest_tune(corpus, tune):
    """The nearest corpus tune (:class:`folkabc.similar.SimilarHit` with all its aligned bars), or None."""
    from ..errors import ParameterError

    try:
        hits = corpus.similar(tune, limit=1, bars=1).hits
    except ParameterError:  # fewer than 2 notes: nothing to align
        return None
    return hits[0] if hits else None


def format_nearest(hit) -> str:
    """The novelty report's closing lines: the nearest corpus tune, its score and the bars it matches.

    Examples
    --------
    >>> from folkabc.similar import AlignedBar, SimilarHit
    >>> bars = [AlignedBar(1, 3, ["C", "D", "|"], ["C", "D", "|"], 2, 2), AlignedBar(2, 4, ["E", "|"], ["F", "|"], 1, 0)]
    >>> print(format_nearest(SimilarHit(0, 0.75, 0, 2.0, 9, "Tune", "demo", bars)))
    <BLANKLINE>
      nearest corpus tune: #9 'Tune' [demo], score 0.750; bars aligned with no note changed: 1~3
    """
    if hit is None:
        return "\n  nearest corpus tune: none"
    same = [f"{b.query_bar}~{b.tune_bar}" for b in hit.bars if b.same == b.notes and b.notes]
    tr = f", transposed {hit.transpose:+d}" if hit.transpose else ""
    return (f"\n  nearest corpus tune: #{hit.tune_id} {hit.title!r} [{hit.source}], score {hit.score:.3f}{tr}; "
            f"bars aligned with no note changed: {' '.join(same) if same else 'none'}")


def run(args) -> int:
    """Run ``folkabc novelty``; 0 when every tune was read."""
    from ..corpus import Corpus
    from ..errors import FolkabcError, ParameterError

    for name, value in (("--k", args.k), ("--max-tunes", args.max_tunes)):
        if value < 1:  # a bad option is one error, not one per tune
            raise ParameterError(f"{name} must be >= 1, got {value}")
    tunes = read_tunes(read_input(args.file), path=args.file)
    corpus = Corpus.open(args.corpus)
    corpus.search_view()  # a missing or broken index is one error, not one per tune
    reports, nearest, failed = [], [], 0
    for n, tune in enumerate(tunes, 1):
        try:
            reports.append(corpus.novelty(tune, k=args.k, max_tunes=args.max_tunes))
            nearest.append(nearest_tune(corpus, tune))
        except FolkabcError as exc:
            if len(tunes) == 1:
                raise
            failed += 1
            reports.append(exc)
            nearest.append(None)
    if args.json:
        print_json([{**r.to_dict(), "nearest": h.to_dict() if h else None} if not isinstance(r, Exception)
                    else {"error": str(r)} for r, h in zip(reports, nearest)])
    else:
        blocks = [format_report(r, number=n) + format_nearest(h) if not isinstance(r, Exception)
                  else f"tune {n}: error: {r}" for n, (r, h) in enumerate(zip(reports, nearest), 1)]
        print("\n\n".join(blocks))
    return 2 if failed == len(tunes) else 1 if failed else 0
