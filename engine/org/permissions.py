"""Who may do what (what they may *see* is :mod:`engine.org.visibility`).

- ``admin`` and ``office`` (督查室) — and the server's operator at the command line — register
  directives and tasks, assign, edit, approve extensions, verify and close, return, cancel,
  re-check, import and ingest documents, manage units and people, issue binding codes and
  requeue dead letters;
- a unit's ``unit_head`` / ``unit_contact`` acknowledge, report progress and — for the lead unit
  only, which reports the combined result — ask for completion and extensions, on tasks their
  unit leads or cooperates on;
- the office records on a unit's behalf (代签收 / 代反馈 / 代申请办结) only by naming the unit;
  the unit's own record is updated and the event says so;
- a ``leader`` reads their scope and adds follow-up instructions (跟批);
- the system (scheduler) runs the escalation pass, recurring tasks and the daily summary, and
  nothing a person does.

An action this module does not know is refused to everyone. Every check raises
:class:`PermissionDenied` with a Chinese reason before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from engine.errors import InvalidInput, PermissionDenied, Remedy
from engine.org.actors import Actor
from engine.org.visibility import UNIT_ROLES, unit_part
from engine.values import DirectiveKind, Role, UnitRole
from models import Task, Unit

OFFICE_ACTIONS: dict[str, str] = {
    "create_task": "创建督办事项",
    "assign": "交办事项",
    "verify": "审核销号",
    "return": "退回事项",
    "cancel": "撤销事项",
    "decide_extension": "审批延期申请",
    "recheck": "开展回头看",
    "edit": "修改事项",
}
"""Task actions of the office, with what a refusal says it would have been."""
UNIT_ACTIONS = frozenset({"acknowledge", "report_progress", "request_completion",
                          "request_extension"})
LEAD_UNIT_ACTIONS = frozenset({"request_completion", "request_extension"})
ON_BEHALF_ACTIONS: dict[str, str] = {
    "acknowledge": "代签收",
    "report_progress": "代反馈",
    "request_completion": "代申请办结",
}
"""What the office may record for a unit, with the name the event carries."""


@dataclass(frozen=True)
class UnitAct:
    """For whom a unit action is recorded: the unit, its part in the task, and whether the
    office recorded it on the unit's behalf."""

    unit_id: int
    role: UnitRole
    on_behalf: bool = False


def require_office(actor: Actor, what: str) -> None:
    """The office's rights: an admin or office person, or the operator."""
    if not actor.acts_as_office:
        raise PermissionDenied(f"只有督查室可以{what}")


def require_office_or_system(actor: Actor, what: str) -> None:
    """The office, the operator, or the system's scheduled job."""
    if not (actor.acts_as_office or actor.is_system):
        raise PermissionDenied(f"只有督查室可以{what}")


def require_directive_author(actor: Actor, kind: str) -> None:
    """The office registers any directive; a leader may add follow-up instructions only."""
    if actor.acts_as_office:
        return
    if actor.has(Role.LEADER) and kind == DirectiveKind.FOLLOWUP:
        return
    if actor.has(Role.LEADER):
        raise PermissionDenied("领导只能添加跟批，其他来源事项由督查室登记")
    raise PermissionDenied("只有督查室可以登记来源事项")


def require_action(session: Session, actor: Actor, task: Task, action: str, *,
                   for_unit: Unit | None = None) -> UnitAct | None:
    """Check that ``actor`` may perform ``action`` on ``task`` (which they can see).

    Office actions return ``None``; unit actions return for which unit they count
    (``for_unit`` names the unit the office acts for). Unknown actions are refused.
    """
    if action in OFFICE_ACTIONS:
        if for_unit is not None:
            raise InvalidInput(f"“{OFFICE_ACTIONS[action]}”由督查室办理，不能代单位操作")
        require_office(actor, OFFICE_ACTIONS[action])
        return None
    if action not in UNIT_ACTIONS:
        raise PermissionDenied(f"不能执行未知操作“{action}”")
    if for_unit is not None:
        return _on_behalf(session, actor, task, action, for_unit)
    part = unit_part(session, actor.unit_id, task) if actor.has(*UNIT_ROLES) else None
    if part is None:
        if actor.acts_as_office and action in ON_BEHALF_ACTIONS:
            raise PermissionDenied(f"督查室{ON_BEHALF_ACTIONS[action]}须指明为哪个单位办理",
                                   remedy=Remedy.FOR_UNIT)
        raise PermissionDenied("只有责任单位的负责人或联络员可以办理本单位事项")
    role = UnitRole(part)
    if action in LEAD_UNIT_ACTIONS and role is not UnitRole.LEAD:
        raise PermissionDenied("配合单位不能申请办结或延期，请由牵头单位汇总办理")
    assert actor.unit_id is not None
    return UnitAct(actor.unit_id, role)


def _on_behalf(session: Session, actor: Actor, task: Task, action: str, unit: Unit) -> UnitAct:
    what = ON_BEHALF_ACTIONS.get(action)
    if what is None:
        raise PermissionDenied("延期须由牵头单位自行申请，督查室不能代为申请")
    if not actor.acts_as_office:
        raise PermissionDenied(f"只有督查室可以{what}")
    part = unit_part(session, unit.id, task)
    if part is None:
        raise InvalidInput(f"{unit.name}不是事项 {task.code} 的承办单位")
    role = UnitRole(part)
    if action in LEAD_UNIT_ACTIONS and role is not UnitRole.LEAD:
        raise InvalidInput(f"{unit.name}是配合单位，办结申请应由牵头单位提出")
    assert unit.id is not None
    return UnitAct(unit.id, role, on_behalf=True)
