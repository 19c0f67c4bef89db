from django.contrib.auth.decorators import login_required
from django.urls import path

from core.views import empty_section

urlpatterns = [
    path(
        "dashboard/",
        login_required(empty_section),
        {"title": "驾驶舱", "description": "目标完成情况、排名与趋势图表将在此展示。"},
        name="dashboard",
    ),
]
