"""The escalation, reminder and summary policy, with defaults from :mod:`config.defaults`."""

from __future__ import annotations

import re
from datetime import date, time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from config import defaults

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def parse_hhmm(value: str) -> time:
    """``"15:00"`` → ``time(15, 0)``; the value was validated by the model."""
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def _check_hhmm(value: str) -> str:
    if not _HHMM.match(value):
        raise ValueError("应为 HH:MM 格式的时间，如 15:00")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EscalationRule(_Strict):
    """When reminders and levels fire for one priority, counted in ``unit`` after/before the due."""

    unit: Literal["workdays", "minutes"] = "workdays"
    reminders_before: tuple[int, ...] = defaults.REMINDERS_WORKDAYS_BEFORE
    due_day_morning: str | None = defaults.DUE_DAY_MORNING
    level_after: tuple[int, int, int] = defaults.LEVEL_AFTER_WORKDAYS

    _hhmm = field_validator("due_day_morning")(
        classmethod(lambda cls, v: v if v is None else _check_hhmm(v))
    )

    @field_validator("level_after")
    @classmethod
    def _ascending(cls, value: tuple[int, int, int]) -> tuple[int, int, int]:
        if any(v < 0 for v in value) or list(value) != sorted(value):
            raise ValueError("三级升级的时点必须为非负且依次不减")
        return value

    @field_validator("reminders_before")
    @classmethod
    def _positive(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(v <= 0 for v in value):
            raise ValueError("提醒提前量必须为正数")
        return tuple(sorted(set(value), reverse=True))


def _urgent_rule() -> EscalationRule:
    return EscalationRule(
        unit="minutes",
        reminders_before=defaults.URGENT_REMINDER_MINUTES_BEFORE,
        due_day_morning=None,
        level_after=defaults.URGENT_LEVEL_AFTER_MINUTES,
    )


class EscalationPolicy(_Strict):
    urgent: EscalationRule = Field(default_factory=_urgent_rule)
    high: EscalationRule = Field(default_factory=EscalationRule)
    normal: EscalationRule = Field(default_factory=EscalationRule)

    def for_priority(self, priority: str) -> EscalationRule:
        return getattr(self, priority, self.normal)  # type: ignore[no-any-return]


class QuietHours(_Strict):
    start: str = defaults.QUIET_HOURS[0]
    end: str = defaults.QUIET_HOURS[1]
    _hhmm = field_validator("start", "end")(classmethod(lambda cls, v: _check_hhmm(v)))


class SummaryPolicy(_Strict):
    time: str = defaults.SUMMARY_TIME
    days: Literal["every_day", "working_days"] = defaults.SUMMARY_DAYS  # type: ignore[assignment]
    _hhmm = field_validator("time")(classmethod(lambda cls, v: _check_hhmm(v)))


class DispatchPolicy(_Strict):
    max_attempts: int = Field(default=defaults.DISPATCH_MAX_ATTEMPTS, ge=1, le=100)
    backoff_base_seconds: float = Field(default=defaults.DISPATCH_BACKOFF_BASE_SECONDS, gt=0)
    backoff_max_seconds: float = Field(default=defaults.DISPATCH_BACKOFF_MAX_SECONDS, gt=0)


class CompletionEvidence(_Strict):
    """Per priority: whether 申请办结 must carry at least one evidence file."""

    urgent: bool = defaults.COMPLETION_FILE_REQUIRED["urgent"]
    high: bool = defaults.COMPLETION_FILE_REQUIRED["high"]
    normal: bool = defaults.COMPLETION_FILE_REQUIRED["normal"]

    def for_priority(self, priority: str) -> bool:
        return bool(getattr(self, priority, self.normal))


class EvidencePolicy(_Strict):
    """Limits on evidence files (MiB) and the completion requirement."""

    max_file_mb: int = Field(default=defaults.EVIDENCE_MAX_FILE_MB, ge=1, le=2048)
    max_report_mb: int = Field(default=defaults.EVIDENCE_MAX_REPORT_MB, ge=1, le=10240)
    max_files_per_report: int = Field(default=defaults.EVIDENCE_MAX_FILES, ge=1, le=100)
    completion_requires_file: CompletionEvidence = Field(default_factory=CompletionEvidence)

    @model_validator(mode="after")
    def _report_holds_a_file(self) -> EvidencePolicy:
        if self.max_report_mb < self.max_file_mb:
            raise ValueError("每次提交的合计上限（max_report_mb）不能小于单个文件上限（max_file_mb）")
        return self


class HolidayOverrides(_Strict):
    """The State Council's published arrangement; wins over every calendar package."""

    holidays: tuple[date, ...] = ()
    workdays: tuple[date, ...] = ()

    @model_validator(mode="after")
    def _disjoint(self) -> HolidayOverrides:
        both = set(self.holidays) & set(self.workdays)
        if both:
            raise ValueError(f"同一日期不能既是假日又是工作日：{sorted(both)[0].isoformat()}")
        return self


class Policy(_Strict):
    """Everything configurable about how the office follows up; stored in the database."""

    timezone: str = defaults.TIMEZONE
    warning_window_workdays: int = Field(default=defaults.WARNING_WINDOW_WORKDAYS, ge=0, le=30)
    progress_cadence_days: int = Field(default=defaults.PROGRESS_CADENCE_DAYS, ge=1, le=365)
    extension_cap: int = Field(default=defaults.EXTENSION_CAP, ge=0, le=20)
    recheck_after_days: int = Field(default=defaults.RECHECK_AFTER_DAYS, ge=1, le=3650)
    leaders_see_all: bool = defaults.LEADERS_SEE_ALL
    quiet_hours: QuietHours = Field(default_factory=QuietHours)
    summary: SummaryPolicy = Field(default_factory=SummaryPolicy)
    escalation: EscalationPolicy = Field(default_factory=EscalationPolicy)
    dispatch: DispatchPolicy = Field(default_factory=DispatchPolicy)
    evidence: EvidencePolicy = Field(default_factory=EvidencePolicy)
    holiday_overrides: HolidayOverrides = Field(default_factory=HolidayOverrides)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("未知的时区名称，应为 IANA 时区如 Asia/Shanghai") from None
        return value


def merge_policy(stored: BaseModel, given: BaseModel, prefix: str = "policy") -> tuple[Any, list[str]]:
    """``stored`` with only the settings ``given`` names explicitly (its ``model_fields_set``,
    section by section) replaced; returns the result and the dotted names of what changed.

    A file that says ``policy: {quiet_hours: {start: "23:00"}}`` changes that one time and keeps
    every other setting — including the end of the quiet hours — as the database had it.
    """
    updates: dict[str, Any] = {}
    changed: list[str] = []
    for name in given.model_fields_set:
        old, new = getattr(stored, name), getattr(given, name)
        if isinstance(old, BaseModel) and isinstance(new, BaseModel):
            merged, inner = merge_policy(old, new, f"{prefix}.{name}")
            if inner:
                updates[name], changed = merged, changed + inner
        elif old != new:
            updates[name] = new
            changed.append(f"{prefix}.{name}")
    return (stored.model_copy(update=updates) if updates else stored), sorted(changed)
