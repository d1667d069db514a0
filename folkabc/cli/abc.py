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
                              "echo 'M:6/8 K:Cmaj |: G, C C 2 E | D 3 C 3 :|' | folkabc abc --key D -",
                              "folkabc tokenize --json reel.abc | folkabc abc --key original -"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", metavar="FILE",
                   help="folk-rnn token file, or the JSON of folkabc tokenize --json, or - for stdin")
    p.add_argument("--key", default=None, metavar="KEY",
                   help="write in this key: a tonic (D, Bb: the tune keeps its mode), a key of the tune's "
                        "mode (Edor, Bmin, Gmix), or 'original' (tokenize --json input: each tune's own key)")
    p.add_argument("--title", default=None, help="title of every tune (default 'Tune N')")
    p.add_argument("--json", action="store_true", help="print a JSON list of {index, title, tokens, abc}")
    p.set_defaults(func=run)


def run(args) -> int:
    """Run ``folkabc abc``; 0 ok, 1 when some blocks are not token sequences (the rest are written), 2 when none is."""
    from ..errors import FolkabcError
    from ..tokenfile import read_token_file
    from ..tokens import detokenize, original_key, read_tokenize_json

    text = read_input(args.file)
    rows = read_tokenize_json(text)
    if rows is None:
        if args.key == "original":
            raise FolkabcError("--key original: folk-rnn tokens carry no key (they are in C); give a key, "
                               "or the JSON of folkabc tokenize --json, which records each tune's key",
                               path=args.file)
        rows = [{"tokens": b.tokens} for b in read_token_file(text)]
    seqs = [r["tokens"] for r in rows]
    if not seqs:
        raise FolkabcError("no token blocks in the input", path=args.file)
    out: list[str | None] = []
    errors: list[FolkabcError] = []
    titles: list[str | None] = []
    for i, (s, row) in enumerate(zip(seqs, rows), 1):
        index = row.get("index", i)
        title = args.title or row.get("title")
        titles.append(title or f"Tune {index}")
        try:
            key, transpose = args.key, None
            if key == "original":
                key, transpose = original_key(row["key"], s[1] if len(s) > 1 else ""), row["transpose"]
            out.append(detokenize(s, title=title, index=index, key=key, transpose=transpose,
                                  part_ends=row.get("part_ends") or ()))
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
        print_json([{"index": r.get("index", i), "title": title, "tokens": " ".join(s), "abc": abc}
                    for i, (r, title, s, abc) in enumerate(zip(rows, titles, seqs, out), 1)])
    else:
        sys.stdout.write("\n".join(abc for abc in out if abc is not None))
    if errors:
        print(f"folkabc abc: {len(seqs) - len(errors)} of {len(seqs)} blocks written, {len(errors)} failed",
              file=sys.stderr)
        return 1
    return 0

