"""Deadline expressions in requirement text, resolved by :mod:`engine.calendar.deadlines` against the
directive's date.

Guarantees: a due date comes only from a deadline expression in the text; a date that only says
when something happened ("3月20日召开") is no deadline; a span counted from a later event
("整改完成后5个工作日内") keeps its words but gets no date; a period the resolver has no rule for
("每季度第一个月10日前") is kept as a recurrence, as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine.calendar.deadlines import ResolvedDeadline, find_deadline_spans, resolve_deadline
from engine.errors import DeadlineParseError
from engine.intake.context import TaskContext


@dataclass
class Deadline:
    """One deadline expression of a task; ``category`` point|recurring|window."""

    start: int
    end: int
    text: str
    category: str
    resolved: ResolvedDeadline | None
    strong: bool = True
    field: bool = False


_DAY_ONLY = re.compile(r"(?<![月\d年号日])(\d{1,2})[日号](?:前|之前|以前|为止)")
_REPORT_VERB = re.compile(r"报送|上报|报告|上传|报")
_SPAN = re.compile(r"(?<![\d一二两三四五六七八九十第])(\d{1,3}|[一二两三四五六七八九十]{1,3})(个工作日|天|日|周|个月)"
                   r"(?:时间)?(?=给出|拿出|出结果|完成|办结|答复|反馈|明确|解决|整改|落实|报送|上报)")
_STANDARD = re.compile(r"(?:实行|实现|压缩至|压缩到|控制在|缩短至|缩短到|提速至|不超过)\S{0,2}$")
_HOURS = re.compile(r"(\d{1,2}|[一二两三四五六七八九十半]{1,3})个?小时(?=报送|上报|报告|报|上传)")
_PERIODIC = re.compile(r"每个?(?:季度|半年|年度?|两周|旬)(?:[^，。；]{0,10}?(?:前|底|末))?")
_ANNUAL = re.compile(r"全年(?:完成|目标|新增)|(?<![\d年])年度完成")
_VAGUE = re.compile(r"尽快|尽早|及早|从速|近期|及时")
_BARE_DAY = re.compile(r"今天|今日|当天|当日|明天|明日|次日|后天")
_AS_OF = re.compile(r"截至|截止到|截止目前")
_WINDOW_CONTEXT = re.compile(r"突发|事件|事故|信息|紧急|发生|接报|险情|火情|灾情")
URGENT = re.compile(r"立即|立刻|即刻|马上|第一时间")
_CUE_BEFORE = ("到", "至", "限", "截止", "截至")
_FROM_ISSUE = re.compile(r"(?:收到|接到)本?(?:通知|单|函|文)|印发|下发")
ENDINGS = ("前", "止", "底", "末", "内", "终")
_DEADLINE_LABEL = re.compile(r"(?:时限|截止时间|完成时间|期限|办结时间)[:：]\s*$")
_CUE_AFTER = re.compile(r"前|之前|以前|为止|止|内|完成|结束|办结|报送|上报|反馈|到期|截止|为期限|"
                        r"[^，。；、]{0,3}(?:报送|上报|完成|办结|反馈|答复)")


def find_deadlines(ctx: TaskContext, start: int, end: int) -> list[Deadline]:
    """Deadline expressions in ``text[start:end]``, resolved against the directive's date.

    Dates that only say when something happened ("3月20日召开") are skipped: a bare date must be
    introduced (于/到/至/限…) or followed by 前/完成/报送…; "26日前" takes the previous month.
    """
    text = ctx.text
    found = [(start + a, start + b, text[start + a:start + b])
             for a, b in find_deadline_spans(text[start:end])]
    for m in _DAY_ONLY.finditer(text, start, end):
        month = ctx.dates.month_before(m.start())
        issued = ctx.issued_at.astimezone(ctx.tz).date() if ctx.issued_at else None
        if month and issued and month == issued.month and int(m.group(1)) < issued.day:
            month = month % 12 + 1  # "4号前" said on May 30: the coming 4th
        if month:
            found.append((m.start(), m.end(), f"{month}月{m.group()}"))
    found += [(m.start(), m.end(), m.group(1) + "小时内") for m in _HOURS.finditer(text, start, end)]
    found += [(m.start(), m.end(), f"{m.group(1)}{m.group(2)}内")
              for m in _SPAN.finditer(text, start, end)
              if not _STANDARD.search(text, max(start, m.start() - 6), m.start())]
    found += [(m.start(), m.end(), "年底前") for m in _ANNUAL.finditer(text, start, end)]
    found += [(m.start(), m.end(), "") for m in _PERIODIC.finditer(text, start, end)]
    out: list[Deadline] = []
    for s, e, query in sorted(found, key=lambda x: (x[0], x[0] - x[1])):
        if (out and s < out[-1].end) or re.match(r"起(?!至)|开始|以来", text[e:e + 2]):
            continue
        if _AS_OF.search(text, max(0, s - 3), s):
            continue  # "截至8月5日": the moment a report speaks of, no deadline
        deadline = _resolve(ctx, s, e, query)
        if deadline is not None:
            out.append(deadline)
    return out


def _resolve(ctx: TaskContext, s: int, e: int, query: str) -> Deadline | None:
    """One deadline, or None for a date that is no deadline ("3月20日召开", "一季度全市…")."""
    text, written = ctx.text, ctx.text[s:e]
    if not query:  # a period the resolver has no rule for ("每季度第一个月10日前", "每半年")
        return Deadline(s, e, written, "recurring", None)
    introduced = text[max(0, s - 2):s].endswith(_CUE_BEFORE) or bool(_CUE_AFTER.match(text, e)) \
        or bool(_DEADLINE_LABEL.search(text, max(0, s - 8), s))
    if ctx.issued_at is None:  # no date to count from: the duty's rule, as written
        if written.startswith("每"):
            return Deadline(s, e, written, "recurring", None)
        return Deadline(s, e, written, "point", None) if introduced else None
    try:
        rd = resolve_deadline(query, issued_at=ctx.issued_at, tz=ctx.tz, calendar=ctx.calendar)
    except DeadlineParseError as exc:
        ctx.warnings.append(f"{exc}（已保留原文，请人工确认）")
        return Deadline(s, e, written, "point", None)
    firm = introduced or query != written or written.endswith(ENDINGS)
    if rd.form in ("absolute", "iso", "period_end") and not firm:
        return None
    if rd.form == "relative" and _BARE_DAY.fullmatch(written) and not introduced:
        return None  # "今天视察的区域": a day something happens, no deadline
    if rd.blur and _VAGUE.fullmatch(written):  # "尽快": kept as written, the office dates it
        return Deadline(s, e, written, "point", None, False)
    if rd.recurrence:
        return Deadline(s, e, written, "recurring", rd)  # a cadence is a duty of its own
    around = text[max(0, s - 20):e + 4]
    if rd.form == "hours" and not URGENT.search(written) and _WINDOW_CONTEXT.search(around):
        verb = _REPORT_VERB.match(text, e)
        return Deadline(s, e, written + (verb.group() if verb else ""), "window", None)
    if rd.form in ("relative", "workdays", "hours") and _after_event(text, s):
        return Deadline(s, e, written, "point", None)  # "整改完成后5个工作日内": date unknown
    return Deadline(s, e, written, "point", rd, not URGENT.search(written))


def _after_event(text: str, s: int) -> bool:
    """Whether a relative span counts from a later event ("办结后1个工作日内", "收到项目清单后")
    rather than from the issue ("收到本通知后3日内")."""
    before = text[max(0, s - 12):s]
    return before.rstrip("的").endswith("后") and not _FROM_ISSUE.search(before)
