"""The console's protections: headers, CSRF, sessions, errors as Chinese pages."""

from __future__ import annotations

from sqlmodel import Session, select

from models import AuditEvent
from tests.web.conftest import PASSWORD, WebWorld


def test_every_page_carries_the_security_headers(web: WebWorld) -> None:
    for path in ("/login", "/", "/no-such-page", "/static/css/duban.css"):
        answer = web.client("anon").get(path)
        assert answer.headers["content-security-policy"].startswith("default-src 'self'")
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["referrer-policy"] == "same-origin"


def test_an_anonymous_visitor_is_sent_to_the_login_page(web: WebWorld) -> None:
    answer = web.client("anon").get("/?light=red")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/%3Flight%3Dred"
    htmx = web.client("anon").get("/", headers={"HX-Request": "true"})
    assert htmx.status_code == 401 and htmx.headers["HX-Redirect"].startswith("/login")


def test_unknown_address_is_a_chinese_404_page(web: WebWorld) -> None:
    answer = web.client("office").get("/no-such-page")
    assert answer.status_code == 404
    assert "没有找到" in answer.text and "Traceback" not in answer.text


def test_a_post_without_or_with_a_wrong_csrf_token_is_refused_and_changes_nothing(
        web: WebWorld) -> None:
    client = web.client("anon")
    with Session(web.engine) as session:
        before = len(session.exec(select(AuditEvent.id)).all())
    for data in ({"name": web.city.office.name, "password": PASSWORD},
                 {"name": web.city.office.name, "password": PASSWORD, "csrf_token": "forged"}):
        answer = client.post("/login", data=data)
        assert answer.status_code == 403
        assert "安全令牌" in answer.text
    assert "duban_session" not in {c.name for c in client.cookies.jar if c.value and "pid" in c.value}
    assert client.get("/").status_code == 303  # still logged out
    with Session(web.engine) as session:
        assert len(session.exec(select(AuditEvent.id)).all()) == before


def test_a_tampered_session_cookie_counts_as_logged_out(web: WebWorld) -> None:
    client = web.client("office")
    assert client.get("/").status_code == 200
    cookie = client.cookies.get("duban_session")
    assert cookie
    client.cookies.set("duban_session", cookie[:-3] + ("AAA" if not cookie.endswith("AAA") else "BBB"))
    assert client.get("/").status_code == 303


def test_a_crash_shows_a_chinese_page_without_traceback(web: WebWorld) -> None:
    from fastapi import APIRouter

    router = APIRouter()

    @router.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    web.app.include_router(router)  # type: ignore[attr-defined]
    answer = web.client("office").get("/boom")
    assert answer.status_code == 500
    assert "系统出现错误" in answer.text
    assert "secret internals" not in answer.text and "Traceback" not in answer.text


def test_control_characters_in_the_address_are_a_chinese_400(web: WebWorld) -> None:
    client = web.client("office")
    for path in ("/tasks/%00", "/tasks/DB%1b[31m", "/tasks?text=a%00b", "/tasks?%00=1",
                 "/tasks/%E2%80%AEabc"):
        answer = client.get(path)
        assert answer.status_code == 400, path
        assert "控制字符" in answer.text


def _session_cookie_flags(public_url: str | None) -> set[str]:
    """The attributes of the session cookie the login page sets, lower-cased."""
    from fastapi.testclient import TestClient

    from web.app import create_app
    from web.config import WebConfig

    config = WebConfig(database_url="sqlite://", secret_key="cookie-test-" + "c" * 32,
                       public_url=public_url)
    app = create_app(config)
    try:
        with TestClient(app, base_url="https://testserver") as client:
            header = client.get("/login").headers["set-cookie"]
    finally:
        app.state.engine.dispose()
    name, *attributes = [part.strip() for part in header.split(";")]
    assert name.startswith("duban_session=")
    return {attribute.lower() for attribute in attributes}


def test_the_session_cookie_is_httponly_lax_and_secure_behind_https() -> None:
    plain = _session_cookie_flags(None)
    assert {"httponly", "samesite=lax"} <= plain and "secure" not in plain
    assert "secure" not in _session_cookie_flags("http://10.0.0.5:8000")
    assert {"httponly", "samesite=lax", "secure"} <= _session_cookie_flags(
        "HTTPS://duban.example.gov.cn/")


def test_no_template_has_inline_script_or_style() -> None:
    """The policy is ``default-src 'self'`` without 'unsafe-inline': an inline script, event
    handler or style would be blocked in the browser (silently: the page just stops working).
    Every script is a file under /static, every style in the stylesheet."""
    import re
    from pathlib import Path

    import web

    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\son[a-z]+\s*=|\sstyle\s*=|"
                        r"javascript:", re.I)
    templates = sorted((Path(web.__file__).parent / "templates").rglob("*.html"))
    assert templates
    found = [f"{path.name}: {match.group(0)}" for path in templates
             for match in inline.finditer(path.read_text(encoding="utf-8"))]
    assert not found, found


def test_titles_from_documents_are_escaped_on_every_page_that_shows_them(web: WebWorld) -> None:
    """A title is whatever a document or a clerk typed: every page shows it as text."""
    from tests.factories import make_task

    title = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    with Session(web.engine, expire_on_commit=False) as session:
        code = make_task(session, web.city, title=title, due="3月12日前", co=[]).code
    for path in (f"/tasks/{code}", f"/tasks?q={code}", "/", "/summary",
                 f"/directives/{web.city.directive.id}"):
        page = web.client("office").get(path)
        assert page.status_code == 200, path
        assert "&lt;script&gt;" in page.text, path
        assert "<script>alert" not in page.text and "<img src=x" not in page.text, path
