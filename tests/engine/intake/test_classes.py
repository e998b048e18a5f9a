"""Each class of real-world writing that intake must hold on (issue 13), one case in our own
words per rule, against an empty directory unless the case is about matching one."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from engine.intake import (
    Directory,
    DirectoryUnit,
    DraftTask,
    IntakeResult,
    analyse_document,
)
from engine.intake.normalise import normalise
from engine.intake.unit_forms import canonical, variants

TZ = ZoneInfo("Asia/Shanghai")
EMPTY = Directory((), ())


def run(text: str, ref: date | None = date(2024, 3, 4), directory: Directory = EMPTY
        ) -> IntakeResult:
    return analyse_document(text, directory=directory, ref_date=ref)


def units(task: DraftTask) -> set[str]:
    return {*task.lead_units, *task.co_units, *task.unknown_units}


def due(task: DraftTask) -> date | None:
    return task.due_at.astimezone(TZ).date() if task.due_at else None


# -- unknown units proposed from the structure, short and full forms ---------------------------

def test_units_named_by_role_phrases_are_proposed() -> None:
    result = run("会议要求，由新区建设指挥部牵头，东湖街道、水务公司配合，9月底前完成排涝泵站改造。")
    task, = result.tasks
    assert task.unknown_units == ["新区建设指挥部", "东湖街道", "水务公司"]
    roles = {p.name: p.role for p in task.proposed}
    assert roles == {"新区建设指挥部": "lead", "东湖街道": "co", "水务公司": "co"}
    assert all(result.text[p.start:p.end] == p.name for p in task.proposed)


def test_subjects_fields_and_the_one_asked() -> None:
    text = ("县交通运输局、县公安局要在5月底前完成城区停车位排查。"
            "请各乡镇人民政府于6月10日前上报农村公路养护台账。"
            "三、整治路边摊点。（责任单位：县城管执法大队）")
    found = [units(t) for t in run(text).tasks]
    assert found == [{"县交通运输局", "县公安局"}, {"各乡镇人民政府"}, {"县城管执法大队"}]


def test_a_field_with_any_name_and_a_group_written_short() -> None:
    text = "牵头单位：高铁新城管委会\n配合单位：各县、市、区政府，国资公司\n工作任务：完成站前广场建设。"
    task, = run(text).tasks
    assert units(task) == {"高铁新城管委会", "各县、市、区政府", "国资公司"}


def test_short_and_full_forms_meet_the_directory() -> None:
    directory = Directory((DirectoryUnit("ZJ", "区住房和城乡建设局", (), "department"),
                           DirectoryUnit("XF", "区消防救援大队", (), "department"),
                           DirectoryUnit("RX", "仁和街道办事处", (), "town")), ())
    text = "住建局、消防大队要在4月底前完成老旧小区消防通道清理，仁和街道配合。"
    task, = run(text, directory=directory).tasks
    assert task.lead_units == ["ZJ"] and set(task.co_units) == {"XF", "RX"}
    assert canonical("区住建局") == canonical("住房和城乡建设局") == "住建局"
    assert "消防大队" in variants("消防救援大队")


def test_the_addressee_line_and_you() -> None:
    text = "关于加快整改的通知\n（2024年3月4日）\n\n县水利局、县林业局：\n请你们于3月20日前报送整改情况。\n"
    task, = run(text).tasks
    assert units(task) == {"县水利局", "县林业局"}


# -- punctuation of web copies ---------------------------------------------------------------------

def test_ascii_punctuation_reads_like_chinese() -> None:
    full = "会议要求，市场监管局要在4月底前完成食品安全抽检；文旅局要加强景区安全巡查。"
    ascii_copy = full.replace("，", ",").replace("；", ";")
    assert normalise(ascii_copy) == full and len(normalise(ascii_copy)) == len(ascii_copy)
    assert [t.title for t in run(ascii_copy).tasks] == [t.title for t in run(full).tasks]
    assert len(run(ascii_copy).tasks) == 2
    assert normalise("15:00前,共1,000户") == "15:00前，共1,000户"


# -- several requirements in one paragraph ------------------------------------------------------

def test_each_ask_of_a_paragraph_is_a_task() -> None:
    text = ("会议强调，要抓紧制定防汛应急预案，明确抢险队伍；要以排查为抓手，建立隐患台账，逐项销号；"
            "要在6月前完成城区排水管网清淤。")
    assert len(run(text).tasks) == 3


def test_inline_enumerations_are_tasks() -> None:
    for text in ("会议要求：一是完善值班制度。二是建立应急物资台账。三是组织一次防汛演练。",
                 "会议要求：①完善值班制度；②建立应急物资台账；③组织一次防汛演练。",
                 "会议要求：（一）完善值班制度；（二）建立应急物资台账；（三）组织一次防汛演练。",
                 "会议要求：一要完善值班制度，二要建立应急物资台账，三要组织一次防汛演练。"):
        assert len(run(text).tasks) == 3, text


# -- tables flattened to text ----------------------------------------------------------------------

def test_a_table_written_one_cell_per_line() -> None:
    text = ("2024年重点任务分解表\n序号 |\n重点任务 |\n牵头单位 |\n配合单位 |\n完成时限 |\n"
            "1 |\n建成城市书房10个。 |\n县文旅局 |\n各乡镇 |\n2024年10月底前 |\n"
            "2 |\n完成农贸市场改造。 |\n县商务局 |\n县市场监管局 |\n2024年6月底前 |\n"
            "3 |\n推进智慧停车建设 |\n县住建局 |\n")  # the last row is cut off: no task
    tasks = run(text).tasks
    assert [(t.title[:6], units(t), due(t)) for t in tasks] == [
        ("建成城市书房", {"县文旅局", "各乡镇"}, date(2024, 10, 31)),
        ("完成农贸市场", {"县商务局", "县市场监管局"}, date(2024, 6, 30))]
    assert (tasks[0].quantity, tasks[0].measure) == (10, "个")


def test_a_row_with_two_deadlines_keeps_the_earlier_and_shows_both() -> None:
    text = "序号｜工作任务｜牵头单位｜完成时限\n1｜5月底前完成河道清淤｜县水利局｜2024年9月底前\n"
    task, = run(text).tasks
    assert due(task) == date(2024, 5, 31)
    assert task.due_text and "5月底前" in task.due_text and "2024年9月底前" in task.due_text


def test_a_numbered_item_with_its_fields_is_one_task() -> None:
    text = ("1. 城镇新增就业5000人以上。\n牵头负责领导：周明远\n牵头责任单位：县人社局\n"
            "协同责任单位：县财政局、各乡镇\n2. 外贸进出口增长8%。\n牵头责任单位：县商务局\n")
    tasks = run(text).tasks
    assert [(units(t), t.owner) for t in tasks] == [
        ({"县人社局", "县财政局", "各乡镇"}, "周明远"), ({"县商务局"}, None)]


def test_problems_listed_with_their_units_take_the_notice_deadline() -> None:
    text = ("关于环境卫生问题的整改通知\n（2024年4月8日）\n\n东街道、西街道：\n"
            "请对以下问题立即进行整改，并于4月15日前将问题整改完成。\n存在问题：\n"
            "1.人民路菜市场门口垃圾堆放。（责任单位：东街道）\n2.滨河路护栏破损。（责任单位：城管局）\n")
    tasks = [t for t in run(text, ref=None).tasks if "菜市场" in t.title or "护栏" in t.title]
    assert [(units(t), due(t)) for t in tasks] == [
        ({"东街道"}, date(2024, 4, 15)), ({"城管局"}, date(2024, 4, 15))]


# -- status reports quote decided items; statements and calls are no tasks -------------------------

def test_statements_statistics_and_calls_are_no_tasks() -> None:
    text = ("截至3月1日，全县共排查隐患320处，已整改298处，整改率93%。"
            "去年以来，我局认真开展专项整治，取得明显成效。会议听取了各乡镇工作汇报。"
            "各单位要提高政治站位，强化责任意识，争分夺秒，加快进度。"
            "要明确目标，强化措施。")
    assert run(text).tasks == []


def test_a_status_report_yields_the_items_it_asks_again() -> None:
    text = ("关于重点工作推进情况的督查通报\n（2024年5月6日）\n\n"
            "一、总体情况\n10项确定事项中，已完成6项，推进滞后4项。\n"
            "二、下步要求\n县住建局要在5月31日前完成老旧小区雨污分流改造；县交通局要于6月15日前完成公交站台更新。\n")
    tasks = run(text, ref=None).tasks
    assert [(units(t), due(t)) for t in tasks] == [
        ({"县住建局"}, date(2024, 5, 31)), ({"县交通局"}, date(2024, 6, 15))]


# -- recurrences -----------------------------------------------------------------------------------

def test_recurrences_are_duties_with_their_next_occurrence() -> None:
    cases = {
        "各乡镇每周五上午下班前、每月20日前报送进度。": ["每周五上午下班前", "每月20日前"],
        "各部门要于每季度末报送工作进展。": ["每季度末"],
        "各单位每月10日和25日前报送统计表。": ["每月10日和25日前"],
        "街道要每周2次开展夜间巡查。": ["每周2次"],
        "各单位每年11月30日前报送年度总结。": ["每年11月30日前"],
    }
    for text, expected in cases.items():
        tasks = run(text).tasks
        assert [t.recurrence for t in tasks] == expected, text
        assert all((due(t) or date.min) >= date(2024, 3, 4) for t in tasks), text
    quarter, = run("各部门要于每季度末报送工作进展。").tasks
    assert due(quarter) == date(2024, 3, 31)


# -- owners, the year of a date, cut-off text -------------------------------------------------------

def test_the_year_comes_from_the_document_and_says_which_date() -> None:
    text = "关于做好防汛工作的通知\n发布机构：县应急局\n成文日期：2023-05-10\n\n各乡镇要在6月15日前完成隐患排查。\n"
    result = run(text, ref=None)
    assert result.date_basis == ("成文日期", date(2023, 5, 10))
    assert due(result.tasks[0]) == date(2023, 6, 15)
    signed = run("各乡镇要在6月15日前完成隐患排查。\n县应急管理局\n二〇二二年五月九日\n", ref=None)
    assert signed.date_basis == ("落款日期", date(2022, 5, 9))


def test_a_day_without_its_month_is_the_coming_one() -> None:
    task, = run("5月28日下午，镇里召开推进会，要求各村3号前完成秸秆清运。", ref=date(2024, 5, 28)).tasks
    assert due(task) == date(2024, 6, 3)


def test_a_sentence_cut_off_is_no_task() -> None:
    result = run("一、县住建局要在5月底前完成排查。\n二、县应急局要在6月底前组织")
    assert len(result.tasks) == 1
    assert any("不完整" in w for w in result.warnings)


def test_vague_deadlines_stay_as_written_for_the_office() -> None:
    task, = run("请县林业局尽快完成林区防火通道清理。").tasks
    assert task.due_at is None and task.due_text == "尽快"


def test_owners_who_are_persons() -> None:
    notice = ("隐患整改通知书\n\n恒达物流有限公司：\n请你单位于2024年5月31日前完成仓库消防喷淋系统整改。\n"
              "消防安全责任人：林秋生\n县消防救援大队\n2024年4月2日\n")
    task, = run(notice, ref=None).tasks
    assert task.owner == "林秋生" and task.unknown_units == ["恒达物流有限公司"]
    record = "（一）第一督导组\n责任领导：高 ?志 ?远\n责任单位：镇安监办、派出所\n检查范围：加油站、液化气站。\n"
    task, = run(record).tasks
    assert task.owner == "高志远" and task.unknown_units == ["镇安监办", "派出所"]


def test_a_status_report_quoting_decided_items() -> None:
    text = ("关于常务会议确定事项落实情况的督查通报\n\n各乡镇人民政府，县政府各部门：\n"
            "截至9月30日，共确定事项30项，已办结22项，推进滞后2项。现将推进滞后事项通报如下：\n"
            "1.城东农贸市场改造。牵头单位：县商务局，责任领导：孙立群。会议确定8月底前完成主体施工，目前仅完成60%。\n"
            "2.乡镇污水管网建设。牵头单位：县住建局，配合单位：各乡镇人民政府。会议确定9月20日前完成招标，目前尚未挂网。\n"
            "县政府督查室\n2024年10月8日\n")
    tasks = run(text, ref=None).tasks
    assert [(t.title, units(t), due(t), t.owner) for t in tasks] == [
        ("城东农贸市场改造", {"县商务局"}, date(2024, 8, 31), "孙立群"),
        ("乡镇污水管网建设", {"县住建局", "各乡镇人民政府"}, date(2024, 9, 20), None)]
