"""Shared REST pieces: pagination, and the router every app registers its endpoints on."""

from rest_framework.pagination import PageNumberPagination
from rest_framework.routers import DefaultRouter


class PortalPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


router = DefaultRouter()
