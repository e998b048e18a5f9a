"""``duban file get``: an evidence file written out, for those allowed to read it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from cli.main import app, escape
from cli.options import JsonOpt, ReaderOpt
from cli.runtime import actor, done, emit_json, open_session

file_app = typer.Typer(help="证明材料与附件文件", no_args_is_help=True)
app.add_typer(file_app, name="file")


@file_app.command("get")
def file_get(
    sha256: Annotated[str, typer.Argument(help="文件的 SHA-256（或至少前 8 位），见 duban task show")],
    out: Annotated[str, typer.Option("--out", help="保存到的文件或目录；- 表示标准输出")],
    as_: ReaderOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """导出一个证明材料文件（按 --as 人员的可见范围：督查室、事项承办单位、分管领导；导出时校验哈希）。"""
    from engine.files.access import export_file
    from engine.files.ingest import megabytes

    to_stdout = out == "-"
    with open_session(read_only=True) as session:
        meta, path = export_file(session, ref=sha256, actor=actor(session, as_),
                                 out=sys.stdout.buffer if to_stdout else Path(out))
    if to_stdout:
        sys.stdout.flush()
        return
    row = {"sha256": meta.sha256, "name": meta.name, "size": meta.size, "mime": meta.mime,
           "path": str(path)}
    if json_out:
        emit_json(row)
    else:
        done(escape(f"已导出 {meta.name}（{megabytes(meta.size)}，哈希校验一致）→ {path}"))
