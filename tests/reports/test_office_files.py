"""Quarterly files as town clerks lay them out, written by LibreOffice (tests/files/office,
made by its make.sh), as .xlsx and as .xls: each is read with the right counts."""

from pathlib import Path

import pytest

from core.sheets import FileRejected
from enterprises.models import EnterpriseYear
from tests.enterprises.conftest import code
from tests.reports import period, pipeline, year_2019  # noqa: F401

pytestmark = pytest.mark.django_db

OFFICE = Path(__file__).parents[1] / "files" / "office"
FORMATS = ["xlsx", "xls"]
CONVENTIONS = ["quarterly_brackets", "quarterly_title_rows", "quarterly_groups", "quarterly_totals"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", CONVENTIONS)
def test_a_clerks_layout_is_read_with_the_right_counts(name, fmt, period, year_2019, units, hutang):  # noqa: F811
    data = (OFFICE / f"{name}.{fmt}").read_bytes()
    preview = pipeline(data, f"{name}.{fmt}", period=period, unit=units["湖塘镇"], user=hutang)
    assert preview.problems == [] and preview.warnings == []
    changes = {u["uscc"]: u["changes"] for u in preview.updates}
    assert changes == {
        code(1): {"staff_total": ["120", "121"]},
        code(3): {
            "staff_total": [None, "10"],
            "st_staff": [None, "2"],
            "sales_revenue": [None, "300.00"],
            "rd_expense": [None, "12.00"],
            "hightech_revenue": [None, "80.00"],
        },
    }
    assert preview.unchanged == 1 and preview.creates == []  # code(2), as the registry has it


@pytest.mark.parametrize("fmt", FORMATS)
def test_last_quarters_template_resaved_is_still_known(fmt, period, year_2019, units, hutang):  # noqa: F811
    """The hidden 报送标识 sheet survives LibreOffice's re-save, as .xlsx and as .xls."""
    data = (OFFICE / f"quarterly_last_quarter.{fmt}").read_bytes()
    before = list(EnterpriseYear.objects.values_list("pk", "staff_total"))
    with pytest.raises(FileRejected) as refused:
        pipeline(data, f"上报.{fmt}", period=period, unit=units["湖塘镇"], user=hutang)
    assert str(refused.value.problems[0]).startswith(
        "该文件是 2018年第4季度 的报表，本次报送的是 2019年第1季度。"
    )
    assert list(EnterpriseYear.objects.values_list("pk", "staff_total")) == before
