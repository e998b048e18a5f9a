"""One task's history as one timeline: audit events (progress reports and escalations among
them), the messages the outbox sent about it with their delivery state, and the follow-up
instructions (跟批) added to its directive.

What each reader sees is narrowed here, not by the front end:

- the task itself must be visible to the reader (else :class:`~engine.errors.NotFound`, the
  same as for a missing task);
- messages: the office sees every message and its last delivery error; anyone else sees only
  the messages addressed to them or — for a unit's head or contact — to people of their own unit
  (the office's own review and approval messages are the office's business, as the outbox is);
- the web client's address recorded with an event is shown to the office only.

Guarantees: entries are in time order (ties keep the order they were recorded in); each source
is bounded to its newest :data:`MAX_PER_SOURCE` rows so a long-lived task still reads fast.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from sqlmodel import Session, col, select

from engine.org.actors import Actor
from engine.org.directory import person_names
from engine.org.visibility import UNIT_ROLES, find_visible_task
from engine.read.schemas import Schema
from engine.read.timeline_text import describe_event
from engine.store.policy import get_policy, zone_for
from engine.values import Channel, DirectiveKind, OutboxKind, OutboxStatus
from models import AuditEvent, Directive, OutboxMessage, Person, Task, Unit

MAX_PER_SOURCE = 500
"""Newest rows taken from each source (events, messages, follow-ups) for one timeline."""

KIND_LABELS = {"event": "办理", "report": "反馈", "escalation": "升级督办", "message": "消息",
               "followup": "跟批"}
"""The kinds of entry, with their Chinese names."""


@dataclass(slots=True)
class Delivery(Schema):
    """One recipient of a message and how far its delivery got."""

    recipient: str
    status: OutboxStatus
    sent_at: datetime | None
    channel: str | None
    last_error: str | None
    """The channel's last error (the office only; ``None`` for everyone else)."""


@dataclass(slots=True)
class TimelineEntry(Schema):
    """One thing that happened to the task."""

    at: datetime
    kind: str
    """``event``, ``report`` (反馈进展 / 申请办结), ``escalation``, ``message`` or ``followup``."""
    kind_label: str
    title: str
    actor: str | None
    text: str
    channel: Channel | None = None
    client: str | None = None
    """The web client's address (the office only)."""
    on_behalf: str | None = None
    """代签收 / 代反馈 / 代申请办结 when the office recorded it for a unit."""
    deliveries: list[Delivery] = field(default_factory=list)


def task_timeline(*, session: Session, actor: Actor, code: str | int,
                  now: datetime) -> list[TimelineEntry]:
    """The timeline of task ``code`` as ``actor`` may see it (see the module docstring)."""
    task = find_visible_task(session, actor, code)
    tz = zone_for(get_policy(session))
    events = _events(session, actor, task, tz)
    keyed = [((entry.at, i, 0), entry) for i, (entry, _action) in enumerate(events)]
    for kind, entry in _messages(session, actor, task, tz):
        keyed.append(((entry.at, _cause(events, entry.at, CAUSES.get(kind, ())), 1), entry))
    keyed += [((entry.at, _cause(events, entry.at, ()), 2), entry)
              for entry in _followups(session, task, tz)]
    keyed.sort(key=lambda pair: pair[0])
    return [entry for _key, entry in keyed]


CAUSES: dict[str, tuple[str, ...]] = {
    "assigned": ("assign",), "returned": ("return",), "closed": ("verify",),
    "reopened": ("reopen",), "review": ("request_completion",),
    "evidence": ("request_completion", "request_extension"),
    "extension_request": ("request_extension",), "extension_decision": ("decide_extension",),
    "edited": ("edit",), "escalation": ("escalate",), "urge": ("urge",),
}
"""The events that queue each kind of message, so that a message follows the event that caused
it even when both carry the same moment (a simulated clock, one transaction)."""


def _cause(events: list[tuple[TimelineEntry, str]], at: datetime,
           actions: tuple[str, ...]) -> int:
    """The index of the event an entry at ``at`` follows: the last event of ``actions`` at that
    very moment, else the last event not later than it (-1: before every event)."""
    found = -1
    for index, (entry, action) in enumerate(events):
        if entry.at > at:
            break
        if entry.at < at or not actions or action in actions:
            found = index
    return found


