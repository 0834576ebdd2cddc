"""Retention's scrub: a phone or ID number, however it was written, leaves no digit of itself behind."""

from __future__ import annotations

import pytest

from handlers.anonymise import REMOVED
from handlers.anonymise import scrub_text
from tests.planted import ID_WRITINGS
from tests.planted import PHONE_WRITINGS


@pytest.mark.parametrize("writing", PHONE_WRITINGS + ID_WRITINGS)
def test_scrub_text_removes_every_digit_of_a_number_in_any_writing(writing: str) -> None:
    scrubbed = scrub_text(f"窗口态度差，我的号码{writing}，请核实")
    assert scrubbed == f"窗口态度差，我的号码{REMOVED}，请核实"
