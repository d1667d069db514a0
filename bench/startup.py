"""Command start-up and one-tune latency, side by side with ``python -c pass`` and the abcmidi peers.

Each command runs as a fresh process, ``--reps`` times, the commands interleaved (so a loaded machine
slows them alike); the CPU time (user + system, from ``getrusage(RUSAGE_CHILDREN)``) and the wall time
of each run are kept and the median and spread (min–max) printed, with each command's median CPU time as
a ratio of ``python -c pass``'s. Bytecode is written and warmed first (``PYTHONDONTWRITEBYTECODE`` is
cleared for the children), as an installed package has it.

Which install is measured matters, because ``python -c pass`` is measured in the same interpreter:

- the interpreter running the bench (first rows): the bench prints whether its site loads setuptools'
  *editable finder* for folkabc (``pip install -e .``, the README's install, writes a ``.pth`` that
  imports it and pathlib, re, fnmatch, urllib.parse … at every start of that interpreter, so its
  ``python -c pass`` is about twice a bare one's and the ratios are lower);
- ``[plain]`` rows: a throwaway venv of the same base Python (no pip, no site-packages) whose ``.pth``
  file names this checkout, as ``pip install -e . --config-settings editable_mode=compat`` writes it; it
  imports folkabc as a wheel install (``pip install folkabc``) does, so ``python -c pass [plain]`` is what
  such a user's ``python -c pass`` costs. Those rows' ratios are to it. The check path needs no
  third-party package, so the empty venv runs it (``--no-plain`` leaves these rows out).

Run: ``PYTHONPATH=$PWD python bench/startup.py [--reps 7]`` from the repository root. The search rows
need the default corpus (built on first use); the peer rows need abc2midi / abcmatch on PATH.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ONE_TUNE = """X:1
T:The Kesh
R:jig
M:6/8
L:1/8
K:G
D|GAG GAB|ABA ABd|edd gdd|edB dBA|GAG GAB|ABA ABd|edd gdB|AGF G2:|
|:A|BAB dBd|ege dBA|BAB dBG|ABA AGA|BAB dBd|ege dBd|gfg aga|bgf g2:|
"""


def run_once(cmd: list[str], env: dict, cwd: Path | None = None) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one run of ``cmd``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall


def editable_finder(py: str, env: dict) -> list[str]:
    """The setuptools editable-install finder modules that ``py``'s site imports at start-up."""
    out = subprocess.run([py, "-c", "import sys; print(' '.join(m for m in sys.modules if m.startswith('__editable__')))"],
                         env=env, capture_output=True, text=True, check=False)
    return out.stdout.split()


def plain_venv(folder: Path) -> str:
    """A venv of this Python's base interpreter, no pip, with a ``.pth`` naming this checkout; its python."""
    venv.create(folder, with_pip=False, symlinks=os.name != "nt")
    py = folder / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (Path(site) / "folkabc-checkout.pth").write_text(str(ROOT) + "\n", encoding="utf-8")
    return str(py)


