"""SEC-AUTHN, SEC-AUTHZ, SEC-INPUT and SEC-AUDIT on the route table."""

from __future__ import annotations

import re
from typing import Any, Iterable

from ...model import Severity
from ..base import Bad
from ._routes import RouteCheck, Verdict
from ...patterns import lazy

MUTATING = ("POST", "PUT", "PATCH", "DELETE")
ISSUES_TOKEN = lazy(r"(create_access_token|access_token|encode_token|generate_token|create_token|issue_token|jwt\.encode|\blogin\b|login_user|(^|\.)login$)", re.I)
REGISTER_SEGMENT = lazy(r"/(register|registration|registrations|signup|sign-up|sign_up|join)/?$", re.I)
CALLER_PARAM = lazy(r"(current_?user|CurrentUser|principal|identity|^user$|^me$|get_user|auth_user)", re.I)
AUTHZ_GUARD = lazy(r"(perm|role|scope|authoriz|polic|owner|access|admin|superuser|staff|can_|acl|Object)", re.I)
GENERIC_PERMISSIONS = frozenset({"IsAuthenticated", "IsAuthenticatedOrReadOnly", "AllowAny"})
PERMISSION_CALL = lazy(r"(perm|authoriz|check_object|has_object|can_|ensure_|assert_|require_|access|owner|get_object$|policy|acl|allowed|^raise_(not|if|unless)_)", re.I)


