"""Accessibility of the console (GB/T 37668-2019, about WCAG 2.0 AA): axe-core run in chromium on
every main screen, for the office, a leader and a unit contact, at 1366×768 and on a 375-px phone.

A violation of impact "serious" or "critical" fails the test; every violation (minor and moderate
too) is written to ``tests/web/output/axe-<role>.json`` to be read after a run. axe-core comes
from the ``axe-playwright-python`` dev dependency (its bundled ``axe.min.js``, read as a file);
the pages forbid inline scripts (``script-src 'self'``), so only this test's context bypasses the
Content-Security-Policy to inject it.

One context per role, logged in once; each viewport is a resize of the same page, so the module
costs one browser and the session's shared live server.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from engine.org.accounts import set_password
from engine.org.actors import Actor
from engine.org.directory import find_person
from engine.tasks.actions import acknowledge, report_progress
from engine.tasks.creation import assign_task, create_task
from engine.tasks.directives import create_directive
from engine.tasks.extensions import request_extension
from engine.values import Channel
from models import DirectiveCreate, TaskCreate
from tests.support.browser import DESKTOP, OUTPUT, PHONE, open_context
from tests.support.live_server import LiveServer
from tests.web.browser_steps import local_date

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

PASSWORD = "a11y-password-2026"
OFFICE, LEADER, UNIT = "赵敏", "周海涛", "许可"
"""督查室主任; the vice-mayor supervising 水务集团 and 住建局; the 水务集团 contact."""

AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa",
                                         "best-practice"]},
    "resultTypes": ["violations"],
}
"""WCAG 2.0/2.1 A and AA (what GB/T 37668 asks) plus axe's best practices. No rule is turned
off: a rule that does not apply to a page simply finds nothing there."""
FAILING = {"serious", "critical"}
SIZES = (("desktop", DESKTOP), ("phone", PHONE))

OPEN_ALL_DETAILS = "() => document.querySelectorAll('details').forEach(d => d.open = true)"
"""Unfold the task page's action forms, so that axe checks their fields too."""


@dataclass
class A11yWorld:
    base: str
    now: datetime
    """The console's clock when the world was built."""
    red: str
    """Overdue (红灯), led by 水务集团, acknowledged, with progress and a pending extension;
    the directive's other two tasks are yellow and green, so every light shows somewhere."""
    directive: int


@pytest.fixture(scope="module")
def world(live_server: LiveServer) -> A11yWorld:
    """Passwords for the three people and one directive with a red, a yellow and a green task,
    deadlines counted from the live console's clock (other modules may have moved it)."""
    now = live_server.clock()
    issued = now - timedelta(days=20)
    operator = Actor.cli_operator("tests", wall_clock=datetime.now(UTC))
    with Session(live_server.engine, expire_on_commit=False) as session:
        for name in (OFFICE, LEADER, UNIT):
            set_password(session=session, actor=operator, person=find_person(session, name),
                         password=PASSWORD, now=now)
        office = Actor.of(find_person(session, OFFICE), Channel.CLI, wall_clock=datetime.now(UTC))
        unit = Actor.of(find_person(session, UNIT), Channel.CLI, wall_clock=datetime.now(UTC))
        directive = create_directive(session=session, actor=office, now=issued, data=DirectiveCreate(
            kind="meeting", title="关于城区供水和消防设施隐患整改的会议议定事项", issued_at=issued,
            issued_by_id=find_person(session, LEADER).id))
        codes = []
        for title, unit_code, due in (
                ("更换城区老旧消火栓并建立维护台账", "WATER", now - timedelta(days=6)),
                ("高层住宅消防通道排查", "HOUSING", now + timedelta(days=1)),
                ("二次供水设施清洗消毒", "WATER", now + timedelta(days=25))):
            task = create_task(session=session, actor=office, now=issued, data=TaskCreate(
                directive_id=directive.id or 0, title=title, lead_unit=unit_code,
                due=f"{local_date(due)}前"))
            codes.append(assign_task(session=session, task=task.code, actor=office,
                                     now=issued + timedelta(minutes=5)).code)
        red = codes[0]
        acknowledge(session=session, task=red, actor=unit, now=issued + timedelta(hours=2))
        report_progress(session=session, task=red, actor=unit, now=now - timedelta(days=8),
                        text="已完成更换30个，其余配件正在采购")
        request_extension(session=session, task=red, actor=unit, now=now - timedelta(hours=1),
                          new_due=f"{local_date(now + timedelta(days=15))}前",
                          reason="配件到货延迟，已与分管领导沟通同意")
    return A11yWorld(base=live_server.url, now=now, red=red, directive=directive.id or 0)


