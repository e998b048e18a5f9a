"""The escalation pass: ladder steps, idempotence, catch-up, extensions, closing, quiet hours."""

from __future__ import annotations

from sqlmodel import Session, col, select

from engine.escalation.ladder import ladder
from engine.escalation.run import run_pass
from engine.store.ids import pk
from engine.store.policy import get_policy
from engine.tasks.actions import acknowledge, report_progress, request_completion, verify_and_close
from engine.tasks.directives import create_directive
from engine.tasks.extensions import decide_extension, request_extension
from models import AuditEvent, DirectiveCreate, OutboxMessage, Task
from tests.factories import act, at, make_city, make_task, system


def _kinds(items: list) -> list[tuple[str, int]]:
    return sorted({(p.kind, p.level) for p in items})


def test_reminders_then_levels_on_working_days(session: Session) -> None:
    city = make_city(session)
    # Due Friday 2024-03-15 end of day: reminders Tue 12th (3 wd) and Thu 14th (1 wd), due morning.
    task = make_task(session, city, due="3月15日前", cadence_days=60)
    assert run_pass(session=session, actor=system(), now=at("2024-03-12", "08:00")) == []
    first = run_pass(session=session, actor=system(), now=at("2024-03-12", "09:30"))
    assert _kinds(first) == [("reminder", 0)]
    assert {p.recipient for p in first} == {"张联络", "陈支队"}
    assert run_pass(session=session, actor=system(), now=at("2024-03-13", "09:30")) == []
    assert _kinds(run_pass(session=session, actor=system(), now=at("2024-03-14", "09:30"))) == [("reminder", 0)]
    assert _kinds(run_pass(session=session, actor=system(), now=at("2024-03-15", "09:30"))) == [("reminder", 0)]
    # Weekend: still level 0; Monday 18th is the 1st working day after → 催办.
    assert run_pass(session=session, actor=system(), now=at("2024-03-17", "10:00")) == []
    lvl1 = run_pass(session=session, actor=system(), now=at("2024-03-18", "09:30"))
    assert _kinds(lvl1) == [("escalation", 1)]
    lvl2 = run_pass(session=session, actor=system(), now=at("2024-03-19", "09:30"))
    assert _kinds(lvl2) == [("escalation", 2)]
    assert "李占明" in {p.recipient for p in lvl2}
    lvl3 = run_pass(session=session, actor=system(), now=at("2024-03-22", "09:30"))
    assert _kinds(lvl3) == [("escalation", 3)]
    assert {"王炳森", "赵督查"} <= {p.recipient for p in lvl3}
    session.refresh(task)
    assert task.escalation_level == 3


def test_same_now_twice_creates_nothing(session: Session) -> None:
    city = make_city(session)
    make_task(session, city, due="3月15日前")
    now = at("2024-03-19", "09:30")
    assert run_pass(session=session, actor=system(), now=now)
    count = len(session.exec(select(OutboxMessage)).all())
    events = len(session.exec(select(AuditEvent)).all())
    assert run_pass(session=session, actor=system(), now=now) == []
    assert len(session.exec(select(OutboxMessage)).all()) == count
    assert len(session.exec(select(AuditEvent)).all()) == events


def test_catch_up_after_downtime_fires_each_level_once_and_skips_reminders(session: Session) -> None:
    city = make_city(session)
    make_task(session, city, due="3月15日前", cadence_days=60)
    created = run_pass(session=session, actor=system(), now=at("2024-04-01", "10:00"))
    assert _kinds(created) == [("escalation", 1), ("escalation", 2), ("escalation", 3)]
    levels = [p.level for p in created if p.recipient == "张联络"]
    assert levels == [1, 2, 3]


def test_extension_resets_the_ladder(session: Session) -> None:
    city = make_city(session)
    task = make_task(session, city, due="3月15日前")
    acknowledge(session=session, task=task.code, actor=act(city.fire_contact), now=at("2024-03-05"))
    run_pass(session=session, actor=system(), now=at("2024-03-18", "10:00"))
    session.refresh(task)
    assert task.escalation_level == 1
    req = request_extension(session=session, task=task.code, actor=act(city.fire_head),
                            new_due="4月30日前", reason="设备未到货", now=at("2024-03-18", "11:00"))
    decide_extension(session=session, request_id=pk(req), actor=act(city.office), approve=True,
                     now=at("2024-03-18", "12:00"))
    session.refresh(task)
    assert task.escalation_level == 0 and task.deadline_version == 2
    assert task.original_due_at is not None and task.due_at is not None
    assert task.original_due_at < task.due_at
    assert [p for p in run_pass(session=session, actor=system(), now=at("2024-03-19", "10:00")) if p.kind != "stale"] == []
    late = run_pass(session=session, actor=system(), now=at("2024-05-06", "10:00"))
    assert ("escalation", 1) in _kinds(late)


