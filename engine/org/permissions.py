"""Who may do what.

- ``admin`` may do everything; ``office`` (督查室) registers, assigns, approves, verifies,
  closes, returns, cancels and re-checks.
- ``unit_head`` / ``unit_contact`` act only on tasks where their unit is lead or cooperating;
  completion and extension requests belong to the lead unit (it reports the combined result).
- ``leader`` reads everything and may add follow-up instructions (跟批).

Every check raises :class:`PermissionDenied` with a Chinese reason before anything is written.
"""

from __future__ import annotations

from sqlmodel import Session, select

from engine.errors import PermissionDenied
from models import Person, Task, TaskUnit

UNIT_ROLES = frozenset({"unit_head", "unit_contact"})
OFFICE_ACTIONS = frozenset(
    {"create_task", "assign", "verify", "return", "cancel", "decide_extension", "recheck", "edit"}
)
LEAD_UNIT_ACTIONS = frozenset({"request_completion", "request_extension"})
UNIT_ACTIONS = frozenset({"acknowledge", "report_progress"}) | LEAD_UNIT_ACTIONS


def is_office(person: Person | None) -> bool:
    """``None`` is the system itself (scheduler, local operator) and counts as the office."""
    return person is None or bool({"admin", "office"} & set(person.roles))


def require_office(actor: Person | None, what: str) -> None:
    if not is_office(actor):
        raise PermissionDenied(f"只有督查室可以{what}")


def require_directive_author(actor: Person | None, kind: str) -> None:
    """The office registers any directive; a leader may add follow-up instructions only."""
    if is_office(actor):
        return
    assert actor is not None
    if "leader" in actor.roles and kind == "followup":
        return
    if "leader" in actor.roles:
        raise PermissionDenied("领导只能添加跟批，其他来源事项由督查室登记")
    raise PermissionDenied("只有督查室可以登记来源事项")


def unit_role_on(session: Session, person: Person, task: Task) -> str | None:
    """``"lead"``, ``"co"`` or ``None``: the person's unit's part in ``task``."""
    if person.unit_id is None:
        return None
    link = session.exec(
        select(TaskUnit).where(TaskUnit.task_id == task.id, TaskUnit.unit_id == person.unit_id)
    ).first()
    return link.role if link is not None else None


def require_action(session: Session, actor: Person | None, task: Task, action: str) -> str | None:
    """Check that ``actor`` may perform ``action`` on ``task``; return their unit's role in it."""
    if action in OFFICE_ACTIONS:
        require_office(actor, _WHAT.get(action, "执行此操作"))
        return None
    if actor is not None and "admin" in actor.roles:
        return unit_role_on(session, actor, task) or "lead"
    if actor is None or not (UNIT_ROLES & set(actor.roles)):
        raise PermissionDenied("只有责任单位的负责人或联络员可以办理本单位事项")
    role = unit_role_on(session, actor, task)
    if role is None:
        raise PermissionDenied(f"事项 {task.code} 不属于您所在单位，无权操作")
    if action in LEAD_UNIT_ACTIONS and role != "lead":
        raise PermissionDenied("配合单位不能申请办结或延期，请由牵头单位汇总办理")
    return role


_WHAT = {
    "create_task": "创建督办事项",
    "assign": "交办事项",
    "verify": "审核销号",
    "return": "退回事项",
    "cancel": "撤销事项",
    "decide_extension": "审批延期申请",
    "recheck": "开展回头看",
    "edit": "修改事项",
}
