"""Directives (来源事项) and their 跟批 lineage."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, select

from engine.errors import InvalidInput
from engine.inputs import check_line, check_text
from engine.labels import DIRECTIVE_KIND_LABELS
from engine.org.directory import find_directive
from engine.org.permissions import require_directive_author
from engine.store.service import service
from engine.tasks import audit
from models import Directive, DirectiveCreate, Person, Task

KINDS = tuple(DIRECTIVE_KIND_LABELS)


def _check(session: Session, data: DirectiveCreate, now: datetime) -> Directive | None:
    if data.kind not in KINDS:
        names = "、".join(f"{k}（{v}）" for k, v in DIRECTIVE_KIND_LABELS.items())
        raise InvalidInput(f"来源类型“{data.kind}”无效，应为：{names}")
    data.title = check_line(data.title, "来源事项标题", max_length=256, required=True)
    data.text = check_text(data.text, "来源事项原文")
    if data.doc_number is not None:
        data.doc_number = check_line(data.doc_number, "文号", max_length=64) or None
    if data.issued_at.tzinfo is None:
        raise InvalidInput("下达时间须带时区")
    if data.issued_at > now:
        raise InvalidInput("下达时间不能晚于当前时间")
    parent = find_directive(session, data.parent_id) if data.parent_id is not None else None
    if data.kind == "followup" and parent is None:
        raise InvalidInput("跟批必须指明所跟的上级批示（--parent）")
    if parent is not None and data.issued_at < parent.issued_at:
        raise InvalidInput("跟批时间不能早于原批示时间")
    return parent


@service
def create_directive(
    *, session: Session, data: DirectiveCreate, actor: Person | None, now: datetime
) -> Directive:
    """Register a directive; a 跟批 must name its parent and cannot predate it."""
    return create_directive_unchecked(session=session, data=data, actor=actor, now=now)


def create_directive_unchecked(
    *, session: Session, data: DirectiveCreate, actor: Person | None, now: datetime
) -> Directive:
    """:func:`create_directive` without the commit, for callers storing several records in one
    transaction (document intake)."""
    require_directive_author(actor, data.kind)
    parent = _check(session, data, now)
    if data.issued_by_id is not None and session.get(Person, data.issued_by_id) is None:
        raise InvalidInput(f"签发人 {data.issued_by_id} 不存在")
    directive = Directive(**data.model_dump(), created_at=now)
    directive.parent_id = parent.id if parent else None
    session.add(directive)
    session.flush()
    audit.record(session, actor=actor, entity="directive", entity_id=directive.id,
                 action="create", now=now,
                 after={"kind": directive.kind, "title": directive.title,
                        "parent_id": directive.parent_id, "issued_at": directive.issued_at})
    return directive


@dataclass
class LineageNode:
    directive: Directive
    tasks: list[Task] = field(default_factory=list)
    children: list[LineageNode] = field(default_factory=list)


def lineage(session: Session, directive_id: int) -> tuple[LineageNode, int]:
    """The whole 跟批 tree containing ``directive_id`` (from its root), with derived tasks.

    Returns the root node and the id that was asked for (to highlight it).
    """
    node = find_directive(session, directive_id)
    seen = {node.id}
    while node.parent_id is not None:
        parent = session.get(Directive, node.parent_id)
        if parent is None or parent.id in seen:
            break
        seen.add(parent.id)
        node = parent
    return _build(session, node), directive_id


def _build(session: Session, directive: Directive, depth: int = 0) -> LineageNode:
    tasks = session.exec(
        select(Task).where(Task.directive_id == directive.id).order_by(Task.id)  # type: ignore[arg-type]
    ).all()
    children = session.exec(
        select(Directive).where(Directive.parent_id == directive.id).order_by(Directive.issued_at)  # type: ignore[arg-type]
    ).all()
    node = LineageNode(directive=directive, tasks=list(tasks))
    if depth < 20:
        node.children = [_build(session, child, depth + 1) for child in children]
    return node
