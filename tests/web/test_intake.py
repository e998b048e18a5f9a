"""文件识别 (/intake): paste or upload, review with the source marked, correct inline, confirm into
drafts in one transaction; a document applied before is recognised; refusals are Chinese, beside
the field, and change nothing. The sample documents are written for these tests."""

from __future__ import annotations

import html
import io
import re
from typing import Any

from sqlmodel import Session, col, func, select

from engine.org.leaders import supervising_leader_id
from models import Directive, Task, TaskUnit, Unit
from tests.web.conftest import WebWorld

NOTICE = """关于春季消防安全隐患整治工作的督办通知

各有关单位：
3月8日，炳森书记在市应急管理局《关于近期火灾情况的报告》上批示：要举一反三，立即组织开展九小场所消防安全隐患排查。
根据批示要求，现将有关事项通知如下：
一、由市消防救援支队牵头，市住房和城乡建设局、东城区配合，于3月31日前完成全市九小场所消防安全隐患排查，建立隐患台账。
二、市应急管理局要在4月15日前完成高层住宅电动自行车违规充电专项整治。
三、市城市管理局负责，于4月30日前完成老旧小区消防通道清理。

市政府督查室
2024年3月9日
"""
"""A notice written for these tests: four items, one with a unit the directory lacks."""

_INPUT = re.compile(r'<input(?=[^>]*\bname="([^"]+)")(?=[^>]*\bvalue="([^"]*)")[^>]*>')
_TEXT = re.compile(r'<textarea name="text" hidden>\n?(.*?)</textarea>', re.S)


