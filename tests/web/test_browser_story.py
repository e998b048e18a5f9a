"""The whole story in a real browser (issue 12), at 1366×768 and on a 375-px phone.

The office logs in, pastes a document in 文件识别, confirms the drafts and assigns; the unit
logs in, 签收, 反馈进展 with a quantity and 申请延期; the office approves; the clock passes the
new deadline and the leader sees the item among the red ones; the unit 申请办结 with a file;
the office 审核销号; the leader sees the item leave the red list. Every step waits for the
page's ``load`` state (htmx attaches on load) and a screenshot of each main screen goes to
``tests/web/output/`` — look at them after a run.

The live console runs over the example city (``config/example.yaml``) on a simulation database;
each run writes its own document with deadlines counted from the console's clock, so the two
viewports can share one server.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, col, func, select

from engine.org.accounts import set_password
from engine.org.actors import Actor
from engine.org.directory import find_person
from models import AuditEvent, Task
from tests.support.browser import DESKTOP, PHONE, Visit, open_context
from tests.support.live_server import LiveServer
from tests.support.samples import png
from tests.web.browser_steps import (
    OFFICE,
    SHANGHAI,
    Viewer,
    act,
    intake,
    light_of,
    local_date,
    log_in,
    paste_document,
    red_list,
    register_drafts,
    waiting,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Route

PASSWORD = "story-password-2026"
UNIT, LEADER = "许可", "周海涛"
"""The 市水务集团 contact (the lead unit); the vice-mayor supervising 水务集团."""


@pytest.fixture(scope="module")
def console(live_server: LiveServer) -> LiveServer:
    """The live console with passwords for the story's three people."""
    operator = Actor.cli_operator("tests", wall_clock=live_server.clock())
    with Session(live_server.engine) as session:
        for name in (OFFICE, UNIT, LEADER):
            set_password(session=session, actor=operator, person=find_person(session, name),
                         password=PASSWORD, now=live_server.clock())
    return live_server


@pytest.fixture(params=[("desktop", DESKTOP), ("phone", PHONE)], ids=["desktop", "phone"])
def viewport(request: pytest.FixtureRequest) -> tuple[str, dict[str, int]]:
    """The size a test runs at, with its name (the screenshots' prefix)."""
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def open_as(browser: Browser, console: LiveServer,
            viewport: tuple[str, dict[str, int]]) -> Iterator[Callable[[str], Viewer]]:
    """``open_as(name)``: a fresh context logged in as ``name`` through the login form."""
    label, size = viewport
    opened: list[Visit] = []

    def login(name: str) -> Viewer:
        visit = open_context(browser, size)
        opened.append(visit)
        return log_in(Viewer(visit, console.url, label), name, PASSWORD)

    yield login
    for visit in opened:
        assert visit.blocked == [], f"the page asked for outside addresses: {visit.blocked}"
        visit.context.close()


def document(now: datetime, label: str) -> tuple[str, datetime]:
    """A meeting record (our own words) whose one task is due ten days after ``now``, with a
    quantity; returns it and that deadline (end of the day in Shanghai). ``label`` keeps the
    two runs' documents apart (a document applied once is recognised the second time)."""
    due = (now.astimezone(SHANGHAI) + timedelta(days=10)).replace(hour=23, minute=59, second=59)
    session = {"desktop": "第5次", "phone": "第6次"}[label]
    text = (f"市政府常务会议（{session}）议定事项\n"
            f"{local_date(now)}，市政府召开常务会议，研究部署消防安全工作。会议议定：\n"
            f"一、由市水务集团牵头，市消防救援支队配合，{local_date(due)}前完成市政消火栓维修100个。\n")
    return text, due


