"""No task state and no stored text breaks what the office reads.

Tasks in every status — a draft without unit or deadline, an assigned one whose deadline is
missing (as an older database may hold), extended, escalated, closed, cancelled — and rows
holding control characters, ESC sequences, bidi overrides and over-long text written before
the boundary refused them: the summary (terminal, Telegram HTML, text, Markdown), the board,
task lists and details, the Excel ledger, the bulletin (.md and .docx) and the messages all
build, and none of them carries a raw control character.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from docx import Document
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from cli.render import summary_table
from engine.escalation.run import run_pass
from engine.outbox.channel import Outgoing
from engine.outbox.messages import render_task_message
from engine.read.detail import task_detail
from engine.read.tasks import board, visible_tasks
from engine.reports.bulletin import build_bulletin, render_markdown, write_docx
from engine.reports.ledger import export_ledger
from engine.summary.build import build_summary
from engine.summary.render import render_html, render_text
from engine.summary.render import render_markdown as summary_markdown
from engine.tasks.actions import acknowledge, cancel_task, request_completion, verify_and_close
from engine.tasks.extensions import decide_extension, request_extension
from models import Task, TaskCreate
from notifiers.console import SafeConsole
from notifiers.telegram import message_html
from tests.factories import act, at, make_city, make_task, operator, system

NOW = at("2024-04-10", "15:00")
RAW = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
HOSTILE = "整治\x1b[31m红字\x1b[0m\u202e倒序\x01空\x07铃"


def _every_state(session: Session, engine: Engine) -> None:
    from engine.tasks.creation import create_task

    city = make_city(session)
    create_task(session=session, data=TaskCreate(directive_id=city.directive.id or 0,
                                                 title="待补充的草稿"), actor=act(city.office),
                now=at("2024-03-05"))
    make_task(session, city, title="已交办")
    acked = make_task(session, city, title="已签收", due="3月20日前")
    acknowledge(session=session, task=acked.code, actor=act(city.fire_contact), now=at("2024-03-05"))
    review = make_task(session, city, title="待审核", due="4月30日前")
    acknowledge(session=session, task=review.code, actor=act(city.fire_contact), now=at("2024-03-05"))
    request_completion(session=session, task=review.code, actor=act(city.fire_head), evidence="材料",
                       now=at("2024-03-06"))
    closed = make_task(session, city, title="已办结", due="3月31日前")
    acknowledge(session=session, task=closed.code, actor=act(city.fire_contact), now=at("2024-03-05"))
    request_completion(session=session, task=closed.code, actor=act(city.fire_head), evidence="材料",
                       now=at("2024-03-06"))
    verify_and_close(session=session, task=closed.code, actor=act(city.office), rating="良好",
                     now=at("2024-03-07"))
    cancelled = make_task(session, city, title="已撤销")
    cancel_task(session=session, task=cancelled.code, actor=act(city.office), reason="重复",
                now=at("2024-03-06"))
    extended = make_task(session, city, title="已延期", due="3月12日前")
    request = request_extension(session=session, task=extended.code, actor=act(city.fire_head),
                                new_due="4月30日前", reason="工程量大", now=at("2024-03-08"))
    decide_extension(session=session, request_id=request.id or 0, actor=act(city.office),
                     approve=True, now=at("2024-03-09"))
    hostile = make_task(session, city, title="原标题", due="3月15日前")
    lost = make_task(session, city, title="时限丢失", due="3月15日前")
    run_pass(session=session, actor=system(), now=NOW)
    session.commit()
    # What an older database may hold: written before the boundary refused it.
    with engine.begin() as conn:
        conn.execute(text("UPDATE task SET title = :t, requirement = :r, due_text = :d "
                          "WHERE id = :id"), {"t": HOSTILE, "r": HOSTILE, "d": "三\x1b月", "id": hostile.id})
        conn.execute(text("UPDATE task SET due_at = NULL, due_text = '' WHERE id = :id"),
                     {"id": lost.id})
        conn.execute(text("UPDATE unit SET name = :n WHERE code = 'HOUSING'"),
                     {"n": "住建\u202e局\x1b[2J"})
        conn.execute(text("UPDATE person SET name = :n WHERE name = '李占明'"),
                     {"n": "李\x1b占明"})
    session.expire_all()


def _clean(output: str, where: str) -> None:
    found = RAW.search(output)
    assert found is None, (where, repr(output[max(0, found.start() - 40):found.end() + 40]))


def test_every_view_builds_and_shows_no_raw_control_character(session: Session, engine: Engine,
                                                              tmp_path: Path) -> None:
    _every_state(session, engine)
    summary = build_summary(session, now=NOW)
    for rendered, where in ((render_html(summary), "html"), (render_text(summary), "text"),
                            (summary_markdown(summary), "markdown")):
        _clean(rendered, where)
        assert "␛" in rendered, where  # the ESC is shown, visibly
    buffer = io.StringIO()
    SafeConsole(file=buffer, width=200, force_terminal=False).print(summary_table(summary))
    _clean(buffer.getvalue(), "terminal")
    assert "未定" in render_text(summary)  # the assigned task whose deadline went missing

    _clean(repr(board(session=session, actor=operator(), now=NOW)), "board")
    rows = visible_tasks(session=session, actor=operator(), now=NOW).items
    assert len(rows) == len(session.exec(select(Task)).all())
    for row in rows:
        task_detail(session=session, actor=operator(), code=row.code, now=NOW)
        message = render_task_message(session, task=session.get(Task, row.id),  # type: ignore[arg-type]
                                      headline="提醒", ask="办理", now=NOW)
        outgoing = Outgoing(1, "reminder", None, "某人", message.subject, message.text,
                            message.html)
        _clean(message_html(outgoing), "telegram")

    ledger = tmp_path / "ledger.xlsx"
    assert export_ledger(session=session, actor=operator(), path=ledger, now=NOW) == len(rows)
    cells = [str(c) for row in load_workbook(ledger).active.iter_rows(values_only=True)
             for c in row if c is not None]
    _clean("\n".join(cells), "xlsx")
    assert any("␛" in c for c in cells)

    bulletin = build_bulletin(session=session, actor=operator(), period="2024-03", now=NOW)
    _clean(render_markdown(bulletin), "bulletin markdown")
    out = tmp_path / "bulletin.docx"
    write_docx(bulletin, out)
    document = Document(str(out))
    texts = [p.text for p in document.paragraphs]
    texts += [c.text for t in document.tables for r in t.rows for c in r.cells]
    _clean("\n".join(texts), "docx")
