"""The Starlette application of ``folkabc serve``: routes over :mod:`folkabc.server.api`.

Every POST body is read against ``LIMITS.body_bytes`` before it is parsed; every value is
checked by :mod:`folkabc.server.api` before work is done. Errors become JSON ``{"error": "one
line"}``: 400 for a bad value, 404 for a missing tune, 413 for an oversized body, 422 for a tune
that cannot be read or rendered; anything unforeseen is a 500 with one line, and the server keeps
serving. Model inference, engraving, corpus look-ups and tunebook writes run in worker threads
(``anyio.to_thread``), never on the event loop: model work under a capacity limiter (each call
has its own state; the network is built once at start), corpus work under a lock (one SQLite
connection and memory-mapped index), engraving one tune at a time (verovio runs in a forked
worker per call).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any, Callable

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .. import __version__
from ..errors import FolkabcError, ParameterError
from . import api
from .limits import LIMITS
from .store import NotFoundError, Tunebook

__all__ = ["create_app", "ServerState"]


@dataclass
class ServerState:
    """What the routes share: the model, the corpus, the tunebook and the locks guarding them."""

    model: Any
    corpus: Any
    book: Tunebook
    model_limiter: anyio.CapacityLimiter
    corpus_lock: threading.Lock
    render_limiter: anyio.CapacityLimiter


class TooLarge(FolkabcError):
    """A request body over ``LIMITS.body_bytes``."""


def _status(exc: FolkabcError) -> int:
    if isinstance(exc, TooLarge):
        return 413
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, ParameterError):
        return 400
    return 422


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": " ".join(str(message).split())[:500]}, status_code=status)


async def _body(request: Request) -> Any:
    """The JSON body, read no further than ``LIMITS.body_bytes``."""
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > LIMITS.body_bytes):
        raise TooLarge(f"request body over {LIMITS.body_bytes} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > LIMITS.body_bytes:
            raise TooLarge(f"request body over {LIMITS.body_bytes} bytes")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParameterError(f"the request body is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ParameterError("the request body must be a JSON object")
    return body


def _file(data: bytes, media: str, name: str) -> Response:
    return Response(data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _static(name: str, media: str, package: str = "folkabc.server", folder: str = "static") -> Callable:
    async def endpoint(request: Request) -> Response:
        text = resources.files(package).joinpath(folder).joinpath(name).read_text(encoding="utf-8")
        return Response(text, media_type=media)

    return endpoint


def create_app(*, model: Any = None, corpus: Any = None, tunebook: Any = None) -> Starlette:
    """The application, with its model, corpus and tunebook opened.

    Parameters
    ----------
    model : Model, path or None
        The model (default: the shipped one).
    corpus : Corpus, path or None
        The corpus for search and novelty (default: the default corpus, built on first use).
    tunebook : Tunebook, path or None
        The local tunebook (default: ``tunebook.sqlite`` in the folkabc home folder).

    Returns
    -------
    starlette.applications.Starlette

    Notes
    -----
    Serve it with numpy on one BLAS thread (``OPENBLAS_NUM_THREADS=1`` before numpy is imported,
    as ``folkabc serve`` does): a multi-threaded OpenBLAS call hangs when another request's
    engraving forks.

    Examples
    --------
    >>> import tempfile, os
    >>> from starlette.testclient import TestClient
    >>> from folkabc.corpus.core import _example_corpus
    >>> app = create_app(corpus=_example_corpus(), tunebook=os.path.join(tempfile.mkdtemp(), "t.sqlite"))
    >>> client = TestClient(app)
    >>> client.post("/api/check", json={"abc": "X:1\\nT:t\\nM:4/4\\nL:1/8\\nK:C\\nCDEF|\\n"}).json()["ok"]
    False
    >>> r = client.post("/api/generate", json={"n": 100})
    >>> r.status_code, r.json()
    (400, {'error': 'n=100 is outside 1..8'})
    """
    from ..corpus import Corpus
    from ..model import load_model

    if model is None or isinstance(model, (str, Path)):
        model = load_model(model)
    if corpus is None or isinstance(corpus, (str, Path)):
        corpus = Corpus.open(corpus, quiet=True)
    book = tunebook if isinstance(tunebook, Tunebook) else Tunebook(tunebook)
    model.network()  # built once here, shared read-only by every request
    state = ServerState(model, corpus, book, anyio.CapacityLimiter(LIMITS.model_threads), threading.Lock(),
                        anyio.CapacityLimiter(1))

    def with_corpus(fn: Callable, *args: Any) -> Any:
        with state.corpus_lock:
            return fn(state.corpus, *args)

    async def model_work(fn: Callable, *args: Any) -> Any:
        return await anyio.to_thread.run_sync(partial(fn, *args), limiter=state.model_limiter)

    async def render_work(fn: Callable, *args: Any) -> Any:
        return await anyio.to_thread.run_sync(partial(fn, *args), limiter=state.render_limiter)

    async def corpus_work(fn: Callable, *args: Any) -> Any:
        return await anyio.to_thread.run_sync(partial(with_corpus, fn, *args))

    async def io_work(fn: Callable, *args: Any, **kw: Any) -> Any:
        return await anyio.to_thread.run_sync(partial(fn, *args, **kw))

    async def info(request: Request) -> Response:
        m = state.model
        return JSONResponse({
            "version": __version__,
            "model": {"layers": m.layers, "vocabulary": len(m.vocab), "source": str(m.provenance.get("source", ""))},
            "corpus": {"path": str(state.corpus.path), "tunes": len(state.corpus), "searchable": state.corpus.n_rows},
            "tunebook": str(state.book.path),
            "meters": sorted(t for t in m.vocab.tokens if t.startswith("M:")),
            "modes": sorted(t for t in m.vocab.tokens if t.startswith("K:")),
            "export_formats": list(api.EXPORT_FORMATS),
            "limits": LIMITS.to_dict(),
        })

    async def generate(request: Request) -> Response:
        return JSONResponse(await model_work(api.generate_tunes, state.model, await _body(request)))

    async def check(request: Request) -> Response:
        return JSONResponse(await io_work(api.check_tune, await _body(request)))

    async def render(request: Request) -> Response:
        return JSONResponse(await render_work(api.render_tune, await _body(request)))

    async def novelty(request: Request) -> Response:
        return JSONResponse(await corpus_work(api.novelty_of, await _body(request)))

    async def search(request: Request) -> Response:
        return JSONResponse(await corpus_work(api.search, await _body(request)))

    async def corpus_tune(request: Request) -> Response:
        return JSONResponse(await corpus_work(api.corpus_tune, request.path_params["id"]))

    async def export(request: Request) -> Response:
        body = await _body(request)
        return _file(*await render_work(api.export_tune, body, request.path_params["format"]))

    async def book_list(request: Request) -> Response:
        tunes = await io_work(state.book.list)
        return JSONResponse({"tunes": [t.to_dict(abc=False) for t in tunes]})

    async def book_add(request: Request) -> Response:
        body = await _body(request)
        abc = api._abc(body)
        title = api._str(body, "title", LIMITS.title_chars) or await io_work(api.tune_title, abc)
        tune = await io_work(state.book.add, title, abc, notes=api._str(body, "notes", LIMITS.notes_chars) or "")
        return JSONResponse(tune.to_dict(), status_code=201)

    async def book_get(request: Request) -> Response:
        return JSONResponse((await io_work(state.book.get, request.path_params["id"])).to_dict())

    async def book_update(request: Request) -> Response:
        body = await _body(request)
        fields = {k: body[k] for k in ("title", "abc", "notes") if k in body}
        if not fields:
            raise ParameterError("give title, abc or notes to change")
        tune = await io_work(state.book.update, request.path_params["id"], **fields)
        return JSONResponse(tune.to_dict())

    async def book_delete(request: Request) -> Response:
        await io_work(state.book.delete, request.path_params["id"])
        return JSONResponse({"deleted": request.path_params["id"]})

    async def book_export(request: Request) -> Response:
        tunes = await io_work(state.book.list)
        fmt = request.path_params["format"]
        corpus = state.corpus if fmt == "html" else None

        def work() -> tuple[bytes, str, str]:
            if corpus is None:
                return api.export_book(tunes, fmt)
            with state.corpus_lock:
                return api.export_book(tunes, fmt, corpus)

        return _file(*await render_work(work))

    async def folkabc_error(request: Request, exc: Exception) -> Response:
        return _error(_status(exc), str(exc))  # type: ignore[arg-type]

    async def http_error(request: Request, exc: Exception) -> Response:
        return _error(exc.status_code, exc.detail)  # type: ignore[attr-defined]

    async def server_error(request: Request, exc: Exception) -> Response:
        return _error(500, f"internal error: {type(exc).__name__}: {exc}")

    routes = [
        Route("/", _static("index.html", "text/html; charset=utf-8")),
        Route("/static/player.js", _static("player.js", "text/javascript", "folkabc.data", "js")),
        Mount("/static", StaticFiles(packages=[("folkabc.server", "static")]), name="static"),
        Route("/api/info", info),
        Route("/api/generate", generate, methods=["POST"]),
        Route("/api/check", check, methods=["POST"]),
        Route("/api/render", render, methods=["POST"]),
        Route("/api/novelty", novelty, methods=["POST"]),
        Route("/api/search", search, methods=["POST"]),
        Route("/api/corpus/{id:int}", corpus_tune),
        Route("/api/export/{format:str}", export, methods=["POST"]),
        Route("/api/tunebook", book_list),
        Route("/api/tunebook", book_add, methods=["POST"]),
        Route("/api/tunebook/export/{format:str}", book_export),
        Route("/api/tunebook/{id:int}", book_get),
        Route("/api/tunebook/{id:int}", book_update, methods=["PUT"]),
        Route("/api/tunebook/{id:int}", book_delete, methods=["DELETE"]),
    ]
    app = Starlette(routes=routes, exception_handlers={FolkabcError: folkabc_error, HTTPException: http_error,
                                                        Exception: server_error})
    app.state.folkabc = state
    return app
