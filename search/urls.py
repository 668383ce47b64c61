from django.urls import include, path

from . import views

search_patterns = [
    path("search/", views.search, name="search"),
    path("saved-views/", views.saved_view_create, name="saved-view-create"),
    path("saved-views/<int:pk>/delete/", views.saved_view_delete, name="saved-view-delete"),
]

urlpatterns = [path("", include((search_patterns, "search")))]
