"""task_timeline: events, reports, escalations, messages and 跟批 in one list, narrowed per
reader."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from engine.errors import NotFound
from engine.escalation.run import run_pass
from engine.org.actors import Actor
from engine.read.timeline import task_timeline
from engine.tasks.actions import acknowledge, report_progress, request_completion
from engine.tasks.directives import create_directive
from engine.values import Channel
from models import DirectiveCreate, OutboxMessage
from tests.factories import ISSUED, act, at, make_city, make_task, system

T1 = ISSUED + timedelta(hours=2)


def test_one_timeline_in_time_order(session: Session) -> None:
    city = make_city(session)
    code = make_task(session, city).code
    fire, office = act(city.fire_contact), act(city.office)
    acknowledge(session=session, task=code, actor=fire, now=T1)
    report_progress(session=session, task=code, actor=fire, text="已排查 30 处", achieved=30,
                    now=T1 + timedelta(hours=1))
    create_directive(session=session, data=DirectiveCreate(
        kind="followup", title="再督促", text="务必月底前完成", issued_by_id=city.vice_mayor.id,
        issued_at=T1 + timedelta(hours=2), parent_id=city.directive.id), actor=act(city.vice_mayor),
        now=T1 + timedelta(hours=2))
    run_pass(session=session, actor=system(), now=at("2024-04-03", "10:00"))
    request_completion(session=session, task=code, actor=fire, evidence="验收单",
                       now=at("2024-04-03", "11:00"))
    entries = task_timeline(session=session, actor=office, code=code, now=at("2024-04-03", "12:00"))
    assert [e.at for e in entries] == sorted(e.at for e in entries)
    kinds = {e.kind for e in entries}
    assert kinds == {"event", "report", "escalation", "message", "followup"}
    report = next(e for e in entries if e.kind == "report")
    assert "已排查 30 处" in report.text and "累计完成 30" in report.text
    assert report.actor == city.fire_contact.name and report.channel is not None
    follow = next(e for e in entries if e.kind == "followup")
    assert follow.actor == city.vice_mayor.name and follow.text == "务必月底前完成"
    assert any(e.title.startswith("升级为") for e in entries if e.kind == "escalation")
    review = [e for e in entries if e.kind == "message" and e.title == "办结待审核"]
    assert review and review[0].deliveries[0].recipient == city.office.name


def test_units_see_only_their_own_messages(session: Session) -> None:
    city = make_city(session)
    code = make_task(session, city).code
    fire = act(city.fire_contact)
    acknowledge(session=session, task=code, actor=fire, now=T1)
    request_completion(session=session, task=code, actor=fire, evidence="验收单", now=T1)
    office_view = task_timeline(session=session, actor=act(city.office), code=code, now=T1)
    fire_view = task_timeline(session=session, actor=fire, code=code, now=T1)
    assert any(e.title == "办结待审核" for e in office_view)
    assert not any(e.title == "办结待审核" for e in fire_view)
    recipients = {d.recipient for e in fire_view for d in e.deliveries}
    assert recipients and recipients <= {city.fire_contact.name, city.fire_head.name}
    sent = session.exec(select(OutboxMessage)).all()
    assert len({m.recipient_id for m in sent}) > len(recipients)
    with pytest.raises(NotFound):
        task_timeline(session=session, actor=act(city.emerg_contact), code=code, now=T1)


def test_the_client_address_is_the_offices_to_see(session: Session) -> None:
    city = make_city(session)
    code = make_task(session, city).code
    web = Actor.of(city.fire_contact, Channel.WEB, wall_clock=datetime.now(UTC), client="10.1.2.3")
    acknowledge(session=session, task=code, actor=web, now=T1)
    office = task_timeline(session=session, actor=act(city.office), code=code, now=T1)
    own = task_timeline(session=session, actor=web, code=code, now=T1)
    assert [e.client for e in office if e.title == "签收"] == ["10.1.2.3"]
    assert [e.client for e in own if e.title == "签收"] == [None]


def test_a_message_follows_the_event_that_caused_it_at_the_same_moment(session: Session) -> None:
    """A simulated clock gives a whole day's work one moment: the order still reads right."""
    city = make_city(session)
    code = make_task(session, city, now=T1).code
    fire, same = act(city.fire_contact), T1 + timedelta(minutes=1)  # the moment of 交办
    acknowledge(session=session, task=code, actor=fire, now=same)
    request_completion(session=session, task=code, actor=fire, evidence="验收单", now=same)
    entries = task_timeline(session=session, actor=act(city.office), code=code, now=same)
    titles = [e.title for e in entries]
    assert titles.index("交办通知") == titles.index("交办") + 1
    assert titles.index("办结待审核") == titles.index("申请办结") + 1
    assert titles.index("登记事项") == 0
