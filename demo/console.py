"""``duban demo --serve``: the demo city in the web console, with four demo accounts."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlmodel import Session

from engine.org.directory import find_person
from engine.store.db import make_engine

DEMO_ACCOUNTS: list[tuple[str, str]] = [
    ("赵敏", "督查室"),
    ("李占明", "分管领导"),
    ("吴晓东", "责任单位：市消防救援支队"),
    ("褚晶", "责任单位：市住房和城乡建设局"),
]


@dataclass(frozen=True)
class DemoAccount:
    name: str
    role: str
    password: str


def set_demo_passwords(database: Path, *, now: datetime) -> list[DemoAccount]:
    """Give each demo account a fresh random password (printed once, never stored in clear)."""
    from demo.run import operator
    from engine.org.accounts import set_password

    engine = make_engine(f"sqlite:///{database}")
    accounts = []
    try:
        with Session(engine) as session:
            for name, role in DEMO_ACCOUNTS:
                password = "demo-" + secrets.token_urlsafe(9)
                set_password(session=session, actor=operator(), person=find_person(session, name),
                             password=password, now=now)
                accounts.append(DemoAccount(name, role, password))
    finally:
        engine.dispose()
    return accounts
