"""Requirements → draft tasks.

A region of text (an instruction's words, a meeting paragraph, one enumerated item) is split
into clauses; each clause is classed as a requirement, a neutral phrase, a statement of fact
(work done, statistics, background), a superior body's own action, or exhortation. Requirement
clauses are grouped into tasks: a new task starts where a new unit becomes the subject, where a
second deadline of another sentence appears, or where a periodic duty follows a one-off one.

Guarantees: a task has at least one requirement clause with a concrete action or a deadline;
nothing at or after ``TaskContext.limit`` (a cut-off last sentence) becomes a task; unit codes
come only from the directory; due dates come only from deadline expressions in the task's own
text (or its item's introduction), resolved by :mod:`engine.deadlines` against the directive's
date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from engine.deadlines import ResolvedDeadline, find_deadline_spans, resolve_deadline
from engine.errors import DeadlineParseError
from engine.intake.directives import DraftDirective, PersonMatcher
from engine.intake.segment import (
    DateReader,
    Span,
    cells,
    clauses,
    cn_number,
    inline_items,
    sentences,
)
from engine.intake.units import Roles, UnitMatcher, UnitMention, assign_roles, cell_units
from engine.workcal import WorkCalendar


@dataclass
class DraftTask:
    """A proposed task; the office confirms it. ``due_at`` is aware UTC."""

    directive_key: str
    title: str
    requirement: str
    lead_units: list[str]
    co_units: list[str]
    unknown_units: list[str]
    due_text: str | None
    due_at: datetime | None
    quantity: float | None
    measure: str | None
    recurrence: str | None
    source_span: tuple[int, int]
    confidence: float
    milestones: list[tuple[str, datetime]] = field(default_factory=list)


@dataclass
class TaskContext:
    """Everything task extraction needs for one directive's text."""

    text: str
    directive: DraftDirective
    units: UnitMatcher
    people: PersonMatcher
    dates: DateReader
    issued_at: datetime | None
    tz: ZoneInfo
    calendar: WorkCalendar
    addressee: str | None
    limit: int
    warnings: list[str]
    inherited: Roles | None = None
    in_item: bool = False


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


@dataclass
class _Clause:
    start: int
    end: int
    sent: int
    cls: str  # req | act | neu | head | role | exh | neg | sup
    subject: frozenset[str]
    deadlines: list[Deadline]
    cooperates: bool = False


_FILLER = re.compile(r"^(?:同时|并且|并|还要|另外|此外|其中|尤其是|特别是|[一二三四五六七八九十]{1,2}是)")
_REQ_ANY = re.compile(r"要求|务必|必须|限期|(?<![主重需只])要(?![点素])|^请|(?<![提申邀])请[^阅]|应当|需|须|^由|确保|"
                      r"抓紧|加快|立即|尽快|及时")
_STAT = re.compile(r"同比|环比|增长|共计|累计|较去年|较上年|合计")
_DONE = re.compile(r"已经?|均已|(?<![为除])了(?!解)|截至目前|截止目前")
_NEG = re.compile(r"目前|召开|听取|汇报|带队|提到|询问|解读|会议认为|会议指出|会议同意|原则同意|主持|出席|"
                  r"下发|印发|出台|转发|通报分析|相继|获悉|据统计|作出|进行圈阅|发现|接[^，。]{0,6}通知")
_CONSEQUENCE = re.compile(r"予以通报|通报批评|追究[^，。；]{0,8}责任|严肃问责|将提请|记入[^，。；]{0,4}档案")
_META = re.compile(r"现将|如下|现就|特此通知|特此通报")
_PROBLEM = re.compile(r"未能|未按|未得到|不到位|不力|不完整|滞后|偏低|严重|存在|反映|引发|造成|"
                      r"发生(?!后)|敷衍|违规")
_SUP = re.compile(r"^(?:省|国家|国务院|中央|总队|应急部|应急管理部|上级|部里)")
_EXH = re.compile(r"高度重视|提高认识|政治站位|统一思想|意识|确保[^，。；]{0,12}安全|认真贯彻|深刻认识|"
                  r"引以为戒|举一反三|长效机制")
