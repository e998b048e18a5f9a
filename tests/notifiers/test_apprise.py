"""Apprise channels against servers started here on 127.0.0.1: SMTP (aiosmtpd) and a webhook
receiver standing in for DingTalk, WeCom and Feishu robots."""

from __future__ import annotations

import asyncio
import base64
import email
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from aiosmtpd.controller import Controller
from apprise.plugins.dingtalk import NotifyDingTalk
from apprise.plugins.feishu import NotifyFeishu
from apprise.plugins.wecombot import NotifyWeComBot
from sqlmodel import Session, select

from engine.errors import RecipientUnreachable, TransientDeliveryError
from engine.outbox.dispatch import dispatch_once
from models import OutboxMessage
from notifiers.apprise_channel import AppriseNotifier
from tests.factories import ISSUED, make_city, make_task

from .fakes import free_port, outgoing

pytestmark = pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")
SECRET = "SECabc123"
TEXT = "【督办催办】\n事项：DB-2024-0001 九小场所消防隐患排查整治\n请：立即办理并反馈进展（催办）"
SUBJECT = "督办催办：DB-2024-0001 九小场所消防隐患排查整治"


@dataclass
class Hit:
    service: str
    query: dict[str, list[str]]
    body: dict[str, Any]


class Receiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.hits: list[Hit] = []
        self.failing: set[str] = set()
        self.bad_signatures = 0

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def log_message(self, fmt: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        parts = urlsplit(self.path)
        service = parts.path.strip("/").split("/", 1)[0]
        query = parse_qs(parts.query)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8"))
        if service == "dingtalk" and not _signed(query):
            self.server.bad_signatures += 1
            self._answer(403)
            return
        self.server.hits.append(Hit(service, query, body))
        self._answer(500 if service in self.server.failing else 200)

    def _answer(self, status: int) -> None:
        payload = b'{"errcode": 0, "code": 0}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def _signed(query: dict[str, list[str]]) -> bool:
    """DingTalk's check: sign = urlencode(base64(HMAC-SHA256(secret, "{timestamp}\\n{secret}")))."""
    timestamp, sign = query.get("timestamp", [""])[0], query.get("sign", [""])[0]
    if not timestamp.isdigit() or abs(int(timestamp) - time.time() * 1000) > 60_000:
        return False
    digest = hmac.new(SECRET.encode(), f"{timestamp}\n{SECRET}".encode(), hashlib.sha256).digest()
    return hmac.compare_digest(sign, quote(base64.b64encode(digest), safe=""))


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    # The robots' API hosts are fixed in Apprise: point them at our receiver.
    monkeypatch.setattr(NotifyDingTalk, "notify_url",
                        server.root + "/dingtalk/robot/send?access_token={token}")
    monkeypatch.setattr(NotifyWeComBot, "notify_url", server.root + "/wecom/send?key={key}")
    monkeypatch.setattr(NotifyFeishu, "notify_url", server.root + "/feishu/hook/{token}/")
    yield server
    server.shutdown()
    server.server_close()


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), parsed))  # type: ignore[arg-type]
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[str, Mailbox]]:
    box, port = Mailbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield f"mailto://127.0.0.1:{port}?from=duban@example.org&name=督查室", box
    controller.stop()


