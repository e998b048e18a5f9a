"""Which actions a person may take on a task right now — what the web console (and any front
end) offers as buttons, labelled as the Telegram bot labels them.

One answer combines the three things the services themselves check: the permission
(:func:`engine.org.permissions.require_action`, the same function each service calls), the
lifecycle (:data:`engine.tasks.lifecycle.TRANSITIONS`) and the few state rules a service checks
beyond those (a unit signs once; progress only after signing; one pending extension request and
the policy's cap; 回头看 only on a closed task). An action offered here can still be refused at
the moment it is taken (a deadline passed meanwhile, a request was decided by someone else): the
service decides, this only spares people buttons that cannot work.

- a unit's head or contact: 签收, 反馈进展 and — for the lead unit — 申请办结, 申请延期;
- the office: 交办, 审核销号, 退回, 批准延期 / 驳回延期 (for the pending request), 回头看, 撤销,
  and for each unit of the task 代签收 / 代反馈 / 代申请办结 naming that unit;
- a leader: 跟批 (a follow-up instruction on the task's directive, issued by the leader; the
  office registers follow-ups for a leader from the directive itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from engine.errors import InvalidInput, InvalidTransition, PermissionDenied
from engine.org.actors import Actor
from engine.org.permissions import ON_BEHALF_ACTIONS, require_action, require_directive_author
from engine.org.visibility import UNIT_ROLES, find_visible_task
from engine.read.schemas import Schema
from engine.tasks.extensions import extension_blocker, pending_extensions
from engine.tasks.lifecycle import target_status
from engine.tasks.rechecks import can_recheck
from engine.values import DirectiveKind, Role, TaskStatus, UnitRole
from models import Task, TaskUnit, Unit

UNIT_OFFERS = (("acknowledge", "签收"), ("report_progress", "反馈进展"),
               ("request_completion", "申请办结"), ("request_extension", "申请延期"))
"""A unit's actions with the labels of the bot's buttons, in the order they are shown."""

OFFICE_OFFERS = (("assign", "交办"), ("verify", "审核销号"), ("return", "退回"),
                 ("recheck", "回头看"), ("cancel", "撤销"))
"""The office's actions on the task itself (extension decisions follow the pending request)."""


@dataclass(slots=True)
class Offer(Schema):
    """One action a person may take: the service action, its button label, and for whom."""

    action: str
    """``acknowledge``, ``report_progress``, ``request_completion``, ``request_extension``,
    ``assign``, ``verify``, ``return``, ``approve_extension``, ``reject_extension``,
    ``recheck``, ``cancel`` or ``followup``."""
    label: str
    for_unit: str | None = None
    """The unit's code when the office acts on its behalf (代签收 …)."""
    unit_name: str | None = None
    request_id: int | None = None
    """The pending extension request an approval or rejection decides."""
    confirm: str | None = None
    """What the person must confirm first, when the service needs it said (交办 of a task whose
    deadline has passed: ``allow_past_due``)."""


def available_actions(*, session: Session, actor: Actor, code: str | int,
                      now: datetime) -> list[Offer]:
    """The actions ``actor`` may take on task ``code`` at ``now`` (see the module docstring).

    Raises :class:`~engine.errors.NotFound` — as for a missing task — when the task is outside
    the actor's scope. Writes nothing.
    """
    task = find_visible_task(session, actor, code)
    links = sorted(session.exec(select(TaskUnit).where(TaskUnit.task_id == task.id)).all(),
                   key=lambda li: (li.role != UnitRole.LEAD, li.id or 0))  # the lead unit first
    offers = _own_unit(session, actor, task, links) + _office(session, actor, task, now)
    offers += _on_behalf(session, actor, task, links)
    if actor.has(Role.LEADER) and _may_follow_up(actor):
        offers.append(Offer("followup", "跟批"))
    # 撤销 last: the one that ends the task.
    offers.sort(key=lambda o: o.action == "cancel")
    return offers


def _permitted(session: Session, actor: Actor, task: Task, action: str,
               unit: Unit | None = None) -> bool:
    try:
        require_action(session, actor, task, action, for_unit=unit)
    except (PermissionDenied, InvalidInput):
        return False
    return True


def _moves(task: Task, action: str) -> bool:
    try:
        target_status(task.status, action)
    except InvalidTransition:
        return False
    return True


def _unit_ready(session: Session, task: Task, action: str, link: TaskUnit) -> bool:
    """The state rules the unit services check beyond permission and lifecycle."""
    if action == "acknowledge":
        return link.acknowledged_at is None
    if action == "report_progress":
        return link.acknowledged_at is not None
    if action == "request_extension":
        return extension_blocker(session, task) is None
    return True


def _own_unit(session: Session, actor: Actor, task: Task, links: list[TaskUnit]) -> list[Offer]:
    link = next((li for li in links if li.unit_id == actor.unit_id), None)
    if link is None or not actor.has(*UNIT_ROLES):
        return []
    return [Offer(action, label) for action, label in UNIT_OFFERS
            if _permitted(session, actor, task, action) and _moves(task, action)
            and _unit_ready(session, task, action, link)]


def _office(session: Session, actor: Actor, task: Task, now: datetime) -> list[Offer]:
    if not actor.acts_as_office:
        return []
    offers = []
    for action, label in OFFICE_OFFERS:
        if not _permitted(session, actor, task, action):
            continue
        if action == "recheck" and can_recheck(task):
            offers.append(Offer(action, label))
        elif action == "assign" and _moves(task, action):
            if task.lead_unit_id is not None and task.due_at is not None:
                late = "完成时限已过，确认交办（交办即逾期）" if task.due_at <= now else None
                offers.append(Offer(action, label, confirm=late))
        elif action != "recheck" and _moves(task, action):
            offers.append(Offer(action, label))
    if _permitted(session, actor, task, "decide_extension") and _moves(task, "decide_extension"):
        for request in pending_extensions(session, task):
            offers += [Offer("approve_extension", "批准延期", request_id=request.id),
                       Offer("reject_extension", "驳回延期", request_id=request.id)]
    return offers


def _on_behalf(session: Session, actor: Actor, task: Task, links: list[TaskUnit]) -> list[Offer]:
    if not actor.acts_as_office or task.status == TaskStatus.DRAFT:
        return []
    units = {u.id: u for u in session.exec(
        select(Unit).where(col(Unit.id).in_([li.unit_id for li in links]))).all()}
    offers = []
    for link in links:
        unit = units[link.unit_id]
        for action, label in ON_BEHALF_ACTIONS.items():
            if (_permitted(session, actor, task, action, unit) and _moves(task, action)
                    and _unit_ready(session, task, action, link)):
                offers.append(Offer(action, f"{label}（{unit.name}）", for_unit=unit.code,
                                    unit_name=unit.name))
    return offers


def _may_follow_up(actor: Actor) -> bool:
    try:
        require_directive_author(actor, DirectiveKind.FOLLOWUP.value)
    except PermissionDenied:
        return False
    return True
