"""Evaluate a folkabc model (default: the shipped one) with 95% intervals, per generation condition.

For each condition in :data:`CONDITIONS` (today: unconstrained sampling; each
constrained decoder adds one row there) the bench generates ``--n`` tunes at
temperature 1, tune k from seed ``--seed + k`` (default seeds 5000-5299: the range
5000-5999 is kept for this evaluation; training used 1,000,000 on, selection
2,000,000 on, the earlier reports 0-499, 1000-1499 and 3000-4999), and reports:

- **readable**: ``folkabc check`` can read the tokens (grammar);
- **clean, strict**: every bar counts by ``folkabc check``, an opening pickup that the
  last bar does not complete counted as a failure; **clean, pickup free**: the same with
  such a pickup forgiven (the other findings still count);
- **clean by abc2midi**: the tune, written as ABC (:func:`folkabc.tokens.detokenize`),
  draws no bar-length warning from ``abc2midi -c`` (one file of all tunes; a tune that
  cannot be written counts as failing);
- **meter, mode, length**: total-variation distance ``0.5 sum |p - q|`` of the generated
  tunes' distribution to the corpus's (length in bins of 25 body tokens), and the median
  body length;
- **two repeated 8-bar parts**: the share of tunes whose check structure is AABB with
  8+8 bars (:func:`folkabc.analysis.stats.two_repeated_parts`), against the corpus and
  its dance-tune collections (O'Neill's, Ryan's, Aird's);
- **novelty**: the longest figure (run of body tokens) each tune shares with one corpus
  tune (:meth:`folkabc.corpus.Corpus.novelty`), its median, the share of tunes sharing a
  figure of 16 tokens or more, and which collection the nearest corpus tune (the one
  holding that figure) comes from.

Proportions carry Wilson 95% intervals; medians and distances percentile-bootstrap 95%
intervals (2,000 resamples of the generated tunes; the corpus is taken as fixed). The
held-out perplexity of the model (bootstrap over held-out tunes) opens the report.

Usage::

    python bench/evaluate_model.py                    # shipped model, 300 tunes per condition
    python bench/evaluate_model.py --n 1000 --json    # seeds 5000-5999
    python bench/evaluate_model.py --model DIR --corpus DIR

The default (300 tunes) takes about a minute on a quiet 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from folkabc.analysis.stats import bootstrap_interval, tv_distance, two_repeated_parts, wilson_interval
from folkabc.corpus import Corpus
from folkabc.corpus.sources import DANCE_COLLECTIONS
from folkabc.errors import FolkabcError
from folkabc.model import load_model
from folkabc.model.io import default_model_path, model_path, read_heldout
from folkabc.tokens import detokenize
from folkabc.train import TrainSettings, corpus_sequences, sequences_from_corpus, training_split
from folkabc.validate import check
from folkabc.validate.peer import abc2midi_bar_warnings
from folkabc.vocab import VOCAB

__all__ = [
    "Condition", "CONDITIONS", "DANCE_SOURCES", "DEFAULT_SEED", "Verdict", "judge", "abc2midi_clean",
    "length_bin", "evaluate", "markdown_table", "main",
]

DEFAULT_MODEL = default_model_path()
#: First seed of this evaluation: seeds 5000-5999 are used by nothing else.
DEFAULT_SEED = 5000
#: The corpus's dance-tune collections (music21 names).
DANCE_SOURCES = DANCE_COLLECTIONS
#: A shared figure this long or longer counts as a copy in the novelty row.
COPY_TOKENS = 16
#: Width of a length bin, in body tokens (the last bin holds everything from 400 on).
LENGTH_BIN = 25


@dataclass(frozen=True)
class Condition:
    """One generation condition: a row label and the keyword arguments of ``Model.generate``."""

    name: str
    generate: dict[str, Any] = field(default_factory=dict)


#: The conditions the bench loops over: the model alone and each constrained decoder
#: (:mod:`folkabc.model.constraints`).
CONDITIONS: list[Condition] = [
    Condition("unconstrained", {}),
    Condition("grammar", {"constrain": "grammar"}),
    Condition("bars", {"constrain": "bars"}),
    Condition("form AABB", {"form": "AABB"}),
]


@dataclass(frozen=True)
class Verdict:
    """What ``folkabc check`` says of one tune, in the bench's terms."""

    readable: bool
    clean_strict: bool
    clean_pickup_free: bool
    aabb: bool
    meter: str
    mode: str
    body: int
    structure: str


