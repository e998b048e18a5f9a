"""事项详情 ``/tasks/{code}``: the task in full, its timeline, and the actions this person may
take, each posting to ``/tasks/{code}/<action>`` which calls the same engine service as the CLI.

What is shown and offered comes from the engine (``task_detail``, ``task_timeline``,
``available_actions``); a task outside the person's scope answers 404 exactly like a missing
one, for the page, every action and every file.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import Annotated, Any, BinaryIO, cast
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from starlette.datastructures import FormData

from engine.errors import DubanError, NotFound, PermissionDenied
from engine.files.access import export_file
from engine.org.actors import Actor
from engine.read.detail import task_detail
from engine.read.timeline import task_timeline
from engine.tasks.available import Offer, available_actions
from web import task_forms
from web.deps import CurrentActor, DbSession, Now, render
from web.errors import error_page, form_error, status_of
from web.task_forms import FORMS, GENERAL, Call, FieldError

router = APIRouter()

TEMPLATE = "tasks/detail.html"
INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
"""Image types shown in the page itself (previews); everything else is downloaded."""
SPOOL = 8 * 1024 * 1024
"""Bytes of a download kept in memory before it spills to a temporary file."""


def page_context(session: DbSession, actor: Actor, code: str, now: Any) -> dict[str, Any]:
    """Everything the page shows, from the engine (raises NotFound outside the scope)."""
    detail = task_detail(session=session, actor=actor, code=code, now=now)
    return {
        "detail": detail, "task": detail.task,
        "timeline": task_timeline(session=session, actor=actor, code=code, now=now),
        "offers": available_actions(session=session, actor=actor, code=code, now=now),
        "inline_types": INLINE_TYPES, "errors": {}, "values": {}, "open_form": None,
        "notice": None,
    }


@router.get("/tasks/{code}")
def task_page(request: Request, code: str, actor: CurrentActor, session: DbSession,
              now: Now, done: str | None = None) -> Response:
    context = page_context(session, actor, code, now)
    form = FORMS.get(done or "")
    context["notice"] = form.done if form is not None else None
    return render(request, TEMPLATE, context)


async def posted_form(request: Request) -> FormData:
    """The posted form (already read by the CSRF check unless the token came in a header)."""
    return await request.form(max_part_size=request.app.state.config.max_upload_bytes)


def form_key(action: str, form: FormData) -> str:
    """Which of the page's forms was posted (the office has one per unit for 代签收 …)."""
    return ":".join((action, task_forms.text(form, "for_unit"),
                     task_forms.text(form, "request_id")))


def offer_key(offer: Offer) -> str:
    """:func:`form_key` of the form an offer renders (the template builds the same key)."""
    return f"{offer.action}:{offer.for_unit or ''}:{offer.request_id or ''}"


@router.post("/tasks/{code}/{action}")
def task_action(request: Request, code: str, action: str, actor: CurrentActor,
                session: DbSession, now: Now,
                form: Annotated[FormData, Depends(posted_form)]) -> Response:
    spec = FORMS.get(action)
    if spec is None:
        raise NotFound("未找到这个操作")
    context = page_context(session, actor, code, now)  # 404 before anything is looked at
    task = context["task"]
    call = Call(session=session, actor=actor, code=task.code, now=now,
                directive_id=task.directive_id,
                extension_ids=frozenset(e.id for e in context["detail"].extensions))
    context.update(open_form=form_key(action, form), values=task_forms.typed(form))
    try:
        spec.call(call, task_forms.values(form))
    except FieldError as error:
        return form_error(request, TEMPLATE, context, error.field, error.message)
    except (PermissionDenied, NotFound) as error:
        # Answered here, while the session is open: the service's rollback expired the
        # acting person, whom the error page names.
        return error_page(request, status_of(error), error.message)
    except DubanError as error:
        return refused(request, session, actor, code, now, context, spec, error)
    return RedirectResponse(f"/tasks/{quote(task.code)}?done={action}", status_code=303)


def refused(request: Request, session: DbSession, actor: Actor, code: str, now: Any,
            context: dict[str, Any], spec: task_forms.ActionForm,
            error: DubanError) -> Response:
    """The page again, with the engine's message beside the field it concerns (400) or above
    the form (409: the task's state or the policy refused it)."""
    name = task_forms.field_of(spec, error)
    # The service rolled back: show the task as it is now.
    fresh = page_context(session, actor, code, now)
    context.update(detail=fresh["detail"], task=fresh["task"], timeline=fresh["timeline"],
                   offers=fresh["offers"])
    if context["open_form"] not in {offer_key(o) for o in fresh["offers"]}:
        name = GENERAL  # the form is no longer offered: the message goes above the actions
    if name != GENERAL:
        return form_error(request, TEMPLATE, context, name, error.message)
    context["errors"] = {GENERAL: error.message}
    return render(request, TEMPLATE, context, status_code=409)


@router.get("/tasks/{code}/files/{sha256}")
def task_file(code: str, sha256: str, actor: CurrentActor, session: DbSession,
              inline: bool = False) -> Response:
    """An evidence file, after the engine's permission check and with its hash re-verified;
    raster images may be shown inline (previews), everything else is an attachment."""
    sink = cast(BinaryIO, tempfile.SpooledTemporaryFile(max_size=SPOOL))  # noqa: SIM115
    try:
        meta, _ = export_file(session, ref=sha256, actor=actor, out=sink)
    except BaseException:
        sink.close()
        raise
    sink.seek(0)
    shown = inline and meta.mime in INLINE_TYPES
    disposition = "inline" if shown else "attachment"
    headers = {"Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(meta.name)}",
               "Content-Length": str(meta.size), "Cache-Control": "private, max-age=3600"}
    return StreamingResponse(_chunks(sink), media_type=meta.mime, headers=headers)


def _chunks(sink: BinaryIO) -> Iterator[bytes]:
    try:
        while chunk := sink.read(64 * 1024):
            yield chunk
    finally:
        sink.close()
