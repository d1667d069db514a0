"""``folkabc generate``: sample tunes from a model, as folk-rnn token blocks or ABC."""

from __future__ import annotations

import argparse
import sys

from ..shipped import MODEL_HELP
from ._common import example_epilog, path_arg, print_json

__all__ = ["ORDER", "add_parser", "run", "parse_ablate", "parse_token_values", "parse_mode"]

ORDER = 61


def add_parser(subparsers) -> None:
    """Register ``folkabc generate``."""
    p = subparsers.add_parser(
        "generate",
        help="generate tunes from a folk-rnn model (tokens or ABC, optionally checked)",
        description="Generate tunes: the model is given <s> and the optional meter, mode and prime tokens, "
                    "then samples until </s> (or --max-length). The same seed gives the same tune; with -n, "
                    "tune k uses seed+k. Prints folk-rnn token blocks, or ABC with --abc. With --check, "
                    "each tune's bar check goes to stderr and the exit code is 1 when a tune fails it.",
        epilog=example_epilog("folkabc generate -n 10 --meter 6/8 --mode Cdor --seed 42",
                              "folkabc generate --seed 7 --abc --check",
                              "folkabc generate --mode dor --key A --seed 3",
                              "folkabc generate --prime '|: G, C C 2' --top-p 0.9 --temperature 0.8",
                              "folkabc generate --seed 1 --ablate 2:0-99 --alpha '|=0.5'",
                              "folkabc generate -n 4 --seed 3 --form AABB --abc"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("-n", type=int, default=1, help="number of tunes (1)")
    p.add_argument("--meter", help="meter token to start with: 6/8 or M:6/8")
    p.add_argument("--mode", help="mode token to start with: Cmaj Cmin Cdor Cmix (or maj, K:Cdor, ...)")
    p.add_argument("--key", metavar="KEY",
                   help="write the ABC in this key: a tonic (D, Bb: the tune keeps its mode) or a key of its "
                        "mode (Ador, Gmix); implies --abc")
    p.add_argument("--prime", metavar="TOKENS", help="body tokens to start with, space separated")
    p.add_argument("--seed", type=int, help="base seed (default: random, printed on stderr)")
    p.add_argument("--temperature", type=float, default=1.0, help="sampling temperature (1.0)")
    p.add_argument("--top-k", type=int, help="sample among the K most likely tokens")
    p.add_argument("--top-p", type=float, help="sample among the most likely tokens holding this mass")
    p.add_argument("--max-length", type=int, default=1000, help="most tokens per tune (1000)")
    p.add_argument("--ban", metavar="TOKENS", help="tokens never to sample, space separated")
    p.add_argument("--beam", type=int, metavar="WIDTH", help="beam search instead of sampling")
    p.add_argument("--constrain", choices=("grammar", "bars"),
                   help="only tokens that keep the tune readable (grammar) or every bar counting (bars); "
                        "each tune's cost (probability mass removed) goes to stderr and --json")
    p.add_argument("--form", metavar="FORM",
                   help="a dance form to write, e.g. AABB, AB, AABBCC (doubled letter: repeated part; "
                        "implies --constrain bars)")
    p.add_argument("--part-bars", type=int, default=8, metavar="N", help="bars per part of --form (8)")
    p.add_argument("--ablate", action="append", metavar="LAYER:UNITS",
                   help="cut units of a layer (0-based; -1 = last), e.g. 2:0-99,130 (repeatable)")
    p.add_argument("--bias", action="append", metavar="TOKEN=DELTA", help="add DELTA to a token's logit")
    p.add_argument("--alpha", action="append", metavar="TOKEN=ALPHA",
                   help="multiply a token's probability by ALPHA at every step")
    p.add_argument("--record", metavar="FILE.npz",
                   help="save each tune's posterior, hidden and cell states and gates (tune1.posterior, ...)")
    p.add_argument("--model", type=path_arg, metavar="MODEL", help=MODEL_HELP)
    p.add_argument("--abc", action="store_true", help="print ABC instead of token blocks")
    p.add_argument("--check", action="store_true", help="check the bars of each tune (report on stderr)")
    p.add_argument("--json", action="store_true", help="print a JSON list of tunes")
    p.add_argument("--tunebook", metavar="BOOK.html",
                   help="also write an HTML tunebook of the tunes (notation, play button, check, novelty)")
    p.set_defaults(func=run)


def parse_ablate(specs: list[str] | None) -> dict[int, list[int]] | None:
    """``["2:0-99,130", ...]`` → ``{2: [0, …, 99, 130]}``.

    Examples
    --------
    >>> parse_ablate(["1:0-2,5", "-1:7"])
    {1: [0, 1, 2, 5], -1: [7]}
    >>> parse_ablate(["0:0-99999999999999"])
    Traceback (most recent call last):
    ...
    folkabc.errors.LimitError: --ablate '0:0-99999999999999': 100000000000000 units is over the limit max_units = 1000000 (units named by one --ablate range); raise it with FOLKABC_MAX_UNITS=N
    """
    from ..errors import ParameterError
    from ..limits import check_limit

    if not specs:
        return None
    out: dict[int, list[int]] = {}
    for spec in specs:
        layer, sep, units = spec.partition(":")
        try:
            if len(layer.strip()) > 20:  # no model has 10^20 layers; int() of 5,000 digits is refused anyway
                raise ValueError
            li = int(layer)
            got = []
            for part in units.split(","):
                lo, dash, hi = part.strip().partition("-")
                if len(lo) > 20 or len(hi) > 20:
                    raise ValueError
                if dash:
                    check_limit("max_units", int(hi) - int(lo) + 1, where=f"--ablate {spec[:40]!r}")
                got.extend(range(int(lo), int(hi) + 1) if dash else [int(lo)])
                check_limit("max_units", len(got), where=f"--ablate {spec[:40]!r}")
        except ValueError:
            raise ParameterError(f"--ablate {spec!r}: expected LAYER:UNITS such as 2:0-99,130") from None
        if not sep or not got:
            raise ParameterError(f"--ablate {spec!r}: expected LAYER:UNITS such as 2:0-99,130")
        out.setdefault(li, []).extend(got)
    return out


def parse_token_values(specs: list[str] | None, option: str) -> dict[str, float] | None:
    """``["|=0.5", "K:Cdor=2"]`` → ``{"|": 0.5, "K:Cdor": 2.0}`` (split at the last ``=``).

    Examples
    --------
    >>> parse_token_values(["=c=1.5", "|=-2"], "--bias")
    {'=c': 1.5, '|': -2.0}
    >>> parse_token_values(["C=inf"], "--bias")
    Traceback (most recent call last):
    ...
    folkabc.errors.ParameterError: --bias 'C=inf': the number must be finite (to never sample a token, use --ban)
    """
    import math

    from ..errors import ParameterError

    if not specs:
        return None
    out = {}
    for spec in specs:
        tok, sep, val = spec.rpartition("=")
        try:
            out[tok] = float(val)
        except ValueError:
            raise ParameterError(f"{option} {spec[:60]!r}: expected TOKEN=NUMBER") from None
        if not sep or not tok:
            raise ParameterError(f"{option} {spec[:60]!r}: expected TOKEN=NUMBER")
        if not math.isfinite(out[tok]):
            hint = " (to never sample a token, use --ban)" if option == "--bias" else ""
            raise ParameterError(f"{option} {spec[:60]!r}: the number must be finite{hint}")
    return out


def parse_mode(text: str | None) -> str | None:
    """The mode token of ``--mode`` (``dor``, ``Cdor``, ``K:Cdor`` → ``K:Cdor``).

    Raises
    ------
    ParameterError
        One line naming the allowed modes (and ``--key`` for a tonic other than C).

    Examples
    --------
    >>> parse_mode("dor"), parse_mode("K:Cmix"), parse_mode(None)
    ('K:Cdor', 'K:Cmix', None)
    >>> parse_mode("D")
    Traceback (most recent call last):
    ...
    folkabc.errors.ParameterError: --mode 'D': the modes are Cmaj, Cmin, Cdor, Cmix (or maj, min, dor, mix); folk-rnn tunes are in C: for a tune in D, give --mode maj --key D
    """
    from ..abc.keys import FOLK_MODES, parse_key
    from ..errors import ParameterError

    if text is None:
        return None
    word = text.strip()
    word = word[2:] if word.startswith("K:") else word
    low = word.lower()
    if low in FOLK_MODES:
        return f"K:C{low}"
    if word[:1] == "C" and word[1:] in FOLK_MODES:
        return f"K:{word}"
    msg = (f"--mode {text[:40]!r}: the modes are {', '.join('C' + m for m in FOLK_MODES)} "
           f"(or {', '.join(FOLK_MODES)})")
    try:
        k = parse_key(word)
    except ValueError:
        k = None
    if k is not None and k.mode != "none" and word[:1] in "ABCDEFG":
        tonic = word[:2] if word[1:2] in ("#", "b") else word[:1]
        msg += (f"; folk-rnn tunes are in C: for a tune in {tonic}, give --mode {k.folk_mode} "
                f"--key {tonic}")
    raise ParameterError(msg)


def _save_traces(model, gens, path: str) -> None:
    import numpy as np

    from ..errors import FolkabcError

    arrays = {}
    for k, g in enumerate(gens):
        trace = g.trace if g.trace is not None else model.run(g.tokens)  # beam search records nothing
        arrays.update(trace.to_arrays(f"tune{k + 1}."))
    try:
        with open(path, "wb") as fh:
            np.savez_compressed(fh, **arrays)
    except OSError as exc:
        raise FolkabcError(f"cannot write: {exc.strerror or exc}", path=path) from exc


def run(args) -> int:
    """Run ``folkabc generate``; 0 ok, 1 when a tune fails --check or cannot be written as ABC."""
    from ..errors import FolkabcError
    from ..model import LogitBias, load_model

    mode = parse_mode(args.mode)
    if args.key is not None:
        from ..abc.keys import written_key
        from ..errors import ParameterError

        errors = []
        for m in [mode[3:]] if mode else ["maj", "min", "dor", "mix"]:
            try:  # a key that no mode allows fails before the model loads
                written_key(args.key, m)
            except ValueError as exc:
                errors.append(exc)
        if len(errors) == (1 if mode else 4):
            raise ParameterError(f"--key: {errors[0]}")
        args.abc = True
    model = load_model(args.model)
    delta = parse_token_values(args.bias, "--bias")
    alpha = parse_token_values(args.alpha, "--alpha")
    bias = LogitBias(delta=delta, alpha=alpha) if (delta or alpha) else None
    seed = args.seed
    if seed is None and args.beam is None:
        import numpy as np

        seed = int(np.random.SeedSequence().entropy % (2**32))
    gens = model.generate(n=args.n, meter=args.meter, mode=mode, prime=args.prime,
                          temperature=args.temperature, seed=seed, top_k=args.top_k, top_p=args.top_p,
                          max_length=args.max_length, banned=args.ban.split() if args.ban else None,
                          ablate=parse_ablate(args.ablate), logit_bias=bias, beam=args.beam,
                          record=bool(args.record), constrain=args.constrain, form=args.form,
                          part_bars=args.part_bars)
    if args.record:
        _save_traces(model, gens, args.record)
    if args.seed is None and args.beam is None:
        print(f"folkabc generate: seed {seed}", file=sys.stderr)
    failed = 0
    records = []
    for k, g in enumerate(gens):
        rec = g.to_dict()
        if g.cost is not None and not args.json:
            print(f"tune {k + 1}: constraint cost {g.cost.total:.3f} nats over {g.cost.steps} steps "
                  f"(mean {g.cost.mean:.4f}, {g.cost.forced} forced)", file=sys.stderr)
        if args.check:
            from ..validate import check

            label = f"tune {k + 1}" + (f" (seed {g.seed})" if g.seed is not None else "")
            try:
                res = check(g.tokens)[0]
            except FolkabcError as exc:  # e.g. no meter token: nothing to count against
                rec["check"] = {"ok": False, "error": str(exc)}
                print(f"{label}: fails check: {exc}", file=sys.stderr)
            else:
                rec["check"] = res.to_dict()
                # the check's own line names its tune 1: say which tune (and seed) it is instead
                verdict = res.summary().split(": ", 1)[1]
                print(f"{label}: {verdict}", file=sys.stderr)
            failed += not rec["check"]["ok"]
        if args.abc:
            from ..tokens import detokenize

            title = f"folkabc (seed {g.seed})" if g.seed is not None else f"folkabc beam {k + 1}"
            try:
                rec["abc"] = detokenize(g.tokens, title=title, index=k + 1, key=args.key)
            except FolkabcError as exc:
                rec["abc"] = None
                failed += 1
                print(f"tune {k + 1}: cannot write ABC: {exc}", file=sys.stderr)
        records.append(rec)
    if args.tunebook:
        from ..render import write_tunebook

        # the ABC as written (in --key, with the seed titles), else the tokens
        source = [r.get("abc") or g.tokens for r, g in zip(records, gens)]
        book = write_tunebook(source, args.tunebook, title="folkabc generate")
        print(f"{args.tunebook}: {book.rendered} of {book.tunes} tune(s) rendered", file=sys.stderr)
        failed += len(book.failures)
    if args.check:
        print(f"{len(gens) - sum(1 for r in records if not r['check']['ok'])} of {len(gens)} tunes pass check",
              file=sys.stderr)
    if args.json:
        print_json(records)
    elif args.abc:
        print("\n".join(r["abc"] for r in records if r["abc"]), end="")
    else:
        from ..tokens import write_folkrnn

        print(write_folkrnn(g.tokens for g in gens), end="")
    return 1 if failed else 0
