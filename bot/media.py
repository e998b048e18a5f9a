"""Photos and documents sent to the bot: evidence for progress, completion and extensions.

Which task and action a file is for, in order:

1. its caption is a command — ``/done 编号 说明``, ``/progress 编号 说明``,
   ``/extend 编号 新时限 理由``;
2. the chat was asked for it — after ``/done 编号``, ``/progress 编号``, the 反馈进展 button, or a
   ``/done`` refused for want of a file (the earlier text is kept and sent with the files);
3. it replies to a message that names a task (a reminder, an assignment): a progress report.

Otherwise nothing happens but a hint. An album (photos sent together, one ``media_group_id``)
is collected for :data:`bot.state.ALBUM_WAIT` seconds and becomes one report.

Guarantees: an unbound chat, a unit acting on another unit's task, a task in the wrong state,
or files whose declared sizes break the policy are refused *before* anything is downloaded;
files are downloaded as streams into temporary files (never whole in memory), bounded by the
policy's limit, and handed to the same engine services as the CLI, which check them again —
type from the content, whole and not truncated — and store them, or nothing at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import httpx
from sqlmodel import Session
from telegram import Bot, Message, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.common import Reply, me, run_in_session
from bot.state import Album, answer, state_of
from engine.errors import FileTooLarge, InvalidInput
from engine.files.ingest import MIB, Upload, check_sizes
from engine.org.actors import Actor
from engine.org.permissions import require_action
from engine.org.visibility import find_visible_task
from engine.store.policy import get_policy, zone_for
from engine.tasks import lifecycle
from engine.tasks.actions import report_progress, request_completion
from engine.tasks.extensions import request_extension

log = logging.getLogger("notifiers.bot")

TELEGRAM_DOWNLOAD_LIMIT = 20 * MIB
"""The Bot API lets a bot download files up to 20 MB (``getFile``)."""
CAPTION_COMMANDS = {"progress": "report_progress", "done": "request_completion",
                    "extend": "request_extension"}
CODE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{1,8}-\d{4}-\d{3,6}(?!\d)")
"""A task code in a message the user replied to (Chinese text may touch it on either side)."""
HINT = ("已收到文件，但未能确定它属于哪个事项，未提交。请先发送 /progress 编号 或 /done 编号 再发送"
        "照片或文件，或在照片说明中写“/done 编号 说明”，或直接回复事项消息发送照片。")
DOWNLOAD_FAILED = "下载文件时出错（{reason}），文件可能不完整，未提交；请重新发送。"


def file_url_for(base_url: str) -> str:
    """Where a Bot API server at ``base_url`` (``…/bot``) serves files (``…/file/bot``)."""
    root = base_url[:-len("/bot")] if base_url.endswith("/bot") else base_url.rstrip("/")
    return f"{root}/file/bot"


@dataclass(frozen=True)
class Incoming:
    """One file of a message, as Telegram describes it before we download it."""

    file_id: str
    name: str
    size: int | None
    source: str


@dataclass(frozen=True)
class Target:
    action: str
    code: str
    text: str


def _files(messages: list[Message], now: datetime, zone: Any) -> list[Incoming]:
    stamp = now.astimezone(zone).strftime("%Y%m%d-%H%M%S")
    found = []
    for index, message in enumerate(messages, start=1):
        if message.photo:
            photo = message.photo[-1]  # the largest size Telegram keeps
            found.append(Incoming(photo.file_id, f"照片-{stamp}-{index}.jpg", photo.file_size,
                                  f"telegram-photo:{photo.file_id}"))
        elif message.document is not None:
            doc = message.document
            found.append(Incoming(doc.file_id, doc.file_name or f"文件-{stamp}-{index}",
                                  doc.file_size, f"telegram-document:{doc.file_id}"))
    return found


def _target(messages: list[Message], pending: tuple[str, str, str] | None) -> Target | None:
    caption = next((m.caption for m in messages if m.caption), "") or ""
    if caption.startswith("/"):
        head, *rest = caption.split(None, 1)
        action = CAPTION_COMMANDS.get(head[1:].split("@", 1)[0].lower())
        if action is None:
            raise InvalidInput(f"照片说明中的命令 {head} 不能附带文件，可用：/progress、/done、/extend")
        code, *text = (rest[0] if rest else "").split(None, 1)
        if not code:
            raise InvalidInput(f"格式不对。用法：{head} 编号 说明")
        return Target(action, code, text[0] if text else "")
    if pending is not None:
        action, code, earlier = pending
        if action not in CAPTION_COMMANDS.values():
            raise InvalidInput("此处需要文字回复；照片和文件只能用于反馈进展、申请办结和申请延期")
        return Target(action, code, " ".join(p for p in (earlier, caption) if p))
    replied = messages[0].reply_to_message
    quoted = (replied.text or replied.caption or "") if replied is not None else ""
    found = CODE.search(quoted)
    return Target("report_progress", found.group(0), caption) if found else None


def _precheck(session: Session, person: Actor | None, target: Target,
              files: list[Incoming]) -> int:
    """The refusals that need no download — who, which task, its state, the declared sizes;
    returns the most bytes one file may have."""
    task = find_visible_task(session, me(person), target.code)
    require_action(session, me(person), task, target.action)
    lifecycle.target_status(task.status, target.action)
    policy = get_policy(session).evidence
    check_sizes([(f.name, f.size) for f in files], policy)
    too_big = next((f for f in files if (f.size or 0) > TELEGRAM_DOWNLOAD_LIMIT), None)
    if too_big is not None:
        raise FileTooLarge(f"文件“{too_big.name}”超过 Telegram 机器人可接收的 20 MB，未提交；"
                           "请压缩后重新发送，或通过网页控制台上传")
    return min(policy.max_file_mb * MIB, TELEGRAM_DOWNLOAD_LIMIT)


def _submit(target: Target, uploads: list[Upload], now: datetime
            ) -> Callable[[Session, Actor | None], Reply]:
    def work(session: Session, person: Actor | None) -> Reply:
        actor, count = me(person), f"{len(uploads)} 个文件"
        if target.action == "request_completion":
            task = request_completion(session=session, task=target.code, actor=actor,
                                      evidence=target.text, now=now, files=uploads)
            return Reply(f"已提交 {task.code} 的办结申请（附 {count}），等待督查室审核销号。",
                         toast="已申请办结")
        if target.action == "request_extension":
            due, *reason = target.text.split(None, 1)
            if not due or not reason:
                raise InvalidInput("格式不对。用法：照片说明写“/extend 编号 新时限 理由”")
            request = request_extension(session=session, task=target.code, actor=actor,
                                        new_due=due, reason=reason[0], now=now, files=uploads)
            return Reply(f"已提交延期申请（申请号 {request.id}，附 {count}），等待督查室审批。",
                         toast="已申请延期")
        report_progress(session=session, task=target.code, actor=actor, text=target.text,
                        now=now, files=uploads)
        return Reply(f"已记录 {target.code.upper()} 的进展（附 {count}）"
                     + (f"：{target.text}" if target.text else "。"), toast="进展已记录")
    return work


async def download(bot: Bot, incoming: Incoming, sink: IO[bytes], limit: int) -> None:
    """Stream one file from the Bot API into ``sink``, refusing more than ``limit`` bytes."""
    remote = await bot.get_file(incoming.file_id)
    path = remote.file_path or ""
    received = 0

    def take(piece: bytes) -> None:
        nonlocal received
        received += len(piece)
        if received > limit:
            raise FileTooLarge(f"文件“{incoming.name}”超过 {limit // MIB} MB 的上限，未提交")
        sink.write(piece)

    if Path(path).is_absolute() and Path(path).is_file():  # a local Bot API server
        with open(path, "rb") as source:
            while piece := source.read(256 * 1024):
                take(piece)
        return
    async with httpx.AsyncClient(timeout=httpx.Timeout(60.0, connect=10.0)) as client, \
            client.stream("GET", remote._get_encoded_url()) as response:
        response.raise_for_status()
        async for piece in response.aiter_bytes(256 * 1024):
            take(piece)


async def handle(context: ContextTypes.DEFAULT_TYPE, chat_id: int,
                 messages: list[Message]) -> None:
    """Turn ``messages`` (one, or an album) into one report; answer the chat."""
    state = state_of(context)
    now = state.clock()
    plan: list[tuple[Target, list[Incoming], int]] = []

    def route(session: Session, person: Actor | None) -> Reply:
        found = _target(messages, state.peek_pending(chat_id))
        if found is None:
            return Reply(HINT)
        files = _files(messages, now, zone_for(get_policy(session)))
        plan.append((found, files, _precheck(session, person, found, files)))
        return Reply("")

    checked = run_in_session(state.engine, "file", chat_id, True, route)
    if not plan:
        await answer(context, chat_id, checked)
        return
    target, files, limit = plan[0]
    reply = await _download_and_submit(context, chat_id, target, files, limit, now)
    if not reply.failed:
        state.pending.pop(chat_id, None)
    await answer(context, chat_id, reply)


async def _download_and_submit(context: ContextTypes.DEFAULT_TYPE, chat_id: int, target: Target,
                               files: list[Incoming], limit: int, now: datetime) -> Reply:
    state = state_of(context)
    with contextlib.ExitStack() as stack:
        uploads = []
        for incoming in files:
            sink = stack.enter_context(tempfile.TemporaryFile())
            try:
                await download(context.bot, incoming, sink, limit)
            except FileTooLarge as exc:
                return Reply(f"未办理：{exc}", failed=True)
            except (TelegramError, httpx.HTTPError, OSError) as exc:
                log.warning("download of %s for chat %s failed: %s", incoming.file_id, chat_id, exc)
                return Reply(DOWNLOAD_FAILED.format(reason=type(exc).__name__), failed=True)
            sink.seek(0)
            uploads.append(Upload(name=incoming.name, stream=sink, declared_size=incoming.size,
                                  source=incoming.source))
        return run_in_session(state.engine, target.action, chat_id, True,
                              _submit(target, uploads, now))


async def on_media(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A photo or a document: handled at once, or collected with the rest of its album."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None:
        return
    if message.media_group_id is None:
        await handle(context, chat.id, [message])
        return
    state = state_of(context)
    key = f"{chat.id}:{message.media_group_id}"
    album = state.albums.setdefault(key, Album(chat_id=chat.id))
    album.messages.append(message)
    if album.timer is not None:
        album.timer.cancel()
    album.timer = asyncio.create_task(_flush_later(context, key, state.album_wait))


async def _flush_later(context: ContextTypes.DEFAULT_TYPE, key: str, wait: float) -> None:
    await asyncio.sleep(wait)
    album = state_of(context).albums.pop(key, None)
    if album is None:
        return
    try:
        await handle(context, album.chat_id, album.messages)
    except Exception:  # noqa: BLE001 - a task of its own: no PTB error handler sees it
        log.exception("error handling an album in chat %s", album.chat_id)
