"""One rule in every view: a draft (待交办) has no light and is never overdue; the 分管领导 of a
task without one is the leader whose org-file scope covers its lead unit — in lists, the
summary, the ledger and the escalation ladder's level 2."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook
from sqlmodel import Session

from engine.escalation.run import run_pass
from engine.read.filters import TaskFilters
from engine.read.tasks import board, visible_tasks
from engine.reports.ledger import HEADERS, LIGHT_COLUMN, export_ledger
from engine.summary.build import build_summary
from engine.tasks.creation import assign_task, create_task
from engine.values import Light
from models import TaskCreate
from tests.factories import act, at, make_city, make_task, operator, system

LATE = at("2024-04-15", "10:00")


def _list(session: Session, **filters: object) -> list:  # type: ignore[type-arg]
    return visible_tasks(session=session, actor=operator(), now=LATE,
                         filters=TaskFilters(**filters)).items  # type: ignore[arg-type]


def test_a_draft_past_its_deadline_has_no_light_anywhere(session: Session, tmp_path: Path) -> None:
    city = make_city(session)
    draft = make_task(session, city, title="草稿", due="3月31日前", assign=False)
    late = make_task(session, city, title="已交办", due="3月31日前")
    rows = {r.code: r for r in _list(session)}
    assert (rows[draft.code].light, rows[draft.code].overdue) == (None, False)
    assert rows[draft.code].days_overdue == 0
    assert rows[late.code].light == Light.RED
    assert [r.code for r in _list(session, overdue=True)] == [late.code]
    assert [r.code for r in _list(session, light=Light.RED)] == [late.code]
    summary = build_summary(session, now=LATE)
    assert summary.lights == {"red": 1, "yellow": 0, "green": 0}
    assert sum(r.red for r in board(session=session, actor=operator(), now=LATE)) == 1
    export_ledger(session=session, actor=operator(), path=tmp_path / "l.xlsx", now=LATE)
    sheet = load_workbook(tmp_path / "l.xlsx").active
    for row in sheet.iter_rows(min_row=3):
        if row[HEADERS.index("编号")].value == draft.code:
            assert row[LIGHT_COLUMN].value == "—" and row[LIGHT_COLUMN].fill.fgColor.rgb in (
                None, "00000000")
            assert row[HEADERS.index("逾期天数")].value is None


def test_the_supervising_leader_comes_from_the_scopes(session: Session, tmp_path: Path) -> None:
    city = make_city(session)  # 李占明 supervises FIRE and EMERG; nobody supervises HOUSING
    data = TaskCreate(directive_id=city.directive.id or 0, title="无分管领导", lead_unit="EMERG",
                      due="3月15日前", due_counts_from="directive")
    task = create_task(session=session, data=data, actor=act(city.office), now=at("2024-03-04"))
    assign_task(session=session, task=task.code, actor=act(city.office), now=at("2024-03-04"))
    housing = create_task(session=session, data=TaskCreate(
        directive_id=city.directive.id or 0, title="住建事项", lead_unit="HOUSING",
        due="3月15日前", due_counts_from="directive"), actor=act(city.office), now=at("2024-03-04"))
    assert task.leader_id is None
    rows = {r.code: r for r in _list(session)}
    assert rows[task.code].leader == "李占明" and rows[housing.code].leader is None
    overdue = build_summary(session, now=LATE).sections[0]
    assert [r.leader for r in overdue.rows if r.code == task.code] == ["李占明"]
    scoped = build_summary(session, now=LATE, leader=city.vice_mayor)
    assert task.code in {r.code for r in scoped.sections[0].rows}
    # Filtering by the supervising leader follows the same rule.
    assert task.code in {r.code for r in _list(session, leader="李占明")}
    export_ledger(session=session, actor=operator(), path=tmp_path / "l.xlsx", now=LATE)
    sheet = load_workbook(tmp_path / "l.xlsx").active
    leaders = {r[HEADERS.index("编号")].value: r[HEADERS.index("分管领导")].value
               for r in sheet.iter_rows(min_row=3)}
    assert leaders[task.code] == "李占明"
    level_two = [p for p in run_pass(session=session, actor=system(), now=LATE)
                 if p.task_id == task.id and p.kind == "escalation" and p.level == 2]
    assert "李占明" in {p.recipient for p in level_two}


def test_list_rows_name_the_leader_by_the_scope_rule(session: Session) -> None:
    """A page's rows read every name in one query; they name the same supervising leader as
    the per-task rule (engine.org.leaders.supervising_leader_id): the first registered leader
    who is not a top leader, active ones only, unless the task names its own."""
    from sqlmodel import select

    from config.orgfile import PersonSpec
    from engine.org.leaders import supervising_leader_id
    from engine.org.setup import add_person
    from models import Person, Task

    city = make_city(session)  # 李占明 supervises FIRE and EMERG; 王炳森 is the top leader

    def leader(name: str, units: list[str], **kw: object) -> Person:
        spec = PersonSpec(name=name, title="副市长", roles=["leader"], supervises=units,
                          **kw)  # type: ignore[arg-type]
        return add_person(session=session, spec=spec, actor=operator(), now=at("2024-03-01"))

    leader("周书记", ["HOUSING"], top_leader=True)
    leader("吴晓东", ["HOUSING"])
    leader("郑海涛", ["HOUSING"])
    gone = leader("钱已调离", ["D1"])
    leader("孙立新", ["D1"])
    gone.active = False
    session.add(gone)
    session.commit()

    def unnamed(lead: str, co: list[str]) -> Task:
        data = TaskCreate(directive_id=city.directive.id or 0, title=f"{lead}事项", lead_unit=lead,
                          co_units=co, due="3月15日前", due_counts_from="directive")
        task = create_task(session=session, data=data, actor=act(city.office),
                           now=at("2024-03-04"))
        return assign_task(session=session, task=task.code, actor=act(city.office),
                           now=at("2024-03-04"))

    tasks = [unnamed("HOUSING", ["EMERG", "FIRE"]), unnamed("D1", []), unnamed("EMERG", []),
             make_task(session, city, lead="HOUSING", co=["FIRE"])]  # names 李占明 itself
    rows = {r.code: r for r in _list(session)}
    people = {p.id: p.name for p in session.exec(select(Person)).all()}
    for task in tasks:
        expected = people.get(supervising_leader_id(session, task) or 0)
        assert rows[task.code].leader == expected, task.title
    assert [rows[t.code].leader for t in tasks] == ["吴晓东", "孙立新", "李占明", "李占明"]
    assert rows[tasks[0].code].co_units == ["市应急管理局", "市消防救援支队"]
    assert rows[tasks[0].code].lead_unit == "市住房和城乡建设局"
