"""Chinese display labels for the engine's English enum values (one place, shared by all views)."""

from __future__ import annotations

STATUS_LABELS: dict[str, str] = {
    "draft": "待交办",
    "assigned": "已交办",
    "acknowledged": "已签收",
    "in_progress": "办理中",
    "pending_review": "申请办结",
    "closed": "已办结",
    "cancelled": "已撤销",
}

PRIORITY_LABELS: dict[str, str] = {"urgent": "特急", "high": "加急", "normal": "普通"}

LIGHT_LABELS: dict[str, str] = {"red": "红灯", "yellow": "黄灯", "green": "绿灯"}

LIGHT_STYLES: dict[str, str] = {"red": "bold red", "yellow": "yellow", "green": "green"}

DIRECTIVE_KIND_LABELS: dict[str, str] = {
    "instruction": "批示",
    "followup": "跟批",
    "meeting": "会议",
    "inspection": "督查检查",
    "hotline": "12345诉求",
    "document": "上级文件",
    "plan": "任务清单",
}

ROLE_LABELS: dict[str, str] = {
    "admin": "管理员",
    "office": "督查室",
    "leader": "领导",
    "unit_head": "单位负责人",
    "unit_contact": "单位联络员",
}

UNIT_KIND_LABELS: dict[str, str] = {
    "department": "部门",
    "district": "县区",
    "town": "镇街",
    "company": "企业",
}

RATING_LABELS: dict[str, str] = {
    "excellent": "优秀",
    "good": "良好",
    "pass": "合格",
    "fail": "不合格",
}

ESCALATION_LABELS: dict[int, str] = {0: "无", 1: "催办", 2: "督办", 3: "通报"}

EXTENSION_STATUS_LABELS: dict[str, str] = {
    "pending": "待审批",
    "approved": "已批准",
    "rejected": "已驳回",
    "withdrawn": "已撤回",
}

# -- added for issue 10 (one block, to merge with the typed enums) ----------------------------

OUTBOX_KIND_LABELS: dict[str, str] = {
    "assigned": "交办通知",
    "reminder": "到期提醒",
    "escalation": "升级督办",
    "stale": "进展滞后提醒",
    "milestone": "阶段节点提醒",
    "recheck": "回头看提醒",
    "occurrence": "周期任务",
    "returned": "退回通知",
    "closed": "销号通知",
    "reopened": "重新打开通知",
    "review": "办结待审核",
    "extension_request": "延期申请待审批",
    "extension_decision": "延期审批结果",
    "edited": "事项变更通知",
    "summary": "每日调度",
}
"""Chinese names of the kinds of outbox message (and of the escalation pass's planned work)."""

DUE_BASE_LABELS: dict[str, str] = {
    "directive": "来源事项下达时间",
    "entered": "督查室录入时间",
    "extension": "延期申请提交时间",
    "recheck": "回头看时间",
    "recurrence": "上一周期时限",
}
"""What a task's current deadline counts from (a relative deadline such as "3个工作日内")."""


def status_key(value: str, *, option: str = "办理状态") -> str:
    """A task status from its English key or its Chinese label ("办理中" or "in_progress").

    Raises :class:`engine.errors.InvalidInput` listing both forms."""
    by_label = {label: key for key, label in STATUS_LABELS.items()}
    key = by_label.get(value.strip(), value.strip())
    if key not in STATUS_LABELS:
        from engine.errors import InvalidInput

        names = "、".join(f"{label}（{k}）" for k, label in STATUS_LABELS.items())
        raise InvalidInput(f"{option}“{value}”无效，应为：{names}")
    return key
