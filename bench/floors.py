"""The database's own floor for each benchmark: hand-written SQL through the bare DB-API driver
(sqlite3 / psycopg), doing the same selection and the same writes as the engine did.

Each function returns the seconds of the timed part (connection set up before the clock starts).
"""

from __future__ import annotations

import pickle
import time
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from bench.common import NOW, kind_of, raw_connect, sqlite_text

LADDER = "('assigned', 'acknowledged', 'in_progress')"
OPEN = "('draft', 'assigned', 'acknowledged', 'in_progress', 'pending_review')"
TASK_COLS = ("id, code, title, status, priority, due_at, due_text, original_due_at, original_due_text, "
             "extension_count, lead_unit_id, owner_id, leader_id, escalation_level, target, "
             "achieved, measure, directive_id, parent_id, recurrence_text, rating, "
             "last_progress_at, assigned_at, cadence_days, deadline_version, next_check_at")
OUTBOX_COLS = ("dedupe_key, kind, task_id, level, recipient_id, subject, body, body_html, actions, "
               "status, attempts, next_attempt_at, created_at")
AUDIT_COLS = "id, at, actor, actor_id, entity, entity_id, action, before, after, prev_hash, hash"


class Db:
    """A raw connection with the placeholder style and datetime form of its backend."""

    def __init__(self, url: str) -> None:
        self.url, self.kind = url, kind_of(url)
        self.conn = raw_connect(url)
        self.sqlite = self.kind == "sqlite"

    def q(self, sql: str) -> str:
        return sql if self.sqlite else sql.replace("?", "%s")

    def dt(self, value: datetime) -> Any:
        return sqlite_text(value) if self.sqlite else value

    def begin(self) -> None:
        if self.sqlite:
            self.conn.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self.conn.execute("COMMIT") if self.sqlite else self.conn.commit()

    def all(self, sql: str, params: Any = ()) -> list[Any]:
        return list(self.conn.execute(self.q(sql), params).fetchall())

    def many(self, sql: str, rows: list[Any]) -> None:
        if rows:
            cur = self.conn.cursor()
            cur.executemany(self.q(sql), rows)


def capture_escalation(url: str, marks: dict[str, Any], path: str) -> dict[str, int]:
    """Save what the engine's pass wrote (outbox rows, audit events, task columns)."""
    db = Db(url)
    json_text = "CAST({} AS TEXT)"
    outbox = db.all(f"SELECT {OUTBOX_COLS} FROM outbox WHERE id > ? ORDER BY id", (marks["outbox_id"],))
    audit = db.all(f"SELECT id, at, actor, actor_id, entity, entity_id, action, {json_text.format('before')}, "
                   f"{json_text.format('after')}, prev_hash, hash FROM audit_event WHERE id > ? "
                   "ORDER BY id", (marks["audit_id"],))
    tasks = db.all("SELECT t.status, t.escalation_level, t.escalated_at, t.next_check_at, t.updated_at, "
                   "t.id FROM task t JOIN bench_snapshot s ON s.id = t.id")
    head = db.all("SELECT CAST(value AS TEXT) FROM setting WHERE key = 'audit_head'")[0][0]
    db.conn.close()
    with open(path, "wb") as fh:
        pickle.dump({"outbox": outbox, "audit": audit, "tasks": tasks, "head": head}, fh)
    return {"outbox": len(outbox), "audit": len(audit), "tasks": len(tasks)}


