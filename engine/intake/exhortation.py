"""Exhortation: the requirements that ask for an attitude rather than a piece of work.

Official writing surrounds its assignments with calls such as "强化时间观念", "规范施工", "争分夺秒，
加快进度", "保持整改定力", "坚持…的理念": a verb of effort with an abstract object, or a set
phrase. No office can check them off, so a group of clauses made only of such calls — with no
deadline, no periodic duty and no number to reach — is no task. A call beside concrete work
("加大整改力度，抓好整改", "认真分析原因") leaves the work a task.
"""

from __future__ import annotations

import re

from engine.intake.clauses import Clause

_ADVERBS = re.compile(r"进一步|切实|认真|全力|持续|不断|继续|积极|主动|严格|扎实|大力|着力|全面|坚决|务必|一定要|"
                      r"必须|始终|高度|深刻|层层|要|更加|要更|尽快|及时|真正|确实|努力|各项|全县|全市|全区|共同")
_QUOTED = re.compile(r"“[^”]*”|《[^》]*》")
_EFFORT = re.compile(
    r"(?:(?:明确|强化|加强|加大|加快|提高|提升|压实|压紧|落实|规范|严格|夯实|保持|坚持|增强|树牢|细化|实化|优化|完善|"
    r"抓好|做好|狠抓|推动|推进|确保|深化|统筹|凝聚|形成|营造|筑牢|牢固树立|树立|紧扣|锚定|把握|研究|汲取)"
    r"(?:目标|措施|责任|意识|站位|进度|质量|标准|管理|力度|领导|统筹|调度|协调|配合|宣传|督导|指导|服务|保障|作风|"
    r"纪律|施工|程序|观念|时间观念|定力|合力|举措|理念|任务|工作|水平|效率|效果|成效|能力|认识|监管|监督|落实|"
    r"氛围|要求|部署|节点|时间节点|思路|政策|导向|问题导向|底线|红线|的|和|、|与|及|各项|目标任务|推进|推进举措|"
    r"主体责任|属地责任|教训|精神|决策|制度|技术标准|项目建设|建设)+)+")
_SET_PHRASE = re.compile(
    r"(?:争分夺秒|攻坚克难|千方百计|全力以赴|真抓实干|敢于担当|勇于作为|挂图作战|倒排工期|自我加压|举一反三|对标补短|"
    r"主动作为|履职尽责|紧盯不放|一督到底|对号入座|主动认领|快速整改|加速整改|提速整改|引起[^，。；]{0,4}重视|"
    r"高度重视|提高认识|统一思想|精心组织|周密部署|狠抓落实|抓好落实|抓落实|推动落实|形成合力|合理工期|"
    r"确保[^，。；]{0,14}(?:如期|按期|高质量|高质高效)完成[^，。；]{0,10}|高质高效完成|如期完成|按期完成|"
    r"兑现[^，。；]{0,12}承诺|汲取[^，。；]{0,30}教训|做到[^，。；]{0,8}(?:翔实|明了|准确|完整|规范|及时)|"
    r"保持[^，。；]{0,4}定力|加强[^，。；]{0,10}(?:监管|管理|督导|服务|指导|协调|保障|宣传|合作)(?:工作)?|"
    r"加强[^，。；]{0,10}检查治理|(?:优化|完善|健全)[^，。；]{0,8}体制机制|对上争取|"
    r"为[^，。；]{0,12}(?:提供支撑|提供保障|创造良好条件|保驾护航)|"
    r"[、，])+")


_ASKED_HEAD = re.compile(r"^[^，。；]{0,12}?(?:一定要|必须|务必|应当|要|须|应)(?=[\u4e00-\u9fa5])")


def _bare(text: str) -> str:
    """The clause without its subject and modal, quotes, set phrases and adverbs."""
    body = _QUOTED.sub("", text)
    body = re.sub(r"[^\u4e00-\u9fa5、]", "", body)
    body = _ASKED_HEAD.sub("", body)
    body = _SET_PHRASE.sub("", body)
    return _ADVERBS.sub("", body)


_RAISE = re.compile(r"(?:提升|提高|增强|加强|强化)[\u4e00-\u9fa5]{0,8}(?:水平|能力|质量|效率|效能|质效|满意度|意识|"
                    r"素质|积极性|获得感|幸福感|成效)")


def is_exhortation(text: str) -> bool:
    """Whether one clause only calls for effort ("强化时间观念", "保持整改定力", "提升…水平")."""
    body = _bare(text)
    return not body.strip("、") or bool(_EFFORT.fullmatch(body) or _RAISE.fullmatch(body))


_CONCRETE = re.compile(
    r"方案|预案|办法|名录|机制|计划|台账|清单|报告|制度|细则|地图|专班|办公室|档案|名单|专报|检讨|材料|工作组|领导小组|指挥部|"
    r"信息表|统计表|体系|排查|核查|验收|拆除|清理|整治|督查|检查|演练|培训|召开|报送|上报|填报|提交|反馈|纳入|"
    r"划分|认定|销号|整改|安装|加装|改造|新建|建成|开工|处理结果|出结果")


def only_exhortation(text: str, ch: list[Clause], has_target: bool, actor: bool = True) -> bool:
    """Whether a group of clauses asks for nothing an office can check (see the module
    docstring). Without an ``actor`` (no unit named, carried or addressed, and no list of tasks
    holding it) a requirement must also name a concrete piece of work — a plan, a list, a
    check, a report, a construction — for an office to follow it up."""
    if has_target or any(c.deadlines for c in ch):
        return False
    asks = [c for c in ch if c.cls == "req"]
    if not asks:
        return False
    if not actor and not any(_CONCRETE.search(_QUOTED.sub("", text[c.start:c.end])) for c in asks):
        return True
    return all(is_exhortation(text[c.start:c.end]) for c in asks)
