"""What each endpoint of ``folkabc serve`` does, as plain functions (no HTTP here).

Each function takes the parsed JSON body (a dict) or plain values, checks every value against
:data:`folkabc.server.limits.LIMITS` before any work, calls folkabc's public API and returns a
JSON-ready dict. Bad input raises :class:`folkabc.errors.ParameterError`; a tune that cannot be
read or rendered raises the :class:`folkabc.errors.FolkabcError` that says why. The routes in
:mod:`folkabc.server.app` turn those into 4xx answers with one line.

Bars and the notation: verovio draws one ``<g class="measure">`` per written bar (the notes
between two bar lines), in order. :func:`written_bars` finds the same bars in the tune's tokens,
so a bar-check finding (located by line and column) or a novelty figure (located by token
offset) is mapped to the index of the measure that shows it.
"""

from __future__ import annotations

import math
import re
from typing import Any, Sequence

from ..abc.keys import FOLK_MODES, written_key
from ..errors import FolkabcError, ParameterError
from ..render import perform, render, tunebook_html
from ..vocab import token_category
from .limits import LIMITS
from .store import check_text

__all__ = [
    "generate_tunes", "check_tune", "render_tune", "novelty_of", "search", "corpus_tune",
    "export_tune", "export_book", "tune_title", "written_bars", "measure_of_token",
    "EXPORT_FORMATS",
]

#: Export formats: media type and file extension.
EXPORT_FORMATS: dict[str, tuple[str, str]] = {
    "abc": ("text/vnd.abc; charset=utf-8", "abc"),
    "midi": ("audio/midi", "mid"),
    "pdf": ("application/pdf", "pdf"),
    "html": ("text/html; charset=utf-8", "html"),
}


# ---------------------------------------------------------------------------- checking values
def _field(body: Any, name: str, default: Any = None) -> Any:
    if not isinstance(body, dict):
        raise ParameterError("the request body must be a JSON object")
    return body.get(name, default)


def _int(body: dict, name: str, lo: int, hi: int, default: int | None = None) -> int | None:
    value = _field(body, name)
    if value is None:  # absent or null: the default (`{"n": null}` once reached `seed + n` as None)
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParameterError(f"{name} must be an integer, not {value!r}"[:200])
    if not lo <= value <= hi:
        raise ParameterError(f"{name}={value} is outside {lo}..{hi}")
    return value


def _float(body: dict, name: str, lo: float, hi: float, default: float) -> float:
    value = _field(body, name)
    if value is None:  # absent or null: the default
        value = default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ParameterError(f"{name} must be a finite number, not {value!r}"[:200])
    if not lo <= value <= hi:
        raise ParameterError(f"{name}={value} is outside {lo}..{hi}")
    return float(value)


def _str(body: dict, name: str, most: int, *, required: bool = False) -> str | None:
    value = _field(body, name)
    if value is None or (isinstance(value, str) and not value.strip() and not required):
        if required:
            raise ParameterError(f"{name} is missing")
        return None
    return check_text(value, name, most, required=required)


def _abc(body: dict) -> str:
    return _str(body, "abc", LIMITS.abc_chars, required=True)  # type: ignore[return-value]


def _first_tune(abc: str):
    """The first tune of ``abc``, tokenized (its error raised)."""
    from ..tokens import tokenize

    tunes = tokenize(abc)
    if not tunes:
        raise ParameterError("no tune found in the ABC text (it needs an X: or K: line)")
    tune = tunes[0]
    if tune.error is not None:
        raise tune.error
    return tune


# ---------------------------------------------------------------------------- bars ↔ measures
def written_bars(tokens: Sequence[str]) -> list[tuple[int, int]]:
    """``[first, end)`` token ranges of the written bars of a tune (what verovio draws as measures).

    A written bar is a run of body tokens (after meter and mode) between bar lines.

    Examples
    --------
    >>> written_bars("M:4/4 K:Cmaj |: C D | E F :| G".split())
    [(3, 5), (6, 8), (9, 10)]
    """
    out, first = [], None
    for p in range(2, len(tokens) + 1):
        if p == len(tokens) or token_category(tokens[p]) == "measure":
            if first is not None:
                out.append((first, p))
            first = None
        elif first is None:
            first = p
    return out


def measure_of_token(bars: list[tuple[int, int]], index: int) -> int | None:
    """Index of the written bar holding token ``index`` (or the next one when it is a bar line).

    Examples
    --------
    >>> bars = written_bars("M:4/4 K:Cmaj |: C D | E F :| G".split())
    >>> measure_of_token(bars, 4), measure_of_token(bars, 5), measure_of_token(bars, 99)
    (0, 1, None)
    """
    for k, (first, end) in enumerate(bars):
        if index < end:
            return k
    return None


