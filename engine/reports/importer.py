"""Importing a superior's task list (任务清单) from Excel: every row or none.

The sheet needs the columns 任务内容, 牵头单位 and 完成时限; 配合单位, 责任人, 分管领导, 目标量 and
计量单位 are optional. Header names are matched after NFKC normalisation (full-width letters and
brackets become half-width), with whitespace, ``*`` marks and bracketed notes removed, and through
the synonyms in :data:`HEADER_SYNONYMS`; the header may sit below a title row (the first
:data:`HEADER_SCAN_ROWS` rows of each sheet are searched, first sheet that has one wins).

Guarantees of :func:`import_task_list`: the file is read and every row validated before anything
is written; every problem is reported with its Excel row number and column name in one
:class:`~engine.errors.InvalidInput`; when all rows pass, all tasks are created as drafts (待交办)
in one transaction, committed together or rolled back together.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, NoReturn

from sqlmodel import Session

from engine.calendar.timefmt import local_date_text
from engine.errors import AmbiguousReference, DubanError, InvalidInput, NotFound, PolicyViolation
from engine.inputs import check_input_file, check_line, check_quantity
from engine.intake.records import record_applied, refuse_if_applied
from engine.org.actors import Actor
from engine.org.directory import find_directive, find_person, find_unit
from engine.org.permissions import require_office
from engine.store.policy import get_policy, zone_for
from engine.store.service import service
from engine.tasks.creation import create_task_in_transaction, resolve_due
from models import Directive, Person, Task, TaskCreate, Unit

COLUMN_LABELS: dict[str, str] = {
    "title": "任务内容", "lead": "牵头单位", "co": "配合单位", "due": "完成时限",
    "owner": "责任人", "leader": "分管领导", "target": "目标量", "measure": "计量单位",
}
"""Field key → the column's canonical Chinese name (also the order errors are reported in)."""

REQUIRED = ("title", "lead", "due")

HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "title": ("任务内容", "工作任务", "任务名称", "事项", "任务", "工作内容", "事项内容", "重点任务",
              "具体任务"),
    "lead": ("牵头单位", "责任单位", "牵头部门", "主办单位", "责任部门", "牵头责任单位"),
    "co": ("配合单位", "协办单位", "配合部门", "协同单位", "参与单位", "协办部门"),
    "due": ("完成时限", "时限", "完成时间", "办结时限", "完成期限", "时限要求", "时间要求", "办结时间"),
    "owner": ("责任人", "具体责任人", "经办人"),
    "leader": ("分管领导", "责任领导", "分管市领导", "包保领导"),
    "target": ("目标量", "目标", "目标数量", "任务量"),
    "measure": ("计量单位", "量词"),
}

HEADER_SCAN_ROWS = 20
"""Rows searched for the header at the top of each sheet."""

_CO_SPLIT = re.compile(r"[、，,；;\n]+")
_NONE_MARKS = {"无", "—", "-", "/", "／", "——"}
_BRACKETED = re.compile(r"\(.*?\)|\[.*?\]|【.*?】")


def normalise_header(text: object) -> str:
    """A header cell as compared: NFKC, no whitespace, no ``*``, no bracketed note, no colon."""
    value = unicodedata.normalize("NFKC", str(text or ""))
    value = _BRACKETED.sub("", value)
    return re.sub(r"[\s*:：]", "", value)


_SYNONYM_INDEX = {normalise_header(name): key for key, names in HEADER_SYNONYMS.items()
                  for name in names}


@dataclass
class TaskTable:
    """The task rows of a sheet: Excel row number and {field key: cell value}."""

    sheet: str
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)


def read_task_table(path: Path) -> TaskTable:
    """Read the first sheet with a recognisable header; raise :class:`InvalidInput` otherwise."""
    check_input_file(path)
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise InvalidInput(f"文件 {path} 不是 Excel 工作簿（应为 .xlsx 文件）")
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - zip, XML or format errors all mean a bad input file
        raise InvalidInput(f"无法读取 Excel 文件 {path}：文件已损坏或不是 .xlsx 格式") from None
    try:
        sheets = [(ws.title, list(ws.iter_rows(values_only=True))) for ws in book.worksheets]
    finally:
        book.close()
    best: tuple[int, str, list[str]] | None = None
    for title, rows in sheets:
        found = _find_header(rows)
        if found is not None and not found[1]:
            return _table(title, rows, found[0])
        if found is not None and (best is None or len(found[1]) < len(best[2])):
            best = (found[0], title, found[1])
    _missing_header(best)


def _find_header(rows: list[tuple[Any, ...]]) -> tuple[int, list[str]] | None:
    """The header row index and the required columns it lacks; ``None`` when no row looks like one."""
    best: tuple[int, list[str]] | None = None
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        keys = {_SYNONYM_INDEX.get(normalise_header(cell)) for cell in row}
        missing = [COLUMN_LABELS[k] for k in REQUIRED if k not in keys]
        if len(missing) < len(REQUIRED) - 1 and (best is None or len(missing) < len(best[1])):
            best = (index, missing)
    return best


