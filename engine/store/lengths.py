"""The same length limits on every database.

PostgreSQL refuses a value longer than its ``VARCHAR(n)`` column (an internal error reaching the
user); SQLite stores it silently. Before every flush, each new or changed text value of a
``String(n)`` column is checked here, so both refuse the same values with the same Chinese
message, whatever service, front end or import wrote it. Services check the fields people type
first, with the field's own name (:mod:`engine.inputs`); this is the net under all of them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, event, inspect
from sqlalchemy.orm import Session

from engine.errors import InvalidInput

FIELD_NAMES: dict[tuple[str, str], str] = {
    ("task", "title"): "事项标题", ("task", "due_text"): "完成时限", ("task", "measure"): "计量单位",
    ("task", "recurrence_text"): "周期", ("task", "original_due_text"): "原定时限",
    ("task", "rating"): "评价", ("milestone", "title"): "阶段节点标题",
    ("milestone", "due_text"): "阶段节点时限", ("directive", "title"): "来源事项标题",
    ("directive", "doc_number"): "文号", ("unit", "code"): "单位代码", ("unit", "name"): "单位名称",
    ("person", "name"): "姓名", ("person", "title"): "职务", ("person", "email"): "电子邮箱",
    ("extension_request", "requested_due_text"): "申请的新时限",
    ("outbox", "subject"): "通知标题",
}
"""Chinese names of the columns people fill in (others are named table.column)."""


_COLUMNS: dict[Any, list[tuple[str, str, int]]] = {}


def _string_columns(mapper: Any) -> list[tuple[str, str, int]]:
    """(attribute, column name, length) of the mapper's bounded text columns, cached."""
    cached = _COLUMNS.get(mapper)
    if cached is None:
        cached = _COLUMNS[mapper] = [
            (prop.key, col.name, col.type.length)
            for prop in mapper.column_attrs for col in prop.columns
            if isinstance(col.type, String) and col.type.length]
    return cached


def check_lengths(obj: Any) -> None:
    """Refuse a new or changed value longer than its column allows."""
    state = inspect(obj)
    table = state.mapper.local_table.name
    for key, column, length in _string_columns(state.mapper):
        value = state.dict.get(key)
        if not isinstance(value, str) or len(value) <= length:
            continue
        if state.persistent and not state.attrs[key].history.has_changes():
            continue  # an older row as it is: only what is written now is checked
        name = FIELD_NAMES.get((table, column), f"{table}.{column}")
        raise InvalidInput(f"{name}过长：最多 {length} 个字，现为 {len(value)} 个字")


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    for obj in (*session.new, *session.dirty):
        check_lengths(obj)