class UnauthenticatedRoute(RouteCheck):
    """A route with no authentication guard that is not on the public list.

    Why it matters: an endpoint without an auth dependency, decorator, permission class or an
    identity check in its body is reachable by anyone; forgetting one is the most common way
    data leaks. A route whose only "guard" compares a header the client sets itself
    (`X-Forwarded-For`, `X-User`, `X-Role`, `Referer`, ...) is reported too: anyone can send it.
    Endpoints that are public by nature (health and readiness probes, login/register/
    token, docs and spec, static files) are on the default `routes.public` list; mark others with
    an inline `# backend-gates: public` comment on the handler or decorator, or extend
    `routes.extend-public`. Guards are recognised per framework (routes/adapters): FastAPI
    `Depends`/`Security` on the parameter, route, router, include and app; Flask `*_required`
    decorators, `before_request` hooks, Flask-Login; Django `login_required`/`permission_required`
    (also through `method_decorator`), auth mixins, `LoginRequiredMiddleware`; DRF
    `permission_classes` and `DEFAULT_PERMISSION_CLASSES`; aiohttp auth middlewares; connexion
    security requirements in the spec. In the handler body, a check that ends the request (401/403,
    `abort`, `PermissionDenied`, a redirect to the login page, an API key or signature compared)
    before any state-changing work is a guard, and so is a test of the caller's sign-in state whose
    anonymous branch ends the request (`if not request.user.is_authenticated: return redirect(...)`,
    `if current_user.is_anonymous: raise Http404`); one that only sends signed-in callers away
    (`if request.user.is_authenticated: return redirect("/")`) or picks optional data guards nothing, and so is
    delegating to project functions that are all guarded (a dispatcher calling `create_item(request)`
    or `OtherView().post(request)`). A client-supplied header (`X-Forwarded-For`, `User-Agent`) counts
    as the "guard" only when the denial depends on it; reading it for a log or a session record
    next to a real precondition (`if not site.install_mode: raise PermissionDenied()`) is not.
    A webhook that verifies a signature first (`hmac.compare_digest`, `unsign(...)` with
    `except BadSignature`, `stripe.Webhook.construct_event`) is guarded.
    Not reported: registration (`POST /users` by a `register`/`signup` handler, or taking a password
    and issuing a token), login handlers that check the credentials themselves, routes whose URL
    carries the credential (a `<uuid:...>` id, a `{token}`, `{signature}` or `{..._key}` parameter:
    ping, badge and unsubscribe links), and GET pages that render HTML without touching the
    caller's identity or data outside admin/settings/dashboard paths (landing, pricing and
    integration pages are public by nature).
    Reported at info ("a public endpoint? confirm"): an unguarded route that changes no state, reads
    none of the caller's own data (session, cookies, `request.user.invoices`; asking who the viewer
    is for a privacy filter is fine), returns no secret or personal field (in the body or the
    declared response model) and serves no user-keyed record (`{user_id}`): a catalogue, tags, a
    validator, a preview, a privacy-filtered feed. Whether it should be public is a product
    decision. What a handler reads of the caller only under a test of whether anyone is signed in
    (`request.user.blocked_books.all() if request.user else []`) serves anonymous
    callers by design; a published contact address (`{"email": site.admin_email}`) is not personal
    data. A route that hands its request to another project handler (`ConfirmEmailCode().get(request,
    code)`) changes what that handler changes. `POST /users` that builds an account with no other
    sign of registration is info too, and so is an anonymous form submission: a POST with no object
    in its URL that validates a submitted form and records it, answered with a page or on a
    contact/feedback/invite-request/waitlist path (a webhook reading a raw payload is not a form).
    A warning stays for what a reviewer acts on: an unguarded write, a read of the caller's data,
    sensitive fields, one user's records, and anything under admin/settings/private paths.
    Known limits: guards are recognised by name or by a project decorator whose wrapper aborts
    with 401/403; one level of delegation is followed; authentication enforced only by a gateway
    is not known (configure `routes.auth-guards`).
    """

    code = "BG240"
    name = "route-without-authentication"
    gate = "SEC-AUTHN"
    severity = Severity.WARNING
    message = "{route} has no authentication guard; add one, or mark it public (`# backend-gates: public`) or list it in routes.extend-public"
    fix = "add an auth dependency/decorator/permission class, or declare the route public on purpose"
    spoofed = "{route} is guarded only by the client-supplied header {header}; anyone can send it: authenticate the caller instead"
    public_message = (
        "{route} has no authentication guard but changes nothing, reads none of the caller's data and returns no sensitive field: "
        "a public endpoint? Confirm it (`# backend-gates: public` or routes.extend-public) or add a guard"
    )
    submission_message = "{route} records an anonymous form submission (contact, feedback, invite request) without authentication: confirm it is public (`# backend-gates: public`) or add a guard"
    registration_message = "{route} creates an account without authentication: registration? Confirm it is public (`# backend-gates: public`) or add a guard"
    good = [
        # a dependency on the parameter
        "from fastapi import APIRouter, Depends\nfrom .auth import current_user\nrouter = APIRouter()\n\n@router.get('/orders')\ndef orders(user=Depends(current_user)):\n    return []\n",
        # public by nature
        "from fastapi import FastAPI\napp = FastAPI()\n\n@app.get('/health')\ndef health():\n    return {'ok': True}\n",
        # public on purpose
        "from flask import Flask\napp = Flask(__name__)\n\n# backend-gates: public\n@app.get('/catalog')\ndef catalog():\n    return []\n",
        # a dispatcher whose delegates are all guarded (one level of delegation)
        {
            "views.py": "from django.http import JsonResponse\nfrom .auth import require_api_key\n\n@require_api_key\ndef list_items(request):\n    return JsonResponse({})\n\n@require_api_key\ndef add_item(request):\n    return JsonResponse({}, status=201)\n\ndef items(request):\n    if request.method == 'POST':\n        return add_item(request)\n    return list_items(request)\n",
            "urls.py": "from django.urls import path\nfrom . import views\n\nurlpatterns = [path('items/', views.items)]\n",
        },
        # an in-body check that ends the request before any work
        "from flask import Flask, request, abort\nimport hmac\napp = Flask(__name__)\n\n@app.post('/hooks/build')\ndef build_hook():\n    if not hmac.compare_digest(request.headers.get('X-Signature', ''), expected()):\n        abort(403)\n    queue.put(request.get_data())\n    return '', 204\n",
        # the link is the credential: an unguessable id or a signed token in the URL
        {
            "views.py": "from django.http import HttpResponse\n\ndef ping(request, code):\n    Check.objects.filter(code=code).update(pings=F('pings') + 1)\n    return HttpResponse('OK')\n",
            "urls.py": "from django.urls import path\nfrom . import views\n\nurlpatterns = [path('ping/<uuid:code>/', views.ping)]\n",
        },
        # a page that shows nothing of the caller's (landing, pricing)
        {
            "views.py": "from django.shortcuts import render\n\ndef pricing(request):\n    return render(request, 'pricing.html', {'plans': PLANS})\n",
            "urls.py": "from django.urls import path\nfrom . import views\n\nurlpatterns = [path('pricing/', views.pricing)]\n",
        },
        # registration: `POST /users` by `register()` is public by nature
        "from fastapi import APIRouter\nrouter = APIRouter()\n\n@router.post('/users', status_code=201)\nasync def register(user_create: UserInCreate, repo=Depends(get_repo)):\n    user = await repo.create_user(**user_create.dict())\n    return {'user': user, 'token': create_access_token_for_user(user)}\n",
        # a login view that checks the credentials itself
        "from flask import Flask, request, abort\napp = Flask(__name__)\n\n@app.post('/api/session')\ndef sign_in():\n    user = authenticate(request.form['email'], request.form['password'])\n    if user is None:\n        abort(401)\n    return {'token': issue_token(user)}\n",
        # a sign-in under another name: checks the password, then logs the caller in
        "from flask import Flask, request, redirect\nfrom flask_login import login_user\napp = Flask(__name__)\n\n@app.post('/preferences/reactivate')\ndef reactivate():\n    user = User.query.filter_by(username=request.form['username']).first_or_404()\n    if not user.check_password(request.form['password']):\n        return 'bad password', 400\n    user.reactivate()\n    login_user(user)\n    return redirect('/')\n",
        # a webhook that verifies a signed id before any work (itsdangerous)
        {
            "views.py": "from django.core.signing import BadSignature\nfrom django.http import HttpResponse\nfrom django.views.decorators.csrf import csrf_exempt\n\n@csrf_exempt\ndef bounces(request):\n    try:\n        code = unsign_bounce_id(request.POST['to'])\n    except BadSignature:\n        return HttpResponse('bad signature')\n    Notification.objects.filter(code=code).update(error=request.POST['status'])\n    return HttpResponse('OK')\n",
            "urls.py": "from django.urls import path\nfrom . import views\n\nurlpatterns = [path('api/v1/bounces/', views.bounces)]\n",
        },
        # a payment provider's event, verified with the provider's signature helper
        "from flask import Flask, request\nimport stripe\napp = Flask(__name__)\n\n@app.post('/billing/events')\ndef stripe_events():\n    event = stripe.Webhook.construct_event(request.data, request.headers['Stripe-Signature'], SECRET)\n    Payment.query.filter_by(ref=event.id).update({'paid': True})\n    return '', 204\n",
        # a precondition that ends the request guards it; the User-Agent is only recorded
        {
            "views.py": "from django.core.exceptions import PermissionDenied\nfrom django.shortcuts import redirect\nfrom django.views import View\n\nclass CreateAdmin(View):\n    def post(self, request):\n        site = SiteSettings.get()\n        if not site.install_mode:\n            raise PermissionDenied()\n        user = User.objects.create_superuser(request.POST['username'])\n        agent = request.META.get('HTTP_USER_AGENT', '')\n        Session.objects.create(user=user, agent=agent)\n        return redirect('/')\n",
            "urls.py": "from django.urls import path\nfrom . import views\n\nurlpatterns = [path('setup/admin/', views.CreateAdmin.as_view())]\n",
        },
        # anonymous callers leave before the work (whatever the answer they get)
        {
            "views.py": "from django.http import Http404\nfrom django.shortcuts import redirect\n\ndef archive_all(request):\n    if request.user.is_anonymous:\n        raise Http404()\n    Note.objects.filter(owner=request.user).update(archived=True)\n    return redirect('notes')\n",
            "urls.py": "from django.urls import path\nfrom . import views\n\nurlpatterns = [path('notes/archive/', views.archive_all)]\n",
        },
        # Django: the session user checked in the body, redirecting to the login page
        {
            "views.py": "from django.shortcuts import redirect, render\n\ndef dashboard(request):\n    if not request.user.is_authenticated:\n        return redirect('login')\n    return render(request, 'dashboard.html')\n",
            "urls.py": "from django.urls import path\nfrom . import views\n\nurlpatterns = [path('dashboard/', views.dashboard)]\n",
        },
    ]
    bad = [
        # an unguarded write
        Bad("from fastapi import APIRouter\nrouter = APIRouter()\n\n@router.post('/orders')\ndef create_order(order: OrderIn, db=Depends(get_db)):\n    db.add(Order(**order.dict()))\n    db.commit()\n    return {}\n", line=4, severity=Severity.WARNING),
        # a read that uses the caller's session without checking it
        Bad("from flask import Flask, session, jsonify\napp = Flask(__name__)\n\n@app.get('/orders')\ndef orders():\n    return jsonify([o.id for o in Order.query.filter_by(owner_id=session.get('uid'))])\n", line=4, severity=Severity.WARNING),
        # one user's records, keyed by the user id in the URL
        Bad("from fastapi import APIRouter\nrouter = APIRouter()\n\n@router.get('/users/{user_id}/orders')\ndef user_orders(user_id: int):\n    return store.orders_of(user_id)\n", line=4, severity=Severity.WARNING),
        # personal data in the answer
        Bad("from flask import Flask, jsonify\napp = Flask(__name__)\n\n@app.get('/members')\ndef members():\n    return jsonify([{'name': m.name, 'email': m.email} for m in Member.query.all()])\n", line=4, severity=Severity.WARNING),
        # secret fields in the declared response model
        Bad(
            "from fastapi import APIRouter\nfrom pydantic import BaseModel\nrouter = APIRouter()\n\nclass KeyOut(BaseModel):\n    name: str\n    api_key: str\n\n@router.get('/integrations', response_model=list[KeyOut])\ndef integrations():\n    return store.integrations()\n",
            line=9,
            severity=Severity.WARNING,
        ),
        # Django: the session user read, never checked
        Bad(
            {
                "views.py": "from django.http import JsonResponse\n\ndef my_invoices(request):\n    return JsonResponse({'ids': list(request.user.invoices.values_list('id', flat=True))})\n",
                "urls.py": "from django.urls import path\nfrom . import views\n\nurlpatterns = [path('invoices/mine/', views.my_invoices)]\n",
            },
            line=3,
            path="views.py",
            severity=Severity.WARNING,
        ),
        # identity-free public reads: reported at info ("public endpoint? confirm")
        Bad("from fastapi import APIRouter\nrouter = APIRouter()\n\n@router.get('/tags')\ndef tags(db=Depends(get_db)):\n    return [t.name for t in db.query(Tag).all()]\n", line=4, severity=Severity.INFO),
        Bad(
            {
                "views.py": "from django.http import JsonResponse\n\ndef validate_schedule(request):\n    try:\n        parse_cron(request.GET.get('schedule', ''))\n    except ValueError:\n        return JsonResponse({'result': False})\n    return JsonResponse({'result': True})\n",
                "urls.py": "from django.urls import path\nfrom . import views\n\nurlpatterns = [path('schedule/validate/', views.validate_schedule)]\n",
            },
            line=3,
            path="views.py",
            severity=Severity.INFO,
        ),
        # an account created for an anonymous caller with no sign of registration: info
        Bad("from flask import Blueprint\nbp = Blueprint('users', __name__)\n\n@bp.post('/users')\n@body(user_schema)\ndef new(args):\n    user = User(**args)\n    db.session.add(user)\n    db.session.commit()\n    return user\n", line=4, severity=Severity.INFO),
        # a dispatcher with one unguarded delegate
        Bad(
            {
                "views.py": "from django.http import JsonResponse\nfrom .auth import require_api_key\n\ndef list_items(request):\n    return JsonResponse({})\n\n@require_api_key\ndef add_item(request):\n    return JsonResponse({}, status=201)\n\ndef items(request):\n    if request.method == 'POST':\n        return add_item(request)\n    return list_items(request)\n",
                "urls.py": "from django.urls import path\nfrom . import views\n\nurlpatterns = [path('items/', views.items)]\n",
            },
            line=11,
            path="views.py",
        ),
        # identity taken from a header the client controls
        Bad(
            "from flask import Flask, request, abort, jsonify\napp = Flask(__name__)\n\n@app.get('/internal/secrets')\ndef secrets():\n    if request.headers.get('X-Forwarded-For') not in TRUSTED:\n        abort(403)\n    return jsonify(vault.dump())\n",
            line=4,
        ),
        # the check comes after the work it should guard
        Bad(
            "from flask import Flask, request, abort\napp = Flask(__name__)\n\n@app.post('/notes/<int:note_id>/delete')\ndef delete_note(note_id):\n    db.session.delete(Note.query.get(note_id))\n    db.session.commit()\n    if not current_user.is_authenticated:\n        abort(401)\n    return '', 204\n",
            line=4,
        ),
        # a denial that depends on a client-supplied header, through a local
        Bad(
            "from flask import Flask, request, abort, jsonify\napp = Flask(__name__)\n\n@app.post('/internal/flush')\ndef flush():\n    caller = request.headers.get('X-Real-IP', '')\n    if not caller.startswith('10.'):\n        return 'forbidden', 403\n    cache.clear()\n    return '', 204\n",
            line=4,
        ),
        # a page that reads the viewer's data only when someone is signed in: served to anonymous callers by design
        Bad(
            {
                "views.py": "from django.template.response import TemplateResponse\n\ndef series(request, series_id):\n    blocked = request.user.blocked_books.all() if request.user else []\n    books = Book.objects.filter(series=series_id).exclude(id__in=blocked)\n    return TemplateResponse(request, 'series.html', {'books': books})\n",
                "urls.py": "from django.urls import path\nfrom . import views\n\nurlpatterns = [path('series/<int:series_id>/', views.series)]\n",
            },
            line=3,
            path="views.py",
            severity=Severity.INFO,
        ),
        # filling in the page being answered is not a state change
        Bad("from fastapi import APIRouter, Depends\nrouter = APIRouter()\n\n@router.get('/recipes')\ndef recipes(q: PageQuery = Depends(PageQuery)):\n    page = catalogue.page_all(q)\n    page.set_pagination_guides('/recipes', q.dict())\n    return page\n", line=4, severity=Severity.INFO),
        # public instance information: the published contact address is not personal data
        Bad(
            "from flask import Flask, jsonify\napp = Flask(__name__)\n\n@app.get('/api/v1/instance')\ndef instance():\n    site = Site.query.first()\n    return jsonify({'title': site.name, 'email': site.admin_email})\n",
            line=4,
            severity=Severity.INFO,
        ),
        # an anonymous form submission (an invite request) on an HTML page
        Bad(
            {
                "views.py": "from django.template.response import TemplateResponse\nfrom django.views import View\nfrom . import forms\n\nclass InviteRequest(View):\n    def post(self, request):\n        form = forms.InviteRequestForm(request.POST)\n        if form.is_valid():\n            form.save()\n        return TemplateResponse(request, 'landing.html', {'form': form})\n",
                "urls.py": "from django.urls import path\nfrom . import views\n\nurlpatterns = [path('invite-request/', views.InviteRequest.as_view())]\n",
            },
            line=6,
            path="views.py",
            severity=Severity.INFO,
        ),
        # a sign-in test that sends signed-in callers away guards nothing: anonymous callers do the work
        Bad(
            {
                "views.py": "from django.shortcuts import redirect\n\ndef claim_invite(request, code):\n    if request.user.is_authenticated:\n        return redirect('/')\n    Invite.objects.filter(code=code).update(used=True)\n    return redirect('signup')\n",
                "urls.py": "from django.urls import path\nfrom . import views\n\nurlpatterns = [path('invites/<str:code>/claim/', views.claim_invite)]\n",
            },
            line=3,
            path="views.py",
            severity=Severity.WARNING,
        ),
        # a webhook (raw JSON, a plain answer) is not a form submission: it stays a warning
        Bad(
            {
                "views.py": "import json\nfrom django.http import HttpResponse\nfrom django.views.decorators.csrf import csrf_exempt\n\n@csrf_exempt\ndef bot(request):\n    doc = json.loads(request.body.decode())\n    TelegramForm(doc).is_valid()\n    Message.objects.create(chat=doc['chat'], text=doc['text'])\n    return HttpResponse()\n",
                "urls.py": "from django.urls import path\nfrom . import views\n\nurlpatterns = [path('integrations/telegram/bot/', views.bot)]\n",
            },
            line=6,
            path="views.py",
            severity=Severity.WARNING,
        ),
        # handing the request to another view that changes data: judged by what that view does
        Bad(
            {
                "views.py": "from django.shortcuts import redirect\nfrom django.views import View\n\nclass Activate(View):\n    def get(self, request, code):\n        Account.objects.filter(code=code).update(active=True)\n        return redirect('home')\n\nclass ActivateForm(View):\n    def post(self, request):\n        return Activate().get(request, request.POST.get('code'))\n",
                "urls.py": "from django.urls import path\nfrom . import views\n\nurlpatterns = [path('activate/', views.ActivateForm.as_view())]\n",
            },
            line=10,
            path="views.py",
            severity=Severity.WARNING,
        ),
        # DRF's DEFAULT_PERMISSION_CLASSES guard DRF views only: a plain Django view in the same
        # urlconf as a DRF router is not a DRF view
        Bad(
            {
                "settings.py": "REST_FRAMEWORK = {'DEFAULT_PERMISSION_CLASSES': ['rest_framework.permissions.IsAuthenticated']}\n",
                "views.py": "from django.http import JsonResponse\n\ndef report(request, report_id):\n    r = Report.objects.get(pk=report_id)\n    return JsonResponse({'total': r.total, 'email': r.customer_email})\n",
                "urls.py": "from django.urls import include, path\nfrom rest_framework.routers import DefaultRouter\nfrom . import views, api\n\nrouter = DefaultRouter()\nrouter.register('orders', api.OrderViewSet)\n\nurlpatterns = [path('api/', include(router.urls)), path('reports/<int:report_id>/', views.report)]\n",
            },
            line=3,
            path="views.py",
            severity=Severity.WARNING,
        ),
    ]

    def judge(self, view: Any, project: Any) -> Iterable[Verdict]:
        from ...routes import judge

        if view.route.method in ("HEAD", "OPTIONS") or judge.is_public(view, project.config):
            return
        if view.route.extra.get("capability"):
            return  # the URL carries an unguessable id or a signed token: the link is the credential
        calls = view.body.calls
        if judge.AUTH_PATH.search(view.route.path) and any(c.rsplit(".", 1)[-1] in ("authenticate", "check_password", "login") for c in calls):
            return  # it checks credentials itself: a login/token endpoint
        tails = {c.rsplit(".", 1)[-1] for c in calls}
        if tails & {"authenticate", "check_password"} and tails & {"login", "login_user", "auth_login"}:
            return  # checks a password and signs the caller in: a login handler, whatever its path
        spoofed = [a.split(":", 1)[1] for a in view.auth if a.startswith("spoofable-header:")]
        if spoofed and len(spoofed) == len(view.auth):
            yield Verdict(view.route.line, {"header": spoofed[0]}, message=self.spoofed)
            return
        if view.auth:
            return
        if judge.registration(view):
            strong = bool(judge.REGISTRATION_NAME.match(view.route.handler.rsplit(".", 1)[-1])) or bool(REGISTER_SEGMENT.search(view.route.path))
            if strong or (view.body.password and any(ISSUES_TOKEN.search(c) for c in calls)):
                return  # `POST /users` by `register()`, or taking a password and issuing a token: public by nature
            yield Verdict(view.route.line, severity=Severity.INFO, message=self.registration_message)
            return
        if judge.anonymous_submission(view, self.index(project), project.config["routes.service-layers"]):
            yield Verdict(view.route.line, severity=Severity.INFO, message=self.submission_message)
            return
        service_layers = project.config["routes.service-layers"]
        if view.route.method == "GET" and view.adapter.is_page(view) and not judge.PRIVATE_PAGE.search(view.route.path):
            if not judge.mutations(view, service_layers, self.imports(project, view)) and not view.body.identity:
                return  # a page that shows nothing of the caller's (landing, pricing, docs): public by nature
        if judge.public_by_choice(view, self.index(project), service_layers, self.imports(project, view)):
            yield Verdict(view.route.line, severity=Severity.INFO, message=self.public_message)
            return
        yield Verdict(view.route.line)


