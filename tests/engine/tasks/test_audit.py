"""The hash-chained audit trail: it verifies untouched, and any direct edit or deletion of an
event row is found and named — by the engine and by ``duban audit verify``."""

from __future__ import annotations

import json
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from engine.errors import AuditChainBroken
from engine.tasks.actions import acknowledge, report_progress
from engine.tasks.audit import GENESIS_HASH, HASHED_FIELDS, record, verify_chain
from models import AuditEvent, Setting
from tests.factories import ISSUED, act, make_city, make_task, operator

T0 = ISSUED + timedelta(hours=1)


def _events(session: Session) -> list[AuditEvent]:
    """All events, id order; the read transaction is ended so raw SQL can write next."""
    events = list(session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all())
    session.commit()
    return events


def _walk(session: Session) -> list[AuditEvent]:
    city = make_city(session)
    task = make_task(session, city)
    acknowledge(session=session, task=task.code, actor=act(city.fire_contact), now=T0)
    report_progress(session=session, task=task.code, actor=act(city.fire_contact), text="进展",
                    achieved=3.5, now=T0)
    return _events(session)


def test_chain_verifies_links_and_continues(session: Session) -> None:
    assert verify_chain(session=session, actor=operator()) == 0
    events = _walk(session)
    assert verify_chain(session=session, actor=operator()) == len(events) > 10
    assert events[0].prev_hash == GENESIS_HASH
    for prev, event in zip(events, events[1:], strict=False):
        assert event.prev_hash == prev.hash
    assert len({e.hash for e in events}) == len(events)
    assert all(e.at.utcoffset() == timedelta(0) for e in events)
    # Floats and Chinese text hash the same after a trip through the database.
    progress = [e for e in events if e.action == "report_progress"]
    assert progress and progress[0].after and progress[0].after["achieved"] == 3.5
    # Appending after a verification continues the same chain, in small batches too.
    record(session, actor=operator(), entity="task", entity_id=1, action="note", now=T0,
           after={"x": 1, "文本": "中文"})
    session.commit()
    session.expire_all()
    assert verify_chain(session=session, actor=operator(), batch=3) == len(events) + 1


