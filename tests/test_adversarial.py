"""Hostile inputs, files and flags for every command that reads input, each run as a real subprocess.

Every run is capped in address space (``RLIMIT_AS``, 1.5 GiB: numpy, verovio and the model fit
in well under that) and in time, and must end as folkabc promises: exit 0, 1 or 2, no
"Traceback" anywhere, exactly one stderr line on exit 2, within its caps.

The catalogue covers each class of issue 17 — unbounded work from tiny inputs, tracebacks,
hostile model files, generation flags, partial failure, hangs, usage errors, closed and full
streams — plus seeded random mutations of real tunes (O'Neill's sample shipped in
``folkabc/data/examples``). The default run is a representative catalogue; the ``slow`` sweep
runs every mutation seed through every command.
"""

from __future__ import annotations

import io
import os
import random
import resource
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "folkabc" / "data" / "examples" / "oneills-sample.abc"
MEMORY_CAP = 3 << 29  # 1.5 GiB of address space
TIME_CAP = 120.0  # seconds per run (generous: the test machine may be shared and loaded)

# an empty folkabc home: the html page measures no novelty, so the default corpus is neither opened nor rebuilt
NO_CORPUS = {"FOLKABC_HOME": "{tmp}/home"}

TUNE = "X:1\nT:Scale\nM:4/4\nL:1/8\nK:C\nCDEF GABc|cBAG FEDC|\n"


@dataclass
class Case:
    """One run: the command line (``{in}`` is replaced by the input file), its input and how to run it."""

    name: str
    argv: list[str]
    text: str | bytes | None = None
    stdin: str = "devnull"  # devnull, closed, or file (the input file on stdin)
    stdout: str = "pipe"  # pipe, full (/dev/full), or head (the reader closes after one byte)
    env: dict = field(default_factory=dict)
    codes: tuple = (0, 1, 2)  # exit codes allowed
    marks: tuple = ()


def _limits(closed_stdin: bool):
    def setup() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))
        if closed_stdin:
            os.close(0)
    return setup


def run_case(case: Case, tmp: Path) -> tuple[int, str, str, float]:
    """Run a case under the caps; returns (exit code, stdout, stderr, seconds)."""
    argv = list(case.argv)
    if case.text is not None:
        src = tmp / "input.txt"
        if isinstance(case.text, bytes):
            src.write_bytes(case.text)
        else:
            src.write_text(case.text, encoding="utf-8")
        query = case.text[-80:] if isinstance(case.text, str) else case.text[-80:].decode("latin-1")
        argv = [str(src) if a == "{in}" else query.replace("\x00", "") if a == "{q}" else a for a in argv]
    argv = [a.replace("{tmp}", str(tmp)) for a in argv]
    if "{corpus}" in argv:
        argv[argv.index("{corpus}")] = str(small_corpus_path())
    env = dict(os.environ, FOLKABC_QUIET="1", PYTHONPATH=str(ROOT),
               **{k: v.replace("{tmp}", str(tmp)) for k, v in case.env.items()})
    stdin = subprocess.DEVNULL
    if case.stdin == "file":
        stdin = open(tmp / "input.txt", "rb")
    out_file = None
    if case.stdout == "full":
        out_file = open("/dev/full", "wb")
    start = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "folkabc", *argv], cwd=tmp, env=env,
                            stdin=None if case.stdin == "closed" else stdin,
                            stdout=out_file or subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=_limits(case.stdin == "closed"))
    try:
        if case.stdout == "head":
            first = proc.stdout.read(1)
            proc.stdout.close()  # `| head -c 1`
            _, err = proc.communicate(timeout=TIME_CAP)
            out = first
        else:
            out, err = proc.communicate(timeout=TIME_CAP)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail(f"{case.name}: still running after {TIME_CAP:g} s")
    finally:
        if out_file:
            out_file.close()
        if case.stdin == "file":
            stdin.close()
    return proc.returncode, (out or b"").decode("utf-8", "replace"), err.decode("utf-8", "replace"), \
        time.monotonic() - start


