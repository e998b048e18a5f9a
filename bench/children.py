"""One measurement per process, so that peak memory belongs to that work alone.

    python bench/children.py NAME URL [ARG]

prints one JSON object: ``seconds`` (the timed part; imports and connecting happen before the
clock starts) and ``peak_mb``, plus what the measurement counted.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import floors
from bench.common import NOW


def _session(url: str) -> Any:
    from sqlalchemy.orm import configure_mappers
    from sqlmodel import Session

    import models  # noqa: F401
    from engine.store.db import make_engine

    configure_mappers()
    engine = make_engine(url)
    with engine.connect():
        pass
    return Session(engine, expire_on_commit=False)


def escalation(url: str, _arg: str) -> dict[str, Any]:
    """The engine's pass at NOW, then a second pass with nothing new to do."""
    from engine.escalation.run import run_pass
    from engine.org.actors import SYSTEM

    with _session(url) as session:
        system = SYSTEM.at(datetime.now(UTC))
        t0 = time.perf_counter()
        first = run_pass(session=session, actor=system, now=NOW)
        t1 = time.perf_counter()
        second = run_pass(session=session, actor=system, now=NOW)
        t2 = time.perf_counter()
    return {"seconds": t1 - t0, "second_seconds": t2 - t1, "queued": len(first),
            "second_queued": len(second)}


def summary(url: str, arg: str) -> dict[str, Any]:
    """``build_summary`` for the whole: one warm-up, then the best of ``arg`` runs."""
    from engine.summary.build import build_summary

    with _session(url) as session:
        data = build_summary(session, now=NOW)
        best = float("inf")
        for _ in range(int(arg or 3)):
            t0 = time.perf_counter()
            data = build_summary(session, now=NOW)
            best = min(best, time.perf_counter() - t0)
            session.rollback()
    return {"seconds": best, "open": sum(data.lights.values())}


def reads(url: str, arg: str) -> dict[str, Any]:
    """The whole city's home page (an office person) and the 15:00 summary, each beside the
    lights floor (:class:`bench.floors.LightsFloor`), interleaved in one process so that a
    busy machine slows all three alike: best of ``arg`` rounds after one warm-up each."""
    from sqlmodel import col, select

    from engine.org.actors import Actor
    from engine.read.overview import home_overview
    from engine.summary.build import build_summary
    from engine.values import Channel
    from models import Person

    floor = floors.LightsFloor(url, floors.summary_params())
    best = {"floor": float("inf"), "home": float("inf"), "summary": float("inf")}
    with _session(url) as session:
        office = next(p for p in session.exec(select(Person).order_by(col(Person.id))).all()
                      if "office" in p.roles)
        actor = Actor.of(office, Channel.WEB, wall_clock=datetime.now(UTC))

        def home() -> Any:
            return home_overview(session=session, actor=actor, now=NOW)

        def summary() -> Any:
            return build_summary(session, now=NOW)

        steps = {"floor": floor.run, "home": home, "summary": summary}
        for rnd in range(int(arg or 3) + 1):
            for name, step in steps.items():
                t0 = time.perf_counter()
                result = step()
                seconds = time.perf_counter() - t0
                session.rollback()
                if rnd:  # the first round warms caches and compiled statements
                    best[name] = min(best[name], seconds)
                if name == "home":
                    page = result
    floor.close()
    return {"floor_seconds": best["floor"], "home_seconds": best["home"],
            "summary_seconds": best["summary"], "floor_rows": floor.count,
            "open": sum(page.lights.values()), "board_units": len(page.board)}


def floor_summary(url: str, arg: str) -> dict[str, Any]:
    params = floors.summary_params()
    floors.summary(url, params)
    return {"seconds": min(floors.summary(url, params) for _ in range(int(arg or 3)))}


def fill_outbox(url: str, arg: str) -> dict[str, Any]:
    """Queue ``arg`` pending messages (not timed: the set-up of the dispatch benchmarks)."""
    from sqlmodel import col, select

    from engine.outbox import queue as outbox
    from models import Person

    with _session(url) as session:
        people = list(session.exec(select(Person).order_by(col(Person.id)).limit(500)).all())
        rows = [outbox.message_values(
            dedupe_key=f"bench:{i}", kind="reminder", recipient=people[i % len(people)],
            subject=f"【还有3个工作日到期】DB-2025-{i:06d}", body="【还有3个工作日到期】\n事项：……\n请：按时限办结",
            body_html="<b>【还有3个工作日到期】</b>", task_id=None, now=NOW,
            actions_json='[{"text": "签收", "data": "ack:DB-2025-000001"}]') for i in range(int(arg))]
        for start in range(0, len(rows), 1000):
            outbox.enqueue_many(session, rows[start:start + 1000])
        session.commit()
    return {"seconds": 0.0, "queued": len(rows)}


def dispatch(url: str, _arg: str) -> dict[str, Any]:
    """``dispatch_once`` to the in-memory notifier until the outbox has nothing due."""
    from engine.outbox.dispatch import dispatch_once
    from notifiers.memory import MemoryNotifier

    notifier = MemoryNotifier()

    async def drain(session: Any) -> int:
        sent = 0
        while True:
            report = await dispatch_once(session=session, notifiers=[notifier], now=NOW, limit=200)
            if not report.claimed:
                return sent
            sent += report.sent

    with _session(url) as session:
        t0 = time.perf_counter()
        sent = asyncio.run(drain(session))
        seconds = time.perf_counter() - t0
    return {"seconds": seconds, "sent": sent}


def floor_escalation(url: str, arg: str) -> dict[str, Any]:
    return {"seconds": floors.escalation(url, arg)}


def floor_dispatch(url: str, _arg: str) -> dict[str, Any]:
    seconds, sent = floors.dispatch(url)
    return {"seconds": seconds, "sent": sent}


CHILDREN = {"escalation": escalation, "summary": summary, "floor-summary": floor_summary,
            "reads": reads,
            "fill-outbox": fill_outbox, "dispatch": dispatch,
            "floor-escalation": floor_escalation, "floor-dispatch": floor_dispatch}


def peak_mb() -> float:
    """This process's peak resident memory in MB.

    Linux: ``VmHWM`` of /proc/self/status, the high-water mark of this process's own address
    space. Not ``ru_maxrss``: the kernel carries that across ``fork``/``exec`` from the parent, so
    a child spawned by a large ``bench/run.py`` would report the parent's peak.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    name, url = sys.argv[1], sys.argv[2]
    arg = sys.argv[3] if len(sys.argv) > 3 else ""
    result = CHILDREN[name](url, arg)
    result["peak_mb"] = peak_mb()
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
