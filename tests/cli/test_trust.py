"""Honest time and identity (issue 10 §1), through the CLI on both databases.

- Only a simulation database accepts ``--now`` for a command that changes data; read-only
  commands may look at another moment anywhere. The engine refuses an audited write far from the
  wall clock on any other database, whatever the front end.
- Every audit event stores the real wall-clock time of its write (beside the simulated moment)
  and the channel it came through.
- Commands that change the organisation or hand out credentials take ``--as`` an admin or office
  person, or record the operating-system user as ``系统操作员(USER)``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from cli.runtime import os_user
from engine.errors import PolicyViolation
from engine.org.actors import Actor
from engine.org.setup import mark_simulation
from engine.store.db import make_engine
from engine.tasks.actions import acknowledge
from engine.values import Channel
from models import AuditEvent, SummaryRun
from tests.cli import Result, assert_refused, dump, invoke
from tests.cli import db_url as db_url  # noqa: F401  (the fixture)
from tests.factories import act, make_city, make_task, operator

OLD = ["--now", "2024-03-10T10:00"]


def _ok(capsys: pytest.CaptureFixture[str], url: str, *args: str) -> Result:
    result = invoke(capsys, url, *args)
    assert result.code == 0, (args, result.err)
    return result


def _events(url: str) -> list[AuditEvent]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return list(session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all())
    finally:
        engine.dispose()


@pytest.fixture
def production(capsys: pytest.CaptureFixture[str], db_url: str) -> Iterator[str]:  # noqa: F811
    """A production database (no --simulation) with a unit, people and an assigned task, all
    made at the real clock."""
    _ok(capsys, db_url, "init")
    _ok(capsys, db_url, "unit", "add", "FIRE", "市消防救援支队", "--short", "消防")
    _ok(capsys, db_url, "person", "add", "赵督查", "--role", "office")
    _ok(capsys, db_url, "person", "add", "张联络", "--unit", "FIRE", "--role", "unit_contact")
    _ok(capsys, db_url, "person", "add", "王炳森", "--title", "书记", "--role", "leader", "--top")
    _ok(capsys, db_url, "directive", "add", "--kind", "instruction", "--title", "消防隐患整治",
        "--by", "王炳森")
    _ok(capsys, db_url, "task", "add", "--directive", "1", "--title", "排查", "--lead", "FIRE",
        "--due", "一个月内", "--assign")
    yield db_url


CHANGING = [
    ["directive", "add", "--kind", "instruction", "--title", "补记"],
    ["task", "add", "--directive", "1", "--title", "补", "--lead", "FIRE", "--due", "一个月内"],
    ["task", "ack", "DB-{year}-0001", "--as", "张联络"],
    ["task", "cancel", "DB-{year}-0001", "--as", "赵督查", "--reason", "x"],
    ["tick"], ["dispatch"], ["summary", "--send"], ["outbox", "retry", "--dead"],
]
READING = [["task", "list"], ["task", "show", "DB-{year}-0001"], ["board"],
           ["directive", "show", "1"]]


def test_now_is_refused_for_changes_on_a_production_database(
        capsys: pytest.CaptureFixture[str], production: str, tmp_path: Path) -> None:
    year = str(datetime.now(ZoneInfo("Asia/Shanghai")).year)
    before = dump(production)
    for argv in CHANGING:
        args = [a.replace("{year}", year) for a in argv]
        assert_refused(invoke(capsys, production, *args, *OLD), 1, "不是模拟数据库")
        assert dump(production) == before, args
    for argv in READING:
        _ok(capsys, production, *[a.replace("{year}", year) for a in argv], *OLD, "--json")
    # A look at another moment is a preview: written out, but not remembered as that day's.
    out = json.loads(_ok(capsys, production, "summary", *OLD, "--json", "--reports",
                         str(tmp_path)).out)
    assert out["date"] == "2024-03-10" and Path(out["path"]).exists()
    engine = make_engine(production)
    with Session(engine) as session:
        assert session.exec(select(SummaryRun)).all() == []
    engine.dispose()
    # Without --now the same commands work, at the real clock.
    _ok(capsys, production, "task", "ack", f"DB-{year}-0001", "--as", "张联络")
    events = _events(production)
    assert events[-1].action == "acknowledge" and events[-1].channel == "cli"
    assert events[-1].recorded_at is not None
    assert abs(events[-1].recorded_at - events[-1].at) < timedelta(seconds=5)


def test_a_simulation_keeps_both_clocks(capsys: pytest.CaptureFixture[str],
                                        db_url: str) -> None:  # noqa: F811
    init = json.loads(_ok(capsys, db_url, "init", "--simulation", "--json").out)
    assert init["simulation"] is True
    _ok(capsys, db_url, "unit", "add", "FIRE", "市消防救援支队")
    _ok(capsys, db_url, "directive", "add", "--kind", "meeting", "--title", "专题会", *OLD)
    event = _events(db_url)[-1]
    assert event.action == "create" and event.entity == "directive"
    assert event.at == datetime(2024, 3, 10, 2, 0, tzinfo=UTC)  # the simulated moment
    assert event.recorded_at is not None
    assert abs(datetime.now(UTC) - event.recorded_at) < timedelta(minutes=1)  # the real one
    first = _events(db_url)[0]
    assert (first.action, first.actor) == ("mark_simulation", f"系统操作员({os_user()})")


def test_a_production_database_cannot_be_turned_into_a_simulation(
        capsys: pytest.CaptureFixture[str], production: str) -> None:
    before = dump(production)
    assert_refused(invoke(capsys, production, "init", "--simulation"), 1, "不能再标记为模拟数据库")
    assert dump(production) == before


def test_who_changes_the_organisation(capsys: pytest.CaptureFixture[str], production: str,
                                      tmp_path: Path) -> None:
    events = _events(production)
    operator_name = f"系统操作员({os_user()})"
    assert {e.actor for e in events if e.entity in ("unit", "person")} == {operator_name}
    assert all(e.channel == "cli" and e.recorded_at is not None for e in events)
    before = dump(production)
    config = tmp_path / "org.yaml"
    config.write_text("units:\n  - {code: NEW, name: 新单位}\n", encoding="utf-8")
    for argv in (["unit", "add", "NEW", "新单位"], ["person", "add", "新人", "--role", "office"],
                 ["person", "invite", "王炳森"], ["outbox", "retry", "--dead"],
                 ["init", "--config", str(config)]):
        for who in ("张联络", "王炳森"):  # a unit's contact, even the Party Secretary
            assert_refused(invoke(capsys, production, *argv, "--as", who), 1, "只有督查室")
            assert dump(production) == before, (argv, who)
    _ok(capsys, production, "unit", "add", "NEW", "新单位", "--as", "赵督查")
    code = json.loads(_ok(capsys, production, "person", "invite", "王炳森", "--json").out)
    assert code["person"] == "王炳森"
    last = _events(production)[-2:]
    assert [(e.actor, e.action) for e in last] == [("赵督查", "create"), (operator_name, "invite")]


# -- the engine itself, whatever the front end --------------------------------------------------


def test_the_engine_refuses_a_moved_clock_on_production(production_engine: Engine) -> None:
    with Session(production_engine, expire_on_commit=False) as session:
        now = datetime.now(UTC)
        city = make_city(session, now=now)
        task = make_task(session, city, due="一个月内", now=now)
        before = _all_events(session)
        for moment in (now - timedelta(days=1), now + timedelta(days=365)):
            with pytest.raises(PolicyViolation, match="不是模拟数据库"):
                acknowledge(session=session, task=task.code, actor=act(city.fire_contact),
                            now=moment)
            assert _all_events(session) == before
        with pytest.raises(PolicyViolation, match="不能再标记为模拟数据库"):
            mark_simulation(session=session, actor=operator())
        acknowledge(session=session, task=task.code, actor=act(city.fire_contact),
                    now=now + timedelta(seconds=2))


def test_every_event_names_its_channel_and_client(session: Session) -> None:
    city = make_city(session)
    task = make_task(session, city, co=["HOUSING"])
    web = Actor.of(city.housing_contact, Channel.WEB, wall_clock=datetime.now(UTC),
                   client="203.0.113.7")
    acknowledge(session=session, task=task.code, actor=act(city.fire_contact, Channel.BOT),
                now=task.updated_at)
    acknowledge(session=session, task=task.code, actor=web, now=task.updated_at)
    events = [e for e in _all_events(session) if e[1] == "acknowledge"]
    assert [(e[2], e[3]) for e in events] == [("bot", None), ("web", "203.0.113.7")]
    assert {e.channel for e in session.exec(select(AuditEvent)).all()} == {"cli", "bot", "web"}


def _all_events(session: Session) -> list[tuple[Any, ...]]:
    rows = session.exec(select(AuditEvent.id, AuditEvent.action, AuditEvent.channel,
                               AuditEvent.client).order_by(col(AuditEvent.id))).all()
    session.commit()
    return [tuple(r) for r in rows]
