"""Tokenize and check throughput against an older checkout of folkabc, side by side in one run.

Usage::

    git worktree add /tmp/old 032c68a          # the code before the reader rewrite (issue 16)
    PYTHONPATH=$PWD python bench/reader_vs_old.py --old /tmp/old [--rounds 3]

Each round runs a fresh worker process for the old code, then one for this code (so a loaded
machine slows both alike); a worker reads the music21 collections into memory and measures the
CPU time (``time.process_time``) of ``tokenize`` over every file of the collections (many-tune
files) and of ``check`` over O'Neill's files, and of ``tokenize`` on each tune of O'Neill's
as its own one-tune text, each timing with a ``gc.collect()`` before and after it (garbage left in
reference cycles is counted against the work that made it). It prints tunes per CPU second for each
side and the ratio new / old, median and spread over the rounds. When this checkout's reading path
is compiled (``folkabc._compiled``), a third worker a round runs it as source
(``FOLKABC_PURE_PYTHON=1``), and the ratio new / source is what compiling gives.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COLLECTIONS = ("oneills1850", "ryansMammoth", "airdsAirs", "miscFolk", "essenFolksong")


def _texts(collections) -> list[str]:
    from music21 import corpus

    paths = sorted(Path(str(p)) for p in corpus.getCorePaths()
                   if str(p).endswith(".abc") and Path(str(p)).parent.name in collections)
    return [p.read_text(encoding="latin-1") for p in paths]


def _compiled_modes() -> list[str]:
    """How this checkout's reading path runs: ``["compiled"]``, ``["source"]`` or a mix."""
    try:
        from folkabc._compiled import status
    except ImportError:  # older than the compiled modules
        return ["source"]
    return sorted(set(status().values()))


def _timed(work) -> tuple[int, float]:
    """(what ``work()`` returns, CPU seconds), the cyclic collector's work on its garbage included."""
    gc.collect()
    t = time.process_time()
    n = work()
    gc.collect()  # garbage in reference cycles is the work's cost, not whatever runs next
    return n, time.process_time() - t


def worker() -> None:
    """Measure in this process (whichever folkabc is first on sys.path); print JSON."""
    from folkabc.tokens import tokenize
    from folkabc.validate import check

    modes = _compiled_modes()
    many = _texts(COLLECTIONS)
    oneills = _texts(("oneills1850",))
    n_tok, tok = _timed(lambda: sum(len(tokenize(text)) for text in many))
    n_check, chk = _timed(lambda: sum(len(check(text)) for text in oneills))
    singles = []
    for text in oneills:
        parts = text.split("\nX:")
        singles += [parts[0]] + ["X:" + p for p in parts[1:]]
    singles = [s for s in singles if s.lstrip().startswith("X:")]
    n_one, one = _timed(lambda: sum(len(tokenize(s)) for s in singles))
    print(json.dumps({"tokenize": n_tok / tok, "check": n_check / chk, "one_tune": n_one / one,
                      "tunes": n_tok, "oneills": n_check, "modes": modes,
                      "where": str(Path(__import__("folkabc").__file__).parent)}))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old", required=True, help="a checkout of the older folkabc (e.g. git worktree of 032c68a)")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "FOLKABC_PURE_PYTHON")}
    sides = {"old": (args.old, {}), "new": (str(ROOT), {})}
    if "compiled" in _compiled_modes():  # and the same code interpreted: what compiling it gives
        sides["source"] = (str(ROOT), {"FOLKABC_PURE_PYTHON": "1"})
    res: dict[str, list[dict]] = {side: [] for side in sides}
    for _ in range(args.rounds):
        for side, (where, extra) in sides.items():
            out = subprocess.run([sys.executable, __file__, "--worker"], env=dict(env, PYTHONPATH=where, **extra),
                                 capture_output=True, text=True, check=True, cwd=where)
            res[side].append(json.loads(out.stdout.strip().splitlines()[-1]))
    assert res["old"][0]["where"].startswith(str(Path(args.old).resolve())), res["old"][0]["where"]
    head = f"{'tunes per CPU second':38} {'old':>7} {'new':>7} {'new / old (min-max)':>20}"
    print(head + (f" {'source':>7} {'new / source':>13}" if "source" in res else ""))
    for key, label in (("tokenize", f"tokenize, many-tune files ({res['new'][0]['tunes']} tunes)"),
                       ("one_tune", "tokenize, O'Neill's one tune a text"),
                       ("check", f"check, O'Neill's files ({res['new'][0]['oneills']} tunes)")):
        old, new = ([r[key] for r in res[side]] for side in ("old", "new"))
        ratios = [n / o for n, o in zip(new, old)]
        line = (f"{label:38} {statistics.median(old):7,.0f} {statistics.median(new):7,.0f} "
                f"{statistics.median(ratios):8.2f}× ({min(ratios):.2f}-{max(ratios):.2f})")
        if "source" in res:
            src = [r[key] for r in res["source"]]
            line += f" {statistics.median(src):7,.0f} {statistics.median([n / s for n, s in zip(new, src)]):12.2f}×"
        print(line)
    print(f"(medians; each round a worker per column, in turn; {args.rounds} rounds; load average "
          f"{os.getloadavg()[0]:.1f}; new: {', '.join(res['new'][0]['modes'])}"
          + ("; source: the same code with FOLKABC_PURE_PYTHON=1)" if "source" in res else ")"))
    return 0


if __name__ == "__main__":
    if "--worker" in sys.argv:
        worker()
    else:
        sys.exit(main())
