"""Errors become Chinese pages: never a traceback, never English.

=====================================  ======  ==========================================
raised                                 status  page
=====================================  ======  ==========================================
``engine.errors.NotFound``             404     the same page as an unknown address (a task
                                               outside the person's scope is NotFound too)
``engine.errors.PermissionDenied``     403     the engine's message
``InvalidTransition``/``Conflict``/    409     the engine's message
``PolicyViolation``/``AlreadyRunning``
other ``DubanError``, ``ConfigError``  400     the engine's message
``CsrfRefused``                        403     页面已过期 …, nothing ran
``BodyTooLarge``                       413
``LoginRequired``                      303     to /login?next=… (htmx: ``HX-Redirect``)
validation of the request              400     请求参数不正确 …
anything else                          500     logged with its traceback; the page says only
                                               that the error was recorded
=====================================  ======  ==========================================
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from config.errors import ConfigError
from engine import errors as domain
from engine.inputs import printable
from web.deps import LoginRequired, render
from web.security import BodyTooLarge, CsrfRefused

log = logging.getLogger("duban.web")

NOT_FOUND = "没有找到这个页面或事项（也可能不在您的查看范围内）。"
HTTP_MESSAGES = {
    404: NOT_FOUND,
    405: "不支持这种访问方式。",
    413: "上传的内容太大。",
}


def status_of(error: domain.DubanError) -> int:
    if isinstance(error, domain.NotFound):
        return 404
    if isinstance(error, domain.PermissionDenied):
        return 403
    if isinstance(error, domain.InvalidTransition | domain.Conflict | domain.PolicyViolation
                  | domain.AlreadyRunning):
        return 409
    return 400


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    title = {403: "无权操作", 404: "未找到", 409: "无法办理", 413: "内容太大",
             500: "系统错误"}.get(status, "请求有误")
    # An engine message may quote what a person typed: shown with visible stand-ins for any
    # control character (engine.inputs.printable), never raw.
    text = NOT_FOUND if status == 404 else printable(message)
    return render(request, "error.html", {"title": title, "message": text, "status": status,
                                          "back": page_before(request)},
                  status_code=status)


def page_before(request: Request) -> str | None:
    """The console page the refused request came from (its path and query, from the Referer of
    this same site), so that the error page leads back to it — a 批量催办 with nothing ticked
    returns to the ledger as it was filtered; None when there is no such page to go back to."""
    referer = request.headers.get("referer")
    if not referer:
        return None
    parts = urlsplit(referer)
    if parts.netloc != request.url.netloc or not parts.path.startswith("/"):
        return None
    if parts.path.startswith("//") or "\\" in parts.path or parts.path == request.url.path:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def form_error(request: Request, template: str, context: dict[str, Any], field: str,
               message: str) -> HTMLResponse:
    """Re-render a form with ``message`` beside ``field`` (status 400)."""
    errors = dict(context.get("errors") or {})
    errors[field] = message
    return render(request, template, {**context, "errors": errors}, status_code=400)


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(domain.DubanError)
    async def on_domain(request: Request, exc: domain.DubanError) -> Response:
        return error_page(request, status_of(exc), exc.message)

    @app.exception_handler(ConfigError)
    async def on_config(request: Request, exc: ConfigError) -> Response:
        return error_page(request, 400, str(exc))

    @app.exception_handler(CsrfRefused)
    async def on_csrf(request: Request, exc: CsrfRefused) -> Response:
        return error_page(request, 403, "页面已过期或来源不明（缺少或错误的安全令牌），"
                                        "操作没有执行。请刷新页面后重试。")

    @app.exception_handler(BodyTooLarge)
    async def on_large(request: Request, exc: BodyTooLarge) -> Response:
        return error_page(request, 413, HTTP_MESSAGES[413])

    @app.exception_handler(LoginRequired)
    async def on_login(request: Request, exc: LoginRequired) -> Response:
        target = f"/login?next={quote(exc.next_path)}"
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, exc: RequestValidationError) -> Response:
        return error_page(request, 400, "请求参数不正确，请检查后重试。")

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> Response:
        message = HTTP_MESSAGES.get(exc.status_code, "请求有误。")
        return error_page(request, exc.status_code, message)

    @app.exception_handler(Exception)
    async def on_crash(request: Request, exc: Exception) -> Response:
        log.exception("web request failed: %s %s", request.method, request.url.path)
        return error_page(request, 500, "系统出现错误，已记录，请稍后重试或联系督查室。")
