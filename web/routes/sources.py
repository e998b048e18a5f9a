"""来源: directives with their 批示 → 跟批 tree, registering one, 跟批, splitting into tasks.

Every page asks the engine: the list and the tree are its reads (a tree outside the reader's
scope answers 404 like a missing one), and registering, 跟批 and splitting are its services,
which refuse whoever may not. A refused form is shown again with the engine's message beside
the field it concerns, and nothing is stored.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from engine.errors import InvalidInput, NotFound, RowsRefused
from engine.inputs import whole_number
from engine.org.actors import Actor
from engine.org.directory import find_person
from engine.org.permissions import require_directive_author, require_office
from engine.read.directive_list import visible_directives
from engine.read.directives import directive_tree
from engine.tasks.directives import create_directive
from engine.tasks.split import split_directive
from engine.values import DirectiveKind, Priority, Role
from models import DirectiveCreate, TaskCreate
from web.deps import CurrentActor, DbSession, Now, render
from web.errors import form_error
from web.source_forms import (
    SplitRow,
    field_of,
    local_input,
    local_moment,
    names,
    split_rows,
)

router = APIRouter()

DIRECTIVE_FIELDS = ("kind", "title", "text", "doc_number", "issued_by", "issued_at",
                    "parent_id")
FOLLOWUP_FIELDS = ("text", "title", "issued_by", "issued_at")
EMPTY_ROWS = 5
"""Rows the split form starts with."""
_FORM_ERRORS = (InvalidInput, NotFound)
"""Engine refusals about what was typed (shown beside the field); a permission refusal is the
error page instead."""


def _kinds() -> list[tuple[str, str]]:
    return [(k.value, k.label) for k in DirectiveKind]


@router.get("/directives")
def directive_list(request: Request, session: DbSession, actor: CurrentActor, now: Now,
                   kind: str = "", q: str = "", cursor: str = "") -> Response:
    page = visible_directives(session=session, actor=actor, now=now, kind=kind or None,
                              text=q or None, cursor=cursor or None)
    return render(request, "directives/list.html", {
        "page": page, "kind": kind, "q": q, "kinds": _kinds(),
        "can_register": actor.acts_as_office})


@router.get("/directives/new")
def new_directive_form(request: Request, actor: CurrentActor, now: Now) -> Response:
    require_directive_author(actor, DirectiveKind.INSTRUCTION)
    return render(request, "directives/new.html", _new_context(now, {}))


def _new_context(now: Any, values: dict[str, str]) -> dict[str, Any]:
    defaults = {"kind": "instruction", "title": "", "text": "", "doc_number": "",
                "issued_by": "", "issued_at": local_input(now), "parent_id": "",
                "read_only": ""}
    return {"values": {**defaults, **values}, "kinds": _kinds(), "errors": {}}


@router.post("/directives/new")
async def new_directive(request: Request, session: DbSession, actor: CurrentActor,
                        now: Now) -> Response:
    form = await request.form()
    values = {k: str(form.get(k) or "").strip() for k in (*DIRECTIVE_FIELDS, "read_only")}
    context = _new_context(now, values)
    issued_at = local_moment(values["issued_at"])
    if issued_at is None:
        return form_error(request, "directives/new.html", context, "issued_at",
                          "请填写下达时间，如 2024-03-11 09:00")
    parent = values["parent_id"]
    parent_id = whole_number(parent) if parent else None
    if parent and parent_id is None:
        return form_error(request, "directives/new.html", context, "parent_id",
                          "上级来源编号应为数字（来源页面上的 # 号）")
    try:
        issuer = find_person(session, values["issued_by"]) if values["issued_by"] else None
        data = DirectiveCreate(kind=values["kind"], title=values["title"], text=values["text"],
                               doc_number=values["doc_number"] or None,
                               read_only=bool(values["read_only"]), issued_at=issued_at,
                               issued_by_id=issuer.id if issuer else None,
                               parent_id=parent_id)
        directive = create_directive(session=session, data=data, actor=actor, now=now)
    except _FORM_ERRORS as exc:
        return form_error(request, "directives/new.html", context,
                          field_of(exc.message, DIRECTIVE_FIELDS), exc.message)
    return RedirectResponse(f"/directives/{directive.id}?created=1", status_code=303)


@router.get("/directives/{directive_id}")
def directive_page(request: Request, session: DbSession, actor: CurrentActor, now: Now,
                   directive_id: str, created: str = "", split: str = "") -> Response:
    return _tree_page(request, session, actor, now, directive_id,
                      {"created": bool(created), "split": split if whole_number(split) is not None else ""})


def _tree_page(request: Request, session: DbSession, actor: Actor, now: Any, directive_id: str,
               extra: dict[str, Any], *, status_code: int = 200) -> Response:
    tree = directive_tree(session=session, actor=actor, directive_id=directive_id, now=now)
    nodes = []

    def walk(node: Any, depth: int) -> None:
        nodes.append((node, depth))
        for child in node.children:
            walk(child, depth + 1)

    walk(tree, 0)
    focus = next((n for n, _d in nodes if n.focus), tree)
    context = {
        "tree": tree, "nodes": nodes, "focus": focus,
        "can_followup": actor.acts_as_office or actor.has(Role.LEADER),
        "can_split": actor.acts_as_office and not focus.read_only,
        "office": actor.acts_as_office,
        "followup": {"text": "", "title": "", "issued_by": "", "issued_at": local_input(now),
                     "parent": str(focus.id)},
        "errors": {}, "created": False, "split": "",
    }
    context.update(extra)
    return render(request, "directives/tree.html", context, status_code=status_code)


@router.post("/directives/{directive_id}/followup")
async def add_followup(request: Request, session: DbSession, actor: CurrentActor, now: Now,
                       directive_id: str) -> Response:
    require_directive_author(actor, DirectiveKind.FOLLOWUP)
    form = await request.form()
    values = {k: str(form.get(k) or "").strip() for k in (*FOLLOWUP_FIELDS, "parent")}
    parent = values["parent"] or directive_id
    # One follows up what one can see: a directive of the tree this page shows (the engine
    # answers 404 for a tree outside the person's scope, as for a missing one).
    tree = directive_tree(session=session, actor=actor, directive_id=directive_id, now=now)
    if parent not in {str(node_id) for node_id in _ids(tree)}:
        raise NotFound(f"未找到来源事项“{parent[:20]}”")

    def again(field: str, message: str) -> Response:
        return _tree_page(request, session, actor, now, directive_id,
                          {"followup": values, "errors": {field: message}}, status_code=400)

    issued_at = local_moment(values["issued_at"])
    if issued_at is None:
        return again("issued_at", "请填写跟批时间，如 2024-03-11 09:00")
    if not values["text"]:
        return again("text", "请填写跟批内容")
    title = values["title"] or values["text"].splitlines()[0][:40]
    try:
        issuer = (find_person(session, values["issued_by"])
                  if values["issued_by"] and actor.acts_as_office else None)
        data = DirectiveCreate(kind=DirectiveKind.FOLLOWUP.value, title=title,
                               text=values["text"], issued_at=issued_at,
                               issued_by_id=issuer.id if issuer else None,
                               parent_id=int(parent))
        created = create_directive(session=session, data=data, actor=actor, now=now)
    except _FORM_ERRORS as exc:
        session.rollback()
        return again(field_of(exc.message, FOLLOWUP_FIELDS, "text"), exc.message)
    return RedirectResponse(f"/directives/{created.id}?created=1", status_code=303)


@router.get("/directives/{directive_id}/split")
def split_form(request: Request, session: DbSession, actor: CurrentActor, now: Now,
               directive_id: str, rows: int = EMPTY_ROWS) -> Response:
    require_office(actor, "拆分来源事项")
    tree = directive_tree(session=session, actor=actor, directive_id=directive_id, now=now)
    count = max(1, min(rows, 50))
    return render(request, "directives/split.html", _split_context(
        tree, directive_id, [SplitRow() for _ in range(count)], True))


def _split_context(tree: Any, directive_id: str, rows: list[SplitRow],
                   assign: bool) -> dict[str, Any]:
    number = whole_number(directive_id)
    focus = _find(tree, number) if number is not None else None
    return {"directive": focus or tree, "rows": rows, "assign": assign, "errors": {},
            "priorities": [(p.value, p.label) for p in Priority]}


def _ids(node: Any) -> list[int]:
    return [node.id, *(i for child in node.children for i in _ids(child))]


def _find(node: Any, wanted: int) -> Any:
    if node.id == wanted:
        return node
    for child in node.children:
        found = _find(child, wanted)
        if found is not None:
            return found
    return None


@router.post("/directives/{directive_id}/split")
async def split(request: Request, session: DbSession, actor: CurrentActor, now: Now,
                directive_id: str) -> Response:
    require_office(actor, "拆分来源事项")
    tree = directive_tree(session=session, actor=actor, directive_id=directive_id, now=now)
    form = await request.form()
    rows = split_rows(form)
    assign = bool(form.get("assign"))
    filled = [r for r in rows if not r.blank]
    context = _split_context(tree, directive_id, rows or [SplitRow()], assign)
    if not filled:
        return form_error(request, "directives/split.html", context, "form",
                          "请至少填写一项任务（标题、牵头单位、完成时限）")
    data = [TaskCreate(directive_id=0, title=r.title, lead_unit=r.lead_unit or None,
                       co_units=names(r.co_units), due=r.due or None, leader=r.leader or None,
                       priority=r.priority or "normal", requirement=r.requirement)
            for r in filled]
    try:
        tasks = split_directive(session=session, directive_id=directive_id, rows=data,
                                actor=actor, now=now, assign=assign)
    except RowsRefused as exc:
        for number, message in exc.rows.items():
            _mark(filled[number - 1], message)
        rows_named = "、".join(f"第{n}行" for n in sorted(exc.rows))
        return form_error(request, "directives/split.html", context, "form",
                          f"{rows_named}有误（见下方标注），全部未登记，请改正后重新提交。")
    except _FORM_ERRORS as exc:
        return form_error(request, "directives/split.html", context, "form", exc.message)
    return RedirectResponse(f"/directives/{directive_id}?split={len(tasks)}", status_code=303)


def _mark(row: SplitRow, message: str) -> None:
    """Put the engine's message beside the field of ``row`` it is about."""
    quoted = [n for n in names(row.co_units) if f"“{n}”" in message or n in message]
    field = "co_units" if quoted and row.lead_unit not in quoted else field_of(
        message, ("title", "lead_unit", "co_units", "due", "leader", "priority"), "title")
    row.errors[field] = message
