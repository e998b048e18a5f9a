"""首页 (驾驶舱): one reader's figures, lists and charts, as the engine gives them.

:func:`engine.read.overview.home_overview` decides what the reader sees (the office and top
leaders the whole city, a leader their scope, a unit its own tasks); this page only lays it out
and draws the two charts (:mod:`web.charts`, each for wide screens and for phones). Each list
links to the 台账 with the filter that shows all of it.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from engine.read.overview import home_overview
from web import charts
from web.deps import CurrentActor, DbSession, Now, render

router = APIRouter()

WAITING_LINKS: dict[str, str] = {
    "acknowledge": "/tasks?view=mine",
    "review": "/tasks?status=pending_review",
    "extension": "/tasks?extension=pending",
    "red": "/tasks?light=red",
}
"""Where each "waits for me" list continues in the 台账 (the engine's list keys)."""
BOARD_ROWS = 30
"""Units shown on the page's board (red- and yellow-heavy first, as the engine sorts them): a
city has a thousand units, and the whole board would weigh half a megabyte."""


@router.get("/")
def home(request: Request, session: DbSession, actor: CurrentActor, now: Now) -> Response:
    overview = home_overview(session=session, actor=actor, now=now)
    return render(request, "home/index.html", {
        "ov": overview,
        "open_total": sum(overview.lights.values()),
        "unit_chart": charts.responsive(charts.lights_by_unit, overview.chart),
        "trend_chart": charts.responsive(charts.trend, overview.trend),
        "waiting_links": WAITING_LINKS,
        "board": overview.board[:BOARD_ROWS],
    })