def _missing_header(best: tuple[int, str, list[str]] | None) -> NoReturn:
    names = "、".join(f"“{COLUMN_LABELS[k]}”" for k in REQUIRED)
    if best is None:
        raise InvalidInput(f"未找到任务清单表头：前{HEADER_SCAN_ROWS}行中没有包含{names}等列的行")
    row, sheet, missing = best
    lacking = "、".join(f"“{m}”" for m in missing)
    raise InvalidInput(f"工作表“{sheet}”第{row + 1}行的表头缺少{lacking}列（必需列：{names}）")


def _table(sheet: str, rows: list[tuple[Any, ...]], header: int) -> TaskTable:
    from openpyxl.utils import get_column_letter

    columns: dict[str, int] = {}
    for col, cell in enumerate(rows[header]):
        key = _SYNONYM_INDEX.get(normalise_header(cell))
        if key is None:
            continue
        if key in columns:
            first, second = get_column_letter(columns[key] + 1), get_column_letter(col + 1)
            raise InvalidInput(f"表头第{header + 1}行中“{COLUMN_LABELS[key]}”列出现了两次"
                               f"（第{first}列和第{second}列）")
        columns[key] = col
    table = TaskTable(sheet=sheet)
    for offset, row in enumerate(rows[header + 1:], start=header + 2):
        values = {k: row[c] if c < len(row) else None for k, c in columns.items()}
        if any(_text(v) for v in values.values()):
            table.rows.append((offset, values))
    if not table.rows:
        raise InvalidInput(f"工作表“{sheet}”表头以下没有任务行")
    return table


def _text(value: Any) -> str:
    """A cell as text (content keeps its full-width punctuation; 100.0 reads as 100)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    # Every column read here is one line: a line break typed inside a cell (Alt+Enter) joins.
    return re.sub(r"\s*[\r\n]+\s*", "", str(value)).strip()


@dataclass
class _Context:
    session: Session
    directive: Directive
    # Lookups cached per import: a reference → the record, or the Chinese reason it failed.
    found: dict[tuple[str, str], Unit | Person | str] = field(default_factory=dict)


def _lookup(ctx: _Context, kind: str, ref: str) -> Any:
    """A unit (code, name, short name) or a person (name, alias, title form) named ``ref``."""
    if (kind, ref) not in ctx.found:
        finder = find_unit if kind == "unit" else find_person
        try:
            ctx.found[kind, ref] = finder(ctx.session, ref)
        except NotFound:
            ctx.found[kind, ref] = f"未找到{'单位' if kind == 'unit' else '人员'}“{ref}”"
        except AmbiguousReference as exc:
            ctx.found[kind, ref] = str(exc)
    found = ctx.found[kind, ref]
    if isinstance(found, str):
        raise InvalidInput(found)
    return found


def _required(value: Any) -> str:
    text = _text(value)
    if not text:
        raise InvalidInput("不能为空")
    return text


def _check_lead(ctx: _Context, value: Any, clean: dict[str, Any]) -> str:
    return str(_lookup(ctx, "unit", _required(value)).code)


def _check_co(ctx: _Context, value: Any, clean: dict[str, Any]) -> list[str]:
    """Cooperating units split on 、，,；; each known, none twice, none the lead unit."""
    refs = [r.strip() for r in _CO_SPLIT.split(_text(value))]
    codes: list[str] = []
    problems: list[str] = []
    for ref in [r for r in refs if r and r not in _NONE_MARKS]:
        try:
            code = _lookup(ctx, "unit", ref).code
        except InvalidInput as exc:
            problems.append(str(exc))
            continue
        if code == clean.get("lead"):
            problems.append(f"“{ref}”已是牵头单位，不能同时作为配合单位")
        elif code in codes:
            problems.append(f"单位“{ref}”重复")
        codes.append(code)
    if problems:
        raise InvalidInput("；".join(problems))
    return codes


def _check_due(ctx: _Context, value: Any, clean: dict[str, Any]) -> str:
    """The deadline as written (an Excel date cell reads as "2024年3月31日前"), resolvable and
    later than the directive's issue."""
    if isinstance(value, datetime | date):
        value = f"{value.year}年{value.month}月{value.day}日前"
    text = _required(value)
    issued = ctx.directive.issued_at
    if resolve_due(ctx.session, text=text, issued_at=issued).due_at <= issued:
        when = local_date_text(issued, zone_for(get_policy(ctx.session)))
        raise InvalidInput(f"时限“{text}”早于来源事项的下达时间（{when}）")
    return text


def _check_person(ctx: _Context, value: Any, clean: dict[str, Any], *,
                  leader: bool = False) -> str | None:
    ref = _text(value)
    if not ref:
        return None
    person: Person = _lookup(ctx, "person", ref)
    if leader and "leader" not in person.roles:
        raise InvalidInput(f"{person.name} 不是领导，不能作为分管领导")
    return person.name


