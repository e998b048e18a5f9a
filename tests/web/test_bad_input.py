"""Bad input into every state-changing form and every address parameter: a Chinese message (beside
the field, above the form, or a 4xx page), never a 500 or a traceback, and the database as it was.

Two parts. The regressions: each input that once crashed a route, with the answer it must get
now. The sweep: every field of every form of the console × a set of hostile values (control and
bidi characters, overlong text, numbers no column holds, digits ``int`` refuses, dates no
datetime holds); a value a form may legitimately accept (a reason that reads "1e309") may
succeed, but no answer is a 5xx, and every refusal leaves the tables below unchanged.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest
from httpx import Response
from sqlmodel import Session

from tests.engine.tasks.test_lifecycle import dump_db
from tests.web.conftest import PASSWORD, ROLES, WebWorld
from tests.web.route_targets import task_in, web_invite

CHINESE = re.compile(r"[\u4e00-\u9fff]")
GUARDED = ("task", "task_unit", "milestone", "audit_event", "outbox", "progress_report",
           "extension_request", "directive", "attachment", "file_blob")
"""The tables a refused form must leave as they were."""
HUGE = "99999999999999999999"
OVER_INT64 = "9223372036854775808"


def snapshot(web: WebWorld) -> dict[str, list[tuple[Any, ...]]]:
    for role in ROLES:  # logins write rows too: done before the first snapshot
        web.client(role)
    with Session(web.engine) as session:
        rows = dump_db(session)
    return {name: rows[name] for name in GUARDED}


def refused_in_chinese(answer: Response, *statuses: int) -> None:
    assert answer.status_code in (statuses or range(400, 500)), (answer.status_code,
                                                                 answer.text[:500])
    assert CHINESE.search(answer.text)
    assert "Traceback" not in answer.text and "Internal Server Error" not in answer.text


def post(web: WebWorld, role: str, path: str, data: dict[str, Any]) -> Response:
    client = web.client(role)
    return client.post(path, data={"csrf_token": web.csrf(client), **data})


def get(web: WebWorld, role: str, path: str, **query: str) -> Response:
    text = "&".join(f"{k}={quote(v, safe='')}" for k, v in query.items())
    return web.client(role).get(f"{path}?{text}" if text else path)


# -- regressions: inputs that answered 500 ----------------------------------------------------

ODD_IDS = ["²", "①", HUGE, OVER_INT64]
"""``"²".isdigit()`` holds but ``int("²")`` raises; the big ones fit no 64-bit id column."""


@pytest.mark.parametrize("ref", ODD_IDS)
def test_odd_directive_numbers_are_not_found(web: WebWorld, ref: str) -> None:
    before = snapshot(web)
    path = f"/directives/{quote(ref, safe='')}"
    refused_in_chinese(web.client("office").get(path), 404)
    refused_in_chinese(post(web, "office", f"{path}/split", {"title-0": "t"}), 404)
    refused_in_chinese(post(web, "office", f"{path}/followup", {"text": "t"}), 404)
    refused_in_chinese(web.client("office").get(f"/tasks/{quote(ref, safe='')}"), 404)
    assert snapshot(web) == before


@pytest.mark.parametrize("cursor", [*ODD_IDS, "-1", "abc"])
def test_an_odd_directive_list_cursor_is_a_chinese_400(web: WebWorld, cursor: str) -> None:
    answer = get(web, "office", "/directives", cursor=cursor)
    refused_in_chinese(answer, 400)
    assert "翻页参数无效" in answer.text


@pytest.mark.parametrize("parent", ["²", "①"])
def test_an_odd_parent_number_is_refused_beside_its_field(web: WebWorld, parent: str) -> None:
    before = snapshot(web)
    answer = post(web, "office", "/directives/new", {
        "kind": "followup", "title": "跟批", "issued_at": "2024-03-08T09:30", "parent_id": parent})
    refused_in_chinese(answer, 400)
    assert "上级来源编号应为数字" in answer.text
    assert snapshot(web) == before


@pytest.mark.parametrize("issued_at", ["0001-01-01", "0001-01-01T00:00", "1899-12-31T23:00"])
def test_an_issue_time_before_1900_is_refused(web: WebWorld, issued_at: str) -> None:
    before = snapshot(web)
    answer = post(web, "office", "/directives/new", {
        "kind": "instruction", "title": "年份写错", "issued_at": issued_at})
    refused_in_chinese(answer, 400)
    assert "早于 1900 年" in answer.text
    assert snapshot(web) == before


@pytest.mark.parametrize(("due", "words"), [("0001-01-01T00:00", "年份 1 有误"),
                                            ("0001-01-01 00:00+14:00", "年份 1 有误"),
                                            ("9999-12-31T23:59-12:00", "时限过远")])
def test_a_deadline_no_datetime_holds_is_refused_beside_its_row(web: WebWorld, due: str,
                                                                words: str) -> None:
    before = snapshot(web)
    answer = post(web, "office", f"/directives/{web.city.directive.id}/split", {
        "title-0": "检查", "lead_unit-0": "市消防救援支队", "due-0": due})
    refused_in_chinese(answer, 400)
    assert words in answer.text and "第1行" in answer.text
    assert snapshot(web) == before


def test_a_split_row_numbered_oddly_is_no_row(web: WebWorld) -> None:
    before = snapshot(web)
    answer = post(web, "office", f"/directives/{web.city.directive.id}/split",
                  {"title-²": "检查", "lead_unit-①": "市消防救援支队", f"due-{HUGE}": "5月31日前"})
    refused_in_chinese(answer, 400)
    assert "请至少填写一项任务" in answer.text
    assert snapshot(web) == before


@pytest.mark.parametrize("value", ODD_IDS)
def test_an_odd_milestone_is_refused_above_the_form(web: WebWorld, value: str) -> None:
    task, _ = task_in(web, "acknowledged")
    before = snapshot(web)
    answer = post(web, "fire", f"/tasks/{task.code}/report_progress",
                  {"text": "进展", "milestone": value})
    refused_in_chinese(answer, 400)
    assert "阶段节点无效" in answer.text
    assert snapshot(web) == before


@pytest.mark.parametrize("action", ["approve_extension", "reject_extension"])
@pytest.mark.parametrize("value", [*ODD_IDS, "abc"])
def test_an_odd_extension_request_is_refused_above_the_form(web: WebWorld, action: str,
                                                            value: str) -> None:
    task, _ = task_in(web, "extension")
    before = snapshot(web)
    answer = post(web, "office", f"/tasks/{task.code}/{action}", {"request_id": value})
    refused_in_chinese(answer, 400)
    assert "未找到本事项的这项延期申请" in answer.text
    assert snapshot(web) == before


@pytest.mark.parametrize("new_due", ["2024年٣月١日前", "٣月١日前"])
def test_a_deadline_in_other_digits_is_read_not_crashed_on(web: WebWorld, new_due: str) -> None:
    """Arabic-Indic digits match the deadline patterns' ``\\d``: read as digits (here a date
    before the current deadline, refused beside its field)."""
    task, _ = task_in(web, "acknowledged")
    before = snapshot(web)
    answer = post(web, "fire", f"/tasks/{task.code}/request_extension",
                  {"new_due": new_due, "reason": "来不及"})
    refused_in_chinese(answer, 400)
    assert "不晚于" in answer.text
    assert snapshot(web) == before


def test_an_intake_deadline_in_other_digits_is_read(web: WebWorld) -> None:
    text = "市政府督查室：请市应急管理局于٣月٢٩日前完成全市危化品仓库安全检查。"
    answer = post(web, "office", "/intake", {"text": text, "ref_date": "2024-03-11"})
    assert answer.status_code == 200, answer.text[:500]
    assert "2024-03-29" in answer.text


@pytest.mark.parametrize("period", ["٢٠٢٤-٠٣", "２０２４-０３", " 2024-3 "])
@pytest.mark.parametrize("fmt", ["md", "docx"])
def test_a_month_typed_in_other_digits_downloads_under_its_plain_name(web: WebWorld,
                                                                      period: str,
                                                                      fmt: str) -> None:
    """The month is read whatever its digits; the file's plain name (Latin-1 only in a header)
    is the month in ASCII — the typed one made the header unencodable (500)."""
    answer = get(web, "office", "/bulletin/download", period=period, format=fmt)
    assert answer.status_code == 200, answer.text[:300]
    disposition = answer.headers["content-disposition"]
    assert f'filename="bulletin-2024-03.{fmt}"' in disposition
    assert f"filename*=UTF-8''{quote(f'督办工作情况通报-2024-03.{fmt}')}" in disposition


# -- the sweep: every form field × hostile values ---------------------------------------------

HOSTILE = ["\x00", "a\x00b", "\u202e反转", "\x1b[31m", "长" * 30_000, HUGE, "1e309", "-inf",
           "NaN", "²", "-1", "2025-02-30", "0001-01-01T00:00"]


def _task(state: str, role: str, action: str, fields: tuple[str, ...],
          base: dict[str, str] | None = None) -> tuple[str, str, str, tuple[str, ...],
                                                       dict[str, str]]:
    """A task form: the state its task is brought to, who posts, the fields swept, and the
    other fields' valid values."""
    return (state, role, action, fields, base or {})


