"""Matching header cells as clerks retype them.

"销售收入（万元）", " 销售收入\n(万元) ", "*销售收入" and "销售收入" are one column; so are
"职工总数（人）" and "职工总数". A bracket is only dropped when it holds a unit: "镇（开发区）"
keeps its bracket.
"""

import re
from typing import Any

from .cells import text_key

UNIT_WORDS = (
    "万元",
    "亿元",
    "元",
    "人",
    "人次",
    "家",
    "个",
    "项",
    "件",
    "户",
    "名",
    "次",
    "年",
    "%",
)
_UNIT_BRACKET = re.compile(r"\((?:单位[:：]?)?(?:" + "|".join(map(re.escape, UNIT_WORDS)) + r")\)$")
IGNORED_HEADERS = {"序号", "备注", "说明"}  # columns people add that carry nothing we store


def header_key(text: Any) -> str:
    """The comparable form of a header: NFKC (（）→()), no whitespace, no required-marker
    asterisk, no trailing unit in brackets."""
    key = text_key(text).strip("*")
    return _UNIT_BRACKET.sub("", key)


def is_ignored(text: Any) -> bool:
    return header_key(text) in IGNORED_HEADERS
