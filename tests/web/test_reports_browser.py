"""The report screens in a real browser (chromium): 每日调度, 情况通报, 组织, 发件箱 for the office
at 1366×768, a leader's summary on a 375-px phone, the summary printed, a dead letter retried
and the bulletin downloaded. Screenshots go to tests/web/output/reports-*.png (and a PDF of the
printed summary)."""

from __future__ import annotations

import io
import secrets
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlmodel import Session, col, select

from engine.org.accounts import set_password
from engine.org.actors import Actor
from engine.org.directory import find_person
from engine.summary.daily import run_daily_summary
from engine.tasks.creation import assign_task, create_task
from engine.tasks.directives import create_directive
from engine.values import Channel
from models import DirectiveCreate, OutboxMessage, TaskCreate
from tests.support.browser import OUTPUT, PHONE, Visit, open_context, screenshot
from tests.support.live_server import START, SimClock, _serve, seed_simulation_database

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

PASSWORD = "browser-reports-9"
OFFICE, LEADER = "赵敏", "李占明"


WIDER_THAN_SCREEN = """() => Array.from(document.querySelectorAll('body *'))
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
  .map(e => e.tagName + '.' + e.className + ':' + Math.round(e.getBoundingClientRect().right))
  .slice(0, 10)"""
"""Elements reaching past the screen's right edge (a phone page must not scroll sideways)."""


@dataclass
class Console:
    url: str
    overdue_code: str


def _seed(engine: object, now: datetime, reports: Path) -> str:
    """Passwords, a directive with two tasks (one overdue), yesterday's summary sent, and one
    message dead; returns the overdue task's code."""
    operator = Actor.cli_operator("tests", wall_clock=datetime.now(UTC))
    with Session(engine, expire_on_commit=False) as session:  # type: ignore[arg-type]
        for name in (OFFICE, LEADER):
            set_password(session=session, actor=operator, person=find_person(session, name),
                         password=PASSWORD, now=now)
        office = Actor.of(find_person(session, OFFICE), Channel.CLI, wall_clock=datetime.now(UTC))
        issued = now - timedelta(days=20)
        directive = create_directive(session=session, actor=office, now=issued, data=DirectiveCreate(
            kind="instruction", title="关于开展九小场所消防安全排查整治的批示", issued_at=issued,
            issued_by_id=find_person(session, "王炳森").id))
        codes = []
        for title, unit, due in (("排查九小场所消防隐患并建立台账", "FIRE", "3月10日前"),
                                 ("老旧小区消防通道清理", "HOUSING", "4月30日前")):
            task = create_task(session=session, actor=office, now=issued, data=TaskCreate(
                directive_id=directive.id or 0, title=title, lead_unit=unit, due=due))
            codes.append(assign_task(session=session, task=task.code, actor=office,
                                     now=issued + timedelta(minutes=5)).code)
        run_daily_summary(session=session, actor=operator, now=now - timedelta(hours=18),
                          reports_dir=reports, send=True)
        dead = session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).first()
        assert dead is not None
        dead.status, dead.attempts, dead.last_error = "dead", 5, "Forbidden: bot was blocked"
        session.add(dead)
        session.commit()
    return codes[0]


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    from web.app import create_app
    from web.config import WebConfig

    folder: Path = tmp_path_factory.mktemp("reports-console")
    database_url = f"sqlite:///{folder / 'duban.db'}"
    clock = SimClock(START + timedelta(days=11, hours=6))  # Friday 2026-03-13, 15:00 local
    engine = seed_simulation_database(database_url, now=START)
    overdue = _seed(engine, clock(), folder / "reports")
    app = create_app(WebConfig(database_url=database_url, secret_key=secrets.token_hex(32),
                               clock=clock))
    server, thread, url = _serve(app)
    try:
        yield Console(url=url, overdue_code=overdue)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        engine.dispose()  # type: ignore[attr-defined]


def _log_in(page: Page, url: str, name: str) -> None:
    page.goto(f"{url}/login")
    page.wait_for_load_state("load")
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")


def _open(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_load_state("load")


def test_the_office_walks_the_report_screens(browser: Browser, console: Console) -> None:
    visit = open_context(browser)
    page = visit.page
    try:
        _log_in(page, console.url, OFFICE)
        _open(page, f"{console.url}/summary")
        assert page.locator("h1").inner_text() == "督办事项每日调度（全市）"
        assert page.locator(f"text={console.overdue_code}").first.is_visible()
        screenshot(page, "reports-summary")
        page.click("text=李占明副市长分管范围")
        page.wait_for_load_state("load")
        assert "分管范围" in page.locator("h1").inner_text()
        page.click(".past-summaries a")
        page.wait_for_load_state("load")
        assert "每日调度 2026-03-12" in page.locator("h1").inner_text()
        _open(page, f"{console.url}/bulletin?period=2026-03")
        assert "2026年3月份督办工作情况通报" in page.locator(".bulletin-title").inner_text()
        screenshot(page, "reports-bulletin")
        with page.expect_download() as download:
            page.click("text=下载 Word（.docx）")
        saved = download.value.path()
        assert saved is not None and zipfile.is_zipfile(io.BytesIO(Path(saved).read_bytes()))
        assert download.value.suggested_filename.endswith("2026-03.docx")
        _open(page, f"{console.url}/org")
        screenshot(page, "reports-org")
        page.locator("tr", has_text="吴晓东").locator("text=生成绑定码").click()
        page.wait_for_load_state("load")
        assert page.locator("code.secret").inner_text().startswith("/bind ")
        _open(page, f"{console.url}/org/policy")
        screenshot(page, "reports-policy")
        _walk_outbox(page, console.url)
        assert visit.blocked == []
    finally:
        visit.context.close()


def _walk_outbox(page: Page, url: str) -> None:
    _open(page, f"{url}/outbox")
    assert page.locator(".dead-alert").is_visible()
    screenshot(page, "reports-outbox")
    page.click("text=查看死信并重新投递")
    page.wait_for_load_state("load")
    assert page.locator("text=Forbidden: bot was blocked").first.is_visible()
    page.check("input[name=ids]")
    page.click("text=所选死信重新投递")
    page.wait_for_load_state("load")
    assert "已重新投递 1 条死信" in page.locator(".notice").inner_text()


def test_a_leader_reads_the_summary_on_a_phone_and_prints_it(browser: Browser,
                                                             console: Console) -> None:
    visit: Visit = open_context(browser, PHONE)
    page = visit.page
    try:
        _log_in(page, console.url, LEADER)
        _open(page, f"{console.url}/summary")
        assert page.locator("h1").inner_text() == "督办事项每日调度（李占明副市长分管范围）"
        assert page.locator("text=老旧小区消防通道清理").count() == 0  # 住建: not his scope
        screenshot(page, "reports-summary-phone")
        wide = page.evaluate(WIDER_THAN_SCREEN)
        assert wide == [], wide
        page.emulate_media(media="print")
        assert not page.locator("header.top").is_visible()
        assert not page.locator(".past-summaries").is_visible()
        assert page.locator("h1").is_visible()
        OUTPUT.mkdir(parents=True, exist_ok=True)
        page.pdf(path=str(OUTPUT / "reports-summary-print.pdf"), format="A4")
        _open(page, f"{console.url}/outbox")
        assert "只有督查室" in page.locator(".error-message").inner_text()
    finally:
        visit.context.close()