_ACTION = re.compile(
    r"开展|推进|推动|加强|加大|加快|建立|健全|完善|组织|督促|实施|完成|新建|建设|建成|整改|排查|梳理|"
    r"报送|上报|报告|制定|做好|强化|压实|压紧|落实|细化|绘制|设置|发动|坚持|检查|回头看|问责|倒查|参与|"
    r"办结|答复|核查|处置|清理|拆除|改造|更新|配备|安装|培训|演练|宣传|部署|调度|提交|反馈|销号|研究|"
    r"编制|修订|审核|验收|整治|治理|查找|改进|根除|巩固|指导|明确|签字|对账|督改|摸排|核实|统计|汇总|"
    r"衔接|保障|申报|推广|打造|创建|提升|优化|规范|管控|监管|防范|跟踪|回访|补齐|消除|关停|取缔|查处|"
    r"约谈|迎检|准备|办理|解决|处理|督办|调查|复核|核减|征收|流转|收储|招引|开工|投放|购置|铺设|修复|"
    r"疏通|张贴|公示|建档|登记|上传|录入|移交|通知|告知|联系|协调|对接|走访|入户|抽查|复查|攻坚|新增|"
    r"压缩|实行|评估|更换|提请|储备|保供|稳价|巡查|值班|报")
_TITLES = re.compile(r"《[^》]*》")
_GENERIC = re.compile(r"抓好落实|贯彻落实|认真落实|狠抓落实|推动工作落实|推动落实|抓落实|落实到位|认真办理|"
                      r"办理情况|及时反馈")
_HEADING = re.compile(r"[一二三四五六七八九十]{1,2}是[^，,；;]{1,12}[。；;]?$")
_ROLE_WORDS = re.compile(r"由|牵头|配合|负责|协助|协同|参与|单位|部门|等|、|：|:|，|。|；|责任|主办|协办|和|及")
_FIELD_LABEL = re.compile(r"(?:完成时限|时限要求|完成时间|办结时限|整改时限|办理时限|截止时间|"
                          r"牵头单位|配合单位|责任单位|协办单位)[:：]\s*$")
_LEAD_IN = re.compile(r"(?:会议|具体)?(?:要求|强调|指出|明确|决定|议定|部署)[:：，,]?")
_ADOPTED = re.compile(r"同意|审议通过|原则通过")
_CITY_LEADERS = ("市长", "书记", "秘书长", "主席")
_YOU = re.compile(r"你局|你单位|你区|你县|你委|你办|你中心|你镇|你公司|贵单位")
_CO_ONLY = re.compile(r"[^，。；]{0,30}?(?:配合|协助|协同)")
_SUBJECT_ORG = re.compile(r"([\u4e00-\u9fa5]{2,12}?(?:局|委|办|中心|公司|集团|支队|大队|中队|办公室))"
                          r"(?=要|需|须|应|负责|牵头|及时|立即|抓紧|于|在|对|按照|结合|务必|认真|切实|加快|做好)")


def classify(ctx: TaskContext, start: int, end: int) -> list[_Clause]:
    """The clauses of ``text[start:end]`` with their class, subject units and deadlines.

    A modal ask ("X要…") reaches the bare actions that follow it in the same sentence; a short
    first sentence followed by others ("严格值班值守。") heads them and is no task itself.
    """
    text = ctx.text
    deadlines = find_deadlines(ctx, start, end)
    spans = sentences(text, start, end)
    out: list[_Clause] = []
    state: str | None = None
    for k, (s0, e0) in enumerate(spans):
        state, asked = (None if state == "neg" else state), False
        for s, e in clauses(text, s0, e0):
            if s >= ctx.limit:
                break
            subject = _subject(ctx, s, e)
            own = [d for d in deadlines if s <= d.start < e]
            for d in own:
                d.field = bool(_FIELD_LABEL.search(text, s0, s))
            cls, state = _class(ctx, (s, e), subject, any(d.strong for d in own), state, asked)
            asked = asked or bool(_REQ_ANY.search(text, s, e))
            cls = "req" if cls == "act" and asked else cls
            if _heads(text, (s, e), (s0, e0), k, len(spans)) and not subject:
                cls = "head"
            out.append(_Clause(s, e, k, cls, subject, own,
                               bool(subject) and bool(_CO_ONLY.match(text, s, e))))
    return out


