"""Mobile and ID numbers: validation and the masked forms shown instead of the digits."""

from __future__ import annotations

import pytest

from handlers.masking import find_mobile
from handlers.masking import is_mobile
from handlers.masking import mask_id_number
from handlers.masking import mask_phone
from handlers.masking import mask_text
from handlers.masking import normalize_phone


def test_mask_phone_keeps_the_first_three_and_last_four_digits() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("+86 138-1234-5678") == "138****5678"
    assert mask_phone("123") == "****"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+8613812345678", "13812345678"),
        ("008613812345678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),  # full-width, as some keyboards type
        ("19912345678", "19912345678"),
        ("12812345678", None),  # 1 then 2: not a mobile prefix
        ("1381234567", None),  # ten digits
        ("138123456789", None),  # twelve
        ("027-88886666", None),  # a landline
        ("", None),
    ],
)
def test_normalize_phone(raw: str, expected: str | None) -> None:
    assert normalize_phone(raw) == expected
    assert is_mobile(raw) is (expected is not None)


def test_mask_id_number_hides_birth_date_and_most_of_the_area() -> None:
    assert mask_id_number("42010219900307123X") == "420***********123X"
    assert len(mask_id_number("42010219900307123X")) == 18


def test_mask_text_masks_mobiles_and_id_numbers_inside_free_text() -> None:
    text = "我叫张三，电话13812345678，身份证42010219900307123X，窗口电话027-88886666，工单ZY2611270001"
    masked = mask_text(text)
    assert masked == "我叫张三，电话138****5678，身份证420***********123X，窗口电话027-88886666，工单ZY2611270001"


def test_mask_text_keeps_the_citizens_spacing_and_prefix() -> None:
    assert mask_text("打 +86 138 1234 5678 找我") == "打 +86 138 **** 5678 找我"
    assert mask_text("138-1234-5678") == "138-****-5678"


def test_mask_text_leaves_other_numbers_and_emoji_alone() -> None:
    text = "排了3个小时😡，12345热线打了5次，𠀀字不认识，金额1380元"
    assert mask_text(text) == text


def test_find_mobile_returns_the_first_valid_number() -> None:
    assert find_mobile("张三 1381234567 或 139-0000-1111") == "13900001111"
    assert find_mobile("没有电话") is None
