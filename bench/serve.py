"""Benchmark ``folkabc serve`` on loopback: concurrent generation, then memory over many requests.

One run starts the real server (``folkabc serve --port 0``, a subprocess, uvicorn) and prints:

1. ``--concurrent`` (default 50) generate requests sent at once (each its own seed): errors,
   p50/p95 latency, tunes per second and tokens per second. The model runs in worker threads
   (``LIMITS.model_threads`` at a time), so latency grows with the queue; no request may fail.
2. ``--requests`` (default 1,000) requests in a mix (generate, check, novelty, search, info, a
   refused hostile request, and a render every ``--render-every``), 8 at a time: the server's
   resident memory (``VmRSS`` of its process) before, after the first 10% and at the end.

Wall times on a shared machine move with its load.

Usage::

    python bench/serve.py                      # miscFolk corpus (built into a temp folder)
    python bench/serve.py --corpus ~/.cache/folkabc/corpus --concurrent 50 --requests 1000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx


def rss_mb(pid: int) -> float:
    """Resident memory of a process (Linux ``/proc``), in MB."""
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", text).group(1)) / 1024


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def start_server(corpus: str, home: str) -> tuple[subprocess.Popen, str]:
    env = dict(os.environ, FOLKABC_HOME=home, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "folkabc", "serve", "--port", "0", "--corpus", corpus],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    line = proc.stdout.readline()
    m = re.match(r"folkabc serve: (http://\S+/)", line)
    if not m:
        proc.kill()
        sys.exit(f"server did not start: {line!r} {proc.stderr.read()}")
    return proc, m.group(1)


async def concurrent_generate(url: str, n: int, max_length: int) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=600) as client:
        async def one(k: int) -> tuple[float, int, int]:
            t0 = time.perf_counter()
            r = await client.post("/api/generate", json={"seed": 1000 + k, "max_length": max_length})
            tokens = len(r.json()["tunes"][0]["tokens"].split()) if r.status_code == 200 else 0
            return time.perf_counter() - t0, r.status_code, tokens

        t0 = time.perf_counter()
        results = await asyncio.gather(*(one(k) for k in range(n)))
        wall = time.perf_counter() - t0
    lat = [r[0] for r in results]
    errors = sum(1 for r in results if r[1] != 200)
    tokens = sum(r[2] for r in results)
    print(f"{n} concurrent generate requests (max_length {max_length}): {errors} error(s)")
    print(f"  latency p50 {percentile(lat, 50):.2f} s, p95 {percentile(lat, 95):.2f} s, max {max(lat):.2f} s")
    print(f"  throughput {n / wall:.2f} tunes/s, {tokens / wall:.0f} tokens/s ({wall:.1f} s wall)")
    if errors:
        sys.exit(1)


async def many_requests(url: str, pid: int, total: int, render_every: int) -> None:
    abc = "X:1\nT:Bench\nM:6/8\nL:1/8\nK:G\nD|GAB dBG|c2A BGE|DGB dBG|A3 A2:|\n"
    statuses: dict[int, int] = {}
    marks = {0: rss_mb(pid)}
    sem = asyncio.Semaphore(8)
    async with httpx.AsyncClient(base_url=url, timeout=600) as client:
        async def one(k: int) -> None:
            async with sem:
                kind = k % 6
                if render_every and k % render_every == 0:
                    r = await client.post("/api/render", json={"abc": abc})
                elif kind == 0:
                    r = await client.post("/api/generate", json={"seed": k, "max_length": 60})
                elif kind == 1:
                    r = await client.post("/api/check", json={"abc": abc})
                elif kind == 2:
                    r = await client.post("/api/novelty", json={"abc": abc})
                elif kind == 3:
                    r = await client.post("/api/search", json={"figure": "G A B", "limit": 20})
                elif kind == 4:
                    r = await client.post("/api/generate", json={"n": 10_000})  # refused: 400
                else:
                    r = await client.get("/api/info")
                statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
            if k + 1 == total // 10:
                marks[k + 1] = rss_mb(pid)

        t0 = time.perf_counter()
        await asyncio.gather(*(one(k) for k in range(total)))
        wall = time.perf_counter() - t0
    marks[total] = rss_mb(pid)
    print(f"{total} mixed requests in {wall:.1f} s: status counts {dict(sorted(statuses.items()))}")
    print("  server RSS: " + ", ".join(f"{v:.0f} MB after {k}" for k, v in sorted(marks.items())))
    first, last = marks[total // 10], marks[total]
    print(f"  growth from request {total // 10} to {total}: {last - first:+.1f} MB")
    unexpected = {s: c for s, c in statuses.items() if s not in (200, 400)}
    if unexpected:
        sys.exit(f"unexpected statuses: {unexpected}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", help="corpus folder (default: music21's miscFolk, built into a temp folder)")
    ap.add_argument("--concurrent", type=int, default=50)
    ap.add_argument("--max-length", type=int, default=200, help="tokens per generated tune in part 1 (200)")
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--render-every", type=int, default=50, help="one render request in this many (50)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        corpus = args.corpus
        if corpus is None:
            from folkabc.corpus import build_corpus

            corpus = str(Path(tmp) / "misc")
            build_corpus(["music21:miscFolk"], corpus, quiet=True)
        proc, url = start_server(corpus, str(Path(tmp) / "home"))
        try:
            print(f"server {url} (pid {proc.pid}), RSS at start {rss_mb(proc.pid):.0f} MB, {os.cpu_count()} CPUs")
            asyncio.run(concurrent_generate(url, args.concurrent, args.max_length))
            asyncio.run(many_requests(url, proc.pid, args.requests, args.render_every))
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                sys.exit("the server did not stop within 30 s of SIGTERM")


if __name__ == "__main__":
    main()