class ObjectRouteWithoutOwnership(RouteCheck):
    """An object route (`/{id}`) loads the object by id with no ownership filter or permission check.

    Why it matters: an authenticated user who changes the id in the URL reaches other users'
    objects (insecure direct object reference, the most common API authorization bug). Filter the
    lookup by the caller (`owner=current_user`), check a permission on the object, or use DRF's
    `get_object()` with an object-level permission class.
    Known limits: a heuristic. It fires when the handler passes a path parameter to a load call
    (`session.get(Order, order_id)`, `Model.objects.get(pk=pk)`, `get_object_or_404`, `.filter_by`)
    and nothing in the handler refers to the caller (`current_user`, `request.user`, `owner`,
    `user_id` other than the path parameter) or calls a permission check, and no authorization
    guard (permission/role/scope/admin dependency or class) sits on the route; on DRF viewsets it
    fires on inherited update/destroy actions of a `queryset = ...all()` with no `get_queryset`
    and only generic permission classes. Reads (GET) are reported only when the handler receives
    the caller (a `current_user`-style parameter) and ignores it; objects shared within a tenant
    are otherwise common. An explicit comparison of the object's owner/project/team with the
    caller's (`if check.project_id != request.project.id: return 403`) counts as a check, and so
    do a check made one call away (a form's `save(request)` or a helper given the request, through
    project base classes, that denies or calls a check such as `raise_not_editable`) and, in a
    class-based controller, a load through `self.repo` when the class builds its repositories
    scoped to the caller (`AllRepositories(self.session, group_id=self.group_id)`), and so does a
    lookup given the caller parameter beside the id (`crud.get_project(db, project_id, me)`).
    Checks done in a service layer are not seen. Public routes, routes with no authentication at
    all (SEC-AUTHN reports them), capability URLs and dispatchers whose guarded delegates do the
    loading are not judged.
    """

    code = "BG241"
    name = "object-route-without-ownership-check"
    gate = "SEC-AUTHZ"
    severity = Severity.WARNING
    message = "{route} loads an object by {param} ({call}) with no ownership filter or permission check"
    fix = "filter by the caller (owner/user) or check a permission on the loaded object"
    per_handler = True
    good = [
        "from fastapi import APIRouter, Depends\nrouter = APIRouter()\n\n@router.get('/orders/{order_id}')\ndef get_order(order_id: int, user=Depends(current_user), db=Depends(get_db)):\n    return db.query(Order).filter_by(id=order_id, owner_id=user.id).first()\n",
        # an explicit ownership comparison after the load
        "from flask import Flask, abort\napp = Flask(__name__)\n\n@app.delete('/notes/<int:note_id>')\n@login_required\ndef delete_note(note_id):\n    note = Note.query.get_or_404(note_id)\n    if note.owner_id != current_user.id:\n        abort(404)\n    notes.remove(note)\n    return '', 204\n",
        # the check sits in the form's save(), inherited from a project base form (one level of delegation)
        {
            "forms.py": "from django import forms\nfrom django.core.exceptions import PermissionDenied\n\nclass OwnedForm(forms.ModelForm):\n    def save(self, request, *args, **kwargs):\n        if self.instance.owner != request.user:\n            raise PermissionDenied()\n        return super().save(*args, **kwargs)\n\nclass ShelfForm(OwnedForm):\n    class Meta:\n        fields = ['name']\n",
            "views.py": "from django.contrib.auth.decorators import login_required\nfrom django.shortcuts import get_object_or_404, redirect\nfrom . import forms\n\n@login_required\ndef rename_shelf(request, shelf_id):\n    shelf = get_object_or_404(Shelf, id=shelf_id)\n    form = forms.ShelfForm(request.POST, instance=shelf)\n    form.save(request)\n    return redirect('shelves')\n",
            "urls.py": "from django.urls import path\nfrom . import views\n\nurlpatterns = [path('shelves/<int:shelf_id>/rename/', views.rename_shelf)]\n",
        },
        # a helper given the request that refuses other users' objects
        {
            "helpers.py": "def archive(request, item):\n    ensure_can_edit(request.user, item)\n    item.archived = True\n    item.save()\n",
            "views.py": "from django.contrib.auth.decorators import login_required\nfrom django.shortcuts import get_object_or_404, redirect\nfrom django.views.decorators.http import require_POST\nfrom .helpers import archive\n\n@require_POST\n@login_required\ndef archive_item(request, item_id):\n    item = get_object_or_404(Item, id=item_id)\n    archive(request, item)\n    return redirect('items')\n",
            "urls.py": "from django.urls import path\nfrom . import views\n\nurlpatterns = [path('items/<int:item_id>/archive/', views.archive_item)]\n",
        },
        # the caller handed to the lookup beside the id
        "from fastapi import APIRouter, Security\nrouter = APIRouter()\n\n@router.get('/projects/{project_id}')\ndef get_project(project_id: int, db=Depends(get_db), me=Security(get_principal)):\n    return crud.get_project(db, project_id, me)\n",
        # a class-based controller whose repositories are built for the caller (`owner_id=self.user[...]`)
        "from fastapi import APIRouter, Depends\nfrom .controller import controller\nrouter = APIRouter(prefix='/notes')\n\nclass BaseController:\n    user: dict = Depends(get_current_user)\n    session: dict = Depends(get_session)\n\n    @property\n    def repos(self):\n        return Repositories(self.session, owner_id=self.user['id'])\n\n@controller(router)\nclass NotesController(BaseController):\n    @property\n    def repo(self):\n        return self.repos.notes\n\n    @router.put('/{note_id}')\n    def update_one(self, note_id: int, data: NoteIn):\n        note = self.repo.get_one(note_id)\n        note.text = data.text\n        return self.repo.update(note)\n",
    ]
    bad = [
        Bad(
            "from fastapi import APIRouter, Depends\nrouter = APIRouter()\n\n@router.get('/orders/{order_id}')\ndef get_order(order_id: int, user=Depends(current_user), db=Depends(get_db)):\n    return db.get(Order, order_id)\n", line=5,
        ),
        # the same controller with repositories that are not scoped to anyone
        Bad("from fastapi import APIRouter, Depends\nfrom .controller import controller\nrouter = APIRouter(prefix='/notes')\n\nclass BaseController:\n    user: dict = Depends(get_current_user)\n    session: dict = Depends(get_session)\n\n    @property\n    def repos(self):\n        return Repositories(self.session)\n\n@controller(router)\nclass NotesController(BaseController):\n    @property\n    def repo(self):\n        return self.repos.notes\n\n    @router.put('/{note_id}')\n    def update_one(self, note_id: int, data: NoteIn):\n        note = self.repo.get_one(note_id)\n        note.text = data.text\n        return self.repo.update(note)\n", line=20),
        # the form's save() is followed, and it checks nothing
        Bad(
            {
                "forms.py": "from django import forms\n\nclass StampedForm(forms.ModelForm):\n    def save(self, request, *args, **kwargs):\n        self.instance.edited_by = request.user\n        return super().save(*args, **kwargs)\n\nclass ShelfForm(StampedForm):\n    class Meta:\n        fields = ['name']\n",
                "views.py": "from django.contrib.auth.decorators import login_required\nfrom django.shortcuts import get_object_or_404, redirect\nfrom . import forms\n\n@login_required\ndef rename_shelf(request, shelf_id):\n    shelf = get_object_or_404(Shelf, id=shelf_id)\n    form = forms.ShelfForm(request.POST, instance=shelf)\n    form.save(request)\n    return redirect('shelves')\n",
                "urls.py": "from django.urls import path\nfrom . import views\n\nurlpatterns = [path('shelves/<int:shelf_id>/rename/', views.rename_shelf)]\n",
            },
            line=6,
            path="views.py",
        ),
    ]

    def judge(self, view: Any, project: Any) -> Iterable[tuple[int, dict[str, Any]]]:
        from ...routes import judge

        params = judge.path_params(view.route.path)
        if not params or judge.is_public(view, project.config) or view.route.extra.get("capability"):
            return
        if not view.auth:
            return  # no authentication at all: BG240 reports the route; ownership needs an identity first
        if any(a.startswith("delegates:") for a in view.auth):
            return  # a dispatcher: the guarded delegates load and check
        if any(AUTHZ_GUARD.search(g.rsplit(":", 1)[-1]) for g in view.auth):
            return  # an authorization guard on the route (permission, role, admin, scope) decides access
        if view.facts is None:
            yield from self._viewset(view, project, params)
            return
        body = view.body
        if body.auth or body.ownership:
            return  # an in-body check or an explicit ownership comparison (`obj.project_id != request.project.id`)
        identity = [n for n in body.identity + body.identity_kw if n not in params and n.split(".")[0] not in params and not n[:1].isupper()]
        if identity:
            return
        if any(PERMISSION_CALL.search(c.rsplit(".", 1)[-1]) for c in body.calls):
            return
        if self._checked_in_helper(view, project):
            return  # `form.save(request)` whose save() calls `raise_not_editable`: one level of delegation
        if view.route.method not in MUTATING and not self._unused_caller(view):
            return  # a read: flagged only when the handler has the caller at hand and ignores it
        callers = self._caller_params(view)
        for load in body.loads:
            used = [a for a in load.args if a in params]
            if used and callers.intersection(load.args):
                continue  # `crud.get_project(db, project_id, me)`: the caller goes with the id to the lookup
            if used and self._scoped_by_controller(view, project, load.call):
                continue  # `self.repo.get_one(item_id)` where the controller's repositories are the caller's
            if used:
                yield self.handler_line(view), {"param": used[0], "call": load.call}
                return

    def _scoped_by_controller(self, view: Any, project: Any, call: str) -> bool:
        """A load through the class-based view's own attribute (`self.repo.get_one(item_id)`) that
        the class builds scoped to the caller's tenant or owner (see `Index.scoped_attr`)."""
        parts = call.split(".")
        if len(parts) < 2 or parts[0] != "self":
            return False
        qual = view.route.handler[len(view.module) + 1 :] if view.module and view.route.handler.startswith(view.module + ".") else ""
        if "." not in qual:
            return False
        return self.index(project).scoped_attr(view.module, qual.rsplit(".", 1)[0], parts[1].removesuffix("()"))

    def _checked_in_helper(self, view: Any, project: Any) -> str:
        """The project method or function the handler hands the work to checks access: a method
        called on an object of a project class (`forms.ListForm(...).save(request)`, through its
        project bases) or a function given the request, that denies or calls a check."""
        index = self.index(project)
        body = view.body
        for cls, method in body.object_calls:
            found = index.checks_access(view.module, cls, method)
            if found:
                return found
        for name in body.delegates:
            found = index.checks_access(view.module, name)
            if found:
                return found
        return ""

    @staticmethod
    def _caller_params(view: Any) -> set[str]:
        """The handler's parameters that receive the caller (`me=Security(get_principal)`,
        `user: CurrentUser`, `current_user: User = Depends(...)`)."""
        return {p.name for p in view.params if CALLER_PARAM.search(p.name) or CALLER_PARAM.search(p.dep) or CALLER_PARAM.search(p.ann)}

    @classmethod
    def _unused_caller(cls, view: Any) -> bool:
        return bool(cls._caller_params(view))

    def _viewset(self, view: Any, project: Any, params: list[str]) -> Iterable[tuple[int, dict[str, Any]]]:
        if view.action not in ("update", "partial_update", "destroy") or view.class_info is None:
            return
        index = self.index(project)
        key = (view.module, view.route.handler.rsplit(".", 2)[-2])
        chain = index.class_chain(*key)
        if not chain:
            return
        if any("get_queryset" in info.get("methods", []) or "get_object" in info.get("methods", []) for _m, _n, info in chain):
            return
        if index.class_attr(*key, "queryset") is None:
            return
        perms = [g.split(":", 1)[1] for g in view.auth if g.startswith(("permission_classes:", "DEFAULT_PERMISSION_CLASSES:"))]
        if not perms or any(p not in GENERIC_PERMISSIONS for p in perms):
            return
        yield view.route.line, {"param": params[-1], "call": f"{view.action} on the whole queryset"}


