"""任务分解表 ⇄ Excel: read a bureau's 附件 into a `PlanTable`, write a plan back in that shape.

Reading lives in read.py, writing in write.py; import from here.

    table = parse_attachment(upload, unit=district, year=2019)  # raises TableErrors
    replace_table(actor=user, plan=plan, table=table, note="导入附件")
    data = write_attachment(plan)  # .xlsx bytes; parse_attachment(data, …) gives it back
"""

from .read import AttachmentTable, TableErrors, parse_attachment
from .write import write_attachment

__all__ = ["AttachmentTable", "TableErrors", "parse_attachment", "write_attachment"]
