"""Maintained counts of tasks (``task_tally``), kept exact by database triggers on ``task``.

Nothing here depends on ``now``: each row counts tasks by a *measure* (what is counted), a local
calendar bucket (``day``: a local date or a local month, by measure), the lead unit and whether
the task is escalated. Lights and the trend are derived from these at read time
(:mod:`engine.read.tally`). Triggers append signed changes to ``task_tally_delta`` (append-only,
so concurrent writers never wait on each other's counters); ``engine.store.tally.compact``
folds them into ``task_tally``. A reader sums both, so what it reads is exact as of its own
transaction. ``task_tally_meta`` holds the fixed UTC offset (minutes) the local buckets use.
"""

from __future__ import annotations

from sqlalchemy import Index, String, event
from sqlalchemy.engine import Connection
from sqlmodel import Field

from models.base import Model
from models.task import Task


class TaskTally(Model, table=True):
    __tablename__ = "task_tally"
    measure: str = Field(sa_type=String(8), primary_key=True)
    day: str = Field(sa_type=String(16), primary_key=True)
    lead_unit_id: int = Field(primary_key=True, default=0)
    escalated: int = Field(primary_key=True, default=0)
    n: int = 0


class TaskTallyDelta(Model, table=True):
    __tablename__ = "task_tally_delta"
    __table_args__ = (Index("ix_task_tally_delta_key", "measure", "day"),)
    id: int | None = Field(default=None, primary_key=True)
    measure: str = Field(sa_type=String(8))
    day: str = Field(sa_type=String(16))
    lead_unit_id: int = 0
    escalated: int = 0
    n: int = 0


class TaskTallyMeta(Model, table=True):
    __tablename__ = "task_tally_meta"
    id: int = Field(default=1, primary_key=True)
    offset_minutes: int = 480
    """The local buckets' UTC offset: the policy zone's (Asia/Shanghai: +8 h, no DST)."""


DEFAULT_OFFSET = 480
"""The offset the triggers and readers assume when ``task_tally_meta`` holds no row."""
OFFSET_SQL = (f"COALESCE((SELECT offset_minutes FROM task_tally_meta WHERE id = 1), "
              f"{DEFAULT_OFFSET})")




# -- the triggers ----------------------------------------------------------------------------
# What each measure counts: (name, condition on the row, bucket, lead unit?, escalated?).
# ``a``/``c``/``d`` are the row's assigned_at / closed_at / due_at; a bucket over several of
# them is the local day of the latest (the trend needs "all of these happened by day D").
PASSED = "due_passed"
"""Not a column: the deadline plus one second. A task is overdue at a moment strictly after
its deadline, so at a day's close (23:59:59, the moment "…日前" deadlines are written as) one
due then is not yet overdue: the trend's overdue buckets go by the day of ``due_at + 1 s``, the
first day on whose close the deadline has passed (engine.read.trend)."""
LIT = "{r}.status IN ('assigned', 'acknowledged', 'in_progress', 'pending_review')"
LADDER = "{r}.status IN ('assigned', 'acknowledged', 'in_progress')"
CLOSED = "{r}.status = 'closed'"
EVERY = "1 = 1"
MEASURES: tuple[tuple[str, str, str, tuple[str, ...], tuple[str, ...], bool], ...] = (
    ("due", LIT, "month", ("due_at",), (), True),
    ("due_d", LIT, "day", ("due_at",), (), True),
    ("closed", CLOSED, "none", (), (), True),
    ("status", EVERY, "raw", ("status",), (), False),
    ("prog", LADDER, "first", ("last_progress_at", "assigned_at"), (), False),
    ("lit_a", LIT, "day", ("assigned_at",), (), False),
    ("lit_ad", LIT, "day", ("assigned_at", PASSED), (), False),
    ("cl_a", CLOSED, "day", ("assigned_at",), ("closed_at",), False),
    ("cl_c", CLOSED, "day", ("closed_at",), (), False),
    ("cl_ac", CLOSED, "day", ("assigned_at", "closed_at"), (), False),
    ("cl_ad", CLOSED, "day", ("assigned_at", PASSED), ("closed_at",), False),
    ("cl_adc", CLOSED, "day", ("assigned_at", PASSED, "closed_at"), (), False),
)
"""(name, condition, bucket kind, bucket columns, other columns required, per lead unit).

``due`` / ``due_d``: lit tasks by local month / day of the deadline, per lead unit and
escalated or not (the lights: months before the current one, days around ``now``); ``closed``:
closed tasks per lead unit (the board); ``status``: every task by status; ``prog``: tasks the
units owe work on by the local day of their last report, else of their assignment (stale
progress); the rest: whole-city counts by the local day by which the named moments had all
passed (the 30-day trend, :mod:`engine.read.trend`). Bucket kinds: ``month`` / ``day`` of the
latest of the columns, ``first``: day of the first that is set, ``raw``: the column's value."""

WATCHED = ("status", "lead_unit_id", "due_at", "escalation_level", "assigned_at", "closed_at",
           "last_progress_at")
"""The task columns the measures read: an update touching none of them changes no count."""


def _column(dialect: str, r: str, column: str) -> str:
    if column != PASSED:
        return f"{r}.{column}"
    # SQLite's datetime() drops a fraction of a second: 23:59:58.5 + 1 s is 23:59:59 (before
    # the close: overdue that day), 23:59:59.5 + 1 s is 00:00:00 (the next day) — as wanted.
    if dialect == "sqlite":
        return f"datetime({r}.due_at, '+1 second')"
    return f"({r}.due_at + interval '1 second')"


