"""Put a benchmark database back as generated after a pass wrote to it.

:func:`snapshot` (run once, on the freshly generated database) keeps the columns an escalation
pass changes for the tasks due at ``NOW`` and the high-water marks of the tables it appends to;
:func:`restore` undoes a pass — the engine's or the hand-written floor's — so that every
repetition starts from the same state.
"""

from __future__ import annotations

from typing import Any

from bench.common import NOW, kind_of, raw_connect, sqlite_text

LADDER = ("assigned", "acknowledged", "in_progress")
_COLS = "id, status, escalation_level, escalated_at, next_check_at, updated_at"


def _now(url: str) -> Any:
    return sqlite_text(NOW) if kind_of(url) == "sqlite" else NOW


def _q(url: str, sql: str) -> str:
    return sql.replace("?", "%s") if kind_of(url) == "postgresql" else sql


def _exists(conn: Any, url: str, table: str) -> bool:
    if kind_of(url) == "sqlite":
        row = conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (table,)).fetchone()
    else:
        row = conn.execute("SELECT to_regclass(%s)", (table,)).fetchone()
        row = row if row and row[0] else None
    return row is not None


def snapshot(url: str) -> None:
    """Record the pristine state (no-op when already recorded)."""
    conn = raw_connect(url)
    try:
        if _exists(conn, url, "bench_snapshot"):
            return
        statuses = ", ".join(f"'{s}'" for s in LADDER)
        conn.execute("BEGIN") if kind_of(url) == "sqlite" else None
        conn.execute(_q(url, f"CREATE TABLE bench_snapshot AS SELECT {_COLS} FROM task "
                             f"WHERE next_check_at <= ? AND status IN ({statuses})"), (_now(url),))
        conn.execute(
            "CREATE TABLE bench_marks AS SELECT "
            "(SELECT COALESCE(MAX(id), 0) FROM outbox) AS outbox_id, "
            "(SELECT COALESCE(MAX(id), 0) FROM audit_event) AS audit_id, "
            "(SELECT COALESCE(MAX(id), 0) FROM task) AS task_id, "
            "(SELECT value FROM setting WHERE key = 'audit_head') AS head")
        conn.execute("COMMIT") if kind_of(url) == "sqlite" else conn.commit()
    finally:
        conn.close()


def marks(url: str) -> dict[str, Any]:
    conn = raw_connect(url)
    try:
        row = conn.execute("SELECT outbox_id, audit_id, task_id FROM bench_marks").fetchone()
        return {"outbox_id": row[0], "audit_id": row[1], "task_id": row[2]}
    finally:
        conn.close()


def restore(url: str) -> None:
    """Undo every write made since :func:`snapshot`."""
    conn = raw_connect(url)
    sqlite = kind_of(url) == "sqlite"
    try:
        if sqlite:
            conn.execute("BEGIN IMMEDIATE")
        for sql in (
            "DELETE FROM outbox WHERE id > (SELECT outbox_id FROM bench_marks)",
            "DELETE FROM audit_event WHERE id > (SELECT audit_id FROM bench_marks)",
            "DELETE FROM task_unit WHERE task_id > (SELECT task_id FROM bench_marks)",
            "DELETE FROM task WHERE id > (SELECT task_id FROM bench_marks)",
            "UPDATE task SET status = s.status, escalation_level = s.escalation_level, "
            "escalated_at = s.escalated_at, next_check_at = s.next_check_at, "
            "updated_at = s.updated_at FROM bench_snapshot s WHERE task.id = s.id",
            "UPDATE setting SET value = (SELECT head FROM bench_marks) WHERE key = 'audit_head'",
        ):
            conn.execute(sql)
        if sqlite:
            conn.execute("COMMIT")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            conn.commit()
    finally:
        conn.close()
