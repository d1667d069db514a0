"""``folkabc search``: find a figure (tokens or ABC) in the corpus, with counts, bars and positions."""

from __future__ import annotations

import sys

import argparse

from ._common import example_epilog, path_arg, print_json

__all__ = ["query_is_abc", "ORDER", "add_parser", "run", "format_result"]

ORDER = 50


def add_parser(subparsers) -> None:
    """Register ``folkabc search``."""
    p = subparsers.add_parser(
        "search",
        help="find a figure in the corpus (counts, tunes, bars, positions)",
        description="Find every occurrence of a figure in the corpus. QUERY is tokens separated by spaces "
                    "(\"G, C C 2\") or plain ABC (\"G,CC2 G,CEC\", read in the key of --key and transposed "
                    "to C like the corpus). Prints the number of tunes containing it and of occurrences, "
                    "then each match: tune id, title, source, bar (pickup = bar 0), offset in the bar "
                    "(in tokens from the bar's first token; its time in units of L in brackets) and the "
                    "bar itself. Exit 0 when found, 1 when "
                    "not, 2 on a bad query.",
        epilog=example_epilog('folkabc search "G, C C 2"',
                              'folkabc search "G, C C 2" --same-position 1:0 --limit 5',
                              'folkabc search "G, C C 2 G, C E C |" --meter 4/4 --json',
                              'folkabc search "GAB cBA" --key G --source oneills1850'),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("query", metavar="QUERY", help="tokens separated by spaces, or ABC notes")
    p.add_argument("--key", default="C", help="key of an ABC query (default C)")
    p.add_argument("--match", choices=("exact", "pitch", "interval", "contour"), default="exact",
                   help="exact tokens (default); pitch: the notes, durations removed and repeats merged; "
                        "interval: the steps between them in semitones (any key); contour: up/down only")
    p.add_argument("--same-position", metavar="BAR[:OFFSET]",
                   help="only matches starting in this bar (and at this token offset in it)")
    p.add_argument("--meter", help="only tunes in this meter, e.g. 6/8")
    p.add_argument("--mode", help="only tunes in this mode: maj, min, dor or mix")
    p.add_argument("--source", help="only tunes from this source, e.g. oneills1850")
    p.add_argument("--limit", type=int, default=20, help="most matches listed (default 20; 0 = counts only)")
    p.add_argument("--all", action="store_true", help="list every match (no limit)")
    p.add_argument("--corpus", type=path_arg, metavar="DIR",
                   help="corpus directory (default: the embedded default corpus)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def format_result(res) -> str:
    """The text report: a count line, then one line per listed match.

    Examples
    --------
    >>> from folkabc.search import Match, SearchResult
    >>> m = Match(7, 6, 5, 1, 1, "The Kesh", "oneills1850", ["G,", "C", "C", "2", "|"], onset=1)
    >>> print(format_result(SearchResult(["C", "C"], 1, 3, [m], approx=True, limit=1)))
    'C C': 3 occurrences in 1 tune
      #7      The Kesh [oneills1850]: bar 1, offset 1 (1 L):  G, C C 2 |
      ... 2 more (use --limit N or --all)
    """
    q = " ".join(res.query_tokens)
    out = [f"{q!r}: {res.occurrences} occurrence{'s' if res.occurrences != 1 else ''} "
           f"in {res.tunes} tune{'s' if res.tunes != 1 else ''}"]
    for m in res.matches:
        title = m.title or "(untitled)"
        src = f" [{m.source}]" if m.source else ""
        onset = f" ({m.onset:g} L)" if m.onset else ""
        out.append(f"  #{m.tune_id:<6} {title}{src}: bar {m.bar}, offset {m.offset}{onset}:  "
                   f"{' '.join(m.bar_tokens)}")
    if res.approx and res.matches:
        out.append(f"  ... {res.occurrences - len(res.matches)} more (use --limit N or --all)")
    return "\n".join(out)


def run(args) -> int:
    """Run ``folkabc search``; 0 found, 1 not found."""
    from ..errors import ParameterError

    if args.limit < 0:
        raise ParameterError(f"--limit must be >= 0, got {args.limit}")
    as_abc = query_is_abc(args.query)
    res = _search_mapped(args)
    if res is None:  # filters, another --match, or a corpus to build, check or report on: the full reader
        from ..corpus.core import Corpus

        corpus = Corpus.open(args.corpus)
        if args.match != "exact":
            res = _search_notes(corpus, args)
        else:
            res = corpus.search(args.query, key=args.key, same_position=args.same_position,
                                meter=args.meter, mode=args.mode, source=args.source,
                                limit=None if args.all else args.limit)
    if as_abc:  # say how the query was read
        print(f"folkabc search: query read as ABC in {args.key}; searched the tokens: "
              f"{' '.join(res.query_tokens)}", file=sys.stderr)
    if args.json:
        print_json(res.to_dict())
    else:
        print(format_result(res))
    return 0 if res.occurrences else 1


def _search_mapped(args):
    """An exact search without filters on a corpus in order, through memory maps (no numpy); None otherwise.

    A one-shot search is mostly start-up: this path imports neither numpy nor the corpus
    builder (:class:`folkabc.corpus.mapped.MappedCorpus`). A token query needs no tokenizer
    either; an ABC query loads the reader to read it.
    """
    from ..corpus.mapped import MappedCorpus
    from ..search.tokenquery import token_query

    if args.match != "exact" or args.same_position or args.meter or args.mode or args.source:
        return None
    mapped = MappedCorpus.open(args.corpus)
    if mapped is None:
        return None
    tokens = token_query(args.query)
    if tokens is None:
        from ..search.query import parse_query

        tokens = parse_query(args.query, key=args.key)
    return mapped.search(tokens, limit=None if args.all else args.limit)


_NOTE_LETTERS = set("ABCDEFGabcdefgzxZ")


def query_is_abc(query: str) -> bool:
    """True when ``query`` is read as ABC notes (some piece is no token shape), False for tokens.

    Raises
    ------
    ParameterError
        When token-shaped pieces are mixed with a symbol that is neither a token nor an ABC
        note (``G E D H``: ABC would read ``H`` as a fermata), naming the symbol.

    Examples
    --------
    >>> query_is_abc("G, C C 2"), query_is_abc("GAB cBA"), query_is_abc("GAB Hc")
    (False, True, True)
    >>> query_is_abc("G E D H")
    Traceback (most recent call last):
    ...
    folkabc.errors.ParameterError: query 'G E D H': 'H' (piece 4) is neither a folk-rnn token nor an ABC note; write tokens ("G E D B") or ABC notes ("GED")
    """
    from ..errors import ParameterError
    from ..search.tokenquery import is_token_shaped

    pieces = query.split()
    shaped = [is_token_shaped(p) for p in pieces]
    if all(shaped):
        return False
    if any(shaped):
        for k, (p, ok) in enumerate(zip(pieces, shaped), 1):
            bad = next((c for c in p if c.isalpha() and c not in _NOTE_LETTERS), None) if not ok else None
            if bad is not None:
                raise ParameterError(f"query {query[:60]!r}: {bad!r} (piece {k}) is neither a folk-rnn token nor "
                                     f"an ABC note; write tokens (\"G E D B\") or ABC notes (\"GED\")")
    return True


def _search_notes(corpus, args):
    """``--match pitch|interval|contour``: :func:`folkabc.similar.find_figure`, listed like exact matches."""
    import numpy as np

    from ..errors import ParameterError
    from ..search import Match, SearchResult, parse_query
    from ..search.figures import bar_tokens
    from ..similar import find_figure

    if args.same_position:
        raise ParameterError(f"--same-position works with --match exact only, not --match {args.match}")
    tokens = parse_query(args.query, key=args.key)
    mask = corpus.mask(meter=args.meter, mode=args.mode, source=args.source) \
        if (args.meter or args.mode or args.source) else None
    rows, positions = find_figure(corpus.rep_index, tokens, args.match, rows_mask=mask)
    index = corpus.index
    limit = None if args.all else args.limit
    view = corpus.search_view()  # titles and sources read for the listed rows only
    matches = []
    for row, pos in zip(rows[:limit].tolist(), positions[:limit].tolist()):
        at = int(index.offsets[row]) + pos
        bar = int(index.bars[at])
        matches.append(Match(int(corpus.tune_ids[row]), row, pos, bar, int(index.bar_offsets[at]),
                             *view.describe(row), bar_tokens(index, row, bar)))
    return SearchResult(tokens, int(len(np.unique(rows))), int(len(rows)), matches,
                        approx=limit is not None and len(rows) > limit, limit=limit)