class AllowAnyOnWrite(RouteCheck):
    """DRF `AllowAny` on a route that writes (POST/PUT/PATCH/DELETE).

    Why it matters: `AllowAny` switches off every permission check, including the project-wide
    `DEFAULT_PERMISSION_CLASSES`; on a write route it lets anonymous callers create, change or
    delete data.
    Known limits: routes on the public list (login, register, token, password reset) are allowed;
    a custom permission class that behaves like AllowAny is not recognised.
    """

    code = "BG242"
    name = "allow-any-on-write-route"
    gate = "SEC-AUTHZ"
    severity = Severity.ERROR
    message = "{route} writes but its permission classes include AllowAny; require authentication or a permission"
    fix = "replace AllowAny with IsAuthenticated or a specific permission class"
    good = [
        {
            "views.py": "from rest_framework.decorators import api_view, permission_classes\nfrom rest_framework.permissions import AllowAny\n\n@api_view(['GET'])\n@permission_classes([AllowAny])\ndef catalog(request):\n    return Response([])\n",
            "urls.py": "from django.urls import path\nfrom . import views\n\nurlpatterns = [path('catalog/', views.catalog)]\n",
        }
    ]
    bad = [
        Bad(
            {
                "views.py": "from rest_framework.decorators import api_view, permission_classes\nfrom rest_framework.permissions import AllowAny\n\n@api_view(['POST'])\n@permission_classes([AllowAny])\ndef create_order(request):\n    return Response({}, status=201)\n",
                "urls.py": "from django.urls import path\nfrom . import views\n\nurlpatterns = [path('orders/', views.create_order)]\n",
            },
            line=6,
            path="views.py",
        ),
    ]

    def judge(self, view: Any, project: Any) -> Iterable[tuple[int, dict[str, Any]]]:
        if not view.allow_any or view.route.method not in MUTATING or _config_public(view, project):
            return
        yield view.route.line, {}


