"""首页 in the console: each role's figures, lists and board over its own scope only; what waits
for the reader by role; today's escalations; the two charts as inline SVG without styles."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from sqlmodel import Session

from engine.escalation.run import run_pass
from engine.tasks.actions import acknowledge, request_completion
from engine.tasks.extensions import request_extension
from tests.factories import act, make_task, system
from tests.web.conftest import WebWorld

CODE = re.compile(r'href="/tasks/(DB-[0-9A-Z-]+)"')
STAT = re.compile(r'class="stat (red|yellow|green)" [^>]*><span class="n">(\d+)<')


@dataclass
class Home:
    """The fixture's FIRE task (with an extension request) plus: a red FIRE task (催办 today),
    a FIRE task waiting for review, a red EMERG task, a D1 task due within 3 working days and
    a draft."""

    fire: str
    red: str
    review: str
    emerg: str
    soon: str
    draft: str


@pytest.fixture
def home(web: WebWorld) -> Home:
    city, now = web.city, web.now
    with Session(web.engine, expire_on_commit=False) as session:
        red = make_task(session, city, due="3月8日前", title="消防通道堵塞整治", co=[])
        review = make_task(session, city, due="4月30日前", title="灭火器更换", co=[])
        acknowledge(session=session, task=review.code, actor=act(city.fire_contact), now=now)
        request_completion(session=session, task=review.code, actor=act(city.fire_head),
                           evidence="更换清单", now=now)
        emerg = make_task(session, city, lead="EMERG", co=[], title="应急物资盘点",
                          due="3月7日前")
        soon = make_task(session, city, lead="D1", co=[], title="东城区燃气排查",
                         due="3月13日前")
        draft = make_task(session, city, assign=False, title="尚未交办的草稿", co=[])
        request_extension(session=session, task=web.task.code, actor=act(city.fire_contact),
                          new_due="4月30日前", reason="工程量大", now=now)
        run_pass(session=session, actor=system(), now=now)
    return Home(web.task.code, red.code, review.code, emerg.code, soon.code, draft.code)


def page(web: WebWorld, role: str) -> str:
    answer = web.client(role).get("/")
    assert answer.status_code == 200, answer.text[:500]
    return answer.text


def section(html: str, ident: str) -> str:
    """The HTML of the section with ``id=ident`` (sections do not nest)."""
    start = html.index(f'id="{ident}"')
    return html[start:html.index("</section>", start)]


def lights(html: str) -> dict[str, int]:
    return {colour: int(n) for colour, n in STAT.findall(html)}


def test_each_role_sees_only_its_scope(web: WebWorld, home: Home) -> None:
    everything = {home.fire, home.red, home.review, home.emerg, home.soon}
    expected = {
        "office": (everything, {"red": 2, "yellow": 1, "green": 2}),
        "secretary": (everything, {"red": 2, "yellow": 1, "green": 2}),
        "fire": ({home.fire, home.red, home.review}, {"red": 1, "yellow": 0, "green": 2}),
        "housing": ({home.fire}, {"red": 0, "yellow": 0}),
        "emerg": ({home.emerg}, {"red": 1, "yellow": 0}),
    }
    for role, (wanted, counts) in expected.items():
        html = page(web, role)
        assert set(CODE.findall(html)) <= wanted, role
        assert home.draft not in html, role
        shown = lights(html)
        assert {k: shown[k] for k in counts} == counts, (role, shown)
    board = section(page(web, "emerg"), "board")
    assert "市应急管理局" in board and "市消防救援支队" not in board


def test_what_waits_for_me_by_role(web: WebWorld, home: Home) -> None:
    office = page(web, "office")
    assert home.review in section(office, "waiting-review")
    assert home.fire in section(office, "waiting-extension")
    assert "waiting-acknowledge" not in office and "waiting-red" not in office
    fire = page(web, "fire")
    unsigned = section(fire, "waiting-acknowledge")
    assert home.fire in unsigned and home.review not in unsigned  # FIRE signed that one
    assert "waiting-review" not in fire
    leader = page(web, "vice_mayor")
    assert home.red in section(leader, "waiting-red")
    assert home.emerg in section(leader, "waiting-red")
    assert "waiting-review" not in leader


def test_overdue_due_soon_and_todays_escalations(web: WebWorld, home: Home) -> None:
    html = page(web, "office")
    overdue = section(html, "overdue")
    assert home.red in overdue and home.emerg in overdue and home.soon not in overdue
    # The longest overdue first: EMERG's deadline (7th) before FIRE's (8th).
    assert overdue.index(home.emerg) < overdue.index(home.red)
    assert home.soon in section(html, "due-soon")
    escalations = section(html, "escalations")
    assert home.red in escalations and "催办" in escalations
    assert home.red not in section(page(web, "emerg"), "escalations")


def test_charts_are_inline_svg_without_styles(web: WebWorld, home: Home) -> None:
    html = page(web, "office")
    # Each chart twice: for wide screens and for phones (the stylesheet shows one).
    assert html.count('<svg class="chart chart-wide"') == 2
    assert html.count('<svg class="chart chart-narrow"') == 2
    assert "style=" not in html and "<script>" not in html
    assert "市消防救援支队" in section(html, "chart-units")
    assert "<polyline" in section(html, "chart-trend")


def test_the_board_shows_the_most_urgent_units_only(web: WebWorld, home: Home,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from web.routes import home as route

    monkeypatch.setattr(route, "BOARD_ROWS", 1)
    board = section(page(web, "office"), "board")
    assert board.count('href="/tasks?unit=') == 1 and "列出红灯、黄灯最多的 1 个单位" in board


def test_anonymous_visitors_go_to_the_login_page(web: WebWorld) -> None:
    answer = web.client("anon").get("/")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
