"""One router per area of the console; :data:`ROUTERS` is the order they are mounted in."""

from __future__ import annotations

from fastapi import APIRouter

from web.routes import account, auth, home, ledger, tasks

ROUTERS: list[APIRouter] = [
    auth.router,
    account.router,
    home.router,
    ledger.router,  # before the task pages: /tasks/export.xlsx is not a task code
    tasks.router,
]
