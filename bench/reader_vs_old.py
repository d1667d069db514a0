"""Tokenize and check throughput against an older checkout of folkabc, side by side in one run.

Usage::

    git worktree add /tmp/old 032c68a          # the code before the reader rewrite (issue 16)
    PYTHONPATH=$PWD python bench/reader_vs_old.py --old /tmp/old [--rounds 3]

Each round runs a fresh worker process for the old code, then one for this code (so a loaded
machine slows both alike); a worker reads the music21 collections into memory and measures the
CPU time (``time.process_time``) of ``tokenize`` over every file of the collections (many-tune
files) and of ``check`` over O'Neill's files, and of ``tokenize`` on each tune of O'Neill's
as its own one-tune text. It prints tunes per CPU second for each side and the ratio new / old,
median and spread over the rounds.
"""

from __future__ import annotations

import argparse
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


def worker() -> None:
    """Measure in this process (whichever folkabc is first on sys.path); print JSON."""
    from folkabc.tokens import tokenize
    from folkabc.validate import check

    many = _texts(COLLECTIONS)
    oneills = _texts(("oneills1850",))
    t = time.process_time()
    n_tok = sum(len(tokenize(text)) for text in many)
    tok = time.process_time() - t
    t = time.process_time()
    n_check = sum(len(check(text)) for text in oneills)
    chk = time.process_time() - t
    singles = []
    for text in oneills:
        parts = text.split("\nX:")
        singles += [parts[0]] + ["X:" + p for p in parts[1:]]
    singles = [s for s in singles if s.lstrip().startswith("X:")]
    t = time.process_time()
    n_one = sum(len(tokenize(s)) for s in singles)
    one = time.process_time() - t
    print(json.dumps({"tokenize": n_tok / tok, "check": n_check / chk, "one_tune": n_one / one,
                      "tunes": n_tok, "oneills": n_check, "where": str(Path(__import__("folkabc").__file__).parent)}))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old", required=True, help="a checkout of the older folkabc (e.g. git worktree of 032c68a)")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    res: dict[str, list[dict]] = {"old": [], "new": []}
    for _ in range(args.rounds):
        for side, where in (("old", args.old), ("new", str(ROOT))):
            out = subprocess.run([sys.executable, __file__, "--worker"], env=dict(env, PYTHONPATH=where),
                                 capture_output=True, text=True, check=True, cwd=where)
            res[side].append(json.loads(out.stdout.strip().splitlines()[-1]))
    assert res["old"][0]["where"].startswith(str(Path(args.old).resolve())), res["old"][0]["where"]
    print(f"{'tunes per CPU second':34} {'old (median)':>13} {'new (median)':>13} {'new / old median (min-max)':>28}")
    for key, label in (("tokenize", f"tokenize, many-tune files ({res['new'][0]['tunes']} tunes)"),
                       ("one_tune", "tokenize, O'Neill's one tune a text"),
                       ("check", f"check, O'Neill's files ({res['new'][0]['oneills']} tunes)")):
        old = [r[key] for r in res["old"]]
        new = [r[key] for r in res["new"]]
        ratios = [n / o for n, o in zip(new, old)]
        print(f"{label:34} {statistics.median(old):13,.0f} {statistics.median(new):13,.0f} "
              f"{statistics.median(ratios):14.2f}× ({min(ratios):.2f}-{max(ratios):.2f})")
    print(f"(each round: a worker for the old code, then one for the new; {args.rounds} rounds; "
          f"load average {os.getloadavg()[0]:.1f})")
    return 0


if __name__ == "__main__":
    if "--worker" in sys.argv:
        worker()
    else:
        sys.exit(main())
