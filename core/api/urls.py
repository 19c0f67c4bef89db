"""Everything under /api/v1/: the apps' resources (registered on `router`), the schema, and
its docs pages served from the portal's own static files."""

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from django.utils.module_loading import autodiscover_modules
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from . import history, notifications, resources  # noqa: F401  (core's own: they register)
from .registry import paths, router
from .tokens import MeView, TokenViewSet

router.register("tokens", TokenViewSet, basename="api-token")
# Each app's api.py registers its resources: import them all before the router is read.
autodiscover_modules("api")


def docs_page(view):
    """A docs page: for signed-in users, and with one loosening of the portal's CSP. Swagger
    UI and Redoc set inline `style` attributes as they draw (Redoc's styled-components
    inject <style> tags, its search runs in a blob: worker); their scripts stay the
    portal's own files (hence Swagger's *split* view: no inline script)."""
    loosened = csp_update({"style-src": [UNSAFE_INLINE], "worker-src": ["blob:"]})
    return login_required(loosened(view))


urlpatterns = [
    path("me/", MeView.as_view(), name="api-me"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "docs/",
        docs_page(SpectacularSwaggerSplitView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
    path(
        "redoc/",
        docs_page(SpectacularRedocView.as_view(url_name="api-schema")),
        name="api-redoc",
    ),
    *paths,
    path("", include(router.urls)),
]
