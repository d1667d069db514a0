"""``folkabc serve``: the local composer in the browser (and its JSON API)."""

from __future__ import annotations

import argparse
import socket
import sys

from ..shipped import MODEL_HELP
from ._common import example_epilog, fail, path_arg

__all__ = ["ORDER", "add_parser", "run"]

ORDER = 80


def _host(text: str) -> str:
    """``--host``: an empty one is refused (the socket would bind every interface, not this machine)."""
    if not text.strip():
        import argparse

        raise argparse.ArgumentTypeError("empty host: give an address (127.0.0.1 is this machine only)")
    return text


def add_parser(subparsers) -> None:
    """Register ``folkabc serve``."""
    p = subparsers.add_parser(
        "serve",
        help="a local web page to generate, hear, check, compare and keep tunes (and its JSON API)",
        description="Serve the folkabc page and its JSON API (docs/serve.md) on this machine: generate "
                    "tunes, see and play them, edit the ABC with the bar check marked on the notation, "
                    "see novelty against the corpus, search the corpus, and keep tunes in a local "
                    "tunebook (tunebook.sqlite in the folkabc home folder). Binds 127.0.0.1 unless "
                    "--host says otherwise; prints the address.",
        epilog=example_epilog("folkabc serve", "folkabc serve --port 8080 --corpus mycorpus"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--host", type=_host, default="127.0.0.1",
                   help="address to bind (127.0.0.1: this machine only; 0.0.0.0: every interface)")
    p.add_argument("--port", type=int, default=8000, help="port (8000; 0 picks a free one)")
    p.add_argument("--model", type=path_arg, metavar="MODEL", help=MODEL_HELP)
    p.add_argument("--corpus", type=path_arg, metavar="DIR",
                   help="corpus folder (default: the default corpus)")
    p.add_argument("--tunebook", type=path_arg, metavar="FILE.sqlite",
                   help="the tunebook database (default: tunebook.sqlite in the folkabc home folder)")
    p.set_defaults(func=run)


def run(args) -> int:
    """Open the model, corpus and tunebook, bind, print the address and serve until interrupted."""
    import os

    # One BLAS thread per model request (requests run side by side in worker threads instead).
    # A multi-threaded OpenBLAS hangs when another thread forks (engraving forks a verovio
    # worker) in the middle of its call: its fork handler stops the BLAS thread pool under the
    # running call. Set before numpy is first imported (the CLI has not imported it yet).
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    import uvicorn

    from ..server.app import create_app

    if not 0 <= args.port <= 65535:
        raise fail(f"--port {args.port} is outside 0..65535")
    app = create_app(model=args.model, corpus=args.corpus, tunebook=args.tunebook)
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.host, args.port))
    except OSError as exc:
        sock.close()
        raise fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from exc
    sock.listen(128)
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    print(f"folkabc serve: http://{shown}:{port}/  (tunebook {app.state.folkabc.book.path}; Ctrl-C stops)",
          flush=True)
    config = uvicorn.Config(app, log_level="warning", access_log=False, limit_concurrency=256,
                            timeout_keep_alive=5)
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    print("folkabc serve: stopped", file=sys.stderr)
    return 0
