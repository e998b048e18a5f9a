"""The office's review buttons under a completion request: 审核销号 (then a rating) and 退回."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.common import Reply, args, me
from engine.errors import InvalidInput
from engine.org.actors import Actor
from engine.org.permissions import require_action
from engine.org.visibility import find_visible_task
from engine.tasks import lifecycle
from engine.tasks.actions import verify_and_close
from engine.values import Rating


def ask_rating(session: Session, person: Actor | None, rest: str, now: datetime,
               chat: int) -> Reply:
    """``verify:CODE``: the office chooses the rating (优秀 / 良好 / 合格 / 不合格)."""
    task = find_visible_task(session, me(person), args(rest, 1, "编号")[0])
    require_action(session, me(person), task, "verify")
    lifecycle.target_status(task.status, "verify")
    buttons = tuple((r.label, f"rate:{task.code}:{r.value}") for r in Rating)
    return Reply(f"请选择事项 {task.code} {task.title} 的销号评价：", buttons=buttons,
                 toast="请选择评价")


def rate(session: Session, person: Actor | None, rest: str, now: datetime, chat: int) -> Reply:
    """``rate:CODE:RATING``: 审核销号 with that rating."""
    code, _, value = rest.partition(":")
    rating = Rating.parse(value)
    if rating is None:
        raise InvalidInput("无法识别的评价按钮")
    task = verify_and_close(session=session, task=code, actor=me(person), rating=rating.value,
                            now=now)
    return Reply(f"已审核销号：{task.code} {task.title}（评价：{rating.label}）。", toast="已销号")
