"""情况通报: choose a month, read the bulletin, download it as Word (.docx) or Markdown (.md).

The engine builds it (:func:`engine.reports.bulletin.build_bulletin`) and decides who may: it
names every unit's overdue items, so only readers who see every task (the office, top leaders).
Nothing is written to the database; a Word file is written to a temporary folder and removed
once read. A bulletin is as of the month's last second, or now for the month under way.
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlmodel import Session

from engine.errors import InvalidInput
from engine.org.actors import Actor
from engine.reports.bulletin import (
    BulletinData,
    build_bulletin,
    parse_period,
    render_markdown,
    report_moment,
    write_docx,
)
from engine.reports.bulletin_docx import headings
from engine.store.policy import get_policy, zone_for
from web.deps import CurrentActor, DbSession, Now, render

router = APIRouter()

FORMATS = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "md": "text/markdown; charset=utf-8",
}
Period = Annotated[str | None, Query(max_length=20)]


def _bulletin(session: Session, actor: Actor, period: str, now: datetime) -> BulletinData:
    """The bulletin of ``period`` as of its last second (or ``now`` while it runs); a bad
    month is refused before anything is read."""
    span = parse_period(period, zone_for(get_policy(session)))
    return build_bulletin(session=session, actor=actor, period=period,
                          now=report_moment(span, now))


def _month(session: Session, period: str) -> str:
    """``period`` as ``2024-03`` in ASCII digits, whichever digits were typed ("２０２４-３"): a
    header's plain ``filename`` holds Latin-1 only."""
    span = parse_period(period, zone_for(get_policy(session)))
    return f"{span.year:04d}-{span.month:02d}"


@router.get("/bulletin")
def bulletin_page(request: Request, actor: CurrentActor, session: DbSession, now: Now,
                  period: Period = None) -> Response:
    """The month chooser and, once a month is chosen, the bulletin itself with its downloads."""
    chosen = period if period is not None else f"{now.astimezone(zone_for(get_policy(session))):%Y-%m}"
    data = _bulletin(session, actor, chosen, now)
    parts = [(section, list(zip(section.blocks, headings(section), strict=True)))
             for section in data.sections]
    return render(request, "bulletin/index.html", {
        "period": chosen.strip(), "data": data, "parts": parts})


@router.get("/bulletin/download")
def bulletin_download(actor: CurrentActor, session: DbSession, now: Now, period: Period = None,
                      format: Annotated[str, Query(max_length=10)] = "docx") -> Response:
    """The bulletin as a file: ``format`` is ``docx`` or ``md``."""
    if format not in FORMATS:
        raise InvalidInput("文件格式无效，可选：docx（Word）或 md（Markdown）")
    data = _bulletin(session, actor, period or "", now)
    month = _month(session, period or "")
    name = f"督办工作情况通报-{month}.{format}"
    if format == "md":
        content = render_markdown(data).encode("utf-8")
    else:
        with tempfile.TemporaryDirectory(prefix="duban-bulletin-") as folder:
            path = Path(folder) / f"bulletin-{month}.docx"
            write_docx(data, path)
            content = path.read_bytes()
    disposition = (f"attachment; filename=\"bulletin-{month}.{format}\"; "
                   f"filename*=UTF-8''{quote(name)}")
    return Response(content, media_type=FORMATS[format],
                    headers={"Content-Disposition": disposition, "Cache-Control": "no-store"})