TASK_FORMS = [
    _task("assigned", "office", "acknowledge", ("for_unit",)),
    _task("acknowledged", "fire", "report_progress", ("text", "achieved", "milestone"),
          {"text": "进展"}),
    _task("acknowledged", "office", "report_progress", ("for_unit",), {"text": "进展"}),
    _task("acknowledged", "fire", "request_completion", ("evidence", "achieved"),
          {"evidence": "已完成"}),
    _task("assigned", "fire", "request_extension", ("new_due", "reason"),
          {"new_due": "2024-05-31", "reason": "来不及"}),
    _task("draft", "office", "assign", ("confirm",)),
    _task("pending_review", "office", "verify", ("rating", "note")),
    _task("pending_review", "office", "return", ("reason",), {"reason": "材料不全"}),
    _task("extension", "office", "approve_extension", ("note", "request_id")),
    _task("extension", "office", "reject_extension", ("note", "request_id")),
    _task("closed", "office", "recheck", ("note", "new_due", "result"),
          {"note": "复查", "result": "failed", "new_due": "5月31日前"}),
    _task("assigned", "office", "cancel", ("reason",), {"reason": "重复"}),
    _task("assigned", "secretary", "followup", ("title", "text"), {"title": "跟批", "text": "抓紧"}),
]


