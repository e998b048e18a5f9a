"""Benchmark: 1,000 messages to 1,000 chats the way production sends them — outbox rows in a
SQLite database, drained by ``dispatch_once`` through the ``TelegramNotifier`` — against the Bot
API stub enforcing Telegram's flood limits (30/s overall, 1/s per chat, 20/min per group) in real
time, answering 429 + ``retry_after`` and counting every request that ignored one.

Run::

    .venv/bin/python bench/telegram_throughput.py [--messages 1000] [--batch 200]

It prints one JSON line: sustained msgs/s (first to last accepted message, on the stub's clock)
and its ratio to the 30/s ceiling, overall msgs/s (dispatch start to end), CPU per message,
messages lost and duplicated, 429s received, and whether every one was honoured (the stub
counted no request arriving inside a ``retry_after`` it had announced). The exit status is 0
when the issue's targets are met (≥ 90 % of the ceiling, nothing lost or duplicated, every 429
honoured). The stub runs in this process: on a busy machine the CPU, not the pacing, limits it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CEILING = 30.0
TOKEN = "123:BENCH"


def queue(engine: Any, count: int, now: datetime) -> None:
    """``count`` people with their own chat, one pending outbox row each."""
    from sqlmodel import Session

    from engine.outbox import queue as outbox
    from models import Person

    with Session(engine) as session:
        people = [Person(name=f"联络员{i:04d}", title="科员", roles=["unit_contact"],
                         telegram_chat_id=100_000 + i) for i in range(count)]
        session.add_all(people)
        session.flush()
        for i, person in enumerate(people):
            code = f"DB-2024-{i:04d}"
            outbox.enqueue(
                session, dedupe_key=f"bench:{i}", kind="reminder", recipient=person, now=now,
                subject=f"督办提醒：{code}", body=f"【督办提醒】事项 {code} 将于3月31日前到期",
                body_html=f"<b>【督办提醒】</b>事项 <code>{code}</code> 将于3月31日前到期，请按时办结",
                actions=[{"text": "签收", "data": f"ack:{code}"},
                         {"text": "反馈进展", "data": f"progress:{code}"}],
            )
        session.commit()


async def drain(engine: Any, base_url: str, batch: int) -> dict[str, Any]:
    """Dispatch until no row is pending; wait for rows that are retrying later."""
    from sqlalchemy import func
    from sqlmodel import col, select

    from engine.outbox.dispatch import dispatch_once
    from engine.store.db import session_scope
    from models import OutboxMessage
    from notifiers.telegram import TelegramNotifier

    notifier = TelegramNotifier(token=TOKEN, base_url=base_url)
    totals: Counter[str] = Counter()
    started, cpu = time.monotonic(), time.process_time()
    with session_scope(engine) as session:  # the dispatcher's session in the CLI and flows
        while True:
            report = await dispatch_once(session=session, notifiers=[notifier], limit=batch,
                                         now=lambda: datetime.now(UTC))
            totals.update(sent=report.sent, retried=report.retried, dead=report.dead)
            if report.claimed:
                continue
            due = session.exec(select(func.min(OutboxMessage.next_attempt_at))
                               .where(col(OutboxMessage.status) == "pending")).one()
            if due is None:
                break
            await asyncio.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()))
        statuses = dict(session.exec(select(OutboxMessage.status, func.count())
                                     .group_by(OutboxMessage.status)).all())
    elapsed, cpu = time.monotonic() - started, time.process_time() - cpu
    await notifier.shutdown()
    return {"elapsed": elapsed, "cpu": cpu, "totals": dict(totals), "statuses": statuses,
            "client_429s": notifier.rate_limited, "penalties": notifier.throttle.penalties}


def figures(stub: Any, count: int, run: dict[str, Any]) -> dict[str, Any]:
    sent = stub.sent
    per_chat = Counter(m.chat_id for m in sent)
    span = sent[-1].at - sent[0].at if len(sent) > 1 else 0.0
    sustained = (len(sent) - 1) / span if span else 0.0
    return {
        "bench": "telegram_throughput", "messages": count,
        "sustained_msgs_per_s": round(sustained, 2),
        "ratio_to_ceiling": round(sustained / CEILING, 3),
        "overall_msgs_per_s": round(len(sent) / run["elapsed"], 2),
        "elapsed_s": round(run["elapsed"], 2),
        # CPU of this process (dispatcher, client and the in-process stub) per message: the
        # pipeline can keep the pace only while this stays well under 1/30 s on a free core.
        "cpu_ms_per_msg": round(run["cpu"] * 1000 / max(len(sent), 1), 1),
        "lost": count - len(per_chat),
        "duplicated": sum(n - 1 for n in per_chat.values()),
        "http_429": stub.rate_limit_hits,
        "retry_after_violations": stub.retry_after_violations,
        "every_429_honoured": stub.retry_after_violations == 0,
        "client_429s": run["client_429s"],
        "outbox": run["statuses"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))  # the stub lives with the tests
    from sqlmodel import SQLModel

    import models  # noqa: F401  (registers the tables)
    from engine.store.db import make_engine
    from tests.support.botapi_stub import BotApiStub

    with tempfile.TemporaryDirectory() as tmp, BotApiStub(token=TOKEN) as stub:
        engine = make_engine(f"sqlite:///{tmp}/bench.db")
        SQLModel.metadata.create_all(engine)
        queue(engine, args.messages, datetime.now(UTC) - timedelta(seconds=1))
        run = asyncio.run(drain(engine, stub.base_url, args.batch))
        engine.dispose()
        result = figures(stub, args.messages, run)
    print(json.dumps(result, ensure_ascii=False))
    ok = (result["ratio_to_ceiling"] >= 0.9 and result["lost"] == 0
          and result["duplicated"] == 0 and result["every_429_honoured"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
