"""Issue 10: tasks record what their deadline counts from (``due_base``, ``due_base_at``; §3);
directives whose source gave no date are marked ``undated`` (§6).

The audit chain becomes keyed (§2) without a schema change: ``duban init`` re-signs an older
unkeyed chain with the audit key when it upgrades a database from before this revision
(engine.tasks.audit_seal) — that needs the key, so it cannot happen in a migration.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

import models.types

revision: str = '0003'
down_revision: Union[str, None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('due_base', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('due_base_at', models.types.UTCDateTime(timezone=True),
                                      nullable=True))
    with op.batch_alter_table('directive', schema=None) as batch_op:
        batch_op.add_column(sa.Column('undated', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    # Until now every deadline was resolved against the directive's date.
    op.execute("UPDATE task SET due_base = 'directive', due_base_at = (SELECT issued_at FROM "
               "directive WHERE directive.id = task.directive_id) WHERE due_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table('directive', schema=None) as batch_op:
        batch_op.drop_column('undated')
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_column('due_base_at')
        batch_op.drop_column('due_base')
