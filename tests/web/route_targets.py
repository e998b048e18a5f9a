"""Things for the route × role table to act on: a fresh task in a given state (through the
engine's services, as the office and the lead unit would bring it there), an invite, a file.

Each call makes a new target, so that every role of the table meets the state its row was
written for, whatever the roles before it did.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from engine.tasks.actions import acknowledge, request_completion, verify_and_close
from engine.tasks.extensions import request_extension
from models import Task
from tests.factories import act, make_task
from tests.web.conftest import WebWorld

STATES = ("draft", "assigned", "acknowledged", "pending_review", "extension", "closed")


def task_in(world: WebWorld, state: str) -> tuple[Task, int | None]:
    """A new task led by FIRE with HOUSING cooperating (leader 李占明), brought to ``state``
    (``acknowledged``: by both units); with ``extension``, the id of its pending extension
    request."""
    assert state in STATES, state
    city, now = world.city, world.now
    with Session(world.engine, expire_on_commit=False) as session:
        task = make_task(session, city, assign=state != "draft", title=f"路由检查事项（{state}）")
        if state in ("draft", "assigned"):
            return task, None
        step = iter(range(1, 10))

        def moment() -> datetime:
            return now - timedelta(minutes=30 - next(step))

        unit = act(city.fire_contact)
        if state == "extension":
            found = request_extension(session=session, task=task.code, actor=unit,
                                      new_due="4月30日前", reason="需协调多个部门", now=moment())
            return task, found.id
        acknowledge(session=session, task=task.code, actor=unit, now=moment())
        acknowledge(session=session, task=task.code, actor=act(city.housing_contact),
                    now=moment())
        if state == "acknowledged":
            return task, None
        request_completion(session=session, task=task.code, actor=unit, evidence="已整改完毕",
                           now=moment())
        if state == "closed":
            verify_and_close(session=session, task=task.code, actor=act(city.office),
                             rating="合格", now=moment())
        return task, None


def task_with_file(world: WebWorld) -> tuple[Task, str]:
    """A task whose lead unit reported progress with a photo; the photo's SHA-256."""
    import hashlib
    import io

    from engine.files.ingest import Upload
    from engine.tasks.actions import report_progress
    from tests.support import samples

    task, _ = task_in(world, "acknowledged")
    photo = samples.jpeg(5000, seed=7)
    with Session(world.engine, expire_on_commit=False) as session:
        report_progress(session=session, task=task.code, actor=act(world.city.fire_contact),
                        text="现场照片", now=world.now - timedelta(minutes=5),
                        files=[Upload(name="现场.jpg", stream=io.BytesIO(photo))])
    return task, hashlib.sha256(photo).hexdigest()


def web_invite(world: WebWorld) -> str:
    """A fresh one-time web invite for the fire brigade's head (issued by the office)."""
    from engine.org.accounts import create_web_invite

    with Session(world.engine, expire_on_commit=False) as session:
        return create_web_invite(session=session, actor=act(world.city.office),
                                 person=world.city.fire_head, now=world.now)
