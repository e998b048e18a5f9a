"""Options shared by the commands: who acts (``--as``), when (``--now``), and ``--json``."""

from __future__ import annotations

from typing import Annotated

import typer

JsonOpt = Annotated[bool, typer.Option("--json", help="输出 JSON")]
AsOpt = Annotated[str, typer.Option("--as", help="操作人姓名或称谓")]
OperatorOpt = Annotated[str | None, typer.Option(
    "--as", help="操作人姓名或称谓（不指定：本机系统操作员，按督查室权限，审计记为 系统操作员(用户名)）")]
AdminOpt = Annotated[str | None, typer.Option(
    "--as", help="操作人（须为管理员或督查室人员）；不指定则记为本机系统操作员(用户名)")]
ReaderOpt = Annotated[str | None, typer.Option(
    "--as", help="以该人员的身份查看（只显示其有权查看的内容）；不指定：本机系统操作员，可查看全部")]
NowOpt = Annotated[str | None, typer.Option(
    "--now", help="当前时间（ISO）；改动数据的命令只能在模拟数据库（init --simulation）上使用")]