def _slot(tokens: Sequence[str], i: int, category: str) -> str:
    if len(tokens) > i and tokens[i] in VOCAB and VOCAB.category(tokens[i]) == category:
        return tokens[i]
    return f"(no {category})"


def judge(tokens: Sequence[str]) -> Verdict:
    """Check one tune ``[meter, mode, *body]`` and sort it into the bench's categories.

    ``clean_strict`` is every bar counting with an unmatched opening pickup as a
    failure; ``clean_pickup_free`` forgives that pickup (bar 0 of kind
    ``unmatched-pickup``) but nothing else. A sequence ``check`` cannot read is
    neither readable nor clean.
    """
    toks = list(tokens)
    meter, mode, body = _slot(toks, 0, "meter"), _slot(toks, 1, "mode"), max(len(toks) - 2, 0)
    try:
        r = check(toks)[0]
    except FolkabcError:
        return Verdict(False, False, False, False, meter, mode, body, "unreadable")
    if r.error:
        return Verdict(False, False, False, False, meter, mode, body, "unreadable")
    # ``ok`` forgives every unmatched pickup, ``ok_strict`` none; the bench forgives only the opening one
    free = r.ok and all(f.bar == 0 for f in r.findings if f.kind == "unmatched-pickup")
    return Verdict(True, r.ok_strict, free, two_repeated_parts(r.structure), meter, mode, body, r.structure.summary)


def abc2midi_clean(tunes: Sequence[Sequence[str]]) -> list[bool]:
    """Per tune: written as ABC, does ``abc2midi -c`` find no bar of the wrong length?

    All tunes go into one file (``X:1`` …); a tune :func:`~folkabc.tokens.detokenize`
    cannot write counts as not clean.
    """
    texts: list[str | None] = []
    for k, t in enumerate(tunes, 1):
        try:
            texts.append(detokenize(list(t), title=f"generated {k}", index=k))
        except FolkabcError:
            texts.append(None)
    written = [i for i, x in enumerate(texts) if x is not None]
    ok = [False] * len(tunes)
    if not written:
        return ok
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "generated.abc"
        path.write_text("\n".join(texts[i].rstrip("\n") + "\n" for i in written), encoding="utf-8")
        warnings = abc2midi_bar_warnings(path, timeout=600)
    for order, i in enumerate(written):
        ok[i] = not warnings.get(order)
    return ok