_SMALL_CORPUS: list[Path] = []


def small_corpus_path() -> Path:
    """A 15-tune corpus built once per test process from ``tests/data`` (search cases need no default corpus)."""
    if not _SMALL_CORPUS:
        import tempfile

        from folkabc.corpus import build_corpus

        out = Path(tempfile.mkdtemp(prefix="folkabc-adversarial-")) / "c"
        build_corpus([ROOT / "tests" / "data" / "thesession-sample.csv"], out, workers=1, quiet=True)
        _SMALL_CORPUS.append(out)
    return _SMALL_CORPUS[0]


def assert_unbreakable(case: Case, tmp: Path) -> tuple[int, str, str]:
    code, out, err, secs = run_case(case, tmp)
    assert "Traceback" not in err and "Traceback" not in out, f"{case.name}: {err[-3000:]}"
    assert code in case.codes, f"{case.name}: exit {code} (want {case.codes}): {err[-2000:]}"
    assert code in (0, 1, 2), f"{case.name}: exit {code}: {err[-2000:]}"
    if code == 2:
        lines = [ln for ln in err.splitlines() if ln.strip()]
        assert len(lines) == 1, f"{case.name}: exit 2 must print one stderr line, got {len(lines)}: {err[-2000:]}"
    assert "terminate called" not in err
    assert secs < TIME_CAP
    return code, out, err


# --- hostile model files, made at test time ---------------------------------------------------

def _npy_header(shape, descr="<f4") -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": descr, "fortran_order": False, "shape": shape})
    return buf.getvalue()


def make_models(tmp: Path) -> dict[str, Path]:
    """A good small model and hostile variants of it (directories and pickles)."""
    import shutil

    from folkabc.model import Model, load_model

    good = load_model()  # the shipped model: its vocabulary reads the inputs below
    d = good.save(tmp / "good")
    out = {"good": d}

    def variant(name):
        v = tmp / name
        shutil.copytree(d, v)
        return v

    v = variant("deep-json")
    (v / "model.json").write_text("[" * 100_000 + "]" * 100_000)
    out["deep-json"] = v
    v = variant("huge-shape")
    with zipfile.ZipFile(v / "weights.npz", "w") as z:
        z.writestr("softmax.b.npy", _npy_header((10**11,)))
    out["huge-shape"] = v
    v = variant("zip-bomb")  # ~64 MB of zeros deflated to ~64 KB, against a 16 MiB array limit
    with zipfile.ZipFile(v / "weights.npz", "w", compression=zipfile.ZIP_DEFLATED) as z:
        with z.open("softmax.W.npy", "w", force_zip64=True) as fh:
            fh.write(_npy_header((16 << 20,)))
            for _ in range(64):
                fh.write(bytes(1 << 20))
    out["zip-bomb"] = v
    pickles = {
        "bytearray-1GiB.pkl": b"\x80\x02c__builtin__\nbytearray\nJ\x00\x00\x00@\x85R.",
        "deep-tuple.pkl": b"\x80\x02K\x01" + b"\x85" * 100_000 + b".",
        "ndarray-800GB.pkl": b"\x80\x02cnumpy\nndarray\n\x8a\x05\x00\xe8vH\x17\x85R.",
        "os-system.pkl": b"cos\nsystem\n(S'touch {tmp}/pwned'\ntR.",
        "truncated.pkl": b"\x80\x02}q\x00(X\x09\x00\x00\x00token2idx",
        "empty.pkl": b"",
    }
    for name, data in pickles.items():
        (tmp / name).write_bytes(data.replace(b"{tmp}", str(tmp).encode()))
        out[name] = tmp / name
    del Model
    return out


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return make_models(tmp_path_factory.mktemp("models"))


MODEL_CASES = ["deep-json", "huge-shape", "zip-bomb", "bytearray-1GiB.pkl", "deep-tuple.pkl",
               "ndarray-800GB.pkl", "os-system.pkl", "truncated.pkl", "empty.pkl"]


