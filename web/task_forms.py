"""The task page's action forms: how each form's fields become one engine service call.

The web checks nothing the engine checks: it turns text into the types a service takes (a
number, a list of uploads, an id) and calls the same service the CLI calls. When the service
refuses a value, :func:`field_of` says beside which field the message belongs — the field whose
name the engine's message starts with (the engine names the field it refuses), or the file
field for file refusals, or the form's main field.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session
from starlette.datastructures import FormData, UploadFile

from engine.errors import (
    DeadlineParseError,
    DubanError,
    EvidenceRequired,
    FileRejected,
    FileTooLarge,
    InvalidInput,
)
from engine.files.ingest import Upload
from engine.inputs import whole_number
from engine.org.actors import Actor
from models import DirectiveCreate

GENERAL = "form"
"""The error slot at the top of a form (refusals that are about no one field)."""


class FieldError(Exception):
    """A value the web could not even turn into the type the service takes."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


@dataclass(frozen=True)
class Call:
    """What a form call needs besides its values."""

    session: Session
    actor: Actor
    code: str
    now: datetime
    directive_id: int
    extension_ids: frozenset[int]


Service = Callable[[Call, dict[str, Any]], object]


@dataclass(frozen=True)
class ActionForm:
    """One action's form: its fields (name → the engine's word for it), the field a refusal
    naming no field goes to, the notice after success, and the service call."""

    done: str
    main: str
    call: Service
    labels: dict[str, str] = field(default_factory=dict)
    multipart: bool = False


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def quantity(form: FormData, name: str, label: str) -> float | None:
    """The number typed (empty: none); the engine judges NaN, infinity, sign and size."""
    raw = text(form, name).strip().replace(",", "").replace("，", "")
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise FieldError(name, f"{label}须填写数字，如 30 或 12.5") from None
    return value


_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def deadline(form: FormData, name: str) -> str:
    """A deadline as documents write it: a date picker's ``2024-05-31`` becomes
    ``2024年5月31日前`` (what the task then shows); anything else goes to the engine as typed,
    an impossible date included, for the engine to refuse."""
    raw = text(form, name)
    found = _ISO_DAY.fullmatch(raw.strip())
    if found is None:
        return raw
    year, month, day = (int(part) for part in found.groups())
    try:
        date(year, month, day)
    except ValueError:
        return raw
    return f"{year}年{month}月{day}日前"


def choice(form: FormData, name: str, label: str) -> int | None:
    """The number of an item picked from a list the page offers (a 阶段节点): only a crafted or
    stale page sends anything but one, and the refusal goes above the form (a select, or no
    field at all when nothing is offered, has no slot of its own)."""
    raw = text(form, name).strip()
    if not raw:
        return None
    number = whole_number(raw)
    if number is None:
        raise FieldError(GENERAL, f"{label}无效，请刷新页面后重新选择")
    return number


def uploads(form: FormData, name: str = "files") -> list[Upload]:
    """The files chosen (an empty file input sends a part without a name: not a file)."""
    found = []
    for item in form.getlist(name):
        if isinstance(item, UploadFile) and item.filename:
            found.append(Upload(name=item.filename, stream=item.file, declared_size=item.size))
    return found


def field_of(form: ActionForm, error: DubanError) -> str:
    """Beside which field the engine's refusal ``error`` is shown."""
    if isinstance(error, FileRejected | FileTooLarge | EvidenceRequired):
        return "files"
    if isinstance(error, DeadlineParseError) and "new_due" in form.labels:
        return "new_due"
    for name, label in form.labels.items():
        if error.message.startswith(label):
            return name
    return form.main if isinstance(error, InvalidInput) else GENERAL


def _ack(c: Call, v: dict[str, Any]) -> object:
    from engine.tasks.actions import acknowledge

    return acknowledge(session=c.session, task=c.code, actor=c.actor, now=c.now,
                       for_unit=v["for_unit"])


def _progress(c: Call, v: dict[str, Any]) -> object:
    from engine.tasks.actions import report_progress

    return report_progress(session=c.session, task=c.code, actor=c.actor, now=c.now,
                           text=v["text"], achieved=v["achieved"], milestone=v["milestone"],
                           for_unit=v["for_unit"], files=v["files"])


def _complete(c: Call, v: dict[str, Any]) -> object:
    from engine.tasks.actions import request_completion

    return request_completion(session=c.session, task=c.code, actor=c.actor, now=c.now,
                              evidence=v["evidence"], achieved=v["achieved"],
                              for_unit=v["for_unit"], files=v["files"])


def _extend(c: Call, v: dict[str, Any]) -> object:
    from engine.tasks.extensions import request_extension

    return request_extension(session=c.session, task=c.code, actor=c.actor, now=c.now,
                             new_due=v["new_due"], reason=v["reason"], files=v["files"])


