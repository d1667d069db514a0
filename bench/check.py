"""Benchmark: ``folkabc check`` against ``abc2midi -c`` on the same ABC files, in one run.

Usage::

    python bench/check.py [COLLECTION ...]     # default: oneills1850 ryansMammoth

For each music21 ABC collection named, it times

* ``abc2midi FILE -c`` run once per file (a process per file, as one uses it), and
* ``folkabc.check(text)`` on the same files, in this process: the whole job
  (reading the ABC, tokenising, counting), and counting alone on tokens
  read beforehand.

It prints tunes per second for each and the ratio folkabc / abc2midi, of wall time and of CPU
time (abc2midi's: its processes' user and system time; folkabc's: this process's), which a loaded
machine disturbs less. Each measurement is the best of ``--repeat`` runs (default 2).

Then, one tune a file (as a user checks one tune): ``--one-tune N`` tunes of O'Neill's
(default 30, spread over the collection) are each written to a file of their own, and each
file is checked by its own process, ``abc2midi FILE -c`` and ``folkabc check FILE``
(``python -m folkabc``, this checkout), alternating; it prints tunes per second of wall time
for both and the ratio. Both ratios (many-tune files, one-tune files) print in one run.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _paths(collections: list[str]) -> list[Path]:
    from music21 import corpus

    every = sorted(Path(str(p)) for p in corpus.getCorePaths() if str(p).endswith(".abc"))
    return [p for p in every if p.parent.name in collections]


def _best(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def _cpu() -> float:
    """CPU seconds (user + system) of this process and of its finished children."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _best_cpu(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = _cpu()
        fn()
        best = min(best, _cpu() - t)
    return best


def _measure(paths: list[Path], exe: str, repeat: int) -> tuple[int, float, float, float, float, float]:
    from folkabc.tokens import tokenize
    from folkabc.validate import check

    texts = [p.read_text(encoding="latin-1") for p in paths]

    def run_abc2midi():
        with tempfile.TemporaryDirectory() as tmp:
            for p in paths:
                subprocess.run([exe, str(p), "-c"], cwd=tmp, capture_output=True, check=False)

    def run_folkabc():
        for t in texts:
            check(t)

    tokenized = [tt for t in texts for tt in tokenize(t)]

    def run_counting():
        check(tokenized)

    return (len(tokenized), _best(run_abc2midi, repeat), _best(run_folkabc, repeat),
            _best(run_counting, repeat), _best_cpu(run_abc2midi, repeat), _best_cpu(run_folkabc, repeat))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("collections", nargs="*", default=["oneills1850", "ryansMammoth"])
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--one-tune", type=int, default=30, metavar="N",
                    help="O'Neill's tunes checked one a file, a process each (0: skip)")
    args = ap.parse_args(argv)

    exe = shutil.which("abc2midi")
    if exe is None:
        print("abc2midi is not installed (apt-get install abcmidi)", file=sys.stderr)
        return 2
    totals = [0, 0.0, 0.0, 0.0, 0.0, 0.0]
    print(f"{'collection':14} {'files':>6} {'tunes':>6} | {'abc2midi -c':>12} | {'folkabc check':>13} "
          f"{'ratio':>6} | {'counting only':>13} {'ratio':>6} | {'CPU: abc2midi':>13} {'folkabc':>8} {'ratio':>6}"
          "   (tunes/s)")
    for coll in args.collections:
        paths = _paths([coll])
        got = _measure(paths, exe, args.repeat)
        for k, v in enumerate(got):
            totals[k] += v
        _row(coll, len(paths), *got)
    if len(args.collections) > 1:
        _row("all", sum(len(_paths([c])) for c in args.collections), *totals)
    if args.one_tune > 0:
        n, t_peer, t_ours = _one_tune(exe, args.one_tune)
        print(f"\none tune a file, a process each ({n} O'Neill's tunes): abc2midi -c {n / t_peer:,.1f} tunes/s, "
              f"folkabc check {n / t_ours:,.1f} tunes/s, ratio {t_peer / t_ours:.3f}x "
              f"({1000 * t_peer / n:.1f} ms and {1000 * t_ours / n:.0f} ms a tune, wall)")
    print(f"(load average {os.getloadavg()[0]:.1f}; compare ratios, which a loaded machine slows alike)")
    return 0


def _one_tune(exe: str, count: int) -> tuple[int, float, float]:
    """(tunes, abc2midi seconds, folkabc seconds): ``count`` O'Neill's tunes, each in a file of its
    own, each checked by a process of its own (wall time; the two tools alternate per tune)."""
    tunes = []
    for p in _paths(["oneills1850"]):
        parts = p.read_text(encoding="latin-1").split("\nX:")
        tunes += ["X:" + t for t in parts[1:]]
    step = max(1, len(tunes) // count)
    chosen = tunes[::step][:count]
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    t_peer = t_ours = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for k, text in enumerate(chosen):
            path = Path(tmp) / f"tune{k}.abc"
            path.write_text(text.rstrip("\n") + "\n", encoding="latin-1")
            t = time.perf_counter()
            subprocess.run([exe, str(path), "-c"], cwd=tmp, capture_output=True, check=False)
            t_peer += time.perf_counter() - t
            t = time.perf_counter()
            out = subprocess.run([sys.executable, "-m", "folkabc", "check", str(path)], cwd=tmp, env=env,
                                 capture_output=True, text=True, check=False)
            t_ours += time.perf_counter() - t
            if out.returncode not in (0, 1):
                raise RuntimeError(f"folkabc check failed on tune {k}: {out.stderr.strip()[-300:]}")
    return len(chosen), t_peer, t_ours


def _row(name: str, files: int, n: int, t_peer: float, t_ours: float, t_count: float, c_peer: float,
         c_ours: float) -> None:
    peer, ours, count = n / t_peer, n / t_ours, n / t_count
    cpu_peer, cpu_ours = n / max(c_peer, 1e-9), n / max(c_ours, 1e-9)
    print(f"{name:14} {files:6d} {n:6d} | {peer:12,.0f} | {ours:13,.0f} {ours / peer:5.2f}x | "
          f"{count:13,.0f} {count / peer:5.2f}x | {cpu_peer:13,.0f} {cpu_ours:8,.0f} {cpu_ours / cpu_peer:5.2f}x")


if __name__ == "__main__":
    sys.exit(main())
