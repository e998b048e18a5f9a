"""The console on each test database: a small city, its people with passwords, and clients
logged in through the real login form.

``web`` gives a :class:`WebWorld`: ``web.client("office")`` is a TestClient logged in as the
office clerk (roles: office, secretary, vice_mayor, fire (unit contact of the lead unit),
fire_head, housing (a cooperating unit), emerg (a unit outside the task), anon); ``web.csrf(c)``
the token of that client's session; ``web.task`` an assigned task led by FIRE with HOUSING
cooperating.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from engine.org.accounts import set_password
from models import Person, Task
from tests.factories import City, at, make_city, make_task, operator
from web.app import create_app
from web.config import WebConfig

PASSWORD = "correct-horse-9"
NOW = at("2024-03-11", "10:00")
ROLES = ("office", "secretary", "vice_mayor", "fire", "fire_head", "housing", "emerg")
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class WebWorld:
    engine: Engine
    city: City
    task: Task
    app: object
    now: datetime
    clients: dict[str, TestClient] = field(default_factory=dict)

    def person(self, role: str) -> Person:
        return {"office": self.city.office, "secretary": self.city.secretary,
                "vice_mayor": self.city.vice_mayor, "fire": self.city.fire_contact,
                "fire_head": self.city.fire_head, "housing": self.city.housing_contact,
                "emerg": self.city.emerg_contact}[role]

    def client(self, role: str) -> TestClient:
        """A client logged in as ``role`` through POST /login (``anon``: not logged in)."""
        if role in self.clients:
            return self.clients[role]
        client = TestClient(self.app, base_url="http://testserver",  # type: ignore[arg-type]
                            raise_server_exceptions=False, follow_redirects=False)
        if role != "anon":
            token = self.csrf(client)
            answer = client.post("/login", data={"csrf_token": token, "name": self.person(role).name,
                                                 "password": PASSWORD, "next": "/"})
            assert answer.status_code == 303, answer.text
        self.clients[role] = client
        return client

    @staticmethod
    def csrf(client: TestClient) -> str:
        """The CSRF token of ``client``'s session (read from the login or any page's form)."""
        page = client.get("/login")
        found = _TOKEN.search(page.text)
        if found is None:
            page = client.get("/")
            found = _TOKEN.search(page.text)
        assert found is not None, "no csrf token on the page"
        return found.group(1)


def build_world(engine: Engine, now: datetime = NOW) -> WebWorld:
    with Session(engine, expire_on_commit=False) as session:
        city = make_city(session)
        task = make_task(session, city)
        for role in ROLES:
            person = getattr(city, {"fire": "fire_contact", "housing": "housing_contact",
                                    "emerg": "emerg_contact", "vice_mayor": "vice_mayor"}
                             .get(role, role))
            set_password(session=session, actor=operator(), person=person, password=PASSWORD,
                         now=now)
    config = WebConfig(database_url="unused://", secret_key="test-secret-" + "x" * 32,
                       clock=lambda: now)
    return WebWorld(engine=engine, city=city, task=task, app=create_app(config, engine=engine),
                    now=now)


@pytest.fixture
def web(engine: Engine) -> Iterator[WebWorld]:
    world = build_world(engine)
    yield world
    for client in world.clients.values():
        client.close()
