"""What a browser sends when a form is submitted as it was served: for tests that save a form
without touching it."""

import re
from html.parser import HTMLParser

# A browser drops a value its input type cannot hold (HTML's value sanitization): a date
# input shown "2002/01/16" is empty, and so is what it sends.
SANITIZE = {
    "date": re.compile(r"\d{4}-\d{2}-\d{2}"),
    "number": re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"),
    "time": re.compile(r"\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?"),
}


def _sanitized(kind: str, value: str) -> str:
    pattern = SANITIZE.get(kind)
    return value if pattern is None or pattern.fullmatch(value) else ""


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[list[tuple[str, str]]] = []
        self._fields: list[tuple[str, str]] | None = None
        self._select: tuple[str, bool] | None = None  # (name, multiple)
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._text: list[str] = []
        self._submitted = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "get").lower() == "post":
            self._fields, self._submitted = [], False
        if self._fields is None:
            return
        name = a.get("name")
        if tag == "option" and self._select is not None:
            self._options.append((a.get("value"), "selected" in a))
        elif not name or "disabled" in a:
            return
        elif tag == "input":
            self._input(name, a)
        elif tag == "select":
            self._select, self._options = (name, "multiple" in a), []
        elif tag == "textarea":
            self._textarea, self._text = name, []

    def _input(self, name, a):
        kind = (a.get("type") or "text").lower()
        if kind in ("checkbox", "radio"):
            if "checked" in a:
                self._fields.append((name, a.get("value", "on")))
        elif kind == "submit":
            if not self._submitted:  # the button a user clicks: the first
                self._fields.append((name, a.get("value", "")))
                self._submitted = True
        elif kind not in ("file", "reset", "button", "image"):
            self._fields.append((name, _sanitized(kind, a.get("value") or "")))

    def handle_data(self, data):
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if self._fields is None:
            return
        if tag == "select" and self._select is not None:
            name, multiple = self._select
            chosen = [v or "" for v, selected in self._options if selected]
            if not chosen and not multiple and self._options:
                chosen = [self._options[0][0] or ""]  # a browser submits the first option
            self._fields += [(name, value) for value in chosen]
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            text = "".join(self._text)
            self._fields.append((self._textarea, text[1:] if text.startswith("\n") else text))
            self._textarea = None
        elif tag == "form":
            self.forms.append(self._fields)
            self._fields = None


def post_data(html: str) -> dict[str, list[str]]:
    """The fields of the page's largest POST form, as the browser would send them."""
    parser = _FormParser()
    parser.feed(html)
    fields = max(parser.forms, key=len)
    data: dict[str, list[str]] = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    return data
