"""What intake and the Excel import applied, so that the same content is not applied twice.

A document (or task list) is known by the fingerprint of its normalised content
(:mod:`engine.intake.fingerprint`); applying it again is refused with what the first application
created, unless the office says to apply it again.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from engine.calendar.timefmt import local_date_text
from engine.errors import Conflict
from engine.org.actors import Actor
from engine.store.policy import get_policy, zone_for
from models import IntakeRecord

KINDS = {"document": "该文档", "xlsx": "该任务清单"}


def refuse_if_applied(session: Session, *, kind: str, fingerprint: str, again: bool,
                      hint: str) -> None:
    """Raise :class:`Conflict` naming the earlier application of the same content, unless
    ``again``; ``hint`` says how to apply it again (e.g. "请加 --again")."""
    if again:
        return
    earlier = applied_before(session, kind=kind, fingerprint=fingerprint)
    if earlier is not None:
        raise Conflict(f"{earlier}，未重复登记；如确需再次登记，{hint}")


def applied_before(session: Session, *, kind: str, fingerprint: str) -> str | None:
    """When the same content was applied before: a Chinese sentence saying when, by whom and
    what it created (the first application); ``None`` if never."""
    earlier = session.exec(select(IntakeRecord).where(
        IntakeRecord.kind == kind, IntakeRecord.fingerprint == fingerprint)
        .order_by(col(IntakeRecord.id))).first()
    if earlier is None:
        return None
    when = local_date_text(earlier.applied_at, zone_for(get_policy(session)))
    made = []
    if earlier.directive_ids:
        made.append("来源事项 " + "、".join(f"#{i}" for i in earlier.directive_ids))
    if earlier.task_codes:
        codes = earlier.task_codes
        made.append(f"督办事项 {'、'.join(codes[:5])}{'等' if len(codes) > 5 else ''}"
                    f"共{len(codes)}项")
    by = f"由{earlier.actor_name}" if earlier.actor_name else ""
    return f"{KINDS[kind]}已于{when}{by}登记过（{'，'.join(made) or '未创建事项'}）"


def record_applied(session: Session, *, kind: str, fingerprint: str, source: str,
                   actor: Actor, now: datetime, directive_ids: list[int],
                   task_codes: list[str]) -> IntakeRecord:
    """Remember one application (in the caller's transaction), with who applied it."""
    row = IntakeRecord(kind=kind, fingerprint=fingerprint, source=source[:256], applied_at=now,
                       actor_id=actor.person_id, actor_name=actor.name[:64],
                       directive_ids=directive_ids, task_codes=task_codes)
    session.add(row)
    session.flush()
    return row
