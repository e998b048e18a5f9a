"""What every command needs: the database session, ``now``, output in Chinese, and errors.

Imports of the engine happen inside functions so that ``duban --help`` stays fast.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

    from engine.org.actors import Actor
    from models import Person

# Piped output gets a width that keeps Chinese tables readable; a terminal keeps its own.


class _LazyConsole:
    """A rich ``Console`` built at first use: importing rich (~0.1 s) is not paid by ``--json``
    output, which never prints through it."""

    def __init__(self, **kwargs: Any) -> None:
        self._kwargs = kwargs
        self._console: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from notifiers.console import SafeConsole

            self._console = SafeConsole(**self._kwargs)
        return getattr(self._console, name)


console: Console = _LazyConsole(  # type: ignore[assignment]
    highlight=False, width=None if sys.stdout.isatty() else 120)
err_console: Console = _LazyConsole(  # type: ignore[assignment]
    stderr=True, highlight=False, width=None if sys.stderr.isatty() else 120)

_STATE: dict[str, Any] = {"db": None}


def set_database(url: str | None) -> None:
    _STATE["db"] = url


def database_url() -> str:
    if _STATE["db"]:
        return str(_STATE["db"])
    from config.settings import get_settings  # pydantic-settings: only when --db was not given

    return get_settings().database_url


def local_zone() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(_STATE.get("tz") or "Asia/Shanghai")


MIN_YEAR, MAX_YEAR = 1970, 2099
"""Years a typed date may fall in: working-day calendars and deadlines a decade ahead stay
computable (year 1 or 9999 would overflow them)."""


def parse_moment(value: str | None, *, what: str = "--now", end_of_day: bool = False) -> datetime:
    """Parse an ISO date or datetime typed by a user; naive values are local time.

    ``None`` means the real clock: the CLI is the one place allowed to read it.
    """
    from engine.errors import InvalidInput

    if value is None:
        return datetime.now(UTC)
    text = value.strip().replace("/", "-")
    try:
        if len(text) <= 10:
            day = date.fromisoformat(text)
            moment = datetime.combine(day, time(23, 59, 59) if end_of_day else time(9, 0))
        else:
            moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"{what} 的值“{value}”不是有效的日期或时间，应为 2024-03-04 或 2024-03-04T15:00"
        ) from None
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise InvalidInput(f"{what} 的值“{value}”超出支持的范围（{MIN_YEAR} 年至 {MAX_YEAR} 年）")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=local_zone())
    return moment.astimezone(UTC)


@contextmanager
def open_session(*, read_only: bool = False) -> Iterator[Session]:
    """A session on the configured database, which must have been initialised.

    ``read_only`` for commands that only show things (no SQLite write lock is taken).
    """
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from engine.errors import DubanError
    from engine.store.db import session_scope, sqlite_path
    from engine.store.policy import get_policy
    from engine.store.schema import SCHEMA_REVISION

    engine = engine_for(database_url())
    path = sqlite_path(database_url())
    if path is not None and not path.exists():
        raise DubanError(f"数据库文件 {path} 不存在，请先运行 duban init")
    if path is not None and path.is_dir():
        raise DubanError(f"{path} 是一个目录，不是数据库文件")
    if path is not None and not read_only and not sqlite_writable(path):
        raise DubanError(read_only_message(path))
    try:
        _check_reachable(engine)
        with session_scope(engine, read_only=read_only) as session:
            try:
                row = session.execute(text("SELECT version_num FROM alembic_version")).first()
            except DBAPIError:
                session.rollback()
                raise DubanError("数据库尚未初始化，请先运行 duban init") from None
            if row is None or row[0] != SCHEMA_REVISION:
                raise DubanError("数据库结构版本与程序不一致，请先运行 duban init 升级")
            _STATE["tz"] = get_policy(session).timezone
            yield session
    finally:
        engine.dispose()


def engine_for(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; a malformed address or an unknown driver is a refusal, not a crash."""
    from sqlalchemy.exc import ArgumentError

    from engine.errors import InvalidInput
    from engine.store.db import make_engine

    try:
        return make_engine(url, **kwargs)
    except (ArgumentError, ValueError):
        raise InvalidInput("数据库地址无效，应如 sqlite:///duban.db 或 postgresql://主机:5432/库名"
                           "（请检查 --db 或 DUBAN_DATABASE_URL）") from None


