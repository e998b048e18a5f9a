"""The hot queries use their indexes: a missing or unusable index fails here, not in production.

The engine's own statements are captured while it runs (escalation pass, the task list by unit,
the ledger's pages in each order and with each filter the web console offers, a unit's and a
leader's own scope, the 15:00 summary, the home page of each, the outbox claim) and explained: SQLite ``EXPLAIN QUERY PLAN`` must show no full
``SCAN`` of ``task`` or ``outbox``; PostgreSQL ``EXPLAIN`` (with ``enable_seqscan = off``, so that
a tiny table does not make a sequential scan the cheaper choice) must show no ``Seq Scan`` on them.
The key statements must use the index they were designed around.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from engine.escalation.run import run_pass
from engine.outbox.dispatch import claim
from engine.read.filters import PageRequest, Sort, TaskFilters
from engine.read.overview import home_overview
from engine.read.tasks import visible_tasks
from engine.summary.build import build_summary
from engine.values import Light
from tests.factories import act, at, make_city, make_task, operator, system

HOT_TABLES = ("task", "outbox")

# On the test's small tables every index that leads with status costs the same to the planner.
STATUS_LED = ("ix_task_status_due", "ix_task_status_next_check", "ix_task_status_closed",
              "ix_task_lead_status", "ix_task_lit_window", "ix_task_status_progress")

UNLESS: dict[str, tuple[str, ...]] = {"lights window": ("task.owner_id =",),
                                      "overdue list by status": ("AND task.status IN (",)}
"""Statements an entry's needles also match that belong to another entry (a unit's own lights;
the ledger's walks per status)."""

# (what the statement contains, indexes of which one must appear in its plan)
EXPECTED: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
    ("escalation candidates", ("FROM task", "task.next_check_at <="), ("ix_task_status_next_check", "ix_task_next_check")),
    ("task list by unit", ("FROM task", "task_unit.unit_id ="), ("ix_task_unit_unit_id",)),
    ("ledger page by deadline", ("FROM task \nWHERE task.due_at IS NOT NULL ORDER BY task.due_at",),
     ("ix_task_due_id", *STATUS_LED)),
    ("ledger page after a cursor", ("FROM task \nWHERE task.due_at IS NOT NULL AND (task.due_at >",),
     ("ix_task_due_id", *STATUS_LED)),
    ("ledger undated tail", ("FROM task \nWHERE task.due_at IS NULL",),
     ("ix_task_due_id", *STATUS_LED)),
    ("leader's scope", ("FROM task \nWHERE", "task.leader_id =", "task.lead_unit_id IN"),
     ("ix_task_due_id", "ix_task_leader_id", *STATUS_LED)),
    # The whole city's lights: the tallies, plus this month's deadlines as one index range.
    ("lights window", ("CASE", "GROUP BY", "FROM task", "task.due_at >="),
     ("ix_task_lit_window", "ix_task_due_id", *STATUS_LED)),
    # A unit's own lights start from its tasks: its task_unit rows and the tasks it owns.
    ("a unit's lights", ("CASE", "GROUP BY", "task_unit.unit_id =", "task.owner_id ="),
     ("ix_task_unit_unit_id", "ix_task_owner_id")),
    ("overdue list by status", ("FROM task", "task.status =", "task.due_at <", "ORDER BY task.due_at"),
     STATUS_LED),
    # The 红灯 / 逾期 ledger: one walk per status, merged. On these few rows either index is
    # as cheap to the planner; at a million the status-led one serves (bench/RESULTS.md).
    ("ledger page, one status of several", ("WHERE task.status =", "AND task.status IN (",
                                            "ORDER BY task.due_at"),
     ("ix_task_due_id", *STATUS_LED)),
    ("summary new", ("task.created_at >=",), ("ix_task_created",)),
    ("summary closed", ("task.closed_at >=",), STATUS_LED),
    ("summary escalated", ("audit_event.action =",), ("ix_audit_action_at",)),
    ("recurring due", ("task.recurrence_text IS NOT NULL", "task.successor_created"),
     ("ix_task_recurring",)),
    ("outbox claim", ("FROM outbox", "outbox.next_attempt_at <="), ("ix_outbox_status_next",)),
]