# Column → an SQL expression giving a different value of the right type on both backends.
EDITS = {
    "at": {"sqlite": "datetime(at, '+1 second')", "postgresql": "at + interval '1 second'"},
    "recorded_at": {"sqlite": "datetime(recorded_at, '-1 day')",
                    "postgresql": "recorded_at - interval '1 day'"},
    "channel": "'web'",
    "client": "'10.0.0.9'",
    "on_behalf_unit_id": "(SELECT min(id) FROM unit)",
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


def test_every_column_is_covered() -> None:
    """Every stored column of an event is tampered with below, and is in the hash."""
    columns = {c.name for c in AuditEvent.__table__.columns}  # type: ignore[attr-defined]
    assert columns - {"id"} == set(EDITS)
    assert set(HASHED_FIELDS) == columns - {"hash"}


def _sql(engine: Engine, statement: str, **params: object) -> int:
    with engine.begin() as conn:
        return int(conn.execute(text(statement), params).rowcount)


def _update(engine: Engine, column: str, event_id: int) -> None:
    edit = EDITS[column]
    expression = edit[engine.dialect.name] if isinstance(edit, dict) else edit
    if column in ("before", "after") and engine.dialect.name == "postgresql":
        expression = f"CAST({expression} AS JSON)"
    assert _sql(engine, f'UPDATE audit_event SET "{column}" = {expression} WHERE id = :id',
                id=event_id) == 1


def _raw(engine: Engine, first_id: int) -> list[dict[str, Any]]:
    """Rows from ``first_id`` on, exactly as stored (for putting them back)."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM audit_event WHERE id >= :id ORDER BY id"),
                            {"id": first_id}).mappings().all()
    return [dict(r) for r in rows]


def _put_back(engine: Engine, rows: list[dict[str, Any]]) -> None:
    """Delete the rows' ids and insert them again with their stored values."""
    pg = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        for row in rows:
            conn.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": row["id"]})
            values = dict(row)
            for key in ("before", "after"):
                if values[key] is not None and not isinstance(values[key], str):
                    values[key] = json.dumps(values[key], ensure_ascii=False)
            names = ", ".join(f'"{k}"' for k in values)
            marks = ", ".join(f"CAST(:{k} AS JSON)" if pg and k in ("before", "after")
                              else f":{k}" for k in values)
            conn.execute(text(f"INSERT INTO audit_event ({names}) VALUES ({marks})"), values)


def _broken_at(session: Session) -> AuditChainBroken:
    session.expire_all()
    with pytest.raises(AuditChainBroken) as info:
        verify_chain(session=session, actor=operator())
    session.rollback()
    assert "审计链校验失败" in str(info.value)
    assert f"第 {info.value.event_id} 号事件" in str(info.value)
    return info.value


def _intact(session: Session, count: int) -> None:
    session.expire_all()
    assert verify_chain(session=session, actor=operator()) == count
    session.commit()


def test_tampering_is_found_and_named(engine: Engine, session: Session) -> None:
    """One chain, many tamperings, each undone before the next: every one is found, and the
    first bad event is named."""
    events = _walk(session)
    ids = [e.id for e in events]
    assert None not in ids
    count, middle, last = len(ids), ids[len(ids) // 2], ids[-1]
    assert middle is not None and last is not None
    original = _raw(engine, ids[0] or 0)
    by_id = {r["id"]: r for r in original}

    # Any column of a middle event, then of the newest one: that very event is named.
    for event_id in (middle, last):
        for column in sorted(EDITS):
            _update(engine, column, event_id)
            assert _broken_at(session).event_id == event_id, column
            _put_back(engine, [by_id[event_id]])
            _intact(session, count)

    # Deleting an event (first, middle): its successor no longer links and is named.
    for victim in (ids[0], middle):
        assert victim is not None
        _sql(engine, "DELETE FROM audit_event WHERE id = :id", id=victim)
        error = _broken_at(session)
        assert error.event_id == ids[ids.index(victim) + 1] and "删除" in str(error)
        _put_back(engine, [by_id[victim]])
        _intact(session, count)

    # Deleting the newest events leaves a chain that links: the recorded head finds it.
    cut = ids[-2]
    _sql(engine, "DELETE FROM audit_event WHERE id >= :id", id=cut)
    error = _broken_at(session)
    assert error.event_id == cut and "缺失" in str(error)
    _put_back(engine, original[-2:])
    _intact(session, count)

    # Renumbering a middle event moves it out of place: the next one is named.
    _sql(engine, "UPDATE audit_event SET id = 100000 WHERE id = :id", id=middle)
    assert _broken_at(session).event_id == ids[ids.index(middle) + 1]
    _sql(engine, "UPDATE audit_event SET id = :id WHERE id = 100000", id=middle)
    _intact(session, count)

    # Renumbering even the newest event is found: its number is part of its hash.
    _sql(engine, "UPDATE audit_event SET id = 100000 WHERE id = :id", id=last)
    assert _broken_at(session).event_id == 100000
    _sql(engine, "UPDATE audit_event SET id = :id WHERE id = 100000", id=last)
    _intact(session, count)

    # An event made to look as if written before revision 0002 (no wall clock, so the old
    # hash form) is found too once newer events exist.
    _sql(engine, "UPDATE audit_event SET recorded_at = NULL WHERE id = :id", id=middle)
    assert _broken_at(session).event_id == middle
    _put_back(engine, [by_id[middle]])
    _intact(session, count)


def test_events_from_before_revision_0002_keep_their_hash(engine: Engine,
                                                          session: Session) -> None:
    """A chain begun before the new columns (no wall clock, channel …) still verifies, and the
    events written since continue it."""
    import hashlib

    before, after = {"status": "assigned"}, {"status": "assigned", "level": 1}
    payload = {"prev": GENESIS_HASH, "at": T0.astimezone(UTC).isoformat(), "actor": "system",
               "actor_id": None, "entity": "task", "entity_id": 7, "action": "escalate",
               "before": before, "after": after}
    old_hash = hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False,
                                         separators=(",", ":")).encode()).hexdigest()
    session.add(AuditEvent(id=1, at=T0, actor="system", entity="task", entity_id=7,
                           action="escalate", before=before, after=after,
                           prev_hash=GENESIS_HASH, hash=old_hash))
    session.add(Setting(key="audit_head", value={"hash": old_hash}, updated_at=T0))
    session.commit()
    _intact(session, 1)
    record(session, actor=operator(), entity="task", entity_id=7, action="note", now=T0)
    session.commit()
    _intact(session, 2)
    assert _events(session)[1].prev_hash == old_hash


def test_cli_audit_verify(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                          monkeypatch: pytest.MonkeyPatch) -> None:
    from cli.main import run
    from engine.store.db import make_engine

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
