from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from markupsafe import Markup
from flask import request as flask_request


def profile(request):
    bio = request.POST.get("bio", "")
    # ruleid: mark-safe-request-data
    return mark_safe("<div>" + bio + "</div>")


def banner(request):
    # ruleid: mark-safe-request-data
    return format_html(request.GET["template"], user=request.user)


def flask_banner():
    # ruleid: mark-safe-request-data
    return Markup(flask_request.args["html"])


def escaped(request):
    # ok: mark-safe-request-data
    return format_html("<b>{}</b>", request.GET.get("name", ""))


def constant():
    # ok: mark-safe-request-data
    return mark_safe("<br>")


def created(request):
    form = ItemForm(request.POST)
    obj = form.save()
    # ok: mark-safe-request-data
    return mark_safe(f'Created <a href="{obj.get_absolute_url()}">{escape(obj)}</a>')