def _heads(text: str, clause: Span, sentence: Span, k: int, count: int) -> bool:
    """"一是抓好要素保障。", "严格值班值守。" (first of several sentences) or "办理要求："."""
    s, e = clause
    if text[e - 1] in "：:" and e - s <= 9:
        return True
    if clause != sentence:
        return False
    short_first = k == 0 and count > 1 and e - s <= 10 and not _REQ_ANY.search(text, s, e)
    return bool(_HEADING.match(text, s, e)) or short_first


def _subject(ctx: TaskContext, start: int, end: int) -> frozenset[str]:
    """Units named at the head of a clause (its grammatical subject, roughly)."""
    body = _FILLER.sub("", ctx.text[start:end])
    head = start + (end - start - len(body))
    if body.startswith(("请", "由")):
        head += 1
    if ctx.text.startswith(("各市", "各级", "全市", "各地"), head):
        head += 2
    found = [m for m in ctx.units.find(ctx.text, head, end) if m.start - head <= 1]
    names = {c for m in found for c in (m.codes or (m.name,))}
    if ctx.addressee and _YOU.match(ctx.text, head, end):
        names.add(ctx.addressee)
    org = _SUBJECT_ORG.match(ctx.text, head, end)
    if org and not found:
        names.add(org.group(1))
    return frozenset(names)


def _class(ctx: TaskContext, span: Span, subject: frozenset[str], strong: bool,
           state: str | None, asked: bool) -> tuple[str, str | None]:
    """(class of the clause, state carried to the next clause).

    ``req`` needs an ask (要/请/务必/由…), an enumerated item or a firm deadline, plus an action
    or that deadline; a bare action ("完成投资58.6亿元") is only ``act``, which never makes a
    task on its own.
    """
    start, end = span
    body = _FILLER.sub("", ctx.text[start:end]).strip("，,。；;：: ")
    if not body:
        return "neu", state
    asks = bool(_REQ_ANY.search(body))
    plain = _plain(ctx, start, end)
    action = bool(_ACTION.search(_GENERIC.sub("", plain)))
    if (_SUP.match(body) or (state == "sup" and not subject)) and not asks:
        return "sup", "sup"
    if _STAT.search(body) or _META.search(body) or (_CONSEQUENCE.search(body) and not asks):
        return "neg", "neg"
    done = bool(_DONE.search(body))
    problem = bool(_PROBLEM.search(body)) and not (asks or asked) and not body.endswith(("后", "时"))
    if (asks or ctx.in_item or strong) and (action or strong) and (asks or strong or not done) \
            and not problem:
        return ("role" if _role_only(ctx, start, end) else "req"), None
    if done or problem or (state == "neg" and not subject) or _NEG.search(body):
        return "neg", "neg"
    if _role_only(ctx, start, end):
        return "role", None
    if _EXH.search(body) or _GENERIC.search(plain):
        return "exh", None
    return ("act" if action else "neu"), None


def _plain(ctx: TaskContext, start: int, end: int) -> str:
    """The clause without 《titles》 and unit names (市场监管局 holds no action 监管)."""
    text, pos, parts = ctx.text, start, []
    for m in ctx.units.find(text, start, end):
        parts.append(text[pos:m.start])
        pos = m.end
    parts.append(text[pos:end])
    return _TITLES.sub("", "".join(parts))


