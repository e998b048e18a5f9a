"""Per-request dependencies: the database session, who is acting, the moment, and rendering.

Guarantees: one database session per request, closed when the response is sent; a page that
needs a login redirects an anonymous visitor to ``/login`` (htmx requests get ``HX-Redirect``);
the acting person is re-read from the database on every request, so a deactivated person or a
changed password ends the session at once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from engine.org.actors import Actor
from engine.store.db import reader
from engine.values import Channel, Role
from web.security import csrf_token
from web.session_auth import logout_session, session_claim


class LoginRequired(Exception):
    """The page needs a logged-in person; the handler redirects to the login page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


_READS = frozenset({"GET", "HEAD"})


async def db_session(request: Request) -> AsyncIterator[Session]:
    """One session per request. Pages (GET) only read (:func:`engine.store.db.reader`): on
    SQLite a plain BEGIN instead of BEGIN IMMEDIATE, so that pages never queue behind each
    other for the one write lock (20 browsing clients on a 1M database otherwise wait past the
    busy timeout); on PostgreSQL no transaction round trips.

    ``async``: opening a session does no I/O, and FastAPI would run a plain generator's start and
    end each in a worker thread (two hops per request). Closing one still in a transaction (a
    page's reads on SQLite, a refused write) rolls it back: on SQLite a local call, on a
    database across the network a round trip, done off the event loop."""
    engine = request.app.state.engine
    if request.method in _READS:
        engine = reader(engine)
    session = Session(engine)
    try:
        yield session
    finally:
        if session.in_transaction() and engine.dialect.name != "sqlite":
            await run_in_threadpool(session.close)
        else:
            session.close()


DbSession = Annotated[Session, Depends(db_session)]


async def now(request: Request) -> datetime:
    """The engine's ``now`` for this request (real time, or a simulation database's clock).
    Dependencies that do no I/O are ``async``: FastAPI would run a plain ``def`` in a worker
    thread, a hop that costs more than the call."""
    return request.app.state.config.clock()  # type: ignore[no-any-return]


Now = Annotated[datetime, Depends(now)]


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def optional_actor(request: Request, session: DbSession) -> Actor | None:
    """The logged-in person as a web actor, or None (the stale session is then cleared)."""
    claim = session_claim(request)
    if claim is None:
        return None
    from engine.org.login import session_person

    person = session_person(session=session, person_id=claim[0], version=claim[1])
    if person is None:
        logout_session(request)
        return None
    # The actor outlives the commits and rollbacks of the request's services (an error page
    # after a refused write still shows the menu): a loaded copy outside the session.
    session.expunge(person)
    actor = Actor.of(person, Channel.WEB, wall_clock=request.app.state.config.wall_clock(),
                     client=client_address(request))
    request.state.actor = actor
    return actor


OptionalActor = Annotated[Actor | None, Depends(optional_actor)]


async def require_actor(request: Request, actor: OptionalActor) -> Actor:
    if actor is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    return actor


CurrentActor = Annotated[Actor, Depends(require_actor)]

NAV: list[tuple[str, str, frozenset[Role] | None]] = [
    ("/", "首页", None),
    ("/tasks", "督办台账", None),
    ("/directives", "来源", frozenset({Role.ADMIN, Role.OFFICE, Role.LEADER})),
    ("/intake", "文件识别", frozenset({Role.ADMIN, Role.OFFICE})),
    ("/summary", "每日调度", frozenset({Role.ADMIN, Role.OFFICE, Role.LEADER})),
    ("/bulletin", "情况通报", frozenset({Role.ADMIN, Role.OFFICE})),
    ("/org", "组织", frozenset({Role.ADMIN, Role.OFFICE})),
    ("/outbox", "发件箱", frozenset({Role.ADMIN, Role.OFFICE})),
]
"""The menu. Showing an entry is a courtesy: each page asks the engine, which refuses anyway."""


def nav_for(actor: Actor | None) -> list[tuple[str, str]]:
    if actor is None:
        return []
    return [(href, label) for href, label, roles in NAV
            if roles is None or actor.has(*roles)]


def render(request: Request, template: str, context: dict[str, Any] | None = None, *,
           status_code: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    """Render ``template`` with the page context every layout needs."""
    actor = getattr(request.state, "actor", None)
    page: dict[str, Any] = {
        "request": request,
        "actor": actor,
        "nav": nav_for(actor),
        "csrf_token": csrf_token(request),
        "now": request.app.state.config.clock(),
        "path": request.url.path,
        "login_next": quote(request.url.path),
    }
    page.update(context or {})
    html = request.app.state.templates.get_template(template).render(page)
    return HTMLResponse(html, status_code=status_code, headers=headers)
