"""组织: units, people with their roles and channels, one-time Telegram binding codes and web
password links, and the policy in force (read only). The office's pages.

A code or a link is a credential for its person: it is shown once, on the page answering the
POST that issued it (never stored in clear, never cached), and the organisation page afterwards
says only that one is pending. The engine checks every read and write
(:mod:`engine.org.views`, :func:`engine.org.binding.create_invite`,
:func:`engine.org.accounts.create_web_invite`), which audit with the web channel.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from engine.errors import InvalidInput
from engine.org.accounts import create_web_invite, web_invite_expires_at
from engine.org.binding import create_invite, invite_expires_at
from engine.org.views import office_person, org_directory, policy_view
from engine.values import Priority
from web.deps import CurrentActor, DbSession, Now, render

router = APIRouter()

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def public_base(request: Request) -> str:
    """Where people reach the console: ``DUBAN_PUBLIC_URL`` when set, else this request's
    own address (without a trailing slash)."""
    configured = request.app.state.config.public_url
    return str(configured or request.base_url).rstrip("/")


@router.get("/org")
def org_page(request: Request, actor: CurrentActor, session: DbSession, now: Now) -> Response:
    view = org_directory(session=session, actor=actor, now=now)
    return render(request, "org/index.html", {"org": view})


@router.get("/org/policy")
def policy_page(request: Request, actor: CurrentActor, session: DbSession) -> Response:
    policy = policy_view(session=session, actor=actor)
    rules = [(p, policy.escalation.for_priority(p.value)) for p in Priority]
    return render(request, "org/policy.html", {"policy": policy, "rules": rules})


def person_number(text: str) -> int:
    """A person's number from the address: digits only (no sign, spaces or control
    characters, which a lax integer parse would accept); else a Chinese refusal."""
    if not (text.isascii() and text.isdigit() and len(text) <= 19):
        raise InvalidInput("人员编号无效")
    return int(text)


@router.post("/org/people/{person_id}/telegram-code")
def telegram_code(request: Request, actor: CurrentActor, session: DbSession, now: Now,
                  person_id: str) -> Response:
    """Issue a one-time Telegram binding code (earlier unused ones stop working)."""
    person = office_person(session=session, actor=actor, person_id=person_number(person_id))
    code = create_invite(session=session, person=person, now=now, actor=actor)
    return render(request, "org/secret.html", {
        "person": person, "kind": "telegram", "secret": code,
        "expires_at": invite_expires_at(now)}, headers=NO_STORE)


@router.post("/org/people/{person_id}/web-invite")
def web_invite(request: Request, actor: CurrentActor, session: DbSession, now: Now,
               person_id: str) -> Response:
    """Issue a one-time link letting the person choose a web password (a reset, when they have
    one: their old password works until they use it)."""
    person = office_person(session=session, actor=actor, person_id=person_number(person_id))
    token = create_web_invite(session=session, actor=actor, person=person, now=now)
    return render(request, "org/secret.html", {
        "person": person, "kind": "web", "secret": f"{public_base(request)}/invite/{token}",
        "expires_at": web_invite_expires_at(now)}, headers=NO_STORE)