def screens(role: str, w: A11yWorld) -> list[str]:
    """The addresses each role's axe run visits. The office's run covers every screen (its menu
    and the pages inside); a leader and a unit contact are checked where they see something of
    their own (the waiting lists, the action forms offered to them, the leader's scope), as
    their other pages are the office's templates with fewer rows."""
    if role == "unit":
        return ["/", f"/tasks/{w.red}"]
    if role == "leader":
        return ["/", f"/tasks/{w.red}", "/summary"]
    return ["/", "/tasks", f"/tasks/{w.red}", "/directives",
            f"/directives/{w.directive}", "/directives/new", f"/directives/{w.directive}/split",
            "/intake", "/summary", "/bulletin", "/org", "/org/policy", "/outbox",
            "/account/password"]


PEOPLE = {"office": OFFICE, "leader": LEADER, "unit": UNIT}


def axe(page: Page, script: str) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now (the script is injected on demand)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(script)
    found: list[dict[str, Any]] = page.evaluate("options => axe.run(document, options)",
                                                AXE_OPTIONS)["violations"]
    return found


@dataclass
class Findings:
    script: str
    found: list[dict[str, Any]]

    def check(self, page: Page, where: str) -> None:
        """Run axe on ``page`` as it is, at each size in turn (a resize applies the phone's
        styles without loading the page again), and keep the violations under ``where``."""
        for label, size in SIZES:
            page.set_viewport_size(size)  # type: ignore[arg-type]
            for v in axe(page, self.script):
                self.found.append({"where": f"{label} {where}", "rule": v["id"],
                                   "impact": v["impact"], "help": v["help"],
                                   "nodes": [{"target": n["target"], "html": n["html"][:200],
                                              "summary": n.get("failureSummary", "")[:300]}
                                             for n in v["nodes"][:5]],
                                   "count": len(v["nodes"])})
        page.set_viewport_size(DESKTOP)  # type: ignore[arg-type]

    def failing(self) -> list[str]:
        return [f"{f['where']}: {f['rule']} ({f['impact']}, {f['count']}×) {f['help']} — "
                f"{f['nodes'][0]['target']} {f['nodes'][0]['summary']}"
                for f in self.found if f["impact"] in FAILING]


