"""One router per area of the console; :data:`ROUTERS` is the order they are mounted in."""

from __future__ import annotations

from fastapi import APIRouter

from web.routes import auth, home, ledger

ROUTERS: list[APIRouter] = [
    auth.router,
    home.router,
    ledger.router,  # before the task pages: /tasks/export.xlsx is not a task code
]