@pytest.mark.parametrize("name", MODEL_CASES)
def test_hostile_model_file_is_one_line(models, name, tmp_path):
    case = Case(f"generate --model {name}", ["generate", "--seed", "1", "--model", str(models[name])],
                env={"FOLKABC_MAX_ARRAY_BYTES": str(16 << 20)} if name == "zip-bomb" else {}, codes=(2,))
    code, out, err = assert_unbreakable(case, tmp_path)
    assert str(models[name]) in err or name in err
    assert not (tmp_path / "pwned").exists() and not (models[name].parent / "pwned").exists()


@pytest.mark.parametrize("argv", [pytest.param(["demo", "--quiet", "-o", "{tmp}/demo"], marks=pytest.mark.slow),
                                  ["analyze", "--seed", "1", "-o", "{tmp}/an"]], ids=lambda a: a[0])
def test_hostile_model_file_for_demo_and_analyze(models, argv, tmp_path):
    case = Case(f"{argv[0]} --model huge-shape", [*argv, "--model", str(models["huge-shape"])], codes=(2,))
    _, _, err = assert_unbreakable(case, tmp_path)
    assert "weights.npz" in err


def test_hostile_model_file_for_score(models, tmp_path):
    case = Case("score --model deep-tuple", ["score", "--model", str(models["deep-tuple.pkl"]), "{in}"],
                text=TUNE, codes=(2,))
    _, _, err = assert_unbreakable(case, tmp_path)
    assert "max_pickle_depth" in err and "FOLKABC_MAX_PICKLE_DEPTH" in err


# --- flags ------------------------------------------------------------------------------------

FLAG_CASES = [
    Case("-n 1e9", ["generate", "-n", "1000000000"], codes=(2,)),
    Case("--beam 100000", ["generate", "--beam", "100000"], codes=(2,)),
    Case("--ablate huge range", ["generate", "--ablate=0:0-99999999999999"], codes=(2,)),
    Case("--ablate 5000 digits", ["generate", "--ablate=0:0-" + "9" * 5000], codes=(2,)),
    Case("--temperature 1e-300", ["generate", "--seed", "1", "--temperature", "1e-300"], codes=(2,)),
    Case("--bias C=inf", ["generate", "--seed", "1", "--bias", "C=inf"], codes=(2,)),
    Case("--alpha C=nan", ["generate", "--seed", "1", "--alpha", "C=nan"], codes=(2,)),
    Case("--max-length 1e9", ["generate", "--max-length", "999999999"], codes=(2,)),
    Case("bad int", ["generate", "-n", "x"], codes=(2,)),
    Case("missing file argument", ["tokenize"], codes=(2,)),
    Case("unknown option", ["check", "--frobnicate", "x.abc"], codes=(2,)),
    Case("no command", [], codes=(2,)),
    Case("unknown command", ["frobnicate"], codes=(2,)),
    Case("render bad format", ["render", "{in}", "--to", "gif"], text=TUNE, codes=(2,)),
    Case("score --top -1", ["score", "--top", "-1", "{in}"], text=TUNE, codes=(2,)),
    Case("search 10,000 (", ["search", "--corpus", "{corpus}", "(" * 10_000 + "C"]),
    Case("search --limit -1", ["search", "--corpus", "{corpus}", "--limit", "-1", "C D E"]),
]


@pytest.mark.parametrize("case", FLAG_CASES, ids=lambda c: c.name)
def test_flags(case, tmp_path):
    assert_unbreakable(case, tmp_path)


def test_tiny_temperature_is_greedy_not_token_zero(tmp_path):
    case = Case("--temperature 1e-40", ["generate", "--seed", "1", "--temperature", "1e-40", "--max-length", "30"])
    code, out, _ = assert_unbreakable(case, tmp_path)
    from folkabc.model import load_model

    body = out.splitlines()[2].split()
    token0 = load_model().vocab.token(0)
    assert code == 0 and body and set(body) != {token0}


