"""Benchmark disguised-copy search: recall@1 / recall@10 of four methods on the same disguised queries.

Queries are corpus tunes (at least 24 notes) disguised as a musician or a
model would disguise them, each disguise alone and then all of them together
at two strengths:

- ``transpose``   moved to another tonic (-5..+6 semitones, never 0), respelt
                  note by note in the vocabulary (accidentals, carried in the bar);
- ``notes10`` / ``notes20``  10% / 20% of the notes moved by 1-4 semitones;
- ``rhythm``      dotted <-> even (``X Y`` <-> ``X > Y``), notes split (``X 2`` -> ``X X``)
                  and merged (``X X`` -> ``X 2``), each at a third of the places it can go;
- ``ornament``    a cut on 10% of the plain notes (``X`` -> ``Y /2 X /2``, ``Y`` the note above);
- ``barswap``     two bars of the tune swapped;
- ``all10`` / ``all20``  every disguise at once, with 10% / 20% of the notes changed.

Methods, side by side:

- ``exact``   the existing exact index: corpus tunes ranked by distinct shared token 6-grams;
- ``abcmatch`` (abcmidi) ``abcmatch BOOK -con -br 1`` with the query as ``match.abc`` (contour
  match, so transposition does not hide the tune), tunes ranked by matched bars; on
  ``--abcmatch-queries`` queries per disguise (each run reads the whole tunebook);
- ``music21`` ``music21.search.segment``: the query's and pool tunes' segments (its
  ``translateMonophonicPartToSegments``) compared with its difflib ratio, tunes ranked by the
  mean over query segments of the best ratio; over a *pool* of ``--music21-pool`` tunes holding
  every source tune (music21 parses each tune: the whole corpus does not run in time), on
  ``--music21-queries`` queries per disguise and capped at ``--music21-seconds``;
- ``folkabc`` :func:`folkabc.similar.similar_ids` over the whole corpus.

A method finds a query when its first (recall@1) or any of its first ten (recall@10) tunes is the
source tune or a tune with the very same pitch sequence (the corpus holds some settings that differ
in rhythm only: no method that reads pitches can rank one above the other). A third column,
``@1 setting``, also counts a first tune that is another setting of the source (its notes align
with the source's at 0.8 or more): the corpus holds many settings of one tune (O'Neill's and
Ryan's, Essen variants), and a disguised query may well sit nearer another setting.

Also: median and p90 query time of ``folkabc`` (whole corpus, with the aligned bars of the
best 3 hits), and the best score over ``--unrelated`` pairs of unrelated tunes (the
threshold check). Wall times move with the load of the machine.

Usage::

    python bench/similar.py                     # 200 queries per disguise
    python bench/similar.py --queries 50 --abcmatch-queries 0 --music21-queries 0
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from folkabc.corpus import Corpus
from folkabc.similar import DEFAULT_THRESHOLD, RepIndex, align_scores, similar_ids
from folkabc.similar.notes import token_pitches
from folkabc.vocab import VOCAB

END = VOCAB.id("</s>")
BARS = {"|", "|:", ":|", "|1", "|2"}
LETTERS = "CDEFGAB"
SIG = {"K:Cmaj": (), "K:Cmin": ("E", "A", "B"), "K:Cdor": ("E", "B"), "K:Cmix": ("B",)}
DISGUISES = ("transpose", "notes10", "notes20", "rhythm", "ornament", "barswap", "all10", "all20")

# ---------------------------------------------------------------- spelling (vocabulary tokens for a MIDI pitch)
_SPELL = []  # (token, natural midi, letter, explicit accidental or None)
for _tok, _cat in zip(VOCAB.tokens, VOCAB.categories):
    if _cat != "pitch":
        continue
    acc = _tok[0] if _tok[0] in "^_=" else ""
    body = _tok[len(acc):]
    nat = 60 + {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}[body[0].upper()]
    nat += (12 if body[0].islower() else 0) + 12 * body.count("'") - 12 * body.count(",")
    _SPELL.append((_tok, nat, body[0].upper(), {"^": 1, "_": -1, "=": 0}.get(acc)))


def spell(pitches: list[int | None], tokens: list[str], mode: str) -> list[str] | None:
    """Tokens with every note token respelt to sound ``pitches[i]`` (None: keep); None if impossible."""
    flats = SIG.get(mode, ())
    out, state = [], {}
    for tok, p in zip(tokens, pitches):
        if tok in BARS:
            state = {}
        if p is None:
            out.append(tok)
            continue
        best = None
        for cand, nat, letter, acc in _SPELL:
            sounding = nat + (acc if acc is not None else state.get(nat, -1 if letter in flats else 0))
            if sounding == p:
                rank = (acc is not None, acc == 0, acc == -1)
                if best is None or rank < best[0]:
                    best = (rank, cand, nat, acc)
        if best is None:
            return None
        _, cand, nat, acc = best
        if acc is not None:
            state[nat] = acc
        out.append(cand)
    return out


# ---------------------------------------------------------------- disguises on token lists
def _plain(tokens: list[str]) -> list[str]:
    """Chords reduced to their first note (the disguises move single notes)."""
    out, depth = [], 0
    for t in tokens:
        if t == "[":
            depth, first = 1, True
            continue
        if t == "]":
            depth = 0
            continue
        if depth:
            if first and VOCAB.category(t) == "pitch":
                out.append(t)
                first = False
            continue
        out.append(t)
    return out


def _pitches(tokens: list[str]) -> list[int | None]:
    ids = VOCAB.encode(tokens + ["</s>"])
    p = token_pitches(ids, np.array([0, len(ids)]))[:-1]
    return [int(x) if x else None for x in p]


def disguise(tokens: list[str], kind: str, rng: np.random.Generator) -> list[str] | None:
    """One disguised copy of a tune (``[meter, mode, body...]``), or None when it cannot be spelt."""
    toks = _plain(tokens)
    mode = toks[1]
    kinds = {"all10": ("barswap", "rhythm", "ornament", "notes10", "transpose"),
             "all20": ("barswap", "rhythm", "ornament", "notes20", "transpose")}.get(kind, (kind,))
    for k in kinds:
        if k == "barswap":
            cuts = [i for i, t in enumerate(toks) if t in BARS]
            if len(cuts) >= 4:
                a, b = sorted(rng.choice(len(cuts) - 1, 2, replace=False))
                x = toks[cuts[a] + 1:cuts[a + 1]]
                y = toks[cuts[b] + 1:cuts[b + 1]]
                toks = toks[:cuts[a] + 1] + y + toks[cuts[a + 1]:cuts[b] + 1] + x + toks[cuts[b + 1]:]
        elif k == "rhythm":
            out, i = toks[:2], 2
            while i < len(toks):
                t = toks[i]
                nxt = toks[i + 1] if i + 1 < len(toks) else ""
                cat = VOCAB.category(t)
                if cat == "pitch" and nxt == "2" and rng.random() < 1 / 3:        # split
                    out += [t, t]
                    i += 2
                elif (cat == "pitch" and nxt == t and rng.random() < 1 / 3        # merge
                      and (i + 2 >= len(toks) or VOCAB.category(toks[i + 2]) != "duration")):
                    out += [t, "2"]
                    i += 2
                elif cat == "pitch" and nxt == ">" and rng.random() < 1 / 3:      # dotted -> even
                    out += [t]
                    i += 2
                elif (cat == "pitch" and nxt and VOCAB.category(nxt) == "pitch"
                      and rng.random() < 1 / 6):                                  # even -> dotted
                    out += [t, ">"]
                    i += 1
                else:
                    out.append(t)
                    i += 1
            toks = out
        elif k == "ornament":
            p = _pitches(toks)
            out, pp = [], []
            for i, (t, x) in enumerate(zip(toks, p)):
                nxt = toks[i + 1] if i + 1 < len(toks) else "|"
                if x is not None and VOCAB.category(nxt) not in ("duration",) and rng.random() < 0.1:
                    out += [t, "/2", t, "/2"]
                    pp += [x + 2, None, x, None]
                else:
                    out.append(t)
                    pp.append(x)
            toks = spell(pp, out, mode)
            if toks is None:
                return None
        elif k in ("notes10", "notes20"):
            share = 0.1 if k == "notes10" else 0.2
            p = _pitches(toks)
            where = [i for i, x in enumerate(p) if x is not None]
            pick = rng.choice(where, max(1, round(share * len(where))), replace=False)
            for i in pick:
                p[i] += int(rng.choice([-4, -3, -2, -1, 1, 2, 3, 4]))
            toks = spell(p, toks, mode)
            if toks is None:
                return None
        elif k == "transpose":
            p = _pitches(toks)
            for shift in rng.permutation([-5, -4, -3, -2, -1, 1, 2, 3, 4, 5, 6]):
                moved = spell([None if x is None else x + int(shift) for x in p], toks, mode)
                if moved is not None:
                    toks = moved
                    break
            else:
                return None
    return toks


# ---------------------------------------------------------------- methods
def exact_rank(index, body: np.ndarray, n: int = 6) -> np.ndarray:
    """Corpus rows by distinct shared token n-grams (best first, top 10)."""
    if len(body) < n:
        return np.zeros(0, np.int64)
    grams = np.unique(np.lib.stride_tricks.sliding_window_view(body, n), axis=0)
    votes = []
    for g in grams:
        if END in g:
            continue
        lo, hi = index.find(g)
        if hi > lo:
            votes.append(np.unique(np.searchsorted(index.offsets, np.asarray(index.sa[lo:hi], np.int64),
                                                   side="right") - 1))
    if not votes:
        return np.zeros(0, np.int64)
    c = np.bincount(np.concatenate(votes), minlength=index.n_tunes)
    top = np.argsort(-c, kind="stable")[:10]
    return top[c[top] > 0]


def abcmatch_rank(exe: str, book: Path, tmp: Path, tokens: list[str]) -> np.ndarray:
    """Rows ranked by the number of bars abcmatch matches (contour match)."""
    from folkabc.tokens import detokenize

    (tmp / "match.abc").write_text(detokenize(tokens, title="match", index=1), encoding="utf-8")
    proc = subprocess.run([exe, str(book), "-con", "-br", "1"], cwd=tmp, capture_output=True, text=True,
                          timeout=300)
    scored = []
    for ln in proc.stdout.splitlines():
        parts = ln.split()
        if len(parts) == 3 and all(x.isdigit() for x in parts):  # tune number (X: - 1), bars matched, ...
            scored.append((-int(parts[1]), int(parts[0])))
    return np.array([r for _, r in sorted(scored)[:10]], dtype=np.int64)


def music21_segments(tokens: list[str]):
    """music21's segment strings of a tune (None when music21 cannot read it)."""
    from music21 import converter
    from music21.search import segment

    from folkabc.tokens import detokenize
    try:
        score = converter.parse(detokenize(tokens, title="t", index=1), format="abc")
        part = score.parts[0] if score.parts else score
        segs, _ = segment.translateMonophonicPartToSegments(part, segmentLengths=20, overlap=10)
        return segs
    except Exception:  # music21 fails on some tunes: that tune is simply not found
        return None


