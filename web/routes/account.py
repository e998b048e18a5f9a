"""The account pages: choosing a password through a one-time invite (/invite/{token}) and
changing one's own password (/account/password).

Guarantees: the engine decides everything (:mod:`engine.org.accounts`); a refused password is
shown beside its field and changes nothing; an invite used, expired or unknown is a Chinese error
page (409 / 404), a used one never works twice; after a change the other sessions of the person
end (their session version is stale) while this browser gets a fresh session with the new one.
Pages that carry a token or a password form are never cached.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from engine.errors import AuthenticationFailed, InvalidInput, PolicyViolation
from engine.org.accounts import accept_web_invite, account_of, change_password, check_web_invite
from web.deps import CurrentActor, DbSession, Now, client_address, render
from web.errors import form_error
from web.session_auth import login_session

router = APIRouter()

NO_STORE = {"Cache-Control": "no-store"}
MISMATCH = "两次输入的新密码不一致"
PasswordField = Annotated[str, Form(max_length=1000)]


def _page(request: Request, template: str, context: dict[str, Any],
          field: str | None = None, message: str = "") -> Response:
    answer = (form_error(request, template, context, field, message) if field
              else render(request, template, context))
    answer.headers.update(NO_STORE)
    return answer


@router.get("/invite/{token}")
def invite_form(request: Request, session: DbSession, now: Now, token: str) -> Response:
    person = check_web_invite(session=session, token=token, now=now)
    return _page(request, "auth/invite.html", {"person": person, "token": token, "errors": {}})


@router.post("/invite/{token}")
def invite_accept(request: Request, session: DbSession, now: Now, token: str,
                  password: PasswordField = "", password2: PasswordField = "") -> Response:
    person = check_web_invite(session=session, token=token, now=now)
    context = {"person": person, "token": token, "errors": {}}
    if password != password2:
        return _page(request, "auth/invite.html", context, "password2", MISMATCH)
    try:
        accept_web_invite(session=session, token=token, password=password, now=now,
                          client=client_address(request),
                          wall_clock=request.app.state.config.wall_clock())
    except InvalidInput as exc:
        return _page(request, "auth/invite.html", context, "password", exc.message)
    account = account_of(session, person.id)
    assert account is not None and person.id is not None
    login_session(request, person.id, account.session_version)
    return RedirectResponse("/", status_code=303)


@router.get("/account/password")
def password_form(request: Request, actor: CurrentActor) -> Response:
    return _page(request, "auth/password.html", {"errors": {}, "done": False})


@router.post("/account/password")
def password_change(request: Request, session: DbSession, now: Now, actor: CurrentActor,
                    old_password: PasswordField = "", new_password: PasswordField = "",
                    new_password2: PasswordField = "") -> Response:
    context: dict[str, Any] = {"errors": {}, "done": False}
    if new_password != new_password2:
        return _page(request, "auth/password.html", context, "new_password2", MISMATCH)
    try:
        version = change_password(session=session, actor=actor, old_password=old_password,
                                  new_password=new_password, now=now)
    except AuthenticationFailed as exc:  # a wrong current password, or the lock it led to
        return _page(request, "auth/password.html", context, "old_password", exc.message)
    except (InvalidInput, PolicyViolation) as exc:
        return _page(request, "auth/password.html", context, "new_password", exc.message)
    assert actor.person_id is not None
    login_session(request, actor.person_id, version)  # this browser stays logged in
    return _page(request, "auth/password.html", {"errors": {}, "done": True})
