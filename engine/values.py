"""The domain's typed values: every stored code with its Chinese label beside it.

Each enum is a ``StrEnum`` (or ``IntEnum`` for the escalation level) whose members compare equal
to the strings stored in the database, so a column read back as ``"closed"`` equals
``TaskStatus.CLOSED``; ``TaskStatus("closed").label`` is what a person reads (``已办结``).
``parse`` accepts the code or the label, so that a user may type either.

Nothing here imports the rest of the project: models, config and every front end may use it.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import Self


class Labelled(StrEnum):
    """A stored code with the Chinese label a person reads."""

    label: str

    def __new__(cls, value: str, label: str = "") -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def parse(cls, text: str) -> Self | None:
        """The member whose code or label is ``text`` (surrounding spaces ignored), else None."""
        wanted = text.strip()
        for member in cls:
            if wanted in (member.value, member.label):
                return member
        return None

    @classmethod
    def choices(cls) -> str:
        """``code（标签）、…`` for refusal messages."""
        return "、".join(f"{m.value}（{m.label}）" for m in cls)


class TaskStatus(Labelled):
    DRAFT = "draft", "待交办"
    ASSIGNED = "assigned", "已交办"
    ACKNOWLEDGED = "acknowledged", "已签收"
    IN_PROGRESS = "in_progress", "办理中"
    PENDING_REVIEW = "pending_review", "申请办结"
    CLOSED = "closed", "已办结"
    CANCELLED = "cancelled", "已撤销"


class Priority(Labelled):
    URGENT = "urgent", "特急"
    HIGH = "high", "加急"
    NORMAL = "normal", "普通"


class Light(Labelled):
    RED = "red", "红灯"
    YELLOW = "yellow", "黄灯"
    GREEN = "green", "绿灯"


class DirectiveKind(Labelled):
    INSTRUCTION = "instruction", "批示"
    FOLLOWUP = "followup", "跟批"
    MEETING = "meeting", "会议"
    INSPECTION = "inspection", "督查检查"
    HOTLINE = "hotline", "12345诉求"
    DOCUMENT = "document", "上级文件"
    PLAN = "plan", "任务清单"


class UnitRole(Labelled):
    """A unit's part in a task."""

    LEAD = "lead", "牵头"
    CO = "co", "配合"


class Role(Labelled):
    """What a person may do (``Person.roles``)."""

    ADMIN = "admin", "管理员"
    OFFICE = "office", "督查室"
    LEADER = "leader", "领导"
    UNIT_HEAD = "unit_head", "单位负责人"
    UNIT_CONTACT = "unit_contact", "单位联络员"


class UnitKind(Labelled):
    DEPARTMENT = "department", "部门"
    DISTRICT = "district", "县区"
    TOWN = "town", "镇街"
    COMPANY = "company", "企业"


class Rating(Labelled):
    """The office's verdict when it closes a task (审核销号)."""

    EXCELLENT = "excellent", "优秀"
    GOOD = "good", "良好"
    PASS = "pass", "合格"
    FAIL = "fail", "不合格"


class ExtensionState(Labelled):
    PENDING = "pending", "待审批"
    APPROVED = "approved", "已批准"
    REJECTED = "rejected", "已驳回"
    WITHDRAWN = "withdrawn", "已撤回"


class ReportKind(Labelled):
    """A unit's feedback: progress (反馈进展) or a completion request (申请办结)."""

    PROGRESS = "progress", "进展"
    COMPLETION = "completion", "申请办结"


class RecheckResult(Labelled):
    PASSED = "passed", "通过"
    REOPENED = "reopened", "重新打开"


class OutboxStatus(Labelled):
    PENDING = "pending", "待发送"
    SENDING = "sending", "发送中"
    SENT = "sent", "已发送"
    DEAD = "dead", "死信"
    CANCELLED = "cancelled", "已取消"


class OutboxKind(Labelled):
    """What a queued message is about."""

    ASSIGNED = "assigned", "交办通知"
    RETURNED = "returned", "退回通知"
    CLOSED = "closed", "销号通知"
    REOPENED = "reopened", "重新打开通知"
    REVIEW = "review", "办结待审核"
    EXTENSION_REQUEST = "extension_request", "延期待审批"
    EXTENSION_DECISION = "extension_decision", "延期审批结果"
    REMINDER = "reminder", "到期提醒"
    ESCALATION = "escalation", "升级督办"
    STALE = "stale", "进展滞后提醒"
    MILESTONE = "milestone", "阶段节点提醒"
    RECHECK = "recheck", "回头看到期"
    SUMMARY = "summary", "每日调度"
    EDITED = "edited", "事项变更通知"
    OCCURRENCE = "occurrence", "周期任务"
    EVIDENCE = "evidence", "证明材料"


class DueBase(Labelled):
    """What a task's current deadline counts from (a relative one such as "3个工作日内")."""

    DIRECTIVE = "directive", "来源事项下达时间"
    ENTERED = "entered", "督查室录入时间"
    EXTENSION = "extension", "延期申请提交时间"
    RECHECK = "recheck", "回头看时间"
    RECURRENCE = "recurrence", "上一周期时限"


class Channel(Labelled):
    """Through which front end an action came (recorded on every audit event)."""

    CLI = "cli", "命令行"
    BOT = "bot", "Telegram 机器人"
    WEB = "web", "网页控制台"
    SCHEDULER = "scheduler", "调度任务"


class EscalationLevel(IntEnum):
    """The ladder after the deadline: 0 none, 1 催办, 2 督办, 3 通报."""

    label: str

    def __new__(cls, value: int, label: str = "") -> Self:
        member = int.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    NONE = 0, "无"
    URGED = 1, "催办"
    SUPERVISED = 2, "督办"
    BULLETIN = 3, "通报"


OPEN_STATUSES = (TaskStatus.DRAFT, TaskStatus.ASSIGNED, TaskStatus.ACKNOWLEDGED,
                 TaskStatus.IN_PROGRESS, TaskStatus.PENDING_REVIEW)
"""Statuses before the end (closed or cancelled)."""
ACTIVE_STATUSES = (TaskStatus.ASSIGNED, TaskStatus.ACKNOWLEDGED, TaskStatus.IN_PROGRESS,
                   TaskStatus.PENDING_REVIEW)
"""Statuses after assignment and before the end: the units' work."""
LADDER_STATUSES = (TaskStatus.ASSIGNED, TaskStatus.ACKNOWLEDGED, TaskStatus.IN_PROGRESS)
"""Statuses in which the unit owes work, so reminders and the escalation ladder run (while the
office reviews a completion request, the unit is not chased)."""


def label_of(kind: type[Labelled], code: str | None, default: str = "") -> str:
    """The label of a stored ``code`` of ``kind`` (the code itself if unknown; ``default`` for
    none)."""
    if code is None:
        return default
    member = kind.parse(code)
    return member.label if member is not None else code
