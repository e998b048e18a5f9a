"""督办台账: the task list with filters, saved views and keyset pages; its Excel export; the
bulk actions (批量催办 for the office, export of the chosen rows).

Every list, count and export is the engine's (:func:`engine.read.tasks.visible_tasks`,
:func:`visible_total`, :func:`engine.reports.ledger.export_ledger`), which shows each person
only what they may see; the 催办 is :func:`engine.escalation.urge.urge_tasks`, which refuses
everyone but the office. A page asked for by htmx (``HX-Target: results``) gets only its
results; every other request gets the whole page, so the ledger works without JavaScript.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, Response
from sqlmodel import Session
from starlette.background import BackgroundTask

from engine.errors import InvalidInput, NotFound
from engine.escalation.urge import NOTE_MAX, urge_tasks
from engine.org.actors import Actor
from engine.read.filters import PageRequest, TaskFilters
from engine.read.tasks import visible_tasks, visible_total
from engine.read.views import available_views, view_filters
from engine.reports.ledger import export_ledger
from engine.store.policy import get_policy, zone_for
from engine.values import DirectiveKind, Light, TaskStatus
from web.deps import CurrentActor, DbSession, Now, render
from web.task_query import PAGE_SIZES, SORT_LABELS, LedgerQuery, parse_query

router = APIRouter()

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COUNT_CAP = 10_000
"""Matches counted for "共 N 项" when no tally answers; beyond it the page says "N+" (a count of
a million rows would cost more than the page itself)."""
RESULTS = "results"
"""The id of the results section (htmx swaps it)."""


@contextmanager
def names_as_bad_input() -> Iterator[None]:
    """A unit or leader typed in the form that the directory does not know is a bad query
    (400 with the engine's message), not a missing page."""
    try:
        yield
    except NotFound as exc:
        raise InvalidInput(exc.message) from None


def _read(request: Request, session: Session, actor: Actor,
          now: datetime) -> tuple[LedgerQuery, TaskFilters]:
    """The query string, and the filters it asks for with its saved view applied."""
    query = parse_query(request.query_params, zone_for(get_policy(session)))
    filters = query.filters
    if query.view is not None:
        with names_as_bad_input():
            filters = view_filters(session=session, actor=actor, view=query.view, now=now,
                                   base=filters)
    return query, filters


@router.get("/tasks")
def ledger(request: Request, session: DbSession, actor: CurrentActor, now: Now) -> Response:
    query, filters = _read(request, session, actor, now)
    with names_as_bad_input():
        page = visible_tasks(session=session, actor=actor, now=now, filters=filters,
                             page=PageRequest(limit=query.size, cursor=query.cursor))
        total = visible_total(session=session, actor=actor, now=now, filters=filters,
                              cap=COUNT_CAP)
    context: dict[str, Any] = {
        "query": query, "rows": page.items, "total": total.count, "more": total.at_least,
        "next_url": query.url(cursor=page.next_cursor) if page.next_cursor else None,
        "first_url": query.url() if query.cursor else None,
        "here": query.url(cursor=query.cursor),
        "export_url": query.url("/tasks/export.xlsx"),
        "office": actor.acts_as_office, "views": available_views(actor), "sorts": SORT_LABELS,
        "sizes": PAGE_SIZES, "lights": list(Light), "statuses": list(TaskStatus),
        "kinds": list(DirectiveKind), "note_max": NOTE_MAX,
    }
    headers = {"Vary": "HX-Request, HX-Target"}
    partial = (request.headers.get("hx-target") == RESULTS
               and not request.headers.get("hx-history-restore-request"))
    context["partial"] = partial
    if partial:
        # The address bar gets the query without the form's empty fields.
        headers["HX-Push-Url"] = context["here"]
    return render(request, "ledger/_results.html" if partial else "ledger/index.html", context,
                  headers=headers)


@router.get("/tasks/export.xlsx")
def export(request: Request, session: DbSession, actor: CurrentActor, now: Now) -> Response:
    """The ledger of every row the current filter matches (all pages)."""
    _query, filters = _read(request, session, actor, now)
    return _workbook(session, actor, now, filters=filters)


@router.post("/tasks/bulk")
def bulk(request: Request, session: DbSession, actor: CurrentActor, now: Now,
         action: Annotated[str, Form(max_length=20)] = "",
         code: Annotated[list[str] | None, Form(max_length=64)] = None,
         note: Annotated[str, Form(max_length=NOTE_MAX * 4)] = "",
         back: Annotated[str, Form(max_length=2000)] = "/tasks") -> Response:
    """批量催办 (the office) or the export of the chosen rows (anyone: the ledger holds only
    what they may see)."""
    codes = code or []
    if action == "export":
        return _workbook(session, actor, now, codes=codes)
    if action != "urge":
        raise InvalidInput("未知的批量操作")
    outcomes = urge_tasks(session=session, actor=actor, tasks=codes, now=now, note=note)
    return render(request, "ledger/bulk_done.html", {
        "outcomes": outcomes, "urged": sum(1 for o in outcomes if o.queued),
        "messages": sum(o.queued for o in outcomes),
        "back": back if back.startswith("/tasks") and "\\" not in back else "/tasks"})


def _workbook(session: Session, actor: Actor, now: datetime, **selection: Any) -> Response:
    """The engine's ledger written to a private temporary folder, sent, then removed."""
    folder = Path(tempfile.mkdtemp(prefix="duban-ledger-"))
    path = folder / "ledger.xlsx"
    try:
        with names_as_bad_input():
            export_ledger(session=session, actor=actor, path=path, now=now, **selection)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    stamp = now.astimezone(zone_for(get_policy(session))).strftime("%Y%m%d-%H%M")
    return FileResponse(path, media_type=XLSX, filename=f"督办台账-{stamp}.xlsx",
                        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True))
