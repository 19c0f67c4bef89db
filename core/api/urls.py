"""Everything under /api/v1/: the apps' resources (registered on `router`), the schema, and
its docs pages served from the portal's own static files."""

from django.contrib.auth.decorators import login_required
from django.urls import include, path
from django.utils.module_loading import autodiscover_modules
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from . import resources  # noqa: F401  (core's own resources register on the router)
from .registry import paths, router
from .tokens import MeView, TokenViewSet

router.register("tokens", TokenViewSet, basename="api-token")
# Each app's api.py registers its resources: import them all before the router is read.
autodiscover_modules("api")

urlpatterns = [
    path("me/", MeView.as_view(), name="api-me"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "docs/",
        login_required(SpectacularSwaggerSplitView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
    path(
        "redoc/",
        login_required(SpectacularRedocView.as_view(url_name="api-schema")),
        name="api-redoc",
    ),
    *paths,
    path("", include(router.urls)),
]
