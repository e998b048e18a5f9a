"""The one way engine services write: a whole service call commits, or nothing does."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from sqlmodel import Session

P = ParamSpec("P")
R = TypeVar("R")


def service(fn: Callable[P, R]) -> Callable[P, R]:
    """Commit the keyword ``session`` when ``fn`` returns; roll it back if ``fn`` raises.

    Services check everything before they change anything, and this wrapper guarantees that a
    failure half-way (a constraint, a crash in a notifier template) still leaves the database
    as it was.
    """

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        session = kwargs["session"]
        assert isinstance(session, Session), "services take session= as a keyword"
        try:
            result = fn(*args, **kwargs)
            session.commit()
        except BaseException:
            session.rollback()
            raise
        return result

    return wrapper


