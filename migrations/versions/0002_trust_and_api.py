"""Trust model and engine API (issues 10 §1, 11).

- ``audit_event``: the real wall-clock time of each write (``recorded_at``; ``at`` stays the
  moment of the change, simulated on a simulation database), the channel it came through, the
  web client's address, and the unit the office acted for. Events written before this revision
  keep their columns empty and their original hash (``engine.tasks.audit`` verifies both forms).
- ``task_unit`` / ``progress_report``: whether the office recorded a unit's acknowledgement or
  feedback on its behalf (代签收 / 代反馈 / 代申请办结), and who gave the last feedback.
- ``task``: an index on (due_at, id), the ledger's keyset order; the partial index of recurring
  tasks gains the deadline (the pass asks which are due, and the earliest).

The simulation mark itself is a row of ``setting`` (no schema change).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

import models.types

revision: str = '0002'
down_revision: Union[str, None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_RECURRING = sa.text('recurrence_text IS NOT NULL')


def upgrade() -> None:
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recorded_at', models.types.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('channel', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('client', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('on_behalf_unit_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_audit_event_on_behalf_unit_id_unit', 'unit',
                                    ['on_behalf_unit_id'], ['id'])

    with op.batch_alter_table('task_unit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('acknowledged_on_behalf', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('last_feedback_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('last_feedback_on_behalf', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.create_foreign_key('fk_task_unit_last_feedback_by_id_person', 'person',
                                    ['last_feedback_by_id'], ['id'])

    with op.batch_alter_table('progress_report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('on_behalf', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))

    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.create_index('ix_task_due_id', ['due_at', 'id'], unique=False)
        batch_op.drop_index('ix_task_recurring', sqlite_where=_RECURRING,
                            postgresql_where=_RECURRING)
        batch_op.create_index('ix_task_recurring', ['successor_created', 'due_at', 'id'],
                              unique=False, sqlite_where=_RECURRING, postgresql_where=_RECURRING)


def downgrade() -> None:
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index('ix_task_recurring', sqlite_where=_RECURRING,
                            postgresql_where=_RECURRING)
        batch_op.create_index('ix_task_recurring', ['successor_created', 'id'], unique=False,
                              sqlite_where=_RECURRING, postgresql_where=_RECURRING)
        batch_op.drop_index('ix_task_due_id')

    with op.batch_alter_table('progress_report', schema=None) as batch_op:
        batch_op.drop_column('on_behalf')

    with op.batch_alter_table('task_unit', schema=None) as batch_op:
        batch_op.drop_constraint('fk_task_unit_last_feedback_by_id_person', type_='foreignkey')
        batch_op.drop_column('last_feedback_on_behalf')
        batch_op.drop_column('last_feedback_by_id')
        batch_op.drop_column('acknowledged_on_behalf')

    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_constraint('fk_audit_event_on_behalf_unit_id_unit', type_='foreignkey')
        batch_op.drop_column('on_behalf_unit_id')
        batch_op.drop_column('client')
        batch_op.drop_column('channel')
        batch_op.drop_column('recorded_at')