@pytest.mark.parametrize(("state", "role", "action", "fields", "base"), TASK_FORMS,
                         ids=[f"{row[2]}-{row[1]}" for row in TASK_FORMS])
def test_every_task_form_field_answers_hostile_values_in_chinese(
        web: WebWorld, state: str, role: str, action: str, fields: tuple[str, ...],
        base: dict[str, str]) -> None:
    for name in fields:
        for value in HOSTILE:
            task, request_id = task_in(web, state)
            data = {**base, **({"request_id": str(request_id)} if request_id else {})}
            data[name] = value
            _check(web, role, f"/tasks/{task.code}/{action}", data)


def _check(web: WebWorld, role: str, path: str, data: dict[str, Any]) -> None:
    before = snapshot(web)
    answer = post(web, role, path, data)
    context = (path, {k: v[:40] for k, v in data.items()}, answer.status_code)
    assert answer.status_code < 500, context
    assert "Traceback" not in answer.text and "Internal Server Error" not in answer.text
    if answer.status_code >= 400:
        assert CHINESE.search(answer.text), context
        assert snapshot(web) == before, context


PAGE_FORMS: list[tuple[str, str, tuple[str, ...], dict[str, str]]] = [
    ("office", "/directives/new", ("kind", "title", "text", "doc_number", "issued_by",
                                   "issued_at", "parent_id"),
     {"kind": "instruction", "title": "批示", "issued_at": "2024-03-08T09:30"}),
    ("secretary", "/directives/{directive}/followup", ("text", "title", "issued_by",
                                                       "issued_at", "parent"),
     {"text": "抓紧", "issued_at": "2024-03-11T09:00"}),
    ("office", "/directives/{directive}/split", ("title-0", "lead_unit-0", "co_units-0",
                                                 "due-0", "leader-0", "priority-0",
                                                 "requirement-0", "assign"),
     {"title-0": "检查", "lead_unit-0": "市消防救援支队", "due-0": "5月31日前"}),
    ("office", "/intake", ("text", "ref_date", "addressee"),
     {"text": "市政府督查室：请市应急管理局于3月29日前完成全市危化品仓库安全检查。"}),
    ("office", "/intake/apply", ("text", "ref_date", "addressee", "digest", "source"),
     {"text": "市政府督查室：请市应急管理局于3月29日前完成全市危化品仓库安全检查。"}),
    ("office", "/tasks/bulk", ("action", "code", "note", "back"),
     {"action": "urge", "code": "{task}"}),
    ("office", "/outbox/requeue", ("ids", "every"), {}),
    ("office", "/org/people/{person}/telegram-code", ("unused",), {}),
    ("office", "/org/people/{person}/web-invite", ("unused",), {}),
    ("anon", "/invite/{invite}", ("password", "password2"), {}),
    ("fire", "/account/password", ("old_password", "new_password", "new_password2"),
     {"old_password": PASSWORD}),
    ("anon", "/login", ("name", "password", "next"), {"name": "x", "password": "y"}),
]


