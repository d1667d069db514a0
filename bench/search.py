"""Benchmark figure search: query latency, index build rate, abcmatch side by side, 1M-tune scale.

One run prints (and with ``--json FILE`` writes):

1. the default corpus: index build rate (suffix array + bar table, tokens/s);
2. latency of 1,000 figures (lengths 1-20, half drawn from corpus tunes, half
   random tokens): ``count`` (the suffix-array range) and a full
   ``search_index`` (counts of tunes and occurrences, bar/offset of every
   match, the first 20 matches with their bars), median and p99;
3. abcmatch (abcmidi) on the same tunes: the corpus written out as one ABC
   tunebook (``folkabc.tokens.detokenize``), then for each of N whole bars
   taken from corpus tunes a ``match.abc`` template and one ``abcmatch BOOK
   -r 0`` run (exact rhythm), against folkabc's search for the same bar; the
   ratio of medians;
4. a synthetic corpus of ``--synthetic-tunes`` tunes (default 1,000,000) made
   by resampling the default corpus's bars (each synthetic tune takes a real
   tune's meter, mode and bar count and draws its bars from all bars of that
   meter): index build and save in a fresh process (its peak memory, times),
   p50/p99 of ``search(limit=20)`` for ``|``, the commonest note and the
   commonest 2-4-token figures, and the same 1,000-figure latencies.

Wall times on a shared machine move with its load; CPU seconds are printed
beside build times.

Usage::

    python bench/search.py                          # everything
    python bench/search.py --synthetic-tunes 100000 --abcmatch-queries 50
    python bench/search.py --json bench-search.json
    python bench/search.py --synthetic-dir /tmp/s1m --only-synthetic-queries   # 1M queries; index kept, reused
"""

from __future__ import annotations

import sys
from pathlib import Path

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from folkabc.search import SuffixIndex, search_index  # noqa: E402
from folkabc.search.bars import bar_table  # noqa: E402
from folkabc.search.index import suffix_array, tune_prev  # noqa: E402
from folkabc.search.query import MEASURE_TOKENS  # noqa: E402
from folkabc.vocab import VOCAB  # noqa: E402

END = VOCAB.id("</s>")
BAR_IDS = np.array(sorted(VOCAB.id(t) for t in MEASURE_TOKENS))
BODY_IDS = np.array([i for i, c in enumerate(VOCAB.categories) if c not in ("special", "meter", "mode")])


