"""Form widgets rendered in Python rather than through Django's widget templates.

Django renders a <select> by including a template per option (and one for each option's
attributes): the enterprise list's ten filters with 100 towns took more than half of the
page's time. These produce the same HTML directly — same names, ids, attributes and
escaping — from the same `get_context`, so validation and values are Django's own."""

from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe


class FastSelectMixin:
    """For any forms.Select subclass (first among the bases): the widget's own render() and
    get_context() run as usual — a subclass's value conversions included — and only the
    last step, the template, is replaced."""

    def _render(self, template_name: str, context: dict, renderer: Any = None) -> SafeString:
        widget = context["widget"]
        parts = [
            format_html("<select name={}{}>", _quoted(widget["name"]), flatatt(widget["attrs"]))
        ]
        for group, options, _index in widget["optgroups"]:
            if group:
                parts.append(format_html("<optgroup label={}>", _quoted(group)))
            for option in options:
                value = "" if option["value"] is None else str(option["value"])
                parts.append(
                    format_html(
                        "<option value={}{}>{}</option>",
                        _quoted(value),
                        flatatt(option["attrs"]),
                        option["label"],
                    )
                )
            if group:
                parts.append("</optgroup>")
        parts.append("</select>")
        return mark_safe("".join(parts))  # every piece above is escaped by format_html


def _quoted(text: Any) -> SafeString:
    return format_html('"{}"', text)


class FastSelect(FastSelectMixin, forms.Select):
    pass
