from django.urls import path

from shop import views

urlpatterns = [
    path("books/", views.list_books),
    path("books-fixed/", views.list_books_fixed),
]
