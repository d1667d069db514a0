"""Benchmark: the numpy folk-rnn model (3 × 512 LSTM over 137 tokens) — generation and scoring.

Usage::

    python bench/model.py [--model PATH] [--length N] [--batch B] [--batch-length N]
                          [--rerun-length N] [--repeat R] [--blas-threads T]

Measures, in one run, on a v2-sized model (random weights unless ``--model`` is given):

* single-stream generation: one tune, one token per step (incremental state), tokens/s;
* batched generation: ``--batch`` tunes advancing together, tokens/s;
* scoring: ``score_many`` over the batch's tunes (whole known sequences, layer by layer), tokens/s,
  and ``score`` of one tune at a time;
* the peer — the folk-rnn sampler's approach, which reruns the network over the whole prefix at every
  step to sample the next token (O(N²) steps for N tokens): tokens/s for a ``--rerun-length`` tune,
  checked to produce the same tune as the incremental sampler from the same uniforms.

``</s>`` is banned while timing generation so every tune has exactly the asked length. Each figure is
the best of ``--repeat`` runs. BLAS runs on ``--blas-threads`` threads (default 1, set through
``OPENBLAS_NUM_THREADS``/``OMP_NUM_THREADS`` before numpy loads): on a busy shared 2-core machine, two
spinning BLAS threads make these small matrix products up to 10 × slower. Targets (2-core dev machine): ≥ 300 tokens/s single stream, ≥ 2,500
tokens/s batched (batch 64), ≥ 3,000 tokens/s scoring.
"""

from __future__ import annotations

import argparse
import os
import time


CPU = {}  # label -> CPU seconds of the best run (this process)


def _best(fn, repeat: int, label: str = ""):
    best, out = float("inf"), None
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        wall = time.perf_counter() - t
        if wall < best:
            best, CPU[label] = wall, time.process_time() - c
    return best, out


def _cpu(label: str, n: float) -> str:
    c = CPU.get(label) or float("nan")
    return f"[{n / c:,.0f} tokens per CPU-second]"


def rerun_sampler(model, n_tokens: int, uniforms) -> list[int]:
    """The folk-rnn sampler's way: rerun <s> + the whole prefix through the network for each token."""
    import numpy as np

    from folkabc.model import log_softmax
    from folkabc.model.sampling import sample_ids

    net = model.network()
    seq = [model.start_id]
    banned = np.array([model.start_id, model.end_id])
    for t in range(n_tokens):
        logits, _ = net.forward(np.array([seq]))
        nxt = sample_ids(log_softmax(logits[:, -1]), uniforms[t:t + 1], banned=banned)
        seq.append(int(nxt[0]))
    return seq[1:]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", help="a model path (default: random 3 x 512 weights over the 137 tokens)")
    ap.add_argument("--length", type=int, default=400, help="tokens of the single-stream tune (400)")
    ap.add_argument("--batch", type=int, default=64, help="tunes in the batched run (64)")
    ap.add_argument("--batch-length", type=int, default=200, help="tokens per tune in the batched run (200)")
    ap.add_argument("--rerun-length", type=int, default=100, help="tokens for the rerun peer (100)")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--blas-threads", type=int, default=1, help="BLAS threads (1); 0 leaves the environment")
    args = ap.parse_args(argv)
    if args.blas_threads > 0:
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(args.blas_threads)
    import numpy as np

    from folkabc.model import Model, load_model

    model = load_model(args.model) if args.model else Model.random(layers=[512, 512, 512], rng=0)
    print(f"model: {model}, {model.params.n_params:,} parameters; numpy {np.__version__}, "
          f"{os.cpu_count()} CPUs, BLAS threads: {os.environ.get('OPENBLAS_NUM_THREADS', 'default')}")
    L = args.length
    ban = ["</s>"]
    model.generate(n=2, seed=0, max_length=20, banned=ban)  # warm up: rearranged weights, page faults

    t1, single = _best(lambda: model.generate(seed=1, max_length=L, banned=ban)[0], args.repeat, "single")
    single_tps = L / t1
    print(f"single-stream generation : {single_tps:9,.0f} tokens/s  ({L} tokens in {t1:.3f} s)  {_cpu('single', L)}")

    B, BL = args.batch, args.batch_length
    tb, batch = _best(lambda: model.generate(n=B, seed=1, max_length=BL, banned=ban), args.repeat, "batch")
    batch_tps = B * BL / tb
    print(f"batched generation (B={B}): {batch_tps:9,.0f} tokens/s  ({B * BL:,} tokens in {tb:.3f} s)  "
          f"{_cpu('batch', B * BL)}  = {batch_tps / single_tps:.1f} x single stream")
    assert batch[1].tokens == model.generate(seed=2, max_length=BL, banned=ban)[0].tokens  # batch == single

    tunes = [g.tokens for g in batch]
    n_scored = sum(len(t) + 1 for t in tunes)
    ts, _ = _best(lambda: model.score_many(tunes), args.repeat, "score")
    score_tps = n_scored / ts
    print(f"scoring (score_many)     : {score_tps:9,.0f} tokens/s  ({n_scored:,} tokens in {ts:.3f} s)  "
          f"{_cpu('score', n_scored)}")
    n1 = sum(len(t) + 1 for t in tunes[:8])
    ts1, _ = _best(lambda: [model.score(t) for t in tunes[:8]], args.repeat, "score1")
    print(f"scoring (one tune a call): {n1 / ts1:9,.0f} tokens/s  {_cpu('score1', n1)}")

    R = args.rerun_length
    rng = np.random.default_rng(1)
    uniforms = rng.random(256)  # the first uniforms tune seed=1 draws (one block)
    ti, inc = _best(lambda: model.generate(seed=1, max_length=R, banned=ban)[0], args.repeat, "inc")
    tr, rer = _best(lambda: rerun_sampler(model, R, uniforms), 1, "rerun")
    same = model.vocab.decode(rer) == inc.tokens
    print(f"peer: rerun whole prefix : {R / tr:9,.0f} tokens/s  ({R} tokens in {tr:.2f} s; "
          f"{R * (R + 1) // 2:,} network steps)  {_cpu('rerun', R)}")
    print(f"     incremental (same N): {R / ti:9,.0f} tokens/s  {_cpu('inc', R)}  -> {tr / ti:.0f} x faster "
          f"(CPU time: {CPU['rerun'] / CPU['inc']:.0f} x); same tune: {same}")
    print()
    print("targets: single >= 300 tokens/s: {}; batched >= 2,500: {}; scoring >= 3,000: {}".format(
        *("met" if v else "MISSED" for v in (single_tps >= 300, batch_tps >= 2500, score_tps >= 3000))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
