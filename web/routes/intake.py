"""文件识别: paste or upload a document, review the drafts it yields, correct and confirm them.

The analysis and the storing are the engine's (:func:`engine.intake.apply.analyse`,
:func:`apply_drafts`; the office's work — the engine refuses anyone else). Nothing is stored
until the office confirms; confirming reads the text again and stores the drafts (待交办) in one
transaction, or nothing. A document applied before is recognised by its fingerprint and said so.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData, UploadFile

from engine.errors import Conflict, DubanError, InvalidInput, NotFound, Remedy, RowsRefused
from engine.intake.apply import analyse, apply_drafts, result_json
from engine.intake.reading import MAX_DOCX_BYTES, SUFFIXES, document_text
from engine.intake.records import earlier_application
from engine.org.actors import Actor
from engine.org.leaders import unit_leader_names
from engine.org.permissions import require_office
from engine.values import DirectiveKind
from web.deps import CurrentActor, DbSession, Now, render
from web.errors import form_error
from web.intake_view import choices_from, digest, highlighted, review_rows
from web.source_forms import field_of, names
from web.templating import ZONE

router = APIRouter()

WHAT = "识别文件中的督办事项"
ROW_FIELDS = ("title", "lead", "co", "due", "leader")
_ENGINE_FIELD = {"lead_unit": "lead", "co_units": "co"}


@router.get("/intake")
def intake_form(request: Request, actor: CurrentActor) -> Response:
    require_office(actor, WHAT)
    return render(request, "intake/form.html", _form_context({}))


def _form_context(values: dict[str, str]) -> dict[str, Any]:
    return {"values": {"text": "", "ref_date": "", "addressee": "", **values}, "errors": {},
            "max_kb": MAX_DOCX_BYTES // 1024}


def _fields(form: FormData) -> dict[str, str]:
    return {k: str(form.get(k) or "").replace("\r\n", "\n").strip()
            for k in ("text", "ref_date", "addressee", "source")}


@router.post("/intake")
async def intake_review(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    require_office(actor, WHAT)
    form = await request.form()
    values = _fields(form)
    context = _form_context({k: values[k] for k in ("text", "ref_date", "addressee")})
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        name = upload.filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:120]
        if not name.lower().endswith(SUFFIXES):
            return form_error(request, "intake/form.html", context, "file",
                              "请上传 .txt 文本或 .docx Word 文件（.doc 请先另存为 .docx）")
        data = await upload.read(MAX_DOCX_BYTES + 1)
        try:
            values["text"] = document_text(name, data).replace("\r\n", "\n").strip()
        except InvalidInput as exc:
            return form_error(request, "intake/form.html", context, "file", exc.message)
        values["source"] = name
    if not values["text"]:
        return form_error(request, "intake/form.html", context, "text",
                          "请粘贴文件内容，或上传 .txt / .docx 文件")
    return _analysed(request, session, actor, values, context)


def _analysed(request: Request, session: DbSession, actor: Actor, values: dict[str, str],
              context: dict[str, Any], form: FormData | None = None,
              extra: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    """Analyse the text and show the review (or the form again with the reason)."""
    ref: date | None = None
    if values["ref_date"]:
        try:
            ref = date.fromisoformat(values["ref_date"])
        except ValueError:
            return form_error(request, "intake/form.html", context, "ref_date",
                              "参照日期应为日期，如 2024-03-11")
    try:
        result = analyse(session=session, actor=actor, text=values["text"], ref_date=ref,
                         addressee=values["addressee"] or None)
    except (InvalidInput, NotFound) as exc:
        field = "addressee" if values["addressee"] and "单位" in exc.message else "text"
        return form_error(request, "intake/form.html", context, field, exc.message)
    data = result_json(result, ZONE)
    rows = review_rows(data, values["text"], form)
    leaders = unit_leader_names(session, (row.typed["lead"] for row in rows))
    for row in rows:
        reason = (extra or {}).get("row_errors", {}).get(row.index)
        if reason:
            row.errors[_field_of_row(row.typed, reason)] = reason
        if not row.typed["leader"]:
            row.derived_leader = leaders.get(row.typed["lead"])
    page = {
        "values": values, "data": data, "rows": rows,
        "pieces": highlighted(values["text"], data), "digest": digest(data),
        "kinds": {**{k.value: k.label for k in DirectiveKind}, "read": "阅示"},
        "applied_before": earlier_application(session, kind="document",
                                              fingerprint=result.fingerprint),
        "again": bool(form and form.get("again")), "errors": {}, "row_errors": {},
    }
    page.update(extra or {})
    return render(request, "intake/review.html", page, status_code=status_code)


@router.post("/intake/apply")
async def intake_apply(request: Request, session: DbSession, actor: CurrentActor,
                       now: Now) -> Response:
    require_office(actor, WHAT)
    form = await request.form()
    values = _fields(form)
    context = _form_context({k: values[k] for k in ("text", "ref_date", "addressee")})
    if not values["text"]:
        return form_error(request, "intake/form.html", context, "text",
                          "请粘贴文件内容，或上传 .txt / .docx 文件")
    ref = date.fromisoformat(values["ref_date"]) if _is_date(values["ref_date"]) else None
    try:
        result = analyse(session=session, actor=actor, text=values["text"], ref_date=ref,
                         addressee=values["addressee"] or None)
    except (InvalidInput, NotFound):
        return _analysed(request, session, actor, values, context, form, status_code=400)
    data = result_json(result, ZONE)
    if digest(data) != str(form.get("digest") or ""):
        return _analysed(request, session, actor, values, context, None, {"errors": {
            "form": "识别结果已变化（通讯录或文本可能已更新），请重新核对后再提交。"}},
            status_code=409)
    rows = review_rows(data, values["text"], form)
    choices = choices_from(rows, again=bool(form.get("again")),
                           source=values["source"] or "网页粘贴")
    try:
        report = apply_drafts(session=session, result=result, actor=actor, now=now,
                              choices=choices)
    except RowsRefused as exc:
        rows_named = "、".join(f"第{n}项" for n in sorted(exc.rows))
        return _analysed(request, session, actor, values, context, form, {"errors": {
            "form": f"{rows_named}未能登记（见下方标注），整份文档未登记：可改正后重新提交，"
                    "或勾选该项“不登记”。"}, "row_errors": exc.rows}, 400)
    except (Conflict, InvalidInput, NotFound) as exc:
        status = 409 if isinstance(exc, Conflict) else 400
        return _analysed(request, session, actor, values, context, form,
                         {"errors": {"form": _with_hint(exc)}}, status)
    return render(request, "intake/applied.html", {"report": report, "data": data})


def _with_hint(error: DubanError) -> str:
    """The engine's refusal, with how this page applies a document again."""
    if error.remedy is Remedy.APPLY_AGAIN:
        return f"{error.message}：请勾选“仍要再次登记”后提交"
    return error.message


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _field_of_row(typed: dict[str, str], reason: str) -> str:
    """The field of a review row an engine refusal is about (a unit named in the co field is
    the co field's)."""
    if any(f"“{name}”" in reason for name in names(typed.get("co", ""))):
        return "co"
    engine_field = field_of(reason, ("title", "lead_unit", "co_units", "due", "leader"), "title")
    return _ENGINE_FIELD.get(engine_field, engine_field)
