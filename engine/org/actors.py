"""Who acts: a person, the server's operator at the command line, or the system's own jobs.

Every engine service takes an :class:`Actor`. Nobody is a superuser by default: a person may do
what their roles allow (:mod:`engine.org.permissions`, :mod:`engine.org.visibility`); the
**operator** — whoever runs ``duban`` on the server without ``--as``, and so holds the database
anyway — acts with the office's rights and is recorded as ``系统操作员(USER)``; the **system**
(scheduler jobs) runs the escalation pass, recurring tasks and the daily summary, and nothing a
person does.

An actor also carries what the audit trail records about the request: the channel it came
through (cli, bot, web, scheduler), the web client's address, and the real wall-clock time of
the request. The front end reads that clock and passes it in: the engine never reads the clock,
and on a production database it refuses to act at a moment far from it (``engine.store.mode``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from engine.values import Channel, Role
from models import Person


class ActorKind(StrEnum):
    PERSON = "person"
    OPERATOR = "operator"
    SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    """The acting party of one request (see the module docstring)."""

    kind: ActorKind
    channel: Channel
    person: Person | None = None
    operator: str | None = None
    """The operating-system user running the CLI, for the operator."""
    client: str | None = None
    """The web client's address (web requests only)."""
    wall_clock: datetime | None = None
    """The real time of the request, read by the front end (required by every audited write)."""

    @classmethod
    def of(cls, person: Person, channel: Channel, *, wall_clock: datetime | None,
           client: str | None = None) -> Actor:
        """``person`` acting through ``channel``."""
        return cls(ActorKind.PERSON, channel, person=person, client=client, wall_clock=wall_clock)

    @classmethod
    def cli_operator(cls, user: str, *, wall_clock: datetime | None) -> Actor:
        """The operator at the server's command line, known by the OS user name."""
        return cls(ActorKind.OPERATOR, Channel.CLI, operator=user or "unknown",
                   wall_clock=wall_clock)

    def clock(self) -> datetime:
        """The wall clock of the request (a programming error if the front end gave none)."""
        if self.wall_clock is None:
            raise RuntimeError("the actor carries no wall clock: build it with Actor.at(...)")
        return self.wall_clock

    def at(self, wall_clock: datetime) -> Actor:
        """The same actor for a request made at ``wall_clock`` (e.g. ``SYSTEM.at(now)``)."""
        return replace(self, wall_clock=wall_clock)

    @property
    def name(self) -> str:
        """How the audit trail and messages name the actor."""
        if self.person is not None:
            return self.person.name
        if self.kind is ActorKind.OPERATOR:
            return f"系统操作员({self.operator})"
        return "系统"

    @property
    def person_id(self) -> int | None:
        return self.person.id if self.person is not None else None

    @property
    def unit_id(self) -> int | None:
        return self.person.unit_id if self.person is not None else None

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(self.person.roles) if self.person is not None else frozenset()

    def has(self, *roles: Role) -> bool:
        """Whether the person holds any of ``roles`` (never true for the operator or system)."""
        return bool(self.roles & set(roles))

    @property
    def is_person(self) -> bool:
        return self.kind is ActorKind.PERSON

    @property
    def is_system(self) -> bool:
        return self.kind is ActorKind.SYSTEM

    @property
    def acts_as_office(self) -> bool:
        """The office's rights: an admin or office person, or the server's operator."""
        return self.kind is ActorKind.OPERATOR or self.has(Role.ADMIN, Role.OFFICE)

    @property
    def sees_everything(self) -> bool:
        """No read is narrowed: the office, the operator and the system's own jobs."""
        return self.acts_as_office or self.is_system


SYSTEM = Actor(ActorKind.SYSTEM, Channel.SCHEDULER)
"""The scheduler's jobs (escalation pass, recurring tasks, 回头看 notices, daily summary); use
``SYSTEM.at(now_from_the_real_clock)`` for a write."""
