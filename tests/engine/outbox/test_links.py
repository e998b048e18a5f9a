"""``DUBAN_PUBLIC_URL``: with the console's address set, every message about a task carries a
link to the task's page (the daily summary one to 每日调度); without it, none does."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlmodel import Session, select

from config.settings import reset_settings
from engine.outbox import queue as outbox
from engine.outbox.dispatch import dispatch_once
from engine.outbox.links import message_link, task_url
from models import OutboxMessage, Task
from notifiers.memory import MemoryNotifier
from notifiers.telegram import message_html
from tests.factories import at, make_city, make_task

T0 = at("2024-03-05", "10:00")
PUBLIC = "https://duban.example.org/"


def _send(session: Session, public_url: str | None) -> MemoryNotifier:
    memory = MemoryNotifier()
    asyncio.run(dispatch_once(session=session, notifiers=[memory], now=T0, public_url=public_url))
    return memory


def _assigned_task(session: Session) -> Task:
    city = make_city(session)
    task = make_task(session, city)
    queued = session.exec(select(OutboxMessage).where(OutboxMessage.task_id == task.id)).all()
    assert queued, "assigning queues messages to the units"
    return task


def test_every_message_about_a_task_links_to_its_page(session: Session) -> None:
    task = _assigned_task(session)
    memory = _send(session, PUBLIC)
    about_task = [m for m in memory.sent if m.kind == "assigned"]
    assert about_task
    url = f"https://duban.example.org/tasks/{task.code}"
    for message in about_task:
        assert message.text.endswith(f"\n网页查看：{url}")
        assert message.html is not None and message.html.endswith(
            f'\n<a href="{url}">在网页中查看 {task.code}</a>')
        assert f'<a href="{url}">' in message_html(message)  # what Telegram receives
    # The stored rows keep the text as it was queued: the link belongs to the deployment.
    rows = session.exec(select(OutboxMessage).where(OutboxMessage.task_id == task.id)).all()
    assert all("网页查看" not in row.body for row in rows)


def test_without_a_public_address_no_message_carries_a_link(session: Session) -> None:
    _assigned_task(session)
    memory = _send(session, None)
    assert memory.sent
    assert all("网页查看" not in m.text and "<a href" not in (m.html or "") for m in memory.sent)


def test_the_summary_links_to_its_page_and_other_messages_to_none(session: Session) -> None:
    city = make_city(session)
    for kind in ("summary", "notice"):
        outbox.enqueue(session, dedupe_key=f"links:{kind}", kind=kind, recipient=city.secretary,
                       subject=kind, body=f"{kind} 正文", body_html=f"<b>{kind}</b>", now=T0)
    session.commit()
    sent = {m.kind: m for m in _send(session, "http://10.0.0.5:8000").sent}
    assert sent["summary"].text == "summary 正文\n网页查看：http://10.0.0.5:8000/summary"
    assert sent["notice"].text == "notice 正文" and sent["notice"].html == "<b>notice</b>"


def test_codes_are_quoted_and_the_label_escaped() -> None:
    assert task_url("https://x.org/duban/", "DB 1/2") == "https://x.org/duban/tasks/DB%201%2F2"
    link = message_link('https://x.org/"a"', kind="reminder", task_code="<b>")
    assert link is not None
    assert link.html_line() == ('<a href="https://x.org/&quot;a&quot;/tasks/%3Cb%3E">'
                                "在网页中查看 &lt;b&gt;</a>")
    assert message_link("", kind="reminder", task_code="DB-1") is None


def test_the_dispatch_job_takes_the_address_from_the_settings(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``duban serve``/the Prefect flow read ``DUBAN_PUBLIC_URL``; the engine only receives it."""
    from engine.store.db import make_engine
    from engine.store.schema import upgrade
    from flows.jobs import dispatch_job
    from tests.conftest import mark_simulation

    url = f"sqlite:///{tmp_path}/links.db"
    engine = make_engine(url)
    upgrade(engine)
    mark_simulation(engine)
    with Session(engine, expire_on_commit=False) as session:
        code = _assigned_task(session).code
    engine.dispose()
    memory = MemoryNotifier()
    monkeypatch.setattr("notifiers.registry.build_notifiers", lambda *a, **k: [memory])
    monkeypatch.setenv("DUBAN_PUBLIC_URL", "https://console.example.org")
    reset_settings()
    try:
        assert dispatch_job(now=T0, database_url=url)["sent"] == len(memory.sent) > 0
    finally:
        monkeypatch.delenv("DUBAN_PUBLIC_URL")
        reset_settings()
    assert all(m.text.endswith(f"网页查看：https://console.example.org/tasks/{code}")
               for m in memory.sent if m.kind == "assigned")