def _events(session: Session, actor: Actor, task: Task,
            tz: tzinfo) -> list[tuple[TimelineEntry, str]]:
    rows = list(session.exec(
        select(AuditEvent).where(AuditEvent.entity == "task", col(AuditEvent.entity_id) == task.id)
        .order_by(col(AuditEvent.id).desc()).limit(MAX_PER_SOURCE)).all())
    rows.reverse()
    units = _unit_names(session)
    out = []
    for event in rows:
        after = event.after or {}
        kind, title, text = describe_event(event.action, after, units, tz)
        out.append((TimelineEntry(
            at=event.at.astimezone(tz), kind=kind, kind_label=KIND_LABELS[kind], title=title,
            actor=event.actor, text=text, channel=Channel.parse(event.channel or ""),
            client=event.client if actor.sees_everything else None,
            on_behalf=_on_behalf(after, units)), event.action))
    return out


def _on_behalf(after: dict[str, Any], units: dict[str, str]) -> str | None:
    what = after.get("on_behalf")
    if not what:
        return None
    unit = units.get(str(after.get("unit") or ""), str(after.get("unit") or ""))
    return f"督查室{what}（{unit}）" if unit else f"督查室{what}"


def _unit_names(session: Session) -> dict[str, str]:
    return {code: name for code, name in session.exec(select(Unit.code, Unit.name)).all()}


def _message_scope(session: Session, actor: Actor) -> Any | None:
    """The condition on the outbox a non-office reader is limited to (``None``: everything)."""
    if actor.sees_everything:
        return None
    me = actor.person_id or 0
    if actor.unit_id is not None and actor.has(*UNIT_ROLES):
        colleagues = select(Person.id).where(Person.unit_id == actor.unit_id)
        return col(OutboxMessage.recipient_id).in_(colleagues) | (
            col(OutboxMessage.recipient_id) == me)
    return col(OutboxMessage.recipient_id) == me


def _messages(session: Session, actor: Actor, task: Task,
              tz: tzinfo) -> list[tuple[str, TimelineEntry]]:
    """Messages grouped by what was sent (kind, level, subject, moment): one entry lists its
    recipients with each delivery state."""
    query = select(OutboxMessage, Person.name).join(
        Person, col(Person.id) == col(OutboxMessage.recipient_id), isouter=True).where(
        OutboxMessage.task_id == task.id)
    scope = _message_scope(session, actor)
    if scope is not None:
        query = query.where(scope)
    rows = list(session.exec(query.order_by(col(OutboxMessage.id).desc())
                             .limit(MAX_PER_SOURCE)).all())
    rows.reverse()
    groups: dict[tuple[str, int, str, datetime], tuple[str, TimelineEntry]] = {}
    for message, name in rows:
        key = (message.kind, message.level, message.subject, message.created_at)
        if key not in groups:
            groups[key] = (message.kind, TimelineEntry(
                at=message.created_at.astimezone(tz), kind="message",
                kind_label=KIND_LABELS["message"], title=_kind_label(message.kind),
                actor=None, text=message.subject))
        groups[key][1].deliveries.append(Delivery(
            recipient=name or "—", status=OutboxStatus(message.status),
            sent_at=message.sent_at.astimezone(tz) if message.sent_at else None,
            channel=message.channel,
            last_error=message.last_error if actor.sees_everything else None))
    return list(groups.values())


def _kind_label(kind: str) -> str:
    found = OutboxKind.parse(kind)
    return found.label if found is not None else kind


def _followups(session: Session, task: Task, tz: tzinfo) -> list[TimelineEntry]:
    """跟批 under the task's directive, at any depth (a 跟批 of a 跟批 counts too)."""
    found: list[Directive] = []
    parents = [task.directive_id]
    while parents and len(found) < MAX_PER_SOURCE:
        children = list(session.exec(select(Directive).where(
            col(Directive.parent_id).in_(parents)).order_by(col(Directive.id))).all())
        found += [d for d in children if d.kind == DirectiveKind.FOLLOWUP.value]
        parents = [d.id for d in children if d.id is not None]
    names = person_names(session, (d.issued_by_id for d in found))
    return [TimelineEntry(at=d.issued_at.astimezone(tz), kind="followup",
                          kind_label=KIND_LABELS["followup"], title=d.title,
                          actor=names.get(d.issued_by_id or 0), text=d.text)
            for d in found[:MAX_PER_SOURCE]]