def test_closing_cancels_pending_messages(session: Session) -> None:
    city = make_city(session)
    task = make_task(session, city, due="3月15日前")
    acknowledge(session=session, task=task.code, actor=act(city.fire_contact), now=at("2024-03-05"))
    run_pass(session=session, actor=system(), now=at("2024-03-18", "10:00"))
    report_progress(session=session, task=task.code, actor=act(city.fire_contact), text="完成",
                    now=at("2024-03-18", "11:00"))
    request_completion(session=session, task=task.code, actor=act(city.fire_head), evidence="照片",
                       now=at("2024-03-18", "11:00"))
    verify_and_close(session=session, task=task.code, actor=act(city.office), rating="良好",
                     now=at("2024-03-18", "12:00"))
    pending = session.exec(select(OutboxMessage).where(
        OutboxMessage.status == "pending", col(OutboxMessage.kind).in_(["escalation", "reminder"])
    )).all()
    assert pending == []
    later = run_pass(session=session, actor=system(), now=at("2024-04-30", "10:00"))
    # Only the 回头看 falls due (30 days after close-out), to the office.
    assert _kinds(later) == [("recheck", 0)] and {p.recipient for p in later} == {"赵督查"}


def test_urgent_minutes(session: Session) -> None:
    city = make_city(session)
    city.directive = create_directive(
        session=session, actor=act(city.office), now=at("2024-03-04", "23:00"),
        data=DirectiveCreate(kind="hotline", title="突发火情", issued_at=at("2024-03-04", "23:00")))
    make_task(session, city, due="1小时内", priority="urgent", now=at("2024-03-04", "23:00"),
              cadence_days=60)
    # Due 00:00 (+1 min for assignment does not move it). Reminder at 23:45 despite quiet hours.
    created = run_pass(session=session, actor=system(), now=at("2024-03-04", "23:46"))
    assert _kinds(created) == [("reminder", 0)]
    rows = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "reminder")).all()
    assert all(r.next_attempt_at.astimezone(at("2024-03-04").tzinfo).hour == 23 for r in rows)
    late = run_pass(session=session, actor=system(), now=at("2024-03-05", "00:00:30"))
    assert _kinds(late) == [("escalation", 2)]


def test_quiet_hours_hold_normal_messages_until_morning(session: Session) -> None:
    city = make_city(session)
    make_task(session, city, due="3月15日前")
    run_pass(session=session, actor=system(), now=at("2024-03-18", "23:30"))
    rows = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "escalation")).all()
    assert rows and all(r.next_attempt_at == at("2024-03-19", "07:00") for r in rows)


def test_stale_progress_nudge(session: Session) -> None:
    city = make_city(session)
    task = make_task(session, city, due="年底前")
    acknowledge(session=session, task=task.code, actor=act(city.fire_contact), now=at("2024-03-05"))
    assert [p for p in run_pass(session=session, actor=system(), now=at("2024-03-10")) if p.kind == "stale"] == []
    nudged = [p for p in run_pass(session=session, actor=system(), now=at("2024-03-12")) if p.kind == "stale"]
    assert {p.recipient for p in nudged} >= {"张联络", "刘住建"}
    assert [p for p in run_pass(session=session, actor=system(), now=at("2024-03-13")) if p.kind == "stale"] == []
    report_progress(session=session, task=task.code, actor=act(city.fire_contact), text="推进中",
                    now=at("2024-03-13"))
    assert [p for p in run_pass(session=session, actor=system(), now=at("2024-03-19")) if p.kind == "stale"] == []
    assert [p for p in run_pass(session=session, actor=system(), now=at("2024-03-21")) if p.kind == "stale"]


def test_ladder_across_spring_festival_and_makeup_day() -> None:
    from config.policy import Policy

    policy = Policy()
    # Due Friday 2024-02-09 (eve of the holiday). First working day after: Sunday 02-18 (调休).
    steps = {s.key: s.at for s in ladder(at("2024-02-09", "23:59"), "normal", policy)}
    assert steps["L1"].date().isoformat() == "2024-02-18"
    assert steps["L2"].date().isoformat() == "2024-02-19"
    assert steps["L3"].date().isoformat() == "2024-02-22"
    # 1 working day before Monday 2024-02-05: Sunday 02-04 is a make-up working day.
    before = {s.key: s.at for s in ladder(at("2024-02-05", "23:59"), "normal", policy)}
    assert before["r1"].date().isoformat() == "2024-02-04"


def test_next_check_streams_only_due_tasks(session: Session) -> None:
    city = make_city(session)
    for i in range(5):
        make_task(session, city, due="年底前", title=f"长期任务{i}")
    run_pass(session=session, actor=system(), now=at("2024-03-05"))
    assert get_policy(session) is not None
    waiting = session.exec(select(Task).where(col(Task.next_check_at) <= at("2024-03-06"))).all()
    assert waiting == []
