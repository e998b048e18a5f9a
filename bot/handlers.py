"""What the Telegram bot does for each command: synchronous actions on the engine services.

Guarantees:

- the actor of every action is the person bound to the chat, acting through the bot; a chat
  bound to nobody can only ask for help and ``/bind``;
- what a chat may see — its task list, a task's detail, the summary — is what the engine's read
  services return for that person (a task outside it is "not found", as a missing one);
- every action goes through the same engine services and permission checks as the CLI, in its
  own session: a refused action (``DubanError``) is rolled back, logged and answered with its
  Chinese message; any other error is rolled back, logged with its traceback and answered with
  a generic Chinese apology — no traceback ever reaches a chat;
- actions never await: the session is closed before the reply goes out.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from html import escape

from sqlmodel import Session

from bot import review
from bot.common import (
    APOLOGY,
    UNBOUND,
    Action,
    Command,
    Reply,
    bound_person,
    log,
    run_action,
    wall_clock,
)
from bot.common import args as _args
from bot.common import me as _me
from engine.errors import EvidenceRequired, InvalidInput
from engine.org import binding
from engine.org.actors import Actor
from engine.org.directory import unit_code
from engine.org.permissions import require_action
from engine.org.visibility import find_visible_task
from engine.outbox.messages import LIGHT_EMOJI, buttons_for
from engine.read.detail import task_detail
from engine.read.filters import TaskFilters
from engine.read.tasks import visible_tasks
from engine.summary.build import summary_for
from engine.summary.render import render_html
from engine.tasks import lifecycle
from engine.tasks.actions import acknowledge, report_progress, request_completion, return_task
from engine.tasks.actions import verify_and_close as verify
from engine.tasks.extensions import decide_extension, request_extension
from engine.values import ACTIVE_STATUSES

__all__ = ["APOLOGY", "BUTTONS", "COMMANDS", "HELP", "PENDING", "UNBOUND", "Command", "Reply",
           "bound_person", "run_action"]

LIST_LIMIT = 30
"""Tasks listed by /tasks in one message (Telegram caps a message at 4096 characters)."""

HELP = """督办机器人可用命令：
/bind 绑定码 — 绑定本人身份（绑定码向督查室索取）
/tasks — 本单位在办事项及红黄绿灯
/task 编号 — 查看事项详情
/ack 编号 — 签收
/progress 编号 进展情况 — 反馈进展
/done 编号 证明材料说明 — 申请办结
/extend 编号 新时限 理由 — 申请延期（例：/extend DB-2024-0001 4月30日前 需协调资金）
照片和文件：发送 /progress 编号 或 /done 编号 后直接发送照片或文件（可多张，说明栏写文字），
或在照片说明中写 /done 编号 说明，或回复事项消息发送照片，即作为该事项的进展或证明材料。
督查室：/approve 申请号、/reject 申请号 理由、/verify 编号 [优秀|良好|合格|不合格]、/return 编号 理由
领导：/summary — 分管范围每日调度汇总
提醒消息下方的“签收 / 反馈进展 / 申请延期”按钮也可直接使用。"""
"""The HELP text (commands, how to send photos and files)."""


def _start(session: Session, person: Actor | None, rest: str, now: datetime, chat: int) -> Reply:
    if person is None or person.person is None:
        return Reply(f"您好！这里是督办机器人。\n{UNBOUND}\n\n{HELP}")
    return Reply(f"您好，{person.name}{person.person.title}！\n\n{HELP}")


def _help(session: Session, person: Actor | None, rest: str, now: datetime, chat: int) -> Reply:
    return Reply(HELP)


def _bind(session: Session, person: Actor | None, rest: str, now: datetime, chat: int) -> Reply:
    code = _args(rest, 1, "/bind 绑定码")[0]
    bound = binding.bind_chat(session=session, code=code, chat_id=chat, now=now,
                              wall_clock=wall_clock())
    log.info("chat %s bound to person %s", chat, bound.id)
    return Reply(f"绑定成功：{bound.name}{bound.title}。今后督办通知将发送到此聊天，"
                 "发送 /tasks 查看本单位在办事项。")


def _tasks(session: Session, person: Actor | None, rest: str, now: datetime, chat: int) -> Reply:
    filters = TaskFilters(statuses=ACTIVE_STATUSES)
    page = visible_tasks(session=session, actor=_me(person), now=now, filters=filters)
    rows = page.items
    if not rows:
        return Reply("目前没有在办的督办事项。")
    lines = [f"<b>在办督办事项（{len(rows)} 项）</b>"]
    for r in rows[:LIST_LIMIT]:
        late = f"，逾期{r.days_overdue}天" if r.overdue else ""
        due = r.due_text or (f"{r.due_at:%Y-%m-%d}" if r.due_at else "")
        lines.append(f"{LIGHT_EMOJI.get(r.light, '⚪')} <code>{escape(r.code)}</code> "
                     f"{escape(r.title)}（{escape(due)}，{r.status.label}{late}）")
    if len(rows) > LIST_LIMIT:
        lines.append(f"<i>另有 {len(rows) - LIST_LIMIT} 项未列出</i>")
    lines.append("发送 /task 编号 查看详情")
    return Reply("\n".join(lines), html=True)


def _task(session: Session, person: Actor | None, rest: str, now: datetime, chat: int) -> Reply:
    me = _me(person)
    d = task_detail(session=session, actor=me, code=_args(rest, 1, "/task 编号")[0], now=now)
    t = d.task
    due = f"{t.due_at:%Y-%m-%d %H:%M}" if t.due_at else ""
    lines = [f"<b>{escape(t.code)} {escape(t.title)}</b>",
             f"状态：{t.status.label}　{LIGHT_EMOJI.get(t.light, '⚪')} "
             f"{t.light.label if t.light else '—'}",
             f"完成时限：{escape(t.due_text or '')}（{due}）",
             f"牵头单位：{escape(t.lead_unit)}"]
    if t.co_units:
        lines.append(f"配合单位：{escape('、'.join(t.co_units))}")
    if d.requirement:
        lines.append(f"要求：{escape(d.requirement)}")
    lines += [f"{escape(u.unit)}：{'已签收' if u.acknowledged_at else '未签收'}"
              + ("（督查室代签收）" if u.acknowledged_on_behalf else "")
              + (f"，最新进展：{escape(u.last_feedback)}" if u.last_feedback else "")
              for u in d.units]
    lines += [f"延期申请 {e.id}（{e.status.label}）：{escape(e.requested_due_text)}，"
              f"理由：{escape(e.reason)}" for e in d.extensions]
    if d.files:
        names = "、".join(f.name for f in d.files[:10])
        lines.append(f"附件 {len(d.files)} 个：{escape(names)}")
    # The 签收 / 反馈 / 延期 buttons only for the chat's own unit, while the task is open.
    mine = me.unit_id is not None and unit_code(session, me.unit_id) in {u.unit_code
                                                                         for u in d.units}
    buttons = tuple((b["text"], b["data"]) for b in buttons_for(
        find_visible_task(session, me, t.code))) if mine and t.status in ACTIVE_STATUSES else ()
    return Reply("\n".join(lines), html=True, buttons=buttons)


def _ack(session: Session, person: Actor | None, rest: str, now: datetime, chat: int) -> Reply:
    task = acknowledge(session=session, task=_args(rest, 1, "/ack 编号")[0], actor=_me(person),
                       now=now)
    return Reply(f"已签收：{task.code} {task.title}。请按时限办理，并用 /progress {task.code} "
                 "进展情况 反馈进展。", toast="已签收")


def _progress(session: Session, person: Actor | None, rest: str, now: datetime,
              chat: int) -> Reply:
    code, *text = _args(rest, 1, "/progress 编号 进展情况")[0].split(None, 1)
    if not text:
        return ASK_PROGRESS(session, person, code, now, chat)
    report_progress(session=session, task=code, actor=_me(person), text=text[0], now=now)
    return Reply(f"已记录 {code.upper()} 的进展：{text[0]}", toast="进展已记录")


def _done(session: Session, person: Actor | None, rest: str, now: datetime, chat: int) -> Reply:
    """``/done 编号 [说明]``: without a description, or where the policy wants a file, the bot
    keeps the request open for the chat's next photos or files."""
    code, *evidence = _args(rest, 1, "/done 编号 证明材料说明")[0].split(None, 1)
    if not evidence:
        return ASK_EVIDENCE(session, person, code, now, chat)
    try:
        task = request_completion(session=session, task=code, actor=_me(person),
                                  evidence=evidence[0], now=now)
    except EvidenceRequired as exc:
        return Reply(f"{exc}。\n请直接发送照片或文件（可一次发送多张），将与上述说明一并提交。",
                     toast="请补充证明材料文件", pending=("request_completion", code.upper(),
                                                      evidence[0]))
    return Reply(f"已提交 {task.code} 的办结申请，等待督查室审核销号。", toast="已申请办结")


