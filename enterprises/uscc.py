"""统一社会信用代码 (GB 32100-2015): normalise, then validate with python-stdnum.

A checksum failure is a warning, not a rejection: some genuine codes issued before 2016
fail it. Wrong length or characters are rejected.
"""

from dataclasses import dataclass

from stdnum import exceptions
from stdnum.cn import uscc

from core.sheets import normalise_code


class USCCError(ValueError):
    """A code that cannot be a USCC at all; the message is for the user, in Chinese."""


@dataclass(frozen=True)
class CheckedUSCC:
    code: str
    checksum_ok: bool

    @property
    def warning(self) -> str:
        return (
            ""
            if self.checksum_ok
            else "统一社会信用代码校验位不符（2016年前发放的代码可能如此），请核对。"
        )


# Trim, full-width → half-width (NFKC), drop inner spaces and dashes, upper-case: as every
# spreadsheet cell is read (core.sheets).
normalise = normalise_code


def check(raw: str) -> CheckedUSCC:
    code = normalise(raw)
    if not code:
        raise USCCError("请填写统一社会信用代码。")
    try:
        uscc.validate(code)
    except exceptions.InvalidLength as exc:
        raise USCCError(f"统一社会信用代码应为 18 位，当前为 {len(code)} 位。") from exc
    except exceptions.InvalidFormat as exc:
        raise USCCError(
            "统一社会信用代码含有无效字符：前 8 位须为数字，其余为数字或除 I、O、Z、S、V 外的大写字母。"
        ) from exc
    except exceptions.InvalidChecksum:
        return CheckedUSCC(code, checksum_ok=False)
    return CheckedUSCC(code, checksum_ok=True)


def checksum_ok(code: str) -> bool:
    """For an already-normalised, well-formed code: does its check digit hold? (fast path)"""
    return code[-1] == uscc.calc_check_digit(code[:17])


def with_check_digit(first17: str) -> str:
    """Complete 17 characters with their correct check digit (demo and benchmark data)."""
    return first17 + uscc.calc_check_digit(first17)