def _role_only(ctx: TaskContext, start: int, end: int) -> bool:
    """Whether the clause only names units and roles ("由市住建局牵头", "市财政局配合")."""
    mentions = ctx.units.find(ctx.text, start, end)
    if not mentions:
        return False
    rest, pos = [], start
    for m in mentions:
        rest.append(ctx.text[pos:m.start])
        pos = m.end
    rest.append(ctx.text[pos:end])
    return len(_ROLE_WORDS.sub("", "".join(rest))) < 2


def _actionable(cl: list[_Clause]) -> bool:
    return any(c.cls == "req" for c in cl)


def _category(cl: list[_Clause]) -> set[str]:
    return {d.category for c in cl for d in c.deadlines if d.resolved or d.category != "point"}


def chunk(items: list[_Clause]) -> list[list[_Clause]]:
    """Group clauses into tasks (see the module docstring for where a task starts)."""
    chunks: list[list[_Clause]] = []
    cur: list[_Clause] = []
    for c in items:
        if c.cls in ("neg", "sup"):
            if cur and _actionable(cur):
                chunks.append(cur)
            cur = []  # a statement between two asks separates them; a lead-in before it goes
            continue
        if cur and _actionable(cur) and _starts_new(cur, c):
            moved: list[_Clause] = []
            while cur and cur[-1].sent == c.sent and cur[-1].cls != "req":
                moved.insert(0, cur.pop())
            chunks.append(cur)
            cur = moved
        cur.append(c)
    if cur:
        chunks.append(cur)
    return [ch for ch in chunks if _actionable(ch)]


def _starts_new(cur: list[_Clause], c: _Clause) -> bool:
    if any(d.field for d in c.deadlines):
        return False
    lead = next((x.subject for x in cur if x.subject), frozenset())
    if c.subject and c.subject != lead and c.cls != "role" and not c.cooperates:
        return True
    mine, theirs = _category([c]), _category(cur)
    if not mine:
        return False
    if mine & {"recurring", "window"} and mine != theirs and (theirs or c.sent != _last_req(cur)):
        return True
    if "point" in mine and theirs & {"recurring", "window"}:
        return True
    return c.sent != _last_req(cur) and "point" in theirs and "point" in mine


def _last_req(cur: list[_Clause]) -> int:
    return max((x.sent for x in cur if x.cls == "req"), default=cur[-1].sent)


# -- deadlines -------------------------------------------------------------------------------

_DAY_ONLY = re.compile(r"(?<![月\d年号日])(\d{1,2})[日号](?:前|之前|以前|为止)")
_REPORT_VERB = re.compile(r"报送|上报|报告|上传|报")
_HOURS = re.compile(r"(\d{1,2}|[一二两三四五六七八九十半]{1,3})个?小时(?=报送|上报|报告|报|上传)")
_PERIODIC = re.compile(r"每个?(?:季度|半年|年度?|两周|旬)(?:[^，。；]{0,10}?(?:前|底|末))?")
_ANNUAL = re.compile(r"年度(?:完成|目标|任务)|全年(?:完成|目标|新增)")
_WINDOW_CONTEXT = re.compile(r"突发|事件|事故|信息|紧急|发生|接报|险情|火情|灾情")
_URGENT = re.compile(r"立即|立刻|即刻|马上|第一时间")
_START = re.compile(r"(?:从|自)?((?:\d{4}年)?\d{1,2}月\d{1,2}日)(?:开始|起(?!至))")
_CUE_BEFORE = ("到", "至", "限", "截止", "截至")
_FROM_ISSUE = re.compile(r"(?:收到|接到)本?(?:通知|单|函|文)|印发|下发")
_ENDINGS = ("前", "止", "底", "末", "内", "终")
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
        if month:
            found.append((m.start(), m.end(), f"{month}月{m.group()}"))
    found += [(m.start(), m.end(), m.group(1) + "小时内") for m in _HOURS.finditer(text, start, end)]
    found += [(m.start(), m.end(), "年底前") for m in _ANNUAL.finditer(text, start, end)]
    found += [(m.start(), m.end(), "") for m in _PERIODIC.finditer(text, start, end)]
    out: list[Deadline] = []
    for s, e, query in sorted(found, key=lambda x: (x[0], x[0] - x[1])):
        if (out and s < out[-1].end) or re.match(r"起(?!至)|开始|以来", text[e:e + 2]):
            continue
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
    if ctx.issued_at is None:
        return Deadline(s, e, written, "point", None) if introduced else None
    try:
        rd = resolve_deadline(query, issued_at=ctx.issued_at, tz=ctx.tz, calendar=ctx.calendar)
    except DeadlineParseError as exc:
        ctx.warnings.append(f"{exc}（已保留原文，请人工确认）")
        return Deadline(s, e, written, "point", None)
    firm = introduced or query != written or written.endswith(_ENDINGS)
    if rd.form in ("absolute", "iso", "period_end") and not firm:
        return None
    if rd.recurrence:
        return Deadline(s, e, written, "recurring", rd, firm or rd.recurrence.time is not None)
    around = text[max(0, s - 20):e + 4]
    if rd.form == "hours" and not _URGENT.search(written) and _WINDOW_CONTEXT.search(around):
        verb = _REPORT_VERB.match(text, e)
        return Deadline(s, e, written + (verb.group() if verb else ""), "window", None)
    if rd.form in ("relative", "workdays", "hours") and _after_event(text, s):
        return Deadline(s, e, written, "point", None)  # "整改完成后5个工作日内": date unknown
    return Deadline(s, e, written, "point", rd, not _URGENT.search(written))


