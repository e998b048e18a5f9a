"""Clauses of a requirement text, classed (:mod:`.grouping` groups them into tasks).

A region of text (an instruction's words, a meeting paragraph, one enumerated item) is split
into clauses; each clause is classed as a requirement, a neutral phrase, a statement of fact
(work done, statistics, rankings, background, what the issuer itself decided or will do), a
superior body's own action, or exhortation. An ask ("要", "请", "要求…") reaches the clauses that
follow it in its sentence, and "X要求，" or "会议议定：" the sentences after it in its paragraph;
a time alone ("近期，"), a clause that only qualifies the next ("…须完成的，") and the grounds
of a decision ("为…，按照…，决定…") ask nothing.

Guarantee: nothing at or after ``TaskContext.limit`` (a cut-off last sentence) is classed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine.intake.context import TaskContext
from engine.intake.deadline_text import Deadline, find_deadlines
from engine.intake.org_names import subject_names
from engine.intake.segment import Span, clauses, sentences


@dataclass
class Clause:
    """One clause with its sentence index, class, subject units and deadlines; ``cooperates``
    when its subject only assists (X配合)."""

    start: int
    end: int
    sent: int
    cls: str  # req | act | neu | head | role | exh | neg | sup
    subject: frozenset[str]
    deadlines: list[Deadline]
    cooperates: bool = False
    opens: bool = False  # starts with 并/并于: a further duty joined to the one before


_FILLER = re.compile(r"^(?:同时|并且|并|还要|另外|此外|其中|尤其是|特别是|[一二三四五六七八九十]{1,2}是)")
_REQ_ANY = re.compile(r"要求|责令|务必|必须|限期|(?<![主重需只])要(?![点素])|^请|(?<![提申邀])请[^阅]|应当|需|须|^由|确保|"
                      r"抓紧|加快|立即|尽快|及时")
_STAT = re.compile(r"同比|环比|增长|共计|累计|较去年|较上年|合计")
_DONE = re.compile(r"已经?|均已|(?<![为除])了(?!解)|截至目前|截止目前")
_NEG = re.compile(r"目前|召开|听取|汇报|带队|提到|询问|解读|会议认为|会议指出|会议同意|原则同意|主持|出席|"
                  r"下发|印发|转发|通报分析|相继|获悉|据统计|作出|进行圈阅|发现|接[^，。]{0,6}通知")
_CONSEQUENCE = re.compile(r"予以通报|通报批评|追究[^，。；]{0,8}责任|严肃问责|将提请|记入[^，。；]{0,4}档案")
_META = re.compile(r"现将|如下|现就|特此通知|特此通报")
_PROBLEM = re.compile(r"未能|未按|未得到|不到位|不力|不完整|滞后|偏低|严重|存在|反映|引发|造成|"
                      r"发生(?!后)|敷衍|违规")
_SUP = re.compile(r"^(?:省|国家|国务院|中央|总队|应急部|应急管理部|上级|部里)")
_EXH = re.compile(r"高度重视|提高认识|政治站位|统一思想|意识|确保[^，。；]{0,12}安全|认真贯彻|深刻认识|"
                  r"引以为戒|举一反三|长效机制")
ACTION = re.compile(
    r"开展|推进|推动|加强|加大|加快|建立|健全|完善|组织|督促|实施|完成|新建|建设|建成|整改|排查|梳理|"
    r"报送|上报|报告|制定|做好|强化|压实|压紧|落实|细化|绘制|设置|发动|坚持|检查|回头看|问责|倒查|参与|"
    r"办结|答复|核查|处置|清理|拆除|改造|更新|配备|安装|培训|演练|宣传|部署|调度|提交|反馈|销号|研究|"
    r"编制|修订|审核|验收|整治|治理|查找|改进|根除|巩固|指导|明确|签字|对账|督改|摸排|核实|统计|汇总|"
    r"衔接|保障|申报|推广|打造|创建|提升|优化|规范|管控|监管|防范|跟踪|回访|补齐|消除|关停|取缔|查处|"
    r"约谈|迎检|准备|办理|解决|处理|督办|调查|复核|核减|征收|流转|收储|招引|开工|投放|购置|铺设|修复|"
    r"疏通|张贴|公示|建档|登记|上传|录入|移交|通知|告知|联系|协调|对接|走访|入户|抽查|复查|攻坚|新增|"
    r"压缩|实行|评估|更换|提请|储备|保供|稳价|巡查|值班|成立|组建|增设|组成|制作|出台|划分|认定|填报|加装|给出|"
    r"拿出|上报|说明|检讨|纳入|启动|结束|完毕|完工|竣工|到位|拨付|下达|兑付|带领|专项行动|负责|管理|运营|"
    r"维护|管护|报")
_TITLES = re.compile(r"《[^》]*》")
_GENERIC = re.compile(r"抓好落实|贯彻落实|认真落实|狠抓落实|推动工作落实|推动落实|抓落实|落实到位|认真办理|"
                      r"办理情况|及时反馈")
_HEADING = re.compile(r"[一二三四五六七八九十]{1,2}是[^，,；;]{1,12}[。；;]?$")
_ROLE_WORDS = re.compile(r"由|牵头|配合|负责|协助|协同|参与|单位|部门|等|、|：|:|，|。|；|责任|主办|协办|和|及")
_FIELD_LABEL = re.compile(r"(?:完成时限|时限要求|完成时间|办结时限|整改时限|办理时限|截止时间|"
                          r"牵头单位|配合单位|责任单位|协办单位)[:：]\s*$")
_YOU = re.compile(r"你局|你单位|你区|你县|你委|你办|你中心|你镇|你公司|贵单位")
_CO_ONLY = re.compile(r"[^，。；]{0,30}?(?:配合|协助|协同)")


def classify(ctx: TaskContext, start: int, end: int) -> list[Clause]:
    """The clauses of ``text[start:end]`` with their class, subject units and deadlines.

    A modal ask ("X要…") reaches the bare actions that follow it in the same sentence; a short
    first sentence followed by others ("严格值班值守。") heads them and is no task itself.
    """
    text = ctx.text
    deadlines = find_deadlines(ctx, start, end)
    spans = sentences(text, start, end)
    out: list[Clause] = []
    state: str | None = None
    scope = bool(_ASK_SCOPE.match(text, start, end))  # "刘光辉要求，…。…。": all that follows
    for k, (s0, e0) in enumerate(spans):
        state, asked = (None if state == "neg" else state), scope
        purpose = bool(_PURPOSE.match(text, s0, e0)) or bool(
            _GROUNDS.match(text, s0, e0) and _DECIDED.search(text, s0, e0))
        lead_in = text[e0 - 1] in "：:" and not _FIELD_LABEL.search(text, s0, e0)
        for s, e in clauses(text, s0, e0):
            if s >= ctx.limit:
                break
            subject = _subject(ctx, s, e)
            own = [d for d in deadlines if s <= d.start < e]
            for d in own:
                d.field = bool(_FIELD_LABEL.search(text, s0, s))
            periodic = any(d.category == "recurring" for d in own)
            cls, state = _class(ctx, (s, e), subject, any(d.strong for d in own), state,
                                asked or periodic)
            asked = asked or bool(_REQ_ANY.search(_CITED_ASK.sub("", text[s:e])))
            cls = "req" if cls == "act" and asked else cls
            if purpose:  # "为加强…，确保…，决定建立…制度": why and what the issuer decided
                cls = "neg" if _DECIDED.search(text, s, e) else "neu"
                purpose = not (_DECIDED.search(text, s, e) or _REQ_ANY.search(
                    _CITED_ASK.sub("", text[s:e])))
            if cls != "neg" and (_time_only(text, s, e, own) or _modifier(text, s, e)):
                cls = "neu"
            if (lead_in or _heads(text, (s, e), (s0, e0), k, len(spans), bool(own))) \
                    and not subject:
                cls = "head"
                scope = scope or bool(_DECIDING.search(text, s, e))  # "会议议定：" heads asks
            out.append(Clause(s, e, k, cls, subject, own,
                              bool(subject) and bool(_CO_ONLY.match(text, s, e)),
                              text.startswith("并", s)))
    return out


_DECIDING = re.compile(r"(?:议定|要求|强调|决定|明确|部署)[：:]$")
_ASK_SCOPE = re.compile(r"(?:(?!按|根据|依据|对照|遵照|批示)[^，。；：]){0,12}(?:要求|强调|提出|部署)[，：]|"
                        r"[^。；]{0,60}?，要求(?=[\u4e00-\u9fa5])")
_TOPIC = re.compile(r"关于[^，。；：]{2,24}[。：]?")
_PURPOSE = re.compile(r"(?:为了?|为进一步|为切实|为有效|为深入)(?!期|止|主|准|此)")
_GROUNDS = re.compile(r"按照|根据|依据|遵照|为了?(?!期|止|主|准|此)")
_CITED_ASK = re.compile(r"(?:按照?|根据|依据|对照|遵照)[^，。；]{0,40}?要求|》要求|为要求|“[^”]*”")
_DECIDED = re.compile(r"决定|现将|现就|特制定|特通知|研究确定|经研究")
_TIME_WORDS = re.compile(r"[，。；：、\s（）()]|在|于|截至|截止|上午|下午|晚上|晚|清晨|凌晨|中午|从|自|起|至|到|"
                         r"前|以前|之前|日|号|时|分|期间|当天|今天|今年|本月|-|—|~")


def _time_only(text: str, s: int, e: int, own: list[Deadline]) -> bool:
    """"近期，", "今天（12月20日）上午，", "2023年5月8日-5月12日": a time and nothing else."""
    if not own:
        return False
    rest, pos = [], s
    for d in own:
        rest.append(text[pos:d.start])
        pos = max(pos, d.end)
    rest.append(text[pos:e])
    return not _TIME_WORDS.sub("", "".join(rest)).strip("0123456789年月")


def _modifier(text: str, s: int, e: int) -> bool:
    """"整改时限在2020年底须完成的，", "项目建成后，": a clause that only qualifies the next one."""
    body = text[s:e].rstrip(" ")
    return body.rstrip("，,；;。").endswith("的") or (
        body.endswith(("，", ",")) and body[:-1].endswith(("后", "时", "前提下", "之际", "期间")))


def _heads(text: str, clause: Span, sentence: Span, k: int, count: int, dated: bool) -> bool:
    """"一是抓好要素保障。", "严格值班值守。", "加快整改。" (a short first sentence of several) or
    "办理要求："."""
    s, e = clause
    if (text[e - 1] in "：:" and e - s <= 9) or _TOPIC.fullmatch(text, s, e):
        return True  # "办理要求：", "关于城区供水管网改造。"
    if clause != sentence:
        return False
    short_first = k == 0 and count > 1 and not dated and (
        (e - s <= 10 and not _REQ_ANY.search(text, s, e)) or e - s <= 7)
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
    if ctx.addressees and _YOU.match(ctx.text, head, end):
        names |= {c for a in ctx.addressees for c in (a.codes or (a.name,))}
    named = subject_names(ctx.text, start, end)
    if found and not any(m.codes for m in found) and named and named[0].end > found[0].end:
        names, found = set(), []  # "各街道办事处" as written, not the group word inside it
    if not found:
        for one in named:
            code = ctx.units.resolve_name(one.name)
            names.add(code or one.name)
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
    asks = bool(_REQ_ANY.search(_CITED_ASK.sub("", body)))
    plain = plain_text(ctx, start, end)
    action = bool(ACTION.search(_GENERIC.sub("", plain)))
    if (_SUP.match(body) or (state == "sup" and not subject)) and not asks:
        return "sup", "sup"
    if ctx.addressees and _ISSUER_WILL.match(body) and not subject & _addressed(ctx):
        return "sup", "sup"  # "我办将对…汇总": what the issuer will do, not the addressees
    if _STAT.search(body) or _META.search(body) or (_CONSEQUENCE.search(body) and not asks):
        return "neg", "neg"
    if _REPORTED.search(body) or _STATEMENT.search(body) or _past(ctx, body) or (
            _OURSELVES.match(body) and not asks):
        return "neg", "neg"
    if _ADOPTED.match(body) and not asks:  # "会议原则同意…方案": what follows carries it out
        return "neu", None
    if state in ("neg", "sup") and not subject and not asks and not strong:
        return state, state  # "我办将对…汇总，并上报有关领导": the statement goes on
    done = bool(_DONE.search(body))
    problem = bool(_PROBLEM.search(body)) and not (asks or asked) and not body.endswith(("后", "时"))
    if (asks or ctx.in_item or strong) and (action or (strong and (asks or ctx.in_item))) and (
            asks or strong or not done) and not problem:
        return ("role" if _role_only(ctx, start, end) else "req"), None
    if done or problem or (state == "neg" and not subject) or _NEG.search(body):
        return "neg", "neg"
    if _role_only(ctx, start, end):
        return "role", None
    if _EXH.search(body) or _GENERIC.search(plain):
        return "exh", None
    return ("act" if action else "neu"), None


_REPORTED = re.compile(r"(?:进行|作|做|听取|汇报|提出|开展|召开|部署|安排|研究|交流|总结|说明|明确|确定|"
                       r"组织|对接|成立|制定|细化|出台|印发|下发)了")
_STATEMENT = re.compile(r"(?<![要就也还正只])是(?!否|指)[^，。；]{2,40}的[^，。；]{0,10}$|"
                        r"(?:内容|范围|对象|重点|原则)(?:主要)?(?:为|是|包括)")
_ISSUER_WILL = re.compile(r"(?:[省市县区镇乡](?:委|政府|人民政府)|[市县区]委[市县区]政府|我们|我[局办委厅部]|"
                          r"本[局办委厅部]|[省市县区]里|[市县]局)(?:研究)?(?:决定|将(?:对|根据|把|进一步|继续|适时|定期|不定期|跟踪|组织|开展|"
                          r"进行|加大|加强|视|按照|会同|联合|及时|以))")
_ADOPTED = re.compile(r"(?:会议)?(?:原则)?(?:同意|审议通过|原则通过|批准)")
_OURSELVES = re.compile(r"我(?:省|市|县|区|镇|乡|局|办|委|们|单位|系统)")
_YEAR = re.compile(r"(?<!\d)(\d{4})年(?!底|末|内|前|[1-9一二三四五六七八九十]+月)")


def _past(ctx: TaskContext, body: str) -> bool:
    """"我县2018年度完成…": a year before the document's own, named without a deadline."""
    anchor = ctx.dates.anchor
    return anchor is not None and any(int(y) < anchor.year for y in _YEAR.findall(body))


def _addressed(ctx: TaskContext) -> set[str]:
    return {c for a in ctx.addressees for c in (a.codes or (a.name,))}


def plain_text(ctx: TaskContext, start: int, end: int) -> str:
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


def actionable(cl: list[Clause]) -> bool:
    return any(c.cls == "req" for c in cl)
