"""Post/Redirect/Get for a refused form: the page that shows the refusal, beside what was
typed, is kept for a while and shown by a GET, so that going back and forward never asks
to send the form again.

A page form refused by its view (or by the error handler) was answered by its POST with
the form's page and a 4xx status: the browser's history then held a POST, and "Back"
and "Forward" asked to send it again (Chromium's "Confirm Form Resubmission",
ERR_CACHE_MISS). Now :func:`huiqi.web.render.page` marks such an answer
(:func:`mark`), and :func:`redirect_refused` — one middleware for every form — keeps its
body in a private file under the data directory (every worker process reads it) and
answers ``303 See Other`` to the form's own page (``here``) with ``shown=<token>``;
that GET shows the kept page (:func:`shown`), with the status the POST had (400, 409,
413, 429…), so a test or a client following the redirect reads what it read before.

* Only the browser session that posted it sees it: the file's name begins with a hash
  of the session cookie (or, before sign-in, of the sign-in form's CSRF cookie), and the
  file names the hash in full.
* The address shows it as long as it is kept (``KEEP_SECONDS``), so "Back" then
  "Forward" finds it again; the form's plain address is the empty form. A token that is
  no longer kept (or another session's) is sent on to that plain address.
* Only a browser's navigation is redirected (:func:`navigated`): a script, an HTTP
  client or a test posting the form still reads the refusal's status from its answer
  (400 for an empty field, 429 for a throttled sign-in…), as the tests assert. An htmx
  request keeps its answer too: it is no page of the history (app.js swaps the refused
  fragment in); so does the refusal of a form whose CSRF token is not the session's
  (its page says to reload, which would show the kept copy again).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, RedirectResponse, Response

from huiqi.fsmode import private_dir, write_private_bytes
from huiqi.web.security import PRE_COOKIE, SESSION_COOKIE

PARAM = "shown"  # the kept answer of a POST: a refusal, or an import's report
FOLDER = "refused-forms"  # under the data directory
KEEP_SECONDS = 15 * 60
PER_SESSION = 4  # a session's newest kept pages; older ones go
# The most pages the folder keeps at once (sessions together): beyond it a refusal is
# answered as it is, as for a script, so that no number of sessions fills the disk.
MOST_KEPT = 2000
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")
# Headers of the refusal kept with it (the rest are the server's, made anew).
KEPT_HEADERS = ("retry-after", "content-language")
_STATE = "refused_here"


def mark(request: Request, here: str) -> None:
    """Say that this request's answer is a refused form whose page ``here`` opens."""
    setattr(request.state, _STATE, here)


def _owner(request: Request) -> str | None:
    """A hash of what makes this browser session its own, None when it has nothing."""
    secret = (
        request.cookies.get(SESSION_COOKIE)
        or getattr(request.state, "new_pre_csrf", None)
        or request.cookies.get(PRE_COOKIE)
    )
    return hashlib.sha256(secret.encode()).hexdigest() if secret else None


def _folder(request: Request) -> Path:
    return Path(request.app.state.settings.data_dir) / FOLDER


def navigated(request: Request) -> bool:
    """Whether a browser sent this request as a page of its history (a form's submission,
    not a script's call): ``Sec-Fetch-Mode: navigate``, or, from a browser that sends no
    ``Sec-Fetch-*`` headers (plain http to another host), an ``Accept`` asking for HTML."""
    mode = request.headers.get("sec-fetch-mode")
    if mode is not None:
        return mode == "navigate"
    return "text/html" in request.headers.get("accept", "")


def _applies(request: Request, response: Response) -> str | None:
    here = getattr(request.state, _STATE, None)
    if (
        here is None
        or request.method != "POST"
        or request.headers.get("hx-request")
        or not navigated(request)
        or not response.headers.get("content-type", "").startswith("text/html")
    ):
        return None
    return str(here)


async def redirect_refused(request: Request, response: Response) -> Response:
    """The answer to a POST: a refused form's page kept and redirected to, else as it is."""
    here = _applies(request, response)
    owner = _owner(request) if here else None
    if here is None or owner is None or response.status_code == 429:
        # A throttled sign-in is not kept: nothing typed is worth finding again, and a
        # client posting in a loop would fill the folder (qa9's review).
        return response
    body = b"".join([chunk async for chunk in response.body_iterator])  # type: ignore[attr-defined]
    token = secrets.token_urlsafe(24)
    path, _, query = here.partition("?")
    kept = {
        "owner": owner,
        "path": path,
        "status": response.status_code,
        "headers": {k: v for k, v in response.headers.items() if k in KEPT_HEADERS},
        "body": body.decode("utf-8"),
    }
    name = f"{owner[:16]}-{token}.json"
    # The folder's work off the event loop: listing it and writing a page are disk I/O.
    if not await run_in_threadpool(_keep, _folder(request), owner, name, kept):
        return Response(body, response.status_code, headers=dict(response.headers))
    params = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != PARAM]
    redirect = RedirectResponse(f"{path}?{urlencode([*params, (PARAM, token)])}", 303)
    for key, value in response.raw_headers:
        if key == b"set-cookie":
            redirect.raw_headers.append((key, value))
    return redirect


def _keep(folder: Path, owner: str, name: str, kept: dict[str, Any]) -> bool:
    """Keep ``kept`` as ``name`` in ``folder``, after tidying it; False (nothing kept: the
    refusal is answered as it is) when the folder already holds ``MOST_KEPT`` pages."""
    folder = private_dir(folder)
    if _tidy(folder, owner) >= MOST_KEPT:
        return False
    write_private_bytes(folder / name, json.dumps(kept).encode())
    return True


def _tidy(folder: Path, owner: str) -> int:
    """Remove the kept pages past their time, and this session's older ones; how many
    pages the folder still holds."""
    now = time.time()
    held = 0
    mine: list[tuple[float, Path]] = []
    for file in folder.glob("*.json"):
        try:
            at = file.stat().st_mtime
            if now - at > KEEP_SECONDS:
                file.unlink(missing_ok=True)
                continue
            held += 1
            if file.name.startswith(owner[:16] + "-"):
                mine.append((at, file))
        except OSError:  # another worker removed it first
            continue
    gone = sorted(mine)[: max(0, len(mine) - PER_SESSION + 1)]
    for _, file in gone:
        file.unlink(missing_ok=True)
    return held - len(gone)


def _read(request: Request, token: str) -> dict[str, Any] | None:
    owner = _owner(request)
    if owner is None or not _TOKEN.fullmatch(token):
        return None
    file = _folder(request) / f"{owner[:16]}-{token}.json"
    try:
        if time.time() - file.stat().st_mtime > KEEP_SECONDS:
            return None
        kept: dict[str, Any] = json.loads(file.read_bytes())
    except (OSError, ValueError):
        return None
    if kept.get("owner") != owner or kept.get("path") != request.url.path:
        return None
    return kept


def shown(request: Request) -> Response:
    """A GET of a form's page naming a kept refusal: that page, as its POST was answered;
    a token no longer kept (or not this session's) goes on to the form's plain page."""
    kept = _read(request, request.query_params.get(PARAM, ""))
    if kept is None:
        params = [(k, v) for k, v in request.query_params.multi_items() if k != PARAM]
        plain = request.url.path + (f"?{urlencode(params)}" if params else "")
        return RedirectResponse(plain, 303)
    return HTMLResponse(kept["body"], int(kept["status"]), headers=kept["headers"])
