"""The intake command's item numbers (--skip/--only 3,5 or 2-4; --due 3=时限): ASCII digits or a
Chinese refusal — "²".isdigit() holds but int("²") raises."""

from __future__ import annotations

import pytest

from cli.commands_intake import parse_due, parse_numbers
from engine.errors import InvalidInput


def test_numbers_and_ranges_are_read() -> None:
    assert parse_numbers(["3,5", "7-9"], "--skip") == {3, 5, 7, 8, 9}
    assert parse_due(["3=3月31日前"]) == {3: "3月31日前"}


@pytest.mark.parametrize("value", ["²", "1-²", "①", "٣", "-1", "1-99999"])
def test_odd_item_numbers_are_refused_in_chinese(value: str) -> None:
    with pytest.raises(InvalidInput, match="序号"):
        parse_numbers([value], "--skip")
    if "-" not in value:
        with pytest.raises(InvalidInput, match="序号"):
            parse_due([f"{value}=3月31日前"])
