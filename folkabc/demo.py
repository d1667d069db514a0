"""The main job, end to end: what ``folkabc demo`` does on the embedded defaults.

:func:`run_demo` walks the whole data flow once, on the example tunes shipped in
``folkabc/data/examples/``, the default corpus (the music21 collections, built on
first use) and the shipped default model:

1. tokenise and check the example tunes (ABC and folk-rnn token files);
2. search the corpus for each example's opening figure;
3. generate tunes with the default model from a fixed seed;
4. check the generated tunes and report their novelty against the corpus;
5. write an HTML tunebook, SVG notation and MIDI for them, and a Markdown summary.

Everything it computes is returned as a :class:`DemoReport`; the files go under
the output directory.

Examples
--------
>>> from folkabc.demo import example_tunes, opening_figure
>>> [t.title for t in example_tunes()][:2]
['The Fun at Donnybrook', 'The Little Fair Child']
>>> opening_figure("M:4/4 K:Cmaj B, | G, C C 2 G, C E C | G, C E G F D B, D |".split())
['G,', 'C', 'C', '2']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Sequence

from ._io import atomic_write
from .errors import FolkabcError
from .tokens import TokenizedTune, read_folkrnn, tokenize, write_folkrnn
from .vocab import VOCAB

__all__ = ["DemoReport", "run_demo", "example_tunes", "opening_figure", "DEMO_STEPS"]

#: The steps :func:`run_demo` reports through its ``progress`` callback, in order.
DEMO_STEPS: tuple[str, ...] = (
    "examples", "corpus", "search", "generate", "check", "novelty", "tunebook", "notation", "midi",
)

_MEASURES = {"|", "|:", ":|", "|1", "|2"}


def example_tunes() -> list[TokenizedTune]:
    """The example tunes shipped with folkabc, tokenised.

    Five O'Neill's tunes (ABC) and the two folk-rnn v2 examples (token blocks, titled
    by their source).

    Returns
    -------
    list of TokenizedTune

    Examples
    --------
    >>> tunes = example_tunes()
    >>> len(tunes), tunes[-1].tokens[:4]
    (7, ['M:6/8', 'K:Cmaj', '|:', 'A'])
    """
    root = resources.files("folkabc").joinpath("data/examples")
    tunes = tokenize(root.joinpath("oneills-sample.abc").read_text(encoding="utf-8"))
    titles = ("folk-rnn v2 generated tune (published example)", "A Curious Denis Murphy (thesession.org)")
    blocks = read_folkrnn(root.joinpath("folkrnn-v2-examples.txt").read_text(encoding="utf-8"))
    for n, (tokens, title) in enumerate(zip(blocks, titles), start=1):
        text = write_folkrnn([tokens])
        tunes.append(TokenizedTune(index=100 + n, title=title, titles=[title], tokens=list(tokens),
                                   positions=[(0, 0)] * len(tokens), header={}, key="C",
                                   meter_text=tokens[0][2:], transpose=0, warnings=[], error=None,
                                   abc=text, line=1))
    return tunes


def opening_figure(tokens: Sequence[str], *, length: int = 4) -> list[str]:
    """The first ``length`` tokens of a tune's first whole bar (after any pickup).

    Parameters
    ----------
    tokens : sequence of str
        ``[meter, mode, *body]``.
    length : int > 0

    Returns
    -------
    list of str
        Notes, rests and their durations; no bar lines.

    Examples
    --------
    >>> opening_figure("M:6/8 K:Cmaj |: A | A B c d e f |".split(), length=3)
    ['A', 'B', 'c']
    """
    from .validate import check

    body = list(tokens[2:])
    while body and body[0] in _MEASURES:
        body.pop(0)
    result = check(list(tokens))[0]
    if any(f.bar == 0 for f in result.findings) and any(t in _MEASURES for t in body):
        first_bar = next(i for i, t in enumerate(body) if t in _MEASURES)
        body = body[first_bar + 1:]
    return [t for t in body if t not in _MEASURES][:length]


@dataclass
class DemoReport:
    """What :func:`run_demo` did.

    Attributes
    ----------
    out : Path
        The output directory.
    examples : list of dict
        Per example tune: title, token count, check result, opening figure and its search counts.
    generated : list of dict
        Per generated tune: tokens, ended, log-probability, check result, novelty summary.
    files : list of Path
        Every file written.
    corpus : dict
        The corpus's size (tunes, tokens) and location.
    model : dict
        The model's name and layer sizes.
    failures : list of str
        Tunes that could not be rendered.
    """

    out: Path
    examples: list[dict] = field(default_factory=list)
    generated: list[dict] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    corpus: dict = field(default_factory=dict)
    model: dict = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """The report as Markdown (what ``summary.md`` holds)."""
        lines = ["# folkabc demo", ""]
        c = self.corpus
        lines += [f"Corpus: {c.get('tunes')} tunes, {c.get('tokens')} tokens ({c.get('path')}).",
                  f"Model: {self.model.get('name')} (LSTM {self.model.get('layers')}).", "",
                  "## Example tunes", "",
                  "| tune | tokens | bars | opening figure | corpus tunes with it | occurrences |",
                  "|---|---|---|---|---|---|"]
        for e in self.examples:
            lines.append(f"| {e['title']} | {e['n_tokens']} | {e['check']} | `{e['figure']}` | "
                         f"{e['figure_tunes']} | {e['figure_occurrences']} |")
        lines += ["", "## Generated tunes", "",
                  "| # | meter | mode | tokens | ended | bars | longest shared figure | covered (k=8) |",
                  "|---|---|---|---|---|---|---|---|"]
        for g in self.generated:
            lines.append(f"| {g['n']} | {g['meter']} | {g['mode']} | {g['n_tokens']} | {g['ended']} | "
                         f"{g['check']} | {g['longest']} tokens | {g['coverage']:.0%} |")
        clean = sum(g["ok"] for g in self.generated)
        lines += ["", f"{clean} of {len(self.generated)} generated tunes count clean.", "",
                  "## Files", ""]
        lines += [f"- {p.relative_to(self.out)}" for p in self.files]
        if self.failures:
            lines += ["", "## Not rendered", ""] + [f"- {f}" for f in self.failures]
        return "\n".join(lines) + "\n"


def _check_text(result) -> str:
    if result.ok:
        return f"clean ({result.structure.summary})"
    bad = [f for f in result.findings if f.kind not in ("pickup",)]
    return f"{len(bad)} finding(s), first at bar {bad[0].bar}" if bad else "not ok"


def run_demo(out: str | Path, *, n: int = 4, seed: int = 1, meter: str | None = None,
             mode: str | None = None, corpus: Any = None, model: Any = None, quiet: bool = False, progress: Callable[[str], None] | None = None,
             key: str | None = None) -> DemoReport:
    """Run the main job and write its files under ``out``.

    Parameters
    ----------
    out : path
        Output directory (created).
    n : int > 0
        Tunes to generate.
    seed : int
        Generation seed (same seed, same tunes).
    meter, mode : str or None
        Prime the model with a meter (``"6/8"``) and/or mode (``"Cdor"``); None lets it choose.
    corpus : Corpus, path or None
        None: the default corpus (built on first use).
    model : Model, path or None
        None: the shipped default model.
    quiet : bool
        No progress bar while the default corpus builds.
    progress : callable or None
        Called with each step name of :data:`DEMO_STEPS` as it starts.
    key : str or None
        Write the generated tunes in this key (a tonic such as ``"D"``, or a key of their mode);
        None: C, as folk-rnn writes them.

    Returns
    -------
    DemoReport

    Raises
    ------
    FolkabcError
        When ``out`` cannot be written, or the corpus or model cannot be opened.

    Examples
    --------
    >>> import tempfile
    >>> r = run_demo(tempfile.mkdtemp(), n=1, seed=3)  # doctest: +SKIP
    >>> [p.name for p in r.files][:3]  # doctest: +SKIP
    ['examples.tokens.txt', 'generated.tokens.txt', 'generated.abc']
    """
    from .corpus import Corpus
    from .model import Model, load_model
    from .render import render_tunes, write_tunebook
    from .tokens import detokenize
    from .validate import check

    if n < 1:
        from .errors import ParameterError

        raise ParameterError(f"n must be at least 1, got {n}")
    step = progress or (lambda name: None)
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FolkabcError(f"cannot create output directory: {exc.strerror or exc}", path=str(out)) from exc
    report = DemoReport(out=out)

    def write(name: str, text: str) -> None:
        report.files.append(atomic_write(out / name, text))

    step("examples")
    examples = example_tunes()
    write("examples.tokens.txt", write_folkrnn([t.tokens for t in examples]))

    step("corpus")
    if not isinstance(corpus, Corpus):
        corpus = Corpus.open(corpus, quiet=quiet)
    info = corpus.info()
    report.corpus = {"tunes": info["tunes"], "tokens": info["tokens"], "path": str(corpus.path)}

    step("search")
    for t in examples:
        result = check(t)[0]
        figure = opening_figure(t.tokens)
        found = corpus.search(figure) if figure and all(tok in VOCAB for tok in figure) else None
        report.examples.append({
            "title": t.title, "n_tokens": len(t.tokens), "ok": result.ok, "check": _check_text(result),
            "figure": " ".join(figure), "figure_tunes": found.tunes if found else 0,
            "figure_occurrences": found.occurrences if found else 0,
            "figure_matches": [m.title for m in found.matches[:5]] if found else [],
        })

    step("generate")
    if not isinstance(model, Model):
        model = load_model(model)
    report.model = {"name": model.provenance.get("name") or model.provenance.get("source") or "model",
                    "layers": list(model.layers)}
    gens = model.generate(n=n, seed=seed, meter=meter, mode=mode)
    token_lists = [g.tokens for g in gens]
    write("generated.tokens.txt", write_folkrnn(token_lists))
    abcs = []
    for i, (g, toks) in enumerate(zip(gens, token_lists), start=1):
        try:  # tune i is sampled with seed + i - 1: its title names its own seed
            abcs.append(detokenize(toks, title=f"folkabc demo tune {i} (seed {g.seed})", index=i, key=key))
        except FolkabcError as exc:  # a model can write what no ABC holds: report it, go on
            report.failures.append(f"generated tune {i}: {exc}")
    write("generated.abc", "\n".join(abcs))

    step("check")
    results = []
    for i, toks in enumerate(token_lists, start=1):
        try:
            results.append(check(toks)[0])
        except FolkabcError as exc:
            report.failures.append(f"generated tune {i}: cannot be checked: {exc}")
            results.append(None)

    step("novelty")
    for i, (g, res) in enumerate(zip(gens, results), start=1):
        if res is None:
            continue
        try:
            nov = corpus.novelty(g.tokens)
        except FolkabcError as exc:
            report.failures.append(f"generated tune {i}: no novelty report: {exc}")
            nov = None
        report.generated.append({
            "n": i, "meter": g.tokens[0], "mode": g.tokens[1], "n_tokens": len(g.tokens), "ended": g.ended,
            "logprob": float(g.logprob), "ok": res.ok, "check": _check_text(res),
            "longest": nov.longest.length if nov and nov.longest else 0,
            "coverage": nov.coverage if nov else 0.0,
            "longest_titles": [x for x in (nov.longest.titles if nov and nov.longest else []) if x][:3],
        })

    if not abcs:
        raise FolkabcError("the model generated no tune that could be written as ABC: "
                           + "; ".join(report.failures))
    step("tunebook")
    book = write_tunebook(abcs, out / "tunebook.html", title="folkabc demo", corpus=corpus)
    report.files.append(out / "tunebook.html")
    report.failures += [f"{label}: {msg}" for label, msg in book.failures]

    for fmt in ("svg", "midi"):
        step("notation" if fmt == "svg" else "midi")
        rendered = render_tunes("\n".join(abcs), to=fmt, out=out)
        report.files += [Path(p) for p in rendered.written]
        report.failures += [f"{label} ({fmt}): {msg}" for label, msg in rendered.failures]

    write("summary.md", report.summary())
    return report

