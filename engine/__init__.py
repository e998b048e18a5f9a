"""The duban engine: every rule, every permission check and every write.

Front ends (``cli``, ``bot``, ``flows``, ``web``) pass the acting person and the moment to these
services and render what they return; nothing here imports a front end or a UI library.

Subpackages, by concern:

- ``store``      database engines, schema migrations, the transaction wrapper, leases, codes, policy
- ``calendar``   working days, deadline forms, lights, time formatting
- ``org``        units, people, directory look-ups, Telegram binding, permissions
- ``tasks``      lifecycle, directives, task creation and assignment, actions, extensions, 回头看, audit
- ``escalation`` the ladder and the escalation pass
- ``outbox``     queued notifications, recipients, message text, dispatch, the channel protocol
- ``read``       task lists, the board, task detail
- ``summary``    the daily 15:00 summary: figures, rendering, the daily run
- ``intake``     document analysis and applying its drafts
- ``reports``    the Excel ledger and import, the monthly bulletin

``errors`` holds the domain exceptions; ``labels`` the Chinese labels of stored values.
"""