def _after_event(text: str, s: int) -> bool:
    """Whether a relative span counts from a later event ("办结后1个工作日内", "收到项目清单后")
    rather than from the issue ("收到本通知后3日内")."""
    before = text[max(0, s - 12):s]
    return before.rstrip("的").endswith("后") and not _FROM_ISSUE.search(before)


def _timing(ctx: TaskContext, ch: list[_Clause]
            ) -> tuple[datetime | None, list[tuple[str, datetime]], str | None, str | None, bool]:
    """(due_at, milestones, recurrence text, due text, blurred) for one task's deadlines."""
    dls = [d for c in ch for d in c.deadlines]
    s, e = ch[0].start, ch[-1].end
    periodic = next((d for d in dls if d.category in ("recurring", "window")), None)
    points = [d for d in dls if d.category == "point" and d.resolved and not (
        periodic and periodic.category == "window" and _URGENT.search(d.text))]
    recurrence = periodic.text if periodic else None
    if not points:
        if periodic and periodic.category == "recurring" and periodic.resolved:
            return _first_occurrence(ctx, periodic, s, e), [], recurrence, periodic.text, False
        written = periodic.text if periodic else (dls[0].text if dls else None)
        return None, [], recurrence, written, False
    fields = [d for d in points if d.field]
    main = fields[-1] if fields else max(points, key=lambda d: _due(d))
    milestones = [(_label(ch, ctx.text, d), _due(d)) for d in points
                  if d is not main and _due(d) < _due(main)]
    blur = bool(main.resolved and main.resolved.blur)
    return _due(main), milestones, recurrence, main.text, blur


def _due(d: Deadline) -> datetime:
    assert d.resolved is not None
    return d.resolved.due_at


def _first_occurrence(ctx: TaskContext, d: Deadline, s: int, e: int) -> datetime | None:
    """First occurrence of a periodic deadline, from "从3月3日开始" if the task says so."""
    assert d.resolved is not None and d.resolved.recurrence is not None
    m = _START.search(ctx.text, s, e)
    if m is None or ctx.issued_at is None:
        return d.resolved.due_at
    try:
        begin = resolve_deadline(m.group(1), issued_at=ctx.issued_at - timedelta(days=31),
                                 tz=ctx.tz, calendar=ctx.calendar)
    except DeadlineParseError:
        return d.resolved.due_at
    start_day = begin.due_at.astimezone(ctx.tz).replace(hour=0, minute=0, second=0)
    return d.resolved.recurrence.next_after(start_day - timedelta(seconds=1), ctx.tz)


