"""Document intake stored in the database: drafts created in one transaction, or none."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, col, func, select

from engine.calendar.lights import due_of
from engine.errors import PermissionDenied
from engine.intake.apply import analyse, apply_drafts, directory_snapshot
from models import AuditEvent, Directive, Task
from tests.factories import act, at, make_city, operator

DOC = """关于近期督办事项的通知
（2024年3月4日）

3月1日，炳森书记在《消防工作专报》上批示：“请消防支队牵头，住建局配合，3月31日前完成全市高层住宅消防设施排查。”

3月2日，占明副市长跟批：“请应急局3个工作日内报送排查工作方案。”
"""


def _counts(session: Session) -> tuple[int, int, int]:
    return (session.exec(select(func.count()).select_from(Directive)).one(),
            session.exec(select(func.count()).select_from(Task)).one(),
            session.exec(select(func.count()).select_from(AuditEvent)).one())


def test_directory_snapshot_lists_units_and_people(session: Session) -> None:
    make_city(session)
    snapshot = directory_snapshot(session)
    assert {u.code for u in snapshot.units} == {"FIRE", "HOUSING", "EMERG", "D1"}
    assert any(p.name == "李占明" and p.title == "副市长" for p in snapshot.people)


def test_apply_stores_chain_and_draft_tasks(session: Session) -> None:
    city = make_city(session)
    result = analyse(session=session, actor=operator(), text=DOC, ref_date=None)
    assert result.doc_date == date(2024, 3, 4)
    report = apply_drafts(session=session, result=result, actor=act(city.office), now=at("2024-03-05"))
    assert len(report.directives) == 2 and len(report.tasks) == 2
    followup = session.get(Directive, report.directives[1])
    assert followup is not None and followup.kind == "followup"
    assert followup.parent_id == report.directives[0]
    tasks = session.exec(select(Task).where(col(Task.code).in_(report.tasks))).all()
    assert {t.status for t in tasks} == {"draft"}
    by_text = {t.due_text: t for t in tasks}
    assert due_of(by_text["3月31日前"]).astimezone(at("2024-03-05").tzinfo).date() == date(2024, 3, 31)
    assert due_of(by_text["3个工作日内"]).astimezone(at("2024-03-05").tzinfo).date() == date(2024, 3, 6)


def test_apply_refused_for_a_unit_person_changes_nothing(session: Session) -> None:
    city = make_city(session)
    before = _counts(session)
    result = analyse(session=session, actor=operator(), text=DOC, ref_date=None)
    with pytest.raises(PermissionDenied):
        apply_drafts(session=session, result=result, actor=act(city.fire_contact), now=at("2024-03-05"))
    assert _counts(session) == before


INCOMPLETE = """关于近期工作的通报
（2024年3月4日）

3月1日，炳森书记批示：“要加强消防队站建设，补齐短板。请市规划部门研究落实。”
"""


def test_incomplete_drafts_are_stored_and_must_be_completed_before_assignment(session: Session) -> None:
    from engine.errors import InvalidInput, PolicyViolation
    from engine.tasks.creation import assign_task
    from engine.tasks.editing import edit_task

    city = make_city(session)
    result = analyse(session=session, actor=operator(), text=INCOMPLETE, ref_date=None)
    report = apply_drafts(session=session, result=result, actor=act(city.office), now=at("2024-03-05"))
    assert report.tasks and report.incomplete
    code = report.tasks[0]
    with pytest.raises(PolicyViolation, match="尚缺牵头单位"):
        assign_task(session=session, task=code, actor=act(city.office), now=at("2024-03-05"))
    with pytest.raises(InvalidInput):
        edit_task(session=session, task=code, actor=act(city.office), now=at("2024-03-05"),
                  due="2月30日前")
    edited = edit_task(session=session, task=code, actor=act(city.office), now=at("2024-03-05"),
                        lead="FIRE", co=["HOUSING"], due="3月31日前", leader="李占明")
    assert edited.lead_unit_id is not None and edited.due_text == "3月31日前"
    assigned = assign_task(session=session, task=code, actor=act(city.office), now=at("2024-03-05"))
    assert assigned.status == "assigned"
    with pytest.raises(PolicyViolation, match="延期"):
        edit_task(session=session, task=code, actor=act(city.office), now=at("2024-03-06"),
                  due="4月30日前")


def test_drafts_without_deadline_have_no_light_and_stay_out_of_the_board(session: Session) -> None:
    from engine.read.tasks import board, visible_tasks
    from engine.summary.build import build_summary

    city = make_city(session)
    result = analyse(session=session, actor=operator(), text=INCOMPLETE, ref_date=None)
    apply_drafts(session=session, result=result, actor=act(city.office), now=at("2024-03-05"))
    rows = [r for r in visible_tasks(session=session, actor=operator(), now=at("2024-04-05")).items
            if r.due_at is None]
    assert rows and all(r.light is None and not r.overdue for r in rows)
    assert all(r.open == 0 for r in board(session=session, actor=operator(), now=at("2024-04-05"))
               if r.unit == "")
    assert build_summary(session, now=at("2024-04-05")).lights == {"red": 0, "yellow": 0, "green": 0}
