"""The task tallies stay equal to a full recount after any mix of writes — engine services,
hand-run UPDATEs of every watched column, inserts and deletes — before and after compaction,
on both databases."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlmodel import Session

from engine.store.tally import compact, current, install, recount
from engine.tasks.actions import acknowledge, request_completion, verify_and_close
from tests.factories import ISSUED, act, make_city, make_task

STATUSES = ("draft", "assigned", "acknowledged", "in_progress", "pending_review", "closed",
            "cancelled")


def _moment(rng: random.Random) -> datetime | None:
    if rng.random() < 0.1:
        return None
    return ISSUED + timedelta(minutes=rng.randrange(-60 * 24 * 90, 60 * 24 * 90))


def _random_update(session: Session, rng: random.Random, ids: list[int], units: list[int]) -> None:
    column = rng.choice(("status", "lead_unit_id", "due_at", "escalation_level", "assigned_at",
                         "closed_at", "title"))
    value: object
    if column == "status":
        value = rng.choice(STATUSES)
    elif column == "lead_unit_id":
        value = rng.choice(units)
    elif column == "escalation_level":
        value = rng.randrange(4)
    elif column == "title":
        value = f"改名{rng.random()}"
    else:
        moment = _moment(rng)
        is_sqlite = session.get_bind().dialect.name == "sqlite"
        value = (moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
                 if is_sqlite and moment is not None else moment)
    chosen = rng.sample(ids, k=min(len(ids), rng.randrange(1, 4)))
    for task_id in chosen:
        session.execute(text(f"UPDATE task SET {column} = :v WHERE id = :i"),
                        {"v": value, "i": task_id})


def test_tallies_equal_a_full_recount_after_random_writes(session: Session) -> None:
    rng = random.Random(12)
    city = make_city(session)
    tasks = [make_task(session, city, due=rng.choice(["3月8日前", "3月20日前", "4月30日前"]),
                       lead=rng.choice(["FIRE", "HOUSING", "EMERG", "D1"]), co=[],
                       assign=rng.random() < 0.8) for _ in range(12)]
    first = make_task(session, city, co=[])
    tasks.append(first)
    acknowledge(session=session, task=first.code, actor=act(city.fire_contact), now=ISSUED)
    request_completion(session=session, task=first.code, actor=act(city.fire_head),
                       evidence="完成", now=ISSUED + timedelta(hours=2))
    verify_and_close(session=session, task=first.code, actor=act(city.office), rating="good",
                     now=ISSUED + timedelta(hours=3))
    session.commit()
    connection = session.connection()
    assert current(connection) == recount(connection) != {}
    ids = [t.id or 0 for t in tasks]
    units = [u for (u,) in session.execute(text("SELECT id FROM unit")).all()]
    for round_ in range(40):
        _random_update(session, rng, ids, units)
        if round_ % 10 == 9:
            # Tasks without children come and go (a bulk import, a hand-run DELETE).
            session.execute(text(
                "INSERT INTO task (code, directive_id, title, requirement, priority, due_text, "
                "status, due_at, original_due_text, deadline_version, extension_count, "
                "escalation_level, occurrence, successor_created, created_at, updated_at, "
                "lead_unit_id) SELECT :code, directive_id, title, '', "
                "priority, '', 'assigned', due_at, '', 1, 0, 2, 1, successor_created, "
                "created_at, updated_at, lead_unit_id FROM task WHERE id = :i"), {"i": ids[0], "code": f"X-{round_}"})
            session.execute(text("DELETE FROM task WHERE code LIKE 'X-%' AND id % 2 = 0"))
        if round_ % 7 == 0:
            assert current(connection) == recount(connection), round_
        if round_ % 13 == 0:
            compact(session)
            session.commit()
            connection = session.connection()
    session.commit()
    connection = session.connection()
    assert current(connection) == recount(connection)
    compact(session)
    session.commit()
    connection = session.connection()
    rows = connection.exec_driver_sql(
        "SELECT measure, day, lead_unit_id, escalated, n FROM task_tally WHERE n <> 0").all()
    assert {(m, d, u, e): n for m, d, u, e, n in rows} == dict(recount(connection))
    assert connection.exec_driver_sql("SELECT COUNT(*) FROM task_tally_delta").scalar() == 0


def test_install_recounts_at_another_offset(session: Session) -> None:
    city = make_city(session)
    make_task(session, city, due="3月8日前", co=[])
    session.commit()
    before = recount(session.connection())
    install(session.connection(), offset_minutes=-300)
    session.commit()
    after = current(session.connection())
    assert after == recount(session.connection())
    assert after != before  # the buckets moved with the offset
    assert sum(after.values()) == sum(before.values())


def test_a_new_policy_zone_rebuckets_the_tallies(session: Session) -> None:
    """Saving a policy in a zone at another offset recounts the tallies in its local days, so
    the readers' offset check keeps passing; an unchanged offset recounts nothing."""
    from engine.store.policy import get_policy, save_policy

    city = make_city(session)
    make_task(session, city, due="3月8日前", co=[])
    session.commit()
    policy = get_policy(session)
    save_policy(session, policy=policy.model_copy(update={"timezone": "Asia/Tokyo"}), now=ISSUED)
    session.commit()
    connection = session.connection()
    assert connection.exec_driver_sql("SELECT offset_minutes FROM task_tally_meta").all() == [
        (540,)]
    assert current(connection) == recount(connection)
    assert connection.exec_driver_sql("SELECT COUNT(*) FROM task_tally_delta").scalar() == 0
    make_task(session, city, due="3月9日前", co=[])
    save_policy(session, policy=get_policy(session), now=ISSUED)
    assert session.connection().exec_driver_sql(
        "SELECT COUNT(*) FROM task_tally_delta").scalar_one() > 0  # no recount: same offset
