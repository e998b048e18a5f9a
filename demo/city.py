"""The demo's sample city: directives written in the style of a monthly directive bulletin
(our own words), the tasks they become, and what each unit does during the simulated month.

Times are local (Asia/Shanghai). The month runs across the 2024 Qingming holiday (4 to 6 April
off, Sunday 7 April a make-up working day), so the ladder visibly counts working days.
"""

from __future__ import annotations

from dataclasses import dataclass, field

START = "2024-03-11T08:00"
"""The simulated month starts on this local moment (a Monday)."""


@dataclass(frozen=True)
class DirectiveSpec:
    key: str
    kind: str
    title: str
    by: str | None
    at: str
    text: str
    parent: str | None = None
    read_only: bool = False


@dataclass(frozen=True)
class TaskSpec:
    key: str
    directive: str
    title: str
    lead: str
    due: str
    co: tuple[str, ...] = ()
    leader: str | None = None
    priority: str = "normal"
    target: float | None = None
    measure: str | None = None
    parent: str | None = None
    milestones: tuple[tuple[str, str], ...] = ()
    requirement: str = ""


@dataclass(frozen=True)
class Act:
    """A scripted action: ``verb`` by ``who`` on task ``task`` at local time ``at``."""

    at: str
    who: str
    verb: str
    task: str
    args: dict[str, object] = field(default_factory=dict)


DIRECTIVES = [
    DirectiveSpec("D1", "instruction", "关于高层住宅电动自行车违规充电隐患的情况反映", "炳森书记",
                  "2024-03-11T10:00",
                  "请占明、海涛同志阅处。高层住宅电动自行车进楼入户、飞线充电问题突出，要举一反三，"
                  "立即组织开展专项排查整治，3月底前完成全市高层住宅全覆盖排查。"),
    DirectiveSpec("D2", "followup", "占明副市长跟批", "占明副市长", "2024-03-12T09:30",
                  "请消防支队牵头，公安、住建配合，按照炳森书记批示要求，7日内制定专项整治方案报市政府。",
                  parent="D1"),
    DirectiveSpec("D3", "followup", "海涛副市长跟批", "海涛副市长", "2024-03-13T16:00",
                  "请住建局督促物业企业落实管理主体责任，3月25日前完成200个充电设施建设点位摸排。",
                  parent="D2"),
    DirectiveSpec("D4", "meeting", "3月份市政府常务会议议定事项", "建国市长", "2024-03-14T09:00",
                  "一、年内新建市政消火栓100个，上半年完成50个；二、各县区4月3日前完成老旧小区消防通道"
                  "标识划线；三、营商局每月5日前报送12345消防类诉求办理情况；四、综合执法局3个工作日内"
                  "报送户外广告设施安全管理工作方案。"),
    DirectiveSpec("D5", "inspection", "市督查室明察暗访发现问题", None, "2024-03-18T17:00",
                  "东城区某商场安全出口锁闭，要求3个工作日内整改到位；西城区农贸市场电气线路私拉乱接，"
                  "要求3月29日前完成整改。"),
    DirectiveSpec("D6", "hotline", "12345热线：某小区地下车库冒烟", None, "2024-03-20T22:10",
                  "群众反映某小区地下车库冒烟，请消防支队立即核实处置，1小时内报送情况。"),
    DirectiveSpec("D7", "hotline", "12345热线：城北工地火情续报", None, "2024-03-27T21:30",
                  "城北某工地发生火情，请消防支队1小时内报送处置情况。"),
    DirectiveSpec("D8", "instruction", "消防工作专报", "建国市长", "2024-03-15T11:00",
                  "已阅。", read_only=True),
]

