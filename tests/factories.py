"""Plain factory functions: a small city and tasks in it, through the engine services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from config.orgfile import PersonSpec, UnitSpec
from engine.org.actors import SYSTEM, Actor
from engine.org.setup import add_person, add_unit
from engine.store.ids import pk
from engine.tasks.creation import assign_task, create_task
from engine.tasks.directives import create_directive
from engine.values import Channel
from models import Directive, DirectiveCreate, Person, Task, TaskCreate

TZ = ZoneInfo("Asia/Shanghai")
ISSUED = datetime(2024, 3, 4, 9, 0, tzinfo=TZ)


def act(person: Person, channel: Channel = Channel.CLI) -> Actor:
    """``person`` acting through ``channel`` (the CLI by default), at the real clock."""
    return Actor.of(person, channel, wall_clock=datetime.now(UTC))


def operator() -> Actor:
    """The server's operator at the command line (the office's rights)."""
    return Actor.cli_operator("tester", wall_clock=datetime.now(UTC))


def system() -> Actor:
    """The scheduler's jobs."""
    return SYSTEM.at(datetime.now(UTC))


def at(day: str, hhmm: str = "10:00") -> datetime:
    """A local moment, e.g. ``at("2024-03-05", "15:00")``."""
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=TZ)


@dataclass
class City:
    office: Person
    secretary: Person
    vice_mayor: Person
    fire_contact: Person
    fire_head: Person
    housing_contact: Person
    emerg_contact: Person
    directive: Directive


UNITS = [
    ("FIRE", "市消防救援支队", ["消防", "消防支队"], "department"),
    ("HOUSING", "市住房和城乡建设局", ["住建", "住建局"], "department"),
    ("EMERG", "市应急管理局", ["应急", "应急局"], "department"),
    ("D1", "东城区", ["东城"], "district"),
]


def make_city(session: Session, now: datetime = ISSUED) -> City:
    """Four units, an office clerk, two leaders and unit people; one instruction directive."""
    for code, name, short, kind in UNITS:
        add_unit(session=session, spec=UnitSpec.model_validate(
            {"code": code, "name": name, "short_names": short, "kind": kind}),
                 actor=operator(), now=now)

    def person(name: str, title: str, roles: list[str], unit: str | None = None, **kw: object) -> Person:
        spec = PersonSpec(name=name, title=title, roles=roles, unit=unit, **kw)  # type: ignore[arg-type]
        return add_person(session=session, spec=spec, actor=operator(), now=now)

    office = person("赵督查", "督查室主任", ["office"])
    secretary = person("王炳森", "书记", ["leader"], top_leader=True, telegram_chat=9001)
    vice = person("李占明", "副市长", ["leader"], supervises=["FIRE", "EMERG"], telegram_chat=9002)
    fire_contact = person("张联络", "科员", ["unit_contact"], "FIRE", telegram_chat=1001)
    fire_head = person("陈支队", "支队长", ["unit_head"], "FIRE", telegram_chat=1002)
    housing = person("刘住建", "科长", ["unit_contact"], "HOUSING", telegram_chat=2001)
    emerg = person("孙应急", "科长", ["unit_contact"], "EMERG", telegram_chat=3001)
    directive = create_directive(
        session=session,
        data=DirectiveCreate(kind="instruction", title="九小场所消防隐患整治", text="请认真落实。",
                             issued_by_id=secretary.id, issued_at=now),
        actor=act(office), now=now,
    )
    return City(office, secretary, vice, fire_contact, fire_head, housing, emerg, directive)


def make_task(
    session: Session, city: City, *, due: str | None = "3月31日前", lead: str = "FIRE",
    co: list[str] | None = None, priority: str = "normal", assign: bool = True,
    now: datetime = ISSUED, title: str = "开展九小场所隐患排查", **extra: object,
) -> Task:
    """A task under the city's directive, assigned unless ``assign=False``."""
    data = TaskCreate(directive_id=pk(city.directive), title=title, lead_unit=lead,
                      co_units=co if co is not None else ["HOUSING"], due=due, priority=priority,
                      leader="李占明", **extra)  # type: ignore[arg-type]
    task = create_task(session=session, data=data, actor=act(city.office), now=now)
    if assign:
        task = assign_task(session=session, task=task.code, actor=act(city.office),
                           now=now + timedelta(minutes=1))
    return task