@pytest.fixture(scope="module")
def axe_script() -> str:
    return (files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")


@pytest.fixture
def findings(axe_script: str, request: pytest.FixtureRequest) -> Iterator[Findings]:
    kept = Findings(axe_script, [])
    yield kept
    OUTPUT.mkdir(parents=True, exist_ok=True)
    name = request.node.callspec.id
    (OUTPUT / f"axe-{name}.json").write_text(json.dumps(kept.found, ensure_ascii=False, indent=1))


def go(page: Page, url: str) -> None:
    answer = page.goto(url)
    page.wait_for_load_state("load")
    assert answer is not None and answer.ok, f"{url}: {page.inner_text('body')[:300]}"


def log_in(page: Page, base: str, name: str, *, check: Findings | None = None) -> None:
    """Log in as ``name`` through the form; with ``check``, axe the form empty and refused."""
    go(page, base + "/login")
    if check:
        check.check(page, "/login")
        page.get_by_label("姓名").fill(name)
        page.get_by_label("密码").fill("wrong-password-1")
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state("load")
        check.check(page, "/login (refused)")
    page.get_by_label("姓名").fill(name)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state("load")
    assert "/login" not in page.url, page.inner_text("main")[:300]


def mismatch(page: Page, base: str) -> None:
    """Change the password with two different new ones: the refusal is tied to its field (read
    out with it, and the field marked invalid)."""
    go(page, base + "/account/password")
    page.get_by_label("原密码").fill(PASSWORD)
    page.get_by_label("新密码", exact=True).fill("new-password-2026")
    page.get_by_label("再次输入新密码").fill("new-password-2027")
    page.get_by_role("button", name="修改密码").click()
    page.wait_for_load_state("load")
    again = page.get_by_label("再次输入新密码")
    expect(again).to_have_attribute("aria-invalid", "true")
    error = page.locator("#" + (again.get_attribute("aria-describedby") or "none"))
    expect(error).to_have_class("field-error")
    expect(again).to_have_accessible_description(error.inner_text())
    hinted = page.get_by_label("新密码", exact=True)
    expect(hinted).to_have_accessible_description(re.compile("至少 10 个字符"))
    expect(hinted).not_to_have_attribute("aria-invalid", "true")


@pytest.mark.parametrize("role", list(PEOPLE))
def test_main_screens_have_no_serious_axe_violation(browser: Browser, world: A11yWorld,
                                                    findings: Findings, role: str) -> None:
    """Each screen of the role, at 1366×768 and at 375 px, has no serious or critical axe
    violation; the office's run also checks the login form (empty and refused), the 台账 after an
    htmx filter, and the intake review."""
    visit = open_context(browser, DESKTOP, bypass_csp=True)
    page = visit.page
    try:
        log_in(page, world.base, PEOPLE[role], check=findings if role == "office" else None)
        for path in screens(role, world):
            go(page, world.base + path)
            if path.startswith("/tasks/"):
                page.evaluate(OPEN_ALL_DETAILS)
            findings.check(page, path)
        if role == "office":
            go(page, world.base + "/tasks")
            with page.expect_response(lambda r: "light=red" in r.url):
                page.get_by_label("红黄绿灯").select_option(label="红灯")
            expect(page.locator("#results td.code")).to_have_text([world.red])
            findings.check(page, "/tasks (htmx: 红灯)")
            go(page, world.base + "/intake")
            page.get_by_label("或粘贴文件内容").fill(
                "市政府督查室督办通知\n一、由市水务集团牵头，东城区配合，"
                f"{local_date(world.now + timedelta(days=30))}前完成管网巡查。\n")
            page.get_by_role("button", name="识别").click()
            page.wait_for_load_state("load")
            expect(page.locator("h1")).to_have_text("核对识别结果")
            findings.check(page, "/intake (review)")
            mismatch(page, world.base)
            findings.check(page, "/account/password (refused)")
        assert visit.blocked == []
    finally:
        visit.context.close()
    failing = findings.failing()
    assert not failing, "serious or critical axe violations:\n" + "\n".join(failing)


FOCUSED = "() => document.activeElement.outerHTML.slice(0, 120)"


def test_keyboard_reaches_the_phone_menu_and_hears_the_ledger(browser: Browser,
                                                              world: A11yWorld) -> None:
    """By keyboard alone on a 375-px phone: the first Tab shows the 跳到正文 link, the next ones
    reach the 菜单 box, Space opens the menu and Tab walks into it. On the 台账, a filter
    changed from the keyboard has htmx redraw the results and the page's lasting status line
    say the new count (a screen reader reads that line, not the replaced table)."""
    visit = open_context(browser, PHONE)
    page = visit.page
    try:
        log_in(page, world.base, OFFICE)
        go(page, world.base + "/tasks")
        page.keyboard.press("Tab")
        skip = page.get_by_role("link", name="跳到正文")
        expect(skip).to_be_focused()
        expect(skip).to_be_in_viewport()
        menu = page.locator("nav.menu")
        expect(menu).to_be_hidden()
        for _ in range(3):  # the brand, then the menu box
            page.keyboard.press("Tab")
            if page.evaluate("() => document.activeElement.id") == "menu-toggle":
                break
        assert page.evaluate("() => document.activeElement.id") == "menu-toggle", \
            page.evaluate(FOCUSED)
        page.keyboard.press("Space")
        expect(menu).to_be_visible()
        page.keyboard.press("Tab")
        expect(menu.get_by_role("link", name="首页")).to_be_focused()

        status = page.locator("#results-status[role=status]")
        expect(status).to_have_text("")
        page.get_by_label("红黄绿灯").focus()
        with page.expect_response(lambda r: "light=red" in r.url):
            page.get_by_label("红黄绿灯").select_option(label="红灯")
        expect(status).to_have_text(re.compile(r"共 1 项"))
        expect(page.locator("#results[aria-live]")).to_have_count(0)
        assert visit.blocked == []
    finally:
        visit.context.close()
