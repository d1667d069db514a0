"""Evaluate a folkabc model (default: the shipped one) the way issue 7 asks.

Prints, for the model:

1. held-out perplexity: mean per-token negative log-likelihood (``</s>`` included,
   ``<s>`` not predicted) over the tunes the training run held out (``heldout.npz``
   beside the model; else the corpus split is rebuilt from ``train-settings.json``);
2. of N tunes generated at temperature 1 (tune k with seed ``SEED + k``, at most
   ``--max-length`` tokens): the share that ended with ``</s>`` before the limit and the
   share whose bars all count (:func:`folkabc.check`, i.e. ``folkabc check``), and how many
   failing tunes have each kind of error (short or long bar, unmatched pickup, unreadable);
3. meter and mode distributions of the generated tunes against the corpus's, with the
   total-variation distance ``0.5 * sum |p - q|`` (0 = identical, 1 = disjoint);
4. novelty: for each generated tune the longest run of consecutive body tokens that also
   occurs inside one corpus tune (suffix-array matching statistics over the corpus
   index), reported as the median over tunes, in tokens and as a share of the tune body.

Usage::

    python bench/evaluate_model.py                      # the shipped model, 500 tunes
    python bench/evaluate_model.py --model DIR -n 100 --json
"""

from __future__ import annotations

import sys
from pathlib import Path

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402

import numpy as np  # noqa: E402

from folkabc.corpus import Corpus  # noqa: E402
from folkabc.errors import FolkabcError  # noqa: E402
from folkabc.model import load_model  # noqa: E402
from folkabc.train import TrainSettings, corpus_sequences, sequences_from_corpus, training_split  # noqa: E402
from folkabc.validate import check  # noqa: E402
from folkabc.vocab import VOCAB  # noqa: E402

DEFAULT_MODEL = Path(__file__).resolve().parent.parent / "folkabc" / "data" / "model"


def heldout_tunes(model_dir: Path, corpus_path: str | None) -> tuple[list[list[str]], str]:
    """The held-out tunes as token lists ``[meter, mode, *body]`` and where they came from."""
    path = model_dir / "heldout.npz"
    if path.exists():
        with np.load(path) as z:
            seqs = sequences_from_corpus((z["ids"], z["offsets"]))
        where = "heldout.npz saved by the training run"
    else:
        settings = TrainSettings.load(model_dir / "train-settings.json")
        seqs, _ = corpus_sequences(corpus_path or settings.corpus)
        seqs, _, valid = training_split(seqs, settings=settings)
        seqs = [seqs[i] for i in valid]
        where = "corpus split rebuilt from train-settings.json"
    return [VOCAB.decode(s[1:-1]) for s in seqs], where


def perplexity(model, tunes: list[list[str]]) -> tuple[float, float, int]:
    """Mean NLL per token (nats), its exp, and the number of tokens scored."""
    scores = model.score_many(tunes)
    nll = sum(s.nll for s in scores)
    n = sum(len(s.tokens) for s in scores)
    return nll / n, float(np.exp(nll / n)), n


def longest_shared(index, body_ids: np.ndarray) -> int:
    """Length of the longest run of ``body_ids`` that occurs in some corpus tune."""
    n = body_ids.size
    best = 0
    j = 0
    for i in range(n):
        j = max(j, i)
        rng = index.find(body_ids[i:j]) if j > i else None
        while j < n:
            lo, hi = index.find(body_ids[i:j + 1], hint=rng)
            if hi <= lo:
                break
            rng = (lo, hi)
            j += 1
        best = max(best, j - i)
        if j == n:  # every later start ends at n too: shorter
            break
    return best


def _slot(tokens: list[str], i: int, category: str) -> str:
    """The token at ``i`` if it is of ``category``, else ``(no meter)`` / ``(no mode)``."""
    if len(tokens) > i and VOCAB.category(tokens[i]) == category:
        return tokens[i]
    return f"(no {category})"


def _checks(tokens: list[str]) -> tuple[bool, set[str]]:
    """Whether every bar counts, and the kinds of error found (``short``, ``long``,
    ``unmatched-pickup``; ``unreadable`` for a sequence ``check`` cannot read)."""
    try:
        r = check(list(tokens))[0]
    except FolkabcError:
        return False, {"unreadable"}
    return bool(r.ok), {f.kind for f in r.findings if f.is_error} | ({"unreadable"} if r.error else set())


def tv_distance(p: Counter, q: Counter) -> float:
    """Total-variation distance between two count tables."""
    keys = set(p) | set(q)
    sp, sq = sum(p.values()), sum(q.values())
    return 0.5 * sum(abs(p[k] / sp - q[k] / sq) for k in keys)