def _moment(dialect: str, r: str, kind: str, columns: tuple[str, ...]) -> str:
    refs = ", ".join(_column(dialect, r, c) for c in columns)
    if len(columns) == 1:
        return refs
    if kind == "first":
        return f"COALESCE({refs})"
    return f"max({refs})" if dialect == "sqlite" else f"GREATEST({refs})"


def _bucket(dialect: str, r: str, kind: str, columns: tuple[str, ...], offset: str) -> str:
    if kind == "none":
        return "''"
    if kind == "raw":
        return _column(dialect, r, columns[0])
    moment = _moment(dialect, r, kind, columns)
    if dialect == "sqlite":
        pattern = "%Y-%m" if kind == "month" else "%Y-%m-%d"
        return f"strftime('{pattern}', {moment}, {offset} || ' minutes')"
    pattern = "YYYY-MM" if kind == "month" else "YYYY-MM-DD"
    return (f"to_char(({moment} AT TIME ZONE 'UTC') + make_interval(mins => {offset}), "
            f"'{pattern}')")


def measure_rows(dialect: str, r: str, sign: int, *, source: str = "",
                 offset: str = OFFSET_SQL) -> str:
    """One ``SELECT measure, day, u, e, n`` per measure for row ``r`` (``NEW``/``OLD`` in a
    trigger; ``task`` with ``source=' FROM task'`` for a full recount), joined by UNION ALL."""
    parts = []
    for name, condition, kind, columns, required, per_unit in MEASURES:
        present = [condition.format(r=r)] + [f"{r}.{c} IS NOT NULL" for c in required]
        if columns:
            present.append(f"{_moment(dialect, r, kind, columns)} IS NOT NULL")
        unit = f"COALESCE({r}.lead_unit_id, 0)" if per_unit else "0"
        esc = (f"CASE WHEN {r}.escalation_level >= 1 THEN 1 ELSE 0 END"
               if per_unit and columns else "0")
        bucket = _bucket(dialect, r, kind, columns, offset)
        parts.append(f"SELECT '{name}' AS measure, {bucket} AS day, {unit} AS u, {esc} AS e, "
                     f"{sign} AS n{source} WHERE {' AND '.join(present)}")
    return "\nUNION ALL ".join(parts)


def _track(dialect: str, rows: list[tuple[str, int]]) -> str:
    union = "\nUNION ALL ".join(measure_rows(dialect, r, sign) for r, sign in rows)
    return ("INSERT INTO task_tally_delta (measure, day, lead_unit_id, escalated, n) "
            f"SELECT measure, day, u, e, SUM(n) FROM ({union}) AS x "
            "GROUP BY measure, day, u, e HAVING SUM(n) <> 0")


def _changed(dialect: str) -> str:
    differ = " IS NOT " if dialect == "sqlite" else " IS DISTINCT FROM "
    return " OR ".join(f"OLD.{c}{differ}NEW.{c}" for c in WATCHED)


def trigger_ddl(dialect: str) -> list[str]:
    """The statements that (re)install the triggers keeping the tallies exact."""
    inserted, deleted = _track(dialect, [("NEW", 1)]), _track(dialect, [("OLD", -1)])
    updated = _track(dialect, [("OLD", -1), ("NEW", 1)])
    watched = ", ".join(WATCHED)
    drops = [f"DROP TRIGGER IF EXISTS task_tally_{op} ON task" if dialect != "sqlite"
             else f"DROP TRIGGER IF EXISTS task_tally_{op}" for op in ("ins", "del", "upd")]
    if dialect == "sqlite":
        return [*drops,
                f"CREATE TRIGGER task_tally_ins AFTER INSERT ON task BEGIN {inserted}; END",
                f"CREATE TRIGGER task_tally_del AFTER DELETE ON task BEGIN {deleted}; END",
                f"CREATE TRIGGER task_tally_upd AFTER UPDATE OF {watched} ON task "
                f"WHEN {_changed(dialect)} BEGIN {updated}; END"]
    body = (f"BEGIN IF TG_OP = 'INSERT' THEN {inserted}; ELSIF TG_OP = 'DELETE' THEN {deleted}; "
            f"ELSE {updated}; END IF; RETURN NULL; END")
    function = "CREATE OR REPLACE FUNCTION task_tally_track() RETURNS trigger LANGUAGE plpgsql AS "
    return [*drops, f"{function}$$ {body} $$",
            "CREATE TRIGGER task_tally_ins AFTER INSERT ON task FOR EACH ROW "
            "EXECUTE FUNCTION task_tally_track()",
            "CREATE TRIGGER task_tally_del AFTER DELETE ON task FOR EACH ROW "
            "EXECUTE FUNCTION task_tally_track()",
            f"CREATE TRIGGER task_tally_upd AFTER UPDATE OF {watched} ON task FOR EACH ROW "
            f"WHEN ({_changed(dialect)}) EXECUTE FUNCTION task_tally_track()"]


def drop_trigger_ddl(dialect: str) -> list[str]:
    """The statements removing the triggers (bulk loads rebuild the tallies afterwards)."""
    return trigger_ddl(dialect)[:3]


def _install(target: object, connection: Connection, **_kw: object) -> None:
    # A schema made by create_all (tests, tools) gets the triggers, with empty (exact) tallies.
    for statement in trigger_ddl(connection.dialect.name):
        connection.exec_driver_sql(statement)


# The tally tables come before ``task`` (created first, emptied and dropped after it), so that
# the triggers installed with ``task`` always find them and a bulk DELETE of every table
# (tests) leaves no change behind in a table already emptied.
event.listen(Task.__table__, "after_create", _install)  # type: ignore[attr-defined]
for _table in (TaskTally, TaskTallyDelta, TaskTallyMeta):
    Task.__table__.add_is_dependent_on(_table.__table__)  # type: ignore[attr-defined,union-attr]