def length_bin(body: int) -> int:
    """The length bin (0, 1, …) of a tune with ``body`` body tokens (bins of 25, last from 400).

    >>> length_bin(0), length_bin(24), length_bin(25), length_bin(1000)
    (0, 0, 1, 16)
    """
    return min(body // LENGTH_BIN, 400 // LENGTH_BIN)


def _share(k: int, n: int) -> dict:
    lo, hi = wilson_interval(k, n)
    return {"k": int(k), "n": int(n), "share": k / n if n else float("nan"), "ci": [lo, hi]}


def _tv_with_ci(gen: list, ref: Counter, rng: int) -> dict:
    """Total-variation distance of the generated values to the reference counts, with a bootstrap
    95% interval (the generated tunes resampled, the reference fixed)."""
    keys = sorted(set(gen) | set(ref), key=str)
    pos = {k: i for i, k in enumerate(keys)}
    codes = np.array([pos[g] for g in gen], dtype=float)
    q = {i: ref.get(k, 0) for i, k in enumerate(keys)}

    def tv(sample: np.ndarray) -> float:
        return tv_distance(dict(enumerate(np.bincount(sample.astype(int), minlength=len(keys)))), q)

    return {"tv": float(tv(codes)), "tv_ci": list(bootstrap_interval(codes, tv, rng=rng))}


def _median_with_ci(x: Sequence[float], rng: int) -> dict:
    return {"median": float(np.median(x)), "ci": list(bootstrap_interval(np.asarray(x, float), rng=rng))}


def by_meter(verdicts: Sequence[Verdict]) -> dict[str, dict]:
    """Per meter: how many tunes, their median body length and their share of two repeated 8-bar parts
    (where a length or form gap sits: one meter's tunes can be short while the others match)."""
    groups: dict[str, list[Verdict]] = {}
    for v in verdicts:
        groups.setdefault(v.meter, []).append(v)
    return {m: {"tunes": len(g), "median_body": float(np.median([v.body for v in g])),
                "aabb": sum(v.aabb for v in g) / len(g)} for m, g in groups.items()}


def reference_sets(corpus: Corpus) -> dict[str, dict]:
    """Meter, mode, length and AABB counts of the whole corpus and of its dance-tune collections."""
    src = corpus.meta_array("source")
    out: dict[str, dict] = {}
    for name, rows in (("corpus", range(corpus.n_rows)),
                       ("dance tunes", [r for r in range(corpus.n_rows) if src[r] in DANCE_SOURCES])):
        rows = list(rows)
        toks = list(corpus.iter_row_tokens(rows))
        verdicts = [judge(t) for t in toks]
        out[name] = {
            "tunes": len(rows),
            "meter": Counter(v.meter for v in verdicts),
            "mode": Counter(v.mode for v in verdicts),
            "length": Counter(length_bin(v.body) for v in verdicts),
            "median_body": float(np.median([v.body for v in verdicts])) if verdicts else float("nan"),
            "by_meter": by_meter(verdicts),
            "aabb": _share(sum(v.aabb for v in verdicts), len(verdicts)),
            "clean_strict": _share(sum(v.clean_strict for v in verdicts), len(verdicts)),
            "clean_pickup_free": _share(sum(v.clean_pickup_free for v in verdicts), len(verdicts)),
        }
    return out


def evaluate_condition(model, corpus: Corpus, refs: dict, cond: Condition, *, n: int, seed: int,
                       max_length: int, reference: str = "corpus") -> dict:
    """Every row of the table for one condition."""
    t0 = time.perf_counter()
    gen = model.generate(n=n, seed=seed, temperature=1.0, max_length=max_length, **cond.generate)
    t_gen = time.perf_counter() - t0
    tunes = [list(g.tokens) for g in gen]
    v = [judge(t) for t in tunes]
    midi = abc2midi_clean(tunes)
    ref = refs[reference]
    src = corpus.meta_array("source")
    longest, nearest = [], Counter()
    examples = []
    for t in tunes:
        try:
            rep = corpus.novelty(t)
        except FolkabcError:
            rep = None
        fig = rep.longest if rep is not None else None
        longest.append(fig.length if fig else 0)
        if fig and fig.rows:
            s = src[fig.rows[0]]
            nearest["dance tunes" if s in DANCE_SOURCES else s] += 1
            examples.append({"length": fig.length, "title": fig.titles[0] if fig.titles else None, "source": s})
        else:
            nearest["(none)"] += 1
            examples.append(None)
    r = {
        "condition": cond.name, "generate": cond.generate, "n": n, "seeds": [seed, seed + n - 1],
        "seconds_generating": round(t_gen, 1),
        "ended": _share(sum(g.ended for g in gen), n),
        "readable": _share(sum(x.readable for x in v), n),
        "clean_strict": _share(sum(x.clean_strict for x in v), n),
        "clean_pickup_free": _share(sum(x.clean_pickup_free for x in v), n),
        "clean_abc2midi": _share(sum(midi), n),
        "meter": {**_tv_with_ci([x.meter for x in v], ref["meter"], 1), "shares": _shares(Counter(x.meter for x in v))},
        "mode": {**_tv_with_ci([x.mode for x in v], ref["mode"], 2), "shares": _shares(Counter(x.mode for x in v))},
        "length": {**_tv_with_ci([length_bin(x.body) for x in v], ref["length"], 3),
                   **_median_with_ci([x.body for x in v], 4)},
        "aabb": _share(sum(x.aabb for x in v), n),
        "by_meter": by_meter(v),
        "longest_shared": _median_with_ci(longest, 5),
        "copies_16": _share(sum(m >= COPY_TOKENS for m in longest), n),
        "nearest_source": _shares(nearest),
        "structures": dict(Counter(x.structure for x in v).most_common(8)),
        "nearest_examples": examples[:5],
    }
    # what a constrained decoder cost: removed log-mass per tune (Cost.total), its mean per step
    costs = [g.cost for g in gen if g.cost is not None]
    if costs:
        tot = [c.total for c in costs]
        per_step = [c.mean for c in costs]
        r["cost"] = {"total": _median_with_ci(tot, 6), "mean_total": float(np.mean(tot)),
                     "per_step": float(np.mean(per_step)),
                     "forced_steps": float(np.mean([c.forced for c in costs]))}
    return r


def heldout_tunes(model_dir: Path, corpus_path: str | None, heldout: Path | None = None
                  ) -> tuple[list[list[str]], str]:
    """The held-out tunes as token lists ``[meter, mode, *body]`` and where they came from."""
    path = heldout or model_dir / "heldout.npz"
    if path.exists():
        seqs = sequences_from_corpus(read_heldout(path))
        where = (f"held-out tunes of {heldout}" if heldout is not None
                 else "heldout.npz saved by the training run")
    else:
        settings = TrainSettings.load(model_dir / "train-settings.json")
        seqs, _ = corpus_sequences(corpus_path or settings.corpus)
        seqs, _, valid = training_split(seqs, settings=settings)
        seqs = [seqs[i] for i in valid]
        where = "corpus split rebuilt from train-settings.json"
    return [VOCAB.decode(s[1:-1]) for s in seqs], where


def heldout_perplexity(model, tunes: list[list[str]]) -> dict:
    """Mean NLL per token (``</s>`` included), its exp, and a bootstrap 95% interval over tunes."""
    scores = model.score_many(tunes)
    rows = np.array([[s.nll, len(s.tokens)] for s in scores], dtype=float)
    ratio = lambda a: a[:, 0].sum() / a[:, 1].sum()  # noqa: E731
    lo, hi = bootstrap_interval(rows, ratio, rng=0)
    loss = float(ratio(rows))
    return {"tunes": len(tunes), "tokens": int(rows[:, 1].sum()), "loss": loss, "perplexity": float(np.exp(loss)),
            "perplexity_ci": [float(np.exp(lo)), float(np.exp(hi))]}


def _seed_warning(model_dir: Path, seed: int, n: int) -> str | None:
    try:
        s = json.loads((model_dir / "train-settings.json").read_text())
    except (OSError, ValueError):
        return None
    for key in ("self_seed", "select_seed"):
        start = s.get(key)
        if isinstance(start, int) and seed < start + 1_000_000 and start < seed + n:
            return f"warning: seeds {seed}..{seed + n - 1} overlap the training run's {key} range ({start} on)"
    return None


def evaluate(model_dir: Path, *, n: int = 300, seed: int = DEFAULT_SEED, max_length: int = 1000,
             corpus_path: str | None = None, conditions: Sequence[Condition] = CONDITIONS,
             perplexity: bool = True, reference: str = "corpus", heldout: Path | None = None) -> dict:
    """Run the whole evaluation; returns the numbers :func:`markdown_table` prints."""
    t0 = time.perf_counter()
    model = load_model(model_dir)
    corpus = Corpus.open(corpus_path)
    refs = reference_sets(corpus)
    out: dict[str, Any] = {
        "model": str(model_dir), "reference": reference, "layers": list(model.layers), "parameters": int(model.params.n_params),
        "corpus": {"path": str(corpus.path), "tunes": refs["corpus"]["tunes"],
                   "dance_tunes": refs["dance tunes"]["tunes"]},
        "seed_warning": _seed_warning(Path(model_dir), seed, n),
        "references": {k: {**v, "meter": _shares(v["meter"]), "mode": _shares(v["mode"]),
                           "length": {str(b): c for b, c in sorted(v["length"].items())}}
                       for k, v in refs.items()},
    }
    if perplexity:
        held, where = heldout_tunes(Path(model_dir), corpus_path, heldout)
        out["heldout"] = {"source": where, **heldout_perplexity(model, held)}
    out["conditions"] = [evaluate_condition(model, corpus, refs, c, n=n, seed=seed, max_length=max_length,
                                            reference=reference) for c in conditions]
    out["seconds"] = round(time.perf_counter() - t0, 1)
    return out


def _shares(c: Counter) -> dict:
    total = sum(c.values())
    return {str(k): round(v / total, 4) for k, v in c.most_common()}


def _pct(d: dict) -> str:
    return f"{100 * d['share']:.1f}% [{100 * d['ci'][0]:.1f}–{100 * d['ci'][1]:.1f}]"


def _ci(x: float, ci: Sequence[float], fmt: str = "{:.3f}") -> str:
    return f"{fmt.format(x)} [{fmt.format(ci[0])}–{fmt.format(ci[1])}]"


def markdown_table(r: dict) -> str:
    """The evaluation as a Markdown table (one column per condition, then the corpus references)."""
    conds = r["conditions"]
    refs = r["references"]
    c0 = refs["corpus"]
    dance = refs["dance tunes"]
    head = ["measure", *(c["condition"] for c in conds),
            f"corpus ({c0['tunes']} tunes)", f"dance tunes ({dance['tunes']})"]
    rows: list[list[str]] = []

    def row(label: str, cells: list[str], *ref: str) -> None:
        rows.append([label, *cells, *(ref or ("", ""))])

    row("readable (`folkabc check` reads it)", [_pct(c["readable"]) for c in conds])
    row("ended with `</s>`", [_pct(c["ended"]) for c in conds])
    row("clean, `folkabc check`, strict (unmatched opening pickup fails)",
        [_pct(c["clean_strict"]) for c in conds], _pct(c0["clean_strict"]), _pct(dance["clean_strict"]))
    row("clean, `folkabc check`, opening pickup free",
        [_pct(c["clean_pickup_free"]) for c in conds], _pct(c0["clean_pickup_free"]),
        _pct(dance["clean_pickup_free"]))
    row("clean, `abc2midi -c` (no bar warning)", [_pct(c["clean_abc2midi"]) for c in conds])
    to = r.get("reference", "corpus")
    mark = ("reference", "") if to == "corpus" else ("", "reference")
    row(f"meter: TV distance to the {to}", [_ci(c["meter"]["tv"], c["meter"]["tv_ci"]) for c in conds], *mark)
    row(f"mode: TV distance to the {to}", [_ci(c["mode"]["tv"], c["mode"]["tv_ci"]) for c in conds], *mark)
    row(f"length: TV distance to the {to} (bins of {LENGTH_BIN} tokens)",
        [_ci(c["length"]["tv"], c["length"]["tv_ci"]) for c in conds], *mark)
    row("median body length, tokens", [_ci(c["length"]["median"], c["length"]["ci"], "{:.0f}") for c in conds],
        f"{c0['median_body']:.0f}", f"{dance['median_body']:.0f}")
    row("two repeated 8-bar parts (AABB, 8+8 bars)", [_pct(c["aabb"]) for c in conds],
        _pct(c0["aabb"]), _pct(dance["aabb"]))
    row("novelty: median longest figure shared with one corpus tune, tokens",
        [_ci(c["longest_shared"]["median"], c["longest_shared"]["ci"], "{:.0f}") for c in conds])
    row(f"novelty: shares a figure of ≥ {COPY_TOKENS} tokens", [_pct(c["copies_16"]) for c in conds])
    row("constraint cost: median removed log-mass per tune, nats (mean per step)",
        [(_ci(c["cost"]["total"]["median"], c["cost"]["total"]["ci"], "{:.2f}")
          + f" ({c['cost']['per_step']:.4f})") if "cost" in c else "—" for c in conds])
    row("novelty: nearest corpus tune is a dance tune / Essen song",
        [f"{100 * c['nearest_source'].get('dance tunes', 0):.0f}% / "
         f"{100 * c['nearest_source'].get('essenFolksong', 0):.0f}%" for c in conds],
        "", "")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(x) + " |" for x in rows]
    return "\n".join(lines)


