"""``duban person invite`` (a Telegram binding code, or with ``--web`` a link to choose a web
password) and ``duban person set-password``."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from cli.commands_org import person_app
from cli.options import AdminOpt, JsonOpt
from cli.runtime import actor, console, done, emit_json, open_session

DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
"""Where the web console answers when ``DUBAN_PUBLIC_URL`` is not set (``duban web``'s default)."""


def public_url() -> str:
    """The console's address as people reach it, without a trailing slash."""
    from config.settings import get_settings

    return (get_settings().public_url or DEFAULT_PUBLIC_URL).rstrip("/")


@person_app.command("invite")
def person_invite(
    name: str,
    web: Annotated[bool, typer.Option(
        "--web", help="生成网页控制台邀请链接（本人打开后自行设置登录密码），而不是 Telegram 绑定码")] = False,
    as_: AdminOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """生成一次性 Telegram 绑定码；加 --web 则生成网页登录邀请链接（限期有效，只能使用一次；再次生成会作废旧的）。"""
    from engine.calendar.timefmt import iso_local, local_text
    from engine.org.directory import find_person
    from engine.store.policy import get_policy, zone_for

    with open_session() as session:
        person = find_person(session, name)
        who = actor(session, as_)
        now = who.clock()
        if web:
            from engine.org.accounts import create_web_invite, web_invite_expires_at

            token = create_web_invite(session=session, actor=who, person=person, now=now)
            expires = web_invite_expires_at(now)
        else:
            from engine.org.binding import create_invite, invite_expires_at

            token = create_invite(session=session, person=person, now=now, actor=who)
            expires = invite_expires_at(now)
        tz = zone_for(get_policy(session))
    until = f"有效至 {local_text(expires, tz)}，仅可使用一次"
    if web:
        link = f"{public_url()}/invite/{token}"
        if json_out:
            emit_json({"person": person.name, "link": link, "expires_at": iso_local(expires, tz)})
            return
        done(f"已为 {person.name} 生成网页登录邀请链接（{until}）：")
        console.print(link, soft_wrap=True, markup=False)
        console.print(f"请将链接单独发给 {person.name}：打开后设置自己的登录密码，再用姓名和密码登录。")
        return
    if json_out:
        emit_json({"person": person.name, "code": token, "expires_at": iso_local(expires, tz)})
        return
    done(f"已为 {person.name} 生成绑定码：[bold]{token}[/bold]（{until}）")
    console.print(f"请 {person.name} 在 Telegram 中向督办机器人发送：/bind {token}")


@person_app.command("set-password")
def person_set_password(
    name: str,
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="从标准输入读取密码（第一行）；不指定则在终端中隐藏输入两次")] = False,
    as_: AdminOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """设置人员的网页控制台登录密码（至少 10 个字符；该人员已登录的网页会话随之失效）。"""
    from engine.org.accounts import set_password
    from engine.org.directory import find_person

    password = _read_password(password_stdin)
    with open_session() as session:
        person = find_person(session, name)
        who = actor(session, as_)
        version = set_password(session=session, actor=who, person=person, password=password,
                               now=who.clock())
    if json_out:
        emit_json({"person": person.name, "session_version": version})
        return
    done(f"已设置 {person.name} 的网页登录密码；其此前登录的网页会话均已失效")


def _read_password(from_stdin: bool) -> str:
    """The new password: the first line of stdin, or typed twice, hidden, at a terminal. Never
    an argument: the command line is visible to every user of the server (``ps``)."""
    from engine.errors import InvalidInput

    if from_stdin:
        line = sys.stdin.readline(4096)
        password = line.removesuffix("\n").removesuffix("\r")
        if not password:
            raise InvalidInput("未从标准输入读到密码（--password-stdin 读取第一行）")
        return password
    if not sys.stdin.isatty():
        raise InvalidInput("请在终端中运行以输入密码，或用 --password-stdin 从标准输入提供密码")
    first = typer.prompt("新密码", hide_input=True)
    if typer.prompt("再次输入新密码", hide_input=True) != first:
        raise InvalidInput("两次输入的密码不一致，未作任何改动")
    return str(first)
