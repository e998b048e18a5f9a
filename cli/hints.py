"""The CLI's hints for the remedies the engine names (:class:`engine.errors.Remedy`): the
options and commands of ``duban`` that resolve a refusal, added to the engine's message at the
CLI's boundary (:mod:`cli.main`). The engine's messages name no option — the web console shows
them as they are, beside its own fields, checkboxes and pages."""

from __future__ import annotations

from engine.errors import Remedy, RowsRefused

EDITABLE = "--title、--requirement、--lead、--co、--owner、--leader、--priority、--target、--measure、--due"
"""The options of ``duban task edit`` that change a field."""

HINTS: dict[Remedy, str] = {
    Remedy.PARENT_DIRECTIVE: "（--parent）",
    Remedy.PERSON_UNIT: "（--unit）",
    Remedy.FOR_UNIT: "（--for 单位）",
    Remedy.ACT_AS_PERSON: "（--as 姓名）",
    Remedy.ALLOW_SAME_NAME: "（加 --allow-same-name）",
    Remedy.EDIT_TASK: "（用 duban task edit 补充）",
    Remedy.ALLOW_PAST_DUE: "（修改时限用 duban task edit；确认交办请加 --allow-past-due）",
    Remedy.EDIT_FIELDS: f"（可用 {EDITABLE}）",
    Remedy.APPLY_AGAIN: "（加 --again）",
    Remedy.SKIP_OR_FIX_ITEMS: "\n可加 --skip 序号 不登记该项，或加 --due 序号=新时限 改正",
    Remedy.LIST_UNITS: "（可用 duban unit list 查看已登记的单位）",
    Remedy.LIST_PEOPLE: "（可用 duban person list 查看已登记的人员）",
    Remedy.SIMULATION: "（演练请用 duban init --simulation 建立模拟数据库）",
}
"""Every remedy's hint, in the words and options of the command line."""


def with_hint(error: Exception) -> str:
    """``error``'s message, with the CLI's hint for the remedy it carries (if any); a refusal
    of several items shows the options for the first of them."""
    remedy = getattr(error, "remedy", None)
    if remedy is None:
        return str(error)
    hint = HINTS[remedy]
    if remedy is Remedy.SKIP_OR_FIX_ITEMS and isinstance(error, RowsRefused) and error.rows:
        first = min(error.rows)
        hint += f"，如 --skip {first} 或 --due {first}=新时限"
    return str(error) + hint