TASKS = [
    TaskSpec("T1", "D1", "全市高层住宅电动自行车隐患全覆盖排查", "FIRE", "3月底前",
             co=("HOUSING", "EAST", "WEST"), leader="李占明"),
    TaskSpec("T2", "D2", "制定高层住宅电动自行车专项整治方案", "FIRE", "7日内",
             co=("PSB", "HOUSING"), leader="李占明"),
    TaskSpec("T3", "D3", "完成充电设施建设点位摸排", "HOUSING", "3月25日前", leader="周海涛",
             target=200, measure="个"),
    TaskSpec("T4", "D4", "年内新建市政消火栓100个", "WATER", "年底前", co=("FIRE",), leader="周海涛",
             target=100, measure="个", milestones=(("上半年完成50个", "6月30日前"),)),
    TaskSpec("T5", "D4", "老旧小区消防通道标识划线", "HOUSING", "4月3日前",
             co=("EAST", "WEST", "NORTH"), leader="周海涛"),
    TaskSpec("T5a", "D4", "东城区老旧小区消防通道划线", "EAST", "4月3日前", parent="T5", leader="周海涛"),
    TaskSpec("T5b", "D4", "西城区老旧小区消防通道划线", "WEST", "4月3日前", parent="T5", leader="周海涛"),
    TaskSpec("T5c", "D4", "北山县老旧小区消防通道划线", "NORTH", "4月3日前", parent="T5", leader="周海涛"),
    TaskSpec("T6", "D4", "报送12345消防类诉求办理情况", "BIZ", "每月5日前", leader="李占明"),
    TaskSpec("T7", "D4", "报送户外广告设施安全管理工作方案", "URBAN", "3个工作日内", leader="周海涛"),
    TaskSpec("T8", "D5", "东城区商场安全出口锁闭整改", "EAST", "3个工作日内", co=("FIRE",),
             leader="周海涛", priority="high"),
    TaskSpec("T9", "D5", "西城区农贸市场电气线路整改", "WEST", "3月29日前", co=("EMERG",),
             leader="周海涛"),
    TaskSpec("T10", "D6", "核实处置地下车库冒烟并报送情况", "FIRE", "1小时内", priority="urgent",
             leader="李占明"),
    TaskSpec("T11", "D7", "报送城北工地火情处置情况", "FIRE", "1小时内", priority="urgent",
             leader="李占明"),
]

OFFICE = "赵敏"

