"""事项详情 /tasks/CODE: what each role sees and may do, each action through its form, and every
refusal (scope, CSRF, bad input) leaving the database as it was."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session, col, select

from config.policy import CompletionEvidence, EvidencePolicy
from engine.org.actors import Actor
from engine.store.policy import get_policy, save_policy
from engine.tasks import actions, extensions
from engine.values import Channel
from models import AuditEvent, Directive, ExtensionRequest, Task
from tests.engine.tasks.test_lifecycle import dump_db
from tests.factories import make_task
from tests.support import samples
from tests.web.conftest import PASSWORD, ROLES, WebWorld
from web.app import create_app
from web.config import WebConfig

_OFFER = re.compile(r'data-offer="([^"]+)"')
_FIELD = re.compile(r'<div class="field has-error">(.*?)</div>', re.S)
_MESSAGE = re.compile(r'<p class="field-error" role="alert"[^>]*>([^<]*)</p>')


def offers(page: Response) -> list[str]:
    """The action buttons of a page, as labelled."""
    return [html.unescape(label) for label in _OFFER.findall(page.text)]


def error_beside(page: Response, name: str) -> str | None:
    """The message shown beside the field ``name`` (None when it has none)."""
    for block in _FIELD.findall(page.text):
        if f'name="{name}"' in block:
            found = _MESSAGE.search(block)
            return html.unescape(found.group(1)) if found else None
    return None


def no_traceback(page: Response) -> None:
    assert "Traceback" not in page.text and 'File "' not in page.text


def post(web: WebWorld, role: str, code: str, action: str, data: dict[str, Any] | None = None,
         files: list[tuple[str, tuple[str, bytes, str]]] | None = None,
         token: str | None = "") -> Response:
    client = web.client(role)
    fields = {"csrf_token": web.csrf(client) if token == "" else token} if token is not None \
        else {}
    fields.update(data or {})
    answer = client.post(f"/tasks/{code}/{action}", data=fields, files=files)
    no_traceback(answer)
    return answer


def task_row(web: WebWorld, code: str) -> Task:
    with Session(web.engine) as session:
        return session.exec(select(Task).where(Task.code == code)).one()


def last_event(web: WebWorld) -> AuditEvent:
    with Session(web.engine) as session:
        return session.exec(select(AuditEvent).order_by(col(AuditEvent.id).desc())).first() \
            or AuditEvent(at=web.now, actor="", entity="", action="", prev_hash="", hash="")


def snapshot(web: WebWorld) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, once everyone is logged in (logins are rows too)."""
    for role in ROLES:
        web.client(role)
    with Session(web.engine) as session:
        return dump_db(session)


def fresh_task(web: WebWorld, **kw: Any) -> str:
    with Session(web.engine, expire_on_commit=False) as session:
        return make_task(session, web.city, now=web.now, **kw).code


def run_cli(web: WebWorld, role: str, call: Any, **kw: Any) -> None:
    """The same service through the CLI's channel (for comparing what the form did)."""
    with Session(web.engine, expire_on_commit=False) as session:
        who = Actor.of(session.merge(web.person(role)), Channel.CLI, wall_clock=datetime.now(UTC))
        call(session=session, actor=who, now=web.now, **kw)


# -- what each role sees ----------------------------------------------------------------------

EXPECTED = {
    "fire": ["签收", "申请延期"],
    "fire_head": ["签收", "申请延期"],
    "housing": ["签收"],
    "office": ["代签收（市消防救援支队）", "代签收（市住房和城乡建设局）", "撤销"],
    "secretary": ["跟批"],
    "vice_mayor": ["跟批"],
}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_every_role_sees_its_buttons(web: WebWorld, role: str) -> None:
    page = web.client(role).get(f"/tasks/{web.task.code}")
    assert page.status_code == 200
    assert offers(page) == EXPECTED[role]
    assert web.task.title in page.text and "办理过程" in page.text
    no_traceback(page)