def _label(ch: list[_Clause], text: str, d: Deadline) -> str:
    clause = next((c for c in ch if c.start <= d.start < c.end), None)
    return text[clause.start:clause.end].strip("，,。；;：: ")[:30] if clause else d.text


# -- building tasks --------------------------------------------------------------------------

_QTY = re.compile(r"(\d+(?:\.\d+)?|[两二三四五六七八九十]{1,3})\s*(万?(?:平方米|公里|千米|元|人次|"
                  r"[个具亩处台套家所座米户辆条份项场栋间只块吨部支批名棵株盏组张人次]))(?!月|工作日|小时|"
                  r"季度|方面|阶段|左右|岁)")
_TARGET_VERB = re.compile(r"完成|新建|建设|建成|改造|新增|达到|安装|配备|实现|培训|种植|整治|治理|打造|"
                          r"创建|修复|拆除|清理|更新|铺设|增加|征收|流转|收储|招引|开工|投放|购置|排查|"
                          r"抽查|建立|设置|配置|发放|举办|提升至|补充|更换|复垦|供应|确定|培育|评选|认定|建")
_NOT_TARGET = re.compile(r"其中|共|累计|已|较|增长|比|超过|第")
_TITLE_STRIP = re.compile(r"^(?:要求|要(?![素点])|请|务必|必须|需要|应当|同时|并且|并|还要|另外|此外|"
                          r"[一二三四五六七八九十]{1,2}是|认真|切实|进一步)+")


def extract_tasks(ctx: TaskContext, start: int, end: int) -> list[DraftTask]:
    """Draft tasks of ``text[start:end]``; enumerated items each give their own task(s) and
    share the units and deadline of their introduction when they name none themselves."""
    found = inline_items(ctx.text, start, end)
    if found is None:
        return _region(ctx, start, end, ctx.inherited, None)
    (a, b), items = found
    intro = _roles(ctx, a, b, [])
    inherited = intro if (intro.lead or intro.co or intro.unknown) else ctx.inherited
    due = [d for d in find_deadlines(ctx, a, b) if d.resolved and d.category == "point"]
    tasks: list[DraftTask] = []
    item_ctx = replace(ctx, in_item=True)
    for s, e in items:
        tasks += _region(item_ctx, s, e, inherited, due[-1] if due else None)
    return tasks


def _region(ctx: TaskContext, start: int, end: int, inherited: Roles | None,
            intro_due: Deadline | None) -> list[DraftTask]:
    tasks: list[DraftTask] = []
    for ch in chunk(classify(ctx, start, end)):
        tasks += _split_targets(ctx, ch, _build(ctx, ch, inherited, intro_due))
    return tasks


def _trim(ch: list[_Clause], text: str) -> list[_Clause]:
    """Drop headings and lead-ins ("会议要求", "具体要求如下") from the front of a task."""
    while len(ch) > 1 and (ch[0].cls == "head" or (
            ch[0].cls == "neu" and not ch[0].deadlines and not ch[0].subject
            and _LEAD_IN.fullmatch(text, ch[0].start, ch[0].end))):
        ch = ch[1:]
    return ch


