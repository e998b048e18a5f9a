"""The list of sources: each reader sees the trees directive_tree would show them, with counts
of the tasks they may see; units are refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from engine.errors import InvalidInput, PermissionDenied
from engine.read.directive_list import visible_directives
from engine.read.directives import directive_tree
from engine.tasks.directives import create_directive
from engine.values import DirectiveKind
from models import DirectiveCreate, TaskCreate
from tests.factories import ISSUED, act, make_city, make_task

T0 = ISSUED + timedelta(hours=3)


def _directive(session: Session, city: object, title: str, hours: int, **kw: object) -> int:
    data = DirectiveCreate(kind=kw.pop("kind", "instruction"), title=title,  # type: ignore[arg-type]
                           issued_at=ISSUED + timedelta(hours=hours), **kw)  # type: ignore[arg-type]
    row = create_directive(session=session, data=data, actor=act(city.office), now=T0)  # type: ignore[attr-defined]
    assert row.id is not None
    return row.id


def test_each_reader_sees_the_trees_they_may_open(session: Session) -> None:
    city = make_city(session)
    fire = make_task(session, city, lead="FIRE")  # under the city's directive, 李占明's scope
    east = _directive(session, city, "东城区积水点整治", 1, doc_number="东政督〔2024〕3号")
    followup = _directive(session, city, "请月底前报结果", 2, kind="followup", parent_id=east)
    from engine.tasks.creation import create_task

    create_task(session=session, data=TaskCreate(directive_id=followup, title="清理积水点",
                                                 lead_unit="D1", due="3月31日前"),
                actor=act(city.office), now=T0, assign=True)
    office = visible_directives(session=session, actor=act(city.office), now=T0)
    assert [d.id for d in office.items] == [east, city.directive.id]
    assert office.items[0].followups == 1 and office.items[0].tasks == 1
    assert office.items[1].tasks == 1 and office.items[1].open_tasks == 1
    assert office.items[0].kind is DirectiveKind.INSTRUCTION
    vice = visible_directives(session=session, actor=act(city.vice_mayor), now=T0)
    assert [d.id for d in vice.items] == [city.directive.id]
    for item in vice.items:  # the list and the tree agree
        directive_tree(session=session, actor=act(city.vice_mayor), directive_id=item.id, now=T0)
    top = visible_directives(session=session, actor=act(city.secretary), now=T0)
    assert {d.id for d in top.items} == {east, city.directive.id}
    assert fire.directive_id == city.directive.id
    for unit in (city.fire_contact, city.housing_contact):
        with pytest.raises(PermissionDenied):
            visible_directives(session=session, actor=act(unit), now=T0)


def test_filters_and_pages(session: Session) -> None:
    city = make_city(session)
    ids = [_directive(session, city, f"会议事项{n}", n % 3, kind="meeting") for n in range(5)]
    first = visible_directives(session=session, actor=act(city.office), now=T0, kind="会议",
                               limit=2)
    assert len(first.items) == 2 and first.next_cursor is not None
    seen = [d.id for d in first.items]
    cursor: str | None = first.next_cursor
    while cursor:
        page = visible_directives(session=session, actor=act(city.office), now=T0,
                                  kind="meeting", limit=2, cursor=cursor)
        seen += [d.id for d in page.items]
        cursor = page.next_cursor
    assert sorted(seen) == sorted(ids) and len(seen) == len(set(seen))
    found = visible_directives(session=session, actor=act(city.office), now=T0, text="事项3")
    assert [d.title for d in found.items] == ["会议事项3"]
    with pytest.raises(InvalidInput):
        visible_directives(session=session, actor=act(city.office), now=T0, kind="乱写")
    with pytest.raises(InvalidInput):
        visible_directives(session=session, actor=act(city.office), now=T0, cursor="x")
