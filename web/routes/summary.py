"""每日调度: the 15:00 summary of a scope, the scopes the reader may choose, past summaries.

The engine decides what each reader gets (:mod:`engine.summary.scopes`,
:mod:`engine.summary.history`): the office and top leaders the whole and every leader's scope,
a leader their own scope only; units are refused. The page prints as the summary alone (the
stylesheet's print rules hide the menu and the choices).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from engine.summary.history import past_summary, summary_history
from engine.summary.render import since_text, title
from engine.summary.scopes import scoped_summary, summary_scopes
from web.deps import CurrentActor, DbSession, Now, render
from web.markdown_blocks import blocks

router = APIRouter()


@router.get("/summary")
def summary_page(request: Request, actor: CurrentActor, session: DbSession, now: Now,
                 leader: int | None = None) -> Response:
    """The summary of ``leader``'s scope (none: the reader's own — the whole for the office)."""
    data = scoped_summary(session=session, actor=actor, now=now, leader_id=leader)
    scopes = summary_scopes(session=session, actor=actor)
    past = summary_history(session=session, actor=actor, now=now)
    return render(request, "summary/index.html", {
        "data": data, "heading": title(data), "since": since_text(data), "scopes": scopes,
        "chosen": leader if leader is not None else scopes[0].leader_id, "past": past})


@router.get("/summary/past/{local_date}")
def past_summary_page(request: Request, actor: CurrentActor, session: DbSession, now: Now,
                      local_date: str) -> Response:
    """One past summary: the saved report (whole and every scope) or the message sent."""
    text = past_summary(session=session, actor=actor, local_date=local_date, now=now)
    parts = blocks(text.text) if text.source == "report" else []
    return render(request, "summary/past.html", {"past": text, "blocks": parts})