def _measure_at(tune, line: int | None, column: int | None) -> int | None:
    """The measure whose tokens start at or after a source position."""
    if line is None:
        return None
    place = (line, column or 0)
    bars = written_bars(tune.tokens)
    for i, pos in enumerate(tune.positions):
        if i >= 2 and tuple(pos) >= place:
            return measure_of_token(bars, i)
    return None


def tune_title(abc: str) -> str:
    """The first tune's title, as the reader reads it ("Untitled" when it has none).

    Examples
    --------
    >>> tune_title("X:1\\nT:The Kesh\\nK:G\\nGABc|\\n")
    'The Kesh'
    """
    return (_first_tune(abc).title or "Untitled")[:LIMITS.title_chars]


# ---------------------------------------------------------------------------- the operations
def generate_tunes(model, body: dict) -> dict:
    """``POST /api/generate``: sample tunes and write them as ABC.

    Parameters
    ----------
    model : folkabc.model.Model
    body : dict
        ``meter`` ("6/8"), ``mode`` ("Cdor"), ``key`` (write the ABC in this key: a tonic such as
        "D", or a key of the tune's mode such as "Ador"), ``temperature``, ``seed``, ``prime``
        (tokens, space separated), ``n``, ``max_length``, ``top_k``, ``top_p``, ``constrain``
        (``"grammar"``, ``"bars"``), ``form`` (``"AABB"`` …), ``part_bars``: all optional.

    Returns
    -------
    dict
        ``{"tunes": [{"seed", "meter", "mode", "tokens", "ended", "logprob", "abc", "cost"}]}``
        (``cost``: the constraint's removed log-mass, :class:`folkabc.model.constraints.Cost`, or None).

    Examples
    --------
    >>> from folkabc.model import Model
    >>> out = generate_tunes(Model.random(layers=[8], rng=0), {"meter": "6/8", "mode": "Cdor", "seed": 1,
    ...                                                       "max_length": 12})
    >>> t = out["tunes"][0]
    >>> t["meter"], t["mode"], t["seed"], len(t["tokens"].split()) <= 12
    ('M:6/8', 'K:Cdor', 1, True)
    >>> generate_tunes(Model.random(layers=[8], rng=0), {"n": 99})
    Traceback (most recent call last):
    ...
    folkabc.errors.ParameterError: n=99 is outside 1..8
    """
    from ..tokens import detokenize

    n = _int(body, "n", 1, LIMITS.tunes_per_request, 1)
    max_length = _int(body, "max_length", 3, LIMITS.max_tokens, LIMITS.max_tokens)
    temperature = _float(body, "temperature", *LIMITS.temperature, 1.0)
    seed = _int(body, "seed", 0, LIMITS.seed_max)
    top_k = _int(body, "top_k", 1, len(model.vocab))
    top_p = _field(body, "top_p")
    if top_p is not None:
        top_p = _float(body, "top_p", 0.01, 1.0, 1.0)
    meter = _str(body, "meter", 16)
    mode = _str(body, "mode", 16)
    key = _str(body, "key", 16)
    if key is not None:
        fits = []
        for m in FOLK_MODES:
            try:
                fits.append(written_key(key, m))
            except ValueError as exc:
                why = str(exc)
        if not fits:  # no mode allows it: refused before sampling
            raise ParameterError(f"key: {why}")
    prime = _str(body, "prime", LIMITS.prime_tokens * 8)
    constrain = _str(body, "constrain", 16)
    form = _str(body, "form", 16)
    part_bars = _int(body, "part_bars", 1, 32, 8)
    if prime is not None and len(prime.split()) > LIMITS.prime_tokens:
        raise ParameterError(f"prime has {len(prime.split())} tokens; the most is {LIMITS.prime_tokens}")
    if seed is None:
        import numpy as np

        seed = int(np.random.SeedSequence().entropy % (LIMITS.seed_max - LIMITS.tunes_per_request))
    if seed + n - 1 > LIMITS.seed_max:
        raise ParameterError(f"seed={seed} with n={n} runs past the largest seed {LIMITS.seed_max}")
    gens = model.generate(n=n, meter=meter, mode=mode, prime=prime, temperature=temperature, seed=seed,
                          top_k=top_k, top_p=top_p, max_length=max_length, constrain=constrain or None,
                          form=form or None, part_bars=part_bars)
    tunes = []
    for k, g in enumerate(gens):
        rec = {"seed": g.seed, "meter": g.meter, "mode": g.mode, "tokens": " ".join(g.tokens),
               "ended": g.ended, "logprob": round(float(g.logprob), 4), "abc": None, "error": None,
               "cost": None if g.cost is None else g.cost.to_dict()}
        try:
            rec["abc"] = detokenize(g.tokens, title=f"folkabc {g.seed}", index=k + 1, key=key)
        except FolkabcError as exc:
            rec["error"] = f"cannot write ABC: {exc}"
        tunes.append(rec)
    return {"tunes": tunes}