@contextmanager
def captured(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    statements: list[tuple[str, Any]] = []

    def listen(_conn: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any,
               executemany: bool) -> None:
        if not executemany and statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", listen)


def explain(session: Session, statement: str, parameters: Any) -> str:
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
        return "\n".join(str(r[-1]) for r in rows)
    conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
    rows = conn.exec_driver_sql("EXPLAIN " + statement, parameters).all()
    return "\n".join(str(r[0]) for r in rows)


def full_scans(plan_text: str, dialect: str, statement: str = "") -> list[str]:
    # A page in creation order: SQLite walks the table's rowid (its primary key), either way,
    # and stops at the page's end; it names no index for that.
    if dialect == "sqlite" and re.search(r"ORDER BY task\.id( DESC)?\s+LIMIT", statement):
        plan_text = re.sub(r"^SCAN task$", "SCAN task USING INDEX (rowid)", plan_text, flags=re.M)
    if dialect == "sqlite":
        pattern = re.compile(rf"^SCAN ({'|'.join(HOT_TABLES)})\b(?! USING (COVERING )?INDEX)", re.M)
    else:
        pattern = re.compile(rf"Seq Scan on ({'|'.join(HOT_TABLES)})\b")
    return pattern.findall(plan_text)


def touches_hot_table(statement: str) -> bool:
    return bool(re.search(rf"\b(FROM|JOIN) ({'|'.join(HOT_TABLES)})\b", statement))


def _world(session: Session) -> None:
    city = make_city(session)
    for i in range(6):
        make_task(session, city, due="3月8日前" if i % 2 else "3月31日前", title=f"事项{i}",
                  co=["HOUSING"] if i % 3 else [])
    make_task(session, city, due="每月5日前报送", title="月报", co=[])
    make_task(session, city, due=None, title="待定时限的草稿", co=[], assign=False)
    session.commit()


def _run_hot_paths(session: Session) -> None:
    from engine.org.directory import find_person

    now = at("2024-03-12", "15:00")
    run_pass(session=session, actor=system(), now=now)
    everyone, unit = operator(), act(find_person(session, "张联络"))
    leader = act(find_person(session, "李占明"))

    def pages(actor: object, filters: TaskFilters) -> None:
        """Every page, three rows each (the undated drafts come last in a deadline order)."""
        cursor: str | None = None
        while True:
            page = visible_tasks(session=session, actor=actor, now=now,  # type: ignore[arg-type]
                                 filters=filters, page=PageRequest(limit=3, cursor=cursor))
            cursor = page.next_cursor
            if cursor is None:
                return

    visible_tasks(session=session, actor=everyone, now=now, filters=TaskFilters(unit="FIRE"))
    for sort in Sort:
        pages(everyone, TaskFilters(sort=sort))
    pages(everyone, TaskFilters(light=Light.RED))
    pages(everyone, TaskFilters(unit="HOUSING", overdue=True))
    pages(unit, TaskFilters())
    pages(leader, TaskFilters())
    build_summary(session, now=now + timedelta(hours=1))
    for reader in (everyone, unit, leader):
        home_overview(session=session, actor=reader, now=now)
    claim(session, now=now, limit=50, worker="plans")
    session.rollback()


def test_hot_queries_use_their_indexes(session: Session, engine: Engine) -> None:
    _world(session)
    with captured(engine) as statements:
        _run_hot_paths(session)
    dialect = engine.dialect.name
    hot = [(s, p) for s, p in statements if touches_hot_table(s)]
    assert hot, "no statement on task/outbox was captured"
    problems: list[str] = []
    found: dict[str, bool] = {name: False for name, _, _ in EXPECTED}
    for statement, parameters in hot:
        plan_text = explain(session, statement, parameters)
        scans = full_scans(plan_text, dialect, statement)
        if scans:
            problems.append(f"full scan of {scans} in:\n{statement}\n{plan_text}")
        for name, needles, indexes in EXPECTED:
            if all(n in statement for n in needles) and not any(
                    u in statement for u in UNLESS.get(name, ())):
                found[name] = True
                if not any(ix in plan_text for ix in indexes):
                    problems.append(f"{name}: none of {indexes} used in:\n{statement}\n{plan_text}")
    session.rollback()
    missing = [name for name, seen in found.items() if not seen]
    assert not missing, f"hot statements not issued (test out of date?): {missing}"
    assert not problems, "\n\n".join(problems)