# --- streams ----------------------------------------------------------------------------------

READS_STDIN = [["tokenize", "-"], ["abc", "-"], ["check", "-"], ["score", "-"], ["render", "-", "--to", "midi"],
               ["tunebook", "-", "-o", "{tmp}/b.html"]]


@pytest.mark.parametrize("argv", READS_STDIN, ids=lambda a: a[0])
def test_closed_stdin_is_one_line(argv, tmp_path):
    assert_unbreakable(Case(f"{argv[0]} - <&-", argv, stdin="closed", codes=(2,)), tmp_path)


def test_full_stdout_is_one_line(tmp_path):
    _, _, err = assert_unbreakable(Case("tokenize > /dev/full", ["tokenize", str(SAMPLE)], stdout="full",
                                        codes=(2,)), tmp_path)
    assert "No space left on device" in err


@pytest.mark.parametrize("argv", [["tokenize", str(SAMPLE)], ["check", str(SAMPLE)],
                                  ["generate", "-n", "2", "--seed", "1", "--max-length", "100"]], ids=lambda a: a[0])
def test_closed_pipe_is_quiet(argv, tmp_path):
    code, _, err = assert_unbreakable(Case(f"{argv[0]} | head -c 1", argv, stdout="head"), tmp_path)
    assert "BrokenPipe" not in err and "Exception ignored" not in err


# --- partial failure ---------------------------------------------------------------------------

GOOD_BLOCK = "M:4/4\nK:Cmaj\n|: C D E F | G A B c :|\n"
BAD_BLOCK = "M:4/4\nK:Cmaj\n|: C D [ E F :|\n"
UNPLAYABLE = "X:2\nT:Unplayable\nM:4/4\nL:1/8\nK:C\nA99999999999|\n"


def test_abc_writes_the_good_blocks_and_reports_the_bad(tmp_path):
    case = Case("abc with a bad block", ["abc", "{in}"], text=f"{GOOD_BLOCK}\n{BAD_BLOCK}\n{GOOD_BLOCK}", codes=(1,))
    _, out, err = assert_unbreakable(case, tmp_path)
    assert out.count("X:") == 2 and "X:1" in out and "X:3" in out
    assert "tune 2" in err and "input.txt" in err


@pytest.mark.parametrize("argv", [["tunebook", "{in}", "-o", "{tmp}/b.html", "--no-novelty"],
                                  ["render", "{in}", "--to", "html", "-o", "{tmp}/r.html"],
                                  ["render", "{in}", "--to", "midi", "-o", "{tmp}/mid/"]], ids=lambda a: a[0] + a[-1][-4:])
def test_one_unplayable_tune_costs_only_itself(argv, tmp_path):
    case = Case("one unplayable", argv, text=f"{TUNE}\n{UNPLAYABLE}", codes=(1,), env=NO_CORPUS)
    _, _, err = assert_unbreakable(case, tmp_path)
    assert "Unplayable" in err and "max_note_length" in err
    written = [p for p in tmp_path.rglob("*") if p.suffix in (".html", ".mid")]
    assert written


# --- hangs and unbounded work: render paths (limits checked before the work) -------------------

def _tune(body: str, meter: str = "4/4", title: str = "Hostile") -> str:
    return f"X:1\nT:{title}\nM:{meter}\nL:1/8\nK:C\n{body}\n"


RENDER_CASES = [
    Case("musicxml M:999999/1", ["render", "{in}", "--to", "musicxml"], text=_tune("CDEF|", "999999/1"), codes=(2,)),
    Case("musicxml A99999999999", ["render", "{in}", "--to", "musicxml"], text=_tune("A99999999999|"), codes=(2,)),
    Case("musicxml 10,000 (", ["render", "{in}", "--to", "musicxml"], text=_tune("(" * 10_000 + "A|"), codes=(2,)),
    Case("svg 5,000-digit length", ["render", "{in}", "--to", "svg"], text=_tune("A" + "9" * 5000 + "|"), codes=(2,)),
    Case("html 5,000-digit length", ["render", "{in}", "--to", "html", "-o", "{tmp}/x.html"],
         text=_tune("A/" + "9" * 5000 + "|"), codes=(1, 2), env=NO_CORPUS),  # the page is written, listing the failure
    Case("midi 5 MB one line", ["render", "{in}", "--to", "midi"], text=_tune("CDEF GABc|" * 500_000), codes=(2,)),
]