def _meter_cells(meter: str, gen: dict | None, ref: dict) -> str:
    """One meter's tunes, median body length and AABB share, generated/reference."""
    if gen is None:
        return f"{meter} 0/{ref['tunes']} tunes"
    return (f"{meter} {gen['tunes']}/{ref['tunes']} tunes, "
            f"median {gen['median_body']:.0f}/{ref['median_body']:.0f} tokens, "
            f"AABB {100 * gen['aabb']:.0f}/{100 * ref['aabb']:.0f}%")


def _report(r: dict) -> str:
    c = r["conditions"][0]
    model = os.path.relpath(r["model"]) if os.path.isabs(r["model"]) else r["model"]
    corpus = r["corpus"]["path"].replace(str(Path.home()), "~", 1)
    lines = [f"model {model}: LSTM {'x'.join(map(str, r['layers']))}, {r['parameters']:,} parameters; "
             f"corpus {corpus} ({r['corpus']['tunes']} tunes, {r['corpus']['dance_tunes']} in the dance "
             f"collections {', '.join(DANCE_SOURCES)})"]
    if "heldout" in r:
        h = r["heldout"]
        lines.append(f"held-out: {h['tunes']} tunes, {h['tokens']} tokens ({h['source']}): loss {h['loss']:.4f} "
                     f"nats/token, perplexity {h['perplexity']:.3f} [{h['perplexity_ci'][0]:.3f}–"
                     f"{h['perplexity_ci'][1]:.3f}]")
    lines.append(f"generated: {c['n']} tunes per condition, temperature 1, seeds {c['seeds'][0]}–{c['seeds'][1]}; "
                 "95% intervals: Wilson (shares), bootstrap of the generated tunes (medians, distances)")
    if r.get("seed_warning"):
        lines.append(r["seed_warning"])
    lines += ["", markdown_table(r), ""]
    for c in r["conditions"]:
        for what in ("meter", "mode"):
            ref = r["references"][r.get("reference", "corpus")][what]
            keys = list(ref) + [k for k in c[what]["shares"] if k not in ref]
            lines.append(f"{c['condition']}, {what} (% generated/{r.get('reference', 'corpus')}): " + "  ".join(
                f"{k} {100 * c[what]['shares'].get(k, 0):.1f}/{100 * ref.get(k, 0):.1f}" for k in keys))
        ref = r["references"][r.get("reference", "corpus")]["by_meter"]
        lines.append(f"{c['condition']}, by meter (generated/{r.get('reference', 'corpus')}): " + ";  ".join(
            _meter_cells(m, c["by_meter"].get(m), ref[m])
            for m in sorted(ref, key=lambda m: -ref[m]["tunes"])[:5]))
        lines.append(f"{c['condition']}, commonest forms: "
                     + "; ".join(f"{k} {v}" for k, v in list(c["structures"].items())[:5]))
    lines.append(f"total {r['seconds']} s")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default=str(DEFAULT_MODEL),
                    help="model directory or a shipped model's name (default: the default shipped model)")
    ap.add_argument("--corpus", help="corpus directory (default: the default corpus)")
    ap.add_argument("-n", "--n", type=int, default=300, help="tunes per condition (default 300)")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED,
                    help=f"seed of the first tune (default {DEFAULT_SEED})")
    ap.add_argument("--max-length", type=int, default=1000, help="token limit per tune (default 1000)")
    ap.add_argument("--no-perplexity", action="store_true", help="skip the held-out perplexity")
    ap.add_argument("--reference", choices=["corpus", "dance"], default="corpus",
                    help="compare meter, mode and length with the whole corpus or its dance tunes")
    ap.add_argument("--heldout", type=Path, metavar="FILE",
                    help="perplexity on the tunes of this heldout.npz (or model directory), e.g. another "
                         "model's, to compare two models on the same held-out tunes")
    ap.add_argument("--conditions", help="comma-separated condition names (default: all: "
                    + ", ".join(c.name for c in CONDITIONS) + ")")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    conditions = CONDITIONS
    if args.conditions:
        wanted = [x.strip() for x in args.conditions.split(",")]
        conditions = [c for c in CONDITIONS if c.name in wanted]
        if len(conditions) != len(wanted):
            ap.error(f"--conditions: known names are {', '.join(c.name for c in CONDITIONS)}")
    if args.n < 1:
        ap.error("--n must be >= 1")
    if shutil.which("abc2midi") is None:
        print("abc2midi is not installed (Debian package abcmidi)", file=sys.stderr)
        return 2
    model_dir = model_path(args.model)
    r = evaluate(model_dir, n=args.n, seed=args.seed, max_length=args.max_length, corpus_path=args.corpus,
                 perplexity=not args.no_perplexity, conditions=conditions,
                 reference="corpus" if args.reference == "corpus" else "dance tunes", heldout=args.heldout)
    print(json.dumps(r, indent=2, default=str) if args.json else _report(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
