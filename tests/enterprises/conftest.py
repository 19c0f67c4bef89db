from decimal import Decimal

import pytest

from enterprises import services
from enterprises.choices import TechField
from enterprises.uscc import with_check_digit


def code(n: int) -> str:
    """A valid USCC, distinct for each n."""
    return with_check_digit(f"91320412MA{n:07d}")


@pytest.fixture
def registry(units):
    """A small registry: 3 in 湖塘镇, 2 in 牛塘镇, 1 in 高新区, with indicators."""
    rows = [
        ("湖塘镇", "常州湖塘精密机械有限公司", TechField.ADVANCED_MANUFACTURING, True),
        ("湖塘镇", "常州湖塘新材料有限公司", TechField.NEW_MATERIALS, False),
        ("湖塘镇", "常州同名科技有限公司", TechField.ELECTRONICS, False),
        ("牛塘镇", "常州牛塘电子有限公司", TechField.ELECTRONICS, True),
        ("牛塘镇", "常州同名科技有限公司", TechField.ELECTRONICS, False),
        ("高新区", "常州高新生物医药有限公司", TechField.BIOMEDICINE, True),
    ]
    made = {}
    for n, (town, name, field, above) in enumerate(rows, start=1):
        enterprise = services.create_enterprise(
            actor=None,
            uscc=code(n),
            name=name,
            town=units[town],
            tech_field=field,
            above_scale=above,
        )
        services.save_year(
            actor=None,
            enterprise=enterprise,
            year=2018,
            values={
                "staff_total": 100 * n,
                "st_staff": 12 * n,
                "sales_revenue": Decimal("1234.5") * n,
            },
        )
        made[(town, name)] = enterprise
    return made
