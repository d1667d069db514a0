"""``folkabc analyze``: figures and a Markdown report of the published folk-rnn analyses."""

from __future__ import annotations

import argparse

from ._common import example_epilog, print_json, read_input

__all__ = ["ORDER", "add_parser", "run", "read_tune"]

ORDER = 80


def add_parser(subparsers) -> None:
    """Register ``folkabc analyze``."""
    p = subparsers.add_parser(
        "analyze",
        help="posterior, Gramians, periodicity, softmax SVD, ablation and beam figures + a report",
        description="Analyse a model on one tune (generated from --seed, or read from --tune) and write PNG "
                    "figures, report.md and report.json into DIR: posterior map, Gramians, per-unit and "
                    "per-layer spectra, softmax-layer SVD, the δ↔α relation, beam coverage and an ablation "
                    "study of the periodic ('counting') units.",
        epilog=example_epilog("folkabc analyze --seed 7 -o report/",
                              "folkabc analyze --model mymodel/ --tune tune.abc -o report/ --n-ablation 50"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--model", metavar="M", help="model directory or folk-rnn pickle (default: the shipped model)")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--tune", metavar="FILE", help="ABC or folk-rnn token file holding the tune to analyse")
    src.add_argument("--seed", type=int, default=0, metavar="S",
                     help="seed of the generated tune and the ablation study (default 0)")
    p.add_argument("--index", type=int, default=1, metavar="N", help="which tune of --tune FILE (1-based; default 1)")
    p.add_argument("-o", "--out", required=True, metavar="DIR", help="output folder (created if missing)")
    p.add_argument("--meter", default="M:4/4", help="meter of generated tunes (default M:4/4; 'none' = free)")
    p.add_argument("--max-length", type=int, default=400, metavar="N", help="most tokens per generated tune")
    p.add_argument("--layer", type=int, default=-1, help="layer for the unit spectra and the ablation (default last)")
    p.add_argument("--n-ablation", type=int, default=20, metavar="N",
                   help="tunes per ablation condition (0 skips the study; default 20)")
    p.add_argument("--fraction", type=float, default=0.33, help="fraction of the periodic units cut (default 0.33)")
    p.add_argument("--threshold", type=float, default=0.05,
                   help="share of power in periods 8.7-9.3 that makes a unit periodic (default 0.05)")
    p.add_argument("--beam-depth", type=int, default=3, metavar="D", help="beam coverage depth (default 3)")
    p.add_argument("--json", action="store_true", help="print the report's numbers as JSON")
    p.set_defaults(func=run)


def read_tune(path: str, *, index: int = 1) -> list[str]:
    """Tokens (meter, mode, body) of tune ``index`` (1-based) of an ABC or folk-rnn token file.

    Only the chosen tune has to be readable: an error in another tune of the file does not matter.
    """
    from ..errors import FolkabcError
    from .score import read_tunes

    tunes = read_tunes(read_input(path))
    if not tunes:
        raise FolkabcError("no tune found", path=path)
    if not 1 <= index <= len(tunes):
        raise FolkabcError(f"--index {index} is out of range: the file holds {len(tunes)} tune(s)", path=path)
    tune = tunes[index - 1]
    if tune["error"] is not None:
        raise tune["error"]
    return list(tune["tokens"])


def run(args) -> int:
    """Run ``folkabc analyze``; 0 when the report was written."""
    from ..analysis.report import analyze

    tune = read_tune(args.tune, index=args.index) if args.tune else None
    meter = None if str(args.meter).lower() == "none" else args.meter
    rep = analyze(args.model, args.out, tune=tune, seed=args.seed, meter=meter, max_length=args.max_length,
                  layer=args.layer, threshold=args.threshold, fraction=args.fraction, n_ablation=args.n_ablation,
                  beam_depth=args.beam_depth)
    if args.json:
        print_json(rep.numbers)
    else:
        print(f"wrote {len(rep.figures)} figures, {rep.markdown} and {rep.numbers_path}")
        if "ablation" in rep.numbers:
            ab = rep.numbers["ablation"]
            if not ab["periodic"]:
                print(f"  no unit of layer {ab['layer'] + 1} has more than {ab['threshold']:g} of its power in "
                      f"periods {ab['band'][0]:g}-{ab['band'][1]:g}: nothing cut (try a lower --threshold)")
            for c in ab["conditions"]:
                print(f"  {c['label']:<15} {len(c['units']):>4} units cut: bars all count in {c['counted']:.0%}, "
                      f"mean log-likelihood {c['loglik']:.3g}")
    return 0
