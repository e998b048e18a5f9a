"""来源 (/directives): the list and the 批示 → 跟批 tree by scope, registering a directive, 跟批
by leaders, splitting into tasks in one transaction; refusals are Chinese and change nothing."""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import Session, col, func, select

from models import Directive, Task
from tests.web.conftest import WebWorld


def _count(web: WebWorld, model: Any) -> int:
    with Session(web.engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def _post(web: WebWorld, role: str, path: str, data: dict[str, str]) -> Any:
    client = web.client(role)
    return client.post(path, data={"csrf_token": web.csrf(client), **data})


def _beside(html: str, field: str) -> str:
    """The error message shown inside the ``field``'s block of the form."""
    found = re.search(rf'name="{field}[^"]*".*?<p class="field-error" role="alert"[^>]*>([^<]+)</p>',
                      html, re.S)
    assert found is not None, f"no message beside {field}"
    return found.group(1)


def _other_scope_directive(web: WebWorld) -> int:
    """A meeting whose only task is led by 东城区 with no supervising leader (outside 李占明's
    scope)."""
    from engine.tasks.creation import create_task
    from engine.tasks.directives import create_directive
    from models import DirectiveCreate, TaskCreate
    from tests.factories import act

    with Session(web.engine, expire_on_commit=False) as session:
        directive = create_directive(session=session, data=DirectiveCreate(
            kind="meeting", title="东城区防汛专题会", issued_at=web.city.directive.issued_at),
            actor=act(web.city.office), now=web.now)
        assert directive.id is not None
        create_task(session=session, data=TaskCreate(
            directive_id=directive.id, title="清理排水管网", lead_unit="D1", due="3月31日前"),
            actor=act(web.city.office), now=web.now, assign=True)
        return directive.id


def test_the_list_shows_each_reader_their_scope(web: WebWorld) -> None:
    other = _other_scope_directive(web)
    office = web.client("office").get("/directives")
    assert office.status_code == 200
    assert web.city.directive.title in office.text and "东城区防汛专题会" in office.text
    assert "登记来源事项" in office.text
    vice = web.client("vice_mayor").get("/directives")
    assert web.city.directive.title in vice.text and "东城区防汛专题会" not in vice.text
    assert "登记来源事项" not in vice.text
    assert web.client("fire").get("/directives").status_code == 403
    assert web.client("anon").get("/directives").status_code == 303
    meetings = web.client("office").get("/directives", params={"kind": "meeting"})
    assert "东城区防汛专题会" in meetings.text and web.city.directive.title not in meetings.text
    assert web.client("office").get(f"/directives/{other}").status_code == 200


def test_the_tree_is_found_only_within_scope(web: WebWorld) -> None:
    other = _other_scope_directive(web)
    tree = web.client("vice_mayor").get(f"/directives/{web.city.directive.id}")
    assert tree.status_code == 200 and web.task.code in tree.text and "跟批" in tree.text
    assert "拆分交办" not in tree.text
    missing = web.client("vice_mayor").get("/directives/99999")
    outside = web.client("vice_mayor").get(f"/directives/{other}")
    assert missing.status_code == outside.status_code == 404
    assert "东城区" not in outside.text
    assert web.client("emerg").get(f"/directives/{web.city.directive.id}").status_code == 404
    office = web.client("office").get(f"/directives/{web.city.directive.id}")
    assert "拆分交办" in office.text


def test_the_office_registers_a_directive(web: WebWorld) -> None:
    assert web.client("office").get("/directives/new").status_code == 200
    answer = _post(web, "office", "/directives/new", {
        "kind": "meeting", "title": "城区内涝治理调度会", "text": "会议议定：请住建局牵头排查。",
        "issued_by": "占明副市长", "issued_at": "2024-03-08T09:30", "doc_number": "会议纪要〔2024〕5号"})
    assert answer.status_code == 303
    page = web.client("office").get(answer.headers["location"])
    assert "城区内涝治理调度会" in page.text and "李占明" in page.text and "已登记" in page.text
    with Session(web.engine) as session:
        row = session.exec(select(Directive).where(Directive.title == "城区内涝治理调度会")).one()
        assert row.kind == "meeting" and row.issued_by_id == web.city.vice_mayor.id


def test_bad_input_is_shown_beside_the_field_and_stores_nothing(web: WebWorld) -> None:
    before = _count(web, Directive)
    cases = [({"title": "", "issued_at": "2024-03-08T09:30"}, "title", "标题"),
             ({"title": "未来的批示", "issued_at": "2030-01-01T09:00"}, "issued_at", "下达时间"),
             ({"title": "日期乱写", "issued_at": "三月八号"}, "issued_at", "下达时间"),
             ({"title": "不认识的领导", "issued_at": "2024-03-08T09:30", "issued_by": "无此人"},
              "issued_by", "无此人"),
             ({"title": "没有上级", "kind": "followup", "issued_at": "2024-03-08T09:30"},
              "parent_id", "上级")]
    for data, field, words in cases:
        answer = _post(web, "office", "/directives/new", {"kind": "instruction", **data})
        assert answer.status_code == 400, data
        assert words in _beside(answer.text, field), (data, answer.text)
    assert _count(web, Directive) == before


def test_only_the_office_registers_and_csrf_is_required(web: WebWorld) -> None:
    before = _count(web, Directive)
    data = {"kind": "instruction", "title": "越权登记", "issued_at": "2024-03-08T09:30"}
    assert web.client("vice_mayor").get("/directives/new").status_code == 403
    for role in ("vice_mayor", "fire"):
        assert _post(web, role, "/directives/new", data).status_code == 403
    assert web.client("office").post("/directives/new", data=data).status_code == 403
    assert _count(web, Directive) == before


def test_a_leader_adds_a_followup_within_scope_only(web: WebWorld) -> None:
    root = web.city.directive.id
    answer = _post(web, "vice_mayor", f"/directives/{root}/followup", {
        "parent": str(root), "text": "请消防支队加大夜间检查频次，每周报告一次。",
        "issued_at": "2024-03-11T09:00", "issued_by": "王炳森"})
    assert answer.status_code == 303
    with Session(web.engine) as session:
        row = session.exec(select(Directive).where(Directive.parent_id == root)).one()
        assert row.kind == "followup" and row.issued_by_id == web.city.vice_mayor.id
        assert row.title.startswith("请消防支队加大夜间检查频次")
    tree = web.client("office").get(f"/directives/{root}")
    assert "请消防支队加大夜间检查频次" in tree.text
    before = _count(web, Directive)
    other = _other_scope_directive(web)
    refused = _post(web, "vice_mayor", f"/directives/{other}/followup",
                    {"parent": str(other), "text": "请抓紧。", "issued_at": "2024-03-11T09:00"})
    assert refused.status_code == 404
    for role in ("fire", "emerg"):
        assert _post(web, role, f"/directives/{root}/followup",
                     {"parent": str(root), "text": "单位不能跟批。",
                      "issued_at": "2024-03-11T09:00"}).status_code == 403
    empty = _post(web, "vice_mayor", f"/directives/{root}/followup",
                  {"parent": str(root), "text": "", "issued_at": "2024-03-11T09:00"})
    assert empty.status_code == 400 and "跟批内容" in _beside(empty.text, "text")
    assert _count(web, Directive) == before + 1  # only the other-scope directive itself


def _rows(*rows: tuple[str, str, str, str]) -> dict[str, str]:
    data: dict[str, str] = {"assign": "1"}
    for k, (title, lead, co, due) in enumerate(rows):
        data.update({f"title-{k}": title, f"lead_unit-{k}": lead, f"co_units-{k}": co,
                     f"due-{k}": due, f"leader-{k}": "李占明", f"priority-{k}": "high"})
    data.update({"title-9": "", "lead_unit-9": "", "due-9": ""})  # a blank row is ignored
    return data


def test_a_split_with_one_bad_row_creates_nothing(web: WebWorld) -> None:
    root = web.city.directive.id
    before = _count(web, Task)
    answer = _post(web, "office", f"/directives/{root}/split", _rows(
        ("夜间巡查九小场所", "消防", "住建局、应急局", "3月31日前"),
        ("整治电动车违规充电", "不存在的单位", "", "4月15日前"),
        ("回头看复查", "应急局", "", "三月中旬前")))
    assert answer.status_code == 400
    assert "不存在的单位" in _beside(answer.text, "lead_unit-1")
    assert 'value="夜间巡查九小场所"' in answer.text  # what was typed is kept
    assert _count(web, Task) == before


def test_a_split_creates_and_assigns_every_row(web: WebWorld) -> None:
    root = web.city.directive.id
    assert web.client("office").get(f"/directives/{root}/split").status_code == 200
    answer = _post(web, "office", f"/directives/{root}/split", _rows(
        ("夜间巡查九小场所", "消防", "住建局", "3月31日前"),
        ("整治电动车违规充电", "应急局", "", "5个工作日内")))
    assert answer.status_code == 303 and answer.headers["location"].endswith("split=2")
    with Session(web.engine) as session:
        made = session.exec(select(Task).where(col(Task.title).in_(
            ["夜间巡查九小场所", "整治电动车违规充电"]))).all()
        assert {t.status for t in made} == {"assigned"} and {t.priority for t in made} == {"high"}
        assert all(t.leader_id == web.city.vice_mayor.id for t in made)
    page = web.client("office").get(answer.headers["location"])
    assert "已登记 2 项" in page.text and "整治电动车违规充电" in page.text


def test_splitting_is_the_offices(web: WebWorld) -> None:
    root = web.city.directive.id
    before = _count(web, Task)
    assert web.client("vice_mayor").get(f"/directives/{root}/split").status_code == 403
    for role in ("vice_mayor", "fire"):
        answer = _post(web, role, f"/directives/{root}/split",
                       _rows(("越权拆分", "消防", "", "3月31日前")))
        assert answer.status_code == 403
    no_token = web.client("office").post(f"/directives/{root}/split",
                                         data=_rows(("无令牌", "消防", "", "3月31日前")))
    assert no_token.status_code == 403
    empty = _post(web, "office", f"/directives/{root}/split", {"title-0": ""})
    assert empty.status_code == 400 and "至少填写一项" in empty.text
    assert _count(web, Task) == before