@pytest.mark.parametrize("case", RENDER_CASES, ids=lambda c: c.name)
def test_render_limits_before_work(case, tmp_path):
    _, _, err = assert_unbreakable(case, tmp_path)
    assert "FOLKABC_MAX_" in err


def test_verovio_noise_stays_off_stderr(tmp_path):
    # "A]" makes verovio's C++ code abort (terminate called ...): the tune fails alone, quietly
    case = Case("verovio crash", ["render", "{in}", "--to", "svg", "-o", "{tmp}/svg/"],
                text=f"{TUNE}\nX:2\nT:Crash\nK:G\nA]\n", codes=(1,))
    _, _, err = assert_unbreakable(case, tmp_path)
    assert "Crash" in err and len(err.splitlines()) == 2


# --- reader, tokenizer and normaliser limits (owned by the reader rewrite) ---------------------

READER_CASES = [
    Case("tokenize Z99999999999", ["tokenize", "{in}"], text=_tune("Z99999999999|")),
    Case("check Z99999999999", ["check", "{in}"], text=_tune("Z99999999999|")),
    Case("tokenize 5,000-digit X:", ["tokenize", "{in}"], text="X:" + "9" * 5000 + "\nT:t\nK:C\nCDEF|\n"),
    Case("tokenize 5,000-digit length", ["tokenize", "{in}"], text=_tune("A" + "9" * 5000 + "|")),
    Case("search 5,000-digit length", ["search", "--corpus", "{corpus}", "C" + "9" * 5000]),
]


@pytest.mark.parametrize("case", [pytest.param(c, marks=c.marks, id=c.name) for c in READER_CASES])
def test_reader_limits(case, tmp_path):
    assert_unbreakable(case, tmp_path)


def _repeat_heavy(n: int) -> str:
    return _tune("|:" * n + "CDEF GABc" + ":|" * n)


def _seconds(fn, text: str) -> float:
    best = float("inf")
    for _ in range(2):  # the faster of two runs: less noise from a shared machine
        start = time.perf_counter()
        fn(text)
        best = min(best, time.perf_counter() - start)
    return best


@pytest.mark.parametrize("command", ["tokenize", "check"])
def test_repeat_heavy_input_is_linear(command):
    """4x the repeat signs must take well under 16x the time (quadratic): under 8x, measured in-process."""
    from folkabc.tokens import tokenize
    from folkabc.validate import check

    fn = {"tokenize": tokenize, "check": check}[command]
    small = _seconds(fn, _repeat_heavy(500))
    large = _seconds(fn, _repeat_heavy(2000))
    assert large < 8 * max(small, 0.02), (small, large)


# --- random and mutated real tunes -------------------------------------------------------------

def mutate(text: str, rng: random.Random, n: int) -> str:
    """``n`` random edits (insert, delete, duplicate a span, swap in ABC-ish noise) of ``text``."""
    noise = ["|:", ":|", "[", "]", "(", ")", "{", "}", "Z", "z", "/", "9" * rng.randint(1, 30), "M:", "K:",
             "\n", "\"", "!", "^", "_", "=", ",", "'", "%", "\\", "[M:7/0]", "X:", "\x00", "é", ">", "<"]
    chars = list(text)
    for _ in range(n):
        op = rng.random()
        k = rng.randrange(len(chars) + 1)
        if op < 0.4:
            chars[k:k] = list(rng.choice(noise))
        elif op < 0.7 and chars:
            del chars[k:k + rng.randint(1, 5)]
        elif op < 0.85:
            span = chars[k:k + rng.randint(1, 40)]
            chars[k:k] = span * rng.randint(2, 5)
        else:
            chars[k:k] = [chr(rng.randint(32, 0x2FF))]
    return "".join(chars)


