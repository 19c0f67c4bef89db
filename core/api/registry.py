"""The router every app registers its resources on, and the list of its other endpoints."""

from rest_framework.routers import DefaultRouter

router = DefaultRouter()
router.include_format_suffixes = False  # one address per resource: JSON is the only format
# Endpoints that are not a model's resource (counts, reporting rate, dashboard blocks): apps
# append `path("ladder-counts/", View.as_view(), name=…)` here, like registering on `router`.
paths: list = []
