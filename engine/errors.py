"""Domain errors of duban.

Every error the engine raises on purpose derives from :class:`DubanError`; its ``str()`` is a
complete Simplified Chinese sentence fit to show a user as is. Boundaries (CLI, bot, flows) catch
``DubanError`` and show the message; anything else is a bug and is logged, never shown raw.

The tree::

    DubanError
    ├── InvalidInput                  bad value typed or sent by a user          (CLI exit 1)
    │   ├── DeadlineParseError        a deadline expression we cannot resolve
    │   ├── AmbiguousReference        a name or alias matching several records
    │   ├── FileRejected              a file refused for what it is: unrecognised type, an
    │   │                             executable, broken or truncated, empty
    │   └── RowsRefused               rows of a several-row entry refused, each with its reason
    ├── NotFound                      unknown unit / person / task / directive …
    ├── PermissionDenied              the actor's roles or unit do not allow the action
    ├── AuthenticationFailed          wrong name or password (one message for both)
    │   └── LoginLocked               too many failures: the name or address is locked a while
    ├── InvalidTransition             lifecycle move not in the transition table
    ├── PolicyViolation               allowed move refused by policy (extension cap …)
    │   ├── FileTooLarge              a file or a report's files over the policy's size limits
    │   └── EvidenceRequired          申请办结 without the file the policy requires
    ├── Conflict                      duplicate code, already bound, already used …
    ├── AlreadyRunning                a second scheduler tried to own the job store
    ├── AuditChainBroken              hash chain verification found a tampered event
    ├── FileCorrupted                 a stored file no longer matches its hash
    └── DeliveryError                 a notifier could not deliver a message
        ├── RateLimited               the channel asked us to wait ``retry_after`` seconds
        ├── RecipientUnreachable      permanent: blocked bot, unknown chat, bad address
        └── TransientDeliveryError    network trouble or 5xx: outcome unknown, retry later

A message names no control of any front end (no CLI option, no button): it says what is
missing or what would resolve the refusal in words every user understands. Where a front end has
its own way to do that, the error carries a :class:`Remedy` and the front end adds its hint at
its boundary (the CLI its options and commands: :mod:`cli.hints`).

Beside the tree, :class:`config.errors.ConfigError` (an invalid org/policy file or option value:
file, field, value) is raised where configuration is read — ``config/`` imports nothing of the
engine — and front ends refuse it like :class:`InvalidInput`.
"""

from __future__ import annotations

from enum import StrEnum


class Remedy(StrEnum):
    """What would resolve a refusal, named for no front end in particular."""

    PARENT_DIRECTIVE = "parent_directive"
    """Name the instruction a 跟批 follows."""
    PERSON_UNIT = "person_unit"
    """Give the unit of a unit head or contact."""
    FOR_UNIT = "for_unit"
    """Name the unit the office acts for (代签收 …)."""
    ACT_AS_PERSON = "act_as_person"
    """Act as a named person."""
    ALLOW_SAME_NAME = "allow_same_name"
    """Confirm registering a second person of the same name."""
    EDIT_TASK = "edit_task"
    """Complete or correct the task (its lead unit, its deadline …) first."""
    ALLOW_PAST_DUE = "allow_past_due"
    """Correct the deadline first, or confirm assigning a task already overdue."""
    EDIT_FIELDS = "edit_fields"
    """Give at least one field to change."""
    APPLY_AGAIN = "apply_again"
    """Confirm applying the same content again."""
    SKIP_OR_FIX_ITEMS = "skip_or_fix_items"
    """Leave out, or correct, the refused items (:class:`RowsRefused`)."""
    LIST_UNITS = "list_units"
    """Look the unit up among the registered ones."""
    LIST_PEOPLE = "list_people"
    """Look the person up among the registered ones."""
    SIMULATION = "simulation"
    """Rehearse on a simulation database instead."""


