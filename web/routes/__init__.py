"""One router per area of the console; :data:`ROUTERS` is the order they are mounted in."""

from __future__ import annotations

from fastapi import APIRouter

from web.routes import account, auth, home, intake, sources, tasks

ROUTERS: list[APIRouter] = [
    auth.router,
    account.router,
    home.router,
    tasks.router,
    sources.router,
    intake.router,
]