def peak_rss_gb() -> float:
    """Peak resident memory of this process so far, in GB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def timed(fn, *args):
    """(result, wall seconds, CPU seconds)."""
    w, c = time.perf_counter(), time.process_time()
    out = fn(*args)
    return out, time.perf_counter() - w, time.process_time() - c


def build_rates(ids: np.ndarray, offsets: np.ndarray) -> tuple[SuffixIndex, dict]:
    """Build the index once (what ``SuffixIndex.build`` does), timing its three steps apart."""
    sa, w_sa, c_sa = timed(suffix_array, ids, offsets)
    (bars, offs), w_bars, c_bars = timed(bar_table, ids, offsets)
    tune_arrays, w_tp, c_tp = timed(tune_prev, sa, offsets)
    index = SuffixIndex(ids, offsets, sa, bars, offs, tune_arrays=tune_arrays)
    w_all, c_all = w_sa + w_bars + w_tp, c_sa + c_bars + c_tp
    n = len(ids)
    return index, {
        "tokens": n, "tunes": len(offsets) - 1,
        "build_wall_s": round(w_all, 3), "build_cpu_s": round(c_all, 3),
        "build_tokens_per_s_wall": round(n / w_all), "build_tokens_per_s_cpu": round(n / c_all),
        "suffix_array_wall_s": round(w_sa, 3), "suffix_array_cpu_s": round(c_sa, 3),
        "bar_table_wall_s": round(w_bars, 3), "bar_table_cpu_s": round(c_bars, 3),
        "tune_counts_cpu_s": round(c_tp, 3),
    }


def build_in_child(directory: Path) -> dict:
    """Build and save the index of the ``ids.npy``/``offsets.npy`` in ``directory`` in a fresh
    process (``SuffixIndex.write``, what a corpus build does); its peak memory (``VmHWM`` of that
    process: loading the ids, building, saving; ``ru_maxrss`` would carry the forked parent's) and
    its times."""
    code = ("import json, resource, sys, time, numpy as np\n"
            "from folkabc.search import SuffixIndex\n"
            "d = sys.argv[1]\n"
            "ids, off = np.load(d + '/ids.npy'), np.load(d + '/offsets.npy')\n"
            "hwm = lambda: int(open('/proc/self/status').read().split('VmHWM:')[1].split()[0])\n"
            "base = hwm()\n"
            "w, c = time.perf_counter(), time.process_time()\n"
            "SuffixIndex.write(ids, off, d)\n"
            "ru = resource.getrusage(resource.RUSAGE_SELF)\n"
            "print(json.dumps({'wall_s': round(time.perf_counter() - w, 1), "
            "'cpu_s': round(time.process_time() - c, 1), 'system_s': round(ru.ru_stime, 1), "
            "'peak_rss_gb': round(hwm() / 2**20, 3), 'rss_before_build_gb': round(base / 2**20, 3)}))\n")
    out = subprocess.run([sys.executable, "-c", code, str(directory)], capture_output=True, text=True,
                         check=True, env=os.environ)
    return json.loads(out.stdout.strip().splitlines()[-1])


def query_latencies(index: SuffixIndex, queries: dict[str, list[str]], repeat: int = 200) -> dict:
    """p50/p99 of ``search_index(limit=20)`` for named queries (``|``, a single note, common figures),
    wall time, and the p99 of CPU time (what a loaded machine's scheduling leaves out)."""
    out = {}
    for name, toks in queries.items():
        ms, cpu = [], []
        for _ in range(repeat):
            t, c = time.perf_counter(), time.process_time()
            res = search_index(index, toks, limit=20)
            ms.append((time.perf_counter() - t) * 1e3)
            cpu.append((time.process_time() - c) * 1e3)
        out[name] = {"occurrences": res.occurrences, "tunes": res.tunes,
                     "p50_ms": round(float(np.percentile(ms, 50)), 3),
                     "p99_ms": round(float(np.percentile(ms, 99)), 3),
                     "cpu_p99_ms": round(float(np.percentile(cpu, 99)), 3)}
    return out


def common_queries(index: SuffixIndex) -> dict[str, list[str]]:
    """``|``, the commonest single note, the commonest 2-, 3- and 4-token figures and the commonest
    figure of 4 notes in a row (4 pitch tokens) of the index."""
    ids = np.asarray(index.ids[: 2_000_000])
    body = ~np.isin(ids, [END] + [VOCAB.id(t) for t in VOCAB.tokens if t.startswith(("M:", "K:"))])
    notes = np.array([VOCAB.categories[i] == "note" for i in range(len(VOCAB))])
    cnt = np.bincount(ids[body & notes[ids]], minlength=len(VOCAB))
    queries = {"|": ["|"], "note " + VOCAB.tokens[int(cnt.argmax())]: [VOCAB.tokens[int(cnt.argmax())]]}
    for m in (2, 3, 4):
        ok = np.ones(len(ids) - m + 1, dtype=bool)
        key = np.zeros(len(ids) - m + 1, dtype=np.int64)
        for j in range(m):
            ok &= body[j:len(ids) - m + 1 + j]
            key = key * 256 + ids[j:len(ids) - m + 1 + j]
        vals, c = np.unique(key[ok], return_counts=True)
        top = int(vals[c.argmax()])
        toks = [VOCAB.tokens[(top >> (8 * (m - 1 - j))) & 255] for j in range(m)]
        queries[f"common {m}-gram " + " ".join(toks)] = toks
    pitch = np.array([c == "pitch" for c in VOCAB.categories] + [False] * (256 - len(VOCAB)))[ids]
    ok = pitch[:-3] & pitch[1:-2] & pitch[2:-1] & pitch[3:]
    key = ((ids[:-3].astype(np.int64) * 256 + ids[1:-2]) * 256 + ids[2:-1]) * 256 + ids[3:]
    vals, c = np.unique(key[ok], return_counts=True)
    top = int(vals[c.argmax()])
    toks = [VOCAB.tokens[(top >> (8 * (3 - j))) & 255] for j in range(4)]
    queries["common 4-note figure " + " ".join(toks)] = toks
    return queries


def draw_figures(ids: np.ndarray, rng: np.random.Generator, n: int = 1000) -> list[np.ndarray]:
    """``n`` figures of 1-20 tokens: even ones from corpus tunes, odd ones random body tokens."""
    out: list[np.ndarray] = []
    while len(out) < n:
        m = int(rng.integers(1, 21))
        if len(out) % 2 == 0:
            s = int(rng.integers(0, len(ids) - m))
            q = np.asarray(ids[s:s + m])
            if q[0] == END or np.any(q == END):
                continue
        else:
            q = rng.choice(BODY_IDS, size=m).astype(np.uint8)
        out.append(q.astype(np.uint8))
    return out


def latencies(index: SuffixIndex, figures: list[np.ndarray]) -> dict:
    """Median and p99 of ``count`` and of a full ``search_index`` (limit 20), in ms."""
    count_ms, search_ms, occ = [], [], []
    for q in figures:
        t = time.perf_counter()
        c = index.count(q)
        count_ms.append((time.perf_counter() - t) * 1e3)
        toks = VOCAB.decode(q)
        t = time.perf_counter()
        search_index(index, toks, limit=20)
        search_ms.append((time.perf_counter() - t) * 1e3)
        occ.append(c)
    occ_arr = np.array(occ)
    found = occ_arr > 0
    count_found = np.array(count_ms)[found]
    search_found = np.array(search_ms)[found]
    return {
        "figures": len(figures),
        "found": int(np.count_nonzero(occ_arr)),
        "occurrences_median": float(np.median(occ_arr)), "occurrences_max": int(occ_arr.max()),
        "count_ms_median": round(float(np.median(count_ms)), 4),
        "count_ms_p99": round(float(np.percentile(count_ms, 99)), 4),
        "search_ms_median": round(float(np.median(search_ms)), 4),
        "search_ms_p99": round(float(np.percentile(search_ms, 99)), 4),
        "search_ms_max": round(float(np.max(search_ms)), 2),
        "found_count_ms_median": round(float(np.median(count_found)), 4),
        "found_search_ms_median": round(float(np.median(search_found)), 4),
        "found_search_ms_p99": round(float(np.percentile(search_found, 99)), 4),
    }


def whole_bars(index: SuffixIndex, rng: np.random.Generator, n: int) -> list[tuple[int, list[str]]]:
    """``n`` whole bars (notes between two bar lines, at least 3 tokens) from random tunes."""
    ids = np.asarray(index.ids)
    out = []
    while len(out) < n:
        row = int(rng.integers(0, index.n_tunes))
        a, b = int(index.offsets[row]) + 2, int(index.offsets[row + 1]) - 1
        body = ids[a:b]
        cuts = np.flatnonzero(np.isin(body, BAR_IDS))
        if len(cuts) < 3:
            continue
        j = int(rng.integers(0, len(cuts) - 1))
        bar = body[cuts[j] + 1:cuts[j + 1]]
        toks = VOCAB.decode(bar)
        if len(toks) >= 3 and not any(t in ("[", "]") or t.startswith(("(", "M:")) for t in toks):
            out.append((row, toks))
    return out


def write_tunebook(index: SuffixIndex, path: Path) -> None:
    """Every tune of the index as ABC (X: = row + 1), via folkabc.tokens.detokenize."""
    from folkabc.tokens import detokenize

    ids = np.asarray(index.ids)
    with open(path, "w", encoding="utf-8") as f:
        for row in range(index.n_tunes):
            toks = VOCAB.decode(ids[index.offsets[row]:index.offsets[row + 1] - 1])
            f.write(detokenize(toks, title=f"row {row}", index=row + 1))
            f.write("\n\n")


def abcmatch_side_by_side(index: SuffixIndex, rng: np.random.Generator, n_queries: int) -> dict:
    """abcmatch vs folkabc on the same bar queries over the same tunes."""
    from folkabc.tokens import detokenize

    exe = shutil.which("abcmatch")
    if exe is None:
        return {"skipped": "abcmatch not installed"}
    bars = whole_bars(index, rng, n_queries)
    ids = np.asarray(index.ids)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        book = tmp / "book.abc"
        t = time.perf_counter()
        write_tunebook(index, book)
        book_s = time.perf_counter() - t
        am_ms, ours_ms, agree, am_hits, our_hits = [], [], 0, 0, 0
        for row, toks in bars:
            meter, mode = VOCAB.decode(ids[index.offsets[row]:index.offsets[row] + 2])
            template = detokenize([meter, mode, *toks, "|"], title="match", index=1)
            (tmp / "match.abc").write_text(template, encoding="utf-8")
            t = time.perf_counter()
            proc = subprocess.run([exe, str(book), "-r", "0"], cwd=tmp, capture_output=True, text=True,
                                  timeout=120)
            am_ms.append((time.perf_counter() - t) * 1e3)
            am_rows = {int(ln.split()[1]) - 1 for ln in proc.stdout.splitlines() if len(ln.split()) >= 2
                       and ln.split()[1].isdigit()}
            t = time.perf_counter()
            res = search_index(index, toks, limit=20)
            ours_ms.append((time.perf_counter() - t) * 1e3)
            full = search_index(index, toks, limit=None)
            ours_rows = {m.row for m in full.matches if m.offset == 0}
            am_hits += row in am_rows
            our_hits += row in ours_rows and res.occurrences > 0
            agree += am_rows == ours_rows
    am_med, our_med = float(np.median(am_ms)), float(np.median(ours_ms))
    return {
        "queries": len(bars), "tunebook_write_s": round(book_s, 2),
        "abcmatch_ms_median": round(am_med, 2), "abcmatch_ms_p99": round(float(np.percentile(am_ms, 99)), 2),
        "folkabc_ms_median": round(our_med, 4), "folkabc_ms_p99": round(float(np.percentile(ours_ms, 99)), 4),
        "speedup_median": round(am_med / our_med, 1),
        "abcmatch_finds_source_tune": am_hits, "folkabc_finds_source_tune": our_hits,
        "same_tune_sets": agree,
    }


def synthetic_corpus(ids: np.ndarray, offsets: np.ndarray, n_tunes: int,
                     rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n_tunes`` tunes made of resampled bars of the corpus (vectorised).

    A *piece* is a bar with its closing bar line. Each synthetic tune copies the
    meter, mode and number of pieces of a random real tune and draws its pieces
    uniformly from every piece of that meter.
    """
    n_rows = len(offsets) - 1
    row = np.repeat(np.arange(n_rows), np.diff(offsets))
    pos = np.arange(len(ids))
    in_body = (pos >= offsets[:-1][row] + 2) & (ids != END)
    bar_pos = np.flatnonzero(np.isin(ids, BAR_IDS) & in_body)
    brow = row[bar_pos]
    prev = np.empty_like(bar_pos)
    prev[0] = -1
    prev[1:] = bar_pos[:-1]
    same = np.ones(len(bar_pos), dtype=bool)
    same[1:] = brow[1:] == brow[:-1]
    same[0] = False
    p_start = np.where(same, prev + 1, offsets[:-1][brow] + 2)
    p_end = bar_pos + 1
    keep = p_end - p_start >= 2  # a note and its bar line at least
    p_start, p_end, brow = p_start[keep], p_end[keep], brow[keep]
    meter = ids[offsets[:-1]]
    p_meter = meter[brow]
    pieces_per_row = np.bincount(brow, minlength=n_rows)
    usable = np.flatnonzero(pieces_per_row > 0)
    # pieces grouped by meter
    order = np.argsort(p_meter, kind="stable")
    p_start, p_end, p_meter = p_start[order], p_end[order], p_meter[order]
    m_first = np.searchsorted(p_meter, np.arange(256))
    m_count = np.searchsorted(p_meter, np.arange(256), side="right") - m_first
    # the synthetic tunes
    src = rng.choice(usable, size=n_tunes)
    n_pieces = pieces_per_row[src]
    t_meter = meter[src]
    piece_tune = np.repeat(np.arange(n_tunes), n_pieces)
    pm = t_meter[piece_tune]
    pick = m_first[pm] + (rng.random(len(piece_tune)) * m_count[pm]).astype(np.int64)
    plen = (p_end - p_start)[pick]
    tune_len = np.bincount(piece_tune, weights=plen, minlength=n_tunes).astype(np.int64) + 3
    out_off = np.zeros(n_tunes + 1, dtype=np.int64)
    np.cumsum(tune_len, out=out_off[1:])
    out = np.empty(int(out_off[-1]), dtype=np.uint8)
    out[out_off[:-1]] = t_meter
    out[out_off[:-1] + 1] = ids[offsets[:-1] + 1][src]
    out[out_off[1:] - 1] = END
    # piece k lands at: its tune's start + 2 + lengths of the tune's earlier pieces
    piece_first = np.cumsum(n_pieces) - n_pieces
    before = np.cumsum(plen) - plen
    dest = out_off[:-1][piece_tune] + 2 + before - before[piece_first][piece_tune]
    tok_piece = np.repeat(np.arange(len(pick)), plen)
    within = np.arange(len(tok_piece)) - np.repeat(np.cumsum(plen) - plen, plen)
    out[dest[tok_piece] + within] = ids[p_start[pick][tok_piece] + within]
    return out, out_off


def synthetic_queries(args, ids: np.ndarray, offsets: np.ndarray, rng: np.random.Generator, report: dict, *,
                      latency: bool = True) -> int:
    """Part 4: the synthetic corpus (made and indexed, or reused from ``--synthetic-dir``), its queries."""
    keep = Path(args.synthetic_dir) if args.synthetic_dir else None
    with tempfile.TemporaryDirectory() as tmp:
        d = keep or Path(tmp)
        d.mkdir(parents=True, exist_ok=True)
        if (d / "search.json").exists():
            print(f"synthetic corpus: reused from {d}")
        else:
            t = time.perf_counter()
            sids, soff = synthetic_corpus(ids, offsets, args.synthetic_tunes, rng)
            gen_s = time.perf_counter() - t
            print(f"synthetic corpus: {args.synthetic_tunes} tunes, {len(sids)} tokens (made in {gen_s:.1f} s)")
            n_tok = len(sids)
            np.save(d / "ids.npy", sids)
            np.save(d / "offsets.npy", soff)
            del sids, soff
            sbuild = build_in_child(d)
            sbuild["generate_s"] = round(gen_s, 1)
            sbuild["tokens_per_cpu_s"] = round(n_tok / sbuild["cpu_s"])
            report["synthetic_build"] = sbuild
            print(f"  build + save in a fresh process: {sbuild['wall_s']} s wall, {sbuild['cpu_s']} s CPU "
                  f"({sbuild['tokens_per_cpu_s'] / 1e6:.2f}M tokens per CPU-s), {sbuild['system_s']} s system; "
                  f"peak memory {sbuild['peak_rss_gb']} GB (ids and offsets loaded: "
                  f"{sbuild['rss_before_build_gb']} GB)")
        smapped = SuffixIndex.load(d)
        print(f"  {smapped.n_tunes:,} tunes, {len(smapped):,} tokens")
        ql = query_latencies(smapped, common_queries(smapped))
        report["synthetic_queries"] = ql
        for name, v in ql.items():
            print(f"  search(limit=20) {name!r}: {v['occurrences']:,} occurrences in {v['tunes']:,} tunes; "
                  f"p50 {v['p50_ms']} ms, p99 {v['p99_ms']} ms (CPU p99 {v['cpu_p99_ms']} ms)")
        if latency:
            slat = latencies(smapped, draw_figures(np.asarray(smapped.ids), rng, args.figures))
            report["synthetic_latency"] = slat
            print(f"  {slat['figures']} figures ({slat['found']} found): count median {slat['count_ms_median']} "
                  f"ms, p99 {slat['count_ms_p99']} ms; full search median {slat['search_ms_median']} ms, "
                  f"p99 {slat['search_ms_p99']} ms (max {slat['search_ms_max']} ms); found figures only: count "
                  f"median {slat['found_count_ms_median']} ms, search median {slat['found_search_ms_median']} ms, "
                  f"p99 {slat['found_search_ms_p99']} ms")
        del smapped
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", help="corpus directory (default: the default corpus)")
    ap.add_argument("--figures", type=int, default=1000)
    ap.add_argument("--abcmatch-queries", type=int, default=100)
    ap.add_argument("--synthetic-tunes", type=int, default=1_000_000, help="0 to skip")
    ap.add_argument("--synthetic-dir", metavar="DIR",
                    help="keep the synthetic corpus and its index in DIR, and reuse them when DIR holds them "
                         "(its build row is then left out); default: a temporary folder")
    ap.add_argument("--only-synthetic-queries", action="store_true",
                    help="print only the synthetic corpus's query latencies (with --synthetic-dir: seconds)")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--json", metavar="FILE", help="also write the numbers as JSON")
    args = ap.parse_args(argv)
    from folkabc.corpus import Corpus

    rng = np.random.default_rng(args.seed)
    report: dict = {"machine": {"cpus": os.cpu_count(), "load_avg": os.getloadavg()}}
    corpus = Corpus.open(args.corpus)
    ids, offsets = np.ascontiguousarray(corpus.ids), np.asarray(corpus.offsets)
    if args.only_synthetic_queries:
        return synthetic_queries(args, ids, offsets, rng, report, latency=False)
    print(f"default corpus: {corpus.n_rows} tunes, {len(ids)} tokens ({corpus.path})")
    index, build = build_rates(ids, offsets)
    report["default_build"] = build
    print(f"  build: {build['build_wall_s']} s wall ({build['build_tokens_per_s_wall'] / 1e6:.2f}M tokens/s), "
          f"{build['build_cpu_s']} s CPU ({build['build_tokens_per_s_cpu'] / 1e6:.2f}M tokens/s); "
          f"suffix array {build['suffix_array_cpu_s']} s, bar table {build['bar_table_cpu_s']} s, "
          f"tune-count arrays {build['tune_counts_cpu_s']} s CPU")
    loaded = corpus.index  # the memory-mapped index stored with the corpus
    figures = draw_figures(ids, rng, args.figures)
    lat = latencies(loaded, figures)
    report["default_latency"] = lat
    print(f"  {lat['figures']} figures ({lat['found']} found): count median {lat['count_ms_median']} ms, "
          f"p99 {lat['count_ms_p99']} ms; full search median {lat['search_ms_median']} ms, "
          f"p99 {lat['search_ms_p99']} ms (max {lat['search_ms_max']} ms); found figures only: count "
              f"median {lat['found_count_ms_median']} ms, search median {lat['found_search_ms_median']} ms, "
              f"p99 {lat['found_search_ms_p99']} ms")
    if args.abcmatch_queries:
        am = abcmatch_side_by_side(loaded, rng, args.abcmatch_queries)
        report["abcmatch"] = am
        if "skipped" in am:
            print(f"  abcmatch: {am['skipped']}")
        else:
            print(f"  abcmatch, {am['queries']} whole-bar queries on the same {corpus.n_rows} tunes: "
                  f"median {am['abcmatch_ms_median']} ms (p99 {am['abcmatch_ms_p99']}); folkabc median "
                  f"{am['folkabc_ms_median']} ms (p99 {am['folkabc_ms_p99']}): {am['speedup_median']}x faster; "
                  f"source tune found: abcmatch {am['abcmatch_finds_source_tune']}, "
                  f"folkabc {am['folkabc_finds_source_tune']}; identical tune sets {am['same_tune_sets']}")
    if args.synthetic_tunes:
        synthetic_queries(args, ids, offsets, rng, report)
    report["peak_rss_gb"] = round(peak_rss_gb(), 2)
    print(f"peak memory: {report['peak_rss_gb']} GB")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