def corpus_book(path: Path) -> bool:
    """Write the default corpus as one ABC file, X: = row + 1 (as bench/search.py's abcmatch row does)."""
    from folkabc.corpus import Corpus
    from folkabc.tokens import detokenize

    try:
        corpus = Corpus.open(quiet=True)
    except Exception as exc:  # noqa: BLE001 — a bench row is skipped, not the bench
        print(f"(no default corpus: {exc})")
        return False
    with open(path, "w", encoding="utf-8") as fh:
        for row in range(corpus.n_rows):
            fh.write(detokenize(corpus.row_tokens(row), title=f"row {row}", index=row + 1))
            fh.write("\n\n")
    return True


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--figure", default="G, C C 2")
    ap.add_argument("--no-search", action="store_true", help="leave out the search rows")
    ap.add_argument("--no-plain", action="store_true",
                    help="leave out the [plain] rows (a throwaway venv importing folkabc as a wheel install does)")
    ap.add_argument("--before", metavar="DIR",
                    help="also run the folkabc rows on an older checkout (a git worktree); its search row uses a "
                         "default corpus of its own (built once, in a temporary FOLKABC_HOME), since a corpus "
                         "built by other code is stale and would be rebuilt at every run")
    args = ap.parse_args(argv)

    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    py = sys.executable
    tmp = Path(tempfile.mkdtemp(prefix="folkabc-startup-"))
    one = tmp / "one-tune.abc"
    one.write_text(ONE_TUNE, encoding="utf-8")
    rows: dict[str, list[str]] = {
        "python -c pass": [py, "-c", "pass"],
        "folkabc --version": [py, "-m", "folkabc", "--version"],
        "folkabc check one-tune.abc": [py, "-m", "folkabc", "check", str(one)],
    }
    if shutil.which("abc2midi"):
        rows["abc2midi one-tune.abc -c"] = ["abc2midi", str(one), "-c", "-o", str(tmp / "o.mid")]
    if not args.no_search:
        rows[f"folkabc search {args.figure!r} --limit 9"] = [py, "-m", "folkabc", "search", args.figure,
                                                            "--limit", "9"]
        if shutil.which("abcmatch") and corpus_book(tmp / "book.abc"):
            from folkabc.tokens import detokenize

            # abcmatch reads the figure from match.abc in its working directory (a one-bar template)
            (tmp / "match.abc").write_text(detokenize(["M:4/4", "K:Cmaj", *args.figure.split(), "|"],
                                                      title="match", index=1), encoding="utf-8")
            rows["abcmatch (figure over the corpus, one file)"] = ["abcmatch", str(tmp / "book.abc"), "-r", "0"]
    envs = {name: env for name in rows}
    base_of = {name: "python -c pass" for name in rows}
    if not args.no_plain:
        plain_env = {k: v for k, v in env.items() if k != "PYTHONPATH"}  # folkabc from the venv's .pth
        plain = plain_venv(tmp / "plain-venv")
        for name, cmd in (("python -c pass [plain]", [plain, "-c", "pass"]),
                          ("folkabc --version [plain]", [plain, "-m", "folkabc", "--version"]),
                          ("folkabc check one-tune.abc [plain]", [plain, "-m", "folkabc", "check", str(one)])):
            rows[name], envs[name], base_of[name] = cmd, plain_env, "python -c pass [plain]"
    if args.before:
        for name, cmd in list(rows.items()):
            if name.startswith("folkabc"):
                rows[f"{name} [before]"] = cmd
                envs[f"{name} [before]"] = dict(envs[name], PYTHONPATH=str(Path(args.before).resolve()),
                                                FOLKABC_HOME=str(tmp / "before-home"))
                base_of[f"{name} [before]"] = base_of[name]
    for name, cmd in rows.items():  # warm: bytecode written, the corpus cache read once
        run_once(cmd, envs[name], tmp)
    cpu: dict[str, list[float]] = {k: [] for k in rows}
    wall: dict[str, list[float]] = {k: [] for k in rows}
    for _ in range(args.reps):
        for name, cmd in rows.items():
            c, w = run_once(cmd, envs[name], tmp)
            cpu[name].append(c)
            wall[name].append(w)
    finder = editable_finder(py, env)
    print(f"interpreter: {py}; its site " + (f"imports setuptools' editable finder ({', '.join(finder)}): "
                                              "an editable install (pip install -e .)" if finder else
                                              "imports no editable finder"))
    if not args.no_plain:
        print("[plain]: a throwaway venv of the same base Python whose .pth names this checkout "
              "(imports folkabc as a wheel install does); [plain] ratios are to python -c pass [plain]")
    print(f"{'command':48} {'CPU ms median (min-max)':>26} {'wall ms median':>15} {'CPU / python -c pass':>21}")
    for name in rows:
        c = [1000 * x for x in cpu[name]]
        w = 1000 * statistics.median(wall[name])
        print(f"{name:48} {statistics.median(c):9.0f} ({min(c):4.0f}-{max(c):4.0f})      {w:15.0f} "
              f"{statistics.median(cpu[name]) / statistics.median(cpu[base_of[name]]):20.2f}×")
    for a, b in (("folkabc check one-tune.abc", "abc2midi one-tune.abc -c"),
                 (f"folkabc search {args.figure!r} --limit 9", "abcmatch (figure over the corpus, one file)")):
        if a in cpu and b in cpu:
            print(f"{a} / {b}: CPU {statistics.median(cpu[a]) / statistics.median(cpu[b]):.2f}×, "
                  f"wall {statistics.median(wall[a]) / statistics.median(wall[b]):.2f}×")
    print(f"({os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; runs interleaved, {args.reps} each)")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
