"""One router per area of the console; :data:`ROUTERS` is the order they are mounted in."""

from __future__ import annotations

from fastapi import APIRouter

from web.routes import auth, bulletin, home, org, outbox, summary

ROUTERS: list[APIRouter] = [
    auth.router,
    home.router,
    summary.router,
    bulletin.router,
    org.router,
    outbox.router,
]
