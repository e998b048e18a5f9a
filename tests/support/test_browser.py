"""The browser the web tests drive: chromium starts, renders Chinese, runs the vendored htmx
from the static folder and reaches nothing outside the machine."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.paths import ROOT
from tests.support import browser as support
from tests.support.browser import PHONE, Visit, open_context, screenshot

if TYPE_CHECKING:
    from playwright.sync_api import Browser

HTMX = ROOT / "web" / "static" / "vendor" / "htmx.min.js"

# Draws two different characters into a canvas: with no CJK font both become the same box
# ("tofu"), so equal pixels mean Chinese text would be unreadable in every screenshot.
GLYPHS_DIFFER = """() => {
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 48;
  const g = canvas.getContext('2d');
  const draw = (ch) => {
    g.clearRect(0, 0, 48, 48);
    g.font = '40px sans-serif';
    g.fillText(ch, 2, 40);
    return Array.from(g.getImageData(0, 0, 48, 48).data).join(',');
  };
  const blank = draw('');
  const a = draw('督'), b = draw('销');
  return a !== b && a !== blank && b !== blank;
}"""


def _page(tmp_path: Path) -> Path:
    page = tmp_path / "smoke.html"
    page.write_text(
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><title>督办</title>"
        f"<script src='{HTMX.as_uri()}'></script></head><body>"
        "<h1>督办事项 DB-2026-0001</h1>"
        "<p>市消防救援支队：三月中旬前完成 100 个市政消火栓维修（红灯 · 已逾期 3 个工作日）</p>"
        "<p>签收 · 反馈进展 · 申请延期 · 申请办结 · 审核销号</p>"
        "<img alt='外部图片' src='http://cdn.example.com/logo.png'>"
        "</body></html>", encoding="utf-8")
    return page


def test_chromium_renders_chinese_and_runs_the_vendored_htmx(visit: Visit, tmp_path: Path) -> None:
    page = visit.page
    page.goto(_page(tmp_path).as_uri())
    page.wait_for_load_state("load")
    assert page.evaluate(GLYPHS_DIFFER), "no CJK font: every Chinese character is a box"
    assert page.evaluate("() => window.htmx && window.htmx.version") == "2.0.11"
    assert page.locator("h1").inner_text() == "督办事项 DB-2026-0001"
    shot = screenshot(page, "smoke-cjk-desktop")
    assert shot.stat().st_size > 5_000
    assert visit.blocked == ["http://cdn.example.com/logo.png"]


def test_phone_viewport(browser: Browser, tmp_path: Path) -> None:
    phone = open_context(browser, PHONE)
    try:
        phone.page.goto(_page(tmp_path).as_uri())
        assert phone.page.evaluate("() => window.innerWidth") == PHONE["width"]
        screenshot(phone.page, "smoke-cjk-phone")
    finally:
        phone.context.close()


def test_a_missing_browser_fails_when_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(support, "REQUIRE_BROWSER", True)
    with pytest.raises(pytest.fail.Exception, match="DUBAN_REQUIRE_BROWSER=1"):
        support._unavailable("not here")
    monkeypatch.setattr(support, "REQUIRE_BROWSER", False)
    with pytest.raises(pytest.skip.Exception):
        support._unavailable("not here")
