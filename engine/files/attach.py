"""Attaching received files to what they document, and the policy on completion evidence."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session

from engine.errors import EvidenceRequired
from engine.files.ingest import StoredFile, Upload
from engine.org.actors import Actor
from engine.store.policy import get_policy
from engine.values import Priority, label_of
from models import Attachment, Task

PURPOSES = {"progress": "进展材料", "completion": "办结证明材料", "extension": "延期申请材料",
            "directive": "批示原件"}
"""What an attachment documents, with its Chinese name."""


def require_completion_evidence(session: Session, task: Task, files: Sequence[Upload]) -> None:
    """Refuse a completion request without a file where the policy requires one, saying what
    is missing (:class:`EvidenceRequired`)."""
    required = get_policy(session).evidence.completion_requires_file.for_priority(task.priority)
    if required and not files:
        label = label_of(Priority, task.priority)
        raise EvidenceRequired(
            f"申请办结须附证明材料文件：事项 {task.code} 为“{label}”事项，按督办规则至少附 1 个"
            "文件（如整改前后对比照片、验收单、整改报告），本次未附文件，未提交")


def audit_files(stored: Sequence[StoredFile]) -> dict[str, Any]:
    """The audit detail listing ``stored`` (empty when there are none, so that events without
    files keep their former shape)."""
    return {"files": [f.audit_entry() for f in stored]} if stored else {}


def attach_files(
    session: Session, stored: Sequence[StoredFile], *, purpose: str, actor: Actor,
    now: datetime, task_id: int | None = None, directive_id: int | None = None,
    report_id: int | None = None, extension_id: int | None = None, unit_id: int | None = None,
) -> list[Attachment]:
    """One attachment row per stored file, in the caller's transaction (flushed, with ids)."""
    assert purpose in PURPOSES
    rows = [Attachment(sha256=f.sha256, name=f.name, purpose=purpose, task_id=task_id,
                       directive_id=directive_id, report_id=report_id, extension_id=extension_id,
                       uploaded_by_id=actor.person_id,
                       unit_id=unit_id if unit_id is not None else actor.unit_id,
                       source=f.source, created_at=now)
            for f in stored]
    session.add_all(rows)
    if rows:
        session.flush()
    return rows
