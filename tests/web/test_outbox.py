"""发件箱 (/outbox): the office's overview — counts by state, then the newest messages, dead
letters announced at the top — and each state a click away; retrying dead letters is the
office's, needs the CSRF token and is audited with the web channel; bad input is a Chinese 400."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from models import OutboxMessage
from tests.web.conftest import WebWorld
from tests.web.reports_support import audit_count, kill_messages, last_event, statuses

ERROR = "Forbidden: bot was blocked by the user <b>"


def test_the_page_opens_on_the_counts_and_the_newest_messages(web: WebWorld) -> None:
    pending = statuses(web)
    page = web.client("office").get("/outbox")
    assert page.status_code == 200
    assert f'<span class="n">{len(pending)}</span>待发送' in page.text
    assert "<h2>最新消息" in page.text and "没有这种状态的消息" not in page.text
    assert '<a href="/outbox" class="button primary">全部</a>' in page.text
    assert web.task.code in page.text and "待发送</span>" in page.text  # the queued notices
    assert "dead-alert" not in page.text and 'name="ids"' not in page.text
    assert 'href="/outbox?status=dead"' in page.text  # dead letters a click away


def test_dead_letters_are_announced_first_and_listed_with_their_last_error(web: WebWorld) -> None:
    dead = kill_messages(web, ERROR)
    client = web.client("office")
    page = client.get("/outbox")
    assert page.status_code == 200
    alert = page.text.index('class="refusal dead-alert"')
    assert alert < page.text.index('class="stats"')
    assert f"有 {len(dead)} 条消息多次发送失败（死信）" in page.text
    assert f'<span class="n">{len(dead)}</span>死信' in page.text
    assert '<span class="n">0</span>待发送' in page.text
    assert "bot was blocked by the user &lt;b&gt;" in page.text  # escaped, never markup
    listed = client.get("/outbox?status=dead")
    assert "dead-alert" not in listed.text  # already on them
    for message_id in dead:
        assert f'name="ids" value="{message_id}"' in listed.text
    assert web.task.code in listed.text and "bot was blocked by the user &lt;b&gt;" in listed.text


def test_other_states_are_listed_on_request(web: WebWorld) -> None:
    pending = statuses(web)
    page = web.client("office").get("/outbox?status=pending")
    assert page.status_code == 200
    assert f'<span class="n">{len(pending)}</span>待发送' in page.text
    assert 'name="ids"' not in page.text  # only dead letters are retried
    assert web.client("office").get("/outbox?status=all").status_code == 200


@pytest.mark.parametrize("role", ["secretary", "vice_mayor", "fire", "fire_head", "housing",
                                  "emerg"])
def test_everyone_but_the_office_is_refused(web: WebWorld, role: str) -> None:
    kill_messages(web, ERROR)
    page = web.client(role).get("/outbox")
    assert page.status_code in (403, 404)
    assert "bot was blocked" not in page.text
    before, events = statuses(web), audit_count(web)
    client = web.client(role)
    answer = client.post("/outbox/requeue", data={"csrf_token": web.csrf(client), "every": "1"})
    assert answer.status_code in (403, 404)
    assert statuses(web) == before and audit_count(web) == events


def test_anonymous_visitors_are_sent_to_log_in(web: WebWorld) -> None:
    assert web.client("anon").get("/outbox").status_code == 303


def test_retrying_chosen_dead_letters_requeues_and_audits_them(web: WebWorld) -> None:
    dead = kill_messages(web, ERROR)
    chosen, kept = dead[0], dead[1:]
    client = web.client("office")
    answer = client.post("/outbox/requeue", data={"csrf_token": web.csrf(client),
                                                  "ids": [str(chosen)]})
    assert answer.status_code == 303 and answer.headers["location"] == "/outbox?requeued=1"
    after = statuses(web)
    assert after[chosen] == "pending" and all(after[i] == "dead" for i in kept)
    event = last_event(web, "requeue")
    assert event is not None and event.channel == "web" and event.client == "testclient"
    assert event.actor == web.city.office.name and event.after is not None
    assert event.after["ids"] == [chosen]
    assert "已重新投递 1 条死信" in client.get("/outbox?requeued=1").text


def test_retrying_every_dead_letter(web: WebWorld) -> None:
    dead = kill_messages(web, ERROR)
    client = web.client("office")
    answer = client.post("/outbox/requeue", data={"csrf_token": web.csrf(client), "every": "1"})
    assert answer.headers["location"] == f"/outbox?requeued={len(dead)}"
    assert set(statuses(web).values()) == {"pending"}


@pytest.mark.parametrize("token", [None, "forged-token"])
def test_a_retry_without_the_csrf_token_changes_nothing(web: WebWorld, token: str | None) -> None:
    kill_messages(web, ERROR)
    before, events = statuses(web), audit_count(web)
    data = {"every": "1"} if token is None else {"every": "1", "csrf_token": token}
    answer = web.client("office").post("/outbox/requeue", data=data)
    assert answer.status_code == 403 and "安全令牌" in answer.text
    assert statuses(web) == before and audit_count(web) == events


@pytest.mark.parametrize("which", ["pending", "huge"])
def test_a_message_that_is_not_a_dead_letter_is_not_sent_again(web: WebWorld, which: str) -> None:
    """A queued message, or an id no message has (even beyond the database's integers)."""
    message_id = str(min(statuses(web))) if which == "pending" else "9" * 25
    before, events = statuses(web), audit_count(web)
    client = web.client("office")
    answer = client.post("/outbox/requeue", data={"csrf_token": web.csrf(client),
                                                  "ids": [message_id]})
    assert answer.status_code == 409 and "不是死信" in answer.text
    assert statuses(web) == before and audit_count(web) == events


@pytest.mark.parametrize("data", [{}, {"ids": "abc"}, {"ids": "1\x00"}, {"every": "yes\n"}])
def test_bad_retry_input_is_a_chinese_400_page(web: WebWorld, data: dict[str, str]) -> None:
    kill_messages(web, ERROR)
    before = statuses(web)
    client = web.client("office")
    answer = client.post("/outbox/requeue", data={"csrf_token": web.csrf(client), **data})
    assert answer.status_code == 400, answer.text
    assert "Traceback" not in answer.text and "请" in answer.text
    assert statuses(web) == before


@pytest.mark.parametrize("query", ["status=bogus", "status=dead%0A", "requeued=x", "requeued=-3",
                                   "status=" + "d" * 300,
                                   "status=%E2%80%AEdead"])
def test_bad_page_input_is_a_chinese_400_page(web: WebWorld, query: str) -> None:
    page = web.client("office").get(f"/outbox?{query}")
    assert page.status_code == 400 and "Traceback" not in page.text


def test_sent_messages_name_their_channel_in_chinese_and_no_next_attempt(web: WebWorld) -> None:
    """A sent message shows when it went and by which channel, as a clerk reads it (the demo's
    ``telegram-demo`` as "Telegram 演示"), and no "next attempt" (nothing is left to try); the
    task page's deliveries name the channel the same way."""
    with Session(web.engine) as session:
        for row in session.exec(select(OutboxMessage)).all():
            row.status, row.attempts, row.channel = "sent", 1, "telegram-demo"
            row.sent_at, row.next_attempt_at = web.now, web.now - timedelta(hours=5)
            session.add(row)
        session.commit()
    office = web.client("office")
    page = office.get("/outbox").text
    assert '<td data-label="渠道">Telegram 演示</td>' in page
    assert '<td data-label="发送时间">2024-03-11 10:00</td>' in page
    assert '<td data-label="下次尝试">—</td>' in page and "2024-03-11 05:00" not in page
    assert "telegram-demo" not in page
    task_page = office.get(f"/tasks/{web.task.code}").text
    assert "（Telegram 演示）" in task_page and "telegram-demo" not in task_page
