"""``folkabc score``: how likely each tune of a file is under a model (NLL, perplexity, surprises)."""

from __future__ import annotations

import argparse
import math

from ..shipped import MODEL_HELP
from ._common import example_epilog, path_arg, print_json, read_input, require_text

__all__ = ["ORDER", "add_parser", "run", "read_tunes"]

ORDER = 60


def add_parser(subparsers) -> None:
    """Register ``folkabc score``."""
    p = subparsers.add_parser(
        "score",
        help="score tunes under a model: log-probabilities, perplexity, surprising tokens",
        description="Score every tune of an ABC file or a folk-rnn token file under a folk-rnn model: "
                    "total negative log-likelihood (nats), perplexity per token, and the least likely "
                    "tokens. Exit 0 when every tune was scored, 1 when some could not be (unknown tokens), "
                    "2 when none could.",
        epilog=example_epilog("folkabc score tunes.abc",
                              "folkabc score --model my_model/ --top 10 generated.txt",
                              "folkabc score --json - < tunes.abc"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", metavar="FILE", help="ABC or folk-rnn token file, or - for stdin")
    p.add_argument("--model", type=path_arg, metavar="MODEL", help=MODEL_HELP)
    p.add_argument("--top", type=int, default=5, metavar="K", help="surprising tokens to show per tune (5)")
    p.add_argument("--json", action="store_true", help="print a JSON list of tunes")
    p.set_defaults(func=run)


def read_tunes(text: str) -> list[dict]:
    """Tunes of an ABC or token-file text as dicts: index, title, tokens, positions, error."""
    from ..tokenfile import is_token_file, read_token_file
    from ..tokens import tokenize

    if is_token_file(text):
        return [{"index": k + 1, "title": None, "tokens": b.tokens, "positions": None, "error": None}
                for k, b in enumerate(read_token_file(text))]
    return [{"index": t.index, "title": t.title, "tokens": t.tokens, "positions": t.positions,
             "error": t.error} for t in tokenize(text)]


def _where(tune: dict, pos: int) -> str:
    positions = tune["positions"]
    if positions and pos < len(positions) and positions[pos] != (0, 0):
        line, col = positions[pos]
        return f"token {pos}, line {line}, column {col}"
    return f"token {pos}"


def run(args) -> int:
    """Run ``folkabc score``; 0 all scored, 1 some tunes not scored, 2 on bad input."""
    from ..errors import FolkabcError, ParameterError
    from ..limits import check_limit
    from ..model import load_model

    if args.top < 0:
        raise ParameterError(f"--top={args.top} must be >= 0")
    text = read_input(args.file)
    require_text(text, args.file)
    model = load_model(args.model)
    tunes = read_tunes(text)
    ok = []
    for t in tunes:
        if t["error"] is None:
            try:
                # scoring keeps every step's state: bound the tune before its arrays are allocated
                check_limit("max_tokens", len(t["tokens"]), where="tune length")
                model.encode(t["tokens"])
            except FolkabcError as exc:
                exc.tune, exc.title = t["index"], t["title"]
                t["error"] = exc
        if t["error"] is None:
            ok.append(t)
    if not ok:
        first = tunes[0]["error"] if tunes else "no tune found"
        raise FolkabcError(f"no tune could be scored: {first}", path=args.file)
    for t, s in zip(ok, model.score_many([t["tokens"] for t in ok])):
        t["score"] = s
    if args.json:
        out = []
        for t in tunes:
            d = {"index": t["index"], "title": t["title"]}
            if "score" in t:
                d.update(t["score"].to_dict(k=args.top))
                d["error"] = None
            else:
                d["error"] = str(t["error"])
            out.append(d)
        print_json(out)
    else:
        lines = []
        for t in tunes:
            name = f"tune {t['index']}" + (f" {t['title']!r}" if t["title"] else "")
            if "score" not in t:
                lines.append(f"{name}: not scored: {t['error']}")
                continue
            s = t["score"]
            lines.append(f"{name}: {len(s.tokens)} tokens, nll {s.nll:.2f} nats, perplexity {s.perplexity:.2f}")
            for pos, tok, lp in s.surprising(args.top):
                lines.append(f"  {_where(t, pos)}: {tok!r} logprob {lp:.2f} (p = {math.exp(lp):.2g})")
        n_tok = sum(len(t["score"].tokens) for t in ok)
        nll = sum(t["score"].nll for t in ok)
        lines.append(f"{len(ok)} of {len(tunes)} tunes scored: {n_tok} tokens, nll {nll:.2f} nats, "
                     f"perplexity {math.exp(nll / n_tok):.2f}")
        print("\n".join(lines))
    return 0 if len(ok) == len(tunes) else 1