def test_outside_the_scope_is_the_same_404_as_missing(web: WebWorld) -> None:
    client = web.client("emerg")
    hidden = client.get(f"/tasks/{web.task.code}")
    missing = client.get("/tasks/DB-2099-9999")
    assert hidden.status_code == missing.status_code == 404
    strip = re.compile(r'value="[^"]+"|"X-CSRF-Token": "[^"]+"')
    assert strip.sub("", hidden.text) == strip.sub("", missing.text)
    assert web.task.title not in hidden.text
    anon = web.client("anon").get(f"/tasks/{web.task.code}")
    assert anon.status_code == 303 and anon.headers["location"].startswith("/login")


def test_buttons_follow_the_lifecycle(web: WebWorld) -> None:
    code = web.task.code
    assert post(web, "fire", code, "acknowledge").status_code == 303
    assert offers(web.client("fire").get(f"/tasks/{code}")) == ["反馈进展", "申请办结", "申请延期"]
    assert post(web, "fire", code, "request_completion", {"evidence": "验收单"}).status_code == 303
    page = web.client("office").get(f"/tasks/{code}")
    assert offers(page)[:2] == ["审核销号", "退回"]
    assert offers(web.client("fire").get(f"/tasks/{code}")) == []


# -- unit actions through the forms -----------------------------------------------------------

def test_unit_actions_change_the_task_as_the_cli_does(web: WebWorld) -> None:
    code, twin = web.task.code, fresh_task(web)
    answer = post(web, "fire", code, "acknowledge")
    assert answer.status_code == 303 and answer.headers["location"] == f"/tasks/{code}?done=acknowledge"
    event = last_event(web)
    assert (event.action, event.channel, event.client) == ("acknowledge", "web", "testclient")
    photo = samples.jpeg(4096, seed=7)
    answer = post(web, "fire", code, "report_progress", {"text": "已排查 30 处", "achieved": "30"},
                  files=[("files", ("现场.jpg", photo, "image/jpeg"))])
    assert answer.status_code == 303, answer.text
    event = last_event(web)
    assert (event.action, event.channel) == ("report_progress", "web")
    assert event.after is not None and event.after["files"][0]["name"] == "现场.jpg"
    assert post(web, "fire", code, "request_extension",
                {"new_due": "2024-05-31", "reason": "设备未到货"}).status_code == 303
    assert post(web, "fire", code, "request_completion", {"evidence": "验收单"}).status_code == 303

    run_cli(web, "fire", actions.acknowledge, task=twin)
    run_cli(web, "fire", actions.report_progress, task=twin, text="已排查 30 处", achieved=30.0)
    run_cli(web, "fire", extensions.request_extension, task=twin, new_due="2024-05-31",
            reason="设备未到货")
    run_cli(web, "fire", actions.request_completion, task=twin, evidence="验收单")
    fields = ("status", "achieved", "due_at", "extension_count", "last_progress_at")
    web_task, cli_task = task_row(web, code), task_row(web, twin)
    assert [getattr(web_task, f) for f in fields] == [getattr(cli_task, f) for f in fields]
    assert web_task.status == "pending_review" and web_task.achieved == 30

    page = web.client("fire").get(f"/tasks/{code}?done=request_completion")
    assert "已申请办结" in page.text and "现场.jpg" in page.text and "已排查 30 处" in page.text
    link = re.search(r'href="(/tasks/[^"]+/files/[0-9a-f]{64})"', page.text)
    assert link is not None
    image = web.client("housing").get(link.group(1) + "?inline=true")
    assert image.status_code == 200 and image.content == photo
    assert image.headers["content-type"] == "image/jpeg"
    assert image.headers["content-disposition"].startswith("inline")
    assert web.client("emerg").get(link.group(1)).status_code == 404


def test_a_cooperating_unit_cannot_ask_for_completion(web: WebWorld) -> None:
    code = web.task.code
    post(web, "fire", code, "acknowledge")
    before = snapshot(web)
    answer = post(web, "housing", code, "request_completion", {"evidence": "我们完成了"})
    assert answer.status_code == 403 and "配合单位" in answer.text
    assert snapshot(web) == before