class DubanError(Exception):
    """Base of every deliberate engine error; ``str(err)`` is a Chinese user message, complete
    without ``remedy`` (which a front end may add its own hint for)."""

    def __init__(self, message: str, *, remedy: Remedy | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.remedy = remedy

    def __str__(self) -> str:
        return self.message


class InvalidInput(DubanError):
    """A value given by a user is malformed or impossible."""


class DeadlineParseError(InvalidInput):
    """A deadline expression cannot be resolved to a date."""

    def __init__(self, text: str, reason: str = "") -> None:
        detail = f"：{reason}" if reason else ""
        super().__init__(f"无法识别的完成时限“{text}”{detail}")
        self.text = text


class AmbiguousReference(InvalidInput):
    """A name or alias matches more than one record."""


class FileRejected(InvalidInput):
    """A file refused for its content: unrecognised, executable, broken, truncated or empty."""


class RowsRefused(InvalidInput):
    """Some rows of an entry made of several rows (splitting a directive into tasks) were
    refused; ``rows`` maps each row's number (from 1) to its reason. Nothing was stored."""

    def __init__(self, rows: dict[int, str], what: str, message: str | None = None, *,
                 remedy: Remedy | None = None) -> None:
        lines = [f"第{n}行：{reason}" for n, reason in sorted(rows.items())]
        super().__init__(message or "\n".join([f"以下{what}未能登记，全部未登记：", *lines]),
                         remedy=remedy)
        self.rows = dict(rows)


class NotFound(DubanError):
    """A referenced record does not exist."""


class PermissionDenied(DubanError):
    """The actor may not perform this action."""


class AuthenticationFailed(DubanError):
    """A login (or a confirmation of the current password) that did not prove who is asking.

    Wrong name and wrong password give the same message, so nobody learns which names exist.
    """


class LoginLocked(AuthenticationFailed):
    """Too many failed logins for this name or from this address: refused, even with the right
    password, for ``retry_after`` seconds."""

    def __init__(self, retry_after: float, message: str) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class InvalidTransition(DubanError):
    """A lifecycle move that the transition table does not allow."""

    def __init__(self, current: str, to: str, action: str = "") -> None:
        from engine.values import TaskStatus, label_of  # local: values imports nothing heavy

        cur = label_of(TaskStatus, current)
        tgt = label_of(TaskStatus, to)
        what = f"“{action}”" if action else f"转为“{tgt}”"
        super().__init__(f"当前状态为“{cur}”，不能{what}")
        self.current = current
        self.to = to


class PolicyViolation(DubanError):
    """An action the lifecycle allows but the office policy refuses."""


class FileTooLarge(PolicyViolation):
    """A file, or the files of one report together, exceed the policy's limits."""


class EvidenceRequired(PolicyViolation):
    """The policy requires at least one evidence file with this completion request."""


class Conflict(DubanError):
    """The record already exists or the one-time thing was already used."""


class AlreadyRunning(DubanError):
    """Another scheduler already owns the job store."""


class AuditChainBroken(DubanError):
    """The audit hash chain does not verify."""

    def __init__(self, event_id: int, reason: str) -> None:
        super().__init__(f"审计链校验失败：第 {event_id} 号事件{reason}")
        self.event_id = event_id


class FileCorrupted(DubanError):
    """A stored file's content no longer hashes to its address."""


class DeliveryError(DubanError):
    """A notifier failed to deliver a message."""


class RateLimited(DeliveryError):
    """The channel asked us to wait before sending again."""

    def __init__(self, retry_after: float, message: str = "") -> None:
        super().__init__(message or f"发送过于频繁，需等待 {retry_after:g} 秒后重试")
        self.retry_after = retry_after


class RecipientUnreachable(DeliveryError):
    """Permanent failure: the recipient cannot be reached on this channel."""


class TransientDeliveryError(DeliveryError):
    """Temporary failure whose outcome is unknown; the message will be retried."""
