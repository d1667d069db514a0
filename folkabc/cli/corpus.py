"""``folkabc corpus``: build, inspect and export tune corpora (build | info | list | show | export | families)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ._common import example_epilog, path_arg, print_json

__all__ = ["ORDER", "add_parser", "format_info", "format_tune", "run_families"]

ORDER = 40


def add_parser(subparsers) -> None:
    """Register ``folkabc corpus`` and its actions."""
    p = subparsers.add_parser(
        "corpus",
        help="build, inspect and export tune corpora",
        description="Build a corpus from ABC collections, thesession.org dumps, folders of .abc or "
                    "folk-rnn token files; inspect it; export it for training. Without --corpus, the "
                    "default corpus (music21's ABC collections) is used, built on first use.",
        epilog=example_epilog("folkabc corpus info", "folkabc corpus build tunes.csv -o mycorpus",
                              "folkabc corpus list --meter 6/8 --mode dor --limit 5"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])

    def action(name: str, help: str, examples: list[str], func) -> argparse.ArgumentParser:
        a = sub.add_parser(name, help=help, description=help[0].upper() + help[1:] + ".",
                           epilog=example_epilog(*examples), formatter_class=argparse.RawDescriptionHelpFormatter)
        a.add_argument("--json", action="store_true", help="machine-readable output")
        if name != "build":
            a.add_argument("-c", "--corpus", type=path_arg, metavar="DIR", default=None,
                           help="corpus directory (default: the default corpus)")
        a.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
        a.set_defaults(func=func)
        return a

    b = action("build", "build a corpus from sources, atomically",
               ["folkabc corpus build default", "folkabc corpus build music21:oneills1850 tunes/ -o mycorpus",
                "folkabc corpus build thesession/tunes.csv -o session"], run_build)
    b.add_argument("sources", type=path_arg, nargs="*", metavar="SOURCE", default=["default"],
                   help="default | music21:NAME | thesession tunes.csv/.json | folder or file of .abc | "
                        "folk-rnn token file (default: default)")
    b.add_argument("-o", "--output", type=path_arg, metavar="DIR", default=None,
                   help="corpus directory (default: the default corpus location)")
    b.add_argument("--workers", type=int, default=None, help="conversion processes (default: up to 2)")
    b.add_argument("--no-check", action="store_true", help="do not store bar-check results")
    b.add_argument("--no-index", action="store_true", help="do not build the search index")

    action("info", "counts per source, meter and mode; tokens; failures by reason",
           ["folkabc corpus info", "folkabc corpus info -c mycorpus --json"], run_info)

    ls = action("list", "list tunes, filtered by meter, mode, type, title or source",
                ["folkabc corpus list --type jig --limit 10", "folkabc corpus list --title kesh"], run_list)
    _filters(ls)
    ls.add_argument("--status", choices=["ok", "oov", "error"], help="only tunes with this status")
    ls.add_argument("--limit", type=int, default=None, help="at most this many tunes")

    sh = action("show", "one tune: ABC, tokens and bar-check result",
                ["folkabc corpus show 42", "folkabc corpus show 42 --json"], run_show)
    sh.add_argument("id", type=int, metavar="ID", help="corpus tune id (see corpus list)")

    ex = action("export", "write the searchable tunes in the folk-rnn training format, or as an ABC tunebook",
                ["folkabc corpus export --format folkrnn -o train.txt",
                 "folkabc corpus export --meter 6/8 > jigs.txt",
                 "folkabc corpus export --format abc --source oneills1850 -o oneills.abc"], run_export)
    ex.add_argument("--format", choices=["folkrnn", "abc"], default="folkrnn",
                    help="folkrnn: token blocks in C; abc: a tunebook in the tunes' original keys, with "
                         "titles and X: numbers 1, 2, ...")
    ex.add_argument("-o", "--output", type=path_arg, metavar="FILE", default=None,
                    help="output file (default: stdout)")
    _filters(ex)

    fa = action("families", "group the tunes into families of settings of one tune (exit 1 when none)",
                ["folkabc corpus families --source oneills1850 --limit 10",
                 "folkabc corpus families --title kesh --json"], run_families)
    _filters(fa)
    fa.add_argument("--threshold", type=float, default=None,
                    help="least similarity score of two settings (default: folkabc.similar's)")
    fa.add_argument("--candidates", type=int, default=8, help="tunes aligned per tune (default 8)")
    fa.add_argument("--min-size", type=int, default=2, help="smallest family listed (default 2)")
    fa.add_argument("--limit", type=int, default=20, help="families listed (default 20; 0 = all)")


def run_families(args) -> int:
    """``folkabc corpus families``: connected components of similar settings; 0 when any family."""
    import numpy as np

    from ..corpus import Corpus
    from ..errors import ParameterError
    from ..similar import DEFAULT_THRESHOLD

    if args.limit < 0:
        raise ParameterError(f"--limit must be >= 0, got {args.limit}")
    corpus = Corpus.open(args.corpus, quiet=args.quiet)
    filters = {k: getattr(args, k) for k in ("meter", "mode", "type", "title", "source") if getattr(args, k)}
    rows = np.flatnonzero(corpus.mask(**filters)) if filters else None
    fams = corpus.families(rows=rows, threshold=args.threshold or DEFAULT_THRESHOLD,
                           candidates=args.candidates, min_size=args.min_size)
    shown = fams[:args.limit] if args.limit else fams
    if args.json:
        print_json({"families": len(fams), "tunes": sum(len(f.rows) for f in fams),
                    "listed": [f.to_dict() for f in shown]})
    else:
        print(f"{len(fams)} famil{'ies' if len(fams) != 1 else 'y'} of {args.min_size}+ settings, "
              f"{sum(len(f.rows) for f in fams)} tunes")
        for f in shown:
            print(f"  {len(f.rows)} tunes, scores {f.min_score:.2f}..: "
                  + "; ".join(f"#{t} {title}" for t, title in zip(f.tune_ids[:6], f.titles[:6]))
                  + (" ..." if len(f.rows) > 6 else ""))
        if len(shown) < len(fams):
            print(f"  ... {len(fams) - len(shown)} more (use --limit 0)")
    return 0 if fams else 1


def _filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("--meter", help="meter, e.g. 6/8")
    p.add_argument("--mode", help="mode: maj, min, dor or mix")
    p.add_argument("--type", help="tune type, e.g. reel")
    p.add_argument("--title", help="part of a title (case-insensitive)")
    p.add_argument("--source", help="source name, e.g. oneills1850")


def _open(args):
    from ..corpus import Corpus

    return Corpus.open(args.corpus, quiet=args.quiet or args.json)


def run_build(args) -> int:
    """``folkabc corpus build``."""
    from ..corpus import build_corpus, default_corpus_path

    out = Path(args.output) if args.output else default_corpus_path()
    report = build_corpus(args.sources, out, workers=args.workers, check=not args.no_check,
                          index=not args.no_index, quiet=args.quiet or args.json)
    if args.json:
        print_json(report)
        return 0
    c = report.counts
    print(f"built {report.path} in {report.seconds['total']:.1f} s: {c['transcriptions']} transcriptions, "
          f"{c['tunes']} distinct tunes ({c['duplicates']} duplicates merged), {c['rows']} searchable, "
          f"{c['tunes'] - c['rows']} not searchable, {c['tokens']} tokens")
    return 0


def format_info(info: dict, *, top: int = 12) -> str:
    """The text report of ``corpus info``."""
    failed = info["tunes"] - info["searchable"]
    out = [
        f"corpus {info['path']}",
        f"  built {info['created']} by builder {info['builder_version']}; search index: "
        f"{'yes' if info['index'] else 'no'}",
        f"  sources: {' '.join(info['sources'])}",
        f"{info['transcriptions']} transcriptions read -> {info['tunes']} distinct tunes "
        f"({info['duplicates']} exact duplicates merged, their titles and sources kept)",
        f"{info['searchable']} searchable tunes, {info['tokens']} tokens; {failed} not searchable",
        "",
        f"{'source':<16}{'read':>8}{'tunes':>8}{'dupl.':>8}{'failed':>8}{'search.':>9}",
    ]
    for name, s in info["per_source"].items():
        out.append(f"{name:<16}{s['transcriptions']:>8}{s['tunes']:>8}{s['duplicates']:>8}"
                   f"{s['failures']:>8}{s['rows']:>9}")
    out.append("")
    out.append("per meter: " + ", ".join(f"{k} {v}" for k, v in info["per_meter"].items()))
    out.append("per mode:  " + ", ".join(f"{k} {v}" for k, v in info["per_mode"].items()))
    if info["checked"]:
        out.append(f"bar check: {info['check_ok']} of {info['checked']} checked tunes count every bar")
    if info["failures"]:
        out.append("")
        out.append(f"not searchable, by reason ({len(info['failures'])} reasons):")
        for reason, n in list(info["failures"].items())[:top]:
            out.append(f"{n:>7}  {reason}")
        rest = list(info["failures"].values())[top:]
        if rest:
            out.append(f"{sum(rest):>7}  ({len(rest)} other reasons; --json lists all)")
    return "\n".join(out)


def run_info(args) -> int:
    """``folkabc corpus info``."""
    with _open(args) as corpus:
        info = corpus.info()
    if args.json:
        print_json(info)
    else:
        print(format_info(info))
    return 0


def _select(corpus, args, **kw):
    return corpus.select(meter=args.meter, mode=args.mode, type=args.type, title=args.title,
                         source=args.source, **kw)


def run_list(args) -> int:
    """``folkabc corpus list``."""
    if args.limit is not None and args.limit < 0:
        from ..errors import ParameterError

        raise ParameterError(f"--limit must be >= 0, got {args.limit}")
    with _open(args) as corpus:
        tunes = _select(corpus, args, status=args.status, limit=args.limit)
    if args.json:
        print_json([{k: v for k, v in t.to_dict().items() if k not in ("abc", "check")} for t in tunes])
        return 0
    for t in tunes:
        extra = "" if t.status == "ok" else f"  [{t.status}: {t.reason}]"
        print(f"{t.id:>6}  {t.meter or '-':<7} {t.mode or '-':<7} {t.type or '-':<12} "
              f"{t.title or '(untitled)'}  ({t.source} {t.ref}){extra}")
    print(f"{len(tunes)} tune{'s' if len(tunes) != 1 else ''}", file=sys.stderr)
    return 0


def format_tune(t) -> str:
    """The text report of ``corpus show``."""
    out = [f"tune {t.id}: {t.title or '(untitled)'}"]
    if len(t.titles) > 1:
        out.append(f"  titles: {' / '.join(t.titles)}")
    out.append(f"  type {t.type or '-'}, meter {t.meter_text or '-'} -> {t.meter or '-'}, "
               f"key {t.key or '-'} -> {t.mode or '-'}")
    out.append(f"  status: {t.status}" + (f" ({t.reason})" if t.reason else "")
               + (f", row {t.row}" if t.row is not None else ""))
    out.append(f"  {len(t.sources)} cop{'y' if len(t.sources) == 1 else 'ies'}:")
    for s in t.sources:
        out.append(f"    {s['source']} {s['ref']}" + (f"  {s['title']!r}" if s["title"] else ""))
    if t.abc:
        out += ["", "ABC:", t.abc.rstrip()]
    if t.tokens:
        out += ["", "tokens:", " ".join(t.tokens)]
    if t.check is not None:
        out += ["", "check: " + ("every bar counts" if t.check_ok else "findings")]
        if t.check.get("error"):
            out.append(f"  cannot be checked: {t.check['error']}")
        for f in t.check.get("findings", []):
            msg = str(f.get("message", ""))
            out.append(f"  {msg}" if msg.startswith("bar ") else f"  bar {f.get('bar')}: {msg}")
    return "\n".join(out)


def run_show(args) -> int:
    """``folkabc corpus show``."""
    with _open(args) as corpus:
        tune = corpus.tune(args.id)
    if args.json:
        print_json(tune)
    else:
        print(format_tune(tune))
    return 0


def run_export(args) -> int:
    """``folkabc corpus export``."""
    import numpy as np


    with _open(args) as corpus:
        rows = np.flatnonzero(corpus.mask(meter=args.meter, mode=args.mode, type=args.type,
                                          title=args.title, source=args.source))
        if args.json:
            print_json([{"id": int(corpus.tune_ids[r]), "tokens": " ".join(corpus.row_tokens(r))} for r in rows])
            return 0
        text = corpus.export_folkrnn(rows=rows) if args.format == "folkrnn" else _export_abc(corpus, rows)
    if args.output:
        from .._io import atomic_write

        atomic_write(args.output, text)
        print(f"wrote {len(rows)} tunes to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _export_abc(corpus, rows) -> str:
    """The tunes of ``rows`` as one ABC tunebook, each written from its tokens in the key it came
    in (its stored ABC read again for the key, transposition and part ends), numbered X:1, 2, ..."""
    from ..tokens import detokenize, key_of, tokenize

    out = []
    for r in rows:
        tune = corpus.tune(int(corpus.tune_ids[r]))
        read = [t for t in tokenize(tune.abc) if t.error is None] if tune.abc else []
        n = len(out) + 1
        if read and read[0].tokens == list(tune.tokens):
            t = read[0]
            out.append(detokenize(t.tokens, title=tune.title, index=n, key=key_of(t), transpose=t.transpose,
                                  part_ends=t.part_ends))
        else:  # tokens only (a token-file source): as folk-rnn writes them, in C
            out.append(detokenize(tune.tokens, title=tune.title, index=n))
    return "\n".join(out)
