"""What every response says to the browser and to caches, and what the portal refuses before it
reads a request: Content-Security-Policy, no-store on what sits behind the login, the API
schema behind the login, uploads capped as they arrive."""

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_pages_allow_only_the_portals_own_scripts_and_styles(client_for, district):
    policy = client_for(district).get("/dashboard/")["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"


def test_no_template_needs_what_the_policy_forbids():
    """Inline <script>, style="…" and onclick="…" would be blocked by the browser under the
    policy above: behaviour lives in static/js/portal.js instead. The stored bulletin page is
    the one exception and carries its own policy (bulletins/views.py)."""
    inline = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)|\sstyle=\"|\son[a-z]+=\"")
    offenders = [
        str(path.relative_to(ROOT))
        for path in ROOT.glob("*/templates/**/*.html")
        if path.name != "print.html" and inline.search(path.read_text())
    ] + [str(p) for p in (ROOT / "templates").glob("**/*.html") if inline.search(p.read_text())]
    assert offenders == []


def test_signed_in_pages_and_exports_are_not_stored_by_caches(client_for, hutang):
    client = client_for(hutang)
    for url in ["/", "/enterprises/", "/enterprises/export/?format=csv", "/api/v1/enterprises/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url


def test_the_api_schema_needs_a_login(client, client_for, district):
    assert client.get("/api/v1/schema/").status_code == 401
    assert client_for(district).get("/api/v1/schema/").status_code == 200


def test_an_upload_is_cut_off_just_past_the_limit_as_it_arrives(settings):
    """A file many times the limit reaches the view as limit + 1 bytes (so the size check
    refuses it) — it is never held whole in memory or on disk."""
    settings.UPLOAD_MAX_BYTES = 64 * 1024
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 16 * 1024  # bigger bodies go to a temporary file
    big = SimpleUploadedFile("上报.xlsx", b"PK\x03\x04" + b"\0" * (3 * 1024 * 1024))
    request = RequestFactory().post("/reports/periods/1/upload/", {"file": big})
    received = request.FILES["file"].read()
    assert len(received) == settings.UPLOAD_MAX_BYTES + 1
    assert received.startswith(b"PK\x03\x04")
    assert request.POST is not None  # the rest of the form is still read
