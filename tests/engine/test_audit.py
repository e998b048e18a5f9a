"""The hash-chained audit trail: it verifies untouched, and any direct edit or deletion of an
event row is found and named — by the engine and by ``duban audit verify``."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from engine.actions import acknowledge, report_progress
from engine.audit import GENESIS_HASH, record, verify_chain
from engine.errors import AuditChainBroken
from models import AuditEvent
from tests.factories import ISSUED, make_city, make_task

T0 = ISSUED + timedelta(hours=1)


def _events(session: Session) -> list[AuditEvent]:
    """All events, id order; the read transaction is ended so raw SQL can write next."""
    events = list(session.exec(select(AuditEvent).order_by(AuditEvent.id)).all())  # type: ignore[arg-type]
    session.commit()
    return events


def _walk(session: Session) -> list[AuditEvent]:
    city = make_city(session)
    task = make_task(session, city)
    acknowledge(session=session, task=task.code, actor=city.fire_contact, now=T0)
    report_progress(session=session, task=task.code, actor=city.fire_contact, text="进展",
                    achieved=3.5, now=T0)
    return _events(session)


def test_chain_verifies_and_links(session: Session) -> None:
    assert verify_chain(session) == 0
    events = _walk(session)
    assert verify_chain(session) == len(events) > 10
    assert events[0].prev_hash == GENESIS_HASH
    for prev, event in zip(events, events[1:], strict=False):
        assert event.prev_hash == prev.hash
    assert len({e.hash for e in events}) == len(events)
    assert all(e.at.utcoffset() == timedelta(0) for e in events)


# Column → an SQL expression giving a different value of the right type on both backends.
EDITS = {
    "at": {"sqlite": "datetime(at, '+1 second')", "postgresql": "at + interval '1 second'"},
    "actor": "'冒名'",
    "actor_id": "COALESCE(actor_id, 0) + 100",
    "entity": "'unit'",
    "entity_id": "COALESCE(entity_id, 0) + 1",
    "action": "'verify'",
    "before": "'{\"status\": \"closed\"}'",
    "after": "'{\"status\": \"closed\"}'",
    "prev_hash": "'" + "f" * 64 + "'",
    "hash": "'" + "e" * 64 + "'",
}


def _update(engine: Engine, column: str, event_id: int) -> None:
    dialect = engine.dialect.name
    edit = EDITS[column]
    expression = edit[dialect] if isinstance(edit, dict) else edit
    if column in ("before", "after") and dialect == "postgresql":
        expression = f"CAST({expression} AS JSON)"
    with engine.begin() as conn:
        changed = conn.execute(text(
            f'UPDATE audit_event SET "{column}" = {expression} WHERE id = :id'), {"id": event_id})
        assert changed.rowcount == 1


def test_every_column_is_covered() -> None:
    columns = {c.name for c in AuditEvent.__table__.columns}  # type: ignore[attr-defined]
    assert columns - {"id"} == set(EDITS)


def test_editing_any_column_breaks_the_chain_at_that_event(
    engine: Engine, session: Session
) -> None:
    """One column at a time on the same chain: edit it, the chain breaks at that very event;
    put the row back exactly as it was, the chain verifies again."""
    events = _walk(session)
    victim = events[len(events) // 2].id
    assert victim is not None
    with engine.connect() as conn:
        original = conn.execute(text("SELECT * FROM audit_event WHERE id = :id"),
                                {"id": victim}).mappings().one()
    for column in sorted(EDITS):
        _update(engine, column, victim)
        session.expire_all()
        with pytest.raises(AuditChainBroken) as info:
            verify_chain(session)
        session.rollback()
        assert info.value.event_id == victim, column
        assert f"第 {victim} 号事件" in str(info.value), column
        _restore(engine, victim, column, original[column])
        session.expire_all()
        assert verify_chain(session) == len(events), column
        session.commit()


def _restore(engine: Engine, event_id: int, column: str, value: object) -> None:
    """Write back the value as read by plain SQL (JSON as text, times as stored)."""
    is_json = column in ("before", "after")
    if is_json and value is not None and not isinstance(value, str):
        value = json.dumps(value, ensure_ascii=False)
    cast = "CAST(:v AS JSON)" if is_json and engine.dialect.name == "postgresql" else ":v"
    with engine.begin() as conn:
        conn.execute(text(f'UPDATE audit_event SET "{column}" = {cast} WHERE id = :id'),
                     {"v": value, "id": event_id})


def test_editing_the_last_event_is_found(engine: Engine, session: Session) -> None:
    events = _walk(session)
    last = events[-1]
    assert last.id is not None
    _update(engine, "after", last.id)
    session.expire_all()
    with pytest.raises(AuditChainBroken) as info:
        verify_chain(session)
    assert info.value.event_id == last.id


def test_renumbering_an_event_is_found(engine: Engine, session: Session) -> None:
    events = _walk(session)
    victim, follower = events[3], events[4]
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_event SET id = 100000 WHERE id = :id"), {"id": victim.id})
    session.expire_all()
    with pytest.raises(AuditChainBroken) as info:
        verify_chain(session)
    assert info.value.event_id == follower.id


def test_deleting_an_event_is_found(engine: Engine, session: Session) -> None:
    events = _walk(session)
    victim, follower = events[5], events[6]
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": victim.id})
    session.expire_all()
    with pytest.raises(AuditChainBroken) as info:
        verify_chain(session)
    assert info.value.event_id == follower.id
    assert "删除" in str(info.value)


def test_deleting_the_first_event_is_found(engine: Engine, session: Session) -> None:
    events = _walk(session)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": events[0].id})
    session.expire_all()
    with pytest.raises(AuditChainBroken) as info:
        verify_chain(session)
    assert info.value.event_id == events[1].id


def test_deleting_the_newest_events_is_found(engine: Engine, session: Session) -> None:
    """A chain cut short still links; the recorded head says where it should end."""
    first_cut = _walk(session)[-2].id
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_event WHERE id >= :id"), {"id": first_cut})
    session.expire_all()
    with pytest.raises(AuditChainBroken) as info:
        verify_chain(session)
    assert info.value.event_id == first_cut
    assert "缺失" in str(info.value)


def test_renumbering_the_newest_event_keeps_a_valid_chain(engine: Engine,
                                                          session: Session) -> None:
    """The id is the row's place, not its content: moving the newest one further keeps order
    and content, so the chain still verifies (any other renumbering breaks a link)."""
    events = _walk(session)
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_event SET id = 100000 WHERE id = :id"),
                     {"id": events[-1].id})
    session.expire_all()
    assert verify_chain(session) == len(events)


def test_appending_continues_the_chain_after_verification(session: Session) -> None:
    events = _walk(session)
    assert verify_chain(session) == len(events)
    record(session, actor=None, entity="task", entity_id=1, action="note", now=T0,
           after={"x": 1})
    session.commit()
    assert verify_chain(session) == len(events) + 1


def test_json_roundtrip_is_stable(session: Session) -> None:
    """Floats, Chinese text and nested values hash the same after a trip through the database."""
    _walk(session)
    session.expire_all()
    assert verify_chain(session, batch=3) > 0
    progress = [e for e in _events(session) if e.action == "report_progress"]
    assert progress and progress[0].after and progress[0].after["achieved"] == 3.5
    assert json.dumps(progress[0].after, ensure_ascii=False).count("进展") == 1


def test_cli_audit_verify(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                          monkeypatch: pytest.MonkeyPatch) -> None:
    from cli.main import run
    from engine.db import make_engine

    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path}/audit.db"
    assert run(["--db", url, "init"]) == 0
    assert run(["--db", url, "unit", "add", "FIRE", "市消防救援支队"]) == 0
    assert run(["--db", url, "unit", "add", "HOUSING", "市住建局"]) == 0
    assert run(["--db", url, "person", "add", "赵督查", "--role", "office"]) == 0
    capsys.readouterr()
    assert run(["--db", url, "audit", "verify", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"ok": True, "events": 3}
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_event SET actor = '某人' WHERE id = 2"))
    engine.dispose()
    assert run(["--db", url, "audit", "verify"]) == 1
    captured = capsys.readouterr()
    err = captured.err.replace("\n", "")
    assert "审计链校验失败" in err and "第 2 号事件" in err
    assert "Traceback" not in captured.out + captured.err
    assert captured.out == ""
