"""The trend's overdue tallies go by the day a deadline has passed at its close (the deadline
plus one second), not by the day it falls on: a "…日前" deadline, written as the day's close
(23:59:59), is not overdue on that day's point (issue 12, the 30-day trend).

Reinstalls the tally triggers and recounts every tally (a full pass over ``task``). The
downgrade reinstalls and recounts too: the tallies stay exact, by the rule of the code that
installs them.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""
from typing import Sequence, Union

from alembic import op

revision: str = '0009'
down_revision: Union[str, None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _reinstall() -> None:
    from engine.store.tally import install, offset_for_stored_policy

    connection = op.get_bind()
    install(connection, offset_minutes=offset_for_stored_policy(connection))


def upgrade() -> None:
    _reinstall()


def downgrade() -> None:
    _reinstall()
