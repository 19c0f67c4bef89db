from django.contrib.auth.decorators import login_required
from django.urls import path

from core.views import empty_section

app_name = "cultivation"
urlpatterns = [
    path(
        "",
        login_required(empty_section),
        {
            "title": "梯次培育",
            "description": "科技型中小企业 → 高企培育库 → 高新技术企业的梯次培育记录与预诊断将在此查看。",
        },
        name="index",
    ),
]
