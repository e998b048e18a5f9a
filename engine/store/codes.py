"""Human task codes: ``DB-2024-0031`` (year of issue, sequence within the year)."""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from models import Counter

CODE_PREFIX = "DB"


def next_task_code(session: Session, *, year: int) -> str:
    """Allocate the next code for ``year`` in the caller's transaction (row-locked on PostgreSQL)."""
    name = f"task:{year}"
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        insert(Counter).values(name=name, value=0).on_conflict_do_nothing(index_elements=["name"])
    )
    counter = session.exec(select(Counter).where(Counter.name == name).with_for_update()).one()
    counter.value += 1
    session.add(counter)
    session.flush()
    return f"{CODE_PREFIX}-{year}-{counter.value:04d}"
