"""Read performance: maintained task tallies (kept by triggers) and two covering indexes, for
the home page and the 15:00 summary at scale (issue 12).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

import models.types  # noqa: F401

revision: str = '0007'
down_revision: Union[str, None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    from engine.store.tally import install, offset_for_stored_policy

    op.create_table(
        'task_tally',
        sa.Column('measure', sa.String(length=8), nullable=False),
        sa.Column('day', sa.String(length=16), nullable=False),
        sa.Column('lead_unit_id', sa.Integer(), nullable=False),
        sa.Column('escalated', sa.Integer(), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('measure', 'day', 'lead_unit_id', 'escalated'),
    )
    op.create_table(
        'task_tally_delta',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('measure', sa.String(length=8), nullable=False),
        sa.Column('day', sa.String(length=16), nullable=False),
        sa.Column('lead_unit_id', sa.Integer(), nullable=False),
        sa.Column('escalated', sa.Integer(), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_task_tally_delta_key', 'task_tally_delta', ['measure', 'day'])
    op.create_table(
        'task_tally_meta',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('offset_minutes', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    # Plain CREATE INDEX (no batch): a batch would rebuild ``task`` on SQLite.
    op.create_index('ix_task_lit_window', 'task',
                    ['status', 'due_at', 'lead_unit_id', 'escalation_level'])
    op.create_index('ix_task_status_progress', 'task',
                    ['status', 'last_progress_at', 'assigned_at', 'id'])
    op.drop_index('ix_task_status_due', table_name='task')
    op.create_index('ix_task_status_due', 'task', ['status', 'due_at', 'id'])
    connection = op.get_bind()
    install(connection, offset_minutes=offset_for_stored_policy(connection))


def downgrade() -> None:
    from models.tally import drop_trigger_ddl

    connection = op.get_bind()
    for statement in drop_trigger_ddl(connection.dialect.name):
        connection.exec_driver_sql(statement)
    if connection.dialect.name != 'sqlite':
        connection.exec_driver_sql('DROP FUNCTION IF EXISTS task_tally_track()')
    op.drop_index('ix_task_status_due', table_name='task')
    op.create_index('ix_task_status_due', 'task', ['status', 'due_at'])
    op.drop_index('ix_task_status_progress', table_name='task')
    op.drop_index('ix_task_lit_window', table_name='task')
    op.drop_table('task_tally_meta')
    op.drop_index('ix_task_tally_delta_key', table_name='task_tally_delta')
    op.drop_table('task_tally_delta')
    op.drop_table('task_tally')
