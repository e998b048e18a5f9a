"""发件箱: the counts by state and the newest messages first (dead letters, when there are any,
announced at the top with the way to them), each state a click away, dead letters with their
last error, and retrying them.

Reading and retrying are the office's (:mod:`engine.outbox.views`,
:func:`engine.outbox.dispatch.requeue`, which audits each retry with the web channel and the
client's address); everyone else gets the engine's refusal.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from engine.errors import InvalidInput
from engine.outbox.dispatch import requeue
from engine.outbox.views import outbox_rows, outbox_stats
from engine.values import OutboxStatus
from web.deps import CurrentActor, DbSession, Now, render

router = APIRouter()

ROWS_SHOWN = 200
"""Messages listed per state (newest first); the counts cover every message."""


def parse_status(value: str | None) -> OutboxStatus | None:
    """The state chosen in the page's address: a code, or ``all`` or none for every state (the
    overview the page opens on); anything else is a Chinese refusal."""
    if value is None or value in ("", "all"):
        return None
    for member in OutboxStatus:
        if value == member.value:
            return member
    raise InvalidInput("消息状态无效，可选：待发送、发送中、已发送、死信、已取消")


@router.get("/outbox")
def outbox_page(request: Request, actor: CurrentActor, session: DbSession,
                status: Annotated[str | None, Query(max_length=20)] = None,
                requeued: Annotated[int | None, Query(ge=0)] = None) -> Response:
    stats = outbox_stats(session=session, actor=actor)
    chosen = parse_status(status)
    rows = outbox_rows(session=session, actor=actor, status=chosen, limit=ROWS_SHOWN)
    return render(request, "outbox/index.html", {
        "stats": stats, "rows": rows, "chosen": chosen.value if chosen else "all",
        "states": list(OutboxStatus), "requeued": requeued, "limit": ROWS_SHOWN})


@router.post("/outbox/requeue")
def outbox_requeue(request: Request, actor: CurrentActor, session: DbSession, now: Now,
                   ids: Annotated[list[int] | None, Form()] = None,
                   every: Annotated[str, Form(max_length=10)] = "") -> Response:
    """Put the chosen dead letters (or, with ``every``, all of them) back in the queue."""
    if not ids and every != "1":
        raise InvalidInput("请先勾选要重新投递的死信")
    count = requeue(session=session, actor=actor, ids=None if every == "1" else ids, now=now)
    return RedirectResponse(f"/outbox?requeued={count}", status_code=303)
