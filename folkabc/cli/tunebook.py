"""``folkabc tunebook``: one self-contained HTML page with notation, sound and checks."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ._common import example_epilog, name_input, path_arg, print_json, read_input

__all__ = ["ORDER", "add_parser"]

ORDER = 71


def add_parser(subparsers) -> None:
    """Register ``folkabc tunebook``."""
    p = subparsers.add_parser(
        "tunebook",
        help="write an HTML tunebook (notation, play button, bar check, novelty)",
        description="Write one HTML page, usable offline, with each tune's title, notation, a play "
        "button, the bar check and (when the default corpus is built, or --corpus is given) "
        "a novelty summary.",
        epilog=example_epilog("folkabc tunebook tunes.abc -o book.html"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", help="ABC file or folk-rnn token file ('-' for stdin)")
    p.add_argument("-o", "--output", type=path_arg, default=None,
                   help="the HTML file (default: FILE's name with .html)")
    p.add_argument("--title", default=None, help="page heading (default: the file name)")
    p.add_argument("--corpus", type=path_arg, default=None, help="corpus folder for the novelty summary")
    p.add_argument("--no-novelty", action="store_true", help="leave the novelty summary out")
    p.add_argument("--key", default=None, metavar="KEY",
                   help="write the tunes in this key: a tonic (D, Bb: each tune keeps its mode), a key of their "
                        "mode (Ador), or 'original' (the JSON of tokenize --json: each tune's own key); ABC in "
                        "another key is read into tokens first (chord symbols and decorations are dropped)")
    p.add_argument("--json", action="store_true", help="print what went into the page as JSON")
    p.set_defaults(func=run)


def run(args) -> int:
    """Write the page; exit 1 when some tunes could not be rendered."""
    from ..errors import RenderError
    from ..render import write_tunebook

    text = read_input(args.file)
    if args.key is not None:
        from ..tokens import abc_in_key

        text = abc_in_key(text, args.key)
    stem = Path(args.file).stem if args.file != "-" else "tunebook"
    out = args.output or f"{stem}.html"
    corpus = False if args.no_novelty else args.corpus
    try:
        report = write_tunebook(text, out, title=args.title or stem, corpus=corpus)
    except RenderError as exc:
        raise name_input(exc, args.file)
    if report.tunes and not report.rendered:  # exit 2: one line, naming the first failure
        label, message = report.failures[0] if report.failures else ("?", "not rendered")
        more = f" ({len(report.failures)} failed)" if len(report.failures) > 1 else ""
        raise name_input(RenderError(f"no tune could be rendered{more}: tune {label}: {message} "
                                     f"(the page {report.path} lists them)"), args.file)
    if args.json:
        print_json(report.to_dict())
    else:
        print(f"{report.path}: {report.rendered} of {report.tunes} tune(s) rendered")
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)
    for label, message in report.failures:
        print(f"folkabc tunebook: tune {label}: {message}", file=sys.stderr)
    return 1 if report.failures else 0
