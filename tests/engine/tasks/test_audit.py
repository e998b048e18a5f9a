"""The keyed audit chain: it verifies untouched; any direct edit, deletion or renumbering of an
event row is found and named; an insider without the key cannot re-chain a rewritten history;
a truncation that moves the recorded head back is found by a published anchor; appends without
the key or with another key are refused."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import JSON, Boolean, DateTime, Integer, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from engine.errors import AuditChainBroken, InvalidInput
from engine.tasks.actions import acknowledge, report_progress
from engine.tasks.audit import (
    GENESIS_HASH,
    UNSIGNED_COLUMNS,
    Anchor,
    chain_anchor,
    digest,
    record,
    verify_chain,
)
from engine.tasks.audit_key import AuditKeyError, audit_key
from engine.tasks.audit_verify import parse_anchor, verify
from models import AuditEvent, Setting
from tests.factories import ISSUED, act, make_city, make_task, operator

T0 = ISSUED + timedelta(hours=1)


def _events(session: Session) -> list[AuditEvent]:
    """All events, id order; the read transaction is ended so raw SQL can write next."""
    events = list(session.exec(select(AuditEvent).order_by(AuditEvent.id)).all())  # type: ignore[arg-type]
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
    assert chain_anchor(session) is None
    events = _walk(session)
    assert verify_chain(session=session, actor=operator()) == len(events) > 10
    assert [e.id for e in events] == list(range(1, len(events) + 1))  # gap-free
    assert events[0].prev_hash == GENESIS_HASH
    for prev, event in zip(events, events[1:], strict=False):
        assert event.prev_hash == prev.hash
    assert len({e.hash for e in events}) == len(events)
    assert all(e.at.utcoffset() == timedelta(0) for e in events)
    # Floats and Chinese text sign the same after a trip through the database.
    progress = [e for e in events if e.action == "report_progress"]
    assert progress and progress[0].after and progress[0].after["achieved"] == 3.5
    # Appending after a verification continues the same chain, in small batches too.
    record(session, actor=operator(), entity="task", entity_id=1, action="note", now=T0,
           after={"x": 1, "文本": "中文"})
    session.commit()
    session.expire_all()
    assert verify_chain(session=session, actor=operator(), batch=3) == len(events) + 1
    assert chain_anchor(session) == Anchor(len(events) + 1, _events(session)[-1].hash)


def test_the_hash_is_an_hmac_under_the_key_over_every_column(session: Session) -> None:
    """Not a plain hash: without the key the value cannot be recomputed; and the signed set is
    every column but id and hash, taken from the table (a new column is signed too)."""
    event = _walk(session)[3]
    row = _row(session, event.id or 0)
    assert digest(row, audit_key()) == event.hash
    assert digest(row, b"another key of at least thirty-two characters!!") != event.hash
    plain = json.dumps({k: v for k, v in row.items() if k not in UNSIGNED_COLUMNS}, default=str)
    assert hashlib.sha256(plain.encode()).hexdigest() != event.hash
    columns = {c.name for c in AuditEvent.__table__.columns}  # type: ignore[attr-defined]
    for name in columns - UNSIGNED_COLUMNS:
        changed = {**row, name: _different(row[name])}
        assert digest(changed, audit_key()) != event.hash, name


def _row(session: Session, seq: int) -> dict[str, Any]:
    table = AuditEvent.__table__  # type: ignore[attr-defined]
    found = session.execute(select(table).where(table.c.id == seq)).mappings().one()
    session.commit()
    return dict(found)


def _different(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, dict):
        return {**value, "x": 1}
    if value is None:
        return 1
    return value + timedelta(seconds=1)


def _sql(engine: Engine, statement: str, **params: object) -> int:
    with engine.begin() as conn:
        return int(conn.execute(text(statement), params).rowcount)


def _edit(engine: Engine, name: str) -> str:
    """An SQL expression giving a different value of ``name``'s type, on either backend."""
    column = AuditEvent.__table__.columns[name]  # type: ignore[attr-defined]
    pg = engine.dialect.name == "postgresql"
    for key in column.foreign_keys:  # another row's id, or none: the constraint must hold
        target = key.column.table.name
        return f'CASE WHEN "{name}" IS NULL THEN (SELECT min(id) FROM "{target}") ELSE NULL END'
    if isinstance(column.type, JSON):
        return "CAST('{\"status\": \"closed\"}' AS JSON)" if pg else "'{\"status\": \"closed\"}'"
    if isinstance(column.type, Boolean):
        return f'NOT COALESCE("{name}", false)' if pg else f'NOT COALESCE("{name}", 0)'
    if isinstance(column.type, Integer):
        return f'COALESCE("{name}", 0) + 100000'
    if isinstance(getattr(column.type, "impl", column.type), DateTime):
        return f"\"{name}\" + interval '1 second'" if pg else f"datetime(\"{name}\", '+1 second')"
    return f"'冒' || substr(COALESCE(\"{name}\", 'x'), 2)"  # same length: fits the column