def sqlite_writable(path: Any) -> bool:
    """Whether this process may write the SQLite file and its folder (WAL keeps files beside
    it). Root may write anyway: the database's own refusal is translated too (:func:`database_problem`)."""
    import os

    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def read_only_message(path: Any = None) -> str:
    where = f"数据库文件 {path} " if path is not None else "数据库"
    return f"{where}是只读的（没有写权限），不能执行会修改数据的命令；未作任何改动"


def database_problem(exc: BaseException) -> str | None:
    """A Chinese sentence for a database error a user can fix (``None`` for anything else)."""
    from sqlalchemy.exc import DatabaseError

    from engine.store.db import sqlite_path

    if not isinstance(exc, DatabaseError):
        return None
    text = str(getattr(exc, "orig", exc)).lower()
    if "readonly database" in text or "read-only" in text:
        return read_only_message(sqlite_path(database_url()))
    if "not a database" in text or "malformed" in text or "file is encrypted" in text:
        return (f"数据库文件 {sqlite_path(database_url())} 已损坏或不是 duban 数据库"
                "（请检查 --db 或 DUBAN_DATABASE_URL）")
    if "unable to open" in text:
        return f"无法打开数据库文件 {sqlite_path(database_url())}（请检查路径与权限）"
    return None


def _check_reachable(engine: Engine) -> None:
    # Connect once first: an unreachable server must not be reported as "not initialised", and
    # a file that is not a database must be said to be one.
    from sqlalchemy.exc import DatabaseError, OperationalError

    from engine.errors import DubanError

    try:
        with engine.connect():
            pass
    except DatabaseError as exc:
        problem = database_problem(exc)
        if problem is not None:
            raise DubanError(problem) from None
        if isinstance(exc, OperationalError):
            raise DubanError("无法连接数据库，请检查 --db 或 DUBAN_DATABASE_URL") from None
        raise


def os_user() -> str:
    """Who runs this command on the server (the operator when no ``--as`` is given)."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no such user in the password database (a bare container)
        return "unknown"


def actor(session: Session, ref: str | None) -> Actor:
    """The acting party of this command: the person named by ``--as`` (name or alias), or the
    server's operator, recorded as ``系统操作员(USER)`` — the CLI is the operator's tool."""
    from engine.org.actors import Actor
    from engine.values import Channel

    wall_clock = datetime.now(UTC)
    if ref is None:
        return Actor.cli_operator(os_user(), wall_clock=wall_clock)
    from engine.org.directory import find_person

    return Actor.of(find_person(session, ref), Channel.CLI, wall_clock=wall_clock)


def moment(session: Session, value: str | None, *, writes: bool) -> datetime:
    """``--now`` for this command: the real clock when not given. A moved clock is accepted on a
    simulation database, and on any database by a command that only reads; a command that
    changes data on a production database refuses it."""
    when = parse_moment(value)
    if value is None or not writes:
        return when
    from engine.errors import PolicyViolation
    from engine.store.mode import is_simulation

    if not is_simulation(session):
        raise PolicyViolation("本数据库不是模拟数据库：改动数据的命令不能使用 --now 指定时间"
                              "（演练、培训请用 duban init --simulation 建立模拟数据库）")
    return when


def person_for(session: Session, ref: str | None) -> Person | None:
    """A person named in an option (``--by`` …), or ``None`` when not given."""
    if ref is None:
        return None
    from engine.org.directory import find_person

    return find_person(session, ref)


def _finite(data: Any) -> Any:
    """``data`` with non-finite floats as ``null``: an older row may hold ``inf`` or ``nan``,
    which JSON cannot (Python would print the invalid ``Infinity``)."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {k: _finite(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_finite(v) for v in data]
    return data


def emit_json(data: Any) -> None:
    """Valid JSON on stdout (never ``NaN``/``Infinity``), Chinese kept as is."""
    sys.stdout.write(json.dumps(_finite(data), ensure_ascii=False, indent=2, default=str,
                                allow_nan=False) + "\n")


def done(message: str) -> None:
    console.print(f"[green]✓[/green] {message}")
