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

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

from engine.org.accounts import set_password
from engine.org.actors import Actor
from engine.org.directory import find_person
from tests.support.browser import DESKTOP, PHONE, Visit, open_context, screenshot
from tests.support.live_server import LiveServer
from tests.support.samples import png

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

PASSWORD = "story-password-2026"
OFFICE, UNIT, LEADER = "赵敏", "许可", "周海涛"
"""督查室主任; the 市水务集团 contact (the lead unit); the vice-mayor supervising 水务集团."""
SHANGHAI = ZoneInfo("Asia/Shanghai")


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
        self.page.goto(self.base + path)
        self.page.wait_for_load_state("load")
        return self.page

    def shot(self, name: str) -> None:
        screenshot(self.page, f"{self.label}-{name}")


@pytest.fixture(params=[DESKTOP, PHONE], ids=["desktop", "phone"])
def viewport(request: pytest.FixtureRequest) -> tuple[str, dict[str, int]]:
    return request.node.callspec.id, request.param


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


def register_drafts(console: LiveServer, text: str) -> str:
    """Until 文件识别 is on main: the office's document applied through the engine."""
    from engine.intake.apply import analyse, apply_drafts
    from engine.values import Channel

    with Session(console.engine) as session:
        office = Actor.of(find_person(session, OFFICE), Channel.WEB,
                          wall_clock=console.clock())
        result = analyse(session=session, actor=office, text=text,
                         ref_date=console.clock().astimezone(SHANGHAI).date())
        report = apply_drafts(session=session, result=result, actor=office, now=console.clock())
    assert len(report.tasks) == 1, report
    return report.tasks[0]


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


def light_of(viewer: Viewer, code: str) -> str:
    return viewer.go(f"/tasks/{code}").locator(".badges .light").inner_text()


def test_the_whole_story(console: LiveServer, viewport: tuple[str, dict[str, int]],
                         open_as: Callable[[str], Viewer]) -> None:
    label = viewport[0]
    text, due = document(console.clock(), label)
    office = open_as(OFFICE)
    code = register_drafts(console, text)
    page = office.go(f"/tasks/{code}")
    assert "待交办" in page.locator(".badges").inner_text()
    office.shot("04-task-draft")
    act(office, code, "交办")
    office.shot("05-task-assigned")

    unit = open_as(UNIT)
    act(unit, code, "签收")
    act(unit, code, "反馈进展", {"进展情况": "已完成40个消火栓维修，其余正在采购配件", "累计完成量": "40"},
        files=[{"name": "现场照片.png", "mimeType": "image/png", "buffer": png(320, 200)}],
        shot="06-unit-progress-form")
    assert "40 / 100" in unit.page.locator(".quantity").inner_text()
    new_due = due + timedelta(days=7)
    act(unit, code, "申请延期", {"申请的新时限": new_due.date().isoformat(),
                              "延期理由": "配件到货延迟，已与分管领导沟通同意"})
    unit.shot("07-unit-extension-asked")

    act(office, code, "批准延期", {"审批意见": "同意延期"})
    office.shot("08-office-extension-approved")
    assert "已延期 1 次" in office.page.locator(".facts").inner_text()

    console.clock.now = new_due + timedelta(days=3)  # past the extended deadline: red
    leader = open_as(LEADER)
    assert light_of(leader, code) == "红灯"
    leader.shot("09-leader-task-red")

    act(unit, code, "申请办结", {"证明材料说明": "100个消火栓全部维修完成，附验收单", "最终完成量": "100"},
        files=[{"name": "验收单.png", "mimeType": "image/png", "buffer": png(320, 200, (30, 160, 60))}])
    act(office, code, "审核销号", {"审核意见": "经现场核查，整改到位，同意销号"})
    office.shot("10-office-closed")
    assert "已办结" in office.page.locator(".badges").inner_text()
    assert light_of(leader, code) != "红灯"
    leader.shot("11-leader-task-closed")


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