def _raw(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM audit_event ORDER BY id")).mappings().all()
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


def _broken_at(session: Session, anchors: tuple[Anchor, ...] = ()) -> AuditChainBroken:
    session.expire_all()
    with pytest.raises(AuditChainBroken) as info:
        verify(session=session, actor=operator(), anchors=anchors)
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
    first bad event is named (by its number, with what it records)."""
    events = _walk(session)
    ids = [e.id or 0 for e in events]
    count, middle, last = len(ids), ids[len(ids) // 2], ids[-1]
    original = _raw(engine)
    by_id = {r["id"]: r for r in original}
    columns = [c.name for c in AuditEvent.__table__.columns  # type: ignore[attr-defined]
               if c.name != "id"]

    # Any column of a middle event, then of the newest one: that very event is named.
    for event_id in (middle, last):
        for name in columns:
            _sql(engine, f'UPDATE audit_event SET "{name}" = {_edit(engine, name)} WHERE id = :i',
                 i=event_id)
            assert _broken_at(session).event_id == event_id, name
            _put_back(engine, [by_id[event_id]])
            _intact(session, count)

    # Deleting an event (first, middle): its successor no longer links and is named.
    for victim in (ids[0], middle):
        _sql(engine, "DELETE FROM audit_event WHERE id = :i", i=victim)
        error = _broken_at(session)
        assert error.event_id == ids[ids.index(victim) + 1] and "删除" in str(error)
        _put_back(engine, [by_id[victim]])
        _intact(session, count)

    # Deleting the newest events leaves a chain that links: the recorded head finds it.
    _sql(engine, "DELETE FROM audit_event WHERE id >= :i", i=last - 1)
    error = _broken_at(session)
    assert error.event_id == last - 1 and "缺失" in str(error)
    _put_back(engine, original[-2:])
    _intact(session, count)

    # Renumbering a middle event moves it out of place: the next one is named.
    _sql(engine, "UPDATE audit_event SET id = 100000 WHERE id = :i", i=middle)
    assert _broken_at(session).event_id == ids[ids.index(middle) + 1]
    _sql(engine, "UPDATE audit_event SET id = :i WHERE id = 100000", i=middle)
    _intact(session, count)

    # Renumbering even the newest event is found: its number is signed.
    _sql(engine, "UPDATE audit_event SET id = 100000 WHERE id = :i", i=last)
    assert _broken_at(session).event_id == 100000
    _sql(engine, "UPDATE audit_event SET id = :i WHERE id = 100000", i=last)
    _intact(session, count)


def _resign(engine: Engine, key: bytes) -> None:
    """What an insider with database access can do: recompute every hash and the head."""
    with Session(engine) as session:
        table = AuditEvent.__table__  # type: ignore[attr-defined]
        prev = GENESIS_HASH
        for row in session.execute(select(table).order_by(table.c.id)).mappings().all():
            signed = digest({**row, "prev_hash": prev}, key)
            session.execute(table.update().where(table.c.id == row["id"])
                            .values(prev_hash=prev, hash=signed))
            prev, seq = signed, row["id"]
        head = session.get(Setting, "audit_head")
        assert head is not None
        head.value = {**head.value, "seq": seq, "hash": prev}
        session.add(head)
        session.commit()


def test_an_insider_without_the_key_cannot_rewrite_history(engine: Engine,
                                                           session: Session) -> None:
    events = _walk(session)
    victim = events[4].id
    _sql(engine, "UPDATE audit_event SET actor = '冒名' WHERE id = :s", s=victim)
    # Re-chained with a guessed key, or as a plain SHA-256 chain: the first rewritten event fails.
    _resign(engine, b"the insider's guess at the key, 32+ chars long")
    assert _broken_at(session).event_id == 1
    unkeyed = hashlib.sha256
    with Session(engine) as s:
        table = AuditEvent.__table__  # type: ignore[attr-defined]
        prev = GENESIS_HASH
        for row in s.execute(select(table).order_by(table.c.id)).mappings().all():
            plain = unkeyed(json.dumps({**row, "prev_hash": prev}, default=str).encode()).hexdigest()
            s.execute(table.update().where(table.c.id == row["id"]).values(prev_hash=prev, hash=plain))
            prev = plain
        s.commit()
    error = _broken_at(session)
    assert error.event_id == 1 and "签名不符" in str(error)


def test_truncation_and_rewrites_are_found_by_a_published_anchor(engine: Engine,
                                                                 session: Session) -> None:
    events = _walk(session)
    published = chain_anchor(session)
    assert published is not None and published.seq == len(events)
    session.commit()
    assert verify(session=session, actor=operator(), anchors=[published]).events == len(events)
    # A prefix of the hash is enough to check against.
    short = parse_anchor(f"{published.seq}:{published.hash[:16]}")
    assert verify(session=session, actor=operator(), anchors=[short]).events == len(events)
    session.commit()

    # The insider (even with the key) deletes the newest three events and moves the head back:
    # the chain alone still verifies; the anchor printed in yesterday's summary does not.
    original = _raw(engine)
    _sql(engine, "DELETE FROM audit_event WHERE id > :s", s=published.seq - 3)
    _resign(engine, audit_key())
    _intact(session, len(events) - 3)
    error = _broken_at(session, (published,))
    assert error.event_id == published.seq and "截断" in str(error)

    # A key holder rewrites an anchored event and re-signs the rest: the anchor names it.
    _sql(engine, "DELETE FROM audit_event")
    _put_back(engine, original)
    _sql(engine, "UPDATE audit_event SET actor = '冒名' WHERE id = 2")
    _resign(engine, audit_key())
    _intact(session, len(events))
    error = _broken_at(session, (published,))
    assert error.event_id == published.seq and "锚点" in str(error)
    # An anchor older than the rewritten event still holds: the history up to it is intact.
    assert verify(session=session, actor=operator(), anchors=[Anchor(1, original[0]["hash"])]).events == len(events)


def test_bad_anchors_are_refused_in_chinese() -> None:
    for value in ("", "12", "x:abcdef0123456789", "0:abcdef0123456789", "5:abc", "5:xyz" * 5):
        with pytest.raises(InvalidInput, match="审计锚点"):
            parse_anchor(value)
    assert parse_anchor(" 7：ABCDEF0123456789 ") == Anchor(7, "abcdef0123456789")


def test_no_key_or_another_key_writes_nothing(session: Session,
                                              monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Any) -> None:
    from config.settings import reset_settings

    events = _walk(session)
    monkeypatch.delenv("DUBAN_AUDIT_KEY")
    monkeypatch.setenv("DUBAN_AUDIT_KEY_FILE", str(tmp_path / "missing.key"))
    reset_settings()
    try:
        with pytest.raises(AuditKeyError, match="未找到审计密钥文件"):
            record(session, actor=operator(), entity="task", entity_id=1, action="note", now=T0)
        session.rollback()
        monkeypatch.setenv("DUBAN_AUDIT_KEY", "short")
        reset_settings()
        with pytest.raises(AuditKeyError, match="过短"):
            record(session, actor=operator(), entity="task", entity_id=1, action="note", now=T0)
        session.rollback()
        monkeypatch.setenv("DUBAN_AUDIT_KEY", "a different key for this same database!!")
        reset_settings()
        with pytest.raises(AuditKeyError, match="密钥不一致"):
            record(session, actor=operator(), entity="task", entity_id=1, action="note", now=T0)
        session.rollback()
        with pytest.raises(AuditKeyError, match="密钥指纹"):
            verify_chain(session=session, actor=operator())
        session.rollback()
    finally:
        monkeypatch.undo()
        reset_settings()
    assert verify_chain(session=session, actor=operator()) == len(events)


def test_key_file_is_created_owner_only_and_a_loose_one_is_refused(
        tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from config.settings import reset_settings
    from engine.tasks.audit_key import ensure_key_file, key_id

    monkeypatch.delenv("DUBAN_AUDIT_KEY")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "conf"))
    monkeypatch.delenv("DUBAN_AUDIT_KEY_FILE", raising=False)
    reset_settings()
    try:
        path = ensure_key_file()
        assert path is not None and path == tmp_path / "conf" / "duban" / "audit.key"
        assert path.stat().st_mode & 0o777 == 0o600
        assert path.parent.stat().st_mode & 0o777 == 0o700
        key = audit_key()
        assert len(key) == 64 and hmac.compare_digest(key, path.read_text().strip().encode())
        assert ensure_key_file() is None and audit_key() == key  # never replaced
        assert len(key_id(key)) == 16
        loose = tmp_path / "loose.key"
        loose.write_text("k" * 64)
        loose.chmod(0o644)
        monkeypatch.setenv("DUBAN_AUDIT_KEY_FILE", str(loose))
        reset_settings()
        with pytest.raises(AuditKeyError, match="权限过宽"):
            audit_key()
    finally:
        monkeypatch.undo()
        reset_settings()
