"""available_actions: what each person is offered follows permissions, lifecycle and state."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from engine.errors import NotFound
from engine.org.actors import Actor
from engine.tasks.actions import acknowledge, request_completion, verify_and_close
from engine.tasks.available import available_actions
from engine.tasks.extensions import request_extension
from tests.factories import ISSUED, City, act, make_city, make_task, operator

T1 = ISSUED + timedelta(hours=2)


def _offered(session: Session, who: Actor, code: str) -> list[str]:
    return [o.label for o in available_actions(session=session, actor=who, code=code, now=T1)]


def test_each_role_is_offered_what_it_may_do_on_an_assigned_task(session: Session) -> None:
    city = make_city(session)
    code = make_task(session, city).code
    assert _offered(session, act(city.fire_contact), code) == ["签收", "申请延期"]
    assert _offered(session, act(city.housing_contact), code) == ["签收"]
    office = ["代签收（市消防救援支队）", "代签收（市住房和城乡建设局）", "撤销"]
    assert _offered(session, act(city.office), code) == office
    assert _offered(session, operator(), code) == office
    assert _offered(session, act(city.vice_mayor), code) == ["跟批"]
    assert _offered(session, act(city.secretary), code) == ["跟批"]
    with pytest.raises(NotFound):
        _offered(session, act(city.emerg_contact), code)


def test_offers_follow_the_lifecycle(session: Session) -> None:
    city = make_city(session)
    code = make_task(session, city).code
    fire, office = act(city.fire_contact), act(city.office)
    acknowledge(session=session, task=code, actor=fire, now=T1)
    assert _offered(session, fire, code) == ["反馈进展", "申请办结", "申请延期"]
    assert "代签收（市消防救援支队）" not in _offered(session, office, code)
    assert "代反馈（市消防救援支队）" in _offered(session, office, code)
    request_extension(session=session, task=code, actor=fire, new_due="5月31日前",
                      reason="设备未到货", now=T1)
    assert _offered(session, fire, code) == ["反馈进展", "申请办结"]
    offers = available_actions(session=session, actor=office, code=code, now=T1)
    decisions = [o for o in offers if o.action.endswith("_extension")]
    assert [o.label for o in decisions] == ["批准延期", "驳回延期"]
    assert decisions[0].request_id is not None
    request_completion(session=session, task=code, actor=fire, evidence="验收单", now=T1)
    assert _offered(session, fire, code) == []
    assert _offered(session, office, code)[:2] == ["审核销号", "退回"]
    verify_and_close(session=session, task=code, actor=office, rating="合格", now=T1)
    assert _offered(session, office, code) == ["回头看"]
    assert _offered(session, fire, code) == []


def test_a_draft_is_offered_for_assignment_only_when_complete(session: Session) -> None:
    city: City = make_city(session)
    office = act(city.office)
    ready = make_task(session, city, assign=False).code
    assert _offered(session, office, ready) == ["交办", "撤销"]
    bare = make_task(session, city, assign=False, due=None).code
    assert _offered(session, office, bare) == ["撤销"]
