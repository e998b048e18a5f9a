"""An index on the task's responsible person (责任人): a unit's task list starts from its own
tasks instead of walking every deadline (issue 12, 台账 at a million tasks).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""
from typing import Sequence, Union

from alembic import op

revision: str = '0008'
down_revision: Union[str, None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index(op.f('ix_task_owner_id'), 'task', ['owner_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_task_owner_id'), table_name='task')
