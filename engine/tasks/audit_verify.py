"""Verifying the audit chain, against its recorded head and against published anchors.

:func:`verify` walks every event in id order and checks that each event links to its
predecessor's hash and that its own HMAC is right under the audit key;
then that the newest event is the recorded chain head, and that every anchor given (``SEQ:HASH``
as printed in a daily summary or a bulletin) names an event still in the chain with that hash.
The first failure raises :class:`~engine.errors.AuditChainBroken` naming the event (by its id,
the number anchors use) in Chinese.

An insider who can write the database but lacks the key cannot pass the HMAC check; one who
deletes the newest events and moves the recorded head back passes the first two checks but not
an anchor published after those events; even a holder of the key who rewrites history cannot
reproduce the hash of an anchored event.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from engine.calendar.timefmt import local_text
from engine.errors import AuditChainBroken, InvalidInput
from engine.org.actors import Actor
from engine.store.policy import get_policy, zone_for
from engine.tasks.audit import GENESIS_HASH, Anchor, digest, recorded_head
from engine.tasks.audit_key import AuditKeyError, audit_key, key_id
from models import AuditEvent

MIN_ANCHOR_HEX = 16
"""Hexadecimal characters an anchor's hash must give at least (a prefix is accepted)."""
_ANCHOR = re.compile(r"^\s*(\d{1,18})\s*[:：]\s*([0-9a-fA-F]+)\s*$")

_ACTIONS = {
    "create": "创建", "load": "载入配置", "invite": "生成绑定码", "bind": "绑定 Telegram",
    "recur": "生成周期事项", "extend": "延期生效", "recheck": "回头看", "seal": "封存审计链",
    "note": "备注", "urge": "催办",
}


@dataclass
class ChainReport:
    """What a verification found intact: the number of events and the newest one."""

    events: int
    head: Anchor | None
    anchors: list[Anchor] = field(default_factory=list)


def parse_anchor(value: str) -> Anchor:
    """``"1234:9f86d081884c7d65…"`` → :class:`Anchor`; refuses anything else in Chinese."""
    match = _ANCHOR.match(value or "")
    if match is None or int(match.group(1)) < 1 or len(match.group(2)) < MIN_ANCHOR_HEX \
            or len(match.group(2)) > 64:
        raise InvalidInput(f"审计锚点“{value}”格式无效，应为 序号:哈希（哈希至少 {MIN_ANCHOR_HEX} 位"
                           "十六进制），如每日调度或情况通报末尾所印的 1234:9f86d081884c7d65…")
    return Anchor(int(match.group(1)), match.group(2).lower())


def verify(*, session: Session, actor: Actor, anchors: Iterable[Anchor] = (),
           batch: int = 5000) -> ChainReport:
    """Check the chain, its head and ``anchors``; raise :class:`AuditChainBroken` at the first
    fault (or :class:`AuditKeyError` when the chain was signed with another key). The office's
    (or the operator's) check."""
    from engine.org.permissions import require_office_or_system

    require_office_or_system(actor, "校验审计链")
    key = audit_key()
    wanted = {a.seq: a for a in anchors}
    walk = _Walk(session, key, wanted)
    last_id = 0
    while True:
        rows = session.execute(
            select(AuditEvent.__table__).where(col(AuditEvent.id) > last_id)  # type: ignore[attr-defined]
            .order_by(col(AuditEvent.id)).limit(batch)).mappings().all()
        if not rows:
            break
        for row in rows:
            walk.check(row)
        last_id = int(rows[-1]["id"])
    walk.check_head()
    walk.check_anchors()
    return ChainReport(walk.count, Anchor(walk.seq, walk.prev) if walk.count else None,
                       sorted(wanted.values(), key=lambda a: a.seq))


class _Walk:
    def __init__(self, session: Session, key: bytes, anchors: dict[int, Anchor]) -> None:
        self.session, self.key, self.anchors = session, key, anchors
        self.seq, self.prev, self.count = 0, GENESIS_HASH, 0
        self.found: set[int] = set()
        self.head = recorded_head(session)

    def check(self, row: Mapping[Any, Any]) -> None:
        # Ids are gap-free since revision 0002, but older ones may have gaps: the links, not
        # the numbering, prove that nothing is missing.
        seq = int(row["id"])
        if row["prev_hash"] != self.prev:
            raise AuditChainBroken(seq, f"{self._about(row)}的前序哈希不连续（其前的事件被删除或改动）")
        if digest(row, self.key) != row["hash"]:
            self._other_key(seq)
            raise AuditChainBroken(seq, f"{self._about(row)}的内容与签名不符（记录被改动）")
        anchor = self.anchors.get(seq)
        if anchor is not None and not row["hash"].startswith(anchor.hash):
            raise AuditChainBroken(seq, f"{self._about(row)}与审计锚点 {anchor} 不符"
                                        "（该事件或其之前的历史被改写）")
        if anchor is not None:
            self.found.add(seq)
        self.seq, self.prev, self.count = seq, row["hash"], self.count + 1

    def check_head(self) -> None:
        """The newest event must be the recorded head (else the tail was cut off)."""
        head = self.head or {"seq": 0, "hash": GENESIS_HASH}
        if int(head.get("seq") or 0) > self.seq or (head.get("hash") != self.prev and self.count):
            raise AuditChainBroken(self.seq + 1, "及其后的事件缺失（最后一条事件与记录的链头不符，"
                                                 "链尾被删除或改动）")

    def check_anchors(self) -> None:
        missing = sorted((a for a in self.anchors.values() if a.seq not in self.found),
                         key=lambda a: a.seq)
        if missing:
            anchor = missing[0]
            where = (f"审计链只到第 {self.seq} 号（链尾被截断）" if anchor.seq > self.seq
                     else "该事件已被删除")
            raise AuditChainBroken(anchor.seq, f"已不存在：审计锚点 {anchor} 所指的事件缺失，{where}")

    def _other_key(self, seq: int) -> None:
        """At the first event that fails: a different key explains it better than tampering."""
        recorded = (self.head or {}).get("key_id")
        if recorded and recorded != key_id(self.key):
            raise AuditKeyError(f"当前审计密钥与写入审计链时所用的密钥不一致（密钥指纹 {key_id(self.key)}，"
                                f"审计链记录的指纹 {recorded}），无法校验；请使用本数据库的审计密钥")

    def _about(self, row: Mapping[Any, Any]) -> str:
        """"（2024-03-05 10:00 张联络 签收）": the event as recorded, for the office to find."""
        from engine.tasks.lifecycle import ACTION_LABELS

        tz = zone_for(get_policy(self.session))
        action = ACTION_LABELS.get(row["action"]) or _ACTIONS.get(row["action"], row["action"])
        return f"（记录为 {local_text(row['at'], tz)} {row['actor']} {action}）"
