from django.urls import path

from . import views

app_name = "bulletins"
urlpatterns = [
    path("", views.bulletin_list, name="list"),
    path("new/", views.bulletin_create, name="create"),
    path("<int:pk>/print/", views.bulletin_print, name="print"),
    path("<int:pk>/xlsx/", views.bulletin_xlsx, name="xlsx"),
]
