"""Which 15:00 summary a reader may ask for: the whole, or one leader's 分管范围.

Guarantees (readers as in :func:`engine.summary.build.summary_for`):

- a reader who sees every task (the office, the operator, the system, top leaders) may read the
  whole and the scope of every leader who receives a scoped summary;
- a leader with a scope reads their own scope only — asking for the whole or for another
  leader's scope is refused, and the whole is never built for them;
- units are refused; a leader id that names no such leader is :class:`NotFound`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from engine.errors import NotFound, PermissionDenied
from engine.org.actors import Actor
from engine.org.visibility import sees_all_tasks
from engine.read.schemas import Schema, SummaryView
from engine.summary.build import build_summary, leaders_with_scope, summary_for
from engine.values import Role


@dataclass(slots=True)
class SummaryScope(Schema):
    """A scope a reader may choose: a leader's (``leader_id``) or the whole (``None``)."""

    leader_id: int | None
    label: str


def summary_scopes(*, session: Session, actor: Actor) -> list[SummaryScope]:
    """The scopes ``actor`` may read, the whole first when they may read it."""
    if summary_reader(session, actor):
        return [SummaryScope(None, "全市"), *(
            SummaryScope(p.id, f"{p.name}{p.title}分管范围") for p in leaders_with_scope(session))]
    person = actor.person
    assert person is not None
    return [SummaryScope(person.id, f"{person.name}{person.title}分管范围")]


def summary_reader(session: Session, actor: Actor) -> bool:
    """Whether ``actor`` reads every scope (True) or a leader's own only (False); everyone
    else is refused, as :func:`engine.summary.build.summary_for` refuses them."""
    if sees_all_tasks(session, actor):
        return True
    if actor.person is None or not actor.has(Role.LEADER):
        raise PermissionDenied("只有领导和督查室可以查看调度汇总")
    return False


def scoped_summary(*, session: Session, actor: Actor, now: datetime,
                   leader_id: int | None) -> SummaryView:
    """The summary of ``leader_id``'s scope, or ``actor``'s own summary for ``None`` (the whole
    for the office, a leader's own scope for a leader)."""
    if leader_id is None:
        return summary_for(session=session, actor=actor, now=now)
    if not summary_reader(session, actor):
        if leader_id != actor.person_id:
            raise PermissionDenied("只能查看本人分管范围的调度汇总")
        return summary_for(session=session, actor=actor, now=now)
    leader = next((p for p in leaders_with_scope(session) if p.id == leader_id), None)
    if leader is None:
        raise NotFound(f"未找到分管领导（编号 {leader_id}）")
    return build_summary(session, now=now, leader=leader)
