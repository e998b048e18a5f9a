"""The leanest 台账 page this stack can serve: a lower bound for the ledger target.

The issue asks for "a 台账 page within 2× its bare keyset query". This module builds the page
that does the least any real page must do, so the target can be judged against what is possible
at all, not only against the console:

- Starlette (no FastAPI dependency injection) with the console's signed session cookie;
- one check that the cookie's person and session version are still valid;
- exactly the floor's SQL (:func:`bench.web.floor_ledger`: the keyset query, co-units, names) on
  one connection kept open, run on the event loop (no worker-thread hop);
- the same fifty rows written into an autoescaped Jinja table — ten cells each, no form, no menu,
  no lights or permissions.

It is a measuring instrument, not a console: it skips everything the engine guarantees (scope by
role, filters, lights as of ``now``, the leaders of each unit) and so is what a hand-written page
with no engine would cost.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from bench.common import kind_of, raw_connect

PATH = "/bound"

_ROWS = Environment(autoescape=True).from_string(
    """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>督办台账</title></head>
<body><table class="ledger"><tbody>
{% for r in rows %}<tr><td><input type="checkbox" name="code" value="{{ r[1] }}"></td>
<td><a href="/tasks/{{ r[1] | urlencode }}">{{ r[1] }}</a></td><td>{{ r[2] }}</td>
<td>{{ units.get(r[3], "") }}</td><td>{{ co.get(r[0], []) | join("、") or "—" }}</td>
<td>{{ people.get(r[4], "—") }}</td><td>{{ r[5] }}</td>
<td><span class="status status-{{ r[6] }}">{{ r[6] }}</span></td><td>{{ r[7] }}</td>
<td>{{ r[8] }}</td></tr>
{% endfor %}</tbody></table></body></html>""")


def bound_app(url: str, secret: str) -> Starlette:
    """The lower-bound page at :data:`PATH` on ``url``, reading the console's session cookie
    (signed with ``secret``)."""
    kind = kind_of(url)
    conn = raw_connect(url, any_thread=True)

    def q(sql: str) -> str:
        return sql if kind == "sqlite" else sql.replace("?", "%s")

    def marks(values: list[Any]) -> str:
        return ", ".join("?" for _ in values)

    async def page(request: Request) -> HTMLResponse:
        valid = conn.execute(q(
            "SELECT person.id FROM person JOIN web_account ON web_account.person_id = person.id "
            "WHERE person.id = ? AND web_account.session_version = ? AND person.active"),
            (request.session.get("pid"), request.session.get("ver"))).fetchone()
        if valid is None:
            return HTMLResponse("", status_code=403)
        rows = conn.execute(q(
            "SELECT id, code, title, lead_unit_id, owner_id, due_at, status, escalation_level, "
            "extension_count FROM task WHERE due_at IS NOT NULL ORDER BY due_at, id LIMIT ?"),
            (51,)).fetchall()
        ids = [r[0] for r in rows]
        co: dict[int, list[str]] = {}
        for task_id, name in conn.execute(q(
                "SELECT task_unit.task_id, unit.name FROM task_unit JOIN unit "
                f"ON unit.id = task_unit.unit_id WHERE task_id IN ({marks(ids)}) "
                "AND role = 'co'"), ids).fetchall():
            co.setdefault(task_id, []).append(name)
        units = dict(conn.execute("SELECT id, name FROM unit").fetchall())
        owners = [r[4] for r in rows if r[4] is not None]
        people = dict(conn.execute(q(f"SELECT id, name FROM person WHERE id IN ({marks(owners)})"),
                                   owners).fetchall()) if owners else {}
        if kind != "sqlite":
            conn.rollback()
        return HTMLResponse(_ROWS.render(rows=rows[:50], units=units, co=co, people=people))

    app = Starlette(routes=[Route(PATH, page)], middleware=[
        Middleware(SessionMiddleware, secret_key=secret, session_cookie="duban_session")])
    app.state.connection = conn
    return app