def _build(ctx: TaskContext, ch: list[_Clause], inherited: Roles | None,
           intro_due: Deadline | None, given: Roles | None = None) -> DraftTask:
    """One draft task from a group of clauses (``given`` roles replace the ones in the text)."""
    head = ch[0].start if ch[0].cls == "head" else None  # the item's heading stays as context
    ch = _trim(ch, ctx.text)
    s, e = ch[0].start, ch[-1].end
    roles, borrowed = given or _roles(ctx, s, e, ch), False
    if not (roles.lead or roles.co or roles.unknown):
        if inherited is not None:
            roles, borrowed = inherited, True
        elif ctx.addressee:
            roles, borrowed = Roles([ctx.addressee], [], [], False), True
    due, milestones, recurrence, due_text, blur = _timing(ctx, ch)
    if due is None and recurrence is None and intro_due is not None:
        due, due_text = _due(intro_due), intro_due.text
    confidence = 0.55 + (0.05 if borrowed else 0.2) * bool(roles.lead) - 0.15 * (not roles.lead)
    confidence += 0.1 * (due is not None) - 0.1 * blur - 0.1 * bool(roles.unknown)
    return DraftTask(
        ctx.directive.key, _title(ctx, ch), ctx.text[
            head if head is not None else _object_start(ctx.text, s):e].strip("，,。；; "),
        list(roles.lead), list(roles.co), list(roles.unknown), due_text, due, None, None,
        recurrence, (s, e), round(min(0.95, max(0.05, confidence)), 2), milestones)


def _object_start(text: str, s: int) -> int:
    """Where the requirement text starts: earlier than the task's first clause when the same
    sentence first adopts what is to be done ("会议同意…方案，由市交通局负责组织实施")."""
    begin = max(text.rfind(c, 0, s) for c in "。；;\n") + 1
    return begin if _ADOPTED.search(text, begin, s) else s


def _roles(ctx: TaskContext, s: int, e: int, ch: list[_Clause]) -> Roles:
    """Units of one task: the units named (unknown organisations standing as a clause's subject
    included); failing those, the units of the leaders asked by 请X同志."""
    unknown: list[UnitMention] = []
    for c in ch:
        for name in c.subject:
            at = ctx.text.find(name, c.start, c.end) if name not in ctx.units.codes else -1
            if at >= 0 and not ctx.units.find(ctx.text, at, at + len(name)):
                unknown.append(UnitMention(at, at + len(name), name, ()))
    roles = assign_roles(ctx.units, ctx.text, s, e, addressee=ctx.addressee,
                         extra=tuple(unknown))
    if roles.lead or roles.co or roles.unknown:
        return roles
    asked: list[UnitMention] = []
    for p in ctx.people.find(ctx.text, s, e):
        code = p.person.unit_code
        if p.person.title.endswith(_CITY_LEADERS):
            continue  # 请占明同志阅: a city leader is asked, not his office
        if code in ctx.units.codes and re.search(r"请[^，。；]{0,16}$", ctx.text[s:p.start]):
            asked.append(UnitMention(p.start, p.end, p.person.name, (code,) if code else ()))
    return assign_roles(ctx.units, ctx.text, s, e, addressee=ctx.addressee, extra=tuple(asked))


def _title(ctx: TaskContext, ch: list[_Clause]) -> str:
    """The clause with the action (a requirement before a bare statement), without modal
    lead-ins or a leading deadline, at most 30 characters."""
    text = ctx.text
    ranked = [c for cls in ("req", "act") for c in ch if c.cls == cls]
    best = next((c for c in ranked if _ACTION.search(_plain(ctx, c.start, c.end))),
                ranked[0] if ranked else ch[0])
    start = max([best.start, *(d.end for d in best.deadlines
                               if d.start - best.start <= 1 and d.text.endswith(_ENDINGS))])
    title = _TITLE_STRIP.sub("", text[start:best.end].strip("，,。；;：: "))
    return title[:30] or text[best.start:best.end].strip("，,。；;：: ")[:30]


def _targets(text: str, ch: list[_Clause]) -> list[tuple[_Clause, float, str, str]]:
    """Quantity targets (clause, amount, measure, verb) in requirement clauses."""
    found: list[tuple[_Clause, float, str, str]] = []
    for c in ch:
        if c.cls not in ("req", "act", "neu"):
            continue
        for m in _QTY.finditer(text, c.start, c.end):
            before = text[c.start:m.start()]
            if _NOT_TARGET.search(before[-4:]) or any(d.start <= m.start() < d.end
                                                      for d in c.deadlines):
                continue
            verbs = _TARGET_VERB.findall(before)
            verb = verbs[-1] if verbs else (found[-1][3] if found else "")
            amount = float(m.group(1)) if m.group(1)[0].isdigit() else cn_number(m.group(1))
            if verb and amount:
                found.append((c, float(amount), m.group(2), verb))
    return found


