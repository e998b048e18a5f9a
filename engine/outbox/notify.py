"""Messages caused by lifecycle events (assignment, return, decisions …), queued in the outbox
in the same transaction as the change that caused them."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from engine.outbox import queue as outbox
from engine.outbox.messages import buttons_for, render_task_message
from engine.outbox.recipients import office_people, task_unit_people
from engine.store.policy import get_policy
from models import Person, Task


def _send(session: Session, *, task: Task, kind: str, people: list[Person], headline: str,
          ask: str, now: datetime, key_extra: str = "", buttons: bool = False) -> int:
    rendered = render_task_message(session, task=task, headline=headline, ask=ask, now=now)
    hold = None if task.priority == "urgent" else outbox.quiet_until(now, get_policy(session))
    count = 0
    for person in people:
        key = f"{kind}:{task.id}:{person.id}:v{task.deadline_version}{key_extra}"
        count += outbox.enqueue(
            session, dedupe_key=key, kind=kind, recipient=person, task_id=task.id,
            subject=rendered.subject, body=rendered.text, body_html=rendered.html, now=now,
            not_before=hold, actions=buttons_for(task) if buttons else None,
        )
    return count


def task_assigned(session: Session, *, task: Task, now: datetime) -> int:
    return _send(session, task=task, kind="assigned", people=task_unit_people(session, task),
                 headline="督办交办", ask="及时签收，并按时限反馈办理进展", now=now, buttons=True)


def task_returned(session: Session, *, task: Task, reason: str, now: datetime, seq: int) -> int:
    return _send(session, task=task, kind="returned",
                 people=task_unit_people(session, task, lead_only=True),
                 headline="办结申请被退回", ask=f"按退回意见继续办理：{reason}", now=now,
                 key_extra=f":{seq}")


def task_closed(session: Session, *, task: Task, now: datetime) -> int:
    return _send(session, task=task, kind="closed",
                 people=task_unit_people(session, task, lead_only=True),
                 headline="事项已销号", ask="做好长效管理，迎接回头看", now=now)


def task_reopened(session: Session, *, task: Task, reason: str, now: datetime, seq: int) -> int:
    return _send(session, task=task, kind="reopened", people=task_unit_people(session, task),
                 headline="回头看发现问题，事项重新打开", ask=f"立即整改：{reason}", now=now,
                 key_extra=f":{seq}", buttons=True)


def completion_requested(session: Session, *, task: Task, now: datetime, seq: int) -> int:
    return _send(session, task=task, kind="review", people=office_people(session),
                 headline="申请办结待审核", ask="审核证明材料并销号或退回", now=now,
                 key_extra=f":{seq}")


def extension_requested(session: Session, *, task: Task, now: datetime, seq: int) -> int:
    return _send(session, task=task, kind="extension_request", people=office_people(session),
                 headline="延期申请待审批", ask="审批延期申请", now=now, key_extra=f":{seq}")


def extension_decided(session: Session, *, task: Task, approved: bool, now: datetime,
                      seq: int) -> int:
    verdict = "延期申请已批准" if approved else "延期申请未获批准"
    ask = "按新时限办结" if approved else "按原时限办结"
    return _send(session, task=task, kind="extension_decision",
                 people=task_unit_people(session, task, lead_only=True), headline=verdict,
                 ask=ask, now=now, key_extra=f":{seq}")
