"""Messages caused by lifecycle events (assignment, return, decisions …), queued in the outbox
in the same transaction as the change that caused them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, func, select

from engine.outbox import queue as outbox
from engine.outbox.evidence import file_list, send_files
from engine.outbox.messages import buttons_for, render_task_message, review_buttons
from engine.outbox.recipients import office_people, task_unit_people, unit_people
from engine.store.policy import get_policy
from models import Attachment, AuditEvent, Person, Task


def event_seq(session: Session, task: Task) -> int:
    """A number unique per event on the task, to key its one-off notifications."""
    count = session.exec(
        select(func.count()).select_from(AuditEvent).where(
            AuditEvent.entity == "task", col(AuditEvent.entity_id) == task.id
        )
    ).one()
    return int(count)


def _hold(session: Session, task: Task, now: datetime) -> datetime | None:
    return None if task.priority == "urgent" else outbox.quiet_until(now, get_policy(session))


def _send(session: Session, *, task: Task, kind: str, people: list[Person], headline: str,
          ask: str, now: datetime, key_extra: str = "",
          buttons: list[dict[str, str]] | None = None) -> int:
    rendered = render_task_message(session, task=task, headline=headline, ask=ask, now=now)
    hold = _hold(session, task, now)
    count = 0
    for person in people:
        key = f"{kind}:{task.id}:{person.id}:v{task.deadline_version}{key_extra}"
        count += outbox.enqueue(
            session, dedupe_key=key, kind=kind, recipient=person, task_id=task.id,
            subject=rendered.subject, body=rendered.text, body_html=rendered.html, now=now,
            not_before=hold, actions=buttons,
        )
    return count


def task_assigned(session: Session, *, task: Task, now: datetime) -> int:
    return _send(session, task=task, kind="assigned", people=task_unit_people(session, task),
                 headline="督办交办", ask="及时签收，并按时限反馈办理进展", now=now,
                 buttons=buttons_for(task))


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
                 key_extra=f":{seq}", buttons=buttons_for(task))


def completion_requested(session: Session, *, task: Task, now: datetime, seq: int,
                         attachments: Sequence[Attachment] = ()) -> int:
    """The evidence files (one message each), then the review message with the 审核销号 / 退回
    buttons, to the office: it sees the files before it decides."""
    people = office_people(session)
    count = send_files(session, task=task, people=people, attachments=attachments,
                       headline="办结证明材料", now=now, hold=_hold(session, task, now))
    return count + _send(session, task=task, kind="review", people=people,
                         headline="申请办结待审核",
                         ask=f"审核证明材料{file_list(attachments)}并销号或退回", now=now,
                         key_extra=f":{seq}", buttons=review_buttons(task))


def extension_requested(session: Session, *, task: Task, now: datetime, seq: int,
                        requested: str, reason: str,
                        attachments: Sequence[Attachment] = ()) -> int:
    """``requested``: the new deadline as written and resolved ("4月30日前（2024-04-30 23:59）")."""
    people = office_people(session)
    count = send_files(session, task=task, people=people, attachments=attachments,
                       headline="延期申请材料", now=now, hold=_hold(session, task, now))
    return count + _send(session, task=task, kind="extension_request", people=people,
                         headline="延期申请待审批",
                         ask=f"审批延期申请（第 {seq} 号）：申请延至 {requested}；理由：{reason}"
                             f"{file_list(attachments)}",
                         now=now, key_extra=f":{seq}")


def extension_decided(session: Session, *, task: Task, approved: bool, now: datetime,
                      seq: int) -> int:
    verdict = "延期申请已批准" if approved else "延期申请未获批准"
    ask = "按新时限办结" if approved else "按原时限办结"
    return _send(session, task=task, kind="extension_decision",
                 people=task_unit_people(session, task, lead_only=True), headline=verdict,
                 ask=ask, now=now, key_extra=f":{seq}")


def task_edited(session: Session, *, task: Task, changes: list[str], removed: set[int],
                now: datetime, seq: int) -> int:
    """The office corrected an assigned task: its units hear what changed; a unit taken off it
    hears that it no longer handles it."""
    what = "；".join(changes) or "事项信息已更新"
    count = _send(session, task=task, kind="edited", people=task_unit_people(session, task),
                  headline="督办事项变更", ask=f"按变更后的要求办理（{what}）", now=now,
                  key_extra=f":{seq}", buttons=buttons_for(task))
    gone = [p for unit_id in sorted(removed) for p in unit_people(session, unit_id)]
    return count + _send(session, task=task, kind="edited", people=gone,
                         headline="督办事项变更：本单位不再承办",
                         ask=f"本单位已不再承办此事项（{what}），无需再办理或反馈",
                         now=now, key_extra=f":{seq}:off")
