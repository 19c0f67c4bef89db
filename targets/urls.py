from django.urls import path

from . import views

app_name = "targets"
urlpatterns = [
    path("", views.plan_list, name="index"),
    path("new/", views.plan_create, name="create"),
    path("<int:pk>/", views.plan_detail, name="detail"),
    path("<int:pk>/edit/", views.plan_edit, name="edit"),
    path("<int:pk>/values/", views.plan_values, name="values"),
    path("<int:pk>/export/", views.plan_export, name="export"),
    path("<int:pk>/completion/xlsx/", views.completion_export, name="completion_export"),
    path("<int:pk>/import/", views.plan_import, name="import"),
    path("<int:pk>/enterprises/", views.drill_down, name="drill_down"),
]
