"""{% annual_report_flag enterprise can_write %}: an enterprise's 年报 standing on its page —
this year's report (filed / pending / overdue) and the art. 19 risk of the years missed."""

from django import template

from enterprises.models import Enterprise

from ..annual_reports import annual_report_status

register = template.Library()


@register.inclusion_tag("cultivation/_annual_report_flag.html")
def annual_report_flag(enterprise: Enterprise, can_write: bool = False) -> dict:
    return {
        "enterprise": enterprise,
        "status": annual_report_status(enterprise),
        "can_write": can_write,
    }
