"""Two clerks confirming the same document at the same moment: it is registered once.

The second finds the first's record and is refused with the same Chinese message as one who
confirms after the first (the remedy, 再次登记, stays theirs to choose)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from engine.errors import Conflict
from engine.intake.apply import ApplyReport, analyse, apply_drafts
from models import Directive, IntakeRecord, Task
from tests.factories import at, make_city, operator
from tests.support.races import race

DOCUMENT = """关于道路交通安全隐患整改的通知
（2024年3月4日）

一、市消防救援支队要在3月31日前完成高层住宅消防设施排查。
二、住建局要在3月20日前报送老旧小区改造进度。
"""


def test_one_document_confirmed_twice_at_once_is_registered_once(shared_engine: Engine) -> None:
    with Session(shared_engine, expire_on_commit=False) as session:
        make_city(session)
        result = analyse(session=session, actor=operator(), text=DOCUMENT,
                         ref_date=date(2024, 3, 4))
        before = _counts(session)

    def confirm(session: Session) -> object:
        return apply_drafts(session=session, result=result, actor=operator(),
                            now=at("2024-03-04", "10:00"))

    outcomes = race(shared_engine, [confirm, confirm])
    refused = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(refused) == 1 and isinstance(refused[0], Conflict), outcomes
    assert "未重复登记" in refused[0].message
    [report] = [o for o in outcomes if isinstance(o, ApplyReport)]
    assert len(report.tasks) == 2
    with Session(shared_engine) as session:
        after = _counts(session)
    assert [a - b for a, b in zip(after, before, strict=True)] == [
        1, len(report.directives), len(report.tasks)]


def _counts(session: Session) -> list[int]:
    return [session.exec(select(func.count()).select_from(model)).one()
            for model in (IntakeRecord, Directive, Task)]
