"""A bulletin as a printable A4 page, its styles inlined: a saved or forwarded page prints
the same anywhere."""

from pathlib import Path

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

from ..selectors import SOURCE, SUB_HEADERS, explanation, key_sentence


def _css() -> str:
    path = finders.find("css/bulletin.css")
    return Path(str(path)).read_text(encoding="utf-8") if path else ""


def render_html(data: dict) -> str:
    columns = data["columns"]

    def view(row: dict) -> dict:
        return {
            **row,
            "cells": [
                {**cell, "baseline": col["baseline"]}
                for col, cell in zip(columns, row["cells"], strict=True)
            ],
        }

    return render_to_string(
        "bulletins/print.html",
        {
            "d": data,
            "rows": [view(r) for r in data["rows"]] + [{**view(data["total"]), "is_total": True}],
            "key_sentence": key_sentence(data),
            "explanation": explanation(data),
            "source": SOURCE,
            "scored": [c for c in columns if not c["baseline"]],
            "sub_headers": SUB_HEADERS,
            "css": _css(),
        },
    )
