"""A directive's 批示 → 跟批 lineage as one tree, with the tasks its reader may see."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlmodel import Session, col, select

from engine.errors import NotFound
from engine.org.actors import Actor
from engine.org.directory import find_directive
from engine.org.visibility import sees_all_tasks, task_scope
from engine.read.schemas import DirectiveNode, TaskRow
from engine.read.tasks import task_rows
from engine.store.policy import get_policy, zone_for
from engine.values import DirectiveKind
from models import Directive, Person, Task

MAX_DEPTH = 20
"""Levels of 跟批 shown below the root (a deeper chain is cut there)."""


def directive_tree(*, session: Session, actor: Actor, directive_id: int | str,
                   now: datetime) -> DirectiveNode:
    """The whole tree containing ``directive_id``, from its root, with its derived tasks.

    The node asked for is marked ``focus``. Tasks ``actor`` may not see are left out; a tree in
    which they may see no task and issued no directive is "not found", as a missing one is.
    """
    asked, root, nodes, tasks = visible_tree(session, actor, directive_id)
    rows: dict[int, list[TaskRow]] = defaultdict(list)
    for task, row in zip(tasks, task_rows(session, tasks, now), strict=True):
        rows[task.directive_id].append(row)
    issuers = {d.issued_by_id for d in nodes if d.issued_by_id is not None}
    names = {p.id: p.name for p in session.exec(
        select(Person).where(col(Person.id).in_(issuers))).all()} if issuers else {}
    tz = zone_for(get_policy(session))
    by_parent: dict[int | None, list[Directive]] = defaultdict(list)
    for d in nodes:
        by_parent[d.parent_id].append(d)

    def build(d: Directive) -> DirectiveNode:
        return DirectiveNode(
            id=d.id or 0, kind=DirectiveKind(d.kind), title=d.title, text=d.text,
            issued_by=names.get(d.issued_by_id or 0), issued_at=d.issued_at.astimezone(tz),
            doc_number=d.doc_number, read_only=d.read_only, parent_id=d.parent_id,
            focus=d.id == asked.id, tasks=rows.get(d.id or 0, []),
            children=[build(c) for c in by_parent.get(d.id, [])])

    return build(root)


def visible_tree(session: Session, actor: Actor, directive_id: int | str,
                 ) -> tuple[Directive, Directive, list[Directive], list[Task]]:
    """The directive asked for, its root, the tree's directives and the tasks of the tree
    ``actor`` may see — or the :class:`NotFound` a missing directive gives, when ``actor`` sees
    no task of the tree, issued none of its directives and does not see every task."""
    asked = find_directive(session, directive_id)
    root = _root(session, asked)
    nodes = _descendants(session, root)
    query = select(Task).where(col(Task.directive_id).in_([d.id for d in nodes]))
    scope = task_scope(session, actor)
    if scope is not None:
        query = query.where(scope)
    tasks = list(session.exec(query.order_by(col(Task.id))).all())
    issuers = {d.issued_by_id for d in nodes if d.issued_by_id is not None}
    if not (sees_all_tasks(session, actor) or tasks or actor.person_id in issuers):
        raise NotFound(f"未找到来源事项“{str(directive_id).strip()}”")
    return asked, root, nodes, tasks


def _root(session: Session, directive: Directive) -> Directive:
    seen = {directive.id}
    node = directive
    while node.parent_id is not None:
        parent = session.get(Directive, node.parent_id)
        if parent is None or parent.id in seen:
            break
        seen.add(parent.id)
        node = parent
    return node


def _descendants(session: Session, root: Directive) -> list[Directive]:
    """The root and its 跟批 down to :data:`MAX_DEPTH`, each level in order of issue."""
    nodes, level = [root], [root]
    for _ in range(MAX_DEPTH):
        ids = [d.id for d in level]
        level = list(session.exec(select(Directive).where(col(Directive.parent_id).in_(ids))
                                  .order_by(col(Directive.issued_at), col(Directive.id))).all())
        if not level:
            break
        nodes += level
    return nodes
