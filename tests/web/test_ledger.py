"""督办台账 in the console: each role's scope in the list, the count and the export; filters,
sorts, keyset pages and saved views; the xlsx export; 批量催办 and the export of chosen rows;
bad query values answered with a Chinese 400 page, never a 500."""

from __future__ import annotations

import base64
import io
import json
import re
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session, col, select

from engine.tasks.actions import acknowledge
from models import OutboxMessage, Task
from tests.factories import act, make_task
from tests.web.conftest import WebWorld

CODE = re.compile(r'href="/tasks/(DB-[0-9A-Z-]+)"')
TOTAL = re.compile(r'class="total">(\d+)<')
NEXT = re.compile(r'<a href="([^"]+)" rel="next"')


@dataclass
class Ledger:
    """The fixture's FIRE task plus a red FIRE one, an EMERG one, a D1 one and a draft."""

    fire: str
    red: str
    emerg: str
    district: str
    draft: str


@pytest.fixture
def ledger(web: WebWorld) -> Ledger:
    with Session(web.engine, expire_on_commit=False) as session:
        red = make_task(session, web.city, due="3月8日前", title="消防通道堵塞整治", co=[])
        emerg = make_task(session, web.city, lead="EMERG", co=[], title="应急预案修订",
                          due="4月30日前")
        district = make_task(session, web.city, lead="D1", co=[], title="东城区燃气排查",
                             due="3月20日前")
        draft = make_task(session, web.city, assign=False, title="尚未交办的草稿", co=[],
                          due=None)
        acknowledge(session=session, task=red.code, actor=act(web.city.fire_contact),
                    now=web.now)
    return Ledger(web.task.code, red.code, emerg.code, district.code, draft.code)


def codes(page: str) -> list[str]:
    return list(dict.fromkeys(CODE.findall(page)))


def total(page: str) -> int:
    found = TOTAL.search(page)
    assert found is not None, page[:2000]
    return int(found.group(1))


def xlsx_codes(content: bytes) -> set[str]:
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    return {row[1] for row in sheet.iter_rows(min_row=3, values_only=True) if row[1]}


def get(web: WebWorld, role: str, url: str) -> str:
    answer = web.client(role).get(url)
    assert answer.status_code == 200, (role, url, answer.text[:500])
    return answer.text


def test_each_role_sees_only_its_scope_in_list_count_and_export(web: WebWorld,
                                                                ledger: Ledger) -> None:
    everything = {ledger.fire, ledger.red, ledger.emerg, ledger.district, ledger.draft}
    expected = {
        "office": everything,
        "secretary": everything - {ledger.draft},
        # Supervises FIRE and EMERG, and is named the leader of every task the factory makes.
        "vice_mayor": everything - {ledger.draft},
        "fire": {ledger.fire, ledger.red},
        "fire_head": {ledger.fire, ledger.red},
        "housing": {ledger.fire},  # cooperates on the fixture's task only
        "emerg": {ledger.emerg},
    }
    for role, wanted in expected.items():
        page = get(web, role, "/tasks")
        assert set(codes(page)) == wanted, role
        assert total(page) == len(wanted), role
        export = web.client(role).get("/tasks/export.xlsx")
        assert export.status_code == 200
        assert xlsx_codes(export.content) == wanted, role
        # Naming another unit's task finds nothing, in the list and the export.
        outside = sorted(everything - wanted)
        for code in outside[:1]:
            assert codes(get(web, role, f"/tasks?q={code}")) == []
            assert xlsx_codes(web.client(role).get(f"/tasks/export.xlsx?q={code}").content) == set()


def test_anonymous_visitors_go_to_the_login_page(web: WebWorld) -> None:
    for path in ("/tasks", "/tasks/export.xlsx?light=red"):
        answer = web.client("anon").get(path)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


