"""The 2019 任务分解表 as a bureau clerk lays it out (序号, （家） in the headers, a 填报单位
line, 制表人 and 注： lines under the 全  区 row), written by LibreOffice as .xlsx and .xls
(tests/files/office/make.sh): every value of the seed 附件 is read, nothing else."""

from pathlib import Path

import pytest

from core.seeds import WUJIN_2019_TITLE
from targets.io import parse_attachment
from tests.targets.test_excel import expected_cells, metrics, wujin  # noqa: F401

pytestmark = pytest.mark.django_db

OFFICE = Path(__file__).parents[1] / "files" / "office"


@pytest.mark.parametrize("fmt", ["xlsx", "xls"])
def test_a_clerks_attachment_reads_as_the_seed(fmt, units, wujin, metrics):  # noqa: F811
    data = (OFFICE / f"targets_clerk.{fmt}").read_bytes()
    table = parse_attachment(data, unit=wujin, year=2019)
    assert table.cells == expected_cells(units, metrics)
    assert len(table.cells) == 12 * 4
    assert table.title == WUJIN_2019_TITLE and table.unit_text == "家"
    assert table.warnings == []