def test_another_units_task_is_404_for_every_action(web: WebWorld) -> None:
    before = snapshot(web)
    for action, data in (("acknowledge", {}), ("report_progress", {"text": "x"}),
                         ("request_extension", {"new_due": "2024-05-31", "reason": "x"}),
                         ("verify", {"rating": "合格"})):
        answer = post(web, "emerg", web.task.code, action, data)
        assert answer.status_code == 404, action
        assert web.task.title not in answer.text
    assert post(web, "fire", web.task.code, "no_such_action").status_code == 404
    assert snapshot(web) == before


@pytest.mark.parametrize("token", [None, "wrong-token-" + "x" * 40])
def test_csrf_is_required(web: WebWorld, token: str | None) -> None:
    before = snapshot(web)
    answer = post(web, "fire", web.task.code, "acknowledge", token=token)
    assert answer.status_code == 403 and "安全令牌" in answer.text
    assert snapshot(web) == before


# -- bad input: a message beside the field, nothing changed -----------------------------------

def _acknowledged(web: WebWorld) -> str:
    assert post(web, "fire", web.task.code, "acknowledge").status_code == 303
    return web.task.code


BAD: list[tuple[str, dict[str, str], str, str]] = [
    ("request_extension", {"new_due": "2024-02-30", "reason": "来不及"}, "new_due", "日期不存在"),
    ("request_extension", {"new_due": "2024-03-01", "reason": "来不及"}, "new_due", "不晚于"),
    ("request_extension", {"new_due": "2024-05-31", "reason": "  "}, "reason", "理由"),
    ("request_extension", {"new_due": "2024-05-31\x07", "reason": "来不及"}, "new_due", "字符"),
    ("report_progress", {"text": "进展", "achieved": "NaN"}, "achieved", "不是有效的数字"),
    ("report_progress", {"text": "进展", "achieved": "1e400"}, "achieved", "不是有效的数字"),
    ("report_progress", {"text": "进展", "achieved": "1e13"}, "achieved", "过大"),
    ("report_progress", {"text": "进展", "achieved": "-3"}, "achieved", "负数"),
    ("report_progress", {"text": "进展", "achieved": "三十"}, "achieved", "数字"),
    ("report_progress", {"text": "进展\x1b[31m"}, "text", "字符"),
    ("report_progress", {"text": ""}, "text", "不能为空"),
    ("request_completion", {"evidence": ""}, "evidence", "证明材料"),
]


@pytest.mark.parametrize(("action", "data", "field", "words"), BAD,
                         ids=[f"{b[0]}-{b[2]}-{i}" for i, b in enumerate(BAD)])
def test_bad_input_is_refused_beside_its_field(web: WebWorld, action: str, data: dict[str, str],
                                               field: str, words: str) -> None:
    code = _acknowledged(web)
    before = snapshot(web)
    answer = post(web, "fire", code, action, data)
    assert answer.status_code == 400, answer.text
    message = error_beside(answer, field)
    assert message is not None and words in message, (message, answer.text[-3000:])
    assert re.search(r"[\u4e00-\u9fff]", message)
    assert snapshot(web) == before


def test_a_broken_file_is_refused_beside_the_file_field(web: WebWorld) -> None:
    code = _acknowledged(web)
    before = snapshot(web)
    answer = post(web, "fire", code, "report_progress", {"text": "照片"},
                  files=[("files", ("现场.jpg", b"\xff\xd8\xff\xe0 not really a jpeg", "image/jpeg"))])
    assert answer.status_code == 400
    assert error_beside(answer, "files")
    assert snapshot(web) == before
    answer = post(web, "fire", code, "report_progress", {"text": "程序"},
                  files=[("files", ("a.exe", samples.windows_program(), "application/octet-stream"))])
    assert answer.status_code == 400 and error_beside(answer, "files")
    assert snapshot(web) == before


def test_a_refused_state_shows_the_engines_message(web: WebWorld) -> None:
    code = _acknowledged(web)
    assert post(web, "fire", code, "request_extension",
                {"new_due": "2024-05-31", "reason": "设备未到货"}).status_code == 303
    before = snapshot(web)
    # A second request while one is pending (the button is gone; a stale page still posts).
    answer = post(web, "fire", code, "request_extension",
                  {"new_due": "2024-06-30", "reason": "再延"})
    assert answer.status_code == 409 and "已有待审批的延期申请" in answer.text
    assert snapshot(web) == before


