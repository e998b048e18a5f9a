"""The engine services one by one: directives and 跟批 chains, task creation (decomposition,
milestones, quantity targets), per-unit acknowledgement, progress, completion and verification,
return, extensions, cancel and 回头看. Every refusal leaves the database unchanged."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, col, select

from config.policy import Policy
from engine.errors import (
    DeadlineParseError,
    DubanError,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PolicyViolation,
)
from engine.outbox import queue as outbox
from engine.read.directives import directive_tree
from engine.read.tasks import task_rows
from engine.store.policy import save_policy
from engine.tasks.actions import (
    acknowledge,
    cancel_task,
    report_progress,
    request_completion,
    return_task,
    verify_and_close,
)
from engine.tasks.audit import verify_chain
from engine.tasks.creation import create_task
from engine.tasks.directives import create_directive
from engine.tasks.extensions import decide_extension, request_extension
from engine.tasks.rechecks import record_recheck, schedule_recheck
from models import (
    AuditEvent,
    Directive,
    DirectiveCreate,
    ExtensionRequest,
    Milestone,
    MilestoneCreate,
    OutboxMessage,
    ProgressReport,
    Recheck,
    Task,
    TaskCreate,
    TaskUnit,
)
from tests.engine.tasks.test_lifecycle import dump_db, has_chinese
from tests.factories import ISSUED, TZ, City, act, at, make_city, make_task, operator

T0 = ISSUED + timedelta(hours=1)


def _id(value: int | None) -> int:
    assert value is not None
    return value


def refused(session: Session, error: type[DubanError], call: Callable[[], object],
            match: str | None = None) -> DubanError:
    """``call`` raises ``error`` (Chinese message) and every table is as it was."""
    before = dump_db(session)
    with pytest.raises(error, match=match) as info:
        call()
    assert has_chinese(str(info.value))
    assert dump_db(session) == before
    return info.value


def _directive(session: Session, city: City, *, actor: object = None, now: datetime = T0,
               **kw: object) -> Directive:
    values: dict[str, object] = {"kind": "instruction", "title": "批示", "issued_at": ISSUED,
                                 "issued_by_id": city.secretary.id}
    values.update(kw)
    return create_directive(session=session, data=DirectiveCreate(**values),  # type: ignore[arg-type]
                            actor=actor or act(city.office), now=now)  # type: ignore[arg-type]


def _link(session: Session, task: Task, unit_code: str) -> TaskUnit:
    from engine.org.directory import find_unit

    unit = find_unit(session, unit_code)
    return session.exec(select(TaskUnit).where(TaskUnit.task_id == task.id,
                                               TaskUnit.unit_id == unit.id)).one()


def _outbox(session: Session, task: Task, kind: str) -> list[OutboxMessage]:
    return list(session.exec(select(OutboxMessage).where(OutboxMessage.task_id == task.id,
                                                         OutboxMessage.kind == kind)).all())


# -- directives and 跟批 chains ------------------------------------------------------------------


def _followup_chain(session: Session, city: City) -> None:
    root = city.directive
    first = _directive(session, city, kind="followup", title="请住建局配合", parent_id=root.id,
                       issued_at=ISSUED + timedelta(hours=1), actor=act(city.secretary),
                       now=ISSUED + timedelta(hours=1))
    second = _directive(session, city, kind="followup", title="请3月底前报结果",
                        parent_id=first.id, issued_by_id=city.vice_mayor.id,
                        issued_at=ISSUED + timedelta(hours=2), actor=act(city.vice_mayor),
                        now=ISSUED + timedelta(hours=2))
    task = make_task(session, city)
    sub = create_task(session=session, data=TaskCreate(
        directive_id=_id(second.id), title="报送整治结果", lead_unit="FIRE", due="3月31日前"),
        actor=act(city.office), now=ISSUED + timedelta(hours=3))
    assert (first.parent_id, second.parent_id) == (root.id, first.id)
    # Asked from the leaf: the whole tree from the root, the leaf marked.
    tree = directive_tree(session=session, actor=act(city.office), directive_id=_id(second.id),
                          now=T0)
    assert tree.id == root.id and not tree.focus
    assert [t.id for t in tree.tasks] == [task.id]
    assert [c.id for c in tree.children] == [first.id]
    assert [c.id for c in tree.children[0].children] == [second.id]
    assert tree.children[0].children[0].focus
    assert [t.id for t in tree.children[0].children[0].tasks] == [sub.id]
    # A unit sees the tree with its own tasks only; another unit does not find it at all.
    fire = directive_tree(session=session, actor=act(city.fire_contact),
                          directive_id=_id(root.id), now=T0)
    assert [t.id for t in fire.tasks] == [task.id]
    refused(session, NotFound, lambda: directive_tree(
        session=session, actor=act(city.emerg_contact), directive_id=_id(root.id), now=T0),
        "未找到来源事项")
    events = session.exec(select(AuditEvent).where(AuditEvent.entity == "directive")).all()
    assert {e.after["parent_id"] for e in events if e.after} >= {root.id, first.id}


def _directive_refusals(session: Session, city: City) -> None:
    root = city.directive
    refused(session, InvalidInput, lambda: _directive(session, city, kind="followup"), "上级批示")
    refused(session, InvalidInput, lambda: _directive(
        session, city, kind="followup", parent_id=root.id, issued_at=ISSUED - timedelta(days=1)),
        "早于原批示")
    refused(session, NotFound, lambda: _directive(session, city, kind="followup", parent_id=999))
    refused(session, InvalidInput, lambda: _directive(session, city, kind="memo"), "来源类型")
    refused(session, InvalidInput, lambda: _directive(session, city, title="  "), "标题")
    refused(session, InvalidInput, lambda: _directive(
        session, city, issued_at=T0 + timedelta(days=1)), "晚于当前")
    refused(session, InvalidInput, lambda: _directive(
        session, city, issued_at=datetime(2024, 3, 4, 9, 0)), "时区")
    refused(session, InvalidInput, lambda: _directive(session, city, issued_by_id=999), "签发人")


def _read_only(session: Session, city: City) -> None:
    memo = _directive(session, city, title="阅", read_only=True)
    refused(session, PolicyViolation, lambda: create_task(session=session, data=TaskCreate(
        directive_id=_id(memo.id), title="x", lead_unit="FIRE", due="3月31日前"),
        actor=act(city.office), now=T0), "阅知")


# -- task creation -------------------------------------------------------------------------------


def _keeps_text(session: Session, city: City) -> None:
    task = make_task(session, city, assign=False, co=["HOUSING", "EMERG"], owner="陈支队",
                     priority="high", requirement="逐一建立台账")
    second = make_task(session, city, assign=False, lead="D1", co=[])
    assert (task.code, second.code) == ("DB-2024-0001", "DB-2024-0002")
    assert task.status == "draft" and task.priority == "high"
    assert task.due_text == task.original_due_text == "3月31日前"
    assert task.due_at == task.original_due_at == at("2024-03-31", "23:59:59").astimezone(UTC)
    assert task.deadline_version == 1 and task.extension_count == 0
    assert task.leader_id == city.vice_mayor.id and task.owner_id == city.fire_head.id
    roles: dict[str, list[int]] = {}
    for link in session.exec(select(TaskUnit).where(TaskUnit.task_id == task.id)).all():
        roles.setdefault(link.role, []).append(link.unit_id)
        assert link.acknowledged_at is None
    assert len(roles["lead"]) == 1 and len(roles["co"]) == 2
    row = task_rows(session, [task], T0)[0].to_json()
    assert row["lead_unit"] == "市消防救援支队"
    assert row["co_units"] == ["市住房和城乡建设局", "市应急管理局"]
    assert row["due_at"] == "2024-03-31T23:59:59+08:00" == row["original_due_at"]


def _leader_by_title(session: Session, city: City) -> None:
    data = TaskCreate(directive_id=_id(city.directive.id), title="t", lead_unit="消防", due="一个月内",
                      leader="占明副市长", owner="张联络")
    task = create_task(session=session, data=data, actor=act(city.office), now=T0)
    assert task.leader_id == city.vice_mayor.id
    assert task.due_at == at("2024-04-04", "23:59:59").astimezone(UTC)


def _decomposition(session: Session, city: City) -> None:
    parent = make_task(session, city, co=["HOUSING", "D1"])
    child = create_task(session=session, data=TaskCreate(
        directive_id=_id(city.directive.id), parent_id=parent.id, title="东城区排查", lead_unit="D1",
        due="3月20日前"), actor=act(city.office), now=T0)
    assert child.parent_id == parent.id
    assert child.leader_id == parent.leader_id == city.vice_mayor.id  # inherited
    assert child.code.startswith("DB-2024-") and child.code != parent.code
    refused(session, NotFound, lambda: create_task(session=session, data=TaskCreate(
        directive_id=_id(city.directive.id), parent_id=999, title="x", lead_unit="D1",
        due="3月20日前"), actor=act(city.office), now=T0))


def test_milestones_and_quantity_target(session: Session) -> None:
    city = make_city(session)
    task = make_task(session, city, target=100, measure="个", milestones=[
        MilestoneCreate(title="完成摸底", due="3月15日前"),
        MilestoneCreate(title="完成整改", due="3月25日前")])
    stones = session.exec(select(Milestone).where(Milestone.task_id == task.id)
                          .order_by(col(Milestone.seq))).all()
    assert [(m.seq, m.title, m.due_text) for m in stones] == [
        (1, "完成摸底", "3月15日前"), (2, "完成整改", "3月25日前")]
    assert stones[0].due_at == at("2024-03-15", "23:59:59").astimezone(UTC)
    assert (task.target, task.measure, task.achieved) == (100, "个", None)
    acknowledge(session=session, task=task.code, actor=act(city.fire_contact), now=T0)
    report = report_progress(session=session, task=task.code, actor=act(city.fire_contact),
                             text="摸底完成，已整改40个", achieved=40, milestone=1, now=T0)
    session.refresh(task)
    stone = session.get(Milestone, stones[0].id)
    assert stone is not None and stone.done_at == T0.astimezone(UTC)
    assert report.milestone_id == stone.id and report.achieved == 40
    assert task.achieved == 40 and task.status == "in_progress"
    assert task.last_progress_at == T0.astimezone(UTC)
    refused(session, PolicyViolation, lambda: report_progress(
        session=session, task=task.code, actor=act(city.fire_contact), text="再报", milestone=1,
        now=T0), "已完成")
    refused(session, InvalidInput, lambda: report_progress(
        session=session, task=task.code, actor=act(city.fire_contact), text="x", milestone=3, now=T0),
        "阶段节点")
    refused(session, InvalidInput, lambda: report_progress(
        session=session, task=task.code, actor=act(city.fire_contact), text="x", achieved=-1,
        now=T0), "负数")
    refused(session, InvalidInput, lambda: report_progress(
        session=session, task=task.code, actor=act(city.fire_contact), text=" ", now=T0), "进展")
    request_completion(session=session, task=task.code, actor=act(city.fire_head),
                       evidence="验收记录", achieved=100, now=T0)
    session.refresh(task)
    assert task.achieved == 100
    row = task_rows(session, [task], T0)[0]
    assert (row.target, row.achieved, row.measure) == (100, 100, "个")


def test_create_task_refusals(session: Session) -> None:
    city = make_city(session)

    def create(**kw: object) -> Callable[[], object]:
        values: dict[str, object] = {"directive_id": city.directive.id, "title": "事项",
                                     "lead_unit": "FIRE", "due": "3月31日前"}
        values.update(kw)
        return lambda: create_task(session=session, data=TaskCreate(**values),  # type: ignore[arg-type]
                                   actor=act(city.office), now=T0)

    refused(session, NotFound, create(lead_unit="NOPE"), "未找到单位")
    refused(session, NotFound, create(co_units=["NOPE"]), "未找到单位")
    refused(session, InvalidInput, create(co_units=["FIRE"]), "牵头单位")
    refused(session, InvalidInput, create(co_units=["HOUSING", "住建"]), "重复")
    refused(session, NotFound, create(directive_id=999), "来源事项")
    refused(session, NotFound, create(owner="无名氏"), "人员")
    refused(session, InvalidInput, create(leader="张联络"), "不是领导")
    refused(session, InvalidInput, create(priority="asap"), "紧急程度")
    refused(session, InvalidInput, create(target=0), "目标量")
    refused(session, InvalidInput, create(title=""), "标题")
    refused(session, DeadlineParseError, create(due="2月30日前"), "日期不存在")
    refused(session, DeadlineParseError, create(due="过几天"))
    refused(session, InvalidInput, create(due="2024年3月1日前"), "早于下达时间")
    refused(session, InvalidInput, create(milestones=[MilestoneCreate(title="晚", due="4月30日前")]),
            "晚于事项完成时限")


# -- acknowledgement, progress ---------------------------------------------------------------------


def test_each_unit_acknowledges_for_itself(session: Session) -> None:
    city = make_city(session)
    task = make_task(session, city, co=["HOUSING", "EMERG"])
    acknowledge(session=session, task=task.code, actor=act(city.housing_contact), now=T0)
    assert _link(session, task, "HOUSING").acknowledged_at == T0.astimezone(UTC)
    assert _link(session, task, "HOUSING").acknowledged_by_id == city.housing_contact.id
    assert _link(session, task, "FIRE").acknowledged_at is None
    session.refresh(task)
    assert task.status == "assigned"
    later = T0 + timedelta(hours=1)
    acknowledge(session=session, task=task.code, actor=act(city.fire_head), now=later)
    session.refresh(task)
    assert task.status == "acknowledged"
    assert _link(session, task, "FIRE").acknowledged_by_id == city.fire_head.id
    assert _link(session, task, "EMERG").acknowledged_at is None
    refused(session, PolicyViolation, lambda: acknowledge(
        session=session, task=task.code, actor=act(city.fire_contact), now=later), "无需重复签收")
    refused(session, PolicyViolation, lambda: report_progress(
        session=session, task=task.code, actor=act(city.emerg_contact), text="x", now=later), "签收")
    acknowledge(session=session, task=task.code, actor=act(city.emerg_contact), now=later)
    report_progress(session=session, task=task.code, actor=act(city.emerg_contact),
                    text="应急局已完成配合检查", now=later)
    assert _link(session, task, "EMERG").last_feedback_text == "应急局已完成配合检查"
    assert _link(session, task, "FIRE").last_feedback_text is None
    reports = session.exec(select(ProgressReport).where(ProgressReport.task_id == task.id)).all()
    assert [r.unit_id for r in reports] == [_link(session, task, "EMERG").unit_id]
    events = session.exec(select(AuditEvent).where(
        AuditEvent.entity_id == task.id, AuditEvent.action == "acknowledge",
        AuditEvent.entity == "task").order_by(col(AuditEvent.id))).all()
    assert [e.after["unit_role"] for e in events if e.after] == ["co", "lead", "co"]


# -- completion, verification, return ---------------------------------------------------------------


def _to_review(session: Session, city: City, **kw: Any) -> Task:
    task = make_task(session, city, **kw)
    acknowledge(session=session, task=task.code, actor=act(city.fire_contact), now=T0)
    request_completion(session=session, task=task.code, actor=act(city.fire_head),
                       evidence="整改前后照片", now=T0)
    session.refresh(task)
    return task


def _completion(session: Session, city: City) -> None:
    task = make_task(session, city)
    acknowledge(session=session, task=task.code, actor=act(city.fire_contact), now=T0)
    refused(session, InvalidInput, lambda: request_completion(
        session=session, task=task.code, actor=act(city.fire_head), evidence=" ", now=T0), "证明材料")
    request_completion(session=session, task=task.code, actor=act(city.fire_head),
                       evidence="整改前后照片", now=T0)
    session.refresh(task)
    assert task.status == "pending_review"
    report = session.exec(select(ProgressReport).where(ProgressReport.task_id == task.id)).one()
    assert (report.kind, report.text) == ("completion", "整改前后照片")
    assert {m.recipient_id for m in _outbox(session, task, "review")} == {city.office.id}
    refused(session, InvalidInput, lambda: verify_and_close(
        session=session, task=task.code, actor=act(city.office), rating="很好", now=T0), "评价")
    reminder_key = f"reminder:{task.id}:x"
    outbox.enqueue(session, dedupe_key=reminder_key, kind="reminder", recipient=city.fire_contact,
                   body="提醒", now=T0, task_id=task.id)
    session.commit()
    closed_at = T0 + timedelta(days=1)
    verify_and_close(session=session, task=task.code, actor=act(city.office), rating="优秀",
                     note="成效明显", now=closed_at)
    session.refresh(task)
    assert (task.status, task.rating, task.closed_at) == ("closed", "excellent",
                                                          closed_at.astimezone(UTC))
    recheck = session.exec(select(Recheck).where(Recheck.task_id == task.id)).one()
    assert recheck.due_at == (closed_at + timedelta(days=30)).astimezone(UTC)
    reminder = session.exec(select(OutboxMessage).where(
        OutboxMessage.dedupe_key == reminder_key)).one()
    assert reminder.status == "cancelled"
    assert _outbox(session, task, "closed")
    assert task_rows(session, [task], closed_at)[0].light is None
    for label, key in (("良好", "good"), ("合格", "pass"), ("不合格", "fail"), ("pass", "pass")):
        other = _to_review(session, city, title=f"评价{label}")
        verify_and_close(session=session, task=other.code, actor=act(city.office), rating=label, now=T0)
        session.refresh(other)
        assert other.rating == key


def _return(session: Session, city: City) -> None:
    task = _to_review(session, city)
    refused(session, InvalidInput, lambda: return_task(
        session=session, task=task.code, actor=act(city.office), reason="  ", now=T0), "理由")
    return_task(session=session, task=task.code, actor=act(city.office), reason="缺少验收签字", now=T0)
    session.refresh(task)
    assert task.status == "in_progress"
    messages = _outbox(session, task, "returned")
    assert messages and all("缺少验收签字" in m.body for m in messages)
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "return")).one()
    assert event.after == {"status": "in_progress", "reason": "缺少验收签字"}
    request_completion(session=session, task=task.code, actor=act(city.fire_head),
                       evidence="补充签字", now=T0 + timedelta(hours=1))
    return_task(session=session, task=task.code, actor=act(city.office), reason="仍不完整",
                now=T0 + timedelta(hours=2))
    assert len(_outbox(session, task, "returned")) == 2 * len(messages)  # one per return


# -- extensions ------------------------------------------------------------------------------------


def _extension_approved(session: Session, city: City) -> None:
    task = make_task(session, city)
    acknowledge(session=session, task=task.code, actor=act(city.fire_contact), now=T0)
    refused(session, InvalidInput, lambda: request_extension(
        session=session, task=task.code, actor=act(city.fire_head), new_due="3月20日前",
        reason="x", now=T0), "不晚于")
    refused(session, InvalidInput, lambda: request_extension(
        session=session, task=task.code, actor=act(city.fire_head), new_due="4月30日前",
        reason="", now=T0), "理由")
    refused(session, DeadlineParseError, lambda: request_extension(
        session=session, task=task.code, actor=act(city.fire_head), new_due="4月31日前",
        reason="x", now=T0))
    request = request_extension(session=session, task=task.code, actor=act(city.fire_head),
                                new_due="4月30日前", reason="设备采购周期长", now=T0)
    assert request.status == "pending" and request.previous_due_at == task.due_at
    assert _outbox(session, task, "extension_request")
    refused(session, PolicyViolation, lambda: request_extension(
        session=session, task=task.code, actor=act(city.fire_head), new_due="5月31日前",
        reason="x", now=T0), "待审批")
    task.escalation_level = 2  # setup: the ladder had started on the old deadline
    session.add(task)
    session.commit()
    decide_extension(session=session, request_id=_id(request.id), actor=act(city.office), approve=True,
                     note="同意", now=T0)
    session.refresh(task)
    assert task.due_at == at("2024-04-30", "23:59:59").astimezone(UTC)
    assert task.due_text == "4月30日前"
    assert task.original_due_at == at("2024-03-31", "23:59:59").astimezone(UTC)
    assert task.original_due_text == "3月31日前"
    assert (task.deadline_version, task.extension_count, task.escalation_level) == (2, 1, 0)
    row = task_rows(session, [task], T0)[0].to_json()
    assert (row["due_at"], row["original_due_at"]) == ("2024-04-30T23:59:59+08:00",
                                                       "2024-03-31T23:59:59+08:00")
    assert row["extension_count"] == 1
    extend = session.exec(select(AuditEvent).where(AuditEvent.action == "extend")).one()
    assert extend.before and extend.before["due_text"] == "3月31日前"
    refused(session, PolicyViolation, lambda: decide_extension(
        session=session, request_id=_id(request.id), actor=act(city.office), approve=False, now=T0),
        "已处理")
    refused(session, NotFound, lambda: decide_extension(
        session=session, request_id=999, actor=act(city.office), approve=True, now=T0))


def _extension_rejected(session: Session, city: City) -> None:
    task = make_task(session, city)
    request = request_extension(session=session, task=task.code, actor=act(city.fire_contact),
                                new_due="4月30日前", reason="人手不足", now=T0)
    decide_extension(session=session, request_id=_id(request.id), actor=act(city.office), approve=False,
                     note="按原时限", now=T0)
    session.refresh(task)
    stored = session.get(ExtensionRequest, request.id)
    assert stored is not None and stored.status == "rejected"
    assert stored.decided_by_id == city.office.id and stored.decision_note == "按原时限"
    assert (task.due_text, task.deadline_version, task.extension_count) == ("3月31日前", 1, 0)
    assert task.due_at == task.original_due_at
    decisions = _outbox(session, task, "extension_decision")
    assert decisions and all("未获批准" in m.body or "未获批准" in m.subject for m in decisions)


def _extension_cap(session: Session, city: City) -> None:
    save_policy(session, policy=Policy(extension_cap=2), now=ISSUED)
    session.commit()
    task = make_task(session, city)
    for month in (4, 5):
        request = request_extension(session=session, task=task.code, actor=act(city.fire_head),
                                    new_due=f"{month}月30日前", reason="延期", now=T0)
        decide_extension(session=session, request_id=_id(request.id), actor=act(city.office),
                         approve=True, now=T0)
    session.refresh(task)
    assert (task.extension_count, task.deadline_version) == (2, 3)
    assert task.original_due_text == "3月31日前"
    refused(session, PolicyViolation, lambda: request_extension(
        session=session, task=task.code, actor=act(city.fire_head), new_due="6月30日前",
        reason="再延", now=T0), "上限")


# -- cancel and 回头看 --------------------------------------------------------------------------------


def test_cancel(session: Session) -> None:
    city = make_city(session)
    task = make_task(session, city)
    refused(session, InvalidInput, lambda: cancel_task(
        session=session, task=task.code, actor=act(city.office), reason="", now=T0), "理由")
    outbox.enqueue(session, dedupe_key="escalation:x", kind="escalation",
                   recipient=city.fire_contact, body="催办", now=T0, task_id=task.id)
    session.commit()
    cancel_task(session=session, task=task.code, actor=act(city.office), reason="已并入其他事项",
                now=T0)
    session.refresh(task)
    assert task.status == "cancelled"
    assert {m.status for m in _outbox(session, task, "escalation")} == {"cancelled"}
    assert {m.status for m in _outbox(session, task, "assigned")} == {"pending"}
    refused(session, InvalidTransition, lambda: cancel_task(
        session=session, task=task.code, actor=act(city.office), reason="again", now=T0))
    refused(session, NotFound, lambda: cancel_task(
        session=session, task="DB-2024-9999", actor=act(city.office), reason="x", now=T0))


def test_recheck_schedule_record_and_reopen(session: Session) -> None:
    city = make_city(session)
    good = _to_review(session, city, title="好")
    bad = _to_review(session, city, title="坏")
    for task in (good, bad):
        refused(session, InvalidTransition, lambda t=task: schedule_recheck(  # type: ignore[misc]
            session=session, task=t.code, actor=act(city.office), when="6月30日前", now=T0),
            "回头看")
        verify_and_close(session=session, task=task.code, actor=act(city.office), rating="良好",
                         now=T0)
    planned = schedule_recheck(session=session, task=good.code, actor=act(city.office),
                               when="6月30日前", now=T0)
    assert planned.due_at == at("2024-06-30", "23:59:59").astimezone(UTC)
    done = record_recheck(session=session, task=good.code, actor=act(city.office), passed=True,
                          note="未反弹", now=T0 + timedelta(days=40))
    session.refresh(good)
    assert good.status == "closed" and good.rating == "good"
    assert (done.result, done.by_id) == ("passed", city.office.id)
    refused(session, InvalidInput, lambda: record_recheck(
        session=session, task=bad.code, actor=act(city.office), passed=False, note=" ", now=T0),
        "问题")
    reopened = record_recheck(session=session, task=bad.code, actor=act(city.office), passed=False,
                              note="隐患反弹", now=T0 + timedelta(days=40))
    session.refresh(bad)
    assert (bad.status, bad.closed_at, bad.rating) == ("in_progress", None, None)
    assert reopened.result == "reopened" and reopened.note == "隐患反弹"
    assert _outbox(session, bad, "reopened")
    refused(session, InvalidTransition, lambda: record_recheck(
        session=session, task=bad.code, actor=act(city.office), passed=True, note="", now=T0),
        "回头看")
    assert verify_chain(session=session, actor=operator()) > 20


def _aware_utc(session: Session, city: City) -> None:
    task = make_task(session, city)
    session.expire_all()
    fresh = session.get(Task, task.id)
    assert fresh is not None and fresh.due_at is not None
    assert fresh.due_at.tzinfo is not None and fresh.due_at.utcoffset() == timedelta(0)
    assert fresh.due_at.astimezone(TZ).isoformat() == "2024-03-31T23:59:59+08:00"


# -- the combined tests (one city each: building it is the costly part) -------------------------


def test_directives_followup_chains_and_refusals(session: Session) -> None:
    city = make_city(session)
    _followup_chain(session, city)
    _directive_refusals(session, city)
    _read_only(session, city)


def test_task_creation(session: Session) -> None:
    city = make_city(session)
    _keeps_text(session, city)
    _leader_by_title(session, city)
    _decomposition(session, city)
    _aware_utc(session, city)


def test_completion_verification_and_return(session: Session) -> None:
    city = make_city(session)
    _completion(session, city)
    _return(session, city)


def test_extensions(session: Session) -> None:
    city = make_city(session)
    _extension_approved(session, city)
    _extension_rejected(session, city)
    _extension_cap(session, city)


def test_cancelling_withdraws_a_pending_extension_request(session: Session) -> None:
    from engine.tasks.actions import acknowledge, cancel_task

    city = make_city(session)
    task = make_task(session, city, due="3月31日前")
    acknowledge(session=session, task=task.code, actor=act(city.fire_contact), now=at("2024-03-05"))
    request = request_extension(session=session, task=task.code, actor=act(city.fire_head),
                                new_due="4月30日前", reason="材料未到", now=at("2024-03-20"))
    cancel_task(session=session, task=task.code, actor=act(city.office), reason="任务调整",
                now=at("2024-03-21"))
    session.refresh(request)
    assert request.status == "withdrawn" and request.decided_at is not None
    with pytest.raises(InvalidTransition):
        decide_extension(session=session, request_id=request.id or 0, actor=act(city.office),
                         approve=True, now=at("2024-03-22"))
