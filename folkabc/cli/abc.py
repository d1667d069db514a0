"""``folkabc abc``: folk-rnn token blocks → ABC tunes."""

from __future__ import annotations

import argparse
import sys

from ._common import example_epilog, print_json, read_input

__all__ = ["ORDER", "add_parser", "run"]

ORDER = 11


def add_parser(subparsers) -> None:
    """Register ``folkabc abc``."""
    p = subparsers.add_parser(
        "abc",
        help="folk-rnn tokens → ABC",
        description="Turn folk-rnn v2 token blocks (meter line, mode line, body line; blank line between "
                    "blocks) into complete ABC tunes (X:, T:, M:, L:1/8, K:C…), beamed by beat.",
        epilog=example_epilog("folkabc abc generated.txt > generated.abc",
                              "echo 'M:6/8 K:Cmaj |: G, C C 2 E | D 3 C 3 :|' | folkabc abc -"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", metavar="FILE", help="folk-rnn token file, or - for stdin")
    p.add_argument("--title", default=None, help="title of every tune (default 'Tune N')")
    p.add_argument("--json", action="store_true", help="print a JSON list of {index, title, tokens, abc}")
    p.set_defaults(func=run)


def run(args) -> int:
    """Run ``folkabc abc``; 0 ok, 1 when some blocks are not token sequences (the rest are written), 2 when none is."""
    from ..errors import FolkabcError
    from ..tokenfile import read_token_file
    from ..tokens import detokenize

    text = read_input(args.file)
    seqs = [b.tokens for b in read_token_file(text)]
    if not seqs:
        raise FolkabcError("no token blocks in the input", path=args.file)
    out: list[str | None] = []
    errors: list[FolkabcError] = []
    for i, s in enumerate(seqs, 1):
        try:
            out.append(detokenize(s, title=args.title, index=i))
        except FolkabcError as exc:  # ~2% of generated tunes are ungrammatical: report it, write the rest
            if exc.tune is None:
                exc.tune = i
            out.append(None)
            errors.append(exc)
    if len(errors) == len(seqs):
        raise FolkabcError(f"no block could be written as ABC ({len(errors)} failed; first: {errors[0]})",
                           path=None if args.file == "-" else args.file)
    for exc in errors:
        where = "" if args.file == "-" or exc.path else f"{args.file}: "
        print(f"folkabc abc: {where}{exc}", file=sys.stderr)
    if args.json:
        print_json([{"index": i, "title": args.title or f"Tune {i}", "tokens": " ".join(s), "abc": abc}
                    for i, (s, abc) in enumerate(zip(seqs, out), 1)])
    else:
        sys.stdout.write("\n".join(abc for abc in out if abc is not None))
    if errors:
        print(f"folkabc abc: {len(seqs) - len(errors)} of {len(seqs)} blocks written, {len(errors)} failed",
              file=sys.stderr)
        return 1
    return 0
