"""Who supervises a task by its lead unit: the names a review shows before anything is stored
follow the very rule (:func:`engine.org.leaders.leader_id_of`) stored tasks are read with."""

from __future__ import annotations

from sqlmodel import Session

from engine.org.directory import find_unit
from engine.org.leaders import leader_id_of, scope_leaders, unit_leader_names
from engine.store.ids import pk
from models import Task
from tests.factories import ISSUED, make_city


def test_unit_references_give_the_leader_of_their_scope(session: Session) -> None:
    city = make_city(session)
    refs = ["FIRE", "市应急管理局", " 应急局 ", "住建局", "没有这个局", "", "消防\x00", "东城"]
    assert unit_leader_names(session, refs) == {"FIRE": "李占明", "市应急管理局": "李占明",
                                                "应急局": "李占明"}
    unnamed = Task(directive_id=pk(city.directive), code="DB-X", title="未写分管领导",
                   lead_unit_id=find_unit(session, "应急局").id, created_at=ISSUED,
                   updated_at=ISSUED)
    assert leader_id_of(unnamed, scope_leaders(session)) == city.vice_mayor.id


def test_a_short_name_of_several_units_names_no_leader(session: Session) -> None:
    from config.orgfile import UnitSpec
    from engine.org.setup import add_unit
    from tests.factories import operator

    make_city(session)
    add_unit(session=session, spec=UnitSpec.model_validate(
        {"code": "EMERG2", "name": "市应急指挥中心", "short_names": ["应急局"],
         "kind": "department"}), actor=operator(), now=ISSUED)
    assert unit_leader_names(session, ["应急局", "EMERG"]) == {"EMERG": "李占明"}
