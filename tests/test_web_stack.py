"""The pinned web stack (pyproject.toml) works as one set: what Prefect 3.8.8's server needs
from FastAPI, and what duban's web console uses (Starlette's SessionMiddleware with
itsdangerous, Jinja2 templates, the test client over httpx)."""

from __future__ import annotations

import warnings
from pathlib import Path

from fastapi import Body, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from starlette.middleware.sessions import SessionMiddleware


def _client(app: FastAPI):  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        # Starlette 1.x prefers the httpx2 package for its test client and warns about httpx.
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

        return TestClient(app)


def test_fastapi_accepts_what_the_prefect_server_declares_and_its_cli_sends() -> None:
    # Prefect's routes declare `limit: int = Body(None)` and its CLI sends an explicit null
    # (FastAPI 0.151+ answers 422); they also declare Body(min_items=...) (gone in 0.155).
    app = FastAPI()

    @app.post("/filter")
    def filter_rows(limit: int = Body(None),  # type: ignore[assignment]
                    names: list[str] = Body(None, min_items=1)) -> dict:  # type: ignore[type-arg]  # noqa: B008
        return {"limit": limit, "names": names}

    reply = _client(app).post("/filter", json={"limit": None, "names": ["a"]})
    assert reply.status_code == 200 and reply.json() == {"limit": None, "names": ["a"]}


def test_session_middleware_and_templates_work_with_the_pinned_starlette(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text("<p>{{ greeting }}，{{ name }}</p>", encoding="utf-8")
    templates = Jinja2Templates(directory=str(tmp_path))
    app = FastAPI()
    app.add_middleware(SessionMiddleware, secret_key="test-secret", https_only=False)

    @app.post("/login/{name}")
    def login(name: str, request: Request) -> dict:  # type: ignore[type-arg]
        request.session["name"] = name
        return {"ok": True}

    @app.get("/", response_class=HTMLResponse)
    def page(request: Request) -> HTMLResponse:
        return templates.TemplateResponse(request, "page.html", {
            "greeting": "您好", "name": request.session.get("name", "访客")})

    client = _client(app)
    assert client.get("/").text == "<p>您好，访客</p>"
    assert client.post("/login/赵督查").status_code == 200
    assert "session" in client.cookies
    assert client.get("/").text == "<p>您好，赵督查</p>"
    client.cookies.set("session", "forged.value.here")
    assert client.get("/").text == "<p>您好，访客</p>"  # a bad signature is no session
