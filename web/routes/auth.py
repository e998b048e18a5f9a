"""登录 / 退出. (Invites and password changes: see the account pages.)"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from engine.errors import DubanError
from engine.org.login import authenticate
from web.deps import DbSession, Now, OptionalActor, client_address, render
from web.errors import form_error
from web.session_auth import login_session, logout_session

router = APIRouter()


def safe_next(target: str | None) -> str:
    """Only a path on this site: ``//evil.example`` and absolute URLs go home instead."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/login")
def login_form(request: Request, actor: OptionalActor, next: str = "/") -> Response:
    if actor is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "auth/login.html", {"next": safe_next(next), "name": "",
                                               "errors": {}})


@router.post("/login")
def login(request: Request, session: DbSession, now: Now,
          name: Annotated[str, Form(max_length=200)] = "",
          password: Annotated[str, Form(max_length=1000)] = "",
          next: Annotated[str, Form(max_length=2000)] = "/") -> Response:
    context = {"next": safe_next(next), "name": name, "errors": {}}
    if not name.strip() or not password:
        return form_error(request, "auth/login.html", context, "form", "请输入姓名和密码。")
    try:
        grant = authenticate(session=session, name=name, password=password,
                             client=client_address(request), now=now)
    except DubanError as exc:
        return form_error(request, "auth/login.html", context, "form", exc.message)
    login_session(request, grant.person_id, grant.session_version)
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request) -> Response:
    logout_session(request)
    return RedirectResponse("/login", status_code=303)
