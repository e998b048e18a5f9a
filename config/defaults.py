"""Policy defaults, each a named constant with its unit (the org/policy file may override them)."""

from __future__ import annotations

TIMEZONE = "Asia/Shanghai"
"""IANA zone in which dates are written, shown and the 15:00 summary is built."""

SUMMARY_TIME = "15:00"
"""Local time (HH:MM) of the daily scheduling summary (每天下午3点调度)."""

SUMMARY_DAYS = "every_day"
"""``every_day`` or ``working_days`` (official calendar, make-up days included)."""

WARNING_WINDOW_WORKDAYS = 3
"""Working days before the deadline at which a task's light turns yellow."""

PROGRESS_CADENCE_DAYS = 7
"""Calendar days without a progress report after which a unit is nudged."""

EXTENSION_CAP = 2
"""Approved extensions allowed per task."""

RECHECK_AFTER_DAYS = 30
"""Calendar days after close-out at which the 回头看 re-check falls due."""

QUIET_HOURS = ("22:00", "07:00")
"""Local quiet hours: non-urgent pushes wait until the end of the window."""

DUE_DAY_MORNING = "09:00"
"""Local time of the reminder on the morning of the due day."""

REMINDERS_WORKDAYS_BEFORE = (3, 1)
"""Working days before the deadline at which reminders go out (normal and high priority)."""

LEVEL_AFTER_WORKDAYS = (1, 2, 5)
"""Working days overdue at which levels 1 催办, 2 督办, 3 通报 are reached."""

URGENT_REMINDER_MINUTES_BEFORE = (15,)
"""Minutes before the deadline of an urgent item at which it is reminded."""

URGENT_LEVEL_AFTER_MINUTES = (0, 0, 60)
"""Minutes overdue at which an urgent item reaches levels 1, 2 and 3."""

DISPATCH_MAX_ATTEMPTS = 8
"""Delivery attempts before a message becomes a dead letter."""

DISPATCH_BACKOFF_BASE_SECONDS = 30.0
"""First retry delay in seconds; doubles per attempt."""

DISPATCH_BACKOFF_MAX_SECONDS = 3600.0
"""Upper bound of the retry delay in seconds."""

MISFIRE_GRACE_SECONDS = 3600
"""Seconds a scheduled job may start late (APScheduler's default of 1 s would skip it)."""

LEADERS_SEE_ALL = False
"""Whether every leader reads every task (``True``), or only top leaders do and the others their
分管 scope: units they supervise, tasks they supervise, their own instructions."""

BINDING_CODE_TTL_HOURS = 48
"""Hours a Telegram binding code stays valid."""

EVIDENCE_MAX_FILE_MB = 20
"""Megabytes (MiB) allowed per evidence file: a phone photo is 2–8 MB, a scanned report a few
MB; and 20 MB is the most the Telegram Bot API lets a bot download, so a larger limit could not
be honoured for files sent to the bot anyway."""

EVIDENCE_MAX_REPORT_MB = 50
"""Megabytes (MiB) allowed for all the files of one report or request together (an album of
ten phone photos)."""

EVIDENCE_MAX_FILES = 10
"""Files allowed with one report or request (a Telegram album holds at most ten)."""

COMPLETION_FILE_REQUIRED = {"urgent": False, "high": False, "normal": False}
"""Whether 申请办结 must carry at least one file, per priority. Off by default so that upgrading
a database does not stop work already under way; the example configuration (which new
installations start from) requires a file for 加急 and 普通 items."""

PASSWORD_MIN_CHARS = 10
"""Characters a web console password must have at least."""

PASSWORD_MAX_CHARS = 256
"""Characters a web console password may have at most (argon2 hashes any length; this bounds the
work one login request can cause)."""

WEB_INVITE_TTL_HOURS = 72
"""Hours a web invite link (choose your password) stays valid; it works once."""

LOGIN_MAX_FAILURES = 5
"""Failed logins, within ``LOGIN_FAILURE_WINDOW_MINUTES``, that lock an account name or a client
address."""

LOGIN_FAILURE_WINDOW_MINUTES = 10
"""Minutes over which failed logins are counted."""

LOGIN_LOCK_MINUTES = 15
"""Minutes a lock lasts, counted from the failure that caused it."""
