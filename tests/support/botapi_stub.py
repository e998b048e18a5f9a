"""A local, in-process stand-in for the Telegram Bot API, for tests and the benchmark.

``BotApiStub`` runs a stdlib ``ThreadingHTTPServer`` on ``127.0.0.1`` (ephemeral port) in a
background thread and speaks enough of the Bot API for the real ``python-telegram-bot`` client
(``telegram.Bot`` / ``ApplicationBuilder().base_url(stub.base_url)``) to work against it:

* URLs are ``{base_url}{token}/{method}`` (PTB appends the token to ``base_url`` and then
  ``/<method>``), e.g. ``http://127.0.0.1:PORT/bot123:ABC/sendMessage``. Method names are
  matched case-insensitively, like Telegram does.
* PTB POSTs ``application/x-www-form-urlencoded`` bodies (strings as-is, everything else
  JSON-encoded, e.g. ``reply_markup``) and ``multipart/form-data`` when uploading files.
  JSON bodies and query strings are accepted too.

It records what the bot sends, lets a test script incoming updates (messages, commands,
inline-button presses) that are served through ``getUpdates`` long polling, enforces
Telegram-like flood limits (HTTP 429 + ``retry_after``) and injects faults (5xx, slow
responses that make the client time out, 403 blocked, 400 chat not found).

Typical use::

    with BotApiStub(token="123:ABC") as stub:
        app = ApplicationBuilder().token(stub.token).base_url(stub.base_url).build()
        ...
        stub.push_message(42, "/start")
        msg = stub.wait_for(lambda m: m.chat_id == 42)

Inside a running asyncio loop use ``await stub.wait_for_async(...)`` instead of ``wait_for``
(the latter blocks the thread, which would freeze the PTB application running in that loop).
"""

from __future__ import annotations

import contextlib
import dataclasses
import html
import json
import logging
import math
import socket
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from email import policy as email_policy
from email.parser import BytesParser
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

from tests.support.botapi_files import FilesMixin, SentPhoto

__all__ = [
    "ApiCall",
    "BotApiStub",
    "CallbackAnswer",
    "EditRecord",
    "RateLimits",
    "SentDocument",
    "SentMessage",
    "SentPhoto",
    "StoredMessage",
    "TimeoutRecord",
]

_LOG = logging.getLogger(__name__)

JSONDict = dict[str, Any]

MAX_MESSAGE_LENGTH = 4096  # UTF-16 code units after entity parsing, like Telegram
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64

# Tags accepted by Telegram's HTML parse mode (https://core.telegram.org/bots/api#html-style).
_HTML_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "tg-emoji",
        "code",
        "pre",
        "blockquote",
        "tg-time",
    }
)


# --------------------------------------------------------------------------------------------
# Public records
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SentMessage:
    """A message the bot sent successfully (one per accepted ``sendMessage``).

    ``text`` is exactly what the client sent (HTML/Markdown markup included), ``at`` is the
    stub clock (``clock()``, ``time.monotonic`` by default) when it was accepted.
    ``timed_out`` is True when it was delivered during an injected timeout, i.e. the client
    never saw the response ("outcome unknown").
    """

    chat_id: int
    text: str
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    message_id: int
    at: float
    timed_out: bool = False


@dataclass(frozen=True)
class SentDocument:
    """A document the bot sent (``sendDocument``)."""

    chat_id: int
    filename: str | None
    content: bytes | None  # None when sent by file_id / URL instead of uploaded
    file_ref: str | None  # the file_id / URL string when not uploaded
    caption: str | None
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    message_id: int
    at: float
    timed_out: bool = False
    file_id: str | None = None  # the file id of the document in the sent message
    media_group_id: str | None = None


@dataclass(frozen=True)
class EditRecord:
    """One accepted ``editMessageText`` / ``editMessageReplyMarkup`` call."""

    method: str
    chat_id: int
    message_id: int
    text: str | None  # None for editMessageReplyMarkup
    parse_mode: str | None
    reply_markup: dict[str, Any] | None  # the markup *after* the edit (None = removed)
    at: float


@dataclass(frozen=True)
class CallbackAnswer:
    """One accepted ``answerCallbackQuery`` call."""

    callback_query_id: str
    text: str | None
    show_alert: bool
    at: float


@dataclass(frozen=True)
class TimeoutRecord:
    """A request hit by ``timeout_next``; ``delivered`` says whether it took effect anyway."""

    method: str
    chat_id: int | None
    text: str | None
    delivered: bool
    message_id: int | None
    delay: float
    at: float


@dataclass(frozen=True)
class ApiCall:
    """Every request the stub answered (any method, any outcome)."""

    method: str
    params: dict[str, Any]
    status: int
    at: float


@dataclass
class StoredMessage:
    """Current state of a message in a chat (bot-sent or pushed user message)."""

    message_id: int
    chat_id: int
    text: str | None
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    date: int
    from_bot: bool
    caption: str | None = None
    edit_date: int | None = None
    extra: dict[str, Any] | None = None  # photo / document / media_group_id / reply_to_message


@dataclass(frozen=True)
class RateLimits:
    """Flood limits enforced on the methods in ``methods``.

    * overall: at most ``global_per_second`` accepted messages in any sliding window of
      ``global_window`` seconds;
    * private chats (``chat_id > 0``): at least ``per_chat_interval`` seconds between two
      accepted messages to the same chat;
    * groups (``chat_id < 0``): at most ``group_per_minute`` accepted messages per chat in any
      sliding window of ``group_window`` seconds.

    A value of 0 disables that limit; ``enabled=False`` disables all of them.
    Retry-after violations: after a 429 the scope (overall / that chat / that group) is
    under penalty until ``retry_after`` has elapsed; requests reaching it meanwhile are
    refused with 429 again. Such a request counts as a *violation* if it arrived after the
    429 was issued and is either a retry of a refused message (same chat + same content) or
    arrived at least ``violation_grace`` clock-seconds after the 429. Requests that were
    already in flight (concurrent ``gather``) are therefore not blamed on the client.
    """

    global_per_second: int = 30
    global_window: float = 1.0
    per_chat_interval: float = 1.0
    group_per_minute: int = 20
    group_window: float = 60.0
    enabled: bool = True
    methods: frozenset[str] = frozenset({"sendmessage", "senddocument", "sendphoto",
                                         "sendmediagroup"})
    violation_grace: float = 0.05

    @classmethod
    def off(cls) -> RateLimits:
        return cls(enabled=False)