ACTS = [
    Act("2024-03-12T10:00", "吴晓东", "ack", "T1"),
    Act("2024-03-12T10:05", "吴晓东", "ack", "T2"),
    Act("2024-03-12T14:00", "褚晶", "ack", "T1"),
    Act("2024-03-13T09:00", "冯丽", "ack", "T2"),
    Act("2024-03-14T10:00", "褚晶", "ack", "T3"),
    Act("2024-03-14T15:30", "许可", "ack", "T4"),
    Act("2024-03-15T09:00", "韩梅", "ack", "T7"),
    Act("2024-03-15T10:00", "吴晓东", "progress", "T2", {"text": "已起草整治方案初稿，征求公安、住建意见"}),
    Act("2024-03-15T11:00", "褚晶", "ack", "T5"),
    Act("2024-03-15T11:30", "吕青", "ack", "T5a"),
    Act("2024-03-18T09:30", "孙立新", "complete", "T2", {"evidence": "专项整治方案（市政府已印发）", "files": "专项整治方案.pdf"}),
    Act("2024-03-18T10:00", "沈涛", "extend", "T7", {"to": "4月15日前", "reason": "方案需征求多部门意见"}),
    Act("2024-03-18T16:00", OFFICE, "reject", "T7", {"note": "方案时限不宜延长，请抓紧报送"}),
    Act("2024-03-18T18:00", "吕青", "ack", "T8"),
    Act("2024-03-19T09:00", OFFICE, "verify", "T2", {"rating": "优秀"}),
    Act("2024-03-19T10:00", "张雯", "ack", "T9"),
    Act("2024-03-19T11:00", "吴晓东", "progress", "T1", {"text": "已排查高层住宅312栋，发现隐患46处"}),
    Act("2024-03-20T10:00", "褚晶", "progress", "T3", {"text": "已摸排点位120个", "achieved": 120}),
    Act("2024-03-20T16:00", "何平", "complete", "T8", {"evidence": "整改前后照片、商场承诺书", "files": "安全出口整改前.png,安全出口整改后.png,商场承诺书.pdf"}),
    Act("2024-03-20T22:15", "吴晓东", "ack", "T10"),
    Act("2024-03-20T22:50", "孙立新", "complete", "T10", {"evidence": "已到场处置，系电动车电池故障，无人员伤亡"}),
    Act("2024-03-21T09:00", OFFICE, "verify", "T8", {"rating": "良好"}),
    Act("2024-03-21T09:10", OFFICE, "verify", "T10", {"rating": "优秀"}),
    Act("2024-03-21T15:00", "韩梅", "progress", "T7", {"text": "方案已提交局党组审议"}),
    Act("2024-03-22T10:00", "沈涛", "complete", "T7", {"evidence": "户外广告设施安全管理工作方案", "files": "户外广告设施安全管理工作方案.docx"}),
    Act("2024-03-22T11:00", "张雯", "progress", "T9", {"text": "已完成线路排查，正在组织施工"}),
    Act("2024-03-22T15:00", OFFICE, "verify", "T7", {"rating": "合格"}),
    Act("2024-03-25T10:00", "许可", "progress", "T4", {"text": "已完成12个消火栓选址施工", "achieved": 12}),
    Act("2024-03-25T14:00", "朱琳", "ack", "T6"),
    Act("2024-03-26T10:00", "张雯", "ack", "T5b"),
    Act("2024-03-27T16:00", "褚晶", "progress", "T3", {"text": "已摸排点位180个", "achieved": 180}),
    Act("2024-03-27T21:40", "吴晓东", "ack", "T11"),
    Act("2024-03-27T22:50", "孙立新", "complete", "T11", {"evidence": "火情已扑灭，报送处置情况"}),
    Act("2024-03-28T09:00", "孙立新", "extend", "T1", {"to": "4月15日前", "reason": "部分小区物业配合度低，需延长排查"}),
    Act("2024-03-28T09:30", OFFICE, "verify", "T11", {"rating": "合格"}),
    Act("2024-03-28T15:30", "施展", "complete", "T9", {"evidence": "线路整改验收单", "files": "线路整改验收单.pdf,配电箱整改后.png"}),
    Act("2024-03-29T09:00", OFFICE, "approve", "T1", {"note": "同意延期，请按新时限完成"}),
    Act("2024-03-29T10:00", "陈伟", "complete", "T3", {"evidence": "点位清单", "achieved": 200, "files": "消火栓点位清单.xlsx"}),
    Act("2024-03-29T11:00", OFFICE, "return", "T3", {"reason": "佐证材料不全，请补充点位照片"}),
    Act("2024-03-29T14:00", OFFICE, "verify", "T9", {"rating": "良好"}),
    Act("2024-04-01T10:00", "褚晶", "progress", "T3", {"text": "已补充全部点位照片"}),
    Act("2024-04-01T10:30", "陈伟", "complete", "T3", {"evidence": "点位清单及照片", "achieved": 200, "files": "消火栓点位清单.xlsx,点位整改前.png,点位整改后.png"}),
    Act("2024-04-02T09:00", OFFICE, "verify", "T3", {"rating": "良好"}),
    Act("2024-04-02T10:00", "何平", "complete", "T5a", {"evidence": "划线完成验收照片", "files": "消防通道划线整改后.png"}),
    Act("2024-04-03T09:00", OFFICE, "verify", "T5a", {"rating": "良好"}),
    Act("2024-04-03T10:00", "朱琳", "progress", "T6", {"text": "3月共受理消防类诉求86件，办结81件"}),
    Act("2024-04-03T11:00", "杨帆", "complete", "T6", {"evidence": "3月份诉求办理情况报告", "files": "3月份诉求办理情况报告.pdf"}),
    Act("2024-04-07T09:00", OFFICE, "verify", "T6", {"rating": "合格"}),
    Act("2024-04-08T10:00", OFFICE, "recheck_fail", "T8", {"note": "回头看发现安全出口再次锁闭", "due": "3个工作日内"}),
    Act("2024-04-09T16:00", "何平", "complete", "T8", {"evidence": "已拆除锁具并落实每日巡查"}),
    Act("2024-04-09T16:20", "何平", "complete", "T8", {"evidence": "已拆除锁具并落实每日巡查",
                                                      "files": "安全出口复查整改后.png"}),
]