def test_filters(web: WebWorld, ledger: Ledger) -> None:
    cases = {
        "/tasks?light=red": {ledger.red},
        "/tasks?light=红灯": {ledger.red},
        "/tasks?unit=应急局": {ledger.emerg},
        "/tasks?unit=HOUSING": {ledger.fire},
        f"/tasks?q={ledger.district.lower()}": {ledger.district},
        "/tasks?q=燃气": {ledger.district},
        "/tasks?status=draft": {ledger.draft},
        "/tasks?status=assigned&status=acknowledged": {ledger.fire, ledger.emerg,
                                                       ledger.district, ledger.red},
        "/tasks?status=acknowledged": {ledger.red},
        "/tasks?kind=instruction&leader=李占明&due_from=2024-03-01&due_to=2024-03-20":
            {ledger.red, ledger.district},
        "/tasks?due_from=2024-04-01": {ledger.emerg},
        "/tasks?kind=meeting": set(),
        "/tasks?light=&unit=&q=&sort=&size=&view=": {ledger.fire, ledger.red, ledger.emerg,
                                                      ledger.district, ledger.draft},
        "/tasks?unexpected=1&light=red": {ledger.red},
    }
    for url, wanted in cases.items():
        page = get(web, "office", url)
        assert set(codes(page)) == wanted, url
        assert total(page) == len(wanted), url


def test_sorts_and_keyset_pages_list_every_task_once_in_order(web: WebWorld,
                                                              ledger: Ledger) -> None:
    by_due = codes(get(web, "office", "/tasks?sort=due"))
    assert by_due[0] == ledger.red and by_due[-1] == ledger.draft  # drafts have no deadline
    assert codes(get(web, "office", "/tasks?sort=-due"))[0] == ledger.emerg
    newest = codes(get(web, "office", "/tasks?sort=newest"))
    assert newest == list(reversed(codes(get(web, "office", "/tasks?sort=oldest"))))
    for sort in ("due", "-due", "newest", "oldest"):
        seen: list[str] = []
        url: str | None = f"/tasks?sort={sort}&size=2&light="
        while url is not None:
            page = get(web, "office", url.replace("&amp;", "&"))
            seen += codes(page)
            assert total(page) == 5
            found = NEXT.search(page)
            url = found.group(1) if found else None
        full = codes(get(web, "office", f"/tasks?sort={sort}"))
        assert seen == full, sort


def test_saved_views(web: WebWorld, ledger: Ledger) -> None:
    assert set(codes(get(web, "office", "/tasks?view=red"))) == {ledger.red}
    # 我的待办: the office's drafts and completion requests; a unit's tasks still to act on.
    assert set(codes(get(web, "office", "/tasks?view=mine"))) == {ledger.draft}
    assert set(codes(get(web, "fire", "/tasks?view=mine"))) == {ledger.fire, ledger.red}
    assert set(codes(get(web, "housing", "/tasks?view=unit"))) == {ledger.fire}
    assert set(codes(get(web, "vice_mayor", "/tasks?view=mine"))) == {
        ledger.fire, ledger.red, ledger.emerg, ledger.district}
    # 本周到期: the week of 2024-03-11 (Monday) to 03-17.
    assert set(codes(get(web, "office", "/tasks?view=week"))) == set()
    assert codes(get(web, "office", "/tasks?view=focus")) == []
    # A view combines with the form's other filters.
    assert set(codes(get(web, "fire", "/tasks?view=mine&q=通道"))) == {ledger.red}
    page = get(web, "office", "/tasks?view=red")
    assert 'class="active" aria-current="page">红灯' in page


def test_view_tabs_offer_only_the_views_that_answer_the_person(web: WebWorld) -> None:
    """A vice mayor (no unit) is not offered 本单位, which would only answer with a refusal; a
    unit's contact is."""
    assert "view=unit" not in get(web, "vice_mayor", "/tasks")
    assert '<a href="/tasks?view=unit">本单位</a>' in get(web, "fire", "/tasks")


