"""Reminders and escalation: the ladder of steps per priority (``ladder``: reminders before the
deadline, 催办 → 督办 → 通报 after it), one pass over due tasks that queues what fell due
(``run``), and the pass's other work — next occurrences of recurring tasks and due 回头看
(``scheduled_work``); ``planned`` is what a pass reports.
"""
