"""``duban init``, ``duban unit …`` and ``duban person …``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from cli.main import app
from cli.options import AdminOpt, JsonOpt
from cli.runtime import (
    actor,
    console,
    database_url,
    done,
    emit_json,
    engine_for,
    open_session,
    parse_moment,
)

unit_app = typer.Typer(help="单位管理", no_args_is_help=True)
person_app = typer.Typer(help="人员管理", no_args_is_help=True)
app.add_typer(unit_app, name="unit")
app.add_typer(person_app, name="person")



def _spec(model: Any, **values: Any) -> Any:
    """Build a pydantic spec from CLI values, turning validation errors into Chinese refusals."""
    from pydantic import ValidationError

    from config.orgfile import translate_validation_error

    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise translate_validation_error(exc, "命令行参数") from None


@app.command()
def init(
    config: Annotated[Path | None, typer.Option("--config", help="组织与规则配置文件（YAML）")] = None,
    simulation: Annotated[bool, typer.Option(
        "--simulation", help="标记为模拟数据库（演示、测试、培训）：只有模拟数据库接受 --now 指定时间；"
        "只能用于新建的空数据库")] = False,
    as_: AdminOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """创建或升级数据库结构；可同时载入组织与规则配置文件。"""
    from config.orgfile import load_org_file
    from engine.tasks.audit_key import ensure_key_file
    from engine.tasks.audit_seal import upgrade_and_seal

    org = load_org_file(config) if config is not None else None
    key_file = ensure_key_file()
    engine = engine_for(database_url(), create_dirs=True)
    try:
        revision = upgrade_and_seal(engine, now=parse_moment(None))
    finally:
        engine.dispose()
    counts: dict[str, Any] = {}
    with open_session() as session:
        who = actor(session, as_)
        if simulation:
            from engine.org.setup import mark_simulation

            mark_simulation(session=session, actor=who)
        if org is not None:
            from engine.org.setup import load_org

            counts = load_org(session=session, org=org, actor=who, now=_wall(who))
        from engine.store.mode import is_simulation

        simulated = is_simulation(session)
    if json_out:
        emit_json({"database": database_url(), "revision": revision, "simulation": simulated,
                   **counts, "audit_key_file": str(key_file) if key_file else None})
        return
    done(f"数据库已就绪（版本 {revision}{'，模拟数据库' if simulated else ''}）：{escape(database_url())}")
    if key_file is not None:
        done(escape(f"已生成审计密钥文件 {key_file}（仅属主可读写）：请妥善备份，"
                    "丢失后将无法校验审计记录"))
    if counts:
        done("已载入配置：新增单位 {units_added} 个、更新 {units_updated} 个，"
             "新增人员 {people_added} 人、更新 {people_updated} 人".format(**counts))
        changed = counts["policy_changed"]
        done("规则：已更新 " + "、".join(changed) + "；文件未提及的设置保持不变" if changed
             else "规则：文件未改动任何设置，原有规则保持不变")


@unit_app.command("add")
def unit_add(
    code: str, name: str,
    parent: Annotated[str | None, typer.Option("--parent", help="上级单位代码")] = None,
    kind: Annotated[str, typer.Option("--kind", help="department|district|town|company")] = "department",
    short: Annotated[list[str] | None, typer.Option("--short", help="简称，可重复")] = None,
    as_: AdminOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """登记一个单位。"""
    from config.orgfile import UnitSpec
    from engine.org.setup import add_unit

    spec = _spec(UnitSpec, code=code, name=name, parent=parent, kind=kind, short_names=short or [])
    with open_session() as session:
        who = actor(session, as_)
        unit = add_unit(session=session, spec=spec, actor=who, now=_wall(who))
        row = {"id": unit.id, "code": unit.code, "name": unit.name, "kind": unit.kind,
               "parent": parent, "short_names": unit.short_names}
    emit_json(row) if json_out else done(escape(f"已登记单位 {unit.code} {unit.name}"))


@unit_app.command("list")
def unit_list(json_out: JsonOpt = False) -> None:
    """列出全部单位。"""
    from sqlmodel import select

    from engine.values import UnitKind
    from models import Unit

    with open_session(read_only=True) as session:
        units = session.exec(select(Unit).order_by(Unit.code)).all()
        codes = {u.id: u.code for u in units}
        rows: list[dict[str, Any]] = [
            {"id": u.id, "code": u.code, "name": u.name, "kind": u.kind,
             "parent": codes.get(u.parent_id or 0), "short_names": u.short_names} for u in units]
    if json_out:
        emit_json(rows)
        return
    table = Table("代码", "名称", "类型", "上级", "简称", title=f"单位（{len(rows)}）")
    for r in rows:
        table.add_row(*(escape(cell) for cell in (
            r["code"], r["name"], _label(UnitKind, r["kind"]), r["parent"] or "",
            "、".join(r["short_names"]))))
    console.print(table)


@person_app.command("add")
def person_add(
    name: str,
    unit: Annotated[str | None, typer.Option("--unit", help="所属单位代码或名称")] = None,
    title: Annotated[str, typer.Option("--title", help="职务，如 副市长、局长")] = "",
    role: Annotated[list[str] | None, typer.Option("--role", help="admin|office|leader|unit_head|unit_contact，可重复")] = None,
    alias: Annotated[list[str] | None, typer.Option("--alias", help="别称，如 炳森书记，可重复")] = None,
    supervises: Annotated[list[str] | None, typer.Option("--supervises", help="分管单位代码，可重复")] = None,
    top: Annotated[bool, typer.Option("--top", help="主要领导（接收通报）")] = False,
    telegram_chat: Annotated[int | None, typer.Option("--telegram-chat", help="Telegram 会话 ID")] = None,
    email: Annotated[str | None, typer.Option("--email")] = None,
    allow_same_name: Annotated[bool, typer.Option(
        "--allow-same-name", help="已有同名人员时仍登记（此后须用 姓名@单位代码 指明）")] = False,
    as_: AdminOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """登记一名人员。"""
    from config.orgfile import PersonSpec
    from engine.org.setup import add_person

    spec = _spec(PersonSpec, name=name, unit=unit, title=title, roles=role or [],
                 aliases=alias or [], supervises=supervises or [], top_leader=top,
                 telegram_chat=telegram_chat, email=email)
    with open_session() as session:
        who = actor(session, as_)
        person = add_person(session=session, spec=spec, actor=who, now=_wall(who),
                            allow_same_name=allow_same_name)
        row = {"id": person.id, "name": person.name, "title": person.title, "unit": unit,
               "roles": person.roles, "aliases": person.aliases}
    emit_json(row) if json_out else done(escape(f"已登记人员 {person.name}（{person.title or '无职务'}）"))


@person_app.command("list")
def person_list(json_out: JsonOpt = False) -> None:
    """列出全部人员。"""
    from sqlmodel import col, select

    from engine.org.directory import person_mentions
    from engine.values import Role
    from models import Person, Unit, WebAccount

    with open_session(read_only=True) as session:
        units = {u.id: u.name for u in session.exec(select(Unit)).all()}
        people = session.exec(select(Person).order_by(col(Person.id))).all()
        with_password = set(session.exec(select(WebAccount.person_id)).all())
        rows: list[dict[str, Any]] = [
            {"id": p.id, "name": p.name, "title": p.title, "unit": units.get(p.unit_id or 0),
             "roles": p.roles, "aliases": sorted(person_mentions(p) - {p.name}),
             "telegram_bound": p.telegram_chat_id is not None, "email": p.email,
             "web_account": p.id in with_password}
            for p in people]
    if json_out:
        emit_json(rows)
        return
    table = Table("姓名", "职务", "单位", "角色", "称谓", "Telegram", "网页登录",
                  title=f"人员（{len(rows)}）")
    for r in rows:
        table.add_row(*(escape(cell) for cell in (
            r["name"], r["title"], r["unit"] or "", "、".join(_label(Role, x) for x in r["roles"]),
            "、".join(r["aliases"]), "已绑定" if r["telegram_bound"] else "",
            "已开通" if r["web_account"] else "")))
    console.print(table)


def _wall(who: Any) -> Any:
    """Organisation changes happen now: the wall clock the actor was made with."""
    return who.clock()


def _label(enum: Any, code: str) -> str:
    member = enum.parse(code)
    return member.label if member is not None else code