def _config_public(view: Any, project: Any) -> bool:
    import fnmatch

    path = view.route.path
    return any(fnmatch.fnmatchcase(path, p) or fnmatch.fnmatchcase(path.rstrip("/") or "/", p) for p in project.config.public_routes)


class RawRequestWithoutSchema(RouteCheck):
    """A handler reads raw request data (body or query string) with no schema validation.

    Why it matters: `request.json[...]`, `request.get_json()`, `request.form`, `request.POST`,
    `request.data` or `await request.json()` used as is lets any shape and size of input reach the
    code (mass assignment, type confusion, injection). Parse it through a schema: pydantic,
    marshmallow/webargs, a DRF serializer, a Django form, or a project `parse`/`validate` function.
    Query-string fields are reported at info where reading them raw is a bug: a subscript
    (`request.GET["q"]`: a missing key answers 500, not 400) or a numeric/id field used as a string
    (`request.args.get("page")` with no `type=int`/`int(...)`); free-text fields are strings by
    nature.
    What counts as a schema is decided per framework (routes/adapters): FastAPI model parameters
    (not a parameter typed with a dependency alias such as `CurrentUser = Annotated[User,
    Depends(get_current_user)]`: that is the caller, not the body), APIFlask `@input`, webargs `@use_args`, connexion's spec validation, DRF serializers.
    Known limits: validation is recognised by call names (Schema, Serializer, Form, validate,
    parse, load, model_validate, `...In`/`...Create` classes); validation done in a called function
    with another name is not seen.
    """

    code = "BG243"
    name = "raw-request-body-without-schema"
    gate = "SEC-INPUT"
    severity = Severity.WARNING
    message = "{route} reads request.{read} without schema validation; parse it with a schema/serializer/form"
    query_message = "{route} uses query parameter(s) {fields} from request.{read} without conversion or validation; validate them (type=, a form or a schema)"
    fix = "validate the body with pydantic/marshmallow/a DRF serializer/a Django form before use"
    per_handler = True
    good = [
        "from flask import Flask, request\napp = Flask(__name__)\n\n@app.post('/notes')\n@login_required\ndef create():\n    note = NoteSchema().load(request.get_json())\n    return note, 201\n",
        "from flask import Flask, request\napp = Flask(__name__)\n\n@app.get('/notes')\n@login_required\ndef notes():\n    page = request.args.get('page', 1, type=int)\n    return {'page': page}\n",
        "from fastapi import APIRouter\nrouter = APIRouter()\n\n@router.post('/notes')\ndef create(note: NoteIn):\n    return store.add(note)\n",
    ]
    bad = [
        Bad("from flask import Flask, request\napp = Flask(__name__)\n\n@app.post('/notes')\n@login_required\ndef create():\n    data = request.get_json()\n    save(data['title'])\n    return data, 201\n", line=6),
        Bad("from flask import Flask, request\napp = Flask(__name__)\n\n@app.post('/notes')\n@login_required\ndef create():\n    note = Note(title=request.json['title'], body=request.json['body'])\n    return store.add(note), 201\n", line=6),
        # a Django function view answers POST too: a webhook reading the raw body
        Bad(
            {
                "views.py": "import json\nfrom django.http import HttpResponse\nfrom django.views.decorators.csrf import csrf_exempt\n\n@csrf_exempt\ndef stripe_hook(request):\n    payload = json.loads(request.body)\n    Event.objects.create(kind=payload['type'])\n    return HttpResponse(status=204)\n",
                "urls.py": "from django.urls import path\nfrom . import views\n\nurlpatterns = [path('hooks/stripe/', views.stripe_hook)]\n",
            },
            line=6,
            path="views.py",
        ),
        # a dependency alias (`CurrentUser = Annotated[User, Depends(...)]`) is the caller, not a body model
        Bad(
            "from typing import Annotated\nfrom fastapi import APIRouter, Depends, Request\nrouter = APIRouter()\nCurrentUser = Annotated[User, Depends(get_current_user)]\n\n@router.post('/notes')\nasync def create(request: Request, user: CurrentUser):\n    data = await request.json()\n    return await store.add(data, owner=user.id)\n",
            line=7,
        ),
        Bad(
            {
                "views.py": "from django.http import JsonResponse\nfrom django.contrib.auth.decorators import login_required\n\n@login_required\ndef search(request):\n    term = request.GET['q']\n    return JsonResponse({'hits': index.lookup(term)})\n",
                "urls.py": "from django.urls import path\nfrom . import views\n\nurlpatterns = [path('search/', views.search)]\n",
            },
            line=5,
            path="views.py",
        ),
    ]

    def judge(self, view: Any, project: Any) -> Iterable[Verdict]:
        adapter = view.adapter
        reads = adapter.body_reads(view)
        if reads and not adapter.validators(view):
            yield Verdict(self.handler_line(view), {"read": reads[0]})
            return
        fields = adapter.query_reads(view)
        if fields and not adapter.validators(view):
            attr = next((r for r in view.body.reads if r in ("args", "GET", "query_params", "query")), "args")
            names = list(dict.fromkeys(f.removesuffix("[]") for f in fields))
            shown = ", ".join(n for n in names[:3] if n != "*") or "(computed names)"
            yield Verdict(self.handler_line(view), {"read": attr, "fields": shown}, severity=Severity.INFO, message=self.query_message)


