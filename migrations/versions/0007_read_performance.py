"""Reserved: read performance (summary and home page at scale, issue 12).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""
from typing import Sequence, Union

import sqlalchemy as sa  # noqa: F401
import sqlmodel  # noqa: F401
from alembic import op  # noqa: F401

import models.types  # noqa: F401

revision: str = '0007'
down_revision: Union[str, None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
