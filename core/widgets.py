"""Form widgets rendered in Python rather than through Django's widget templates.

Django renders a <select> by including a template per option (and one for each option's
attributes): the enterprise list's ten filters with 100 towns took more than half of the
page's time. These produce the same HTML directly — same names, ids, attributes and
escaping — from the same `get_context`, so validation and values are Django's own."""

from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe


class FastSelectMixin:
    """For any forms.Select subclass (first among the bases): the widget's own render() and
    get_context() run as usual — a subclass's value conversions included — and only the
    last step, the template, is replaced."""

    def _render(self, template_name: str, context: dict, renderer: Any = None) -> SafeString:
        widget = context["widget"]
        parts = [f'<select name="{escape(widget["name"])}"{flatatt(widget["attrs"])}>']
        for group, options, _index in widget["optgroups"]:
            if group:
                parts.append(f'<optgroup label="{escape(group)}">')
            for option in options:
                value = "" if option["value"] is None else option["value"]
                extra = flatatt(option["attrs"]) if option["attrs"] else ""  # selected
                label = conditional_escape(option["label"])
                parts.append(f'<option value="{escape(value)}"{extra}>{label}</option>')
            if group:
                parts.append("</optgroup>")
        parts.append("</select>")
        return mark_safe("".join(parts))  # names, values and labels escaped above


class FastSelect(FastSelectMixin, forms.Select):
    pass
