"""``folkabc demo``: the main job on the embedded defaults (see :mod:`folkabc.demo`)."""

from __future__ import annotations

import sys

from ..shipped import MODEL_HELP
from ._common import example_epilog, path_arg, print_json

ORDER = 1


def add_parser(sub) -> None:
    p = sub.add_parser(
        "demo",
        help="run the main job on the embedded corpus and model, writing a tunebook to a folder",
        description="Tokenise and check the example tunes, search the default corpus for their opening "
                    "figures, generate tunes with the default model, check them, report their novelty, "
                    "and write a tunebook (HTML), notation (SVG), MIDI and a summary.",
        epilog=example_epilog("folkabc demo -o out", "folkabc demo -o out -n 8 --seed 7", "folkabc demo -o out --json"),
        formatter_class=__import__("argparse").RawDescriptionHelpFormatter,
    )
    p.add_argument("-o", "--out", type=path_arg, default="out", help="output folder (default: out)")
    p.add_argument("-n", type=int, default=4, help="tunes to generate (default: 4)")
    p.add_argument("--seed", type=int, default=1, help="generation seed (default: 1)")
    p.add_argument("--meter", default=None,
                   help="meter of the generated tunes, e.g. 6/8 (default: the model's choice)")
    p.add_argument("--mode", default=None,
                   help="mode of the generated tunes, e.g. Cdor (default: the model's choice)")
    p.add_argument("--key", default=None, metavar="KEY",
                   help="write the generated tunes in this key: a tonic (D, Bb) or a key of their mode (Ador)")
    p.add_argument("--corpus", type=path_arg, default=None,
                   help="corpus folder (default: the embedded default corpus)")
    p.add_argument("--model", type=path_arg, metavar="MODEL", default=None, help=MODEL_HELP)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true",
                   help="print the whole report (examples, generated tunes, files) as JSON")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..demo import DEMO_STEPS, run_demo

    show = not args.quiet and sys.stderr.isatty()
    total = len(DEMO_STEPS)

    def progress(name: str) -> None:
        if show:
            done = DEMO_STEPS.index(name) + 1
            sys.stderr.write(f"\rfolkabc demo [{'#' * done}{'.' * (total - done)}] {name:<10}")
            sys.stderr.flush()

    report = run_demo(args.out, n=args.n, seed=args.seed, meter=args.meter, mode=args.mode, corpus=args.corpus, model=args.model,
                      quiet=args.quiet, progress=progress, key=args.key)
    if show:
        sys.stderr.write("\n")
    if args.json:
        print_json(report)
        return 0
    print(report.summary(), end="")
    print(f"\nWrote {len(report.files)} files to {report.out}/ (open {report.out}/tunebook.html).")
    return 0
