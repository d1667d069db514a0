"""``folkabc analyze``: figures and a Markdown report of the published folk-rnn analyses."""

from __future__ import annotations

import argparse

from ..shipped import MODEL_HELP
from ._common import example_epilog, path_arg, print_json, read_input

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
    p.add_argument("--model", type=path_arg, metavar="MODEL", help=MODEL_HELP)
    src = p.add_mutually_exclusive_group()
    src.add_argument("--tune", type=path_arg, metavar="FILE",
                     help="ABC or folk-rnn token file holding the tune to analyse")
    src.add_argument("--seed", type=int, default=0, metavar="S",
                     help="seed of the generated tune and the ablation study (default 0)")
    p.add_argument("--index", type=int, default=1, metavar="N",
                   help="which tune of --tune FILE (1-based; default 1)")
    p.add_argument("-o", "--out", type=path_arg, required=True, metavar="DIR",
                   help="output folder (created if missing)")
    p.add_argument("--meter", default="M:4/4", help="meter of generated tunes (default M:4/4; 'none' = free)")
    p.add_argument("--max-length", type=int, default=400, metavar="N", help="most tokens per generated tune")
    p.add_argument("--layer", type=int, default=None, metavar="L",
                   help="layer for the unit spectra and the ablation, counted from 1 as in the report (default last)")
    p.add_argument("--n-ablation", type=int, default=200, metavar="N",
                   help="tunes per ablation condition (0 skips the study; default 200)")
    p.add_argument("--period", type=float, default=None, metavar="P",
                   help="bar period in steps; the counting band is P ± 3.33%% (default: measured from the "
                        "generated tunes, median steps from one bar line to the next)")
    p.add_argument("--fraction", type=float, default=0.33,
                   help="fraction of the periodic units cut (default 0.33)")
    p.add_argument("--threshold", type=float, default=0.05,
                   help="share of power in the counting band that makes a unit periodic (default 0.05)")
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
    from ..errors import ParameterError

    tune = read_tune(args.tune, index=args.index) if args.tune else None
    meter = None if str(args.meter).lower() == "none" else args.meter
    if args.layer is not None and args.layer < 1:
        raise ParameterError(f"--layer counts from 1, got {args.layer}")
    rep = analyze(args.model, args.out, tune=tune, seed=args.seed, meter=meter, max_length=args.max_length,
                  layer=-1 if args.layer is None else args.layer - 1, period=args.period,
                  threshold=args.threshold, fraction=args.fraction, n_ablation=args.n_ablation,
                  beam_depth=args.beam_depth)
    if args.json:
        print_json(rep.numbers)
    else:
        print(f"wrote {len(rep.figures)} figures, {rep.markdown} and {rep.numbers_path}")
        if "ablation" in rep.numbers:
            ab = rep.numbers["ablation"]
            print(f"  layer {ab['layer']}: {ab['units_over_threshold']} of {ab['units_in_layer']} units have more "
                  f"than {ab['threshold']:g} of their power in periods {ab['band'][0]:.2f}-{ab['band'][1]:.2f} steps")
            if not ab["periodic"]:
                print("  nothing cut (try a lower --threshold)")
            for c in ab["conditions"]:
                lo, hi = c["counted_ci"]
                llo, lhi = c["loglik_ci"]
                print(f"  {c['label']:<15} {len(c['units']):>4} units cut: bars all count in {c['counted']:.0%} "
                      f"[{lo:.0%}-{hi:.0%}], mean log-likelihood {c['loglik']:.3g} [{llo:.3g}, {lhi:.3g}]")
    return 0