def _split_targets(ctx: TaskContext, ch: list[_Clause], task: DraftTask) -> list[DraftTask]:
    """Attach the quantity target; several targets in separate clauses → one task each."""
    targets = _targets(ctx.text, ch)
    if not targets:
        return [task]
    if len({id(c) for c, *_ in targets}) < 2:
        task.quantity, task.measure = targets[0][1], targets[0][2]
        return [task]
    out = []
    for c, amount, measure, verb in targets:
        clause = ctx.text[c.start:c.end].strip("，,。；;：: ")
        title = clause if verb in clause else verb + clause
        out.append(DraftTask(
            task.directive_key, title[:30], clause, list(task.lead_units), list(task.co_units),
            list(task.unknown_units), task.due_text, task.due_at, amount, measure,
            task.recurrence, (c.start, c.end), task.confidence, list(task.milestones)))
    return out


# -- tables and records -------------------------------------------------------------------


def table_tasks(ctx: TaskContext, start: int, end: int, columns: dict[str, int]
                ) -> list[DraftTask]:
    """Tasks of one table row: the task cell's text, the lead and cooperating cells as written
    (all named lead units lead), the deadline cell as the due date."""
    row = cells(ctx.text, start, end)
    if len(row) <= max(columns.values()):
        return []
    item = replace(ctx, in_item=True)
    ch = [c for c in classify(item, *row[columns["task"]]) if c.cls not in ("neg", "sup")]
    if not _actionable(ch):
        return []
    if "due" in columns:
        for c in classify(item, *row[columns["due"]]):
            for d in c.deadlines:
                d.field = True
            ch += [c] if c.deadlines else []
    lead, unknown = cell_units(ctx.units, ctx.text, *row[columns["lead"]])
    co, unknown_co = cell_units(ctx.units, ctx.text, *row[columns["co"]]) if "co" in columns \
        else ([], [])
    roles = Roles(lead, [c for c in co if c not in lead], unknown + unknown_co, True)
    task = _build(ctx, ch, None, None, roles)
    task.requirement = ctx.text[slice(*row[columns["task"]])]
    task.source_span = (start, end)
    return _split_targets(ctx, ch, task)


_RECORD_TASK = ("整改目标", "工作目标", "整改措施", "工作任务", "任务内容", "主要任务")
_RECORD_UNITS = ("责任单位", "牵头单位", "配合单位")


def record_tasks(ctx: TaskContext, lines: list[tuple[str, Span]]) -> list[DraftTask]:
    """The one task of a record: its target and measures as the requirement (the first quantity
    is the target), its unit fields as roles (责任单位: the first leads), its time limit."""
    item = replace(ctx, in_item=True)
    ch: list[_Clause] = []
    for label, span in lines:
        if label in _RECORD_TASK or label.endswith("时限"):
            ch += [c for c in classify(item, *span) if c.cls not in ("neg", "sup", "head")]
    if not _actionable(ch):
        return []
    roles = Roles([], [], [], True)
    for label, span in lines:
        if label in _RECORD_UNITS:
            found = assign_roles(ctx.units, ctx.text, *span, addressee=ctx.addressee)
            roles.lead += [c for c in found.lead if c not in roles.lead]
            roles.co += [c for c in found.co if c not in roles.co]
            roles.unknown += [n for n in found.unknown if n not in roles.unknown]
    task = _build(ctx, ch, None, None, roles if roles.lead or roles.co or roles.unknown else None)
    task.requirement = "；".join(ctx.text[a:b] for label, (a, b) in lines if label in _RECORD_TASK)
    task.source_span = (lines[0][1][0], lines[-1][1][1])
    targets = _targets(ctx.text, ch)
    if targets:
        task.quantity, task.measure = targets[0][1], targets[0][2]
    return [task]