def evaluate(model_dir: Path, *, n: int, seed: int, max_length: int, corpus_path: str | None) -> dict:
    t0 = time.perf_counter()
    model = load_model(model_dir)
    weights_mb = (model_dir / "weights.npz").stat().st_size / 1e6
    corpus = Corpus.open(corpus_path)
    corpus_seqs = sequences_from_corpus(corpus)

    held, where = heldout_tunes(model_dir, corpus_path)
    loss, ppl, n_tok = perplexity(model, held)

    t_gen = time.perf_counter()
    gen = model.generate(n=n, seed=seed, temperature=1.0, max_length=max_length)
    t_gen = time.perf_counter() - t_gen
    ended = [g.ended for g in gen]
    outcomes = [_checks(g.tokens) for g in gen]
    ok = [o for o, _ in outcomes]
    kinds = Counter(k for _, ks in outcomes for k in ks)

    meters_gen = Counter(_slot(g.tokens, 0, "meter") for g in gen)
    modes_gen = Counter(_slot(g.tokens, 1, "mode") for g in gen)
    meters_corpus = Counter(VOCAB.token(int(s[1])) for s in corpus_seqs)
    modes_corpus = Counter(VOCAB.token(int(s[2])) for s in corpus_seqs)

    index = corpus.index
    shared, share_of_body, whole = [], [], 0
    for g in gen:
        body = [t for t in g.tokens[2:]]
        if not body:
            continue
        body_ids = VOCAB.encode(body)
        m = longest_shared(index, body_ids)
        shared.append(m)
        share_of_body.append(m / len(body))
        whole += m == len(body)
    lengths = [len(g.tokens) for g in gen]
    return {
        "model": str(model_dir),
        "layers": model.layers,
        "parameters": int(model.params.n_params),
        "weights_mb": round(weights_mb, 2),
        "corpus": {"path": str(corpus.path), "tunes": len(corpus_seqs)},
        "heldout": {"source": where, "tunes": len(held), "tokens": n_tok,
                    "loss_nats": round(loss, 4), "perplexity": round(ppl, 3)},
        "generated": {
            "n": n, "seeds": f"{seed}..{seed + n - 1}", "temperature": 1.0, "max_length": max_length,
            "seconds": round(t_gen, 1),
            "median_tokens": float(np.median(lengths)),
            "ended_share": round(float(np.mean(ended)), 4),
            "check_ok_share": round(float(np.mean(ok)), 4),
            "check_ok_share_of_ended": round(float(np.mean([o for o, e in zip(ok, ended) if e])), 4)
            if any(ended) else None,
            "failing_tunes_with": dict(kinds.most_common()),
        },
        "meter": {"tv_distance": round(tv_distance(meters_gen, meters_corpus), 4),
                  "generated": _shares(meters_gen), "corpus": _shares(meters_corpus)},
        "mode": {"tv_distance": round(tv_distance(modes_gen, modes_corpus), 4),
                 "generated": _shares(modes_gen), "corpus": _shares(modes_corpus)},
        "novelty": {
            "median_longest_shared_tokens": float(np.median(shared)),
            "median_longest_shared_share_of_body": round(float(np.median(share_of_body)), 4),
            "p90_longest_shared_tokens": float(np.percentile(shared, 90)),
            "whole_body_in_corpus": whole,
        },
        "seconds": round(time.perf_counter() - t0, 1),
    }


def _shares(c: Counter) -> dict:
    total = sum(c.values())
    return {k: round(v / total, 4) for k, v in c.most_common()}


def _report(r: dict) -> str:
    g, h, nv = r["generated"], r["heldout"], r["novelty"]
    lines = [
        f"model        {r['model']}: LSTM {'x'.join(map(str, r['layers']))}, "
        f"{r['parameters']:,} parameters, weights.npz {r['weights_mb']} MB",
        f"corpus       {r['corpus']['path']} ({r['corpus']['tunes']} tunes)",
        f"held-out     {h['tunes']} tunes, {h['tokens']} tokens ({h['source']}): "
        f"loss {h['loss_nats']} nats/token, perplexity {h['perplexity']}",
        f"generated    {g['n']} tunes, T=1, seeds {g['seeds']}, max {g['max_length']} tokens "
        f"({g['seconds']} s; median {g['median_tokens']:.0f} tokens)",
        f"  ended with </s> before the limit  {100 * g['ended_share']:.1f}%",
        f"  all bars count (folkabc check)    {100 * g['check_ok_share']:.1f}%"
        + (f"  (of the ended ones: {100 * g['check_ok_share_of_ended']:.1f}%)"
           if g["check_ok_share_of_ended"] is not None else ""),
        "  failing tunes with              " + ", ".join(f"{k} {v}" for k, v in g["failing_tunes_with"].items()),
    ]
    for what in ("meter", "mode"):
        d = r[what]
        keys = list(d["corpus"]) + [k for k in d["generated"] if k not in d["corpus"]]
        lines.append(f"{what:<12} total-variation distance to the corpus {d['tv_distance']:.3f}")
        lines.append("  " + "  ".join(f"{k} {100 * d['generated'].get(k, 0):.1f}/{100 * d['corpus'].get(k, 0):.1f}"
                                      for k in keys) + "   (% generated/corpus)")
    lines += [
        f"novelty      median longest figure shared with the corpus: {nv['median_longest_shared_tokens']:.0f} "
        f"tokens ({100 * nv['median_longest_shared_share_of_body']:.1f}% of the tune body); "
        f"90th percentile {nv['p90_longest_shared_tokens']:.0f}; whole body found in the corpus: "
        f"{nv['whole_body_in_corpus']} of {g['n']}",
        f"total        {r['seconds']} s",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="model directory (default: shipped)")
    ap.add_argument("--corpus", help="corpus directory (default: the default corpus)")
    ap.add_argument("-n", type=int, default=500, help="tunes to generate (default 500)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the first tune (default 0)")
    ap.add_argument("--max-length", type=int, default=1000, help="token limit per tune (default 1000)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    r = evaluate(args.model, n=args.n, seed=args.seed, max_length=args.max_length, corpus_path=args.corpus)
    print(json.dumps(r, indent=2) if args.json else _report(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