# -- the office and leaders -------------------------------------------------------------------

def _pending_review(web: WebWorld) -> str:
    code = _acknowledged(web)
    assert post(web, "fire", code, "request_completion", {"evidence": "验收单"}).status_code == 303
    return code


def test_office_verifies_with_a_rating(web: WebWorld) -> None:
    code = _pending_review(web)
    answer = post(web, "office", code, "verify", {"rating": "优秀", "note": "材料齐全"})
    assert answer.status_code == 303
    row = task_row(web, code)
    assert (row.status, row.rating) == ("closed", "excellent")
    event = last_event(web)
    assert (event.action, event.channel, event.client) == ("verify", "web", "testclient")
    assert offers(web.client("office").get(f"/tasks/{code}")) == ["回头看"]


def test_office_returns_with_a_reason_and_refuses_an_empty_one(web: WebWorld) -> None:
    code = _pending_review(web)
    before = snapshot(web)
    answer = post(web, "office", code, "return", {"reason": " "})
    assert answer.status_code == 400 and "理由" in (error_beside(answer, "reason") or "")
    assert snapshot(web) == before
    answer = post(web, "office", code, "verify", {"rating": "很好"})
    assert answer.status_code == 400 and "评价" in (error_beside(answer, "rating") or "")
    assert snapshot(web) == before
    assert post(web, "office", code, "return", {"reason": "照片不清晰"}).status_code == 303
    assert task_row(web, code).status == "in_progress"
    page = web.client("fire").get(f"/tasks/{code}")
    assert "照片不清晰" in page.text


def test_office_decides_extensions(web: WebWorld) -> None:
    code = _acknowledged(web)
    post(web, "fire", code, "request_extension", {"new_due": "2024-05-31", "reason": "设备未到货"})
    with Session(web.engine) as session:
        request_id = session.exec(select(ExtensionRequest.id)).one() or 0
    page = web.client("office").get(f"/tasks/{code}")
    assert offers(page)[:2] == ["批准延期", "驳回延期"]
    assert post(web, "office", code, "approve_extension",
                {"request_id": str(request_id), "note": "同意"}).status_code == 303
    row = task_row(web, code)
    assert row.extension_count == 1 and row.due_text == "2024年5月31日前"
    page = web.client("fire").get(f"/tasks/{code}")
    assert "原定时限" in page.text and "3月31日前" in page.text and "已批准" in page.text
    post(web, "fire", code, "request_extension", {"new_due": "2024-06-30", "reason": "再延"})
    assert post(web, "office", code, "reject_extension",
                {"request_id": str(request_id + 1), "note": "不同意"}).status_code == 303
    assert task_row(web, code).extension_count == 1
    before = snapshot(web)
    assert post(web, "office", code, "approve_extension",
                {"request_id": "99999"}).status_code == 400
    assert snapshot(web) == before


def test_office_acts_for_a_unit_by_naming_it(web: WebWorld) -> None:
    code = web.task.code
    assert post(web, "office", code, "acknowledge", {"for_unit": "HOUSING"}).status_code == 303
    event = last_event(web)
    assert event.after is not None and event.after["on_behalf"] == "代签收"
    assert event.channel == "web"
    assert post(web, "office", code, "acknowledge", {"for_unit": "FIRE"}).status_code == 303
    assert post(web, "office", code, "report_progress",
                {"text": "电话报告", "for_unit": "FIRE"}).status_code == 303
    page = web.client("fire").get(f"/tasks/{code}")
    assert "督查室代签收" in page.text and "督查室代反馈" in page.text