def _extend(session: Session, person: Actor | None, rest: str, now: datetime,
            chat: int) -> Reply:
    code, due, reason = _args(rest, 3, "/extend 编号 新时限 理由")
    req = request_extension(session=session, task=code, actor=_me(person), new_due=due,
                            reason=reason, now=now)
    return Reply(f"已提交延期申请（申请号 {req.id}），申请新时限：{req.requested_due_text}，"
                 "等待督查室审批。", toast="已申请延期")


def _request_id(text: str, usage: str) -> int:
    if not (text.isascii() and text.isdigit()):  # isdigit alone takes "²", which int refuses
        raise InvalidInput(f"申请号应为数字。用法：{usage}")
    return int(text)


def _approve(session: Session, person: Actor | None, rest: str, now: datetime,
             chat: int) -> Reply:
    first = _args(rest, 1, "/approve 申请号")[0].split(None, 1)
    req = decide_extension(session=session, request_id=_request_id(first[0], "/approve 申请号"),
                           actor=_me(person), approve=True, now=now,
                           note=first[1] if len(first) > 1 else "")
    return Reply(f"已批准延期申请 {req.id}，新时限：{req.requested_due_text}。")


def _reject(session: Session, person: Actor | None, rest: str, now: datetime,
            chat: int) -> Reply:
    number, reason = _args(rest, 2, "/reject 申请号 理由")
    req = decide_extension(session=session, request_id=_request_id(number, "/reject 申请号 理由"),
                           actor=_me(person), approve=False, now=now, note=reason)
    return Reply(f"已驳回延期申请 {req.id}。")


