"""``folkabc serve``: a local composer in the browser, and the JSON API behind it.

Modules
    ``limits``  the request limits (one table)
    ``api``     what each endpoint does, as plain functions over parsed JSON
    ``store``   the local tunebook (SQLite in the folkabc home folder)
    ``app``     the Starlette application: routes, limits on bodies, model work off the event loop
    ``static/`` the page (HTML, script, style), served from the package: works offline

See ``docs/serve.md`` for every endpoint with examples.

Examples
--------
>>> from folkabc.server import LIMITS
>>> LIMITS.body_bytes
262144
"""

from __future__ import annotations

from .limits import LIMITS, RequestLimits

__all__ = ["LIMITS", "RequestLimits"]
