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
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

from engine.org.accounts import set_password
from engine.org.actors import Actor
from engine.org.directory import find_person
from tests.support.browser import DESKTOP, PHONE, Visit, open_context, screenshot
from tests.support.live_server import LiveServer

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