def test_the_whole_story(console: LiveServer, viewport: tuple[str, dict[str, int]],
                         open_as: Callable[[str], Viewer]) -> None:
    label = viewport[0]
    text, due = document(console.clock(), label)
    day = console.clock().astimezone(SHANGHAI).date().isoformat()
    office = open_as(OFFICE)
    code = intake(office, text, day, title="维修市政消火栓100个")
    assert "待交办" in office.page.locator(".badges").inner_text()
    office.shot("05-task-draft")
    paste_document(office, text, day)  # the same document again is recognised
    expect(office.page.locator(".applied-before")).to_be_visible()
    act(office, code, "交办")
    office.shot("06-task-assigned")

    unit = open_as(UNIT)
    expect(waiting(unit, "acknowledge")).to_contain_text([code])
    unit.shot("07-unit-home")
    act(unit, code, "签收")
    act(unit, code, "反馈进展", {"进展情况": "已完成40个消火栓维修，其余正在采购配件", "累计完成量": "40"},
        files=[{"name": "现场照片.png", "mimeType": "image/png", "buffer": png(320, 200)}],
        shot="08-unit-progress-form")
    assert "40 / 100" in unit.page.locator(".quantity").inner_text()
    new_due = due + timedelta(days=7)
    act(unit, code, "申请延期", {"申请的新时限": new_due.date().isoformat(),
                              "延期理由": "配件到货延迟，已与分管领导沟通同意"})
    unit.shot("09-unit-extension-asked")

    expect(waiting(office, "extension")).to_contain_text([code])
    office.shot("10-office-home")
    act(office, code, "批准延期", {"审批意见": "同意延期"})
    office.shot("11-office-extension-approved")
    assert "已延期 1 次" in office.page.locator(".facts").inner_text()

    console.clock.now = new_due + timedelta(days=3)  # past the extended deadline: red
    leader = open_as(LEADER)
    expect(waiting(leader, "red")).to_contain_text([code])
    leader.shot("12-leader-home-red")
    assert light_of(leader, code) == "红灯"
    leader.shot("13-leader-task-red")
    expect(red_list(leader)).to_contain_text([code])
    leader.shot("14-leader-red-list")

    act(unit, code, "申请办结", {"证明材料说明": "100个消火栓全部维修完成，附验收单", "最终完成量": "100"},
        files=[{"name": "验收单.png", "mimeType": "image/png", "buffer": png(320, 200, (30, 160, 60))}])
    expect(waiting(office, "review")).to_contain_text([code])
    act(office, code, "审核销号", {"审核意见": "经现场核查，整改到位，同意销号"})
    office.shot("15-office-closed")
    assert "已办结" in office.page.locator(".badges").inner_text()

    expect(waiting(leader, "red").filter(has_text=code)).to_have_count(0)
    leader.shot("16-leader-home-after")
    assert light_of(leader, code) != "红灯"
    expect(red_list(leader).filter(has_text=code)).to_have_count(0)
    leader.shot("17-leader-red-list-after")


def test_login_screen_and_home(browser: Browser, console: LiveServer,
                               viewport: tuple[str, dict[str, int]],
                               open_as: Callable[[str], Viewer]) -> None:
    label, size = viewport
    visit = open_context(browser, size)
    try:
        viewer = Viewer(visit, console.url, label)
        page = viewer.go("/login")
        page.get_by_label("姓名").fill(OFFICE)
        page.get_by_label("密码").fill("wrong-password-1")
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state("load")
        assert "/login" in page.url
        viewer.shot("01-login-refused")
    finally:
        visit.context.close()
    office = open_as(OFFICE)
    office.shot("02-home-office")
    assert OFFICE in office.page.inner_text("header")


MENUS = {
    "office": ["首页", "督办台账", "来源", "文件识别", "每日调度", "情况通报", "组织", "发件箱"],
    "leader": ["首页", "督办台账", "来源", "每日调度"],
    "unit": ["首页", "督办台账"],
}
"""Each role's top menu: its main screens."""
PEOPLE = {"office": OFFICE, "leader": LEADER, "unit": UNIT}
MORE_SCREENS = {
    "office": [("/directives/new", "directive-new"), ("/org/policy", "policy"),
               ("/account/password", "password")],
    "leader": [],
    "unit": [("/account/password", "password")],
}
"""Screens reached from inside others, opened by address."""


@pytest.fixture(scope="module")
def city_work(console: LiveServer) -> list[str]:
    """A few assigned tasks of several units, so that every screen has rows to show."""
    now = console.clock()
    soon, later = now + timedelta(days=2), now + timedelta(days=20)
    text = ("市委市政府督查室关于消防安全隐患整改的督办通知\n"
            f"一、市水务集团要在{local_date(later)}前完成城区老旧消火栓更换50个。\n"
            f"二、由市住房和城乡建设局牵头，东城区、西城区配合，{local_date(soon)}前完成高层住宅消防通道排查。\n"
            f"三、市消防救援支队要在{local_date(later)}前完成重点单位消防检查200家。\n")
    return register_drafts(console, text, assign=True)


@pytest.mark.parametrize("role", list(MENUS))
def test_main_screens(console: LiveServer, city_work: list[str], role: str,
                      open_as: Callable[[str], Viewer]) -> None:
    """Every screen of a role's menu — followed through the menu itself — and the pages inside
    (a source, a task) open without an error, fit the width, and are saved."""
    viewer = open_as(PEOPLE[role])
    menu = viewer.page.locator("nav.menu a")
    assert menu.all_text_contents() == MENUS[role]
    for label in MENUS[role]:
        page = viewer.nav(label)
        expect(page.locator("nav.menu a.active")).to_have_text(label)
        viewer.shot(f"screen-{role}-{page.url.split('/')[3].split('?')[0] or 'home'}")
    for path, name in MORE_SCREENS[role]:
        viewer.go(path)
        viewer.shot(f"screen-{role}-{name}")
    viewer.go(f"/tasks/{city_work[0]}")  # 水务集团's: the unit's own, in the leader's scope
    viewer.shot(f"screen-{role}-task")
    if role != "unit":
        viewer.page.locator("a[href^='/directives/']").first.click()
        viewer.page.wait_for_load_state("load")
        viewer.shot(f"screen-{role}-directive")