@pytest.mark.parametrize(("role", "path", "fields", "base"), PAGE_FORMS,
                         ids=[row[1].strip("/").replace("/", "-") for row in PAGE_FORMS])
def test_every_other_form_field_answers_hostile_values_in_chinese(
        web: WebWorld, role: str, path: str, fields: tuple[str, ...],
        base: dict[str, str]) -> None:
    names = {"directive": str(web.city.directive.id), "task": web.task.code,
             "person": str(web.city.fire_head.id),
             "invite": web_invite(web) if "{invite}" in path else ""}
    target = path.format(**names)
    for name in fields:
        for value in HOSTILE:
            data = {k: v.format(**names) for k, v in base.items()}
            data[name] = value
            _check(web, role, target, data)


QUERIES: list[tuple[str, tuple[str, ...]]] = [
    ("/tasks", ("view", "unit", "light", "status", "leader", "kind", "due_from", "due_to", "q",
                "sort", "size", "cursor")),
    ("/tasks/export.xlsx", ("unit", "status", "due_from", "size")),
    ("/directives", ("kind", "q", "cursor")),
    ("/directives/{directive}", ("created", "split")),
    ("/directives/{directive}/split", ("rows",)),
    ("/tasks/{task}", ("done",)),
    ("/summary", ("leader",)),
    ("/bulletin", ("period",)),
    ("/bulletin/download", ("period", "format")),
    ("/outbox", ("status", "requeued")),
]


@pytest.mark.parametrize(("path", "params"), QUERIES, ids=[q[0] for q in QUERIES])
def test_every_query_parameter_answers_hostile_values_in_chinese(
        web: WebWorld, path: str, params: tuple[str, ...]) -> None:
    target = path.format(directive=web.city.directive.id, task=web.task.code)
    for name in params:
        for value in [*HOSTILE[:4], "长" * 3000, *HOSTILE[5:], *ODD_IDS]:
            answer = get(web, "office", target, **{name: value})
            context = (target, name, value[:20], answer.status_code)
            assert answer.status_code < 500, context
            assert "Traceback" not in answer.text, context
            if answer.status_code >= 400:
                assert CHINESE.search(answer.text), context
