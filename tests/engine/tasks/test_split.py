"""Splitting a directive into tasks: all rows created and assigned together, or none; a leader's
跟批 is their own."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from engine.errors import PermissionDenied, RowsRefused
from engine.tasks.directives import create_directive
from engine.tasks.split import MAX_ROWS, split_directive
from engine.values import TaskStatus
from models import Directive, DirectiveCreate, OutboxMessage, Task, TaskCreate
from tests.engine.tasks.test_lifecycle import dump_db, has_chinese
from tests.factories import ISSUED, act, make_city

T0 = ISSUED + timedelta(hours=1)


def _row(title: str, lead: str, due: str = "4月30日前", **kw: object) -> TaskCreate:
    return TaskCreate(directive_id=0, title=title, lead_unit=lead, due=due, **kw)  # type: ignore[arg-type]


def test_a_split_creates_and_assigns_every_row(session: Session) -> None:
    city = make_city(session)
    rows = [_row("排查九小场所", "消防", co_units=["住建局"], leader="占明副市长", priority="加急"),
            _row("督促整改到位", "应急局", due="3个工作日内")]
    tasks = split_directive(session=session, directive_id=city.directive.id or 0, rows=rows,
                            actor=act(city.office), now=T0)
    stored = session.exec(select(Task).order_by(Task.id)).all()  # type: ignore[arg-type]
    assert [t.title for t in stored] == ["排查九小场所", "督促整改到位"]
    assert {t.id for t in tasks} == {t.id for t in stored}
    assert all(t.status == TaskStatus.ASSIGNED and t.directive_id == city.directive.id
               for t in stored)
    assert stored[0].priority == "high" and stored[0].leader_id == city.vice_mayor.id
    # Each unit is told (outbox rows written in the same transaction).
    assert session.exec(select(OutboxMessage)).first() is not None


def test_one_bad_row_creates_nothing_and_every_bad_row_is_named(session: Session) -> None:
    city = make_city(session)
    rows = [_row("排查九小场所", "消防"), _row("没有的单位", "不存在的局"),
            _row("时限写错", "应急局", due="下辈子"), _row("督促整改", "住建局")]
    before = dump_db(session)
    with pytest.raises(RowsRefused) as info:
        split_directive(session=session, directive_id=city.directive.id or 0, rows=rows,
                        actor=act(city.office), now=T0)
    assert set(info.value.rows) == {2, 3}
    assert "第2行" in str(info.value) and "第3行" in str(info.value)
    assert has_chinese(info.value.rows[3])
    assert dump_db(session) == before


def test_only_the_office_splits_and_sizes_are_bounded(session: Session) -> None:
    city = make_city(session)
    with pytest.raises(PermissionDenied):
        split_directive(session=session, directive_id=city.directive.id or 0,
                        rows=[_row("排查", "消防")], actor=act(city.vice_mayor), now=T0)
    for rows in ([], [_row(f"事项{n}", "消防") for n in range(MAX_ROWS + 1)]):
        with pytest.raises(Exception) as info:
            split_directive(session=session, directive_id=city.directive.id or 0, rows=rows,
                            actor=act(city.office), now=T0)
        assert has_chinese(str(info.value))
    assert session.exec(select(Task)).first() is None


def test_a_leaders_followup_is_their_own(session: Session) -> None:
    city = make_city(session)

    def followup(who: object, issuer: int | None) -> Directive:
        data = DirectiveCreate(kind="followup", title="请抓紧办理", issued_at=T0,
                               parent_id=city.directive.id, issued_by_id=issuer)
        return create_directive(session=session, data=data, actor=who, now=T0)  # type: ignore[arg-type]

    own = followup(act(city.vice_mayor), None)
    assert own.issued_by_id == city.vice_mayor.id and own.parent_id == city.directive.id
    before = dump_db(session)
    with pytest.raises(PermissionDenied, match="本人名义"):
        followup(act(city.vice_mayor), city.secretary.id)
    assert dump_db(session) == before
    # The office records a leader's 跟批 in that leader's name.
    assert followup(act(city.office), city.secretary.id).issued_by_id == city.secretary.id