def _plain(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def test_email_arrives_with_chinese_subject_and_body(smtp: tuple[str, Mailbox]) -> None:
    url, box = smtp
    notifier = AppriseNotifier(smtp_url=url, timeout=5)
    via = asyncio.run(notifier.send(outgoing(None, text=TEXT, email="zhang@fire.example.cn")))
    (rcpt, message), = box.messages
    assert rcpt == ["zhang@fire.example.cn"] and via and via.startswith("mailto://")
    assert message["Subject"] == "督办交办：DB-2024-0001 开展隐患排查"
    assert str(message["From"]) == "督查室 <duban@example.org>"
    assert _plain(message).replace("\r\n", "\n").strip() == TEXT


def test_dingtalk_signed_wecom_and_feishu_bodies(receiver: Receiver) -> None:
    notifier = AppriseNotifier(smtp_url=None, timeout=5)
    for url in (f"dingtalk://{SECRET}@tok123/", "wecombot://key456", "feishu://tok789"):
        asyncio.run(notifier.send(outgoing(None, text=TEXT, channels=(url,))))
    ding, wecom, feishu = receiver.hits
    assert receiver.bad_signatures == 0 and ding.query["access_token"] == ["tok123"]
    assert ding.body["msgtype"] == "text" and TEXT in ding.body["text"]["content"]
    assert wecom.query["key"] == ["key456"] and TEXT in wecom.body["text"]["content"]
    assert feishu.service == "feishu" and TEXT in feishu.body["content"]["text"]


def test_a_wrong_dingtalk_secret_is_refused_by_the_receiver(receiver: Receiver) -> None:
    notifier = AppriseNotifier(smtp_url=None, timeout=5)
    with pytest.raises(TransientDeliveryError):
        asyncio.run(notifier.send(outgoing(None, channels=("dingtalk://SECwrong9@tok123/",))))
    assert receiver.bad_signatures == 1 and receiver.hits == []


def test_targets_are_tried_in_order_and_failures_recorded(
        receiver: Receiver, smtp: tuple[str, Mailbox]) -> None:
    url, box = smtp
    receiver.failing = {"dingtalk"}
    notifier = AppriseNotifier(smtp_url=url, timeout=5)
    channels = (f"dingtalk://{SECRET}@tok123/", "wecombot://key456", "feishu://tok789")
    via = asyncio.run(notifier.send(outgoing(None, channels=channels, email="a@b.cn")))
    assert [h.service for h in receiver.hits] == ["dingtalk", "wecom"]  # feishu, email untouched
    assert via is not None and via.startswith("wecombot://") and "此前失败" in via
    assert [f.target for f in notifier.failures] == ["dingtalk"] and box.messages == []
    receiver.failing = {"dingtalk", "wecom", "feishu"}
    asyncio.run(notifier.send(outgoing(None, channels=channels, email="a@b.cn")))
    assert len(box.messages) == 1  # every robot failed: the email went out last


def test_all_targets_failing_name_each_failure(receiver: Receiver) -> None:
    receiver.failing = {"wecom"}
    notifier = AppriseNotifier(smtp_url=None, timeout=5)
    with pytest.raises(TransientDeliveryError) as caught:
        asyncio.run(notifier.send(outgoing(None, channels=("nosuch://x", "wecombot://key456"))))
    assert "通知地址无效" in str(caught.value) and "wecombot" in str(caught.value)
    with pytest.raises(RecipientUnreachable, match="通知地址无效"):
        asyncio.run(notifier.send(outgoing(None, channels=("nosuch://x",))))
    assert not notifier.accepts(outgoing(None, email="a@b.cn"))  # no mail server configured


def test_dispatcher_delivers_by_email_when_there_is_no_telegram(
        session: Session, smtp: tuple[str, Mailbox]) -> None:
    url, box = smtp
    city = make_city(session)
    city.housing_contact.telegram_chat_id = None
    city.housing_contact.email = "liu@housing.example.cn"
    session.add(city.housing_contact)
    session.commit()
    make_task(session, city, lead="HOUSING", co=[])
    notifier = AppriseNotifier(smtp_url=url, timeout=5)
    report = asyncio.run(dispatch_once(session=session, notifiers=[notifier],
                                       now=ISSUED + timedelta(minutes=5)))
    row = session.exec(select(OutboxMessage)).one()
    assert report.sent == 1 and row.channel == "apprise" and row.status == "sent"
    (rcpt, message), = box.messages
    assert rcpt == ["liu@housing.example.cn"] and "督办交办" in str(message["Subject"])
    assert "开展九小场所隐患排查" in _plain(message)