class UntypedBody(RouteCheck):
    """A FastAPI body parameter typed `dict` or `Any`.

    Why it matters: FastAPI validates bodies against their type; `dict`/`Any` accepts anything,
    so no field, type or size is checked and the OpenAPI spec documents nothing.
    Known limits: FastAPI only; `Dict[str, X]` with a model value type is still reported.
    """

    code = "BG244"
    name = "untyped-request-body"
    gate = "SEC-INPUT"
    severity = Severity.WARNING
    message = "{route} takes body `{param}` typed {ann}; declare a pydantic model instead"
    fix = "define a pydantic model for the body and use it as the parameter type"
    per_handler = True
    good = [
        "from fastapi import APIRouter\nfrom pydantic import BaseModel\nrouter = APIRouter()\n\nclass Refund(BaseModel):\n    reason: str\n\n@router.post('/refunds')\ndef refund(payload: Refund):\n    return {}\n",
    ]
    bad = [
        Bad("from fastapi import APIRouter\nrouter = APIRouter()\n\n@router.post('/refunds')\ndef refund(payload: dict):\n    return {}\n", line=5),
    ]

    def judge(self, view: Any, project: Any) -> Iterable[tuple[int, dict[str, Any]]]:
        if view.route.framework != "fastapi" or view.facts is None:
            return
        for param in view.params:
            ann = param.ann.rsplit(".", 1)[-1]
            if ann not in ("dict", "Dict", "Any", "object", "Json"):
                continue
            default = param.default
            if param.dep or default in ("Query", "Path", "Header", "Cookie", "Depends", "Security", "Form", "File"):
                continue
            if view.route.method == "GET" and default != "Body":
                continue
            yield self.handler_line(view), {"param": param.name, "ann": ann}
            return


