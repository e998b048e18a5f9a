"""SQLModel tables only; importing this package registers every table on ``SQLModel.metadata``."""

from models.account import LoginAttempt, WebAccount, WebInvite
from models.directive import Directive, DirectiveCreate
from models.events import AuditEvent
from models.files import Attachment, FileBlob, FileChunk
from models.intake import IntakeRecord
from models.meta import Counter, JobFire, Lease, Setting, SummaryRun
from models.org import BindingCode, LeaderScope, Person, Unit
from models.outbox import OutboxMessage
from models.tally import TaskTally, TaskTallyDelta, TaskTallyMeta
from models.task import (
    ExtensionRequest,
    Milestone,
    MilestoneCreate,
    ProgressReport,
    Recheck,
    Task,
    TaskCreate,
    TaskUnit,
)

__all__ = [
    "Attachment", "AuditEvent", "BindingCode", "Counter", "Directive", "DirectiveCreate",
    "ExtensionRequest", "FileBlob", "FileChunk", "IntakeRecord", "JobFire", "LeaderScope", "Lease",
    "LoginAttempt", "Milestone", "MilestoneCreate", "OutboxMessage",
    "Person", "ProgressReport", "Recheck", "Setting", "SummaryRun", "Task", "TaskCreate",
    "TaskTally", "TaskTallyDelta", "TaskTallyMeta", "TaskUnit",
    "Unit", "WebAccount", "WebInvite",
]
