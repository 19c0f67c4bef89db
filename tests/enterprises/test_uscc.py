"""统一社会信用代码: what a user typing or pasting a code sees."""

import pytest

from enterprises.uscc import USCCError, check, normalise, with_check_digit

VALID = "91110000600037341L"  # python-stdnum's own example


def test_a_valid_code_passes_without_warning():
    result = check(VALID)
    assert (result.code, result.checksum_ok, result.warning) == (VALID, True, "")


def test_a_checksum_failure_is_a_warning_not_a_rejection():
    result = check(VALID[:-1] + "M")
    assert result.code == VALID[:-1] + "M"
    assert not result.checksum_ok
    assert "校验位不符" in result.warning


@pytest.mark.parametrize(
    "typed",
    [
        "９１１１００００６０００３７３４１Ｌ",  # full-width digits and letter
        "91110000600037341l",  # lower case
        "  91110000600037341L \n",  # spaces around
        "9111 0000 6000 3734 1L",  # spaces inside
        "911100-00600037341L",  # a dash
    ],
)
def test_input_is_normalised_before_checking(typed):
    assert check(typed).code == VALID


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("9111000060003734", "应为 18 位，当前为 16 位"),
        ("91110000600037341L9", "应为 18 位，当前为 19 位"),
        ("91110000600037341I", "含有无效字符"),  # I is not in the USCC alphabet
        ("9111000060003734OL", "含有无效字符"),
        ("A1110000600037341L", "含有无效字符"),  # first 8 must be digits
        ("91110000600037341*", "含有无效字符"),
        ("", "请填写统一社会信用代码"),
    ],
)
def test_wrong_length_or_characters_are_rejected_in_chinese(typed, message):
    with pytest.raises(USCCError, match=message):
        check(typed)


def test_generated_codes_carry_a_correct_check_digit():
    assert with_check_digit(VALID[:17]) == VALID


def test_normalise_is_idempotent():
    assert normalise(normalise("ｍａ１２")) == "MA12"