class MutationWithoutAudit(RouteCheck):
    """A mutating route or auth event with no logging or audit call and no change-log framework.

    Why it matters: without an audit trail of who changed what (and of logins, logouts and token
    grants) incidents cannot be investigated and compliance requirements are not met.
    A route counts as mutating when its handler writes (ORM/SQL writes, or calls named like a change:
    `delete_order(...)`, `form.save()`); a POST that only renders a preview changes nothing.
    An audit trail outside the handler is recognised per framework (routes/adapters): Django model
    signal receivers that record changes (e.g. an `ObjectChange` written on `post_save`),
    django-simple-history `HistoricalRecords()`, django-auditlog / django-reversion registrations,
    change-logging base classes, model `save()` overrides that log.
    Known limits: recognises `log.*`/`logger.*`/`logging.*`/`structlog` calls, anything named
    `audit*`, and `routes.audit-calls`; handlers that delegate to a service layer
    (`routes.service-layers`) are assumed to audit there; inherited DRF actions are not judged.
    """

    code = "BG245"
    name = "mutation-without-audit-log"
    gate = "SEC-AUDIT"
    severity = Severity.WARNING
    message = "{route} {what} but its handler logs nothing; add an audit log call (who, what, which object)"
    fix = "log the actor, action and object id (e.g. log.info('audit: order %s refunded by %s', ...))"
    per_handler = True
    good = [
        "import logging\nfrom fastapi import APIRouter\nrouter = APIRouter()\nlog = logging.getLogger(__name__)\n\n@router.delete('/orders/{order_id}')\ndef delete_order(order_id: int, user=Depends(current_user)):\n    store.remove_order(order_id, owner=user.id)\n    log.info('audit: order %s deleted by %s', order_id, user.id)\n    return None\n",
        # a test delivery scheduled in the background changes nothing
        "from fastapi import APIRouter, BackgroundTasks, Depends\nrouter = APIRouter()\n\n@router.post('/webhooks/{hook_id}/test')\ndef test_hook(hook_id: int, tasks: BackgroundTasks, user=Depends(current_user)):\n    hook = hooks.get_one(hook_id, owner=user.id)\n    tasks.add_task(deliver, hook, 'test')\n",
        # a preview: renders, changes nothing
        "from flask import Flask, request, render_template\napp = Flask(__name__)\n\n@app.post('/posts/preview')\n@login_required\ndef preview():\n    return render_template('preview.html', html=markdown(request.form['text']))\n",
        # changes recorded by a model signal receiver (change-log framework)
        {
            "signals.py": "from django.db.models.signals import post_save\nfrom django.dispatch import receiver\n\n@receiver(post_save)\ndef record_change(sender, instance, created, **kwargs):\n    ChangeRecord.objects.create(obj=repr(instance), action='create' if created else 'update')\n",
            "views.py": "from django.contrib.auth.decorators import login_required\nfrom django.shortcuts import redirect\n\n@login_required\ndef rename(request, pk):\n    Widget.objects.filter(pk=pk).update(name=request.POST['name'])\n    return redirect('widgets')\n",
            "urls.py": "from django.urls import path\nfrom . import views\n\nurlpatterns = [path('widgets/<int:pk>/rename/', views.rename)]\n",
        },
        # django-simple-history on the model the view changes
        {
            "models.py": "from django.db import models\nfrom simple_history.models import HistoricalRecords\n\nclass Invoice(models.Model):\n    total = models.IntegerField()\n    history = HistoricalRecords()\n",
            "views.py": "from django.contrib.auth.decorators import login_required\nfrom django.http import JsonResponse\nfrom .models import Invoice\n\n@login_required\ndef void(request, pk):\n    Invoice.objects.filter(pk=pk).delete()\n    return JsonResponse({})\n",
            "urls.py": "from django.urls import path\nfrom . import views\n\nurlpatterns = [path('invoices/<int:pk>/void/', views.void)]\n",
        },
    ]
    bad = [
        Bad("from fastapi import APIRouter\nrouter = APIRouter()\n\n@router.delete('/orders/{order_id}')\ndef delete_order(order_id: int, user=Depends(current_user)):\n    store.remove_order(order_id, owner=user.id)\n    return None\n", line=5),
        # history on another model does not cover this one
        Bad(
            {
                "models.py": "from django.db import models\nfrom simple_history.models import HistoricalRecords\n\nclass Invoice(models.Model):\n    history = HistoricalRecords()\n\nclass Coupon(models.Model):\n    code = models.CharField(max_length=20)\n",
                "views.py": "from django.contrib.auth.decorators import login_required\nfrom django.http import JsonResponse\nfrom .models import Coupon\n\n@login_required\ndef drop(request, pk):\n    Coupon.objects.filter(pk=pk).delete()\n    return JsonResponse({})\n",
                "urls.py": "from django.urls import path\nfrom . import views\n\nurlpatterns = [path('coupons/<int:pk>/drop/', views.drop)]\n",
            },
            line=6,
            path="views.py",
        ),
    ]

    def judge(self, view: Any, project: Any) -> Iterable[Verdict]:
        from ...routes import judge

        if view.facts is None:
            return
        config = project.config
        imports = self.imports(project, view)
        auth_event = bool(judge.AUTH_PATH.search(view.route.path)) and view.route.method != "GET" and not view.auth
        if view.route.method not in MUTATING and not auth_event:
            return
        if auth_event:
            if not judge.does_something(view):
                return
        elif not judge.mutations(view, config["routes.service-layers"], imports):
            return  # a preview or a read over POST changes nothing
        if judge.log_calls(view, config["routes.audit-calls"]):
            return
        if judge.delegates(view, config["routes.service-layers"], imports):
            return
        if view.adapter.audit_trail(view, self.index(project)):
            return
        what = "is an authentication event" if auth_event else "changes data"
        yield Verdict(self.handler_line(view), {"what": what})