def mutated_file(seed: int, tunes: int = 12, edits: int = 8) -> str:
    rng = random.Random(seed)
    blocks = [b for b in SAMPLE.read_text(encoding="utf-8").split("\n\n") if "K:" in b]
    picked = rng.sample(blocks, min(tunes, len(blocks)))
    return "\n\n".join(mutate(b, rng, edits) for b in picked) + "\n"


def random_bytes(seed: int, size: int = 4000) -> bytes:
    return random.Random(seed).randbytes(size)


COMMANDS = {
    "tokenize": ["tokenize", "{in}"],
    "tokenize-ids": ["tokenize", "--ids", "{in}"],
    "check": ["check", "{in}"],
    "score": ["score", "{in}"],
    "render-midi": ["render", "{in}", "--to", "midi", "-o", "{tmp}/mid/"],
    "render-musicxml": ["render", "{in}", "--to", "musicxml", "-o", "{tmp}/xml/"],
    "render-svg": ["render", "{in}", "--to", "svg", "-o", "{tmp}/svg/"],
    "tunebook": ["tunebook", "{in}", "-o", "{tmp}/b.html", "--no-novelty"],
    "novelty": ["novelty", "{in}"],
    "search": ["search", "{q}"],
    "abc": ["abc", "{in}"],
    "analyze": ["analyze", "--tune", "{in}", "-o", "{tmp}/an/", "--n-ablation", "2"],
}

# the default run: each command once on a mutated real file, and a few on random bytes
DEFAULT_MUTATED = [("tokenize", 1), ("check", 2), ("score", 3), ("render-midi", 4), ("tunebook", 5), ("abc", 6)]


@pytest.mark.parametrize("command,seed", DEFAULT_MUTATED, ids=lambda v: str(v))
def test_mutated_real_tunes(command, seed, tmp_path):
    assert_unbreakable(Case(f"{command} mutated {seed}", COMMANDS[command], text=mutated_file(seed)), tmp_path)


@pytest.mark.parametrize("command", ["tokenize", "check"])
def test_random_bytes(command, tmp_path):
    assert_unbreakable(Case(f"{command} random", COMMANDS[command], text=random_bytes(7)), tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(10, 16))
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_mutated_sweep(command, seed, tmp_path):
    text = mutated_file(seed) if seed % 3 else random_bytes(seed).decode("latin-1")
    assert_unbreakable(Case(f"{command} sweep {seed}", COMMANDS[command], text=text), tmp_path)


# --- damaged corpora: every array file, every command that opens them --------------------------

CORPUS_ARRAYS = ["ids.npy", "offsets.npy", "tune_ids.npy", "sa.npy", "bars.npy", "bar_offsets.npy"]


@pytest.fixture(scope="module")
def small_corpus():
    return small_corpus_path()


def _npy_damage(kind: str, data: bytes) -> bytes:
    return {"empty": b"", "truncated": data[:40], "short": data[:-8], "garbage": b"\x00garbage" * 10,
            "huge-shape": _npy_header((10**11,), "|u1")}[kind]


# each array file, damaged two ways, read by a command that needs it
DAMAGED = [(name, kind, cmd) for i, name in enumerate(CORPUS_ARRAYS)
           for kind, cmd in [(("empty", "truncated", "short")[i % 3], ("search", "novelty")[i % 2]),
                             (("huge-shape", "garbage")[i % 2], ("novelty", "search")[i % 2])]]
DAMAGED += [("ids.npy", "empty", "corpus info"), ("tune_ids.npy", "huge-shape", "corpus list"),
            ("offsets.npy", "garbage", "similar")]


