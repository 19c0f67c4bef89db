"""Every page accepts only its methods: GET/HEAD to show, POST where it writes. An edit page
that answered PUT or DELETE as if it were a GET is what this guards against. (The API's
methods are the ones its schema documents; schemathesis's unsupported_method check, in
scripts/api_contract.sh, holds every other method of every API path to a 405.)"""

import uuid

import pytest

from tests.routes import portal_routes

pytestmark = pytest.mark.django_db

SAMPLE = {
    "int": 1,
    "uuid": uuid.UUID(int=1),
    "str": "x",
    "slug": "x",
    "path": "x",
    "drf_format_suffix": ".json",
}


def _path(route) -> str:
    return route.path(**{name: SAMPLE[conv] for name, conv in route.params.items()})


@pytest.mark.parametrize("method", ["put", "patch", "delete", "trace"])
def test_no_route_accepts_put_patch_delete_or_trace(client_for, admin_user, method):
    client = client_for(admin_user)
    accepted = {}
    for route in portal_routes():
        if route.pattern.startswith("api/v1/"):
            continue  # the API's methods are its schema's: test_api_personas + the contract run
        response = getattr(client, method)(_path(route))
        if response.status_code != 405:
            accepted[route.name] = response.status_code
    assert accepted == {}


def test_pages_that_only_show_refuse_post(client_for, admin_user):
    """A POST to a read-only page is refused, not rendered as a GET."""
    client = client_for(admin_user)
    read_only = ["home", "enterprises:index", "dashboard:page", "targets:index", "reports:index"]
    from django.urls import reverse

    assert {name: client.post(reverse(name)).status_code for name in read_only} == dict.fromkeys(
        read_only, 405
    )


def test_a_wrong_method_in_the_browser_gets_a_chinese_page(client_for, hutang):
    response = client_for(hutang).get("/accounts/logout/")
    assert response.status_code == 405 and response["Allow"] == "POST"
    assert "该地址不能直接打开" in response.content.decode()
