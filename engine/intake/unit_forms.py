"""The other ways one unit is written: level prefix dropped or added, official words shortened.

Documents name the same office as 区住房和城乡建设局, 区住建局 or 住建局; 消防救援大队 or 消防大队;
仁兴街道办事处, 仁兴街道 or (in a list) 仁兴街. :func:`variants` derives those forms from the
name a directory holds, in both directions (a directory that holds the short form also finds the
full one); :func:`canonical` reduces any written form to one key, so a name the text writes in
yet another way still meets its directory unit.
"""

from __future__ import annotations

import re

ABBREVIATIONS: tuple[tuple[str, str], ...] = (
    ("住房和城乡建设", "住建"), ("住房城乡建设", "住建"), ("人力资源和社会保障", "人社"),
    ("人力资源社会保障", "人社"), ("发展和改革", "发改"), ("发展改革", "发改"), ("卫生健康", "卫健"),
    ("卫生和计划生育", "卫计"), ("工业和信息化", "工信"), ("经济和信息化", "经信"),
    ("自然资源和规划", "自然资源"), ("市场监督管理", "市场监管"), ("城市管理", "城管"),
    ("交通运输", "交通"), ("农业农村", "农业"), ("应急管理", "应急"), ("文化和旅游", "文旅"),
    ("文化广电和旅游", "文广旅"), ("教育和体育", "教体"), ("生态环境", "环境"),
    ("退役军人事务", "退役军人"), ("医疗保障", "医保"), ("消防救援", "消防"), ("行政审批服务", "行政审批"),
    ("数据资源管理", "数据资源"), ("林业和草原", "林业"), ("公共资源交易", "公共资源"),
)
"""Official words and the short forms documents use for them (full, short)."""

SUFFIX_FORMS: tuple[tuple[str, str], ...] = (
    ("街道办事处", "街道"), ("人民政府", "政府"), ("管理委员会", "管委会"), ("委员会", "委"),
    ("办公室", "办"),
)
"""Suffixes written either way (full, short)."""

_LEVEL = re.compile(r"^(?:[省市区县镇乡](?!委|政府|人民|直|属|级)|(?:(?!委|政府)[\u4e00-\u9fa5]){2,3}(?:省|市|区|县))"
                    r"(?=[\u4e00-\u9fa5]{2})")
_KEEP_PREFIX = re.compile(r"^(?:[\u4e00-\u9fa5]{0,3}(?:街道|镇|乡|村|社区|区|县|市))$")


def _shorten(name: str) -> str:
    for full, short in ABBREVIATIONS:
        name = name.replace(full, short)
    for full, short in SUFFIX_FORMS:
        if name.endswith(full):
            name = name[: -len(full)] + short
    return name


def _expand(name: str) -> set[str]:
    out = {name}
    for full, short in ABBREVIATIONS:
        out |= {n.replace(short, full, 1) for n in out if short in n and full not in n}
    for full, short in SUFFIX_FORMS:
        out |= {n[: -len(short)] + full for n in out if n.endswith(short) and not n.endswith(full)}
    return out


def strip_level(name: str) -> str:
    """The name without its level or place prefix (区住建局 → 住建局), when something
    unit-like is left; a district or town's own name is kept whole."""
    if _KEEP_PREFIX.fullmatch(name):
        return name
    m = _LEVEL.match(name)
    return name[m.end():] if m else name


def canonical(name: str) -> str:
    """One key for every way of writing a unit: shortened, without level prefix."""
    return strip_level(_shorten(name.replace(" ", "")))


def variants(name: str) -> set[str]:
    """Forms of ``name`` a document may use: itself, shortened, expanded, without its level
    prefix, and 街道 names without 道 (仁兴街, weak: only counted in lists and roles)."""
    forms = {name, _shorten(name), *_expand(name)}
    forms |= {strip_level(f) for f in forms}
    forms |= {f[:-1] for f in forms if f.endswith("街道") and len(f) >= 4}
    return {f for f in forms if len(f) >= 2}
