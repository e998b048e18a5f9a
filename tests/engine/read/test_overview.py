"""The home page (首页): each figure against a reference computed task by task with the
engine's one light rule and visibility check, for every role; the lists, what waits for whom,
today's escalations and the 30-day trend."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import Session, select

from engine.calendar.deadline_forms import DAY_END
from engine.calendar.lights import is_overdue, light
from engine.escalation.run import run_pass
from engine.org.actors import Actor
from engine.org.visibility import can_see_task
from engine.read.overview import LIST_LIMIT, home_overview
from engine.read.tasks import board
from engine.read.trend import TREND_DAYS
from engine.store.policy import get_policy, zone_for
from engine.tasks.actions import acknowledge, request_completion, verify_and_close
from engine.tasks.extensions import request_extension
from engine.values import TaskStatus
from models import AuditEvent, Task
from tests.factories import ISSUED, City, act, at, make_city, make_task, operator, system

NOW = at("2024-03-12", "10:00")


def _world(session: Session) -> City:
    city = make_city(session)
    make_task(session, city, due="3月5日前", title="早已逾期", co=[])
    make_task(session, city, due="3月8日前", title="逾期", lead="HOUSING", co=["FIRE"])
    make_task(session, city, due="3月13日前", title="即将到期", lead="EMERG", co=[])
    make_task(session, city, due="4月30日前", title="远期", lead="D1", co=[])
    make_task(session, city, due=None, title="草稿", assign=False)
    review = make_task(session, city, due="3月20日前", title="申请办结中", co=[])
    acknowledge(session=session, task=review.code, actor=act(city.fire_contact), now=ISSUED)
    request_completion(session=session, task=review.code, actor=act(city.fire_head),
                       evidence="已完成", now=ISSUED + timedelta(days=1))
    done = make_task(session, city, due="3月9日前", title="已办结", co=[])
    acknowledge(session=session, task=done.code, actor=act(city.fire_contact), now=ISSUED)
    request_completion(session=session, task=done.code, actor=act(city.fire_head), evidence="好",
                       now=ISSUED + timedelta(days=2))
    verify_and_close(session=session, task=done.code, actor=act(city.office), rating="good",
                     now=at("2024-03-08", "16:00"))
    ext = make_task(session, city, due="3月15日前", title="申请延期", lead="EMERG", co=[])
    request_extension(session=session, task=ext.code, actor=act(city.emerg_contact),
                      new_due="3月29日前", reason="设备未到", now=ISSUED + timedelta(days=3))
    run_pass(session=session, actor=system(), now=at("2024-03-12", "08:30"))
    session.commit()
    return city


def _actors(city: City) -> dict[str, Actor]:
    return {"office": act(city.office), "operator": operator(), "top": act(city.secretary),
            "leader": act(city.vice_mayor), "fire": act(city.fire_contact),
            "housing": act(city.housing_contact), "emerg": act(city.emerg_contact)}


def _visible(session: Session, who: Actor) -> list[Task]:
    return [t for t in session.exec(select(Task)).all()
            if can_see_task(session, who, t) and t.status != TaskStatus.DRAFT]


def test_figures_match_the_task_by_task_rule_for_every_role(session: Session) -> None:
    city = _world(session)
    policy = get_policy(session)
    for name, who in _actors(city).items():
        home = home_overview(session=session, actor=who, now=NOW)
        tasks = _visible(session, who)
        colours = [light(t, NOW, policy) for t in tasks]
        assert home.lights == {c: colours.count(c) for c in ("red", "yellow", "green")}, name
        reference = sorted((r.unit, r.red, r.yellow, r.green, r.open, r.closed, r.escalated)
                           for r in board(session=session, actor=who, now=NOW))
        assert sorted((r.unit, r.red, r.yellow, r.green, r.open, r.closed, r.escalated)
                      for r in home.board) == reference, name
        overdue = sorted((t for t, c in zip(tasks, colours, strict=True) if c == "red"),
                         key=lambda t: (t.due_at, t.id))
        assert home.overdue_total == len(overdue), name
        assert [r.task.code for r in home.overdue] == [t.code for t in overdue][:LIST_LIMIT], name
        assert all(r.workdays_overdue >= 1 for r in home.overdue), name
        assert {u.unit for u in home.chart} <= {r.unit for r in home.board if r.open}, name
        assert home.trend[-1].open == sum(home.lights.values()), name
        assert home.trend[-1].overdue == home.lights["red"], name
        assert home.to_json()["lights"] == home.lights


def test_lists_and_what_waits_for_whom(session: Session) -> None:
    city = _world(session)
    actors = _actors(city)
    office = home_overview(session=session, actor=actors["office"], now=NOW)
    assert office.scope == "全市"
    assert [r.task.title for r in office.overdue] == ["早已逾期", "逾期"]
    # 3月5日 (Tue) due, 12日 (Tue) now: 6th, 7th, 8th, 11th, 12th are working days after it.
    assert [r.workdays_overdue for r in office.overdue] == [5, 2]
    assert [r.title for r in office.due_soon] == ["即将到期", "申请延期"]
    waiting = {w.key: [r.title for r in w.rows] for w in office.waiting}
    assert waiting == {"review": ["申请办结中"], "extension": ["申请延期"]}
    fire = home_overview(session=session, actor=actors["fire"], now=NOW)
    assert fire.scope == "消防救援支队" or fire.scope.endswith("消防救援支队")
    unsigned = {w.key: sorted(r.title for r in w.rows) for w in fire.waiting}
    assert unsigned == {"acknowledge": ["早已逾期", "逾期"]}
    leader = home_overview(session=session, actor=actors["leader"], now=NOW)
    assert {w.key: w.total for w in leader.waiting} == {"red": 2}
    assert leader.scope.startswith("李占明")
    emerg = home_overview(session=session, actor=actors["emerg"], now=NOW)
    assert {r.task.title for r in emerg.overdue} == set()
    assert emerg.lights["red"] == 0 and sum(emerg.lights.values()) == 2


def test_escalations_of_the_local_day_only(session: Session) -> None:
    city = _world(session)
    office = home_overview(session=session, actor=act(city.office), now=NOW)
    # The pass at 08:30 moved both overdue tasks up the ladder (one of them by two steps).
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "escalate")).all()
    assert office.escalations_total == len(events) == 3
    assert sorted(e.level for e in office.escalations) == sorted(
        e.after["level"] for e in events if e.after)
    assert {e.task.title for e in office.escalations} == {"早已逾期", "逾期"}
    assert all(e.level >= 1 and e.at.date() == NOW.date() for e in office.escalations)
    tomorrow = home_overview(session=session, actor=act(city.office),
                             now=NOW + timedelta(days=1))
    assert tomorrow.escalations_total == 0
    emerg = home_overview(session=session, actor=act(city.emerg_contact), now=NOW)
    assert emerg.escalations == []


def _reference_trend(tasks: list[Task], now: datetime, tz: object) -> list[tuple[str, int, int, int]]:
    today = now.astimezone(tz).date()  # type: ignore[arg-type]
    out = []
    for back in range(TREND_DAYS - 1, 0, -1):
        day = today - timedelta(days=back)
        start = datetime.combine(day, datetime.min.time(), tzinfo=tz)  # type: ignore[arg-type]
        end = start + timedelta(days=1)
        live = [t for t in tasks if t.assigned_at is not None and t.assigned_at < end and (
            t.status in LIT or (t.status == "closed" and t.closed_at is not None
                                and t.closed_at >= end))]
        closed = [t for t in tasks if t.status == "closed" and t.closed_at is not None
                  and start <= t.closed_at < end]
        # The engine's own rule, as of the day's close, for each task as it stood then (lit).
        close = datetime.combine(day, DAY_END, tzinfo=tz)  # type: ignore[arg-type]
        late = [t for t in live if is_overdue(_as_lit(t), close)]
        out.append((day.isoformat(), len(live), len(closed), len(late)))
    return out


def _as_lit(task: Task) -> Task:
    return task.model_copy(update={"status": TaskStatus.ASSIGNED})


LIT = ("assigned", "acknowledged", "in_progress", "pending_review")


def test_trend_reconstructs_each_day_from_the_tasks_dates(session: Session) -> None:
    city = _world(session)
    tz = zone_for(get_policy(session))
    for who in (act(city.office), act(city.fire_contact), act(city.vice_mayor)):
        home = home_overview(session=session, actor=who, now=NOW)
        assert len(home.trend) == TREND_DAYS
        assert home.trend[-1].day == NOW.date().isoformat()
        past = [(p.day, p.open, p.closed, p.overdue) for p in home.trend[:-1]]
        assert past == _reference_trend(_visible(session, who), NOW, tz)
    office = home_overview(session=session, actor=act(city.office), now=NOW)
    by_day = {p.day: p for p in office.trend}
    assert by_day["2024-03-08"].closed == 1
    assert by_day["2024-03-03"].open == 0  # nothing assigned before 4 March
    assert by_day["2024-03-09"].overdue == 2  # 5日 and 8日 deadlines passed, 9日's closed
    assert by_day["2024-03-08"].overdue == 1  # 5日's: 8日's is due that day, not yet overdue


def test_a_task_is_overdue_on_the_trend_from_the_day_after_its_deadline_day(
        session: Session) -> None:
    """The trend agrees with :func:`is_overdue` as of each day's close: a task due on a day
    ("3月6日前", due at its 23:59:59) is not overdue on that day's point and is from the next
    day's on (as its light turns red); an hourly deadline within a day is overdue on that day's
    point (red that evening). The same for the tallies (the office) and the scoped count (the
    unit), for tasks still open and for one closed late."""
    city = make_city(session)
    make_task(session, city, due="3月6日前", title="按日时限", co=[])
    make_task(session, city, due="3月7日15时前", title="按时时限", co=[])
    late = make_task(session, city, due="3月8日前", title="逾期后办结", co=[])
    acknowledge(session=session, task=late.code, actor=act(city.fire_contact), now=ISSUED)
    request_completion(session=session, task=late.code, actor=act(city.fire_head),
                       evidence="已完成", now=at("2024-03-10", "09:00"))
    verify_and_close(session=session, task=late.code, actor=act(city.office), rating="good",
                     now=at("2024-03-10", "16:00"))
    session.commit()
    for day, red_at_close in (("2024-03-06", 0), ("2024-03-07", 2), ("2024-03-08", 2),
                              ("2024-03-09", 3), ("2024-03-10", 2)):
        close = datetime.combine(date.fromisoformat(day), DAY_END, tzinfo=zone_for(
            get_policy(session)))
        assert sum(is_overdue(_as_lit(t), close) for t in session.exec(select(Task)).all()
                   if t.closed_at is None or t.closed_at > close) == red_at_close, day
    expected = {"2024-03-05": 0, "2024-03-06": 0, "2024-03-07": 2, "2024-03-08": 2,
                "2024-03-09": 3, "2024-03-10": 2, "2024-03-11": 2}
    for who in (act(city.office), act(city.fire_contact)):
        home = home_overview(session=session, actor=who, now=NOW)
        assert {p.day: p.overdue for p in home.trend if p.day in expected} == expected
    # Today (12日): the live lights, the same rule at ``now``.
    assert home.trend[-1].overdue == home.lights["red"] == 2


def test_tallies_give_what_a_pass_over_the_tasks_gives_at_any_moment(session: Session) -> None:
    """Month boundaries on either side of ``now`` and of the yellow window's end, before and
    after the appended changes are folded in."""
    from engine.calendar.lights import yellow_cutoff
    from engine.read import counts, tally
    from engine.read.trend import Days, from_tallies, reconstructed
    from engine.store.tally import compact

    city = _world(session)
    # Changes since the pass folded the last ones in: the readers must add them.
    acknowledge(session=session, task=make_task(session, city, due="3月29日前", co=[]).code,
                actor=act(city.fire_contact), now=ISSUED + timedelta(days=1))
    session.commit()
    policy = get_policy(session)
    tz = zone_for(policy)
    moments = [at("2024-02-27", "09:00"), at("2024-02-29", "23:59"), at("2024-03-01", "00:00"),
               at("2024-03-08", "12:00"), at("2024-03-12"), at("2024-03-27", "16:00"),
               at("2024-03-29", "18:00"), at("2024-04-30", "08:00")]
    for folded in (False, True):
        if folded:
            assert compact(session) > 0
            session.commit()
        for now in moments:
            cutoff = yellow_cutoff(now, policy)
            assert tally.unit_counts(session, now, cutoff, tz) == {
                u: c for u, c in counts.scoped_unit_counts(session, [], now, cutoff).items()}, now
            span = Days.before(now, tz)
            assert from_tallies(session, span) == reconstructed(session, [], span), now
            limit = now - timedelta(days=7)
            assert tally.stale_count(session, limit, tz) == sum(
                1 for t in session.exec(select(Task)).all()
                if t.status in ("assigned", "acknowledged", "in_progress")
                and (t.last_progress_at or t.assigned_at or limit) < limit), now
        by_status: dict[str, int] = {}
        for t in session.exec(select(Task)).all():
            by_status[t.status] = by_status.get(t.status, 0) + 1
        assert tally.status_counts(session) == by_status
