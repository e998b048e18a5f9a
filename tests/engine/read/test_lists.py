"""Task lists: every filter the web console offers, each sort paged by keyset (every task exactly
once, in order, across the boundary between dated tasks and undated drafts), cursors bound to
their sort, and the saved views as filters."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlmodel import Session

from engine.errors import InvalidInput, NotFound
from engine.read.filters import PageRequest, Sort, TaskFilters
from engine.read.tasks import count_visible, visible_tasks
from engine.read.views import SavedView, available_views, view_filters
from engine.tasks.actions import acknowledge
from engine.tasks.directives import create_directive
from engine.values import DirectiveKind, Light, TaskStatus
from models import DirectiveCreate, Task, TaskCreate
from tests.factories import ISSUED, City, act, at, make_city, make_task, operator

NOW = at("2024-03-12", "10:00")


def _world(session: Session) -> tuple[City, dict[str, Task]]:
    city = make_city(session)
    meeting = create_directive(session=session, data=DirectiveCreate(
        kind="meeting", title="专题会议", issued_at=ISSUED), actor=act(city.office), now=ISSUED)
    tasks = {
        "late": make_task(session, city, due="3月8日前", title="消防通道整治", co=[]),
        "soon": make_task(session, city, due="3月13日前", title="燃气排查", lead="HOUSING", co=[]),
        "far": make_task(session, city, due="4月30日前", title="消防站建设", lead="EMERG",
                         co=["FIRE"]),
        "same_due": make_task(session, city, due="4月30日前", title="同日到期", lead="D1", co=[]),
        "draft": make_task(session, city, due=None, title="待定草稿", assign=False),
        "draft2": make_task(session, city, due=None, title="另一草稿", assign=False),
    }
    from engine.tasks.creation import create_task

    tasks["meeting"] = create_task(session=session, data=TaskCreate(
        directive_id=meeting.id or 0, title="会议议定事项", lead_unit="FIRE", due="3月15日前",
        leader="王炳森"),
        actor=act(city.office), now=ISSUED, assign=True)
    acknowledge(session=session, task=tasks["late"].code, actor=act(city.fire_contact),
                now=ISSUED + timedelta(hours=1))
    return city, tasks


def _codes(session: Session, **filters: object) -> list[str]:
    page = visible_tasks(session=session, actor=operator(), now=NOW,
                         filters=TaskFilters(**filters))  # type: ignore[arg-type]
    return [r.code for r in page.items]


def test_filters(session: Session) -> None:
    city, t = _world(session)
    code = {k: v.code for k, v in t.items()}
    assert _codes(session, light=Light.RED) == [code["late"]]
    assert _codes(session, light=Light.YELLOW) == [code["soon"], code["meeting"]]
    assert _codes(session, unit="FIRE", statuses=(TaskStatus.ASSIGNED,)) == [
        code["meeting"], code["far"]]
    assert _codes(session, statuses=(TaskStatus.ACKNOWLEDGED,)) == [code["late"]]
    assert _codes(session, source_kind=DirectiveKind.MEETING) == [code["meeting"]]
    assert set(_codes(session, leader="李占明")) == set(code.values()) - {code["meeting"]}
    assert _codes(session, leader="炳森书记") == [code["meeting"]]
    assert _codes(session, due_from=at("2024-03-13", "00:00"), due_to=at("2024-03-31", "23:00")
                  ) == [code["soon"], code["meeting"]]
    assert _codes(session, text="消防") == [code["late"], code["far"]]
    assert _codes(session, text=code["soon"].lower()) == [code["soon"]]
    assert _codes(session, text="100%_") == []  # LIKE wildcards are taken literally
    assert count_visible(session=session, actor=operator(), now=NOW,
                         filters=TaskFilters(unit="FIRE")) == 5  # late, far (co), meeting, 2 drafts
    assert [count_visible(session=session, actor=operator(), now=NOW,
                          filters=TaskFilters(unit="FIRE"), cap=cap) for cap in (3, 5, 50)] == [3, 5, 5]
    with pytest.raises(NotFound, match="未找到单位"):
        _codes(session, unit="水务局")


@pytest.mark.parametrize("sort", list(Sort))
def test_keyset_pages_cover_everything_once_in_order(session: Session, sort: Sort) -> None:
    _city, tasks = _world(session)
    whole = _codes(session, sort=sort)
    assert sorted(whole) == sorted(t.code for t in tasks.values())
    if sort is Sort.DUE:
        assert whole[-2:] == [tasks["draft"].code, tasks["draft2"].code]  # undated last
        assert whole[:2] == [tasks["late"].code, tasks["soon"].code]
    if sort is Sort.NEWEST:
        assert whole == sorted(whole, reverse=True)
    for size in (1, 2, 3):
        seen: list[str] = []
        cursor: str | None = None
        while True:
            page = visible_tasks(session=session, actor=operator(), now=NOW,
                                 filters=TaskFilters(sort=sort),
                                 page=PageRequest(limit=size, cursor=cursor))
            assert len(page.items) <= size
            seen += [r.code for r in page.items]
            cursor = page.next_cursor
            if cursor is None:
                break
        assert seen == whole, (sort, size)


def test_cursors_are_checked(session: Session) -> None:
    _world(session)
    first = visible_tasks(session=session, actor=operator(), now=NOW,
                          page=PageRequest(limit=2))
    assert first.next_cursor is not None
    with pytest.raises(InvalidInput, match="排序方式不符"):
        visible_tasks(session=session, actor=operator(), now=NOW,
                      filters=TaskFilters(sort=Sort.NEWEST),
                      page=PageRequest(limit=2, cursor=first.next_cursor))
    for bad in ("x", "eyJhIjoxfQ", first.next_cursor[:-3]):
        with pytest.raises(InvalidInput, match="游标"):
            visible_tasks(session=session, actor=operator(), now=NOW,
                          page=PageRequest(limit=2, cursor=bad))
    with pytest.raises(InvalidInput, match="每页条数"):
        visible_tasks(session=session, actor=operator(), now=NOW, page=PageRequest(limit=0))
    # Forged cursors: ids a 64-bit column cannot hold, naive or impossible moments.
    for forged in (["due", None, 10**30], ["due", None, -1], ["due", "2024-03-08T00:00:00", 1],
                   ["due", "2024-13-40T00:00:00+08:00", 1], ["due", None, 1e400]):
        raw = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode()
        with pytest.raises(InvalidInput, match="游标"):
            visible_tasks(session=session, actor=operator(), now=NOW,
                          page=PageRequest(limit=2, cursor=raw))


@pytest.mark.parametrize("field", ["unit", "leader", "text"])
def test_typed_filter_words_are_checked(session: Session, field: str) -> None:
    """Control characters and over-long words are refused in Chinese on both databases."""
    _world(session)
    for bad in ("消防\x00", "\x1b[31m", "消" * 101):
        with pytest.raises(InvalidInput):
            count_visible(session=session, actor=operator(), now=NOW,
                          filters=replace(TaskFilters(), **{field: bad}))  # type: ignore[arg-type]


def test_saved_views(session: Session) -> None:
    city, t = _world(session)

    def view(name: SavedView, who: object) -> list[str]:
        filters = view_filters(session=session, actor=who, view=name, now=NOW)  # type: ignore[arg-type]
        return [r.code for r in visible_tasks(session=session, actor=who,  # type: ignore[arg-type]
                                              now=NOW, filters=filters).items]

    office, fire = act(city.office), act(city.fire_contact)
    assert set(view(SavedView.MINE, office)) == {t["draft"].code, t["draft2"].code}
    assert set(view(SavedView.MINE, fire)) == {t["late"].code, t["far"].code,
                                                t["meeting"].code}
    assert set(view(SavedView.UNIT, act(city.housing_contact))) == {t["soon"].code}
    assert view(SavedView.RED, fire) == [t["late"].code]
    assert view(SavedView.WEEK, office) == [t["soon"].code, t["meeting"].code]  # 03-11 … 03-17
    # A leader's own: the open tasks he supervises (not the meeting's, nor the office's drafts).
    assert set(view(SavedView.MINE, act(city.vice_mayor))) == {
        t[k].code for k in ("late", "soon", "far", "same_due")}
    with pytest.raises(InvalidInput, match="本单位"):
        view(SavedView.UNIT, office)
    assert view(SavedView.FOCUS, office) == []  # nothing escalated to 督办 yet


def test_available_views_are_the_ones_view_filters_accepts(session: Session) -> None:
    """Each person is offered exactly the views that answer them (no link to a refusal): the
    vice mayor and the office here belong to no unit, so 本单位 is not theirs."""
    city, _t = _world(session)
    for who in (act(city.office), act(city.vice_mayor), act(city.fire_contact), operator()):
        offered = available_views(who)
        for name in SavedView:
            if name in offered:
                view_filters(session=session, actor=who, view=name, now=NOW)
            else:
                with pytest.raises(InvalidInput):
                    view_filters(session=session, actor=who, view=name, now=NOW)
    assert SavedView.UNIT not in available_views(act(city.vice_mayor))
    assert SavedView.UNIT in available_views(act(city.fire_contact))


@pytest.mark.parametrize("sort", [Sort.DUE, Sort.DUE_DESC])
@pytest.mark.parametrize("filters", [
    TaskFilters(statuses=(TaskStatus.ASSIGNED, TaskStatus.ACKNOWLEDGED, TaskStatus.DRAFT)),
    TaskFilters(overdue=True), TaskFilters(light=Light.YELLOW),
    TaskFilters(statuses=(TaskStatus.ASSIGNED, TaskStatus.ACKNOWLEDGED), light=Light.GREEN),
], ids=["statuses", "overdue", "yellow", "statuses-green"])
def test_pages_over_several_statuses_merge_one_walk_per_status(
        session: Session, sort: Sort, filters: TaskFilters) -> None:
    """A deadline-ordered page confined to several statuses is read per status and merged; its
    pages are still the whole list (read in one sorted query) once each, in order."""
    _city, tasks = _world(session)
    filters = replace(filters, sort=sort)
    whole = [r.code for r in visible_tasks(session=session, actor=operator(), now=NOW,
                                           filters=filters).items]
    statuses = {t.code: t.status for t in tasks.values()}
    if filters.statuses and filters.light is None:  # the merge meets several statuses
        assert len({statuses[c] for c in whole}) > 1, whole
    for size in (1, 2, 3):
        seen: list[str] = []
        cursor: str | None = None
        while True:
            page = visible_tasks(session=session, actor=operator(), now=NOW, filters=filters,
                                 page=PageRequest(limit=size, cursor=cursor))
            seen += [r.code for r in page.items]
            cursor = page.next_cursor
            if cursor is None:
                break
        assert seen == whole, (size, seen, whole)
