"""Web console accounts: a password per person, login attempts, one-time web invites."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, UniqueConstraint
from sqlmodel import Field

from models.base import Model
from models.types import UTCDateTime


class WebAccount(Model, table=True):
    """The web login of one person of the directory (at most one per person).

    ``session_version`` is copied into every session cookie; raising it ends every session
    signed with an older value (a password change, a reset).
    """

    __tablename__ = "web_account"
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", unique=True)
    password_hash: str = Field(sa_type=String(255))
    """The argon2id hash in PHC form ("$argon2id$v=19$..."); never the password."""
    session_version: int = 1
    password_set_at: datetime = Field(sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)


class LoginAttempt(Model, table=True):
    """One try at logging in (or at confirming the current password), kept for throttling.

    ``name_key`` is the claimed name as normalised by :mod:`engine.org.login` (an unknown name
    is recorded like a known one); ``person_id`` is the account it resolved to, if any.
    """

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_name_at", "name_key", "at"),
        Index("ix_login_attempt_client_at", "client", "at"),
        Index("ix_login_attempt_person_at", "person_id", "at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    name_key: str = Field(sa_type=String(200))
    person_id: int | None = Field(default=None, foreign_key="person.id")
    client: str = Field(sa_type=String(64))
    at: datetime = Field(sa_type=UTCDateTime)
    succeeded: bool


class WebInvite(Model, table=True):
    """A one-time link that lets a person choose their web password; stored as the token's
    SHA-256 only."""

    __tablename__ = "web_invite"
    __table_args__ = (UniqueConstraint("token_hash"),)
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(sa_type=String(64))
    person_id: int = Field(foreign_key="person.id", index=True)
    created_by_id: int | None = Field(default=None, foreign_key="person.id")
    """The office person who issued it (``None``: the server's operator)."""
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
