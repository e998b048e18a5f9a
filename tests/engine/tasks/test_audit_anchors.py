"""The audit chain's anchor is published outside the database: in every daily summary message
(Telegram HTML, plain text, Markdown report, the terminal) and in every bulletin (.md, .docx),
and what is printed checks out with ``verify --anchor``."""

from __future__ import annotations

import re
from pathlib import Path

from docx import Document
from rich.console import Console
from sqlmodel import Session, select

from cli.render import summary_table
from engine.reports.bulletin import build_bulletin, render_markdown, write_docx
from engine.summary.daily import run_daily_summary
from engine.summary.render import render_html, render_text
from engine.summary.render import render_markdown as summary_markdown
from engine.tasks.audit import chain_anchor
from engine.tasks.audit_verify import parse_anchor, verify
from models import OutboxMessage
from tests.factories import at, make_city, make_task, operator

ANCHOR = re.compile(r"审计锚点：(\d+:[0-9a-f]{64})")


def test_every_summary_message_and_bulletin_carries_the_anchor(session: Session,
                                                                tmp_path: Path) -> None:
    city = make_city(session)
    make_task(session, city, due="3月8日前")
    now = at("2024-03-11", "15:00")
    head = chain_anchor(session)
    assert head is not None
    result = run_daily_summary(session=session, actor=operator(), now=now, reports_dir=tmp_path,
                               send=True)
    whole = result.whole
    assert whole is not None
    texts = [render_html(whole), render_text(whole), summary_markdown(whole),
             Path(result.path or "").read_text(encoding="utf-8")]
    console = Console(record=True, width=200)
    console.print(summary_table(whole))
    texts.append(console.export_text())
    for data in result.scoped.values():
        texts.append(render_text(data))
    messages = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "summary")).all()
    assert messages
    texts += [m.body for m in messages] + [m.body_html or "" for m in messages]
    for text in texts:
        assert set(ANCHOR.findall(text)) == {str(head)}, text[-300:]

    bulletin = build_bulletin(session=session, actor=operator(), period="2024-03", now=now)
    assert ANCHOR.findall(render_markdown(bulletin)) == [str(head)]
    out = tmp_path / "bulletin.docx"
    write_docx(bulletin, out)
    last = [p.text for p in Document(str(out)).paragraphs if p.text.strip()][-1]
    assert ANCHOR.findall(last) == [str(head)]
    report = verify(session=session, actor=operator(), anchors=[parse_anchor(str(head))])
    assert report.events == head.seq
