"""The base of every model: SQLModel with pydantic's schema built on first use, not at import.

Table rows are created without validation, so most processes (a ``duban task list``, a worker's
pass) never need the validation schema of most models; building all of them at import cost
~20 ms of every command's start-up.
"""

from __future__ import annotations

from pydantic import ConfigDict
from sqlmodel import SQLModel


class Model(SQLModel):
    model_config = ConfigDict(defer_build=True)  # type: ignore[assignment]
