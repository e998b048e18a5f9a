"""The one table of scheduled jobs: name, cron, timezone, the plain job and its Prefect flow.

``duban serve`` builds its APScheduler jobs from :func:`jobs` (with the policy's summary time and
timezone); ``prefect.yaml`` deploys the same flows with the crons of :data:`JOBS` (the
defaults), and a test keeps the two in step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from config.policy import Policy, parse_hhmm
from flows import jobs as job_functions


@dataclass(frozen=True)
class Job:
    name: str
    cron: str
    timezone: str
    run: Callable[..., Any]
    flow: str  # Prefect entrypoint, "path/to/file.py:function"
    description: str


def jobs(policy: Policy | None = None) -> tuple[Job, ...]:
    """The jobs for ``policy`` (defaults when ``None``)."""
    policy = policy or Policy()
    tz = policy.timezone
    at = parse_hhmm(policy.summary.time)
    return (
        Job("escalate", "*/10 * * * *", tz, job_functions.escalate_job,
            "flows/escalate.py:escalate_flow", "提醒与升级督办"),
        Job("dispatch", "* * * * *", tz, job_functions.dispatch_job,
            "flows/dispatch.py:dispatch_flow", "投递通知"),
        Job("daily-summary", f"{at.minute} {at.hour} * * *", tz, job_functions.summary_job,
            "flows/daily_summary.py:daily_summary_flow", "每日调度"),
        Job("recheck", "0 9 * * *", tz, job_functions.recheck_job,
            "flows/recheck.py:recheck_flow", "回头看提醒"),
    )


JOBS = jobs()
"""The default table (summary at 15:00 in Asia/Shanghai), mirrored by ``prefect.yaml``."""

