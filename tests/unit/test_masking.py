"""Mobile and ID numbers: validation and the masked forms shown instead of the digits."""

from __future__ import annotations

import pytest

from handlers.masking import find_mobile
from handlers.masking import is_mobile
from handlers.masking import mask_id_number
from handlers.masking import mask_phone
from handlers.masking import mask_text
from handlers.masking import normalize_phone
from tests.planted import ID_WRITINGS
from tests.planted import PHONE
from tests.planted import PHONE_WRITINGS
from tests.planted import PLANTED_TEXT
from tests.planted import assert_unrecoverable
from tests.planted import digit_forms


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


# -- the writings a security review found unmasked ---------------------------------------------------------


def longest_digit_run(text: str) -> int:
    """The longest run of digits (any writing, separators ignored) left in `text`."""
    best = run = 0
    for ch in text:
        if ch.isdigit() or ch in "〇零一幺二两三四五六七八九":
            run += 1
            best = max(best, run)
        elif ch not in " .-－·":
            run = 0
    return best


@pytest.mark.parametrize("writing", PHONE_WRITINGS)
def test_mask_text_masks_a_mobile_in_every_writing(writing: str) -> None:
    masked = mask_text(f"我的电话{writing}，请回电")
    assert masked.startswith("我的电话") and masked.endswith("，请回电")
    assert "139" in masked and "4321" in masked and "*" in masked  # first 3 and last 4 kept, the rest hidden
    assert longest_digit_run(masked) < 7, masked
    for form in digit_forms("98765") + digit_forms("87654") + digit_forms(PHONE):
        assert form not in masked, (form, masked)


@pytest.mark.parametrize("writing", ID_WRITINGS)
def test_mask_text_masks_an_id_number_in_every_writing(writing: str) -> None:
    masked = mask_text(f"身份证{writing}。")
    assert masked.startswith("身份证420") and "*" in masked
    assert masked.rstrip("。").upper().endswith("123X")
    assert "19900307" not in masked and "１９９００３０７" not in masked
    assert longest_digit_run(masked) < 7, masked


def test_mask_text_keeps_the_rest_of_the_text_as_written() -> None:
    text = "２号窗口的人说：“一个月后再来”，我打了１３９８７６５４３２１也没人接，编号ＺＹ２６１２０６０００１"
    assert mask_text(text) == "２号窗口的人说：“一个月后再来”，我打了139****4321也没人接，编号ＺＹ２６１２０６０００１"
    assert mask_text("一三九八七六五四三二一") == "139****4321"
    assert mask_text("139.8765.4321") == "139.****.4321"


@pytest.mark.parametrize(
    "text",
    [
        "2026年12月06日上午在3号窗口",
        "2026-12-06 14:30，二〇二六年十二月六日",
        "交了1380元，又交了13800.00元，共计一万三千八百元",
        "工单ZY2612060001还没人管",
        "窗口电话027-88886666，座机 0715 8123456",
        "12345热线打了5次",
        "银行卡6222021234567890123退款没到",
        "订单号 139876543210987",
        "排队号A12，等了一三个小时",
        "一一二三四五六七",
    ],
)
def test_mask_text_leaves_dates_amounts_landlines_and_long_runs_alone(text: str) -> None:
    assert mask_text(text) == text


def test_a_chinese_numeral_next_to_a_written_number_does_not_hide_it() -> None:
    # 一 is a word here (打一13987654321 = "call 13987654321 once"), not a twelfth digit.
    masked = mask_text("打一13987654321试试")
    assert PHONE not in masked and "139****4321" in masked


def test_every_planted_writing_is_unrecoverable_after_masking() -> None:
    masked = mask_text(PLANTED_TEXT)
    assert_unrecoverable(masked)
    assert masked.count("139****4321") + masked.count("139.****.4321") > 5


@pytest.mark.parametrize("writing", [*PHONE_WRITINGS, "139 8765", "9876543", "八七六五四三二"])
def test_the_check_itself_catches_what_survives(writing: str) -> None:
    with pytest.raises(AssertionError):
        assert_unrecoverable(f"电话{writing}")
