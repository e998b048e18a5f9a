"""Two people acting at the same moment, without timing: each acts in its own session and
thread, released together by a barrier; a refusal is returned, not raised.

``load`` is what the person's request read before acting (the web console reads the task page
— the task, its units, its requests — in the same transaction as the action). Where reads never
wait (PostgreSQL) both requests read before either acts, which is the interleaving that exposes
a check made on what was read before the write lock; on SQLite the first read of a write
transaction already takes the write lock (``BEGIN IMMEDIATE``), so each request reads in its
own turn.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

Act = Callable[[Session], Any]
JOIN_LIMIT = 30.0
"""Seconds a racing thread may take before the test gives up on it (a hang is a failure)."""


def race(engine: Engine, acts: Sequence[Act], load: Act | None = None) -> list[Any]:
    """Run every act at once, each in its own session; return each one's result or exception."""
    sessions = [Session(engine, expire_on_commit=False) for _ in acts]
    early = load is not None and engine.dialect.name != "sqlite"
    if early:
        for session in sessions:
            load(session)  # type: ignore[misc]
    start = threading.Barrier(len(acts))
    results: list[Any] = [None] * len(acts)

    def run(i: int) -> None:
        try:
            start.wait(timeout=JOIN_LIMIT)
            if load is not None and not early:
                load(sessions[i])
            results[i] = acts[i](sessions[i])
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(acts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=JOIN_LIMIT)
    try:
        assert not any(t.is_alive() for t in threads), "a racing action never finished"
    finally:
        for session in sessions:
            session.close()
    return results


def refusals(results: Sequence[Any]) -> list[BaseException]:
    return [r for r in results if isinstance(r, BaseException)]