def test_refusals_on_the_console_name_no_command_line_option(web: WebWorld) -> None:
    """The engine's messages say what is missing; the command line's options (``--for``) and
    commands (``duban unit list``) are the CLI's own hints, never shown on a page."""
    answer = post(web, "office", web.task.code, "acknowledge")
    assert "须指明为哪个单位办理" in answer.text
    unknown = web.client("office").get("/tasks?unit=水务局")
    assert unknown.status_code == 400 and "未找到单位“水务局”" in unknown.text
    for page in (answer, unknown):
        assert not re.search(r"--[a-z]|duban [a-z]", page.text), page.text[:500]


def test_office_assigns_cancels_and_rechecks(web: WebWorld) -> None:
    draft = fresh_task(web, assign=False)
    assert offers(web.client("office").get(f"/tasks/{draft}")) == ["交办", "撤销"]
    assert web.client("fire").get(f"/tasks/{draft}").status_code == 404
    assert post(web, "office", draft, "assign").status_code == 303
    assert task_row(web, draft).status == "assigned"
    assert post(web, "office", draft, "cancel", {"reason": "重复交办"}).status_code == 303
    assert task_row(web, draft).status == "cancelled"
    code = _pending_review(web)
    post(web, "office", code, "verify", {"rating": "合格"})
    answer = post(web, "office", code, "recheck",
                  {"result": "failed", "note": "隐患反弹", "new_due": "10个工作日内"})
    assert answer.status_code == 303
    assert task_row(web, code).status == "in_progress"


def test_a_leader_adds_a_followup(web: WebWorld) -> None:
    code = web.task.code
    before = snapshot(web)
    answer = post(web, "vice_mayor", code, "followup", {"title": " ", "text": "加快"})
    assert answer.status_code == 400 and "不能为空" in (error_beside(answer, "title") or "")
    assert snapshot(web) == before
    answer = post(web, "vice_mayor", code, "followup",
                  {"title": "请加快进度", "text": "务必三月底前完成"})
    assert answer.status_code == 303
    with Session(web.engine) as session:
        row = session.exec(select(Directive).where(Directive.kind == "followup")).one()
    assert row.parent_id == web.task.directive_id and row.issued_by_id == web.city.vice_mayor.id
    page = web.client("fire").get(f"/tasks/{code}")
    assert "务必三月底前完成" in page.text
    assert post(web, "fire", code, "followup", {"title": "x", "text": "y"}).status_code == 403


# -- files: the policy's evidence rule, size limits, odd addresses ---------------------------

def _require_completion_files(web: WebWorld) -> None:
    with Session(web.engine) as session:
        save_policy(session, policy=get_policy(session).model_copy(update={
            "evidence": EvidencePolicy(completion_requires_file=CompletionEvidence(normal=True),
                                       max_file_mb=1, max_report_mb=1)}), now=web.now)
        session.commit()


def test_the_policy_may_require_a_file_for_completion(web: WebWorld) -> None:
    _require_completion_files(web)
    code = _acknowledged(web)
    before = snapshot(web)
    answer = post(web, "fire", code, "request_completion", {"evidence": "已整改"})
    assert answer.status_code == 400 and "须附证明材料文件" in (error_beside(answer, "files") or "")
    assert 'value="已整改"' not in answer.text and "已整改</textarea>" in answer.text
    assert snapshot(web) == before
    big = samples.jpeg(1024 * 1024 + 4096, seed=3)
    answer = post(web, "fire", code, "request_completion", {"evidence": "已整改"},
                  files=[("files", ("大图.jpg", big, "image/jpeg"))])
    assert answer.status_code == 400 and "超过单个文件" in (error_beside(answer, "files") or "")
    assert snapshot(web) == before
    answer = post(web, "fire", code, "request_completion", {"evidence": "已整改"},
                  files=[("files", ("验收单.pdf", samples.pdf(), "application/pdf"))])
    assert answer.status_code == 303
    page = web.client("office").get(f"/tasks/{code}")
    link = re.search(r'href="(/tasks/[^"]+/files/[0-9a-f]{64})" download>验收单.pdf', page.text)
    assert link is not None
    download = web.client("office").get(link.group(1) + "?inline=true")
    assert download.content == samples.pdf()
    assert download.headers["content-disposition"].startswith("attachment")