def _assign(c: Call, v: dict[str, Any]) -> object:
    from engine.tasks.creation import assign_task

    return assign_task(session=c.session, task=c.code, actor=c.actor, now=c.now,
                       allow_past_due=v["confirm"])


def _verify(c: Call, v: dict[str, Any]) -> object:
    from engine.tasks.actions import verify_and_close

    return verify_and_close(session=c.session, task=c.code, actor=c.actor, now=c.now,
                            rating=v["rating"], note=v["note"])


def _return(c: Call, v: dict[str, Any]) -> object:
    from engine.tasks.actions import return_task

    return return_task(session=c.session, task=c.code, actor=c.actor, now=c.now,
                       reason=v["reason"])


def _cancel(c: Call, v: dict[str, Any]) -> object:
    from engine.tasks.actions import cancel_task

    return cancel_task(session=c.session, task=c.code, actor=c.actor, now=c.now,
                       reason=v["reason"])


def _decide(approve: bool) -> Service:
    def call(c: Call, v: dict[str, Any]) -> object:
        from engine.tasks.extensions import decide_extension

        request_id = v["request_id"]
        if request_id is None or request_id not in c.extension_ids:
            raise FieldError(GENERAL, "未找到本事项的这项延期申请，请刷新页面后重试")
        return decide_extension(session=c.session, request_id=request_id, actor=c.actor,
                                approve=approve, now=c.now, note=v["note"])
    return call


def _recheck(c: Call, v: dict[str, Any]) -> object:
    from engine.tasks.rechecks import record_recheck

    return record_recheck(session=c.session, task=c.code, actor=c.actor, now=c.now,
                          passed=v["result"] != "failed", note=v["note"],
                          new_due=v["new_due"] or None)


def _followup(c: Call, v: dict[str, Any]) -> object:
    from engine.tasks.directives import create_directive

    data = DirectiveCreate(kind="followup", title=v["title"], text=v["text"],
                           issued_by_id=c.actor.person_id, issued_at=c.now,
                           parent_id=c.directive_id)
    return create_directive(session=c.session, data=data, actor=c.actor, now=c.now)


FORMS: dict[str, ActionForm] = {
    "acknowledge": ActionForm("已签收", GENERAL, _ack),
    "report_progress": ActionForm("已反馈进展", "text", _progress, {
        "text": "进展内容", "achieved": "完成量"}, multipart=True),
    "request_completion": ActionForm("已申请办结，等待督查室审核销号", "evidence", _complete, {
        "evidence": "证明材料说明", "achieved": "完成量"}, multipart=True),
    "request_extension": ActionForm("已提交延期申请，等待督查室审批", "reason", _extend, {
        "new_due": "申请的新时限", "reason": "延期理由"}, multipart=True),
    "assign": ActionForm("已交办", GENERAL, _assign),
    "verify": ActionForm("已审核销号", "rating", _verify, {"rating": "评价", "note": "审核意见"}),
    "return": ActionForm("已退回", "reason", _return, {"reason": "退回理由"}),
    "approve_extension": ActionForm("已批准延期", "note", _decide(True), {"note": "审批意见"}),
    "reject_extension": ActionForm("已驳回延期", "note", _decide(False), {"note": "审批意见"}),
    "recheck": ActionForm("已记录回头看", "note", _recheck, {
        "note": "回头看情况", "new_due": "整改时限"}),
    "cancel": ActionForm("已撤销", "reason", _cancel, {"reason": "撤销理由"}),
    "followup": ActionForm("已添加跟批", "text", _followup, {
        "title": "来源事项标题", "text": "来源事项原文"}),
}
"""Every action the task page posts, by the path segment it posts to."""


TEXT_FIELDS = ("for_unit", "text", "evidence", "reason", "note", "title", "new_due", "rating",
               "result", "achieved", "milestone", "request_id")
"""The fields a re-rendered form shows again as typed."""


def typed(form: FormData) -> dict[str, str]:
    """The text fields as typed, to show a refused form again."""
    return {name: text(form, name) for name in TEXT_FIELDS}


def values(form: FormData) -> dict[str, Any]:
    """Every field any form may carry, typed (missing ones empty): each service takes its own."""
    return {
        "for_unit": text(form, "for_unit").strip() or None,
        "text": text(form, "text"), "evidence": text(form, "evidence"),
        "reason": text(form, "reason"), "note": text(form, "note"),
        "title": text(form, "title"), "new_due": deadline(form, "new_due"),
        "rating": text(form, "rating") or "合格", "result": text(form, "result"),
        "achieved": quantity(form, "achieved", "完成量"),
        "milestone": choice(form, "milestone", "阶段节点"),
        # A hidden field: anything but an id is no request of this task (_decide says so).
        "request_id": whole_number(text(form, "request_id")),
        "files": uploads(form), "confirm": text(form, "confirm") == "yes",
    }
