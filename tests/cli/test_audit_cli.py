"""``duban init`` creates the audit key outside the database; ``duban audit verify [--anchor]``
and ``duban audit anchor`` on both backends; an old unkeyed chain is sealed at the upgrade."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from engine.store.db import make_engine
from tests.cli import assert_refused, db_url, invoke  # noqa: F401  (fixture)


def _setup(capsys: pytest.CaptureFixture[str], url: str) -> None:
    assert invoke(capsys, url, "init").code == 0
    assert invoke(capsys, url, "unit", "add", "FIRE", "市消防救援支队").code == 0
    assert invoke(capsys, url, "unit", "add", "HOUSING", "市住建局").code == 0
    assert invoke(capsys, url, "person", "add", "赵督查", "--role", "office").code == 0


def _sql(url: str, statement: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()


def _move_head_back(url: str) -> None:
    """What an insider does after cutting the tail: point the recorded head at the new last."""
    engine = make_engine(url)
    cast = "CAST(:v AS JSON)" if engine.dialect.name == "postgresql" else ":v"
    try:
        with engine.begin() as conn:
            seq, hash_ = conn.execute(text(
                "SELECT id, hash FROM audit_event ORDER BY id DESC LIMIT 1")).one()
            head = conn.execute(text("SELECT value FROM setting WHERE key = 'audit_head'")).scalar()
            stored: dict[str, Any] = json.loads(head) if isinstance(head, str) else dict(head or {})
            value = {**stored, "seq": seq,
                     "hash": hash_}
            conn.execute(text(f"UPDATE setting SET value = {cast} WHERE key = 'audit_head'"),
                         {"v": json.dumps(value)})
    finally:
        engine.dispose()


def test_verify_names_the_event_and_checks_anchors(capsys: pytest.CaptureFixture[str],
                                                   db_url: str) -> None:  # noqa: F811
    _setup(capsys, db_url)
    result = invoke(capsys, db_url, "audit", "verify", "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["ok"] and report["events"] == 3 and report["head"].startswith("3:")
    anchor = json.loads(invoke(capsys, db_url, "audit", "anchor", "--json").out)["anchor"]
    assert anchor == report["head"]
    ok = invoke(capsys, db_url, "audit", "verify", "--anchor", anchor)
    assert ok.code == 0 and "与 1 个已公布锚点相符" in ok.out

    # Cut the newest event and move the recorded head back: only the anchor notices.
    _sql(db_url, "DELETE FROM audit_event WHERE id = 3")
    assert_refused(invoke(capsys, db_url, "audit", "verify"), 1, "第 3 号事件")
    _move_head_back(db_url)
    assert invoke(capsys, db_url, "audit", "verify").code == 0
    assert_refused(invoke(capsys, db_url, "audit", "verify", "--anchor", anchor), 1, "第 3 号事件")
    assert_refused(invoke(capsys, db_url, "audit", "verify", "--anchor", "3:zz"), 1, "审计锚点")


def test_an_edited_event_is_named(capsys: pytest.CaptureFixture[str],
                                  db_url: str) -> None:  # noqa: F811  # noqa: F811
    _setup(capsys, db_url)
    _sql(db_url, "UPDATE audit_event SET actor = '某人' WHERE id = 2")
    result = invoke(capsys, db_url, "audit", "verify")
    assert_refused(result, 1, "审计链校验失败：第 2 号事件")
    assert "某人" in result.err_line and "签名不符" in result.err_line


def test_init_creates_the_key_file_outside_the_database(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from config.settings import reset_settings

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DUBAN_AUDIT_KEY")
    monkeypatch.setenv("DUBAN_AUDIT_KEY_FILE", str(tmp_path / "secrets" / "audit.key"))
    reset_settings()
    url = f"sqlite:///{tmp_path}/duban.db"
    try:
        refused = invoke(capsys, url, "unit", "add", "X", "某单位")
        assert refused.code == 1  # no database yet
        result = invoke(capsys, url, "init")
        assert result.code == 0 and "已生成审计密钥文件" in result.out.replace("\n", "")
        key = tmp_path / "secrets" / "audit.key"
        assert key.stat().st_mode & 0o777 == 0o600
        assert key.read_text().strip().encode() not in (tmp_path / "duban.db").read_bytes()
        assert invoke(capsys, url, "unit", "add", "X", "某单位").code == 0
        assert "已生成" not in invoke(capsys, url, "init").out  # kept, never replaced
        assert invoke(capsys, url, "audit", "verify").code == 0
        key.chmod(0o640)
        assert_refused(invoke(capsys, url, "unit", "add", "Y", "另一单位"), 1, "权限过宽")
        key.unlink()
        assert_refused(invoke(capsys, url, "unit", "add", "Y", "另一单位"), 1, "未找到审计密钥文件")
    finally:
        monkeypatch.undo()
        reset_settings()


def _legacy_database(url: str) -> None:
    """A database at revision 0002 whose chain was hashed the old way (plain SHA-256): two events
    written before revision 0002 (no wall clock), then one written at it."""
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from alembic import command

    from engine.store.schema import alembic_config
    from engine.tasks.audit_seal import _legacy_digest, _old_table

    engine = make_engine(url, create_dirs=True)
    cfg = alembic_config(url)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection  # type: ignore[attr-defined]
        command.upgrade(cfg, "0002")  # type: ignore[arg-type]
    prev = "0" * 64
    with engine.begin() as conn:
        table = _old_table(conn)
        for i in range(1, 4):
            row = SimpleNamespace(
                id=i, at=datetime(2024, 3, i, tzinfo=UTC), actor="system", actor_id=None,
                entity="unit", entity_id=i, action="create", before=None, after={"code": f"U{i}"},
                prev_hash=prev, channel="cli" if i == 3 else None, client=None,
                on_behalf_unit_id=None, recorded_at=datetime(2024, 3, i, tzinfo=UTC) if i == 3
                else None)
            row.hash = _legacy_digest(row)
            conn.execute(table.insert().values(**vars(row)))
            prev = row.hash
        conn.execute(text("INSERT INTO setting (key, value, updated_at) VALUES "
                          "('audit_head', :v, '2024-03-03 00:00:00')"),
                     {"v": json.dumps({"hash": prev})})
    engine.dispose()


def test_an_old_unkeyed_chain_is_sealed_at_the_upgrade(capsys: pytest.CaptureFixture[str],
                                                       tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path}/old.db"
    _legacy_database(url)
    result = invoke(capsys, url, "init")
    assert result.code == 0, result.err
    report = json.loads(invoke(capsys, url, "audit", "verify", "--json").out)
    assert report["events"] == 4  # three old events, re-signed, and the seal
    engine = make_engine(url)
    with engine.connect() as conn:
        seal = conn.execute(text("SELECT after FROM audit_event WHERE action = 'seal'")).scalar()
    engine.dispose()
    assert json.loads(str(seal))["legacy_events"] == 3


def test_a_tampered_old_chain_is_not_sealed(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.store.schema import current_revision

    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path}/old.db"
    _legacy_database(url)
    _sql(url, "UPDATE audit_event SET actor = '某人' WHERE id = 2")
    assert_refused(invoke(capsys, url, "init"), 1, "拒绝用密钥封存")
    engine = make_engine(url)
    assert current_revision(engine) == "0002"
    engine.dispose()
