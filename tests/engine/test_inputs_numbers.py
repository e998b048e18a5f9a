"""engine.inputs.whole_number and the lookups by number that use it: digits ``int`` refuses or
no 64-bit column holds are no id (not found), never a crash."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from engine.errors import NotFound
from engine.inputs import whole_number
from engine.org.directory import find_directive, find_task
from tests.factories import make_city, make_task


@pytest.mark.parametrize(("text", "number"), [
    ("42", 42), (" 7 ", 7), ("0", 0), (str(2**63 - 1), 2**63 - 1),
    ("²", None), ("①", None), ("٣", None), ("１２", None), ("-1", None), ("+1", None),
    ("1_000", None), ("", None), (str(2**63), None), ("9" * 5000, None),
])
def test_whole_number(text: str, number: int | None) -> None:
    assert whole_number(text) == number


@pytest.mark.parametrize("ref", ["²", "①", str(2**63), "9" * 30])
def test_odd_numbers_find_no_task_or_directive(session: Session, ref: str) -> None:
    city = make_city(session)
    make_task(session, city)
    with pytest.raises(NotFound):
        find_task(session, ref)
    with pytest.raises(NotFound):
        find_directive(session, ref)
