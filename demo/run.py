"""``duban demo``: build the sample city in a fresh folder and walk a simulated month.

The clock is simulated: the jobs of :mod:`flows.schedule` fire at their cron moments (escalation
every 10 minutes, the summary at 15:00) between the scripted actions of :mod:`demo.city`, and
every change goes through the engine services, exactly as in production.
"""

from __future__ import annotations

import asyncio
import shutil
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console
from sqlmodel import Session

from demo import city
from demo.actions import perform, register_directive
from engine.escalation.planned import Planned
from engine.org.actors import SYSTEM, Actor
from engine.store.db import make_engine
from notifiers.memory import MemoryNotifier

TZ = ZoneInfo("Asia/Shanghai")
EXAMPLE_CONFIG = Path(__file__).resolve().parent.parent / "config" / "example.yaml"
WEEKDAYS = "一二三四五六日"
LEVEL_NAMES = {1: "催办", 2: "督办", 3: "通报"}


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def timeline(start: datetime, days: int) -> Iterator[tuple[datetime, str, Any]]:
    """Scripted directives and actions merged with the scheduled jobs' fire times, in order."""
    from apscheduler.triggers.cron import CronTrigger

    from flows.schedule import JOBS

    end = start + timedelta(days=days)
    events: list[tuple[datetime, int, str, Any]] = []
    for spec in city.DIRECTIVES:
        events.append((local(spec.at), 0, "directive", spec))
    for act in city.ACTS:
        events.append((local(act.at), 1, "act", act))
    for job in JOBS:
        if job.name not in ("escalate", "daily-summary"):
            continue
        trigger = CronTrigger.from_crontab(job.cron, timezone=job.timezone)
        moment = trigger.get_next_fire_time(None, start)
        while moment is not None and moment < end:
            events.append((moment, 2, job.name, None))
            moment = trigger.get_next_fire_time(moment, moment + timedelta(seconds=1))
    for at, _, kind, payload in sorted(events, key=lambda e: (e[0], e[1])):
        if start <= at < end:
            yield at, kind, payload


class DemoRun:
    """Holds the session, the delivery channel and the printing of one demo."""

    def __init__(self, session: Session, console: Console, reports: Path) -> None:
        self.session, self.console, self.reports = session, console, reports
        self.channel = MemoryNotifier("telegram-demo")
        self.codes: dict[str, str] = {}
        self.directive_ids: dict[str, int] = {}
        self.day: str | None = None
        self.stats: Counter[str] = Counter()
        self.next_work: datetime | None = None

    def new_day(self, at: datetime) -> None:
        from engine.store.policy import calendar_for, get_policy

        day = at.date().isoformat()
        if day == self.day:
            return
        self.day = day
        workday = calendar_for(get_policy(self.session)).is_workday(at.date())
        kind = "工作日" if workday else "休息日"
        if workday and at.weekday() >= 5:
            kind = "调休上班"
        self.console.rule(f"{at.month}月{at.day}日 周{WEEKDAYS[at.weekday()]} · {kind}", style="dim")

    def say(self, at: datetime, text: str) -> None:
        self.console.print(f"  [dim]{at:%H:%M}[/dim] {text}")

    def tick(self, at: datetime) -> None:
        from engine.escalation.run import next_work_at, run_pass

        # A real scheduler fires every 10 minutes; the simulation skips fires with nothing due.
        if self.next_work is not None and at < self.next_work:
            return
        created = run_pass(session=self.session, actor=SYSTEM.at(datetime.now(UTC)), now=at)
        self.next_work = next_work_at(self.session) or at + timedelta(days=365)
        for item in created:
            self.stats[f"{item.kind}:{item.level}"] += 1
        self._print_created(at, created)
        if created:
            self.dispatch(at)

    def _print_created(self, at: datetime, created: list[Planned]) -> None:
        by_task: dict[tuple[str, int | None, int], list[str]] = {}
        for item in created:
            by_task.setdefault((item.kind, item.task_id, item.level), []).append(item.recipient)
        for (kind, task_id, level), people in by_task.items():
            code = self._code_of(task_id)
            label = {"reminder": "[yellow]到期提醒[/]", "stale": "[magenta]进展滞后提醒[/]",
                     "milestone": "[yellow]阶段节点提醒[/]", "recheck": "[cyan]回头看到期[/]",
                     "occurrence": "[cyan]生成下一期周期任务[/]"}.get(kind)
            if kind == "escalation":
                label = f"[bold red]{LEVEL_NAMES[level]}[/]"
            who = "、".join(p for p in people if p)
            self.say(at, f"{label} {code}" + (f" → {who}" if who else ""))

    def _code_of(self, task_id: int | None) -> str:
        from models import Task

        task = self.session.get(Task, task_id) if task_id else None
        return f"{task.code} {task.title}" if task else ""

    def dispatch(self, at: datetime) -> None:
        from engine.outbox.dispatch import dispatch_once

        while True:
            report = asyncio.run(dispatch_once(session=self.session, notifiers=[self.channel],
                                               now=at, worker="demo"))
            self.stats["delivered"] += report.sent
            if report.claimed == 0:
                return

    def summary(self, at: datetime) -> None:
        from engine.summary.daily import run_daily_summary

        result = run_daily_summary(session=self.session, actor=SYSTEM.at(datetime.now(UTC)),
                                   now=at, reports_dir=self.reports, send=True)
        assert result.whole is not None
        lights = result.whole.lights
        overdue = next((s.total for s in result.whole.sections if s.title.startswith("逾期")), 0)
        self.say(at, f"[bold]每日调度[/]：[red]红 {lights['red']}[/] [yellow]黄 {lights['yellow']}[/] "
                     f"[green]绿 {lights['green']}[/]，逾期 {overdue} 项，推送 {result.queued} 人")
        self.dispatch(at)
        self.last_summary = result


