"""Problems found in a spreadsheet, located the way the user sees it.

`Problem` is one error or warning — sheet, row as Excel numbers it, column header — with a
Chinese message; `FileRejected` refuses a file as a whole. Every importer reports in these
terms, so every error reads "企业季度数据 第5行【科技人员数】：…" — or, where the row is an
enterprise's, "企业季度数据 第5行（常州某某科技有限公司）【科技人员数】：…": a clerk fixing a
file of 800 rows finds the enterprise by its name, not by counting rows.
"""

from collections.abc import Sequence
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Problem:
    sheet: str = ""
    row: int | None = None  # the row number Excel shows
    column: str = ""  # the column's header text (or "C列")
    message: str = ""
    subject: str = ""  # what the row is about (an enterprise's name), shown beside its number

    def __str__(self) -> str:
        where = self.sheet
        if self.row is not None:
            where += f" 第{self.row}行"
            if self.subject:
                where += f"（{self.subject}）"
        if self.column:
            where += f"【{self.column}】"
        where = where.strip()
        return f"{where}：{self.message}" if where else self.message

    def as_json(self) -> dict:
        return {**asdict(self), "text": str(self)}


class FileRejected(Exception):
    """The file is refused as a whole; nothing was or will be written."""

    def __init__(self, problems: "str | Problem | Sequence[str | Problem]"):
        if isinstance(problems, str | Problem):
            problems = [problems]
        self.problems = [p if isinstance(p, Problem) else Problem(message=p) for p in problems]
        super().__init__("；".join(str(p) for p in self.problems))
