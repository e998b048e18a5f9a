"""Steps of the browser story: one person's view of the live console and what they do on it.

Every navigation waits for the page's ``load`` state (htmx attaches on load); every screenshot
is also a check that the page fits its width. Selectors are the ones a person reads: labels,
button texts, the menu — so a renamed button fails here as it would confuse a user.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from playwright.sync_api import expect
from sqlmodel import Session

from engine.org.actors import Actor
from engine.org.directory import find_person
from tests.support.browser import Visit, screenshot
from tests.support.live_server import LiveServer

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

OFFICE = "赵敏"
"""督查室主任, who registers and verifies."""
SHANGHAI = ZoneInfo("Asia/Shanghai")
SIDEWAYS = "() => document.documentElement.scrollWidth - window.innerWidth"
"""How many pixels the page would scroll sideways (tables scroll inside their own wrapper)."""


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


def log_in(viewer: Viewer, name: str, password: str) -> Viewer:
    """Log ``viewer`` in through the login form it is sent to; returns it, on the 首页."""
    page = viewer.go("/")
    assert "/login" in page.url  # logged out: sent to the login form
    page.get_by_label("姓名").fill(name)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state("load")
    assert "/login" not in page.url, page.inner_text("main")[:500]
    return viewer


def local_date(moment: datetime) -> str:
    """``3月13日`` for ``moment`` in Shanghai: how documents write a deadline."""
    day = moment.astimezone(SHANGHAI)
    return f"{day.month}月{day.day}日"


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
