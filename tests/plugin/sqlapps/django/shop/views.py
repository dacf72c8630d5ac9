from django.http import JsonResponse

from .models import Book


def list_books(request):
    books = Book.objects.order_by("id")
    return JsonResponse([{"title": b.title, "author": b.author.name} for b in books], safe=False)  # N+1 HERE


def list_books_fixed(request):
    books = Book.objects.select_related("author").order_by("id")
    return JsonResponse([{"title": b.title, "author": b.author.name} for b in books], safe=False)
