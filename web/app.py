"""The console's FastAPI application.

``create_app(config)`` builds one app per database; ``duban web`` serves it with uvicorn
(``app_from_env`` is the uvicorn factory for several workers).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine
from starlette.middleware.sessions import SessionMiddleware

from engine.store.db import make_engine
from web import errors
from web.config import SESSION_MAX_AGE, WebConfig, from_env
from web.routes import ROUTERS
from web.security import BodyLimit, SecurityHeaders, csrf_guard
from web.templating import build_environment

STATIC = Path(__file__).parent / "static"


def create_app(config: WebConfig, *, engine: Engine | None = None) -> FastAPI:
    """The console for ``config.database_url`` (its schema must be current: ``duban init``),
    or on ``engine`` when one is given (tests share theirs)."""
    app = FastAPI(title="duban 督办", docs_url=None, redoc_url=None, openapi_url=None,
                  dependencies=[Depends(csrf_guard)])
    app.state.config = config
    app.state.engine = engine if engine is not None else make_engine(config.database_url)
    app.state.templates = build_environment()
    app.add_middleware(SessionMiddleware, secret_key=config.secret_key,
                       session_cookie="duban_session", max_age=SESSION_MAX_AGE,
                       same_site="lax", https_only=config.secure_cookies)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodyLimit, limit=config.max_upload_bytes)
    errors.install(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in ROUTERS:
        app.include_router(router)
    return app


def app_from_env() -> FastAPI:
    """uvicorn factory: ``uvicorn --factory web.app:app_from_env``."""
    return create_app(from_env())