def test_a_second_click_does_not_send_the_action_again(
        console: LiveServer, viewport: tuple[str, dict[str, int]],
        open_as: Callable[[str], Viewer]) -> None:
    """签收 clicked twice before its answer came (a slow double-click, an impatient person): the
    browser sends it once. Sent twice, the engine would apply the first and refuse the second,
    and the browser would show that refusal although the action succeeded. The action's request
    is held until both clicks are made, so the test does not depend on the server's speed."""
    label = viewport[0]
    due = local_date(console.clock() + timedelta(days=30))
    number = {"desktop": "第7次", "phone": "第8次"}[label]
    [code] = register_drafts(console, f"市政府专题会议（{number}）议定事项\n"
                                      f"一、市水务集团要在{due}前完成二次供水设施清洗消毒。\n",
                             assign=True)
    page = open_as(UNIT).go(f"/tasks/{code}")
    held: list[Route] = []

    def hold(route: Route) -> None:
        held.append(route)

    page.route(re.compile(r"/acknowledge$"), hold)
    box = page.locator('[data-offer="签收"] button[type=submit]').bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.click(x, y)
    for _ in range(100):  # until the browser has sent the first click's request
        if held:
            break
        page.wait_for_timeout(20)
    page.mouse.click(x, y)
    page.wait_for_timeout(300)  # room for a second request, were one sent
    assert len(held) == 1
    with page.expect_navigation(url=re.compile(r"done=acknowledge")):
        held[0].continue_()
    expect(page.locator(".notice")).to_have_count(1)
    with Session(console.engine) as session:
        task_id = session.exec(select(Task.id).where(Task.code == code)).one()
        signed = session.exec(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.entity == "task", AuditEvent.entity_id == task_id,
            col(AuditEvent.action) == "acknowledge")).one()
    assert signed == 1


SMALLEST_CHART_TEXT = """() => Math.min(...[...document.querySelectorAll('svg.chart')]
    .filter(svg => svg.getClientRects().length)
    .flatMap(svg => [...svg.querySelectorAll('text')].map(
        text => parseFloat(getComputedStyle(text).fontSize) * svg.getScreenCTM().a)))"""
"""The smallest chart text on the screen, in screen pixels (its size times the chart's scale)."""
READABLE = {"desktop": 9.5, "phone": 12}
"""The least text size (px) a chart shows at each viewport (the phone's is body-text size)."""


def test_home_charts_are_readable_at_each_width(console: LiveServer, city_work: list[str],
                                                viewport: tuple[str, dict[str, int]],
                                                open_as: Callable[[str], Viewer]) -> None:
    """The home page shows each chart once, in the frame drawn for the screen's width, with its
    labels no smaller than :data:`READABLE` (on a phone the wide frame's would be about 6 px)."""
    label = viewport[0]
    viewer = open_as(OFFICE)
    shown = viewer.page.locator("svg.chart:visible")
    expect(shown).to_have_count(2)
    assert viewer.page.evaluate(SMALLEST_CHART_TEXT) >= READABLE[label]
    frame = "chart-narrow" if label == "phone" else "chart-wide"
    assert all(frame in (svg.get_attribute("class") or "").split() for svg in shown.all())
    viewer.page.locator("#chart-units").scroll_into_view_if_needed()
    viewer.shot("home-charts")


TAG_IN_WRAPPED_TITLE = """() => {
    const cell = document.querySelector('table.ledger tbody td[data-label="事项"]');
    cell.textContent = '西城区老旧小区消防通道标识划线及消防设施全面排查整治 ';
    const tag = document.createElement('span');
    tag.className = 'tag';
    tag.textContent = '督办';
    cell.append(tag);
    return {tag: tag.getBoundingClientRect().height, cell: cell.getBoundingClientRect().height,
            font: parseFloat(getComputedStyle(cell).fontSize)};
}"""
"""Give the first ledger row a title that wraps and the 督办 tag the ledger draws after it; the
heights of the tag and of the cell, and the cell's font size."""


def test_phone_cards_flow_a_cell_as_text(console: LiveServer, city_work: list[str],
                                         viewport: tuple[str, dict[str, int]],
                                         open_as: Callable[[str], Viewer]) -> None:
    """On a phone each ledger row is a card of labelled lines; a cell with a long title and its
    督办 tag reads as one paragraph: the tag is one line high (as a flex row, the tag was a
    column of its own as tall as the wrapped title). In the desktop table it is one line high
    too."""
    viewer = open_as(OFFICE)
    viewer.go("/tasks")
    heights = viewer.page.evaluate(TAG_IN_WRAPPED_TITLE)
    if viewport[0] == "phone":
        assert heights["cell"] > 2.5 * heights["font"], heights  # the title does wrap
    assert heights["tag"] < 1.8 * heights["font"], heights
