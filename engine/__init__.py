"""The duban engine: every rule, every permission check and every write.

Front ends (``cli``, ``bot``, ``flows``, ``web``) pass the acting person and the moment to these
services and render what they return; nothing here imports a front end or a UI library.

Subpackages, by concern:

- ``store``      database engines, schema migrations, the transaction wrapper, leases, codes, policy
- ``calendar``   working days, deadline forms, lights, time formatting
- ``org``        units, people, directory look-ups, Telegram binding, web accounts and logins,
                 permissions
- ``tasks``      lifecycle, directives, task creation and assignment, splitting a directive into
                 tasks, actions, extensions, 回头看, audit
- ``escalation`` the ladder and the escalation pass
- ``outbox``     queued notifications, recipients, message text, dispatch, the channel protocol
- ``read``       task lists, the board, task detail, the list of sources and their 跟批 trees
- ``summary``    the daily 15:00 summary: figures, rendering, the daily run
- ``intake``     document analysis and applying its drafts
- ``reports``    the Excel ledger and import, the monthly bulletin

``errors`` holds the domain exceptions; ``values`` the typed stored values (StrEnums) with their
Chinese labels.

Who acts is an :class:`engine.org.actors.Actor` — a person through a channel (cli, bot, web),
the server's operator at the command line, or the system's scheduled jobs; nobody is a
superuser by default. Time is a parameter (``now``); only a simulation database accepts one far
from the real clock (:mod:`engine.store.mode`).
"""

from __future__ import annotations

SERVICES: dict[str, str] = {
    # tasks: the write side
    "create_directive": "engine.tasks.directives",
    "create_task": "engine.tasks.creation",
    "assign_task": "engine.tasks.creation",
    "split_directive": "engine.tasks.split",
    "edit_task": "engine.tasks.editing",
    "acknowledge": "engine.tasks.actions",
    "report_progress": "engine.tasks.actions",
    "request_completion": "engine.tasks.actions",
    "verify_and_close": "engine.tasks.actions",
    "return_task": "engine.tasks.actions",
    "cancel_task": "engine.tasks.actions",
    "request_extension": "engine.tasks.extensions",
    "decide_extension": "engine.tasks.extensions",
    "schedule_recheck": "engine.tasks.rechecks",
    "record_recheck": "engine.tasks.rechecks",
    "verify_chain": "engine.tasks.audit",
    # organisation
    "add_unit": "engine.org.setup",
    "add_person": "engine.org.setup",
    "load_org": "engine.org.setup",
    "mark_simulation": "engine.org.setup",
    "create_invite": "engine.org.binding",
    "bind_chat": "engine.org.binding",
    # web console accounts
    "set_password": "engine.org.accounts",
    "create_web_invite": "engine.org.accounts",
    "accept_web_invite": "engine.org.accounts",
    "change_password": "engine.org.accounts",
    "authenticate": "engine.org.login",
    "session_person": "engine.org.login",
    # reads
    "visible_tasks": "engine.read.tasks",
    "count_visible": "engine.read.tasks",
    "board": "engine.read.tasks",
    "home_overview": "engine.read.overview",
    "view_filters": "engine.read.views",
    "task_detail": "engine.read.detail",
    "task_timeline": "engine.read.timeline",
    "available_actions": "engine.tasks.available",
    "directive_tree": "engine.read.directives",
    "visible_directives": "engine.read.directive_list",
    "summary_for": "engine.summary.build",
    "scoped_summary": "engine.summary.scopes",
    "summary_scopes": "engine.summary.scopes",
    "summary_history": "engine.summary.history",
    "past_summary": "engine.summary.history",
    "org_directory": "engine.org.views",
    "office_person": "engine.org.views",
    "policy_view": "engine.org.views",
    "outbox_rows": "engine.outbox.views",
    "outbox_stats": "engine.outbox.views",
    # scheduled work and operations
    "run_pass": "engine.escalation.run",
    "urge_tasks": "engine.escalation.urge",
    "notify_due_rechecks": "engine.escalation.scheduled_work",
    "run_daily_summary": "engine.summary.daily",
    "scheduled_summary": "engine.summary.daily",
    "requeue": "engine.outbox.dispatch",
    # evidence files
    "readable_file": "engine.files.access",
    "export_file": "engine.files.access",
    # documents
    "analyse": "engine.intake.apply",
    "apply_drafts": "engine.intake.apply",
    "import_task_list": "engine.reports.importer",
    "export_ledger": "engine.reports.ledger",
    "build_bulletin": "engine.reports.bulletin",
}
"""The public services, each by the module that defines it (imported on use, so that importing
``engine`` costs nothing). Every one takes ``session=`` and ``actor=`` (an
:class:`engine.org.actors.Actor`) as keywords and checks what that actor may see and do;
``tests/engine/org/test_permissions.py`` runs each against every role."""


def service(name: str) -> object:
    """The service function ``name`` (see :data:`SERVICES`)."""
    import importlib

    return getattr(importlib.import_module(SERVICES[name]), name)
