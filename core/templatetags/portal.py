"""Template filters for how the portal shows numbers: thousands separators, dashes for unknown."""

from decimal import Decimal

from django import template

from core.selectors import OFFICIAL_DATA

register = template.Library()


@register.filter
def num(value, places=None):
    """1234567 → 1,234,567; Decimal('11421.16') → 11,421.16; None → —."""
    if value is None or value == "":
        return "—"
    if isinstance(value, Decimal | float):
        digits = 2 if places is None else int(places)
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return value


@register.filter
def pct(value, places=1):
    """0.0512 → 5.1%; None → —."""
    if value is None:
        return "—"
    return f"{value * 100:.{int(places)}f}%"


@register.filter
def get_item(mapping, key):
    """{{ row|get_item:code }} — a dict lookup with a variable key."""
    return mapping.get(key) if mapping else None


@register.simple_tag
def official_data() -> str:
    return OFFICIAL_DATA
