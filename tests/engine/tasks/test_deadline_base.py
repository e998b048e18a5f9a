"""What a deadline counts from: typed by the office, from the moment it is entered; taken from a
document, from the directive's date; shown in the task's detail. A task whose deadline passed
is not assigned unless the office says so explicitly."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlmodel import Session

from engine.errors import InvalidInput, PolicyViolation, Remedy
from engine.read.detail import task_detail
from engine.reports.importer import import_task_list
from engine.tasks.creation import assign_task, create_task
from engine.tasks.editing import edit_task
from models import TaskCreate
from tests.factories import TZ, act, make_city, operator

ENTERED = datetime(2024, 3, 10, 10, 0, tzinfo=TZ)  # a Sunday, six days after the directive


def _end_of(day: int) -> datetime:
    return datetime(2024, 3, day, 23, 59, 59, tzinfo=TZ).astimezone(UTC)


def test_a_relative_deadline_typed_by_the_office_counts_from_entry(session: Session) -> None:
    city = make_city(session)  # the directive is issued Monday 2024-03-04
    data = TaskCreate(directive_id=city.directive.id or 0, title="三日内报送", lead_unit="FIRE",
                      due="3个工作日内")
    task = create_task(session=session, data=data, actor=act(city.office), now=ENTERED)
    assert task.due_at == _end_of(13)  # Mon 11, Tue 12, Wed 13 — not Thu 7 (from the directive)
    detail = task_detail(session=session, actor=operator(), code=task.code, now=ENTERED)
    assert detail.due_base is not None and detail.due_base.label == "督查室录入时间"
    assert detail.due_base_at == ENTERED
    edit_task(session=session, task=task.code, actor=act(city.office), due="1个工作日内",
               now=datetime(2024, 3, 14, 9, 0, tzinfo=TZ))
    assert task.due_at == _end_of(15)
    with pytest.raises(InvalidInput, match="不能为空"):
        edit_task(session=session, task=task.code, actor=act(city.office), due=" ", now=ENTERED)


def test_a_deadline_from_a_document_counts_from_the_directive(session: Session,
                                                              tmp_path: Path) -> None:
    city = make_city(session)
    data = TaskCreate(directive_id=city.directive.id or 0, title="文件要求", lead_unit="FIRE",
                      due="3个工作日内", due_counts_from="directive")
    task = create_task(session=session, data=data, actor=act(city.office), now=ENTERED)
    assert task.due_at == _end_of(7)
    shown = task_detail(session=session, actor=operator(), code=task.code, now=ENTERED)
    assert shown.due_base is not None and shown.due_base.label == "来源事项下达时间"
    book = Workbook()
    sheet = book.active
    sheet.append(["任务内容", "牵头单位", "完成时限"])
    sheet.append(["清单任务", "FIRE", "3个工作日内"])
    book.save(tmp_path / "list.xlsx")
    (imported,) = import_task_list(session=session, path=tmp_path / "list.xlsx",
                                   directive_id=city.directive.id or 0, actor=act(city.office),
                                   now=ENTERED)
    assert imported.due_at == _end_of(7) and imported.due_base == "directive"


def test_assigning_a_task_whose_deadline_passed_needs_the_flag(session: Session) -> None:
    city = make_city(session)
    data = TaskCreate(directive_id=city.directive.id or 0, title="迟交办", lead_unit="FIRE",
                      due="3月8日前", due_counts_from="directive")
    task = create_task(session=session, data=data, actor=act(city.office), now=ENTERED)
    with pytest.raises(PolicyViolation, match="已过.*确认后再交办") as refused:
        assign_task(session=session, task=task.code, actor=act(city.office), now=ENTERED)
    assert refused.value.remedy is Remedy.ALLOW_PAST_DUE
    assert task.status == "draft"
    assign_task(session=session, task=task.code, actor=act(city.office), now=ENTERED,
                allow_past_due=True)
    assert task.status == "assigned"