def run_demo(*, directory: Path, days: int, json_out: bool) -> dict[str, Any]:
    """Run the demo in ``directory`` (recreated); return its figures."""
    from engine.org.setup import mark_simulation
    from engine.store.schema import upgrade
    from engine.tasks.audit_key import ensure_key_file

    # The demo's audit trail is signed like any other: with this machine's key (DUBAN_AUDIT_KEY,
    # or the key file, created here as `duban init` would).
    ensure_key_file()
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    engine = make_engine(f"sqlite:///{directory / 'duban.db'}", create_dirs=True)
    upgrade(engine)
    import sys

    # Piped output gets a readable width; a terminal keeps its own.
    console = Console(highlight=False, quiet=json_out, width=None if sys.stdout.isatty() else 120)
    with Session(engine, expire_on_commit=False) as session:
        # A simulated month: only a simulation database accepts the moved clock.
        mark_simulation(session=session, actor=operator())
        run = DemoRun(session, console, directory / "reports")
        _load_city(session, local(city.START))
        console.print(f"[bold]duban 演示[/]：示例城市，模拟 {days} 天（数据库 {directory / 'duban.db'}）")
        for at, kind, payload in timeline(local(city.START), days):
            run.new_day(at)
            _step(run, at, kind, payload)
        figures = _finish(run, local(city.START) + timedelta(days=days))
    engine.dispose()
    return figures


def _load_city(session: Session, now: datetime) -> None:
    from config.orgfile import load_org_file
    from engine.org.setup import load_org

    load_org(session=session, org=load_org_file(EXAMPLE_CONFIG), actor=operator(), now=now)


def operator() -> Actor:
    import getpass

    return Actor.cli_operator(getpass.getuser(), wall_clock=datetime.now(UTC))


def _step(run: DemoRun, at: datetime, kind: str, payload: Any) -> None:
    if kind == "directive":
        for line in register_directive(run.session, payload, run.codes, run.directive_ids, at):
            run.say(at, line)
        run.dispatch(at)
        run.next_work = None
    elif kind == "act":
        run.say(at, perform(run.session, payload, run.codes, at))
        run.dispatch(at)
        run.next_work = None  # the action may have moved a deadline or a step
    elif kind == "escalate":
        run.tick(at)
    elif kind == "daily-summary":
        run.summary(at)


def _finish(run: DemoRun, end: datetime) -> dict[str, Any]:
    from demo.report import print_final

    return print_final(run, end)