def escalation(url: str, path: str, batch: int = 500) -> float:
    """Select the due tasks batch by batch in the engine's order; write the engine's rows."""
    with open(path, "rb") as fh:
        data = pickle.load(fh)
    by_task_out: dict[int, list[Any]] = defaultdict(list)
    for row in data["outbox"]:
        by_task_out[row[2]].append(row)
    by_task_audit: dict[int, list[Any]] = defaultdict(list)
    for row in data["audit"]:
        by_task_audit[row[5]].append(row)
    updates = {row[-1]: row for row in data["tasks"]}
    db = Db(url)
    now = db.dt(NOW)
    conflict = " ON CONFLICT (dedupe_key) DO NOTHING"
    # The engine locks what it selects on PostgreSQL (concurrent passes split the work): so does this.
    lock = "" if db.sqlite else " FOR UPDATE SKIP LOCKED"
    t0 = time.perf_counter()
    db.begin()
    db.all("SELECT id FROM task WHERE recurrence_text IS NOT NULL AND successor_created = ? "
           f"AND due_at <= ? AND status NOT IN ('cancelled', 'draft') ORDER BY id{lock}", (False, now))
    db.all(f"SELECT id FROM recheck WHERE done_at IS NULL AND notified_at IS NULL AND due_at <= ?{lock}",
           (now,))
    db.commit()
    while True:
        db.begin()
        rows = db.all(f"SELECT {TASK_COLS} FROM task WHERE next_check_at <= ? AND status IN {LADDER} "
                      f"ORDER BY next_check_at, id LIMIT ?{lock}", (now, batch))
        if not rows:
            db.commit()
            break
        ids = [r[0] for r in rows]
        db.many(f"INSERT INTO audit_event ({AUDIT_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [a for i in ids for a in by_task_audit.get(i, ())])
        db.many(f"INSERT INTO outbox ({OUTBOX_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                + conflict, [o for i in ids for o in by_task_out.get(i, ())])
        db.many("UPDATE task SET status = ?, escalation_level = ?, escalated_at = ?, next_check_at = ?, "
                "updated_at = ? WHERE id = ?", [updates[i] for i in ids if i in updates])
        db.all("UPDATE setting SET value = ? WHERE key = 'audit_head' RETURNING key", (data["head"],))
        db.commit()
    seconds = time.perf_counter() - t0
    db.conn.close()
    return seconds


def summary_params(now: datetime = NOW) -> dict[str, datetime]:
    from config.policy import Policy
    from engine.calendar.lights import yellow_cutoff

    policy = Policy()
    return {"now": now, "cutoff": yellow_cutoff(now, policy), "since": now - timedelta(days=1),
            "stale": now - timedelta(days=policy.progress_cadence_days)}


def summary(url: str, params: dict[str, datetime]) -> float:
    """The 15:00 summary's aggregates and lists, as the engine issues them, in bare SQL."""
    db = Db(url)
    now, cutoff, since, stale = (db.dt(params[k]) for k in ("now", "cutoff", "since", "stale"))
    light = "CASE WHEN due_at < ? THEN 'red' WHEN due_at <= ? OR escalation_level >= 1 THEN 'yellow' ELSE 'green' END"
    sections = [
        (f"status IN {OPEN} AND due_at < ?", (now,), "due_at"),
        (f"status IN {OPEN} AND due_at >= ? AND due_at <= ?", (now, cutoff), "due_at"),
        ("created_at >= ? AND created_at <= ?", (since, now), "id"),
        ("status = 'closed' AND closed_at >= ?", (since,), "closed_at"),
        (f"status IN {LADDER} AND COALESCE(last_progress_at, assigned_at) < ?", (stale,), "last_progress_at"),
        ("id IN (SELECT task_id FROM extension_request WHERE status = 'pending')", (), "id"),
        ("id IN (SELECT entity_id FROM audit_event WHERE action = 'escalate' AND at >= ?)", (since,),
         "escalation_level DESC"),
    ]
    t0 = time.perf_counter()
    db.begin()
    db.all("SELECT built_at FROM summary_run WHERE built_at < ? ORDER BY built_at DESC LIMIT 1", (now,))
    db.all(f"SELECT {light} AS light, count(*) FROM task WHERE status IN {OPEN} GROUP BY light",
           (now, cutoff))
    db.all(f"SELECT u.name, SUM(CASE WHEN ({light}) = 'red' THEN 1 ELSE 0 END), "
           f"SUM(CASE WHEN ({light}) = 'yellow' THEN 1 ELSE 0 END), count(*) FROM task "
           f"JOIN unit u ON u.id = task.lead_unit_id WHERE task.status IN {OPEN} GROUP BY u.name",
           (now, cutoff, now, cutoff))
    for where, args, order in sections:
        total = db.all(f"SELECT count(*) FROM task WHERE {where}", args)[0][0]
        if not total:
            continue
        rows = db.all(f"SELECT {TASK_COLS} FROM task WHERE {where} ORDER BY {order}, id LIMIT 50", args)
        _names(db, rows)
    db.commit()
    seconds = time.perf_counter() - t0
    db.conn.close()
    return seconds


def _names(db: Db, rows: list[Any]) -> dict[str, Any]:
    """The co-units, unit names and people names of listed rows (as the engine's list does)."""
    ids = [r[0] for r in rows]
    if not ids:
        return {}
    marks = ", ".join("?" * len(ids))
    co = db.all(f"SELECT task_id, unit_id FROM task_unit WHERE task_id IN ({marks}) AND role = 'co' "
                "ORDER BY id", ids)
    units = {r[10] for r in rows} | {u for _, u in co}
    people = {r[11] for r in rows} | {r[12] for r in rows}
    people.discard(None)
    names = dict(db.all(f"SELECT id, name FROM unit WHERE id IN ({', '.join('?' * len(units))})", list(units)))
    persons = dict(db.all(f"SELECT id, name FROM person WHERE id IN ({', '.join('?' * len(people))})",
                          list(people))) if people else {}
    return {"co": co, "units": names, "people": persons}


def dispatch(url: str, worker: str = "floor") -> tuple[float, int]:
    """Claim 200 at a time (locking as the engine does), then mark each row sent in a
    transaction of its own — the engine's at-most-one-in-flight guarantee, made durable as the
    engine makes it: SQLite ``BEGIN IMMEDIATE`` … ``COMMIT``; PostgreSQL one autocommitted
    UPDATE on a connection with ``synchronous_commit`` off."""
    db = Db(url)
    marks = raw_connect(url)
    if not db.sqlite:
        marks.autocommit = True
        marks.execute("SET synchronous_commit TO off")
    now = db.dt(NOW)
    lock = "" if db.sqlite else " FOR UPDATE SKIP LOCKED"
    mark = db.q("UPDATE outbox SET status = 'sent', sent_at = ?, channel = 'memory', "
                "claimed_by = NULL WHERE id = ?")
    sent = 0
    t0 = time.perf_counter()
    while True:
        db.begin()
        rows = db.all("SELECT id, recipient_id, kind, subject, body, body_html, actions, attempts "
                      "FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? "
                      f"ORDER BY next_attempt_at, id LIMIT 200{lock}", (now,))
        db.many("UPDATE outbox SET status = 'sending', claimed_at = ?, claimed_by = ?, "
                "attempts = attempts + 1 WHERE id = ?", [(now, worker, r[0]) for r in rows])
        db.commit()
        if not rows:
            break
        for row in rows:
            if db.sqlite:
                marks.execute("BEGIN IMMEDIATE")
                marks.execute(mark, (now, row[0]))
                marks.execute("COMMIT")
            else:
                marks.execute(mark, (now, row[0]))
            sent += 1
    marks.close()
    seconds = time.perf_counter() - t0
    db.conn.close()
    return seconds, sent


FLOOR_INDEX = "ix_bench_floor_lights"
"""The floor's own covering index (lead unit, status, deadline, escalation): created by the
benchmark on its database, not part of the schema."""
LIT = "('assigned', 'acknowledged', 'in_progress', 'pending_review')"


def ensure_floor_index(url: str) -> None:
    db = Db(url)
    db.conn.execute(f"CREATE INDEX IF NOT EXISTS {FLOOR_INDEX} ON task "
                    "(lead_unit_id, status, due_at, escalation_level)")
    if not db.sqlite:
        db.conn.commit()
        db.conn.autocommit = True
        db.conn.execute("VACUUM ANALYZE task")  # index-only scans need the visibility map
    else:
        db.conn.execute("ANALYZE task")
    db.conn.close()


class LightsFloor:
    """The bare SQL counting open tasks by lead unit and light from a covering index (the
    issue's floor for the home page and the summary), on one open connection."""

    def __init__(self, url: str, params: dict[str, datetime]) -> None:
        self.db = Db(url)
        hint = f" INDEXED BY {FLOOR_INDEX}" if self.db.sqlite else ""
        self.sql = self.db.q(
            "SELECT lead_unit_id, CASE WHEN due_at < ? THEN 'red' WHEN due_at <= ? OR "
            "escalation_level >= 1 THEN 'yellow' ELSE 'green' END AS light, count(*) "
            f"FROM task{hint} WHERE status IN {LIT} GROUP BY lead_unit_id, light")
        self.args = (self.db.dt(params["now"]), self.db.dt(params["cutoff"]))

    def run(self) -> float:
        t0 = time.perf_counter()
        rows = self.db.conn.execute(self.sql, self.args).fetchall()
        if not self.db.sqlite:
            self.db.conn.rollback()
        self.count = len(rows)
        return time.perf_counter() - t0

    def close(self) -> None:
        self.db.conn.close()
