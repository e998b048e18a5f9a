"""The organisation as the office reads it: units, people with their roles and channels, and the
policy in force.

Guarantees:

- only the office (admin, office, the operator) reads these: they name every person's
  channels and the rules every escalation follows;
- nothing secret leaves: a channel address (an Apprise URL may embed a token or a password) is
  shown by its scheme only, a Telegram binding as bound or not, a web account by whether a
  password is set and when — never a hash, a code or a token;
- pending one-time codes and invite links are reported as pending (unused and unexpired at
  ``now``), never shown again;
- nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from config.policy import Policy
from engine.errors import NotFound
from engine.inputs import fits_db_int
from engine.org.actors import Actor
from engine.org.permissions import require_office
from engine.read.schemas import Schema
from engine.store.policy import get_policy, zone_for
from engine.values import Role, UnitKind, label_of
from models import BindingCode, LeaderScope, Person, Unit, WebAccount, WebInvite


@dataclass(slots=True)
class UnitEntry(Schema):
    id: int
    code: str
    name: str
    kind: str
    kind_label: str
    parent: str | None
    short_names: list[str]
    leaders: list[str]
    """Leaders who supervise (分管) the unit."""
    people: int
    """Active people of the unit."""


@dataclass(slots=True)
class PersonEntry(Schema):
    id: int
    name: str
    title: str
    unit: str | None
    roles: list[Role]
    top_leader: bool
    active: bool
    telegram_bound: bool
    email: str | None
    channels: list[str]
    """The schemes of the person's other channels ("mailto", "dingtalk"), in order."""
    unreachable_at: datetime | None
    unreachable_reason: str | None
    password_set_at: datetime | None
    """When the web password was last set (``None``: no web login yet)."""
    binding_pending: bool
    """An unused, unexpired Telegram binding code exists."""
    web_invite_pending: bool
    """An unused, unexpired web invite link exists."""
    supervises: list[str] = field(default_factory=list)
    """Units the person supervises (分管), for leaders."""


@dataclass(slots=True)
class OrgView(Schema):
    units: list[UnitEntry]
    people: list[PersonEntry]


def _scheme(url: str) -> str:
    scheme, sep, _ = url.partition("://")
    return scheme.lower() if sep and scheme.isascii() and scheme.isalnum() else "其他"


def _pending(session: Session, table: Any, now: datetime) -> set[int]:
    rows = session.exec(select(table.person_id).where(
        col(table.used_at).is_(None), col(table.expires_at) > now)).all()
    return set(rows)


def org_directory(*, session: Session, actor: Actor, now: datetime) -> OrgView:
    """Every unit and person (inactive ones too, marked), for the office."""
    require_office(actor, "查看组织机构和人员")
    tz = zone_for(get_policy(session))
    units = list(session.exec(select(Unit).order_by(col(Unit.code))).all())
    names = {u.id: u.name for u in units}
    people = list(session.exec(select(Person).order_by(col(Person.unit_id), col(Person.id))).all())
    person_names = {p.id: p.name for p in people}
    scopes = session.exec(select(LeaderScope)).all()
    accounts = {a.person_id: a.password_set_at for a in session.exec(select(WebAccount)).all()}
    codes, invites = _pending(session, BindingCode, now), _pending(session, WebInvite, now)

    def local(value: datetime | None) -> datetime | None:
        return value.astimezone(tz) if value is not None else None

    unit_rows = [UnitEntry(
        id=u.id or 0, code=u.code, name=u.name, kind=u.kind,
        kind_label=label_of(UnitKind, u.kind, u.kind), parent=names.get(u.parent_id),
        short_names=list(u.short_names),
        leaders=[person_names.get(s.person_id, "") for s in scopes if s.unit_id == u.id],
        people=sum(1 for p in people if p.unit_id == u.id and p.active)) for u in units]
    person_rows = [PersonEntry(
        id=p.id or 0, name=p.name, title=p.title, unit=names.get(p.unit_id),
        roles=[m for r in p.roles if (m := Role.parse(r)) is not None],
        top_leader=p.top_leader, active=p.active, telegram_bound=p.telegram_chat_id is not None,
        email=p.email, channels=[_scheme(c) for c in p.channels],
        unreachable_at=local(p.unreachable_at), unreachable_reason=p.unreachable_reason,
        password_set_at=local(accounts.get(p.id or 0)), binding_pending=p.id in codes,
        web_invite_pending=p.id in invites,
        supervises=[names.get(s.unit_id, "") for s in scopes if s.person_id == p.id])
        for p in people]
    return OrgView(units=unit_rows, people=person_rows)


def office_person(*, session: Session, actor: Actor, person_id: int) -> Person:
    """The person ``person_id`` (inactive ones too), for an office action on them; a missing
    one is :class:`NotFound`."""
    require_office(actor, "管理人员")
    person = session.get(Person, person_id) if fits_db_int(person_id) else None
    if person is None:
        raise NotFound(f"未找到人员（编号 {person_id}）")
    return person


def policy_view(*, session: Session, actor: Actor) -> Policy:
    """The policy in force (the stored one, or the defaults), for the office."""
    require_office(actor, "查看督办规则")
    return get_policy(session)