def _verify(session: Session, person: Actor | None, rest: str, now: datetime,
            chat: int) -> Reply:
    parts = _args(rest, 1, "/verify 编号 [评价]")[0].split(None, 2)
    rating = parts[1] if len(parts) > 1 else "合格"
    task = verify(session=session, task=parts[0], actor=_me(person), rating=rating, now=now,
                  note=parts[2] if len(parts) > 2 else "")
    return Reply(f"已审核销号：{task.code} {task.title}（评价：{rating}）。")


def _return(session: Session, person: Actor | None, rest: str, now: datetime,
            chat: int) -> Reply:
    code, reason = _args(rest, 2, "/return 编号 理由")
    task = return_task(session=session, task=code, actor=_me(person), reason=reason, now=now)
    return Reply(f"已退回 {task.code}，理由：{reason}。")


def _summary(session: Session, person: Actor | None, rest: str, now: datetime,
             chat: int) -> Reply:
    data = summary_for(session=session, actor=_me(person), now=now)
    return Reply(render_html(data), html=True)


def _ask(kind: str, prompt: str) -> Action:
    """A button that asks the chat for the text of ``kind`` after checking the permission."""
    def action(session: Session, person: Actor | None, rest: str, now: datetime,
               chat: int) -> Reply:
        task = find_visible_task(session, _me(person), _args(rest, 1, "编号")[0])
        require_action(session, _me(person), task, kind)
        lifecycle.target_status(task.status, kind)
        return Reply(prompt.format(code=task.code), toast="请回复", pending=(kind, task.code, ""))
    return action


def _asker(kind: str, prompt: str) -> Callable[[Session, Actor | None, str, datetime, int], Reply]:
    ask = _ask(kind, prompt)
    return lambda session, person, code, now, chat: ask(session, person, code, now, chat)


ASK_PROGRESS = _asker("report_progress", "请直接回复事项 {code} 的进展情况：一条文字消息，"
                      "或照片、文件（说明栏可写文字）。")
ASK_EVIDENCE = _asker("request_completion", "请发送事项 {code} 的证明材料：照片或文件（可一次"
                      "发送多张，说明栏写文字），也可以只回复文字说明。")

COMMANDS = {c.name: c for c in (
    Command("start", _start, bound=False), Command("help", _help, bound=False),
    Command("bind", _bind, bound=False), Command("tasks", _tasks), Command("task", _task),
    Command("ack", _ack), Command("progress", _progress), Command("done", _done),
    Command("extend", _extend), Command("approve", _approve), Command("reject", _reject),
    Command("verify", _verify), Command("return", _return), Command("summary", _summary),
)}
BUTTONS = {
    "ack": COMMANDS["ack"],
    "progress": Command("progress", _ask("report_progress", "请直接回复事项 {code} 的进展情况："
                                         "一条文字消息，或照片、文件（说明栏可写文字）。")),
    "extend": Command("extend", _ask("request_extension", "请回复事项 {code} 申请的新时限和理由，"
                                     "例如：4月30日前 需协调资金")),
    "verify": Command("verify", review.ask_rating),
    "rate": Command("verify", review.rate),
    "return": Command("return", _ask("return", "请回复退回事项 {code} 的理由（一条文字消息）。")),
}
PENDING = {"report_progress": COMMANDS["progress"], "request_extension": COMMANDS["extend"],
           "request_completion": COMMANDS["done"], "return": COMMANDS["return"]}
"""The command that completes each pending question with the chat's answer."""
