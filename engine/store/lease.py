"""Exclusive claims in the database.

Leases: one holder at a time, taken over only when the holder is gone (its heartbeat expired, or
it was a process on this host that no longer exists). Fire keys: one row per scheduled moment
of a job, so that two schedulers (or a retried flow) never run the same moment twice.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from engine.errors import AlreadyRunning
from models import JobFire, Lease

LEASE_TTL = timedelta(seconds=60)
"""A holder that has not renewed its lease for this long is considered gone."""


def this_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def process_gone(holder: str) -> bool:
    """Whether ``holder`` ("host:pid") is a process of this host that no longer runs: it does
    not exist, or it is a zombie (exited, not yet reaped by its parent — it holds nothing)."""
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return _is_zombie(int(pid))


def _is_zombie(pid: int) -> bool:
    """Linux: state ``Z`` in /proc/<pid>/stat. Elsewhere (no /proc) a live pid counts as alive."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            # "pid (comm) state …": comm may hold spaces or parentheses, so split after the last ")".
            return stat.read().rpartition(")")[2].split()[0] == "Z"
    except FileNotFoundError:  # exited and reaped since the signal check
        return True
    except (OSError, IndexError):
        return False


def holder_gone(holder: str, heartbeat_at: datetime, now: datetime) -> bool:
    """Expired heartbeat, or a dead process on this host."""
    return now - heartbeat_at > LEASE_TTL or process_gone(holder)


def acquire(session: Session, *, name: str, holder: str, now: datetime, what: str) -> None:
    """Take lease ``name`` or raise :class:`AlreadyRunning` naming the current holder."""
    lease = session.get(Lease, name, with_for_update=True)
    if lease is not None and lease.holder != holder and not holder_gone(
        lease.holder, lease.heartbeat_at, now
    ):
        session.rollback()
        raise AlreadyRunning(f"{what} 已在运行（{lease.holder}），同一数据库只能有一个")
    if lease is None:
        lease = Lease(name=name, holder=holder, heartbeat_at=now)
    lease.holder, lease.heartbeat_at = holder, now
    session.add(lease)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise AlreadyRunning(f"{what} 已在运行，同一数据库只能有一个") from None


def renew(session: Session, *, name: str, holder: str, now: datetime) -> bool:
    """Refresh the heartbeat; ``False`` if the lease was taken over by someone else."""
    lease = session.get(Lease, name, with_for_update=True)
    if lease is None or lease.holder != holder:
        session.rollback()
        return False
    lease.heartbeat_at = now
    session.add(lease)
    session.commit()
    return True


def release(session: Session, *, name: str, holder: str) -> None:
    lease = session.get(Lease, name)
    if lease is not None and lease.holder == holder:
        session.delete(lease)
        session.commit()


def claim_fire(session: Session, *, key: str, now: datetime) -> bool:
    """Insert the fire key; ``False`` if this moment's job already ran (any scheduler)."""
    session.add(JobFire(key=key, fired_at=now, holder=this_holder()))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


def release_fire(session: Session, *, key: str) -> None:
    """Forget a fire key whose job failed, so that the moment can be run again."""
    fire = session.get(JobFire, key)
    if fire is not None:
        session.delete(fire)
        session.commit()