def test_counts_stop_at_the_cap(web: WebWorld, ledger: Ledger,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    from web.routes import ledger as route

    monkeypatch.setattr(route, "COUNT_CAP", 3)
    # A filter beyond status is counted, up to the cap: the four assigned tasks are "3+".
    page = get(web, "office", "/tasks?due_from=2000-01-01")
    assert 'class="total">3</strong>+ 项' in page and len(codes(page)) == 4
    # Exactly the cap: no "+" (fire, red and the draft).
    assert 'class="total">3</strong> 项' in get(web, "office", "/tasks?unit=消防")


def test_whole_lists_are_counted_exactly_from_the_tallies(
        web: WebWorld, ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    """The office's whole ledger (or one narrowed by status only) is counted from the
    maintained tallies: exact beyond the cap, and as of the moment of the page."""
    from web.routes import ledger as route

    monkeypatch.setattr(route, "COUNT_CAP", 3)
    page = get(web, "office", "/tasks")
    assert 'class="total">5</strong> 项' in page and len(codes(page)) == 5
    assert total(get(web, "office", "/tasks?status=assigned&status=acknowledged")) == 4
    # The top leader sees every assigned task but no draft.
    assert 'class="total">4</strong> 项' in get(web, "secretary", "/tasks")
    with Session(web.engine) as session:
        make_task(session, web.city, lead="EMERG", co=[], title="新增的第六项", due="5月30日前")
    assert total(get(web, "office", "/tasks")) == 6


def test_htmx_gets_only_the_results(web: WebWorld, ledger: Ledger) -> None:
    client = web.client("office")
    part = client.get("/tasks?light=red", headers={"HX-Request": "true", "HX-Target": "results"})
    assert part.status_code == 200
    assert "<html" not in part.text and 'id="results"' in part.text
    assert set(codes(part.text)) == {ledger.red}
    noisy = client.get("/tasks?q=&unit=&light=red&sort=due",
                       headers={"HX-Request": "true", "HX-Target": "results"})
    assert noisy.headers["HX-Push-Url"] == "/tasks?light=red&sort=due"
    whole = client.get("/tasks?light=red", headers={"HX-Request": "true",
                                                    "HX-History-Restore-Request": "true"})
    assert "<html" in whole.text


def test_htmx_results_redraw_the_view_tabs_with_the_new_filters(web: WebWorld,
                                                                ledger: Ledger) -> None:
    """Filtering by htmx redraws the saved views' tabs out of band, so 本周到期 after choosing
    红灯 keeps 红灯 — as it does when the filtered page is opened by its address."""
    client = web.client("office")
    part = client.get("/tasks?light=red", headers={"HX-Request": "true", "HX-Target": "results"})
    assert '<nav id="views" class="views" aria-label="常用视图" hx-swap-oob="true">' in part.text
    assert 'href="/tasks?view=week&amp;light=red"' in part.text
    whole = get(web, "office", "/tasks?light=red")
    assert 'href="/tasks?view=week&amp;light=red"' in whole and "hx-swap-oob" not in whole


def test_export_is_the_whole_filter_as_xlsx(web: WebWorld, ledger: Ledger) -> None:
    answer = web.client("office").get("/tasks/export.xlsx?unit=消防&size=1")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in answer.headers["content-disposition"]
    assert xlsx_codes(answer.content) == {ledger.fire, ledger.red, ledger.draft}
    page = get(web, "office", "/tasks?light=red&sort=newest")
    assert 'href="/tasks/export.xlsx?light=red&amp;sort=newest"' in page


def _urge(client: TestClient, token: str | None, *codes_: str) -> int:
    data: dict[str, object] = {"action": "urge", "code": list(codes_), "note": "请本周内反馈"}
    if token is not None:
        data["csrf_token"] = token
    return client.post("/tasks/bulk", data=data).status_code  # type: ignore[arg-type]


def _urges(web: WebWorld) -> list[OutboxMessage]:
    with Session(web.engine) as session:
        return list(session.exec(select(OutboxMessage).where(OutboxMessage.kind == "urge")
                                 .order_by(col(OutboxMessage.id))).all())


def test_bulk_urge_queues_reminders_for_each_tasks_units(web: WebWorld, ledger: Ledger) -> None:
    client = web.client("office")
    answer = client.post("/tasks/bulk", data={
        "csrf_token": web.csrf(client), "action": "urge", "code": [ledger.fire, ledger.red,
                                                                   ledger.draft],
        "note": "请本周内反馈", "back": "/tasks?light=red"})
    assert answer.status_code == 200, answer.text
    assert "已向 2 项事项的承办单位发出催办" in answer.text
    assert 'href="/tasks?light=red"' in answer.text
    rows = _urges(web)
    with Session(web.engine) as session:
        ids = {t.code: t.id for t in session.exec(select(Task)).all()}
    # The fixture's task reaches FIRE's two people and HOUSING's contact; the red one FIRE's two.
    assert sorted(r.task_id or 0 for r in rows) == sorted([ids[ledger.fire] or 0] * 3
                                                       + [ids[ledger.red] or 0] * 2)
    assert all("请本周内反馈" in r.body for r in rows)
    assert client.post("/tasks/bulk", data={"csrf_token": web.csrf(client), "action": "urge",
                                            "back": "//evil.example"}).status_code == 400


@pytest.mark.parametrize("role", ["secretary", "vice_mayor", "fire", "fire_head", "housing",
                                  "emerg"])
def test_bulk_urge_is_refused_to_everyone_but_the_office(web: WebWorld, ledger: Ledger,
                                                         role: str) -> None:
    client = web.client(role)
    assert _urge(client, web.csrf(client), ledger.fire) == 403
    assert _urges(web) == []
    page = get(web, role, "/tasks")
    assert "批量催办" not in page and "导出选中事项" in page


def test_bulk_urge_without_the_csrf_token_changes_nothing(web: WebWorld, ledger: Ledger) -> None:
    client = web.client("office")
    assert _urge(client, None, ledger.fire) == 403
    assert _urge(client, "forged-token", ledger.fire) == 403
    assert _urges(web) == []


def test_bulk_export_of_chosen_rows(web: WebWorld, ledger: Ledger) -> None:
    client = web.client("emerg")
    answer = client.post("/tasks/bulk", data={
        "csrf_token": web.csrf(client), "action": "export",
        "code": [ledger.emerg, ledger.fire, ledger.red]})
    assert answer.status_code == 200
    assert xlsx_codes(answer.content) == {ledger.emerg}  # the others are not 应急局's
    office = web.client("office")
    answer = office.post("/tasks/bulk", data={"csrf_token": web.csrf(office), "action": "export",
                                              "code": [ledger.red, ledger.district]})
    assert xlsx_codes(answer.content) == {ledger.red, ledger.district}
    nothing = office.post("/tasks/bulk", data={"csrf_token": web.csrf(office), "action": "export"})
    assert nothing.status_code == 400 and "请至少选择一项事项" in nothing.text
    odd = office.post("/tasks/bulk", data={"csrf_token": web.csrf(office), "action": "delete"})
    assert odd.status_code == 400


def test_a_refused_bulk_action_leads_back_to_the_ledger_as_it_was(web: WebWorld,
                                                                  ledger: Ledger) -> None:
    """批量催办 with nothing ticked is refused in Chinese on a page that leads back to the ledger
    the clerk came from, filters kept (not only to the home page); a Referer from another site
    or none gives no such link."""
    office = web.client("office")
    form = {"csrf_token": web.csrf(office), "action": "urge"}
    came_from = "http://testserver/tasks?light=red&sort=due"
    page = office.post("/tasks/bulk", data=form, headers={"Referer": came_from})
    assert page.status_code == 400 and "请至少选择一项事项" in page.text
    assert '<a href="/tasks?light=red&amp;sort=due" class="back">返回上一页</a>' in page.text
    for referer in ("http://elsewhere.example/tasks", "", "http://testserver/tasks/bulk"):
        page = office.post("/tasks/bulk", data=form, headers={"Referer": referer})
        assert page.status_code == 400 and "返回上一页" not in page.text


def _cursor(*parts: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).decode().rstrip("=")


BAD = [
    ("light=purple", "红黄绿灯“purple”无效"),
    ("status=逾期", "办理状态“逾期”无效"),
    ("kind=rumour", "来源类型"),
    ("view=everything", "视图"),
    ("sort=title", "排序方式"),
    ("due_from=2024-02-30", "不是有效日期"),
    ("due_to=31/03/2024", "不是有效日期"),
    ("due_from=0001-01-01", "年之间"),
    ("due_from=2024-04-01&due_to=2024-03-01", "不能晚于"),
    ("size=0", "每页条数"),
    ("size=99999999999999999999999999", "每页条数"),
    ("size=-5", "每页条数"),
    ("size=１０", "每页条数"),
    ("cursor=garbage", "游标"),
    (f"cursor={_cursor('due', None, 10**30)}", "游标"),
    (f"cursor={_cursor('newest', None, 5)}", "游标"),
    # Control and bidi characters: refused by the console's guard before any route runs.
    ("q=%00", "控制字符"),
    ("q=%1b%5b2J", "控制字符"),
    ("unit=%07消防", "控制字符"),
    ("leader=%E2%80%AE", "控制字符"),
    ("q=" + "长" * 300, "过长"),
    ("unit=水务局", "未找到单位"),
    ("leader=不存在的人", "不存在的人"),
    ("extension=approved", "只能按“待审批”筛选"),
    ("extension=yes", "延期申请"),
]


@pytest.mark.parametrize(("query", "message"), BAD)
def test_bad_query_values_are_a_chinese_400_page(web: WebWorld, query: str, message: str) -> None:
    # The export is the whole filter: it ignores the page's cursor.
    paths = ("/tasks",) if query.startswith("cursor=") else ("/tasks", "/tasks/export.xlsx")
    for path in paths:
        answer = web.client("office").get(f"{path}?{query}")
        assert answer.status_code == 400, (path, query, answer.text[:300])
        assert message in answer.text and "Traceback" not in answer.text
        assert answer.headers["content-type"].startswith("text/html")


def test_the_leaders_focus_view_lists_the_open_tasks_escalated_to_duban(
        web: WebWorld, ledger: Ledger) -> None:
    """领导关注: the open tasks the ladder has taken to 督办 or beyond (not those only urged),
    within the reader's scope."""
    from engine.escalation.run import run_pass
    from engine.values import EscalationLevel
    from tests.factories import at, system

    with Session(web.engine) as session:
        run_pass(session=session, actor=system(), now=at("2024-03-21", "10:00"))
        levels = {t.code: t.escalation_level for t in session.exec(select(Task)).all()}
    assert levels[ledger.red] >= EscalationLevel.SUPERVISED  # due 8 March
    assert levels[ledger.district] == EscalationLevel.URGED  # due 20 March: only urged
    assert levels[ledger.fire] == EscalationLevel.NONE  # not due yet
    assert codes(get(web, "office", "/tasks?view=focus")) == [ledger.red]
    assert codes(get(web, "vice_mayor", "/tasks?view=focus")) == [ledger.red]
    assert codes(get(web, "emerg", "/tasks?view=focus")) == []
    assert 'class="active" aria-current="page">领导关注' in get(web, "office", "/tasks?view=focus")


def test_awaiting_extension_filter_continues_the_home_pages_list(
        web: WebWorld, ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    """待延期审批: open tasks with a request the office has not decided — the 台账 filter the
    home page's list links to, counted by the same rule; a decided request leaves the list."""
    from engine.read.overview import home_overview
    from engine.tasks.extensions import decide_extension, request_extension

    with Session(web.engine, expire_on_commit=False) as session:
        request_extension(session=session, task=ledger.emerg, actor=act(web.city.emerg_contact),
                          new_due="5月30日前", reason="设备未到", now=web.now)
        decided = request_extension(session=session, task=ledger.red,
                                    actor=act(web.city.fire_contact), new_due="3月29日前",
                                    reason="雨天停工", now=web.now)
        decide_extension(session=session, request_id=decided.id or 0,
                         actor=act(web.city.office), approve=True, now=web.now)
        acknowledge(session=session, task=ledger.fire, actor=act(web.city.fire_contact),
                    now=web.now)
        request_extension(session=session, task=ledger.fire, actor=act(web.city.fire_contact),
                          new_due="4月30日前", reason="等待审批", now=web.now)
        session.commit()
        waiting = {w.key: w for w in home_overview(session=session, actor=act(web.city.office),
                                                   now=web.now).waiting}
    assert waiting["extension"].total == 2
    page = get(web, "office", "/tasks?extension=pending")
    assert set(codes(page)) == {ledger.emerg, ledger.fire} and total(page) == 2
    assert 'value="pending" selected' in page  # the form shows the filter it applied
    assert set(codes(get(web, "emerg", "/tasks?extension=待审批"))) == {ledger.emerg}
    assert set(codes(get(web, "fire", "/tasks?extension=pending"))) == {ledger.fire}
    assert xlsx_codes(web.client("office").get("/tasks/export.xlsx?extension=pending").content) \
        == {ledger.emerg, ledger.fire}
    # A list longer than the home page shows continues in the 台账.
    monkeypatch.setattr("engine.read.overview.LIST_LIMIT", 1)
    home = get(web, "office", "/")
    assert '<a href="/tasks?extension=pending">共 2 项，查看全部</a>' in home