@pytest.mark.parametrize("name,kind,command", DAMAGED, ids=lambda v: str(v))
def test_damaged_corpus_array_is_one_line(small_corpus, name, kind, command, tmp_path):
    import shutil

    d = tmp_path / "damaged"
    shutil.copytree(small_corpus, d)
    (d / name).write_bytes(_npy_damage(kind, (small_corpus / name).read_bytes()))
    argv = {"search": ["search", "G A B"], "novelty": ["novelty", "{in}"], "similar": ["similar", "{in}"],
            "corpus info": ["corpus", "info"], "corpus list": ["corpus", "list"]}[command]
    case = Case(f"{command} with {kind} {name}", [*argv, "--corpus", str(d)], text=TUNE, codes=(2,))
    _, _, err = assert_unbreakable(case, tmp_path)
    assert str(d / name) in err


def test_damaged_similar_cache_is_computed_again(small_corpus, tmp_path):
    import shutil

    d = tmp_path / "c"
    shutil.copytree(small_corpus, d)
    first = Case("similar", ["similar", "{in}", "--corpus", str(d)], text=TUNE)
    _, want, _ = assert_unbreakable(first, tmp_path)
    caches = sorted(d.glob("similar_*.npy"))
    assert caches
    for k, p in enumerate(caches):
        p.write_bytes(_npy_damage(("empty", "huge-shape", "short", "garbage")[k % 4], p.read_bytes()))
    _, got, _ = assert_unbreakable(first, tmp_path)
    assert got == want


def test_disk_full_while_rebuilding_is_one_line_and_the_old_corpus_survives(small_corpus, tmp_path):
    import shutil
    import signal

    from folkabc.corpus import Corpus

    d = tmp_path / "c"
    shutil.copytree(small_corpus, d)
    before = {p.name: p.read_bytes() for p in d.iterdir()}

    def full_disk():  # files stop growing at 20 kB: writes fail as on a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))

    proc = subprocess.run([sys.executable, "-m", "folkabc", "corpus", "build",
                           str(ROOT / "tests" / "data" / "thesession-sample.csv"), "-o", str(d)],
                          env=dict(os.environ, PYTHONPATH=str(ROOT), FOLKABC_QUIET="1"), capture_output=True,
                          text=True, preexec_fn=full_disk, timeout=TIME_CAP)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1 and "cannot write the corpus" in proc.stderr, proc.stderr
    assert {p.name: p.read_bytes() for p in d.iterdir()} == before
    assert len(Corpus.open(d)) == 15


def test_killed_build_leaves_no_worker_behind(tmp_path):
    import signal

    code = ("import sys; from folkabc.corpus import build_corpus; "
            "build_corpus(['music21:oneills1850', 'music21:ryansMammoth', 'music21:airdsAirs', "
            "'music21:essenFolksong', 'music21:miscFolk'], sys.argv[1], workers=2, quiet=True)")
    proc = subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "c")], stderr=subprocess.PIPE,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)), start_new_session=True)
    time.sleep(3.0)  # mid-build: the workers are converting (the whole default source takes > 10 s)
    assert proc.poll() is None
    os.kill(proc.pid, signal.SIGKILL)
    start = time.monotonic()
    err = proc.stderr.read().decode("utf-8", "replace")  # EOF once every worker holding stderr is gone
    proc.wait()
    assert time.monotonic() - start < 10
    assert "BrokenPipe" not in err and "Traceback" not in err, err[-2000:]


def test_novelty_of_a_5_mb_single_line_tune_is_refused_before_the_work(small_corpus, tmp_path):
    for body in ("CDEF GABc|" * 500_000, "CDEF GABc " * 500_000):  # with bars, and one bar-less line
        case = Case("novelty 5 MB one line", ["novelty", "{in}", "--corpus", str(small_corpus)],
                    text=_tune(body), codes=(2,))
        _, _, err = assert_unbreakable(case, tmp_path)
        assert "FOLKABC_MAX_TOKENS" in err or "FOLKABC_MAX_BARS" in err