def _count(web: WebWorld, model: Any) -> int:
    with Session(web.engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def _review(web: WebWorld, text: str = NOTICE, role: str = "office", **fields: str) -> Any:
    client = web.client(role)
    return client.post("/intake", data={"csrf_token": web.csrf(client), "text": text, **fields})


def _form_of(page: str) -> dict[str, str]:
    """The review form as the browser would send it (checkboxes left unticked)."""
    data = {name: html.unescape(value) for name, value in _INPUT.findall(page)
            if not name.startswith(("skip-", "again", "read_only"))}
    found = _TEXT.search(page)
    assert found is not None
    data["text"] = html.unescape(found.group(1))
    return data


def _apply(web: WebWorld, page: str, **changes: str) -> Any:
    client = web.client("office")
    data = {**_form_of(page), **changes, "csrf_token": web.csrf(client)}
    return client.post("/intake/apply", data=data)


def _beside(page: str, field: str) -> str:
    found = re.search(rf'name="{field}".*?<p class="field-error" role="alert"[^>]*>([^<]+)</p>',
                      page, re.S)
    assert found is not None, f"no message beside {field}"
    return html.unescape(found.group(1))


def test_a_pasted_notice_is_reviewed_with_its_source_marked(web: WebWorld) -> None:
    before = (_count(web, Directive), _count(web, Task))
    page = _review(web)
    assert page.status_code == 200, page.text
    for shown in ("王炳森", "市消防救援支队", "市城市管理局?", "落款日期", "待核"):
        assert shown in page.text, shown
    assert page.text.count('<mark class="src"') >= 4
    assert 'name="title-4"' in page.text and 'name="title-5"' not in page.text
    assert "登记过" not in page.text
    assert (_count(web, Directive), _count(web, Task)) == before  # reviewing stores nothing


def test_confirming_stores_drafts_with_the_offices_corrections(web: WebWorld) -> None:
    page = _review(web).text
    answer = _apply(web, page, **{"skip-1": "1", "lead-4": "住建局", "title-3": "电动自行车充电整治",
                                  "leader-2": "占明副市长", "due-3": "4月20日前"})
    assert answer.status_code == 200, answer.text
    assert "创建待交办事项 3 项" in answer.text and "跳过 1 项" in answer.text
    with Session(web.engine) as session:
        drafts = session.exec(select(Task).where(Task.status == "draft")
                              .order_by(col(Task.id))).all()
        assert [t.title for t in drafts][1] == "电动自行车充电整治"
        assert drafts[1].due_text == "4月20日前"
        assert drafts[0].leader_id == web.city.vice_mayor.id
        housing = session.exec(select(Unit).where(Unit.code == "HOUSING")).one()
        assert drafts[2].lead_unit_id == housing.id
        links = session.exec(select(TaskUnit).where(TaskUnit.task_id == drafts[0].id)).all()
        assert len(links) == 3  # lead and two co-operating units, as read
        assert session.exec(select(Unit).where(Unit.name == "市城市管理局")).first() is None


def _directives(web: WebWorld) -> list[Directive]:
    """The directives intake stored (the fixture's own has the lowest id)."""
    with Session(web.engine) as session:
        return list(session.exec(select(Directive).order_by(col(Directive.id))).all()[1:])


def _named_by_title(page: str, directives: list[Directive]) -> None:
    """Every directive on ``page`` by its title, linked to its page; none by a bare id."""
    assert directives
    for directive in directives:
        assert f'<a href="/directives/{directive.id}">{html.escape(directive.title)}</a>' in page
    assert "来源事项 #" not in page and not re.search(r"[>、]#\d", page)


def test_the_confirmation_names_the_directives_by_title(web: WebWorld) -> None:
    answer = _apply(web, _review(web).text)
    assert answer.status_code == 200, answer.text
    _named_by_title(answer.text, _directives(web))


def test_a_document_applied_before_is_recognised(web: WebWorld) -> None:
    first = _apply(web, _review(web).text)
    assert first.status_code == 200
    tasks = _count(web, Task)
    # The same notice with other line breaks and half-width punctuation is the same document.
    copy = NOTICE.replace("，", ",").replace("\n\n", "\n")
    again = _review(web, copy)
    assert "已于" in again.text and "登记过" in again.text and "仍要再次登记" in again.text
    _named_by_title(again.text, _directives(web))
    refused = _apply(web, again.text)
    assert refused.status_code == 409 and "未重复登记" in refused.text
    assert _count(web, Task) == tasks
    knowingly = _apply(web, again.text, again="1")
    assert knowingly.status_code == 200 and _count(web, Task) > tasks


def _derived_leaders(page: str) -> dict[int, str | None]:
    """Each review row's hint of the leader its lead unit gives (``None``: no hint)."""
    found: dict[int, str | None] = {}
    for number, row in re.findall(r'<tr id="task-(\d+)"[^>]*>(.*?)</tr>', page, re.S):
        hint = re.search(r'class="hint derived-leader"[^>]*>([^<]*)<', row)
        found[int(number)] = html.unescape(hint.group(1)) if hint else None
    return found


def test_the_leader_a_draft_gets_from_its_lead_unit_is_shown(web: WebWorld) -> None:
    """李占明 supervises the fire brigade and the emergency bureau: drafts they lead and that
    name no leader are his, and the review says so — as the stored task then has it."""
    page = _review(web).text
    derived = "李占明（按牵头单位）"
    assert _derived_leaders(page) == {1: None, 2: derived, 3: derived, 4: None}
    # A leader typed replaces the hint; a lead unit typed anew brings its own (none for 住建局).
    again = _apply(web, page, **{"leader-2": "占明副市长", "lead-1": "应急局",
                                 "lead-3": "住建局", "due-4": "遥遥无期"})
    assert again.status_code == 400
    assert _derived_leaders(again.text) == {1: derived, 2: None, 3: None, 4: None}
    stored = _apply(web, page)
    assert stored.status_code == 200, stored.text
    with Session(web.engine) as session:
        drafts = session.exec(select(Task).where(Task.status == "draft")
                              .order_by(col(Task.id))).all()
        assert [supervising_leader_id(session, t) for t in drafts][1:3] == [
            web.city.vice_mayor.id] * 2
        assert [t.leader_id for t in drafts][1:3] == [None, None]  # derived, not written


def test_a_bad_correction_stores_nothing_and_is_shown_beside_its_field(web: WebWorld) -> None:
    before = (_count(web, Directive), _count(web, Task))
    page = _review(web).text
    answer = _apply(web, page, **{"due-2": "遥遥无期", "co-3": "不存在的局"})
    assert answer.status_code == 400
    assert "遥遥无期" in _beside(answer.text, "due-2")
    assert "不存在的局" in _beside(answer.text, "co-3")
    assert 'value="遥遥无期"' in answer.text  # what was typed is kept
    assert (_count(web, Directive), _count(web, Task)) == before


def test_a_changed_reading_is_not_applied_blindly(web: WebWorld) -> None:
    page = _review(web).text
    answer = _apply(web, page, digest="0" * 32)
    assert answer.status_code == 409 and "识别结果已变化" in answer.text
    assert _count(web, Task) == 1  # only the fixture's task


def _docx(text: str) -> bytes:
    import docx

    document = docx.Document()
    for line in text.splitlines():
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _upload(web: WebWorld, name: str, content: bytes) -> Any:
    client = web.client("office")
    return client.post("/intake", data={"csrf_token": web.csrf(client), "text": ""},
                       files={"file": (name, content, "application/octet-stream")})


def test_uploads_are_read_or_refused_in_chinese(web: WebWorld) -> None:
    word = _upload(web, "督办通知.docx", _docx(NOTICE))
    assert word.status_code == 200 and "市城市管理局?" in word.text and "督办通知.docx" in word.text
    gbk = _upload(web, "通知.txt", NOTICE.encode("gb18030"))
    assert gbk.status_code == 200 and "市消防救援支队" in gbk.text
    for name, content, words in (("坏文件.docx", b"PK\x03\x04 not really a zip", "无法读取 Word 文件"),
                                 ("扫描件.pdf", b"%PDF-1.4", ".docx"),
                                 ("空的.txt", b"", "空的"),
                                 ("程序.txt", bytes(range(256)) * 8, "无法识别")):
        answer = _upload(web, name, content)
        assert answer.status_code == 400, name
        assert words in _beside(answer.text, "file"), name
    empty = _review(web, "   ")
    assert empty.status_code == 400 and "请粘贴" in _beside(empty.text, "text")
    bad_date = _review(web, ref_date="三月")
    assert bad_date.status_code == 400 and "参照日期" in _beside(bad_date.text, "ref_date")
    assert _count(web, Directive) == 1


def test_intake_is_the_offices_and_needs_the_csrf_token(web: WebWorld) -> None:
    for role in ("vice_mayor", "secretary", "fire"):
        assert web.client(role).get("/intake").status_code == 403
        assert _review(web, role=role).status_code == 403
    page = _review(web).text
    data = {k: v for k, v in _form_of(page).items() if k != "csrf_token"}
    assert web.client("office").post("/intake/apply", data=data).status_code == 403
    leader = web.client("vice_mayor")
    assert leader.post("/intake/apply", data={**data, "csrf_token": web.csrf(leader)}
                       ).status_code == 403
    assert web.client("anon").get("/intake").status_code == 303
    assert _count(web, Directive) == 1
