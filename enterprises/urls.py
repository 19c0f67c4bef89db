from django.urls import path

from . import views

app_name = "enterprises"
urlpatterns = [
    path("", views.enterprise_list, name="index"),
    path("export/", views.export, name="export"),
    path("new/", views.enterprise_create, name="create"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("<int:pk>/", views.enterprise_detail, name="detail"),
    path("<int:pk>/edit/", views.enterprise_edit, name="edit"),
    path("<int:pk>/move/", views.enterprise_move, name="move"),
    path("<int:pk>/active/", views.enterprise_set_active, name="set_active"),
    path("<int:pk>/years/new/", views.year_edit, name="year_create"),
    path("<int:pk>/years/<int:year>/", views.year_edit, name="year_edit"),
]
