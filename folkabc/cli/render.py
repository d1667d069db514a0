"""``folkabc render``: notation, MIDI or MusicXML per tune; PDF or HTML for the whole file."""

from __future__ import annotations

import sys
from pathlib import Path

from ._common import example_epilog, name_input, path_arg, print_json, read_input

__all__ = ["ORDER", "add_parser"]

ORDER = 70


def add_parser(subparsers) -> None:
    """Register ``folkabc render``."""
    from ..render import FORMATS

    p = subparsers.add_parser(
        "render",
        help="render tunes as SVG, PNG, PDF, MIDI, MusicXML or an HTML tunebook",
        description="Render every tune of an ABC file or folk-rnn token file: one file per tune "
        "(svg, png, midi, musicxml) named from its index and title, or one file for the "
        "whole input (pdf, html). A tune that fails is reported and the others are written.",
        epilog=example_epilog("folkabc render tunes.abc --to svg -o out/",
                              "folkabc render tune.abc --to midi -o tune.mid",
                              "folkabc render tunes.abc --to pdf -o book.pdf"),
        formatter_class=__import__("argparse").RawDescriptionHelpFormatter,
    )
    p.add_argument("file", help="ABC file or folk-rnn token file ('-' for stdin)")
    p.add_argument("--to", required=True, metavar="FORMAT", help=f"one of: {', '.join(FORMATS)}")
    p.add_argument("-o", "--output", type=path_arg, default=None,
                   help="output file (one tune, or pdf/html) or folder (default: current folder)")
    p.add_argument("--width", type=int, default=None, help="PNG width in pixels")
    p.add_argument("--key", default=None, metavar="KEY",
                   help="write the tunes in this key: a tonic (D, Bb: each tune keeps its mode), a key of their "
                        "mode (Ador), or 'original' (the JSON of tokenize --json: each tune's own key); ABC in "
                        "another key is read into tokens first (chord symbols and decorations are dropped)")
    p.add_argument("--json", action="store_true", help="print the files written and the failures as JSON")
    p.set_defaults(func=run)


def run(args) -> int:
    """Render and list the written files; exit 1 when some tunes failed."""
    from ..errors import RenderError
    from ..render import render_tunes

    text = read_input(args.file)
    if args.key is not None:
        from ..tokens import abc_in_key

        text = abc_in_key(text, args.key)
    stem = Path(args.file).stem if args.file != "-" else "tunes"
    try:
        report = render_tunes(text, to=args.to, out=args.output, stem=stem, width=args.width)
    except RenderError as exc:
        raise name_input(exc, args.file)
    if report.failures and not report.written:  # exit 2: one line, naming the first failure
        label, message = report.failures[0]
        more = f" ({len(report.failures)} failed)" if len(report.failures) > 1 else ""
        raise name_input(RenderError(f"no tune could be rendered{more}: tune {label}: {message}"), args.file)
    if args.json:
        print_json(report.to_dict())
    else:
        for path in report.written:
            print(path)
    for label, message in report.failures:
        print(f"folkabc render: tune {label}: {message}", file=sys.stderr)
    if report.failures:
        print(f"{len(report.written)} written, {len(report.failures)} tune(s) failed", file=sys.stderr)
        return 1
    return 0
