"""The four flows on the real Prefect engine (``prefect_test_harness``), against a SQLite file.

The harness starts a temporary Prefect server, which takes 15 s or more: it is started once for
the module, and the flows run as one scenario in one test (split across tests, pytest-xdist
could hand them to two workers and start the harness twice).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, func, select

from config.settings import reset_settings
from engine.store.db import make_engine
from engine.store.schema import upgrade
from engine.tasks.actions import acknowledge, request_completion, verify_and_close
from models import OutboxMessage, Recheck
from tests.conftest import mark_simulation
from tests.factories import act, at, make_city, make_task


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("prefect_flows")


@pytest.fixture(scope="module")
def harness(workdir: Path) -> Iterator[None]:
    """One temporary Prefect server for the module; duban's channels set to the console."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
        patch.setenv("DUBAN_NOTIFIERS", '["console"]')
        patch.setenv("DUBAN_REPORTS_DIR", str(workdir / "reports"))
        for name in [k for k in os.environ if k in ("DUBAN_DATABASE_URL", "DUBAN_TELEGRAM_TOKEN")]:
            patch.delenv(name)
        reset_settings()
        from prefect.testing.utilities import prefect_test_harness

        try:
            with prefect_test_harness(server_startup_timeout=180):
                yield
        finally:
            reset_settings()


@pytest.fixture
def city_db(workdir: Path) -> str:
    """A migrated SQLite file with the small city: one task overdue since 03-15, one closed on
    03-05 (its 回头看 falls due 30 days later)."""
    url = f"sqlite:///{workdir}/flows.db"
    engine = make_engine(url)
    upgrade(engine)
    mark_simulation(engine)
    with Session(engine, expire_on_commit=False) as session:
        city = make_city(session)
        make_task(session, city, due="3月15日前", title="消防通道占用整治")
        done = make_task(session, city, due="3月31日前", title="灭火器配置检查")
        acknowledge(session=session, task=done.code, actor=act(city.fire_contact), now=at("2024-03-04", "11:00"))
        request_completion(session=session, task=done.code, actor=act(city.fire_head), evidence="检查记录",
                           now=at("2024-03-05", "09:00"))
        verify_and_close(session=session, task=done.code, actor=act(city.office), rating="优秀",
                         now=at("2024-03-05", "10:00"))
    engine.dispose()
    return url


def _outbox(url: str, **where: Any) -> list[OutboxMessage]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            query = select(OutboxMessage).order_by(col(OutboxMessage.id))
            for name, value in where.items():
                query = query.where(getattr(OutboxMessage, name) == value)
            return list(session.exec(query).all())
    finally:
        engine.dispose()


def test_the_four_flows_on_the_prefect_engine(harness: None, city_db: str, workdir: Path) -> None:
    from flows.daily_summary import daily_summary_flow
    from flows.dispatch import dispatch_flow
    from flows.escalate import escalate_flow
    from flows.recheck import recheck_flow

    # escalate: Monday 03-18 is the first working day after the deadline → level 1 催办.
    escalated = escalate_flow(now=at("2024-03-18", "10:00"), database_url=city_db)
    rows = _outbox(city_db, kind="escalation")
    assert escalated["created"] >= len(rows) > 0
    assert {(r.level, r.status) for r in rows} == {(1, "pending")}
    assert escalate_flow(now=at("2024-03-18", "10:00"), database_url=city_db) == {"created": 0}

    # The 15:00 summary: report saved, queued, and delivered by its own dispatch task.
    summary = daily_summary_flow(now=at("2024-03-18", "15:00"), database_url=city_db)
    assert summary["date"] == "2024-03-18"
    report = Path(summary["path"])
    assert report == workdir / "reports" / "summary-2024-03-18.md" and report.is_file()
    assert "## 逾期事项（按逾期天数）（1）" in report.read_text(encoding="utf-8")
    assert summary["queued"] == 3 and summary["delivery"]["sent"] >= 3
    sent = _outbox(city_db, kind="summary")
    assert len(sent) == 3 and {(r.status, r.channel) for r in sent} == {("sent", "console")}
    assert {r.status for r in _outbox(city_db, kind="escalation")} == {"sent"}
    again = daily_summary_flow(now=at("2024-03-18", "15:30"), database_url=city_db)
    assert again == {"skipped": "今日调度已生成"}

    # recheck: the 回头看 of the task closed on 03-05 falls due on 04-04, told to the office.
    assert recheck_flow(now=at("2024-04-03", "09:00"), database_url=city_db) == {"created": 0}
    assert recheck_flow(now=at("2024-04-05", "09:00"), database_url=city_db) == {"created": 1}
    (told,) = _outbox(city_db, kind="recheck")
    assert told.status == "pending"

    # dispatch: delivers what is due, nothing twice.
    delivered = dispatch_flow(now=at("2024-04-05", "09:00"), database_url=city_db)
    assert delivered["sent"] >= 1 and delivered["dead"] == 0
    assert _outbox(city_db, kind="recheck")[0].status == "sent"
    assert dispatch_flow(now=at("2024-04-05", "09:05"), database_url=city_db)["sent"] == 0
    engine = make_engine(city_db)
    with Session(engine) as session:
        waiting = session.exec(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.status == "pending",
            col(OutboxMessage.next_attempt_at) <= at("2024-04-05", "09:05"))).one()
        assert waiting == 0
        assert session.exec(select(Recheck)).one().notified_at is not None
    engine.dispose()
