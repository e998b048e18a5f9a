"""Past summaries and scopes: what each reader lists and reads (engine.summary.history,
engine.summary.scopes)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select

from engine.errors import InvalidInput, NotFound, PermissionDenied
from engine.org.actors import Actor
from engine.summary.daily import run_daily_summary
from engine.summary.history import past_summary, summary_history
from engine.summary.scopes import scoped_summary, summary_scopes
from models import SummaryRun
from tests.factories import act, at, make_city, operator

LATER = at("2024-03-07", "10:00")


def _run(session: Session, day: str, folder: Path, *, send: bool) -> None:
    run_daily_summary(session=session, actor=operator(), now=at(day, "15:00"),
                      reports_dir=folder, send=send)


def test_a_leader_lists_and_reads_only_the_days_sent_to_them(session: Session,
                                                             tmp_path: Path) -> None:
    city = make_city(session)
    _run(session, "2024-03-05", tmp_path, send=False)
    _run(session, "2024-03-06", tmp_path, send=True)
    leader, office = act(city.vice_mayor), act(city.office)
    def listed(who: Actor) -> list[str]:
        return [p.local_date for p in summary_history(session=session, actor=who, now=LATER)]

    assert listed(leader) == ["2024-03-06"]
    assert listed(office) == ["2024-03-06", "2024-03-05"]
    with pytest.raises(NotFound):
        past_summary(session=session, actor=leader, local_date="2024-03-05", now=LATER)
    mine = past_summary(session=session, actor=leader, local_date="2024-03-06", now=LATER)
    assert mine.source == "message" and "李占明副市长分管范围" in mine.text and "全市" not in mine.text
    whole = past_summary(session=session, actor=office, local_date="2024-03-05", now=LATER)
    assert whole.source == "report" and "（全市）" in whole.text


def test_only_a_file_named_as_the_daily_run_names_it_is_read(session: Session,
                                                             tmp_path: Path) -> None:
    city = make_city(session)
    _run(session, "2024-03-06", tmp_path, send=True)
    secret = tmp_path / "secret.txt"
    secret.write_text("不该显示的内容", encoding="utf-8")
    run = session.exec(select(SummaryRun)).one()
    run.path = str(secret)
    session.add(run)
    session.commit()
    text = past_summary(session=session, actor=act(city.office), local_date="2024-03-06",
                        now=LATER)
    assert text.source == "message" and "不该显示" not in text.text


def test_a_summary_built_after_now_does_not_exist_yet(session: Session, tmp_path: Path) -> None:
    """On a simulation database the clock may be moved back past summaries already built."""
    city = make_city(session)
    _run(session, "2024-03-05", tmp_path, send=True)
    _run(session, "2024-03-06", tmp_path, send=True)
    before = at("2024-03-06", "09:00")
    for who in (act(city.office), act(city.vice_mayor)):
        assert [p.local_date for p in summary_history(session=session, actor=who, now=before)
                ] == ["2024-03-05"]
        with pytest.raises(NotFound):
            past_summary(session=session, actor=who, local_date="2024-03-06", now=before)


@pytest.mark.parametrize("day", ["2024-3-6", "2024-02-30", "2024-03-06\n", "", "x" * 5000])
def test_a_malformed_date_is_refused(session: Session, day: str) -> None:
    city = make_city(session)
    with pytest.raises(InvalidInput):
        past_summary(session=session, actor=act(city.office), local_date=day, now=LATER)


def test_scopes_the_whole_for_the_office_and_only_their_own_for_a_leader(session: Session) -> None:
    city = make_city(session)
    office = summary_scopes(session=session, actor=act(city.office))
    assert office[0].leader_id is None and city.vice_mayor.id in [s.leader_id for s in office]
    mine = summary_scopes(session=session, actor=act(city.vice_mayor))
    assert [s.leader_id for s in mine] == [city.vice_mayor.id]
    now = at("2024-03-06", "15:00")
    assert scoped_summary(session=session, actor=act(city.vice_mayor), now=now,
                          leader_id=None).scope == "李占明副市长分管范围"
    with pytest.raises(PermissionDenied):
        scoped_summary(session=session, actor=act(city.vice_mayor), now=now,
                       leader_id=city.secretary.id)
    with pytest.raises(NotFound):
        scoped_summary(session=session, actor=act(city.office), now=now, leader_id=city.office.id)
    with pytest.raises(PermissionDenied):
        summary_scopes(session=session, actor=act(city.fire_contact))
