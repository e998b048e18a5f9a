"""What intake and the Excel import applied, so that the same content is not applied twice.

A document (or task list) is known by the fingerprint of its normalised content
(:mod:`engine.intake.fingerprint`); applying it again is refused with what the first application
created, unless the office says to apply it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from engine.calendar.timefmt import local_date_text
from engine.errors import Conflict, Remedy
from engine.org.actors import Actor
from engine.org.directory import directive_titles
from engine.store.policy import get_policy, zone_for
from engine.store.turns import take_turns
from models import IntakeRecord

KINDS = {"document": "该文档", "xlsx": "该任务清单"}
NAMED = 3
"""Directives named by title in the sentence about an earlier application (the rest counted)."""


def refuse_if_applied(session: Session, *, kind: str, fingerprint: str, again: bool) -> None:
    """Raise :class:`Conflict` naming the earlier application of the same content, unless
    ``again`` (the remedy it carries: :attr:`Remedy.APPLY_AGAIN`). Otherwise the caller's
    transaction holds the content's turn until it ends (:func:`engine.store.turns.take_turns`):
    of two clerks confirming one document at once, the second finds the first's record."""
    if again:
        return
    take_turns(session, f"intake:{kind}:{fingerprint}")
    earlier = applied_before(session, kind=kind, fingerprint=fingerprint)
    if earlier is not None:
        raise Conflict(f"{earlier}，未重复登记；确需再次登记的，须明确确认",
                       remedy=Remedy.APPLY_AGAIN)


@dataclass(frozen=True)
class EarlierApplication:
    """The first application of some content, as a front end names it: when and by whom, the
    directives it registered (id and title; ``None`` for an id no directive has any more) and
    the codes of the tasks it created."""

    kind: str
    when: str
    by: str
    directives: list[tuple[int, str | None]]
    task_codes: list[str]

    @property
    def head(self) -> str:
        """"该文档已于2024年3月9日由张三登记过"."""
        return f"{KINDS[self.kind]}已于{self.when}{f'由{self.by}' if self.by else ''}登记过"

    def sentence(self) -> str:
        """The head with what it created, directives by title (at most :data:`NAMED`)."""
        made = []
        if self.directives:
            named = [f"“{title}”" if title is not None else f"#{i}"
                     for i, title in self.directives[:NAMED]]
            more = f"等{len(self.directives)}件" if len(self.directives) > NAMED else ""
            made.append(f"来源事项{'、'.join(named)}{more}")
        if self.task_codes:
            codes = self.task_codes
            made.append(f"督办事项 {'、'.join(codes[:5])}{'等' if len(codes) > 5 else ''}"
                        f"共{len(codes)}项")
        return f"{self.head}（{'，'.join(made) or '未创建事项'}）"


def earlier_application(session: Session, *, kind: str,
                        fingerprint: str) -> EarlierApplication | None:
    """The first application of the content with ``fingerprint`` (``None``: never applied)."""
    earlier = session.exec(select(IntakeRecord).where(
        IntakeRecord.kind == kind, IntakeRecord.fingerprint == fingerprint)
        .order_by(col(IntakeRecord.id))).first()
    if earlier is None:
        return None
    titles = directive_titles(session, earlier.directive_ids)
    return EarlierApplication(
        kind=kind, when=local_date_text(earlier.applied_at, zone_for(get_policy(session))),
        by=earlier.actor_name, directives=[(i, titles.get(i)) for i in earlier.directive_ids],
        task_codes=list(earlier.task_codes))


def applied_before(session: Session, *, kind: str, fingerprint: str) -> str | None:
    """When the same content was applied before: a Chinese sentence saying when, by whom and
    what it created (the first application); ``None`` if never."""
    earlier = earlier_application(session, kind=kind, fingerprint=fingerprint)
    return earlier.sentence() if earlier is not None else None


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
