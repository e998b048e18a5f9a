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
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from engine.org.accounts import set_password
from engine.org.actors import Actor
from engine.org.directory import find_person
from tests.support.browser import DESKTOP, PHONE, Visit, open_context, screenshot
from tests.support.live_server import LiveServer
from tests.support.samples import png

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

PASSWORD = "story-password-2026"
OFFICE, UNIT, LEADER = "赵敏", "许可", "周海涛"
"""督查室主任; the 市水务集团 contact (the lead unit); the vice-mayor supervising 水务集团."""
SHANGHAI = ZoneInfo("Asia/Shanghai")
SIDEWAYS = "() => document.documentElement.scrollWidth - window.innerWidth"
"""How many pixels the page would scroll sideways (tables scroll inside their own wrapper)."""


@pytest.fixture(scope="module")
def console(live_server: LiveServer) -> LiveServer:
    """The live console with passwords for the story's three people."""
    operator = Actor.cli_operator("tests", wall_clock=live_server.clock())
    with Session(live_server.engine) as session:
        for name in (OFFICE, UNIT, LEADER):
            set_password(session=session, actor=operator, person=find_person(session, name),
                         password=PASSWORD, now=live_server.clock())
    return live_server


@dataclass
class Viewer:
    """One person's browser context on the console at one viewport."""

    visit: Visit
    base: str
    label: str
    """Prefix of this run's screenshots (``desktop`` / ``phone``)."""

    @property
    def page(self) -> Page:
        return self.visit.page

    def go(self, path: str) -> Page:
        """Open ``path`` and wait for ``load``; an error page fails the test with its text."""
        answer = self.page.goto(self.base + path)
        self.page.wait_for_load_state("load")
        assert answer is not None and answer.ok, f"{path}: {self.page.inner_text('body')[:500]}"
        return self.page

    def shot(self, name: str) -> None:
        """Save the screen and check it fits its width (no sideways scrolling on a phone)."""
        screenshot(self.page, f"{self.label}-{name}")
        overflow = self.page.evaluate(SIDEWAYS)
        assert overflow <= 0, f"{name}: the page is {overflow} px wider than the screen"

    def nav(self, label: str) -> Page:
        """Follow the top menu's ``label`` link (on a phone, through the 菜单 button)."""
        page = self.page
        menu = page.locator("label.menu-button")
        if menu.is_visible():
            menu.click()
        page.locator("nav.menu").get_by_role("link", name=label, exact=True).click()
        page.wait_for_load_state("load")
        return page


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
        viewer = Viewer(visit, console.url, label)
        page = viewer.go("/")
        assert "/login" in page.url  # logged out: sent to the login form
        page.get_by_label("姓名").fill(name)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state("load")
        assert "/login" not in page.url, page.content()
        return viewer

    yield login
    for visit in opened:
        assert visit.blocked == [], f"the page asked for outside addresses: {visit.blocked}"
        visit.context.close()


def local_date(moment: datetime) -> str:
    """``3月13日`` for ``moment`` in Shanghai: how documents write a deadline."""
    day = moment.astimezone(SHANGHAI)
    return f"{day.month}月{day.day}日"


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


def register_drafts(console: LiveServer, text: str, *, assign: bool = False) -> list[str]:
    """The office's document applied through the engine (for the screens' data; the story
    pastes its own in 文件识别); with ``assign`` every draft is assigned too."""
    from engine.intake.apply import analyse, apply_drafts
    from engine.tasks.creation import assign_task
    from engine.values import Channel

    with Session(console.engine) as session:
        office = Actor.of(find_person(session, OFFICE), Channel.WEB,
                          wall_clock=console.clock())
        result = analyse(session=session, actor=office, text=text,
                         ref_date=console.clock().astimezone(SHANGHAI).date())
        report = apply_drafts(session=session, result=result, actor=office, now=console.clock())
        for code in report.tasks if assign else []:
            assign_task(session=session, task=code, actor=office, now=console.clock())
    return report.tasks


def act(viewer: Viewer, code: str, label: str, fields: dict[str, str] | None = None,
        files: list[dict[str, object]] | None = None, shot: str | None = None) -> Page:
    """On the task page, take the action offered as ``label``: open its form, fill ``fields``
    (by their labels), attach ``files``, submit; the page must come back with its notice."""
    page = viewer.go(f"/tasks/{code}")
    offer = page.locator(f'[data-offer="{label}"]')
    assert offer.count() == 1, f"{label} not offered: {page.locator('.actions').inner_text()}"
    if offer.evaluate("e => e.tagName") == "DETAILS":
        offer.locator("summary").click()
    for name, value in (fields or {}).items():
        offer.get_by_label(name, exact=False).fill(value)
    if files:
        offer.locator("input[type=file]").set_input_files(files)  # type: ignore[arg-type]
    if shot:
        viewer.shot(shot)
    offer.locator("button[type=submit]").click()
    page.wait_for_load_state("load")
    notice = page.locator(".notice")
    assert notice.count() == 1, page.locator("main").inner_text()[:2000]
    return page


def red_list(viewer: Viewer) -> Locator:
    """The 台账 filtered to 红灯 through its filter form (htmx swaps the results in); returns
    the result table's code cells once every listed row is red."""
    page = viewer.nav("督办台账")
    with page.expect_response(lambda r: "light=red" in r.url):
        page.get_by_label("红黄绿灯").select_option(label="红灯")
    expect(page).to_have_url(re.compile(r"light=red"))
    lights = page.locator("#results td[data-label='红黄绿灯']")
    expect(lights).to_have_text(["红灯"] * lights.count())
    return page.locator("#results td.code")


def light_of(viewer: Viewer, code: str) -> str:
    return viewer.go(f"/tasks/{code}").locator(".badges .light").inner_text()


def paste_document(office: Viewer, text: str, day: str) -> Page:
    """文件识别: paste ``text`` (dated ``day``, ISO) and have it read; returns the review page."""
    page = office.nav("文件识别")
    page.get_by_label("或粘贴文件内容").fill(text)
    page.get_by_label("参照日期").fill(day)
    page.get_by_role("button", name="识别").click()
    page.wait_for_load_state("load")
    expect(page.locator("h1")).to_have_text("核对识别结果")
    return page


def intake(office: Viewer, text: str, day: str, title: str) -> str:
    """The office pastes the document, renames the one draft in the review table, confirms,
    and opens the draft from the confirmation; returns its code."""
    page = paste_document(office, text, day)
    expect(page.locator("table.review tbody tr")).to_have_count(1)
    expect(page.locator("mark.src")).to_have_count(1)  # the source text, highlighted
    page.get_by_label("第1项事项", exact=True).fill(title)
    office.shot("03-intake-review")
    page.get_by_role("button", name="确认登记为待交办事项").click()
    page.wait_for_load_state("load")
    office.shot("04-intake-applied")
    link = page.locator("a[href^='/tasks/DB-']")
    expect(link).to_have_count(1)
    code = link.inner_text()
    link.click()
    page.wait_for_load_state("load")
    expect(page.locator("h1.task-title")).to_contain_text(title)
    return code


def waiting(viewer: Viewer, key: str) -> Locator:
    """The codes in the 首页's 待我处理 list ``key`` (acknowledge, review, extension, red)."""
    viewer.nav("首页")
    return viewer.page.locator(f"#waiting-{key} td.code")


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