def test_a_body_over_the_consoles_limit_is_refused_before_it_is_read(web: WebWorld) -> None:
    config = WebConfig(database_url="unused://", secret_key="test-secret-" + "y" * 32,
                       clock=lambda: web.now, max_upload_bytes=4096)
    small = TestClient(create_app(config, engine=web.engine), follow_redirects=False,  # type: ignore[arg-type]
                       raise_server_exceptions=False)
    token = web.csrf(small)
    assert small.post("/login", data={"csrf_token": token, "name": web.person("fire").name,
                                      "password": PASSWORD}).status_code == 303
    code = _acknowledged(web)
    before = snapshot(web)
    answer = small.post(f"/tasks/{code}/report_progress",
                        data={"csrf_token": web.csrf(small), "text": "照片"},
                        files=[("files", ("现场.jpg", samples.jpeg(8192), "image/jpeg"))])
    assert answer.status_code == 413 and "太大" in answer.text
    no_traceback(answer)
    assert snapshot(web) == before
    small.close()


def _multipart(fields: dict[str, str], file: tuple[str, str, bytes]) -> tuple[bytes, str]:
    """A multipart body (the fields first, then one file) and its content type."""
    boundary = "duban-test-boundary"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
             .encode() for name, value in fields.items()]
    field, filename, content = file
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
                 f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
                 .encode() + content + f"\r\n--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def test_a_chunked_body_over_the_limit_is_refused_though_it_declares_no_length(
        web: WebWorld) -> None:
    """A body sent in chunks carries no Content-Length: it is counted as it arrives and refused
    once past the limit — the form parser bounds only plain fields and would spool a file part
    of any size to disk — before any token is checked or anyone logged in."""
    config = WebConfig(database_url="unused://", secret_key="test-secret-" + "y" * 32,
                       clock=lambda: web.now, max_upload_bytes=4096)
    app = create_app(config, engine=web.engine)
    small = TestClient(app, follow_redirects=False,  # type: ignore[arg-type]
                       raise_server_exceptions=False)
    token = web.csrf(small)
    big = ("file", "大文件.txt", b"x" * 65536)
    before = snapshot(web)

    def chunks(body: bytes) -> Any:
        for start in range(0, len(body), 1024):
            yield body[start:start + 1024]

    name = web.person("fire").name
    for fields_ in ({"name": name, "password": PASSWORD},
                    {"csrf_token": token, "name": name, "password": PASSWORD}):
        body, content_type = _multipart(fields_, big)
        answer = small.post("/login", content=chunks(body), headers={"Content-Type": content_type})
        assert "content-length" not in answer.request.headers
        assert answer.status_code == 413 and "太大" in answer.text, answer.text[:300]
        no_traceback(answer)
    assert snapshot(web) == before
    # A small chunked form still works.
    body, content_type = _multipart({"csrf_token": token, "name": name, "password": PASSWORD},
                                    ("file", "a.txt", b"x"))
    answer = small.post("/login", content=chunks(body), headers={"Content-Type": content_type})
    assert answer.status_code == 303
    small.close()


@pytest.mark.parametrize("path", [
    "/tasks/%00", "/tasks/" + "9" * 40, "/tasks/DB-2024-0001/files/zz",
    "/tasks/DB-2024-0001/files/" + "0" * 64, "/tasks/DB-2024-0001/files/%E4%B8%AD",
    "/tasks/%E2%80%AEDB-2024-0001",
])
def test_odd_addresses_answer_in_chinese(web: WebWorld, path: str) -> None:
    answer = web.client("fire").get(path)
    assert answer.status_code in (400, 404)
    no_traceback(answer)
    assert re.search(r"[\u4e00-\u9fff]", answer.text)


def test_assigning_past_its_deadline_needs_the_office_to_confirm(web: WebWorld) -> None:
    with Session(web.engine, expire_on_commit=False) as session:
        late = make_task(session, web.city, now=web.now, assign=False, due="3月5日前").code
    page = web.client("office").get(f"/tasks/{late}")
    assert "完成时限已过" in page.text and 'name="confirm"' in page.text
    before = snapshot(web)
    answer = post(web, "office", late, "assign")
    assert answer.status_code == 409 and "交办即逾期" in answer.text
    assert "确认后再交办" in answer.text and "--allow-past-due" not in answer.text
    assert snapshot(web) == before
    assert post(web, "office", late, "assign", {"confirm": "yes"}).status_code == 303
    assert task_row(web, late).status == "assigned"


