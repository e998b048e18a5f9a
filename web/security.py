"""Request-level protection: security headers, a body-size limit and CSRF tokens.

- Every response carries a Content-Security-Policy of ``default-src 'self'`` (no inline script
  or style: pages use only the vendored htmx and one stylesheet), ``X-Frame-Options: DENY``,
  ``Referrer-Policy: same-origin`` and ``X-Content-Type-Options: nosniff``.
- A request whose declared body is larger than the configured limit is refused with 413 before
  it is read; one that declares no length (sent in chunks) is counted as it arrives and refused
  with 413 as soon as it passes the limit (:class:`BodyLimit`) — Starlette's form parser bounds
  only plain fields and would spool a file part of any size to disk.
- Every state-changing request (POST, PUT, PATCH, DELETE) must carry the session's CSRF token,
  as the form field ``csrf_token`` (the first field of a multipart upload) or the
  ``X-CSRF-Token`` header htmx sends; otherwise it is refused with 403 and nothing runs.
"""

from __future__ import annotations

import hmac
import secrets

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from config.text import UNSAFE_LINE
from engine.errors import InvalidInput

CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"x-content-type-options", b"nosniff"),
]
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
_SESSION_KEY = "csrf"


class CsrfRefused(Exception):
    """The request carried no CSRF token or the wrong one."""


class BodyTooLarge(HTTPException):
    """The request's body is (or declares itself) larger than the console accepts.

    An ``HTTPException``, so that FastAPI passes it on unchanged when it is raised while the
    route's form is being read (any other error there becomes a generic 400)."""

    def __init__(self) -> None:
        super().__init__(status_code=413)


class SecurityHeaders:
    """Pure ASGI middleware adding :data:`HEADERS` to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """Pure ASGI middleware counting the bytes of each request body as they arrive: past
    ``limit`` the next read raises :class:`BodyTooLarge` (413) and nothing more is read."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge()
            return message

        await self.app(scope, counted, send)


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use (anonymous sessions too: the login form
    is protected like every other)."""
    token = request.session.get(_SESSION_KEY)
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        request.session[_SESSION_KEY] = token
    return token


def check_address(request: Request) -> None:
    """Refuse a path or query holding control or bidi characters (``/tasks/%00``): PostgreSQL
    refuses a NUL outright, and no code, name or filter contains one. 400, in Chinese."""
    parts = [request.scope.get("path", "")]
    parts += [p for pair in request.query_params.multi_items() for p in pair]
    if any(UNSAFE_LINE.search(part) for part in parts):
        raise InvalidInput("网址中含有控制字符或不可见的格式字符，无法识别；请检查链接后重试")


async def csrf_guard(request: Request) -> None:
    """App-wide dependency: refuse an odd address (:func:`check_address`), then an unsafe
    request without the session's token."""
    check_address(request)
    if request.method not in UNSAFE_METHODS:
        return
    length = request.headers.get("content-length")
    limit = request.app.state.config.max_upload_bytes
    if length is not None and length.isdigit() and int(length) > limit:
        raise BodyTooLarge()
    expected = request.session.get(_SESSION_KEY)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form(max_part_size=limit)
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not (isinstance(expected, str) and sent and hmac.compare_digest(expected, sent)):
        raise CsrfRefused()
