"""``folkabc train``: train a folk-rnn-style model and export it (needs the ``train`` extra)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ._common import example_epilog, path_arg, print_json, read_input

ORDER = 60


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "train",
        help="train an LSTM model on a corpus (needs: pip install 'folkabc[train]')",
        description=(
            "Train a folk-rnn-style LSTM on a corpus (default: the default corpus) with a held-out "
            "split, dropout, gradient clipping and early stopping, and export it in folkabc's model "
            "format (model.json + weights.npz + train-settings.json) into OUT. Options given here "
            "override the settings file."
        ),
        epilog=example_epilog(
            "folkabc train --out mymodel --layers 128,128 --time-limit 600",
            "folkabc train --settings folkabc/data/models/music21/stages/1-base-settings.json --out stage1",
            "folkabc train --settings folkabc/data/models/music21/train-settings.json --init stage1 --out stage2",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--out", type=path_arg, required=True, help="directory to export the model into")
    p.add_argument("--settings", type=path_arg,
                   help="a train-settings.json file (defaults: folk-rnn's recipe, 2x256)")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--corpus", type=path_arg, help="corpus directory (default: the default corpus)")
    src.add_argument("--abc", type=path_arg, nargs="+", metavar="FILE",
                     help="train on these ABC or folk-rnn token files instead of a corpus")
    p.add_argument("--only-clean", action="store_true", default=None,
                   help="train only on corpus tunes whose bars all count (folkabc check), as ABC and as tokens")
    p.add_argument("--sources", metavar="NAMES",
                   help="train only on corpus tunes from these sources, comma-separated (e.g. oneills1850,ryansMammoth)")
    p.add_argument("--heldout", type=path_arg, metavar="FILE",
                   help="hold out the tunes of this heldout.npz (or model directory) instead of a seeded split")
    p.add_argument("--layers", help="LSTM sizes, comma-separated (e.g. 256,256)")
    p.add_argument("--optimizer", choices=["rmsprop", "adam"])
    p.add_argument("--lr", type=float, dest="learning_rate", help="learning rate")
    p.add_argument("--dropout", type=float)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--epochs", type=int, dest="max_epochs", help="maximum epochs")
    p.add_argument("--average", type=float, metavar="DECAY",
                   help="validate and export a moving average of the weights (e.g. 0.998 per batch)")
    p.add_argument("--weights-dtype", choices=["float32", "float16"],
                   help="how the exported weights are stored (float16: half the size)")
    p.add_argument("--init", type=path_arg, metavar="MODEL",
                   help="start from this model's weights (a model directory of the same layer sizes)")
    p.add_argument("--self-samples", type=int, metavar="N",
                   help="self-training: add the --init model's own tunes that check clean, out of N "
                        "generated at temperature 1, to the training part")
    p.add_argument("--select-samples", type=int, metavar="N",
                   help="keep the weights whose N generated tunes most often check clean "
                        "(default: the lowest held-out loss)")
    p.add_argument("--select-lengths", action="store_true", default=None,
                   help="with --select-samples: weigh the clean share by the training tunes' length "
                        "quartiles (no credit for shorter tunes)")
    p.add_argument("--patience", type=int, help="validations without improvement before stopping")
    p.add_argument("--eval-every", type=int, help="also validate every N batches")
    p.add_argument("--time-limit", type=float, help="wall-clock budget in seconds")
    p.add_argument("--seed", type=int)
    p.add_argument("--threads", type=int, help="torch CPU threads")
    p.add_argument("--device", help="where torch trains: cpu (default), cuda or cuda:N")
    p.add_argument("--workers", type=int, help="processes that write the self-training and selection tunes")
    p.add_argument("--log", type=path_arg, help="JSONL log file (default: OUT/train-log.jsonl)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print the run's summary as JSON")
    p.set_defaults(func=run)


def _progress(quiet: bool):
    """A callback drawing one status line on a TTY stderr (None when not drawing)."""
    if quiet or not sys.stderr.isatty() or os.environ.get("FOLKABC_QUIET"):
        return None
    state = {"best": None}

    def draw(ev: dict) -> None:
        if ev["event"] == "valid":
            if ev["best"]:
                state["best"] = ev["valid_loss"]
            clean = "" if ev.get("clean_share") is None else f", {ev['clean_share']:.1%} clean"
            sys.stderr.write(
                f"\repoch {ev['epoch']} step {ev['step']}: valid loss {ev['valid_loss']:.4f} "
                f"(ppl {ev['valid_perplexity']:.3f}){clean}{' *' if ev['best'] else ''}"
                f"  {ev['tokens_per_s'] or 0:.0f} tok/s\n"
            )
        elif ev["event"] == "write":
            width = 30
            done = int(width * ev["done"] / ev["total"])
            sys.stderr.write(f"\rwriting self-training tunes [{'#' * done}{'.' * (width - done)}] "
                             f"{ev['done']}/{ev['total']}" + ("\n" if ev["done"] == ev["total"] else ""))
        else:
            width = 30
            done = int(width * ev["batch"] / ev["n_batches"])
            sys.stderr.write(
                f"\repoch {ev['epoch']} [{'#' * done}{'.' * (width - done)}] "
                f"{ev['batch']}/{ev['n_batches']} loss {ev['loss']:.3f}"
            )
        sys.stderr.flush()

    return draw


def run(args) -> int:
    from .. import train as tr
    from ..errors import ParameterError

    tr.require_torch()
    settings = tr.TrainSettings.load(args.settings) if args.settings else tr.TrainSettings()
    layers = None
    if args.layers:
        try:
            layers = tuple(int(x) for x in args.layers.split(","))
        except ValueError as exc:
            raise ParameterError(f"--layers={args.layers!r} must be comma-separated ints") from exc
    settings = settings.replace(
        layers=layers, optimizer=args.optimizer, learning_rate=args.learning_rate, dropout=args.dropout,
        batch_size=args.batch_size, max_epochs=args.max_epochs, patience=args.patience,
        eval_every=args.eval_every, time_limit=args.time_limit, seed=args.seed, threads=args.threads,
        device=args.device, workers=args.workers,
        corpus=args.corpus, only_clean=args.only_clean, average=args.average,
        weights_dtype=args.weights_dtype, init=args.init, self_samples=args.self_samples,
        select_samples=args.select_samples, select_lengths=args.select_lengths, heldout=args.heldout,
        sources=tuple(x for x in args.sources.split(",") if x) or None if args.sources else None,
    )
    if args.abc and settings.sources:
        raise ParameterError("--sources selects corpus tunes; with --abc, name the files to train on")
    if args.abc and settings.only_clean:
        raise ParameterError("--only-clean selects corpus tunes by their stored check; with --abc, "
                             "check the files first (folkabc check) and train on the clean ones")
    if args.abc:
        from ..tokens import tokenize

        tunes = [t for f in args.abc for t in tokenize(read_input(f))]
        seqs = tr.sequences_from_tunes(tunes)
        provenance = {"corpus": {"files": [Path(f).name for f in args.abc], "tunes": len(seqs)}}
        settings = settings.replace(corpus="files: " + ", ".join(Path(f).name for f in args.abc))
    else:
        seqs, provenance = tr.corpus_sequences(settings.corpus, only_clean=settings.only_clean,
                                               sources=settings.sources)
    out = Path(args.out)
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ParameterError(f"--out: cannot create directory: {exc.strerror or exc}", path=str(out)) from exc
    log = Path(args.log) if args.log else out / "train-log.jsonl"
    try:
        result = tr.train(seqs, settings=settings, out=out, log=log, callback=_progress(args.quiet),
                          provenance=provenance)
    except BaseException:  # refused before any work (a bad held-out file, no GPU): leave no empty --out behind
        if created and out.is_dir() and not any(out.iterdir()):
            out.rmdir()
        raise
    summary = {**result.summary(), "out": str(out), "log": str(log)}
    if args.json:
        print_json(summary)
    else:
        print(
            f"trained LSTM {'x'.join(map(str, settings.layers))} on {result.n_train} tunes "
            f"({result.n_train_tokens} tokens) in {result.elapsed_s:.0f} s; stopped by {result.stop_reason}; "
            f"best held-out loss {result.best_valid_loss:.4f} (perplexity {result.best_valid_perplexity:.3f}) "
            f"on {result.n_valid} tunes; model in {out}"
        )
    return 0
