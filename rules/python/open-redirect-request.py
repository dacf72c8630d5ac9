from django.http import HttpResponseRedirect
from django.shortcuts import redirect as django_redirect
from django.utils.http import url_has_allowed_host_and_scheme
from flask import redirect, request, url_for


def login():
    target = request.args.get("next", "/")
    # ruleid: open-redirect-request
    return redirect(target)


def logout(request):
    # ruleid: open-redirect-request
    return HttpResponseRedirect(request.GET["next"])


def login_checked(request):
    nxt = request.GET.get("next", "/")
    if url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        # ok: open-redirect-request
        return django_redirect(nxt)
    return django_redirect("/")


def tab():
    # ok: open-redirect-request
    return redirect(url_for("home", tab=request.args.get("tab")))


def home():
    # ok: open-redirect-request
    return redirect("/home")


def login_helper():
    # ok: open-redirect-request
    return redirect(get_next_path(request.args.get("next", "/")))


def login_custom_check(request):
    nxt = request.GET.get("next")
    if nxt and _allow_redirect(nxt):
        # ok: open-redirect-request
        return django_redirect(nxt)
    return django_redirect("/")