def test_control_characters_in_references_are_not_found(web: WebWorld) -> None:
    before = snapshot(web)
    for data in ({"for_unit": "FIRE\x00"}, {"for_unit": "\x1b[31m"}):
        answer = post(web, "office", web.task.code, "acknowledge", data)
        assert answer.status_code == 404
    assert snapshot(web) == before


# -- what the page shows ----------------------------------------------------------------------

def _section(page: Response, heading: str) -> str:
    """The HTML of the card whose heading is ``heading``."""
    start = page.text.index(f"<h2>{heading}</h2>")
    return page.text[start:page.text.index("</section>", start)]


def test_the_page_shows_units_milestones_quantity_and_deliveries(web: WebWorld) -> None:
    """Each unit with its 签收 and last 反馈, the milestones with what is done, the quantity as a
    progress bar, and each message of the timeline with its delivery state."""
    import asyncio
    from datetime import timedelta

    from engine.outbox.dispatch import dispatch_once
    from models import MilestoneCreate
    from notifiers.memory import MemoryNotifier

    code = fresh_task(web, target=100, measure="个", milestones=[
        MilestoneCreate(title="完成摸底", due="3月20日前"),
        MilestoneCreate(title="完成整改", due="3月28日前")])
    run_cli(web, "fire", actions.acknowledge, task=code)
    run_cli(web, "fire", actions.report_progress, task=code, text="摸底完成，已整改40个",
            achieved=40.0, milestone=1)
    with Session(web.engine) as session:
        # The messages of 交办 (a minute after the task was made) go out.
        asyncio.run(dispatch_once(session=session, notifiers=[MemoryNotifier()],
                                  now=web.now + timedelta(minutes=5)))
    for role in ("office", "fire"):
        page = web.client(role).get(f"/tasks/{code}")
        assert page.status_code == 200
        units = {row.split("</td>", 1)[0]: row for row in re.findall(
            r'<td data-label="单位">(.*?)</tr>', _section(page, "承办单位"), re.S)}
        assert set(units) == {"市消防救援支队", "市住房和城乡建设局"}, units
        assert "已签收" in units["市消防救援支队"] and "摸底完成，已整改40个" in units["市消防救援支队"]
        assert "未签收" in units["市住房和城乡建设局"]
        stones = _section(page, "阶段节点")
        assert re.search(r"完成摸底.*?已完成", stones, re.S)
        assert re.search(r"完成整改.*?未完成", stones, re.S)
        assert re.search(r'<progress max="100(\.0)?" value="40(\.0)?"', page.text)
        assert "40 / 100 个（40%）" in page.text
        deliveries = re.findall(r'<span class="delivery delivery-(\w+)">([^<]+)</span>',
                                _section(page, "办理过程"))
        assert ("sent", "已发送") in deliveries, deliveries


def test_a_split_task_links_to_its_parent_by_code_only_for_those_who_see_it(web: WebWorld) -> None:
    """上级事项 is the parent's code, linked; a reader who may not see the parent (its unit is
    not theirs) gets no link that would answer 404."""
    with Session(web.engine, expire_on_commit=False) as session:
        part = make_task(session, web.city, lead="EMERG", co=[], title="分解：应急物资清点",
                         parent_id=web.task.id)
    office = web.client("office").get(f"/tasks/{part.code}").text
    assert (f'<dt>上级事项</dt><dd><a href="/tasks/{web.task.code}">{web.task.code}</a></dd>'
            in office)
    emerg = web.client("emerg").get(f"/tasks/{part.code}")
    assert emerg.status_code == 200 and "上级事项" not in emerg.text
    assert web.client("emerg").get(f"/tasks/{web.task.code}").status_code == 404
