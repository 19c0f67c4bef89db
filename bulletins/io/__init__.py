"""A bulletin's two renderings, both written from its stored data."""

from .printing import render_html
from .xlsx import write_xlsx

__all__ = ["render_html", "write_xlsx"]
