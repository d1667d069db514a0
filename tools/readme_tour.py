"""Run the README's tour commands and (with --write) paste their real output into it.

The tour is every ```console block of README.md: lines starting with ``$ `` are commands,
the lines after each are its output. Commands run with bash in a scratch directory holding
``examples/`` (a copy of ``folkabc/data/examples``), one after another, so later commands
can use files earlier ones wrote. ``tests/test_readme.py`` uses the same runner to prove the
README's output is what the commands print.

    python tools/readme_tour.py            # show what would change
    python tools/readme_tour.py --write    # refresh README.md in place
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"```console\n(.*?)```", re.S)


def commands(readme: str) -> list[tuple[str, list[str]]]:
    """(command, shown output lines) for every ``$`` line of every console block."""
    out: list[tuple[str, list[str]]] = []
    for block in BLOCK.findall(readme):
        for line in block.splitlines():
            if line.startswith("$ "):
                out.append((line[2:], []))
            elif out:
                out[-1][1].append(line)
    return out


def scratch() -> Path:
    """A fresh directory with ``examples/`` in it."""
    d = Path(tempfile.mkdtemp(prefix="folkabc-tour-"))
    shutil.copytree(ROOT / "folkabc" / "data" / "examples", d / "examples")
    return d


def run(cmd: str, cwd: Path, timeout: int = 600) -> tuple[int, str]:
    """Run one command with bash; (exit code, stdout+stderr)."""
    env = dict(os.environ, FOLKABC_QUIET="1", COLUMNS="100")
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    p = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, env=env, timeout=timeout)
    text = p.stdout.replace(str(cwd), ".")
    from folkabc.corpus.build import default_corpus_path

    return p.returncode, text.replace(str(default_corpus_path()), "~/.cache/folkabc/corpus")


_TIMING = re.compile(r"\b\d+(\.\d+)? s\b")


def normalize(lines: list[str]) -> list[str]:
    """Lines with timings (``0.1 s``) masked, for comparing runs."""
    return [_TIMING.sub("N s", ln.rstrip()) for ln in lines]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="rewrite README.md with the real output")
    args = ap.parse_args()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    cwd = scratch()

    def redo(match: re.Match) -> str:
        lines = []
        for cmd, _shown in commands("```console\n" + match.group(1) + "```"):
            code, text = run(cmd, cwd)
            print(f"$ {cmd}  -> exit {code}", file=sys.stderr)
            lines.append(f"$ {cmd}")
            lines += text.rstrip("\n").splitlines()
        return "```console\n" + "\n".join(lines) + "\n```"

    new = BLOCK.sub(redo, readme)
    if args.write:
        (ROOT / "README.md").write_text(new, encoding="utf-8")
    else:
        sys.stdout.write(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
