"""``--file PATH`` (repeatable): local files handed to the engine as uploads."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from engine.files.ingest import Upload

FileOpt = Annotated[list[Path] | None, typer.Option(
    "--file", help="附件：照片、PDF、Word、Excel 或文本文件，可重复（按内容识别类型）")]


@contextmanager
def uploads(paths: list[Path] | None) -> Iterator[list[Upload]]:
    """Each path opened for reading, as an :class:`Upload` under its own name and size; all
    closed afterwards. A path that is not a readable file is refused before anything runs."""
    from engine.errors import InvalidInput
    from engine.files.ingest import Upload

    with ExitStack() as stack:
        found = []
        for path in paths or []:
            if not path.is_file():
                raise InvalidInput(f"无法读取附件 {path}：文件不存在或不是普通文件")
            try:
                stream = stack.enter_context(path.open("rb"))
            except OSError as exc:
                raise InvalidInput(f"无法读取附件 {path}：{exc.strerror or exc}") from None
            found.append(Upload(name=path.name, stream=stream,
                                declared_size=os.fstat(stream.fileno()).st_size))
        yield found
