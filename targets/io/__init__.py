"""任务分解表 ⇄ Excel: read a bureau's 附件 into a `PlanTable`, write a plan back in that shape;
and the completion table as the 完成情况表 sent upward.

Reading lives in read.py, writing in write.py, the completion table in completion.py;
import from here.

    table = parse_attachment(upload, unit=district, year=2019)  # raises TableErrors
    replace_table(actor=user, plan=plan, table=table, note="导入附件")
    data = write_attachment(plan)  # .xlsx bytes; parse_attachment(data, …) gives it back
    data = write_completion(selectors.completion_table(plan, on, visible=…))
"""

from .completion import completion_filename, write_completion
from .read import AttachmentTable, TableErrors, parse_attachment
from .write import write_attachment

__all__ = [
    "AttachmentTable",
    "TableErrors",
    "completion_filename",
    "parse_attachment",
    "write_attachment",
    "write_completion",
]
