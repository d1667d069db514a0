"""``folkabc tokenize``: ABC → folk-rnn v2 token blocks (or ids, or JSON)."""

from __future__ import annotations

import argparse
import sys

from ._common import example_epilog, print_json, read_input, require_text

__all__ = ["ORDER", "add_parser", "run"]

ORDER = 10


def add_parser(subparsers) -> None:
    """Register ``folkabc tokenize``."""
    p = subparsers.add_parser(
        "tokenize",
        help="ABC → folk-rnn v2 tokens (meter, mode, body)",
        description="Read every X: tune of an ABC file and print it as a folk-rnn v2 block: the meter "
                    "line, the mode line, the body tokens on one line, then a blank line. Tunes that "
                    "cannot be read are reported on stderr, one line each (tune, line, column). Exit 0 "
                    "when every tune converted, 1 when some did not, 2 when none could be read.",
        epilog=example_epilog("folkabc tokenize tunes.abc",
                              "folkabc tokenize --ids tunes.abc",
                              "printf 'X:1\\nM:6/8\\nK:D\\nAFD DFA|\\n' | folkabc tokenize --json -"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", metavar="FILE", help="ABC file, or - for stdin")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--ids", action="store_true", help="print the token ids (one line per tune)")
    out.add_argument("--json", action="store_true",
                     help="print a JSON list (index, title, tokens, error, warnings, …) of every tune")
    p.add_argument("--in-vocab", action="store_true",
                   help="print only tunes whose tokens are all in the 137-token vocabulary")
    p.set_defaults(func=run)


def run(args) -> int:
    """Run ``folkabc tokenize``; 0 all converted, 1 some failed, 2 nothing readable."""
    from ..errors import FolkabcError
    from ..tokens import tokenize, write_folkrnn

    text = read_input(args.file)
    require_text(text, args.file)
    tunes = tokenize(text)
    if not tunes or all(t.error for t in tunes):
        first = tunes[0].error if tunes else "no tunes"
        raise FolkabcError(f"no tune could be read: {first}", path=args.file)
    if args.json:
        print_json([t.to_dict() for t in tunes])
        return 1 if any(t.error for t in tunes) else 0
    failed = 0
    good = []
    for t in tunes:
        if t.error is not None:
            failed += 1
            print(f"folkabc tokenize: {t.error}", file=sys.stderr)
        elif (args.ids or args.in_vocab) and not t.in_vocab:
            failed += 1
            pos, tok = t.oov[0]
            title = f" {t.title!r}" if t.title else ""
            print(f"folkabc tokenize: tune {t.index}{title}: token {tok!r} (position {pos}) is not in the "
                  f"vocabulary ({len(t.oov)} such)", file=sys.stderr)
        else:
            good.append(t)
    if args.ids:
        for t in good:
            print(" ".join(str(int(i)) for i in t.ids))
    else:
        sys.stdout.write(write_folkrnn(t.tokens for t in good))
    return 1 if failed else 0