def check_tune(body: dict) -> dict:
    """``POST /api/check``: the bar check of the first tune, each finding mapped to its measure.

    Returns
    -------
    dict
        ``ok``, ``summary``, ``meter``, ``bars``, ``findings`` (each
        :meth:`folkabc.validate.Finding.to_dict` plus ``measure``: the 0-based index of the
        ``g.measure`` of the notation, or None) and ``problems`` (findings that fail the tune).

    Examples
    --------
    >>> out = check_tune({"abc": "X:1\\nT:t\\nM:4/4\\nL:1/8\\nK:G\\nGABc dedB|GAB|cBAG FGAB|\\n"})
    >>> out["ok"], [(f["bar"], f["kind"], f["measure"]) for f in out["findings"]]
    (False, [(2, 'short', 1)])
    """
    from ..validate import ERROR_KINDS, check

    abc = _abc(body)
    tune = _first_tune(abc)
    result = check(tune)[0]
    findings = []
    for f in result.findings:
        d = f.to_dict()
        d["measure"] = _measure_at(tune, f.line, f.column)
        d["error"] = f.kind in ERROR_KINDS
        findings.append(d)
    return {"ok": result.ok, "summary": result.summary(), "meter": result.meter, "bars": result.bars,
            "error": result.error, "problems": sum(1 for f in findings if f["error"]), "findings": findings}


def render_tune(body: dict) -> dict:
    """``POST /api/render``: notation (SVG) and the notes to play.

    Returns
    -------
    dict
        ``title``, ``svg``, ``measures`` (``g.measure`` elements in the SVG), ``qpm`` and
        ``notes``: ``[onset_s, midi_pitch, duration_s]`` (what the tunebook's player plays).

    Raises
    ------
    RenderError
        When the tune cannot be engraved or played.

    Examples
    --------
    >>> out = render_tune({"abc": "X:1\\nT:Scale\\nM:4/4\\nL:1/4\\nK:C\\nCDEF|GABc|\\n"})
    >>> out["measures"], [n[1] for n in out["notes"]][:4], out["svg"].startswith("<svg")
    (2, [60, 62, 64, 65], True)
    """
    abc = _abc(body)
    tune = _first_tune(abc)
    svg = render(tune.abc, to="svg")
    perf = perform(tune.abc)
    notes = [[round(a, 4), p, round(d, 4)] for a, p, d in perf.to_seconds()]
    return {"title": tune.title, "svg": svg, "measures": len(re.findall(r'class="measure\b', svg)),
            "qpm": perf.qpm, "notes": notes}


def novelty_of(corpus, body: dict) -> dict:
    """``POST /api/novelty``: how much of the tune the corpus holds, mapped to measures.

    Returns
    -------
    dict
        :meth:`folkabc.search.NoveltyReport.to_dict` plus ``figure_measures`` (the measures the
        longest shared figure spans), ``matched_measures`` (measures whose notes the corpus
        holds somewhere), each bar's ``measure``, and ``nearest``: the nearest corpus tune by
        whole-tune alignment (:meth:`folkabc.Corpus.similar`: score 0..1, the transposition, and
        the measures aligned with no note changed), or None when no tune reaches the threshold.
    """
    abc = _abc(body)
    tune = _first_tune(abc)
    report = corpus.novelty(tune.tokens, max_tunes=20)
    out = report.to_dict()
    bars = written_bars(tune.tokens)
    lf = report.longest
    out["figure_measures"] = []
    if lf is not None:
        ms = {measure_of_token(bars, i) for i in range(lf.start, lf.start + lf.length)}
        out["figure_measures"] = sorted(m for m in ms if m is not None)
    for k, b in enumerate(out["bars"]):
        b["measure"] = k if len(report.bars) == len(bars) else None
    out["matched_measures"] = [b["measure"] for b in out["bars"] if b["tunes"] and b["measure"] is not None]
    out["nearest"] = None
    try:  # whole-tune similarity: transposition, rhythm and ornament tolerant (docs/similar.md)
        hits = corpus.similar(tune.tokens, limit=1, bars=1).hits
    except ParameterError:  # fewer than two notes: nothing to align
        hits = []
    if hits:
        h = hits[0]
        measure = {b["bar"]: b["measure"] for b in out["bars"]}
        noted = [b for b in h.bars if b.notes]  # bars with notes aligned (a rest-only bar has none)
        same = [b.query_bar for b in noted if b.same == b.notes]
        out["nearest"] = {"tune_id": int(h.tune_id), "title": h.title, "source": h.source,
                          "score": round(float(h.score), 4), "transpose": int(h.transpose),
                          "bars_same": len(same), "bars": len(noted),
                          "measures": sorted(m for m in (measure.get(q) for q in same) if m is not None)}
    return out


