"""Organisation tables: units, people, leaders' scopes and Telegram binding codes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Column, String, UniqueConstraint
from sqlmodel import Field

from models.base import Model
from models.types import UTCDateTime


class UnitBase(Model):
    code: str = Field(sa_type=String(32), unique=True, index=True)
    name: str = Field(sa_type=String(128), unique=True)
    kind: str = Field(default="department", sa_type=String(16))
    short_names: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class Unit(UnitBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    parent_id: int | None = Field(default=None, foreign_key="unit.id", index=True)


class PersonBase(Model):
    name: str = Field(sa_type=String(64), index=True)
    title: str = Field(default="", sa_type=String(64))
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    aliases: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    email: str | None = Field(default=None, sa_type=String(256))
    top_leader: bool = False
    # Ordered Apprise URLs ("mailto://…", "dingtalk://…"); tried in order after Telegram.
    channels: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class Person(PersonBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    telegram_chat_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, unique=True, nullable=True)
    )
    unreachable_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    unreachable_reason: str | None = Field(default=None, sa_type=String(256))
    active: bool = True


class LeaderScope(Model, table=True):
    """A unit a leader supervises (分管): drives the leader's 15:00 summary scope."""

    __tablename__ = "leader_scope"
    person_id: int = Field(foreign_key="person.id", primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", primary_key=True)


class BindingCode(Model, table=True):
    """One-time code that binds a Telegram chat to a person (`duban person invite`)."""

    __tablename__ = "binding_code"
    __table_args__ = (UniqueConstraint("code_hash"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    code_hash: str = Field(sa_type=String(64))
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    used_by_chat: int | None = Field(default=None, sa_type=BigInteger)
