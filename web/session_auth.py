"""What the session cookie holds: the person's id and their session version, nothing else.

The cookie is Starlette's signed ``SessionMiddleware`` cookie; a tampered cookie fails its
signature and an expired one is dropped by the middleware, so both arrive as an empty session —
logged out. Changing a password bumps the person's session version in the database
(:mod:`engine.org.accounts`), which ends every other session at its next request.
"""

from __future__ import annotations

from starlette.requests import Request

_PERSON = "pid"
_VERSION = "ver"


def login_session(request: Request, person_id: int, version: int) -> None:
    """Start a fresh session for the person (a new CSRF token too: no fixation)."""
    request.session.clear()
    request.session[_PERSON] = person_id
    request.session[_VERSION] = version


def logout_session(request: Request) -> None:
    request.session.clear()


def session_claim(request: Request) -> tuple[int, int] | None:
    """The (person id, version) the cookie claims, or None; the database still has to agree."""
    person_id = request.session.get(_PERSON)
    version = request.session.get(_VERSION)
    if isinstance(person_id, int) and isinstance(version, int):
        return person_id, version
    return None
