"""Help screens are Chinese: Typer's fixed English words are replaced at start-up."""

from __future__ import annotations

import pytest

from cli.main import run


@pytest.mark.parametrize("argv", [["--help"], ["task", "add", "--help"], ["outbox", "--help"]])
def test_help_pages_have_chinese_headings(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert run(argv) == 0
    out = capsys.readouterr().out
    assert "用法：" in out and "选项" in out and "显示帮助并退出。" in out
    for english in ("Usage:", "Options", "Commands", "Show this message", "required"):
        assert english not in out
