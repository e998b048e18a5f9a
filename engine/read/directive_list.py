"""The list of sources (来源事项): root directives with their 跟批 and tasks, as far as the reader
may see them.

Who sees which trees is the rule of :func:`engine.read.directives.directive_tree`, applied to a
list: the office (and everyone who sees every task) sees every tree; a leader sees the trees in
which they see a task or issued a directive; a unit's people are refused (they reach a source
through their own tasks).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select

from engine.errors import InvalidInput, PermissionDenied
from engine.inputs import whole_number
from engine.org.actors import Actor
from engine.org.directory import person_names
from engine.org.visibility import sees_all_tasks, task_scope
from engine.read.schemas import DirectiveSummary, Page
from engine.store.policy import get_policy, zone_for
from engine.values import OPEN_STATUSES, DirectiveKind, Role
from models import Directive, Task

PAGE_SIZE = 30
"""Root directives on one page of the list."""

MAX_DEPTH = 20
"""Levels of 跟批 followed below a root (as :mod:`engine.read.directives` shows them)."""


def visible_directives(*, session: Session, actor: Actor, now: datetime,
                       kind: str | None = None, text: str | None = None,
                       cursor: str | None = None, limit: int = PAGE_SIZE) -> Page[DirectiveSummary]:
    """Root directives ``actor`` may open, newest first, a page at a time.

    Guarantees: a tree appears exactly when :func:`directive_tree` would show it to ``actor``;
    the counts cover only the tasks ``actor`` may see; ``cursor`` is the ``next_cursor`` of the
    page before. Refused (``PermissionDenied``) to anyone who is neither office nor leader.
    """
    if not (actor.sees_everything or actor.has(Role.LEADER)):
        raise PermissionDenied("只有督查室和领导可以查看来源事项列表")
    query = select(Directive).where(col(Directive.parent_id).is_(None))
    if not sees_all_tasks(session, actor):
        query = query.where(col(Directive.id).in_(_visible_roots(session, actor)))
    if kind:
        parsed = DirectiveKind.parse(kind)
        if parsed is None:
            raise InvalidInput(f"来源类型“{kind}”无效，应为：{DirectiveKind.choices()}")
        query = query.where(col(Directive.kind) == parsed.value)
    if text and text.strip():
        needle = f"%{text.strip()[:64]}%"
        query = query.where(or_(col(Directive.title).like(needle),
                                col(Directive.doc_number).like(needle)))
    if cursor:
        query = query.where(_before(session, cursor))
    rows = list(session.exec(query.order_by(col(Directive.issued_at).desc(),
                                            col(Directive.id).desc()).limit(limit + 1)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    items = _summaries(session, actor, rows)
    return Page(items=items, next_cursor=str(rows[-1].id) if more and rows else None)


def _before(session: Session, cursor: str) -> Any:
    """Directives listed after the one ``cursor`` names (issued earlier, or same time lower id)."""
    number = whole_number(cursor)
    last = session.get(Directive, number) if number is not None else None
    if last is None:
        raise InvalidInput("翻页参数无效，请从第一页重新浏览")
    return or_(col(Directive.issued_at) < last.issued_at,
               and_(col(Directive.issued_at) == last.issued_at, col(Directive.id) < last.id))


def _visible_roots(session: Session, actor: Actor) -> list[int]:
    """Roots of the trees in which ``actor`` sees a task or issued a directive."""
    scope = task_scope(session, actor)
    with_tasks = select(Task.directive_id).distinct()
    if scope is not None:
        with_tasks = with_tasks.where(scope)
    ids: set[int | None] = set(session.exec(with_tasks).all())
    if actor.person_id is not None:
        ids |= set(session.exec(select(Directive.id).where(
            Directive.issued_by_id == actor.person_id)).all())
    roots: set[int] = set()
    level = {i for i in ids if i is not None}
    for _ in range(MAX_DEPTH + 1):
        if not level:
            break
        pairs = session.exec(select(Directive.id, Directive.parent_id)
                             .where(col(Directive.id).in_(level))).all()
        roots |= {i for i, parent in pairs if parent is None and i is not None}
        level = {parent for _i, parent in pairs if parent is not None}
    return sorted(roots)


def _tree_members(session: Session, roots: list[int]) -> dict[int, int]:
    """Every directive below ``roots`` (and the roots), mapped to its root."""
    member = {r: r for r in roots}
    level = list(roots)
    for _ in range(MAX_DEPTH):
        if not level:
            break
        pairs = session.exec(select(Directive.id, Directive.parent_id)
                             .where(col(Directive.parent_id).in_(level))).all()
        level = []
        for child, parent in pairs:
            if child is not None and parent is not None and child not in member:
                member[child] = member[parent]
                level.append(child)
    return member


def _summaries(session: Session, actor: Actor, rows: list[Directive]) -> list[DirectiveSummary]:
    roots = [r.id for r in rows if r.id is not None]
    member = _tree_members(session, roots)
    followups: dict[int, int] = defaultdict(int)
    for child, root in member.items():
        if child != root:
            followups[root] += 1
    counts = _task_counts(session, actor, member)
    names = person_names(session, (r.issued_by_id for r in rows))
    tz = zone_for(get_policy(session))
    return [DirectiveSummary(
        id=r.id or 0, kind=DirectiveKind(r.kind), title=r.title,
        issued_by=names.get(r.issued_by_id or 0), issued_at=r.issued_at.astimezone(tz),
        doc_number=r.doc_number, read_only=r.read_only, undated=r.undated,
        followups=followups[r.id or 0], tasks=counts[r.id or 0][0],
        open_tasks=counts[r.id or 0][1]) for r in rows]


def _task_counts(session: Session, actor: Actor,
                 member: dict[int, int]) -> dict[int, tuple[int, int]]:
    """(visible tasks, open ones) per root over the whole tree."""
    if not member:
        return defaultdict(lambda: (0, 0))
    open_codes = {s.value for s in OPEN_STATUSES}
    query = (select(Task.directive_id, Task.status, func.count())
             .where(col(Task.directive_id).in_(list(member)))
             .group_by(col(Task.directive_id), col(Task.status)))
    scope = task_scope(session, actor)
    if scope is not None:
        query = query.where(scope)
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for directive_id, status, count in session.exec(query).all():
        totals[member[directive_id]][0] += count
        if status in open_codes:
            totals[member[directive_id]][1] += count
    return defaultdict(lambda: (0, 0), {k: (v[0], v[1]) for k, v in totals.items()})