# --------------------------------------------------------------------------------------------
# Internals
# --------------------------------------------------------------------------------------------


class _ApiError(Exception):
    def __init__(
        self, status: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> JSONDict:
        body: JSONDict = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


@dataclass
class _Fault:
    kind: str  # "fail" | "timeout"
    method: str  # lower-case method name
    status: int = 500
    delay: float = 0.0
    deliver: bool = True


@dataclass
class _Upload:
    filename: str | None
    content: bytes
    content_type: str | None


@dataclass
class _Penalty:
    until: float
    issued_at: float
    rejected: set[str]  # fingerprints of the requests refused under this penalty


@dataclass
class _Request:
    method: str  # canonical name
    params: dict[str, Any]
    files: dict[str, _Upload]
    arrived_at: float


@dataclass
class _Response:
    status: int
    body: JSONDict
    delay: float = 0.0  # seconds to sleep before writing (injected timeout)


def _ceil_seconds(value: float) -> int:
    return max(1, math.ceil(value - 1e-9))


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _as_int(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise _ApiError(400, f"Bad Request: invalid {name} specified")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise _ApiError(400, f"Bad Request: invalid {name} specified")


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1")
    return bool(value)


def _as_json(value: Any, name: str) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise _ApiError(400, f"Bad Request: can't parse {name} JSON object") from None
    return value


def _chat_id_param(params: dict[str, Any]) -> int:
    if "chat_id" not in params:
        raise _ApiError(400, "Bad Request: chat_id is empty")
    value = params["chat_id"]
    try:
        return _as_int(value, "chat_id")
    except _ApiError:
        # "@channelusername" style ids are not modelled
        raise _ApiError(400, "Bad Request: chat not found") from None


def _validate_reply_markup(markup: Any) -> dict[str, Any] | None:
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise _ApiError(400, "Bad Request: object expected as reply markup")
    keyboard = markup.get("inline_keyboard")
    if keyboard is None:
        return markup  # reply keyboards etc.: accepted, not validated
    if not isinstance(keyboard, list) or not all(isinstance(row, list) for row in keyboard):
        raise _ApiError(
            400,
            'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup '
            "should be an Array of Arrays",
        )
    for row in keyboard:
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise _ApiError(400, 'Bad Request: can\'t find field "text"')
            if not button["text"]:
                raise _ApiError(400, "Bad Request: BUTTON_TEXT_EMPTY")
            data = button.get("callback_data")
            if data is not None:
                if not isinstance(data, str):
                    raise _ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                size = len(data.encode("utf-8"))
                if size < 1 or size > MAX_CALLBACK_DATA_BYTES:
                    raise _ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            kinds = [k for k in button if k != "text"]
            if not kinds:
                raise _ApiError(
                    400, "Bad Request: text buttons are unallowed in the inline keyboard"
                )
    return markup


def _parse_html(text: str) -> str:
    """Validate Telegram-style HTML and return the plain text Telegram would display.

    Errors mimic Telegram's ``Bad Request: can't parse entities: ...`` messages. Lone ``&``
    is tolerated (Telegram is lenient there); unknown tags, unescaped ``<`` and unbalanced
    tags are rejected.
    """

    def fail(reason: str) -> _ApiError:
        return _ApiError(400, f"Bad Request: can't parse entities: {reason}")

    def byte_offset(pos: int) -> int:
        return len(text[:pos].encode("utf-8"))

    out: list[str] = []
    stack: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "<":
            end = text.find(">", i + 1)
            if end == -1:
                raise fail(f"Can't find end of the tag at byte offset {byte_offset(i)}")
            inner = text[i + 1 : end]
            if inner.startswith("/"):
                name = inner[1:].strip().lower()
                if not stack:
                    raise fail(f"Unexpected end tag at byte offset {byte_offset(i)}")
                if name and name != stack[-1]:
                    raise fail(
                        f"Unmatched end tag at byte offset {byte_offset(i)}, expected "
                        f'"</{stack[-1]}>", found "</{name}>"'
                    )
                stack.pop()
            else:
                name = inner.split(None, 1)[0].rstrip("/").lower() if inner.strip() else ""
                if not name or name not in _HTML_TAGS:
                    shown = name or inner
                    raise fail(f'Unsupported start tag "{shown}" at byte offset {byte_offset(i)}')
                if name == "span" and "tg-spoiler" not in inner:
                    raise fail(
                        f'Tag "span" must have class "tg-spoiler" at byte offset {byte_offset(i)}'
                    )
                stack.append(name)
            i = end + 1
        elif ch == ">":
            # Telegram rejects a bare '>' only inside tags; as text it is tolerated
            out.append(ch)
            i += 1
        elif ch == "&":
            semi = text.find(";", i + 1, i + 12)
            if semi != -1:
                entity = text[i : semi + 1]
                decoded = html.unescape(entity)
                if decoded != entity:
                    out.append(decoded)
                    i = semi + 1
                    continue
            out.append(ch)
            i += 1
        else:
            out.append(ch)
            i += 1
    if stack:
        raise fail(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(out)


def _plain_text(text: str, parse_mode: str | None) -> str:
    if parse_mode and parse_mode.lower() == "html":
        return _parse_html(text)
    # Markdown / MarkdownV2 are not validated; the text is returned unchanged.
    return text


def _command_entities(text: str) -> list[JSONDict]:
    if not text.startswith("/"):
        return []
    token = text.split(None, 1)[0]
    if len(token) < 2:
        return []
    return [{"type": "bot_command", "offset": 0, "length": _utf16_len(token)}]


# --------------------------------------------------------------------------------------------
# HTTP plumbing
# --------------------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024  # listen backlog; the default 5 drops bursts of connections

    def __init__(self, stub: BotApiStub) -> None:
        self.stub = stub
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that time out close their socket while we are still "processing";
        # writing the late response then fails. That is expected, keep the test output clean.
        _LOG.debug("botapi_stub: connection error from %s", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # One buffered write per response + TCP_NODELAY: avoids ~40 ms Nagle/delayed-ACK stalls
    wbufsize = 64 * 1024
    disable_nagle_algorithm = True
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.server.connections_lock:
                self.server.connections.discard(self.connection)

    def log_message(self, fmt: str, *args: Any) -> None:
        _LOG.debug("botapi_stub: " + fmt, *args)

    def do_GET(self) -> None:
        if self.path.startswith("/file/bot"):
            self._serve_file()
            return
        self._dispatch()

    def _serve_file(self) -> None:
        status, body, promised = self.server.stub._download(urlsplit(self.path).path)
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(promised))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, OSError):
            pass
        if len(body) < promised:  # a broken download: the connection ends early
            self.close_connection = True

    def do_POST(self) -> None:
        self._dispatch()

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size_line = self.rfile.readline()
                size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    # trailers until empty line
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _dispatch(self) -> None:
        stub = self.server.stub
        arrived_at = stub._clock()
        body = self._read_body()
        split = urlsplit(self.path)
        try:
            params, files = self._parse_params(split.query, body)
        except _ApiError as exc:
            self._write(exc.status, exc.body())
            return
        response = stub._handle(split.path, params, files, arrived_at)
        if response.delay > 0:
            stub._closing.wait(response.delay)
        self._write(response.status, response.body)

    def _parse_params(self, query: str, body: bytes) -> tuple[dict[str, Any], dict[str, _Upload]]:
        params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
        files: dict[str, _Upload] = {}
        content_type = self.headers.get("Content-Type", "") or ""
        ctype = content_type.split(";", 1)[0].strip().lower()
        if not body:
            return params, files
        if ctype == "application/json":
            try:
                data = json.loads(body.decode("utf-8"))
            except ValueError:
                raise _ApiError(400, "Bad Request: can't parse JSON request body") from None
            if not isinstance(data, dict):
                raise _ApiError(400, "Bad Request: JSON object expected")
            params.update(data)
        elif ctype == "multipart/form-data":
            raw = b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
            msg = BytesParser(policy=email_policy.HTTP).parsebytes(raw)
            for part in msg.iter_parts():
                name = part.get_param("name", header="content-disposition")
                if not isinstance(name, str):
                    continue
                payload = part.get_payload(decode=True)
                content = payload if isinstance(payload, bytes) else b""
                filename = part.get_filename()
                if filename is not None:
                    files[name] = _Upload(filename, content, part.get_content_type())
                else:
                    charset = part.get_content_charset() or "utf-8"
                    params[name] = content.decode(charset, "replace")
        else:  # application/x-www-form-urlencoded (what PTB sends without files)
            params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        return params, files

    def _write(self, status: int, body: JSONDict) -> None:
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, OSError):
            self.close_connection = True


# --------------------------------------------------------------------------------------------
# The stub
# --------------------------------------------------------------------------------------------


class BotApiStub(FilesMixin):
    """Local Telegram Bot API stub. See the module docstring (and :mod:`botapi_files` for
    photos, documents, albums, ``getFile`` and downloads)."""

    def __init__(
        self,
        token: str = "123:ABC",
        *,
        rate_limits: RateLimits | None = None,
        clock: Callable[[], float] = time.monotonic,
        deliver_on_timeout: bool = True,
        long_poll_cap: float = 2.0,
        bot_username: str = "duban_test_bot",
        bot_first_name: str = "督办测试机器人",
        validate_html: bool = True,
    ) -> None:
        self.token = token
        self.rate_limits = rate_limits if rate_limits is not None else RateLimits()
        self.deliver_on_timeout = deliver_on_timeout
        self.long_poll_cap = long_poll_cap
        self.validate_html = validate_html
        self._clock = clock
        try:
            bot_id = int(token.split(":", 1)[0])
        except ValueError:
            bot_id = 1
        self.bot_user: JSONDict = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

        self._cond = threading.Condition(threading.RLock())
        self._closing = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

        # recorded state
        self._sent: list[SentMessage] = []
        self._documents: list[SentDocument] = []
        self._edits: list[EditRecord] = []
        self._callback_answers: list[CallbackAnswer] = []
        self._timeouts: list[TimeoutRecord] = []
        self._calls: list[ApiCall] = []
        self._messages: dict[int, StoredMessage] = {}
        self._users: dict[int, JSONDict] = {}
        self._method_counts: Counter[str] = Counter()
        self._fault_counts: Counter[str] = Counter()
        self._rate_limit_hits = 0
        self._retry_after_violations = 0
        self._commands: dict[str, list[JSONDict]] = {}
        self._webhook_url = ""

        # updates
        self._updates: deque[JSONDict] = deque()
        self._next_update_id = 1
        self._next_message_id = 1
        self._next_callback_id = 1
        self._callback_ids: set[str] = set()

        # faults
        self._faults: deque[_Fault] = deque()
        self._blocked: set[int] = set()
        self._not_found: set[int] = set()

        # rate limit state
        self._global_window: deque[float] = deque()
        self._chat_last: dict[int, float] = {}
        self._group_windows: dict[int, deque[float]] = {}
        self._penalties: dict[tuple[str, int], _Penalty] = {}

        self._init_files()
        self._handlers: dict[str, tuple[str, Callable[[_Request], Any]]] = {}
        for name, handler in (
            ("getMe", self._h_get_me),
            ("sendMessage", self._h_send_message),
            ("editMessageText", self._h_edit_message_text),
            ("editMessageReplyMarkup", self._h_edit_message_reply_markup),
            ("answerCallbackQuery", self._h_answer_callback_query),
            ("getUpdates", self._h_get_updates),
            ("deleteWebhook", self._h_delete_webhook),
            ("setWebhook", self._h_set_webhook),
            ("getWebhookInfo", self._h_get_webhook_info),
            ("setMyCommands", self._h_set_my_commands),
            ("getMyCommands", self._h_get_my_commands),
            ("deleteMyCommands", self._h_delete_my_commands),
            ("sendDocument", self._h_send_document),
            ("sendPhoto", self._h_send_photo),
            ("sendMediaGroup", self._h_send_media_group),
            ("getFile", self._h_get_file),
            ("sendChatAction", self._h_true),
            ("close", self._h_true),
            ("logOut", self._h_true),
        ):
            self._handlers[name.lower()] = (name, handler)

    # ---------------------------------------------------------------- lifecycle / addresses

    def start(self) -> Self:
        if self._server is not None:
            return self
        self._closing.clear()
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"BotApiStub:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server = self._server
        if server is None:
            return
        self._closing.set()
        with self._cond:
            self._cond.notify_all()  # wake long polls / waiters
        server.shutdown()
        server.server_close()
        with server.connections_lock:
            conns = list(server.connections)
        for conn in conns:  # drop idle keep-alive connections so handler threads exit
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("BotApiStub is not running")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """Root URL of the server, e.g. ``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """Value for ``Bot(base_url=...)`` / ``ApplicationBuilder().base_url(...)``."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    @property
    def api_url(self) -> str:
        """``base_url`` + token: append ``/<method>`` to call the API directly."""
        return f"{self.base_url}{self.token}"

    # ---------------------------------------------------------------- recorded state

    @property
    def sent(self) -> list[SentMessage]:
        with self._cond:
            return list(self._sent)

    @property
    def documents(self) -> list[SentDocument]:
        with self._cond:
            return list(self._documents)

    @property
    def edits(self) -> list[EditRecord]:
        with self._cond:
            return list(self._edits)

    @property
    def callback_answers(self) -> list[CallbackAnswer]:
        with self._cond:
            return list(self._callback_answers)

    @property
    def timeouts(self) -> list[TimeoutRecord]:
        with self._cond:
            return list(self._timeouts)

    @property
    def calls(self) -> list[ApiCall]:
        with self._cond:
            return list(self._calls)

    @property
    def commands(self) -> list[JSONDict]:
        """Commands from the last ``setMyCommands`` with default scope/language."""
        with self._cond:
            return list(self._commands.get(self._commands_key(None, None), []))

    @property
    def rate_limit_hits(self) -> int:
        with self._cond:
            return self._rate_limit_hits

    @property
    def retry_after_violations(self) -> int:
        with self._cond:
            return self._retry_after_violations

    @property
    def pending_updates(self) -> int:
        with self._cond:
            return len(self._updates)

    def messages_to(self, chat_id: int) -> list[SentMessage]:
        with self._cond:
            return [m for m in self._sent if m.chat_id == chat_id]

    def get_message(self, message_id: int) -> StoredMessage | None:
        """Current state (after edits) of a message, bot-sent or pushed."""
        with self._cond:
            stored = self._messages.get(message_id)
            return None if stored is None else StoredMessage(**stored.__dict__)

    def duplicates(self) -> list[tuple[int, str, int]]:
        """(chat_id, text, count) for every text sent more than once to the same chat."""
        with self._cond:
            counts = Counter((m.chat_id, m.text) for m in self._sent)
        return [(c, t, n) for (c, t), n in counts.items() if n > 1]

    def stats(self) -> dict[str, Any]:
        with self._cond:
            return {
                "sent": len(self._sent),
                "documents": len(self._documents),
                "photos": len(self._photos),
                "downloads": len(self._downloads),
                "edits": len(self._edits),
                "callback_answers": len(self._callback_answers),
                "rate_limit_hits": self._rate_limit_hits,
                "retry_after_violations": self._retry_after_violations,
                "faults_injected": sum(self._fault_counts.values()),
                "faults": dict(self._fault_counts),
                "timeouts": len(self._timeouts),
                "delivered_on_timeout": sum(1 for t in self._timeouts if t.delivered),
                "pending_updates": len(self._updates),
                "methods": dict(self._method_counts),
            }

    def clear(self) -> None:
        """Forget recorded traffic, counters and rate-limit windows (config/faults are kept)."""
        with self._cond:
            self._sent.clear()
            self._documents.clear()
            self._photos.clear()
            self._downloads.clear()
            self._edits.clear()
            self._callback_answers.clear()
            self._timeouts.clear()
            self._calls.clear()
            self._method_counts.clear()
            self._fault_counts.clear()
            self._rate_limit_hits = 0
            self._retry_after_violations = 0
            self._global_window.clear()
            self._chat_last.clear()
            self._group_windows.clear()
            self._penalties.clear()

    # ---------------------------------------------------------------- waiting

    def wait_for(
        self, predicate: Callable[[SentMessage], bool], timeout: float = 5.0
    ) -> SentMessage:
        """Block until a sent message matching ``predicate`` exists; return the first one.

        Raises ``TimeoutError`` (listing what was sent) if none shows up in ``timeout`` s.
        Do not call from inside a running event loop -- use :meth:`wait_for_async`.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for message in self._sent:
                    if predicate(message):
                        return message
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"no sent message matched within {timeout}s; sent: "
                        f"{[(m.chat_id, m.text[:60]) for m in self._sent]}"
                    )
                self._cond.wait(min(remaining, 0.5))

    async def wait_for_async(
        self, predicate: Callable[[SentMessage], bool], timeout: float = 5.0
    ) -> SentMessage:
        import asyncio

        return await asyncio.to_thread(self.wait_for, predicate, timeout)

    def wait_until(self, condition: Callable[[BotApiStub], bool], timeout: float = 5.0) -> None:
        """Block until ``condition(stub)`` is true (re-checked on every recorded event)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not condition(self):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"condition not met within {timeout}s: {self.stats()}")
                self._cond.wait(min(remaining, 0.5))

    async def wait_until_async(
        self, condition: Callable[[BotApiStub], bool], timeout: float = 5.0
    ) -> None:
        import asyncio

        await asyncio.to_thread(self.wait_until, condition, timeout)

    # ---------------------------------------------------------------- scripted updates

    def _user(self, user_id: int, username: str | None) -> JSONDict:
        user: JSONDict = {
            "id": user_id,
            "is_bot": False,
            "first_name": username or f"User{user_id}",
            "language_code": "zh-hans",
        }
        if username:
            user["username"] = username
        return user

    def _chat(self, chat_id: int) -> JSONDict:
        if chat_id > 0:
            user = self._users.get(chat_id)
            chat: JSONDict = {"id": chat_id, "type": "private"}
            chat["first_name"] = user["first_name"] if user else f"User{chat_id}"
            if user and user.get("username"):
                chat["username"] = user["username"]
            return chat
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        return {"id": chat_id, "type": kind, "title": f"Group {chat_id}"}

    def _message_json(self, stored: StoredMessage, plain: bool = True) -> JSONDict:
        sender = (
            self.bot_user
            if stored.from_bot
            else self._users.get(stored.chat_id, self._user(stored.chat_id, None))
        )
        data: JSONDict = {
            "message_id": stored.message_id,
            "from": sender,
            "chat": self._chat(stored.chat_id),
            "date": stored.date,
        }
        if stored.text is not None:
            text = stored.text
            if plain and stored.from_bot:
                with contextlib.suppress(_ApiError):
                    text = _plain_text(text, stored.parse_mode)
            data["text"] = text
            if not stored.from_bot:
                entities = _command_entities(text)
                if entities:
                    data["entities"] = entities
        if stored.caption is not None:
            data["caption"] = stored.caption
        if stored.edit_date is not None:
            data["edit_date"] = stored.edit_date
        if stored.reply_markup is not None and "inline_keyboard" in stored.reply_markup:
            data["reply_markup"] = stored.reply_markup
        if stored.extra:
            data.update(stored.extra)
        return data

    def _enqueue(self, update: JSONDict) -> JSONDict:
        update["update_id"] = self._next_update_id
        self._next_update_id += 1
        self._updates.append(update)
        self._cond.notify_all()
        return update

    def push_message(
        self,
        chat_id: int,
        text: str,
        from_id: int | None = None,
        username: str | None = None,
    ) -> JSONDict:
        """Queue an incoming text message (``/commands`` get a ``bot_command`` entity).

        ``from_id`` defaults to ``chat_id`` for private chats. Returns the update JSON.
        """
        return self._push_user_message(chat_id, text, None, None, from_id, username)

    def _push_user_message(self, chat_id: int, text: str | None, caption: str | None,
                           extra: dict[str, Any] | None, from_id: int | None = None,
                           username: str | None = None) -> JSONDict:
        with self._cond:
            sender_id = from_id if from_id is not None else (chat_id if chat_id > 0 else 1000)
            user = self._user(sender_id, username)
            self._users[sender_id] = user
            stored = StoredMessage(
                message_id=self._next_message_id,
                chat_id=chat_id,
                text=text,
                parse_mode=None,
                reply_markup=None,
                date=int(time.time()),
                from_bot=False,
                caption=caption,
                extra=extra,
            )
            self._next_message_id += 1
            self._messages[stored.message_id] = stored
            message = self._message_json(stored)
            message["from"] = user
            return self._enqueue({"message": message})

    def push_callback(
        self,
        chat_id: int,
        data: str,
        message_id: int | None = None,
        from_id: int | None = None,
        username: str | None = None,
    ) -> JSONDict:
        """Queue an inline-button press on a message the bot sent earlier.

        ``message_id`` defaults to the latest bot message in ``chat_id`` that has an inline
        keyboard (else the latest bot message). Returns the update JSON; the callback query
        id is ``update["callback_query"]["id"]``.
        """
        with self._cond:
            if message_id is None:
                candidates = [
                    m for m in self._messages.values() if m.chat_id == chat_id and m.from_bot
                ]
                with_kb = [m for m in candidates if m.reply_markup]
                pool = with_kb or candidates
                if not pool:
                    raise ValueError(f"no bot message in chat {chat_id} to press a button on")
                stored = max(pool, key=lambda m: m.message_id)
            else:
                found = self._messages.get(message_id)
                if found is None or found.chat_id != chat_id:
                    raise ValueError(f"message {message_id} not found in chat {chat_id}")
                stored = found
            sender_id = from_id if from_id is not None else (chat_id if chat_id > 0 else 1000)
            user = self._users.get(sender_id) or self._user(sender_id, username)
            if username:
                user = self._user(sender_id, username)
            self._users.setdefault(sender_id, user)
            query_id = f"cbq{self._next_callback_id}"
            self._next_callback_id += 1
            self._callback_ids.add(query_id)
            query: JSONDict = {
                "id": query_id,
                "from": user,
                "chat_instance": f"ci{chat_id}",
                "data": data,
                "message": self._message_json(stored),
            }
            return self._enqueue({"callback_query": query})

    # ---------------------------------------------------------------- fault injection

    def fail_next(self, n: int = 1, status: int = 500, method: str = "sendMessage") -> None:
        """The next ``n`` calls of ``method`` answer ``status`` (5xx) without effect."""
        with self._cond:
            for _ in range(n):
                self._faults.append(_Fault("fail", method.lower(), status=status))

    def timeout_next(
        self,
        n: int = 1,
        delay: float = 6.0,
        deliver: bool | None = None,
        method: str = "sendMessage",
    ) -> None:
        """The next ``n`` calls of ``method`` answer only after ``delay`` seconds.

        ``delay`` should exceed the client's read timeout (PTB default 5 s). The call takes
        effect anyway when ``deliver`` (default: ``self.deliver_on_timeout``) is true --
        "outcome unknown" from the client's point of view; otherwise the late answer is 504.
        """
        with self._cond:
            do_deliver = self.deliver_on_timeout if deliver is None else deliver
            for _ in range(n):
                self._faults.append(
                    _Fault("timeout", method.lower(), delay=delay, deliver=do_deliver)
                )

    def clear_faults(self) -> None:
        with self._cond:
            self._faults.clear()
            self._blocked.clear()
            self._not_found.clear()

    def block_chat(self, chat_id: int) -> None:
        """Sends/edits to ``chat_id`` answer 403 "Forbidden: bot was blocked by the user"."""
        with self._cond:
            self._blocked.add(chat_id)

    def unblock_chat(self, chat_id: int) -> None:
        with self._cond:
            self._blocked.discard(chat_id)

    def chat_not_found(self, chat_id: int) -> None:
        """Sends/edits to ``chat_id`` answer 400 "Bad Request: chat not found"."""
        with self._cond:
            self._not_found.add(chat_id)

    # ---------------------------------------------------------------- request handling

    def _handle(
        self,
        path: str,
        params: dict[str, Any],
        files: dict[str, _Upload],
        arrived_at: float,
    ) -> _Response:
        method_name = "?"
        try:
            prefix = "/bot"
            if not path.startswith(prefix) or "/" not in path[len(prefix) :]:
                raise _ApiError(404, "Not Found")
            token, _, method = path[len(prefix) :].partition("/")
            if token != self.token:
                raise _ApiError(401, "Unauthorized")
            entry = self._handlers.get(method.lower())
            if entry is None:
                method_name = method
                raise _ApiError(404, "Not Found: method not found")
            method_name, handler = entry
            request = _Request(method_name, params, files, arrived_at)

            fault = self._take_fault(method_name)
            if fault is not None and fault.kind == "fail":
                try:
                    phrase = HTTPStatus(fault.status).phrase
                except ValueError:
                    phrase = "Internal Server Error"
                raise _ApiError(fault.status, phrase)
            if fault is not None and fault.kind == "timeout":
                return self._handle_timeout(request, handler, fault)

            result = handler(request)
            response = _Response(200, {"ok": True, "result": result})
        except _ApiError as exc:
            response = _Response(exc.status, exc.body())
        self._record_call(method_name, params, response.status)
        return response

    def _handle_timeout(
        self, request: _Request, handler: Callable[[_Request], Any], fault: _Fault
    ) -> _Response:
        chat_id: int | None
        try:
            chat_id = _as_int(request.params.get("chat_id"), "chat_id")
        except _ApiError:
            chat_id = None
        text = request.params.get("text")
        message_id: int | None = None
        delivered = False
        if fault.deliver:
            try:
                with self._cond:  # record + mark atomically for wait_for() observers
                    result = handler(request)
                    if isinstance(result, dict):
                        message_id = result.get("message_id")
                        self._mark_timed_out(message_id)
                response = _Response(200, {"ok": True, "result": result}, delay=fault.delay)
                delivered = True
            except _ApiError as exc:
                response = _Response(exc.status, exc.body(), delay=fault.delay)
        else:
            response = _Response(
                504,
                {"ok": False, "error_code": 504, "description": "Gateway Timeout"},
                delay=fault.delay,
            )
        with self._cond:
            self._timeouts.append(
                TimeoutRecord(
                    method=request.method,
                    chat_id=chat_id,
                    text=text if isinstance(text, str) else None,
                    delivered=delivered,
                    message_id=message_id,
                    delay=fault.delay,
                    at=self._clock(),
                )
            )
            self._cond.notify_all()
        self._record_call(request.method, request.params, response.status)
        return response

    def _mark_timed_out(self, message_id: int | None) -> None:
        if message_id is None:
            return
        with self._cond:
            for i in range(len(self._sent) - 1, -1, -1):
                if self._sent[i].message_id == message_id:
                    self._sent[i] = dataclasses.replace(self._sent[i], timed_out=True)
                    return
            for i in range(len(self._documents) - 1, -1, -1):
                if self._documents[i].message_id == message_id:
                    self._documents[i] = dataclasses.replace(self._documents[i], timed_out=True)
                    return
            for i in range(len(self._photos) - 1, -1, -1):
                if self._photos[i].message_id == message_id:
                    self._photos[i] = dataclasses.replace(self._photos[i], timed_out=True)
                    return

    def _take_fault(self, method: str) -> _Fault | None:
        key = method.lower()
        with self._cond:
            for fault in self._faults:
                if fault.method == key:
                    self._faults.remove(fault)
                    self._fault_counts[fault.kind] += 1
                    return fault
        return None

    def _record_call(self, method: str, params: dict[str, Any], status: int) -> None:
        with self._cond:
            self._method_counts[method] += 1
            self._calls.append(ApiCall(method, dict(params), status, self._clock()))
            self._cond.notify_all()

    def _check_chat(self, chat_id: int) -> None:
        """Injected per-chat faults (caller holds the lock)."""
        if chat_id in self._blocked:
            self._fault_counts["blocked"] += 1
            raise _ApiError(403, "Forbidden: bot was blocked by the user")
        if chat_id in self._not_found:
            self._fault_counts["chat_not_found"] += 1
            raise _ApiError(400, "Bad Request: chat not found")

    # ---------------------------------------------------------------- rate limiting

    def _rate_limit(self, method: str, chat_id: int, arrived_at: float, fingerprint: str) -> None:
        """Raise a 429 _ApiError when a flood limit is exceeded; else count the message.

        ``fingerprint`` identifies the content (to recognise a retry of a refused message).
        Caller holds the lock.
        """
        limits = self.rate_limits
        if not limits.enabled or method.lower() not in limits.methods:
            return
        now = self._clock()
        scopes: list[tuple[str, int]] = [("global", 0)]
        if chat_id > 0 and limits.per_chat_interval > 0:
            scopes.append(("chat", chat_id))
        elif chat_id < 0 and limits.group_per_minute > 0:
            scopes.append(("group", chat_id))

        # 1) still inside a retry_after penalty?
        active = [
            (scope, pen)
            for scope in scopes
            if (pen := self._penalties.get(scope)) is not None and now < pen.until
        ]
        if active:
            self._rate_limit_hits += 1
            # A violation = the client sent this after it could know about the 429: either a
            # retry of a refused message, or anything arriving >= grace after the 429.
            # Requests already in flight when the 429 was issued are not violations.
            if any(
                arrived_at > pen.issued_at
                and (
                    fingerprint in pen.rejected
                    or arrived_at >= pen.issued_at + limits.violation_grace
                )
                for _, pen in active
            ):
                self._retry_after_violations += 1
            for _, pen in active:
                pen.rejected.add(fingerprint)
            retry = _ceil_seconds(max(pen.until for _, pen in active) - now)
            raise self._too_many(retry)

        # 2) sliding windows
        violated: dict[tuple[str, int], int] = {}
        gwin = self._global_window
        if limits.global_per_second > 0:
            while gwin and gwin[0] <= now - limits.global_window:
                gwin.popleft()
            if len(gwin) >= limits.global_per_second:
                violated[("global", 0)] = _ceil_seconds(gwin[0] + limits.global_window - now)
        if ("chat", chat_id) in scopes:
            last = self._chat_last.get(chat_id)
            if last is not None and now - last < limits.per_chat_interval:
                violated[("chat", chat_id)] = _ceil_seconds(last + limits.per_chat_interval - now)
        if ("group", chat_id) in scopes:
            win = self._group_windows.setdefault(chat_id, deque())
            while win and win[0] <= now - limits.group_window:
                win.popleft()
            if len(win) >= limits.group_per_minute:
                violated[("group", chat_id)] = _ceil_seconds(win[0] + limits.group_window - now)
        if violated:
            self._rate_limit_hits += 1
            for scope, retry in violated.items():
                self._penalties[scope] = _Penalty(
                    until=now + retry, issued_at=now, rejected={fingerprint}
                )
            raise self._too_many(max(violated.values()))

        # 3) accepted: count it
        if limits.global_per_second > 0:
            gwin.append(now)
        if ("chat", chat_id) in scopes:
            self._chat_last[chat_id] = now
        if ("group", chat_id) in scopes:
            self._group_windows[chat_id].append(now)

    @staticmethod
    def _too_many(retry_after: int) -> _ApiError:
        return _ApiError(
            429,
            f"Too Many Requests: retry after {retry_after}",
            {"retry_after": retry_after},
        )

    # ---------------------------------------------------------------- method handlers

    def _h_true(self, request: _Request) -> bool:
        return True

    def _h_get_me(self, request: _Request) -> JSONDict:
        return dict(self.bot_user)

    def _checked_text(self, text: Any, parse_mode: str | None, limit: int, what: str) -> str:
        if not isinstance(text, str) or not text.strip():
            raise _ApiError(400, f"Bad Request: {what} text is empty")
        plain = _plain_text(text, parse_mode) if self.validate_html else text
        if not plain.strip():
            raise _ApiError(400, f"Bad Request: {what} text is empty")
        if _utf16_len(plain) > limit:
            raise _ApiError(400, f"Bad Request: {what} is too long")
        return plain

    def _h_send_message(self, request: _Request) -> JSONDict:
        params = request.params
        chat_id = _chat_id_param(params)
        parse_mode = params.get("parse_mode") or None
        markup = _validate_reply_markup(_as_json(params.get("reply_markup"), "reply_markup"))
        with self._cond:
            self._check_chat(chat_id)
            text = params.get("text")
            self._checked_text(text, parse_mode, MAX_MESSAGE_LENGTH, "message")
            assert isinstance(text, str)
            self._rate_limit(request.method, chat_id, request.arrived_at, f"{chat_id}\x00{text}")
            stored = StoredMessage(
                message_id=self._next_message_id,
                chat_id=chat_id,
                text=text,
                parse_mode=parse_mode,
                reply_markup=markup,
                date=int(time.time()),
                from_bot=True,
            )
            self._next_message_id += 1
            self._messages[stored.message_id] = stored
            self._sent.append(
                SentMessage(
                    chat_id=chat_id,
                    text=text,
                    parse_mode=parse_mode,
                    reply_markup=markup,
                    message_id=stored.message_id,
                    at=self._clock(),
                )
            )
            self._cond.notify_all()
            return self._message_json(stored)

    def _api_error(self, status: int, description: str) -> _ApiError:
        return _ApiError(status, description)

    @staticmethod
    def _chat_param(params: dict[str, Any]) -> int:
        return _chat_id_param(params)

    @staticmethod
    def _json_param(value: Any, name: str) -> Any:
        return _as_json(value, name)

    def _caption_params(
        self, params: dict[str, Any]
    ) -> tuple[str | None, str | None, dict[str, Any] | None]:
        parse_mode = params.get("parse_mode") or None
        markup = _validate_reply_markup(_as_json(params.get("reply_markup"), "reply_markup"))
        caption = params.get("caption")
        if caption is not None:
            if not isinstance(caption, str):
                raise _ApiError(400, "Bad Request: invalid caption")
            plain = _plain_text(caption, parse_mode) if self.validate_html else caption
            if _utf16_len(plain) > MAX_CAPTION_LENGTH:
                raise _ApiError(400, "Bad Request: message caption is too long")
        return caption, parse_mode, markup

    def _store_bot_message(
        self, chat_id: int, caption: str | None, parse_mode: str | None,
        markup: dict[str, Any] | None,
    ) -> StoredMessage:
        """A new bot message carrying media (caller holds the lock)."""
        stored = StoredMessage(
            message_id=self._next_message_id,
            chat_id=chat_id,
            text=None,
            parse_mode=parse_mode,
            reply_markup=markup,
            date=int(time.time()),
            from_bot=True,
            caption=caption,
        )
        self._next_message_id += 1
        self._messages[stored.message_id] = stored
        return stored

    def _h_send_document(self, request: _Request) -> JSONDict:
        params = request.params
        chat_id = _chat_id_param(params)
        caption, parse_mode, markup = self._caption_params(params)
        stored_file, uploaded = self._resolve_media(request, params.get("document"), "document",
                                                    "document")
        with self._cond:
            self._check_chat(chat_id)
            self._rate_limit(
                request.method, chat_id, request.arrived_at,
                f"{chat_id}\x00doc:{stored_file.unique_id}:{caption}",
            )
            return self._record_document(chat_id, stored_file, uploaded, caption, parse_mode,
                                         markup)

    def _record_document(
        self, chat_id: int, stored_file: Any, uploaded: bool, caption: str | None,
        parse_mode: str | None, markup: dict[str, Any] | None, group: str | None = None,
    ) -> JSONDict:
        """Record a sent document (caller holds the lock); return its message JSON."""
        stored = self._store_bot_message(chat_id, caption, parse_mode, markup)
        self._documents.append(
            SentDocument(
                chat_id=chat_id,
                filename=stored_file.name,
                content=stored_file.content if uploaded else None,
                file_ref=None if uploaded else stored_file.file_id,
                caption=caption,
                parse_mode=parse_mode,
                reply_markup=markup,
                message_id=stored.message_id,
                at=self._clock(),
                file_id=stored_file.file_id,
                media_group_id=group,
            )
        )
        self._cond.notify_all()
        result = self._message_json(stored)
        result["document"] = self._document_json(stored_file)
        if group:
            result["media_group_id"] = group
        return result

    def _edit_target(self, params: dict[str, Any]) -> StoredMessage:
        if "inline_message_id" in params:
            raise _ApiError(400, "Bad Request: inline messages are not supported by the stub")
        chat_id = _chat_id_param(params)
        message_id = _as_int(params.get("message_id"), "message_id")
        self._check_chat(chat_id)
        stored = self._messages.get(message_id)
        if stored is None or stored.chat_id != chat_id:
            raise _ApiError(400, "Bad Request: message to edit not found")
        if not stored.from_bot:
            raise _ApiError(400, "Bad Request: message can't be edited")
        return stored

    def _h_edit_message_text(self, request: _Request) -> JSONDict:
        params = request.params
        parse_mode = params.get("parse_mode") or None
        # Like Telegram: omitting reply_markup on editMessageText removes the inline keyboard.
        markup = _validate_reply_markup(_as_json(params.get("reply_markup"), "reply_markup"))
        with self._cond:
            stored = self._edit_target(params)
            text = params.get("text")
            self._checked_text(text, parse_mode, MAX_MESSAGE_LENGTH, "message")
            assert isinstance(text, str)
            if stored.text == text and stored.reply_markup == markup:
                raise _ApiError(
                    400,
                    "Bad Request: message is not modified: specified new message content and "
                    "reply markup are exactly the same as a current content and reply markup "
                    "of the message",
                )
            stored.text = text
            stored.parse_mode = parse_mode
            stored.reply_markup = markup
            stored.edit_date = int(time.time())
            self._edits.append(
                EditRecord(
                    request.method,
                    stored.chat_id,
                    stored.message_id,
                    text,
                    parse_mode,
                    markup,
                    self._clock(),
                )
            )
            self._cond.notify_all()
            return self._message_json(stored)

    def _h_edit_message_reply_markup(self, request: _Request) -> JSONDict:
        params = request.params
        markup = _validate_reply_markup(_as_json(params.get("reply_markup"), "reply_markup"))
        with self._cond:
            stored = self._edit_target(params)
            if stored.reply_markup == markup:
                raise _ApiError(
                    400,
                    "Bad Request: message is not modified: specified new message content and "
                    "reply markup are exactly the same as a current content and reply markup "
                    "of the message",
                )
            stored.reply_markup = markup
            stored.edit_date = int(time.time())
            self._edits.append(
                EditRecord(
                    request.method,
                    stored.chat_id,
                    stored.message_id,
                    None,
                    None,
                    markup,
                    self._clock(),
                )
            )
            self._cond.notify_all()
            return self._message_json(stored)

    def _h_answer_callback_query(self, request: _Request) -> bool:
        params = request.params
        query_id = params.get("callback_query_id")
        with self._cond:
            if not isinstance(query_id, str) or query_id not in self._callback_ids:
                raise _ApiError(
                    400,
                    "Bad Request: query is too old and response timeout expired or query ID "
                    "is invalid",
                )
            self._callback_ids.discard(query_id)  # can be answered once
            text = params.get("text")
            self._callback_answers.append(
                CallbackAnswer(
                    callback_query_id=query_id,
                    text=text if isinstance(text, str) else None,
                    show_alert=_as_bool(params.get("show_alert", False)),
                    at=self._clock(),
                )
            )
            self._cond.notify_all()
            return True

    def _h_get_updates(self, request: _Request) -> list[JSONDict]:
        params = request.params
        offset = _as_int(params["offset"], "offset") if "offset" in params else None
        limit = _as_int(params["limit"], "limit") if "limit" in params else 100
        limit = min(max(limit, 1), 100)
        try:
            timeout = float(params.get("timeout", 0) or 0)
        except (TypeError, ValueError):
            timeout = 0.0
        wait = min(max(timeout, 0.0), self.long_poll_cap)
        deadline = time.monotonic() + wait
        with self._cond:
            if self._webhook_url:
                raise _ApiError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; use "
                    "deleteWebhook to delete the webhook first",
                )
            if offset is not None:
                if offset < 0:
                    keep = list(self._updates)[offset:]
                    self._updates = deque(keep)
                else:
                    while self._updates and self._updates[0]["update_id"] < offset:
                        self._updates.popleft()
            while True:
                if self._updates:
                    return [json.loads(json.dumps(u)) for u in list(self._updates)[:limit]]
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._closing.is_set():
                    return []
                self._cond.wait(remaining)

    def _h_delete_webhook(self, request: _Request) -> bool:
        with self._cond:
            self._webhook_url = ""
            if _as_bool(request.params.get("drop_pending_updates", False)):
                self._updates.clear()
        return True

    def _h_set_webhook(self, request: _Request) -> bool:
        url = request.params.get("url")
        with self._cond:
            self._webhook_url = url if isinstance(url, str) else ""
            if _as_bool(request.params.get("drop_pending_updates", False)):
                self._updates.clear()
        return True

    def _h_get_webhook_info(self, request: _Request) -> JSONDict:
        with self._cond:
            return {
                "url": self._webhook_url,
                "has_custom_certificate": False,
                "pending_update_count": len(self._updates),
            }

    @staticmethod
    def _commands_key(scope: Any, language_code: Any) -> str:
        scope_obj = _as_json(scope, "scope") if scope is not None else {"type": "default"}
        return json.dumps([scope_obj, language_code or ""], sort_keys=True)

    def _h_set_my_commands(self, request: _Request) -> bool:
        params = request.params
        commands = _as_json(params.get("commands"), "commands")
        if not isinstance(commands, list):
            raise _ApiError(400, "Bad Request: commands must be an array")
        for command in commands:
            if (
                not isinstance(command, dict)
                or not isinstance(command.get("command"), str)
                or not isinstance(command.get("description"), str)
                or not 1 <= len(command["command"]) <= 32
                or not 1 <= len(command["description"]) <= 256
            ):
                raise _ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        key = self._commands_key(params.get("scope"), params.get("language_code"))
        with self._cond:
            self._commands[key] = commands
        return True

    def _h_get_my_commands(self, request: _Request) -> list[JSONDict]:
        key = self._commands_key(request.params.get("scope"), request.params.get("language_code"))
        with self._cond:
            return list(self._commands.get(key, []))

    def _h_delete_my_commands(self, request: _Request) -> bool:
        key = self._commands_key(request.params.get("scope"), request.params.get("language_code"))
        with self._cond:
            self._commands.pop(key, None)
        return True
