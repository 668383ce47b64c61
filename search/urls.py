from django.urls import include, path

from . import views

search_patterns = [
    path("search/", views.search, name="search"),
]

urlpatterns = [path("", include((search_patterns, "search")))]