def _check_target(ctx: _Context, value: Any, clean: dict[str, Any]) -> float | None:
    text = _text(value)
    if not text:
        return None
    try:
        number = float(text.replace(",", ""))
    except ValueError:
        raise InvalidInput(f"“{text}”不是数字") from None
    if not math.isfinite(number):
        raise InvalidInput(f"“{text}”不是有效的数字")
    return check_quantity(number, "目标量", positive=True)


def _check_measure(ctx: _Context, value: Any, clean: dict[str, Any]) -> str | None:
    text = _text(value)
    if len(text) > 16:
        raise InvalidInput("不能超过 16 个字")
    return text or None


_CHECKS: dict[str, Callable[[_Context, Any, dict[str, Any]], Any]] = {
    "title": lambda ctx, v, clean: check_line(_required(v), "内容"), "lead": _check_lead,
    "co": _check_co,
    "due": _check_due, "owner": _check_person,
    "leader": lambda ctx, v, clean: _check_person(ctx, v, clean, leader=True),
    "target": _check_target, "measure": _check_measure,
}
"""One check per column, in report order; each gets the row's values checked before it."""


def _check_row(
    ctx: _Context, number: int, cells: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """Every column of one row checked; returns the clean values and the row's error lines."""
    clean: dict[str, Any] = {}
    errors: list[str] = []
    for key, check in _CHECKS.items():
        try:
            clean[key] = check(ctx, cells.get(key), clean)
        except DubanError as exc:
            errors.append(f"第{number}行“{COLUMN_LABELS[key]}”：{exc}")
    return clean, errors


def _task_create(directive_id: int, clean: dict[str, Any]) -> TaskCreate:
    title = clean["title"]
    short = title if len(title) <= 256 else title[:255] + "…"
    return TaskCreate(directive_id=directive_id, title=short, due_counts_from="directive",
                      requirement=title if short != title else "", lead_unit=clean["lead"],
                      co_units=clean["co"], due=clean["due"], owner=clean["owner"],
                      leader=clean["leader"], target=clean["target"], measure=clean["measure"])


def validate_rows(
    session: Session, table: TaskTable, directive: Directive
) -> list[tuple[int, TaskCreate]]:
    """Check every row; raise one :class:`InvalidInput` listing all errors, or return the specs."""
    ctx = _Context(session=session, directive=directive)
    specs: list[tuple[int, TaskCreate]] = []
    errors: list[str] = []
    for number, cells in table.rows:
        clean, row_errors = _check_row(ctx, number, cells)
        errors.extend(row_errors)
        if not row_errors:
            specs.append((number, _task_create(directive.id or 0, clean)))
    if errors:
        head = f"任务清单校验未通过，共{len(errors)}处错误，未导入任何任务："
        raise InvalidInput("\n".join([head, *errors]))
    return specs


def import_task_list(*, session: Session, path: Path, directive_id: int, actor: Actor,
                     now: datetime, again: bool = False) -> list[Task]:
    """Create one draft task per row of the task list at ``path`` under ``directive_id``.

    Guarantees: nothing is written unless the file reads and every row passes; then all tasks
    are committed in one transaction (rolled back entirely on any error). Raises
    :class:`InvalidInput` with one line per problem (row and column), :class:`NotFound` for an
    unknown directive, :class:`PermissionDenied` unless ``actor`` is the office, and
    :class:`Conflict` naming the earlier import when a list of the same rows was imported before
    (whatever its file name), unless ``again``.
    """
    table = read_task_table(Path(path))
    return _import(session=session, table=table, directive_id=directive_id, actor=actor, now=now,
                   again=again, source=Path(path).name)


def table_fingerprint(table: TaskTable) -> str:
    """The fingerprint of a task list: its rows' cells in column order, normalised."""
    from engine.intake.fingerprint import rows_fingerprint

    keys = list(COLUMN_LABELS)
    return rows_fingerprint([[_text(cells.get(k)) for k in keys] for _, cells in table.rows])


@service
def _import(*, session: Session, table: TaskTable, directive_id: int, actor: Actor,
            now: datetime, again: bool = False, source: str = "") -> list[Task]:
    require_office(actor, "导入任务清单")
    fingerprint = table_fingerprint(table)
    refuse_if_applied(session, kind="xlsx", fingerprint=fingerprint, again=again)
    directive = find_directive(session, directive_id)
    if directive.read_only:
        raise PolicyViolation("阅示类批示只需阅知，不能导入督办事项")
    specs = validate_rows(session, table, directive)
    tasks: list[Task] = []
    for number, data in specs:
        try:
            tasks.append(create_task_in_transaction(session=session, data=data, actor=actor, now=now))
        except DubanError as exc:
            raise InvalidInput(f"第{number}行：{exc}") from exc
    record_applied(session, kind="xlsx", fingerprint=fingerprint, source=source, actor=actor,
                   now=now, directive_ids=[directive_id], task_codes=[t.code for t in tasks])
    return tasks