def music21_rank(query_segs, pool: list[tuple[int, list]]) -> np.ndarray:
    from music21.search import segment

    scores = []
    for row, segs in pool:
        if not segs or not query_segs:
            scores.append((0.0, row))
            continue
        total = 0.0
        for qs in query_segs:
            dl = segment.getDifflibOrPyLev(qs, forceDifflib=True)
            best = 0.0
            for s in segs:
                dl.set_seq1(s)
                best = max(best, dl.ratio())
            total += best
        scores.append((total / len(query_segs), row))
    scores.sort(key=lambda x: -x[0])
    return np.array([r for _, r in scores[:10]], dtype=np.int64)


def recall(ranks: list[tuple[int, np.ndarray]], same: dict[int, set[int]], notes=None,
           setting: float = 0.8) -> tuple[float, float, float]:
    """recall@1, recall@10 and recall@1 counting other settings.

    A hit counts when it is the source row or a row with the very same notes; for the third
    number also when it is another setting of the source: its notes align with the source's
    at ``setting`` or more (both in C, as the corpus stores them).
    """
    if not ranks:
        return float("nan"), float("nan"), float("nan")
    ok = [[int(x) in same.get(want, {want}) for x in r[:10]] for want, r in ranks]
    r1 = float(np.mean([len(o) > 0 and o[0] for o in ok]))
    r10 = float(np.mean([any(o) for o in ok]))
    loose = []
    for (want, r), o in zip(ranks, ok):
        if len(o) and not o[0] and notes is not None:
            s = align_scores(notes.tune(want).astype(np.int64), [notes.tune(int(r[0])).astype(np.int64)])[0]
            loose.append(bool(s >= setting))
        else:
            loose.append(len(o) > 0 and o[0])
    return r1, r10, float(np.mean(loose))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--queries", type=int, default=200, help="queries per disguise (default 200)")
    ap.add_argument("--abcmatch-queries", type=int, default=10)
    ap.add_argument("--music21-queries", type=int, default=10)
    ap.add_argument("--music21-pool", type=int, default=100)
    ap.add_argument("--music21-seconds", type=float, default=120.0)
    ap.add_argument("--unrelated", type=int, default=1000, help="pairs of unrelated tunes (default 1000)")
    ap.add_argument("--seed", type=int, default=21)
    ap.add_argument("--corpus", default=None)
    ap.add_argument("--json", metavar="FILE")
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    corpus = Corpus.open(args.corpus, quiet=True)
    ids, offsets = np.asarray(corpus.ids), corpus.offsets
    rep = RepIndex(ids, offsets, directory=corpus.path)
    t = time.perf_counter()
    rep.build_all()
    print(f"corpus: {corpus.n_rows} tunes; similarity indexes ready in {time.perf_counter() - t:.1f} s")
    exact = corpus.index
    notes = rep.notes
    n_notes = np.diff(notes.offsets)
    eligible = np.flatnonzero(n_notes >= 24)
    # rows with the very same pitch sequence (settings that differ in rhythm only, or copies under two
    # titles): no pitch method can tell them apart, so finding any of them counts
    by_notes: dict[bytes, set[int]] = {}
    for r in range(notes.n_tunes):
        by_notes.setdefault(notes.tune(r).tobytes(), set()).add(r)
    same = {r: by_notes[notes.tune(r).tobytes()] for r in eligible.tolist()}
    report = {"threshold": DEFAULT_THRESHOLD, "disguises": {}}
    times, cpu = [], []
    am_exe = shutil.which("abcmatch")
    tmp = Path(tempfile.mkdtemp())
    book = tmp / "book.abc"
    if am_exe and args.abcmatch_queries:
        sys.path.insert(0, str(Path(__file__).parent))
        from search import write_tunebook  # bench/search.py: the corpus as one ABC tunebook
        write_tunebook(exact, book)
    # the music21 pool: every music21 query's source plus random distractors, parsed once
    m21_sources = {}
    pool = []
    print(f"{'disguise':<10} {'method':<9} {'queries':>7} {'recall@1':>9} {'recall@10':>10} {'@1 setting':>11}")
    for kind in DISGUISES:
        queries = []
        for row in rng.permutation(eligible):
            if len(queries) == args.queries:
                break
            toks = VOCAB.decode(ids[offsets[row]:offsets[row + 1] - 1])
            q = disguise(toks, kind, rng)
            if q is not None:
                queries.append((int(row), q))
        res = {}
        ranks = {"exact": [], "folkabc": [], "abcmatch": [], "music21": []}
        for row, q in queries:
            body = VOCAB.encode(q[2:])
            ranks["exact"].append((row, exact_rank(exact, body)))
            t, c = time.perf_counter(), time.process_time()
            hits = similar_ids(rep, q, limit=10).hits
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
            ranks["folkabc"].append((row, np.array([h.row for h in hits], dtype=np.int64)))
        if am_exe and args.abcmatch_queries:
            for row, q in queries[:args.abcmatch_queries]:
                ranks["abcmatch"].append((row, abcmatch_rank(am_exe, book, tmp, q)))
        if args.music21_queries:
            t0 = time.perf_counter()
            mq = queries[:args.music21_queries]
            if not pool:
                src = {r for r, _ in mq}
                others = [int(r) for r in rng.choice(eligible, args.music21_pool, replace=False) if r not in src]
                for r in list(src) + others[:args.music21_pool - len(src)]:
                    pool.append((r, music21_segments(VOCAB.decode(ids[offsets[r]:offsets[r + 1] - 1]))))
                m21_sources = {r for r, _ in pool}
            for row, q in mq:
                if time.perf_counter() - t0 > args.music21_seconds:
                    break
                if row not in m21_sources:  # later disguises: the same pool, add the source
                    pool.append((row, music21_segments(VOCAB.decode(ids[offsets[row]:offsets[row + 1] - 1]))))
                    m21_sources.add(row)
                ranks["music21"].append((row, music21_rank(music21_segments(q), pool)))
        for method in ("exact", "abcmatch", "music21", "folkabc"):
            if not ranks[method]:
                continue
            r1, r10, r1s = recall(ranks[method], same, notes)
            scope = f" (pool of {len(pool)})" if method == "music21" else ""
            res[method] = {"queries": len(ranks[method]), "recall_at_1": round(r1, 3),
                           "recall_at_10": round(r10, 3), "recall_at_1_settings": round(r1s, 3)}
            print(f"{kind:<10} {method:<9} {len(ranks[method]):>7} {r1:>9.1%} {r10:>10.1%} {r1s:>11.1%}{scope}",
                  flush=True)
        report["disguises"][kind] = res
    ms, cms = np.array(times) * 1e3, np.array(cpu) * 1e3
    report["folkabc_ms"] = {"median": round(float(np.median(ms)), 1), "p90": round(float(np.percentile(ms, 90)), 1),
                            "cpu_median": round(float(np.median(cms)), 1), "cpu_p90": round(float(np.percentile(cms, 90)), 1)}
    print(f"folkabc query time over {len(ms)} queries: wall median {np.median(ms):.1f} ms (p90 "
          f"{np.percentile(ms, 90):.1f}); CPU median {np.median(cms):.1f} ms (p90 {np.percentile(cms, 90):.1f})")
    # unrelated pairs: two random tunes whose titles share no word and that the engine does not link
    titles = corpus.meta_array("title")
    best = []
    while len(best) < args.unrelated:
        a, b = (int(x) for x in rng.choice(eligible, 2, replace=False))
        wa = set(str(titles[a]).lower().split()) - {"the", "of", "a", "--", "reel", "jig", "hornpipe"}
        wb = set(str(titles[b]).lower().split()) - {"the", "of", "a", "--", "reel", "jig", "hornpipe"}
        if wa & wb:
            continue
        qa = notes.tune(a).astype(np.int64)
        s = max(float(align_scores(qa + d, [notes.tune(b).astype(np.int64)])[0]) for d in range(-6, 6))
        best.append((s, a, b))
    scores = np.array([s for s, _, _ in best])
    top = max(best)
    report["unrelated"] = {"pairs": len(best), "max": round(float(scores.max()), 3),
                           "p99": round(float(np.percentile(scores, 99)), 3),
                           "above_threshold": int((scores >= DEFAULT_THRESHOLD).sum()),
                           "max_pair_rows": [top[1], top[2]]}
    print(f"unrelated pairs: {len(best)}, best score over all 12 transpositions: max {scores.max():.3f}, "
          f"p99 {np.percentile(scores, 99):.3f}, above the threshold {DEFAULT_THRESHOLD}: "
          f"{int((scores >= DEFAULT_THRESHOLD).sum())}")
    shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
