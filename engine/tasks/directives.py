"""Registering directives (来源事项); their 跟批 lineage is read by
:func:`engine.read.directives.directive_tree`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from engine.calendar.deadline_forms import EARLIEST_YEAR
from engine.errors import InvalidInput, PermissionDenied, Remedy
from engine.files.attach import attach_files, audit_files
from engine.files.ingest import Upload, store_uploads
from engine.inputs import check_line, check_text
from engine.org.actors import Actor
from engine.org.directory import find_directive
from engine.org.permissions import require_directive_author
from engine.store.service import service
from engine.tasks import audit
from engine.values import DirectiveKind
from models import Directive, DirectiveCreate, Person


def _check(session: Session, data: DirectiveCreate, now: datetime) -> Directive | None:
    if DirectiveKind.parse(data.kind) is None:
        raise InvalidInput(f"来源类型“{data.kind}”无效，应为：{DirectiveKind.choices()}")
    data.title = check_line(data.title, "来源事项标题", max_length=256, required=True)
    data.text = check_text(data.text, "来源事项原文")
    if data.doc_number is not None:
        data.doc_number = check_line(data.doc_number, "文号", max_length=64) or None
    if data.issued_at.tzinfo is None:
        raise InvalidInput("下达时间须带时区")
    if data.issued_at.year < EARLIEST_YEAR:  # a typing slip; year 1 does not even fit in UTC
        raise InvalidInput(f"下达时间早于 {EARLIEST_YEAR} 年，请核对")
    if data.issued_at > now:
        raise InvalidInput("下达时间不能晚于当前时间")
    parent = find_directive(session, data.parent_id) if data.parent_id is not None else None
    if DirectiveKind.parse(data.kind) is DirectiveKind.FOLLOWUP and parent is None:
        raise InvalidInput("跟批必须指明所跟的上级批示", remedy=Remedy.PARENT_DIRECTIVE)
    if parent is not None and data.issued_at < parent.issued_at:
        raise InvalidInput("跟批时间不能早于原批示时间")
    return parent


def _check_leader_followup(data: DirectiveCreate, actor: Actor) -> None:
    """A leader's 跟批 is their own: issued in their name, never in another leader's."""
    if data.issued_by_id is not None and data.issued_by_id != actor.person_id:
        raise PermissionDenied("领导只能以本人名义添加跟批")
    data.issued_by_id = actor.person_id


@service
def create_directive(
    *, session: Session, data: DirectiveCreate, actor: Actor, now: datetime,
    files: Sequence[Upload] = (),
) -> Directive:
    """Register a directive, with its original (the scanned 批示, the meeting minutes) as files
    if given; a 跟批 must name its parent and cannot predate it."""
    return create_directive_in_transaction(session=session, data=data, actor=actor, now=now,
                                           files=files)


def create_directive_in_transaction(
    *, session: Session, data: DirectiveCreate, actor: Actor, now: datetime,
    files: Sequence[Upload] = (),
) -> Directive:
    """:func:`create_directive` without the commit, for callers storing several records in one
    transaction (document intake)."""
    kind = DirectiveKind.parse(data.kind)
    require_directive_author(actor, kind or data.kind)
    parent = _check(session, data, now)
    if not actor.acts_as_office:
        _check_leader_followup(data, actor)
    if data.issued_by_id is not None and session.get(Person, data.issued_by_id) is None:
        raise InvalidInput(f"签发人 {data.issued_by_id} 不存在")
    stored = store_uploads(session, files, now=now)
    directive = Directive(**data.model_dump(exclude={"kind"}), kind=kind.value if kind else "",
                          created_at=now)
    directive.parent_id = parent.id if parent else None
    session.add(directive)
    session.flush()
    audit.record(session, actor=actor, entity="directive", entity_id=directive.id,
                 action="create", now=now,
                 after={"kind": directive.kind, "title": directive.title,
                        "parent_id": directive.parent_id, "issued_at": directive.issued_at,
                        **audit_files(stored)})
    attach_files(session, stored, purpose="directive", actor=actor, now=now,
                 directive_id=directive.id)
    return directive