def search(corpus, body: dict) -> dict:
    """``POST /api/search``: a figure (tokens or ABC notes) or a title in the corpus.

    Parameters
    ----------
    body : dict
        ``figure`` (e.g. ``"G, C C 2"``) or ``title`` (a substring); optional ``meter``,
        ``mode``, ``limit``.

    Returns
    -------
    dict
        For a figure: :meth:`folkabc.search.SearchResult.to_dict`; for a title:
        ``{"tunes": [{"id", "title", "meter", "mode", "status"}], "approx"}``.
    """
    figure = _str(body, "figure", LIMITS.query_chars)
    title = _str(body, "title", LIMITS.query_chars)
    meter = _str(body, "meter", 16)
    mode = _str(body, "mode", 16)
    limit = _int(body, "limit", 1, LIMITS.search_results, 20)
    if (figure is None) == (title is None):
        raise ParameterError("give either figure or title")
    if figure is not None:
        if len(figure.split()) > LIMITS.query_tokens:
            raise ParameterError(f"figure has {len(figure.split())} tokens; the most is {LIMITS.query_tokens}")
        out = corpus.search(figure, meter=meter, mode=mode, limit=limit).to_dict()
        out["kind"] = "figure"
        return out
    found = corpus.select(title=title, meter=meter, mode=mode, limit=limit + 1)
    return {"kind": "title", "approx": len(found) > limit,
            "tunes": [{"id": t.id, "title": t.title, "meter": t.meter, "mode": t.mode, "status": t.status}
                      for t in found[:limit]]}


def corpus_tune(corpus, tune_id: int) -> dict:
    """``GET /api/corpus/{id}``: one corpus tune, with ABC to open in the editor.

    The ABC is the first copy's own text; a tune stored without one is written from its tokens.
    """
    from ..tokens import detokenize

    if not 1 <= tune_id <= len(corpus):
        from .store import NotFoundError

        raise NotFoundError(f"no corpus tune {tune_id} (ids run 1..{len(corpus)})")
    t = corpus.tune(tune_id)
    abc = t.abc
    if not abc and t.tokens:
        abc = detokenize(t.tokens, title=t.title, index=t.id)
    return {"id": t.id, "title": t.title, "meter": t.meter, "mode": t.mode, "key": t.key, "type": t.type,
            "status": t.status, "source": t.source, "ref": t.ref, "check_ok": t.check_ok, "abc": abc}


def _slug(title: str) -> str:
    """A file name stem for a title.

    Examples
    --------
    >>> _slug("The Kesh (jig)")
    'the-kesh-jig'
    """
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "tune"


def _export(text: str, fmt: str, title: str, corpus) -> tuple[bytes, str, str]:
    if fmt not in EXPORT_FORMATS:
        raise ParameterError(f"format={fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}")
    media, ext = EXPORT_FORMATS[fmt]
    name = f"{_slug(title)}.{ext}"
    if fmt == "abc":
        return text.encode("utf-8"), media, name
    if fmt == "midi":
        return render(text, to="midi"), media, name
    if fmt == "pdf":
        return render(text, to="pdf"), media, name
    page, _ = tunebook_html(text, title=title, corpus=corpus if corpus is not None else False)
    return page.encode("utf-8"), media, name


def export_tune(body: dict, fmt: str) -> tuple[bytes, str, str]:
    """``POST /api/export/{format}``: the editor's tune as ABC, MIDI, PDF or an HTML page.

    Returns
    -------
    (bytes, str, str)
        The file, its media type and a file name.

    Examples
    --------
    >>> data, media, name = export_tune({"abc": "X:1\\nT:Scale\\nK:C\\nCDEF|\\n"}, "midi")
    >>> data[:4], media, name
    (b'MThd', 'audio/midi', 'scale.mid')
    """
    abc = _abc(body)
    tune = _first_tune(abc)
    return _export(tune.abc, fmt, tune.title or "tune", None)


def export_book(tunes: list, fmt: str, corpus=None) -> tuple[bytes, str, str]:
    """``GET /api/tunebook/export/{format}``: every saved tune in one file.

    Parameters
    ----------
    tunes : list of folkabc.server.store.SavedTune
    fmt : {'abc', 'midi', 'pdf', 'html'}
        ``midi`` is refused (one tune per MIDI file).
    corpus : Corpus or None
        For the HTML tunebook's novelty lines.
    """
    if fmt == "midi":
        raise ParameterError("midi holds one tune: export a tune, not the tunebook")
    if not tunes:
        raise ParameterError("the tunebook is empty")
    text = "\n".join(t.abc.strip() + "\n" for t in tunes)
    return _export(text, fmt, "folkabc tunebook", corpus)
