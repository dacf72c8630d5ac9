"""API-REST, API-STATUS, API-NAMING, API-VERSION and API-RATE on the route table."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any, Iterable

from ...model import Finding, Location, Severity
from ..base import Bad
from ._routes import RouteCheck, Verdict
from ...patterns import lazy

CRUD_VERBS = frozenset(
    {"get", "fetch", "retrieve", "read", "list", "create", "add", "insert", "update", "edit", "modify", "set", "save", "delete", "remove", "destroy", "put", "post", "patch"}
)

LOGOUT = lazy(r"(^|/)(logout|log-out|signout|sign-out|sign_out)(/|$)", re.I)
# an in-body check of a credential the request carries (a reset token, a signature): what is guessed here
CREDENTIAL_CHECK = lazy(r"^in-body:(compare:|except:|.*(unsign|signature|sig|hmac|token|webhook|compare_digest|constant_time_compare)\w*\(\)$)", re.I)
OPEN_PERMISSIONS = frozenset({"AllowAny", "IsAuthenticatedOrReadOnly"})
FASTAPI_APP = "from fastapi import FastAPI\napp = FastAPI()\n\n"


class VerbInPath(RouteCheck):
    """A path segment is a CRUD verb (`/getUsers`, `/orders/create`, `/delete-item`).

    Why it matters: in a REST API the method says what happens and the path names the resource;
    verbs in paths duplicate the method, make the API inconsistent and hide what clients can do.
    Known limits: only CRUD verbs (get, list, create, add, update, edit, set, save, delete,
    remove, ...) are reported; domain actions on a resource (`/orders/{id}/refund`, `/publish`)
    are accepted as controller resources; handlers that render HTML (and plain Django views that
    do not answer JSON) are pages, not REST resources, and are not judged.
    """

    code = "BG100"
    name = "verb-in-path"
    gate = "API-REST"
    severity = Severity.WARNING
    message = "{route}: path segment '{segment}' is a verb; name the resource and let the method say the action"
    fix = "e.g. `GET /users` instead of `GET /getUsers`, `POST /orders` instead of `POST /orders/create`"
    good = [
        FASTAPI_APP + "@app.get('/users')\ndef users():\n    return []\n",
        {
            "views.py": "from django.shortcuts import render\n\ndef edit_profile(request):\n    return render(request, 'edit.html')\n",
            "urls.py": "from django.urls import path\nfrom . import views\n\nurlpatterns = [path('profile/edit/', views.edit_profile)]\n",
        },
        # a Django generic view is a page even in a module that also holds DRF views
        {
            "views.py": "from django.views.generic import UpdateView\nfrom rest_framework import viewsets\n\nclass PostUpdate(UpdateView):\n    model = Post\n    fields = ['title']\n\nclass PostViewSet(viewsets.ModelViewSet):\n    queryset = Post.objects.all()\n",
            "urls.py": "from django.urls import path\nfrom . import views\n\nurlpatterns = [path('posts/<int:pk>/edit/', views.PostUpdate.as_view())]\n",
        },
    ]
    bad = [
        Bad(FASTAPI_APP + "@app.get('/getUsers')\ndef users():\n    return []\n", line=4),
        # a plain Django view answering JSON is an API resource
        Bad(
            {
                "views.py": "from django.http import JsonResponse\n\ndef list_orders(request):\n    return JsonResponse({'orders': []})\n",
                "urls.py": "from django.urls import path\nfrom . import views\n\nurlpatterns = [path('api/getOrders/', views.list_orders)]\n",
            },
            line=3,
            path="views.py",
        ),
    ]

    def judge(self, view: Any, project: Any) -> Iterable[tuple[int, dict[str, Any]]]:
        from ...routes import judge

        if view.adapter.is_page(view):
            return  # HTML views (Django /add/, /edit/ forms) are pages, not REST resources
        for segment in judge.static_segments(view.route.path):
            words = judge.words(segment)
            if words and words[0] in CRUD_VERBS:
                yield view.route.line, {"segment": segment}
                return


class GetHandlerWrites(RouteCheck):
    """A `GET` route whose handler writes (session.add/commit, `.save()`, `.delete()`, INSERT/UPDATE/DELETE).

    Why it matters: GET must be safe: crawlers, prefetchers, caches and retries call it freely,
    and CSRF protection usually skips it. State changes belong in POST/PUT/PATCH/DELETE.
    Not reported: OAuth callbacks (the provider redirects with GET `code` and `state`) and
    capability links (ping/unsubscribe URLs carrying an unguessable id) that are GET by design.
    Reported at info: a read-through cache, where the handler looks the record up first, answers
    from it when found and stores it only when missing (`if thumb := Thumbnail.objects.filter(...)
    .first(): return ...`, then `Thumbnail(...).save()`): the same GET gives the same answer, and the
    write only saves work for the next one. A row recorded the first time something is seen (an
    "opened" tracking row) is a side effect and stays a warning.
    Known limits: writes are recognised in the handler body only (not in called services).
    """

    code = "BG101"
    name = "get-handler-writes"
    gate = "API-REST"
    severity = Severity.WARNING
    message = "{route} changes state ({call}); GET must be safe: use POST/PUT/PATCH/DELETE"
    fix = "move the write to a POST/PUT/PATCH/DELETE route"
    cache_message = "{route} stores a {model} the first time it is asked for (a read-through cache, {call}); fine if computing it again gives the same record"
    per_handler = True
    good = [
        FASTAPI_APP + "@app.get('/orders')\ndef orders(db=Depends(get_db)):\n    return db.query(Order).all()\n",
        # a Django function view (Django routes every method to it) that acts on a posted body: a webhook
        {
            "views.py": "import json\nfrom django.http import HttpResponse\nfrom django.views.decorators.csrf import csrf_exempt\n\n@csrf_exempt\ndef bounces(request):\n    event = json.loads(request.body)\n    Delivery.objects.filter(ref=event['id']).update(bounced=True)\n    return HttpResponse('OK')\n",
            "urls.py": "from django.urls import path\nfrom . import views\n\nurlpatterns = [path('hooks/bounces/', views.bounces)]\n",
        },
    ]
    bad = [
        Bad(FASTAPI_APP + "@app.get('/orders/{order_id}/seen')\ndef seen(order_id: int, db=Depends(get_db)):\n    db.query(Order).filter_by(id=order_id).update({'seen': True})\n    db.commit()\n    return {}\n", line=5),
        # a read-through cache: looked up first, stored only when missing (info)
        Bad(
            {
                "views.py": "from django.http import HttpResponseRedirect\n\ndef thumbnail(request, image_id, size):\n    if thumb := Thumbnail.objects.filter(image_id=image_id, size=size).first():\n        return HttpResponseRedirect(thumb.url)\n    thumb = Thumbnail(image_id=image_id, size=size, data=render(image_id, size))\n    thumb.save()\n    return HttpResponseRedirect(thumb.url)\n",
                "urls.py": "from django.urls import path\nfrom . import views\n\nurlpatterns = [path('thumbnail/<int:image_id>/<int:size>/', views.thumbnail)]\n",
            },
            line=3,
            path="views.py",
            severity=Severity.INFO,
        ),
        # a row recorded the first time a user opens something: the lookup only guards the insert
        Bad(
            "from flask import Flask, session\napp = Flask(__name__)\n\n@app.get('/challenges/<int:challenge_id>')\ndef challenge(challenge_id):\n    chal = Challenge.query.get_or_404(challenge_id)\n    if Tracking.query.filter_by(user_id=session['id'], target=challenge_id).first() is None:\n        db.session.add(Tracking(user_id=session['id'], target=challenge_id))\n        db.session.commit()\n    return {'name': chal.name}\n",
            line=5,
            severity=Severity.WARNING,
        ),
        # reading one model and writing another is a side effect, not a cache
        Bad(
            {
                "views.py": "from django.http import JsonResponse\n\ndef challenge(request, challenge_id):\n    chal = Challenge.objects.filter(id=challenge_id).first()\n    Tracking(challenge=chal, user=request.user).save()\n    return JsonResponse({'name': chal.name})\n",
                "urls.py": "from django.urls import path\nfrom . import views\n\nurlpatterns = [path('challenges/<int:challenge_id>/', views.challenge)]\n",
            },
            line=3,
            path="views.py",
            severity=Severity.WARNING,
        ),
    ]

    def judge(self, view: Any, project: Any) -> Iterable[Verdict]:
        from ...routes import judge

        if view.route.method != "GET" or view.facts is None:
            return
        if "POST" in view.body.methods:
            return  # a Django view that branches on request.method
        if view.route.framework == "django" and judge.body_reads(view):
            return  # a function view that acts on a submitted body (a webhook, a form post): Django also routes GET to it
        if view.route.extra.get("capability"):
            return  # a ping/unsubscribe link: GET by design (curl, mail clients), the URL is the credential
        query = {q.removesuffix("[]") for q in view.body.query}
        if {"code", "state"} <= query or {"oauth_token", "oauth_verifier"} <= query:
            return  # an OAuth callback: the provider redirects with GET
        found = judge.writes(view, project.config["routes.service-layers"], self.imports(project, view))
        if not found:
            return
        cached = _read_through(view)
        if cached:
            yield Verdict(self.handler_line(view), {"call": found[0], "model": cached}, severity=Severity.INFO, message=self.cache_message)
            return
        yield Verdict(self.handler_line(view), {"call": found[0]})


class PostForPlainRead(RouteCheck):
    """A `POST` route whose handler only reads.

    Why it matters: reads over POST cannot be cached, bookmarked or retried safely and hide the
    API's shape; use GET with query parameters.
    Known limits: judged from the handler body: database reads and no writes, no service calls,
    no request body read. Search endpoints with large filter bodies are legitimate; that is why
    this check reports at info.
    """

    code = "BG102"
    name = "post-for-plain-read"
    gate = "API-REST"
    severity = Severity.INFO
    message = "{route} only reads ({call}); use GET for reads"
    fix = "expose the read as GET with query parameters"
    per_handler = True
    good = [FASTAPI_APP + "@app.post('/orders')\ndef create(db=Depends(get_db)):\n    db.add(Order())\n    db.commit()\n    return {}\n"]
    bad = [Bad(FASTAPI_APP + "@app.post('/orders/report')\ndef report(db=Depends(get_db)):\n    return db.query(Order).all()\n", line=5)]

    def judge(self, view: Any, project: Any) -> Iterable[tuple[int, dict[str, Any]]]:
        from ...routes import judge

        if view.route.method != "POST" or view.facts is None:
            return
        layers = project.config["routes.service-layers"]
        db = judge.db_calls(view, layers, self.imports(project, view))
        if not db or judge.mutations(view, layers, self.imports(project, view)) or judge.body_reads(view) or judge.delegates(view, layers, self.imports(project, view)):
            return
        if judge.AUTH_PATH.search(view.route.path):
            return
        if any(p.ann[:1].isupper() and not p.dep and p.ann not in ("Session", "Request") for p in view.params):
            return  # a body model: parameters for the read (search)
        yield self.handler_line(view), {"call": db[0]}


class CreateReturns200(RouteCheck):
    """A create route (`POST` that inserts) answers 200 instead of 201.

    Why it matters: 201 Created (with the new resource or its location) tells clients and caches
    that something was created; 200 hides it and breaks generated clients' expectations.
    Only API routes are judged: an HTML form post answers with a page or a redirect (a plain Django
    view that does not answer JSON, a handler that renders or redirects, through a project helper
    such as `redirect_to_referer(...)` too), and its status code is no client's contract.
    Known limits: inserts are recognised in the handler (session.add, `.objects.create`,
    `.save()`, INSERT, `create*` calls into a service layer).
    """

    code = "BG103"
    name = "create-returns-200"
    gate = "API-STATUS"
    severity = Severity.WARNING
    message = "{route} creates a resource ({call}) but answers 200; return 201 Created"
    fix = "set status_code=201 (FastAPI), return (body, 201) (Flask), status=201 (Django/DRF)"
    per_handler = True
    good = [
        FASTAPI_APP + "@app.post('/orders', status_code=201)\ndef create(db=Depends(get_db)):\n    db.add(Order())\n    db.commit()\n    return {}\n",
        # an HTML form post answered with a redirect through a project helper: a page, not an API
        {
            "helpers.py": "from django.shortcuts import redirect\n\ndef redirect_to_referer(request, fallback):\n    return redirect(request.META.get('HTTP_REFERER') or fallback)\n",
            "views.py": "from django.contrib.auth.decorators import login_required\nfrom django.views.decorators.http import require_POST\nfrom .helpers import redirect_to_referer\n\n@require_POST\n@login_required\ndef shelve(request):\n    ShelfBook.objects.create(book_id=request.POST['book'], user=request.user)\n    return redirect_to_referer(request, 'shelves')\n",
            "urls.py": "from django.urls import path\nfrom . import views\n\nurlpatterns = [path('shelve/', views.shelve)]\n",
        },
        # an action on a loaded object: the refusal built on the way is a response, not a new record
        {
            "views.py": "from django.http import HttpResponseForbidden, JsonResponse\nfrom django.shortcuts import get_object_or_404\nfrom django.views.decorators.http import require_POST\n\n@require_POST\ndef pause(request, code):\n    check = get_object_or_404(Check, code=code)\n    if check.project_id != request.project.id:\n        return HttpResponseForbidden()\n    check.status = 'paused'\n    check.save()\n    return JsonResponse(check.to_dict())\n",
            "urls.py": "from django.urls import path\nfrom . import views\n\nurlpatterns = [path('api/v1/checks/<uuid:code>/pause', views.pause)]\n",
        },
    ]
    bad = [
        Bad(FASTAPI_APP + "@app.post('/orders')\ndef create(db=Depends(get_db)):\n    db.add(Order())\n    db.commit()\n    return {}\n", line=5),
        # a Django view answering JSON is an API route, whatever redirects it has elsewhere
        Bad(
            {
                "views.py": "from django.http import JsonResponse\nfrom django.views.decorators.http import require_POST\n\n@require_POST\ndef add_tag(request):\n    tag = Tag.objects.create(name=request.POST['name'])\n    return JsonResponse({'id': tag.id})\n",
                "urls.py": "from django.urls import path\nfrom . import views\n\nurlpatterns = [path('api/tags/', views.add_tag)]\n",
            },
            line=5,
            path="views.py",
        ),
        # the insert is raw SQL
        Bad(FASTAPI_APP + "@app.post('/orders')\ndef create(item: str, db=Depends(get_db)):\n    db.execute(text('INSERT INTO orders (item) VALUES (:item)'), {'item': item})\n    return {'ok': True}\n", line=5),
    ]

    def judge(self, view: Any, project: Any) -> Iterable[tuple[int, dict[str, Any]]]:
        from ...routes import judge

        if view.route.method != "POST" or view.facts is None or judge.AUTH_PATH.search(view.route.path):
            return
        if view.adapter.is_page(view):
            return  # an HTML form post (answered with a page or a redirect): status codes are the API's contract
        layers = project.config["routes.service-layers"]
        created = judge.inserts(view, layers, self.imports(project, view))
        if not created:
            created = [c for c in judge.service_calls(view, layers, self.imports(project, view)) if c.rsplit(".", 1)[-1].startswith(("create", "insert", "register"))]
        if not created:
            return
        declared = judge.declared_status(view)
        if declared is not None and declared != 200:
            return
        rets = judge.returns(view)
        if any(r.kind in judge.HTML_RETURNS for r in rets):
            return
        if any(r.status not in (None, 200) for r in rets):
            return
        yield self.handler_line(view), {"call": created[0]}


class ErrorWith2xx(RouteCheck):
    """An error payload (`{"error": ...}`) returned with a 2xx status.

    Why it matters: clients, monitoring and retries read the status code; an error answered with
    200 is counted as success and its body is parsed as data.
    Known limits: recognises dict literals with an `error`/`errors` key returned directly or
    through jsonify/JSONResponse/Response/JsonResponse without a 4xx/5xx status.
    """

    code = "BG104"
    name = "error-payload-with-2xx"
    gate = "API-STATUS"
    severity = Severity.WARNING
    message = "{route} returns an error payload with status {status}; use a 4xx/5xx status"
    fix = "raise HTTPException(404) / return (body, 404) / Response(body, status=404)"
    per_handler = True
    good = [FASTAPI_APP + "@app.get('/items/{item_id}')\ndef item(item_id: int):\n    raise HTTPException(status_code=404, detail='not found')\n"]
    bad = [Bad(FASTAPI_APP + "@app.get('/items/{item_id}')\ndef item(item_id: int):\n    return {'error': 'not found'}\n", line=5)]

    def judge(self, view: Any, project: Any) -> Iterable[tuple[int, dict[str, Any]]]:
        from ...routes import judge

        declared = judge.declared_status(view) or 200
        for ret in judge.returns(view):
            if not ret.error:
                continue
            status = ret.status or declared
            if status == -1:
                continue  # status computed at run time
            if 200 <= status < 300:
                yield self.handler_line(view), {"status": status}
                return


def _style(segment: str) -> str | None:
    if "-" in segment:
        return "kebab-case"
    if "_" in segment:
        return "snake_case"
    if re.search(r"[a-z][A-Z]", segment):
        return "camelCase"
    return None


class MixedCaseStyles(RouteCheck):
    """Path segments mix case styles (kebab-case, snake_case, camelCase) across the API.

    Why it matters: one naming convention makes an API guessable; mixed styles read as several
    APIs glued together and lead to client bugs.
    Known limits: judged over the whole route table; the style most routes use wins and the others
    are reported; single-word segments have no style and are never reported.
    """

    code = "BG105"
    name = "mixed-path-case-styles"
    gate = "API-NAMING"
    severity = Severity.WARNING
    message = "{route}: segment '{segment}' is {style}, most paths use {dominant}"
    fix = "rename the segment to the dominant style (kebab-case is the most common for URLs)"
    good = [FASTAPI_APP + "@app.get('/order-items')\ndef a():\n    return []\n\n@app.get('/user-profiles')\ndef b():\n    return []\n"]
    bad = [Bad(FASTAPI_APP + "@app.get('/order-items')\ndef a():\n    return []\n\n@app.get('/gift-cards')\ndef c():\n    return []\n\n@app.get('/user_profiles')\ndef b():\n    return []\n", line=12)]

    def run(self, project: Any) -> list[Finding]:
        from ...routes import judge

        views = [v for v in self.views(project) if not v.adapter.is_page(v)]  # REST naming applies to the API, not HTML pages
        styles: Counter[str] = Counter()
        per_path: dict[str, list[tuple[str, str]]] = {}
        for view in views:
            if view.route.path in per_path:
                continue
            found = []
            for segment in judge.static_segments(view.route.path):
                style = _style(segment)
                if style:
                    found.append((segment, style))
            per_path[view.route.path] = found
            for style in {s for _seg, s in found}:
                styles[style] += 1
        if len(styles) < 2:
            return []
        dominant, _count = styles.most_common(1)[0]
        out: list[Finding] = []
        done: set[str] = set()
        for view in views:
            path = view.route.path
            if path in done:
                continue
            for segment, style in per_path.get(path, []):
                if style != dominant:
                    done.add(path)
                    out.append(self._finding(view, segment=segment, style=style, dominant=dominant))
                    break
        return out

    def _finding(self, view: Any, **fmt: Any) -> Finding:
        return self.make_finding(Location(view.route.file, view.route.line, 1), extra={"route": view.route.path}, route=view.route.label, **fmt)


FIXED_PATH = lazy(r"(^|/)(\.well-known|static|media|assets|favicon\.ico|robots\.txt|sitemap[^/]*)(/|$)")
FILE_LIKE = lazy(r"\.(\{[^}]*\}|[A-Za-z0-9]{2,5})$")
FILE_PARAM = lazy(r"\{(path|filename|file_path|filepath|file|name|resource|rest|subpath|url)\}$")


def _slash_exempt(path: str) -> bool:
    """Paths whose form is fixed by what they serve, not by API style: files (`/contact.vcf`,
    `/badge/{key}.{fmt}`), file-serving catch-alls (`/media/{path}`), RFC-fixed names
    (`/.well-known/jwks.json`), static assets, and patterns left unresolved (`?`)."""
    return bool(FIXED_PATH.search(path) or FILE_LIKE.search(path) or FILE_PARAM.search(path) or "?" in path)


class TrailingSlashInconsistent(RouteCheck):
    """Some paths end with `/` and others do not.

    Why it matters: `/orders/` and `/orders` are different URLs; mixing both means redirects (that
    drop POST bodies and auth headers on some clients) or 404s depending on the route.
    Known limits: the majority style wins and the others are reported, once per handler with the
    number of its paths; the root `/` and paths whose form is fixed by what they serve (files with
    an extension, `/media/{path}`, `/static/...`, `/.well-known/...`) are not judged.
    """

    code = "BG106"
    name = "trailing-slash-inconsistent"
    gate = "API-NAMING"
    severity = Severity.WARNING
    message = "{route} {has} trailing slash but {count} of {total} paths {other}"
    fix = "pick one style for every path (FastAPI: avoid `@router.get('/')` under a prefix; use '')"
    good = [
        FASTAPI_APP + "@app.get('/orders')\ndef a():\n    return []\n\n@app.get('/users')\ndef b():\n    return []\n",
        # files and RFC-fixed names keep their own form
        FASTAPI_APP + "@app.get('/orders/')\ndef a():\n    return []\n\n@app.get('/users/')\ndef b():\n    return []\n\n@app.get('/.well-known/jwks.json')\ndef c():\n    return {}\n\n@app.get('/media/{path}')\ndef d(path: str):\n    return path\n",
    ]
    bad = [Bad(FASTAPI_APP + "@app.get('/orders')\ndef a():\n    return []\n\n@app.get('/users')\ndef b():\n    return []\n\n@app.get('/items/')\ndef c():\n    return []\n", line=12)]

    def run(self, project: Any) -> list[Finding]:
        views = [v for v in self.views(project) if v.route.path != "/" and not _slash_exempt(v.route.path) and not v.adapter.is_page(v)]
        paths = {v.route.path for v in views}
        with_slash = {p for p in paths if p.endswith("/")}
        without = paths - with_slash
        if not with_slash or not without:
            return []
        minority_slash = len(with_slash) <= len(without)
        minority = with_slash if minority_slash else without
        by_place: dict[tuple[str, int], list[Any]] = {}
        for view in views:
            if view.route.path in minority:
                by_place.setdefault((view.route.file, view.route.line), []).append(view)
        out: list[Finding] = []
        for (file, line), group in by_place.items():
            labels = list(dict.fromkeys(v.route.label for v in group))
            route = labels[0] if len(labels) == 1 else f"{labels[0]} (and {len(labels) - 1} more path(s) of this handler)"
            out.append(
                self.make_finding(
                    Location(file, line, 1),
                    extra={"route": group[0].route.path, "routes": len(labels)},
                    route=route,
                    has="has a" if minority_slash else "has no",
                    count=len(paths) - len(minority),
                    total=len(paths),
                    other="do not" if minority_slash else "do",
                )
            )
        return out


def _read_through(view: Any) -> str:
    """The model a GET handler looks up and answers from when found (`if thumb :=
    Thumbnail.objects.filter(...).first(): return ...`), and otherwise creates (`Thumbnail(...)`,
    `Thumbnail.objects.create(...)`): a read-through cache ('' when not). Recording a row the first
    time something happens (a lookup that only decides whether to insert) is not a cache."""
    calls = view.body.calls
    read = set(view.body.served_lookups)  # looked up, and answered from when found
    built = {c for c in calls if "." not in c and c[:1].isupper()}
    built |= {c.split(".", 1)[0] for c in calls if c.endswith((".objects.create", ".objects.get_or_create"))}
    both = sorted(read & built)
    return both[0] if both else ""


def _plural(word: str) -> set[str]:
    out = {word + "s", word + "es"}
    if word.endswith("y"):
        out.add(word[:-1] + "ies")
    return out


class SingularPluralMix(RouteCheck):
    """A collection is addressed by a singular name while its plural is used elsewhere.

    Why it matters: `/users` and `/user/{id}` for the same collection (or `GET /orders` with
    `POST /order`) make clients guess; REST style uses the plural collection name for the list,
    its items and creating in it.
    Known limits: reported when a singular segment is followed by a path parameter
    (`/user/{id}`), or is the last segment of a `POST` (a create), and the plural form is used
    under the same parent path; singleton resources read with GET (`/user` for the current user)
    are fine. The plural must name a collection (listed with GET, or followed by an id): `POST
    /parser/ingredient` next to `POST /parser/ingredients` is an operation on one and on many, not a
    collection named twice.
    """

    code = "BG107"
    name = "singular-plural-collection-mix"
    gate = "API-NAMING"
    severity = Severity.WARNING
    message = "{route}: '{segment}' is singular but the API also uses '{plural}' for this collection"
    fix = "use the plural collection name for both the list and its items"
    good = [
        FASTAPI_APP + "@app.get('/users')\ndef a():\n    return []\n\n@app.get('/users/{user_id}')\ndef b(user_id: int):\n    return {}\n",
        FASTAPI_APP + "@app.get('/users')\ndef a():\n    return []\n\n@app.get('/user')\ndef me():\n    return {}\n",
        # operations on one and on many (no collection of either name)
        FASTAPI_APP + "@app.post('/parser/ingredient')\ndef one(item: str):\n    return {}\n\n@app.post('/parser/ingredients')\ndef many(items: list[str]):\n    return []\n",
        # HTML pages of a Django site (`/book/<id>/` next to `/books/`): URL design, not a REST API
        {
            "views.py": "from django.template.response import TemplateResponse\n\ndef books(request):\n    return TemplateResponse(request, 'books.html', {})\n\ndef book(request, book_id):\n    return TemplateResponse(request, 'book.html', {})\n",
            "urls.py": "from django.urls import path\nfrom . import views\n\nurlpatterns = [path('books/', views.books), path('book/<int:book_id>/', views.book)]\n",
        },
    ]
    bad = [
        Bad(FASTAPI_APP + "@app.get('/users')\ndef a():\n    return []\n\n@app.get('/user/{user_id}')\ndef b(user_id: int):\n    return {}\n", line=8),
        Bad(FASTAPI_APP + "@app.get('/orders')\ndef a():\n    return []\n\n@app.post('/order')\ndef b():\n    return {}\n", line=8),
        # the plural collection has items; the singular create is the odd one out
        Bad(FASTAPI_APP + "@app.delete('/orders/{order_id}')\ndef a(order_id: int):\n    return None\n\n@app.post('/order')\ndef b():\n    return {}\n", line=8),
    ]

    def run(self, project: Any) -> list[Finding]:
        from ...routes import judge

        views = [v for v in self.views(project) if not v.adapter.is_page(v)]  # REST naming applies to the API, not HTML pages
        used: set[tuple[str, str]] = set()  # (parent path, segment) of a collection: listed with GET or followed by an id
        for view in views:
            segs = judge.segments(view.route.path)
            for i, s in enumerate(segs):
                last = i == len(segs) - 1
                if not s.startswith("{") and ((last and view.route.method == "GET") or (not last and segs[i + 1].startswith("{"))):
                    used.add(("/".join(segs[:i]), s.lower()))
        out: list[Finding] = []
        done: set[str] = set()
        for view in views:
            segs = judge.segments(view.route.path)
            for i, seg in enumerate(segs):
                last = i == len(segs) - 1
                if seg.startswith("{"):
                    continue
                if last and view.route.method != "POST":
                    continue
                if not last and not segs[i + 1].startswith("{"):
                    continue
                parent = "/".join(segs[:i])
                plurals = {p for p in _plural(seg.lower()) if (parent, p) in used}
                if plurals and not seg.endswith("s") and view.route.label not in done:
                    done.add(view.route.label)
                    out.append(self.make_finding(Location(view.route.file, view.route.line, 1), extra={"route": view.route.path}, route=view.route.label, segment=seg, plural=sorted(plurals)[0]))
                    break
        return out


def _field_style(name: str) -> str | None:
    if "_" in name.strip("_") and name.lower() == name:
        return "snake_case"
    if re.search(r"[a-z][A-Z]", name) and "_" not in name:
        return "camelCase"
    return None


class MixedModelPropertyCase(RouteCheck):
    """Payload models (pydantic, SQLModel, django-ninja schemas) mix snake_case and camelCase fields.

    Why it matters: the field names of the request and response models are the API's property
    names; a mix means clients look every field up, and generated clients get inconsistent types.
    The project's majority style wins; each model with fields in the other style is reported once.
    (Spec files get the same judgement from BG608.)
    Known limits: fields with an `alias=` and models with an `alias_generator` are serialised under
    other names and are not judged; single-word fields fit every style.
    """

    code = "BG111"
    name = "mixed-model-property-case"
    gate = "API-NAMING"
    severity = Severity.WARNING
    message = "model {model} has {style} field(s) {fields} while most payload fields are {major}"
    fix = "rename the fields to the majority style, or serialise them with an alias/alias_generator"
    good = [
        FASTAPI_APP + "from pydantic import BaseModel\n\nclass OrderIn(BaseModel):\n    customer_id: int\n    ship_to: str\n\nclass OrderOut(BaseModel):\n    order_id: int\n    created_at: str\n\n@app.post('/orders')\ndef create(order: OrderIn) -> OrderOut:\n    return store.add(order)\n",
        FASTAPI_APP + "from pydantic import BaseModel, ConfigDict\nfrom pydantic.alias_generators import to_camel\n\nclass OrderIn(BaseModel):\n    customer_id: int\n    ship_to: str\n\nclass Legacy(BaseModel):\n    model_config = ConfigDict(alias_generator=to_camel)\n    legacy_id: int\n\n@app.post('/orders')\ndef create(order: OrderIn):\n    return {}\n",
    ]
    bad = [
        Bad(
            FASTAPI_APP + "from pydantic import BaseModel\n\nclass OrderIn(BaseModel):\n    customer_id: int\n    ship_to: str\n\nclass OrderOut(BaseModel):\n    order_id: int\n    createdAt: str\n\n@app.post('/orders')\ndef create(order: OrderIn) -> OrderOut:\n    return store.add(order)\n",
            line=10,
        )
    ]

    def run(self, project: Any) -> list[Finding]:
        index = self.index(project)
        found: list[tuple[str, str, int, str, str]] = []  # (file, model, line, field, style)
        for mod, data in sorted(index.mods.items()):
            for model, info in data.get("models", {}).items():
                if info.get("aliased"):
                    continue
                for field_name in info.get("fields", []):
                    style = _field_style(field_name)
                    if style:
                        found.append((index.files.get(mod, ""), model, int(info.get("line") or 1), field_name, style))
        counts = Counter(style for *_rest, style in found)
        if len(counts) < 2:
            return []
        (major, major_n), (_minor, minor_n) = counts.most_common(2)
        if major_n == minor_n:
            return []  # no majority to follow
        per_model: dict[tuple[str, str, int], list[str]] = {}
        for file, model, line, field_name, style in found:
            if style != major:
                per_model.setdefault((file, model, line), []).append(field_name)
        out: list[Finding] = []
        minor = "camelCase" if major == "snake_case" else "snake_case"
        for (file, model, line), names in sorted(per_model.items()):
            shown = ", ".join(repr(n) for n in names[:4]) + (" ..." if len(names) > 4 else "")
            out.append(self.make_finding(Location(file, line, 1), model=model, style=minor, fields=shown, major=major, extra={"model": model}))
        return out


def _scheme_regex(scheme: str) -> re.Pattern[str]:
    text = re.escape(scheme.rstrip("/")).replace(r"\{n\}", r"\d+(?:\.\d+)?").replace(r"\{version\}", r"[^/]+")
    return re.compile("^" + text + r"(/|$)")


class UnversionedRoute(RouteCheck):
    """Routes outside the API's version scheme (or an API with no versioning at all).

    Why it matters: without a version in the path (or a header/media-type scheme) every change is
    a breaking change for someone; routes that skip the scheme cannot evolve with the rest.
    Known limits: the scheme is `routes.version-scheme` (e.g. '/api/v{n}') or detected: when at
    least a third of the routes carry a `v1`-style segment, the others are reported (for a detected
    `/api/v{n}` scheme only routes under `/api`: the rest are pages). With no
    versioned route at all, one finding says so (DRF `DEFAULT_VERSIONING_CLASS` and FastAPI
    version header parameters such as `x_api_version: str = Header()` count as versioning).
    Health, docs, static, admin routes and pages (HTML, plain Django views that do not answer
    JSON) are not judged.
    """

    code = "BG108"
    name = "route-outside-version-scheme"
    gate = "API-VERSION"
    severity = Severity.WARNING
    message = "{route} is outside the version scheme {scheme}"
    fix = "mount the route under the versioned prefix (or configure routes.version-scheme)"
    good = [
        FASTAPI_APP + "@app.get('/api/v1/users')\ndef a():\n    return []\n\n@app.get('/api/v1/orders')\ndef b():\n    return []\n",
        # versioned by a header
        "from fastapi import FastAPI, Header\napp = FastAPI()\n\n@app.get('/users')\ndef a(x_api_version: str = Header('1')):\n    return []\n\n@app.get('/orders')\ndef b(x_api_version: str = Header('1')):\n    return []\n",
    ]
    bad = [
        Bad(FASTAPI_APP + "@app.get('/api/v1/users')\ndef a():\n    return []\n\n@app.get('/api/v1/orders')\ndef b():\n    return []\n\n@app.get('/api/items')\ndef c():\n    return []\n", line=12),
        Bad(FASTAPI_APP + "@app.get('/users')\ndef a():\n    return []\n\n@app.get('/orders')\ndef b():\n    return []\n", line=2),
    ]

    def run(self, project: Any) -> list[Finding]:
        from ...routes import judge

        views = [
            v
            for v in self.views(project)
            if v.route.path != "/" and not judge.NATURE.search(v.route.path) and not v.adapter.is_page(v)
        ]
        if not views:
            return []
        scheme = project.config["routes.version-scheme"]
        if scheme:
            pattern = _scheme_regex(scheme)
            label = scheme
        else:
            versioned = [v for v in views if any(judge.VERSION_SEG.match(s) for s in judge.segments(v.route.path))]
            if not versioned:
                index = self.index(project)
                if index.drf.get("DEFAULT_VERSIONING_CLASS") or len(views) < 2:
                    return []
                if any(getattr(v.adapter, "header_versioned", lambda _v: False)(v) for v in views):
                    return []  # versioned by a request header (X-API-Version)
                file, line = index.root_location(self.views(project))
                return [
                    self.make_finding(
                        Location(file, line, 1),
                        message=f"no API versioning: none of {len(views)} route(s) has a version segment (/v1/...) and no versioning scheme is configured",
                        extra={"routes": len(views)},
                    )
                ]
            if len(versioned) * 3 < len(views):
                return []
            prefixes: Counter[str] = Counter()
            for v in versioned:
                segs = judge.segments(v.route.path)
                for i, s in enumerate(segs):
                    if judge.VERSION_SEG.match(s):
                        prefixes["/" + "/".join(segs[:i] + ["v{n}"])] += 1
                        break
            label = prefixes.most_common(1)[0][0]
            pattern = _scheme_regex(label)
            lead = judge.segments(label)[0] if not label.startswith("/v{n}") else ""
            if lead:  # an API under /api/v{n}: only routes under /api are API routes (the rest are pages)
                views = [v for v in views if judge.segments(v.route.path)[:1] == [lead]]
        out: list[Finding] = []
        done: set[str] = set()
        for view in views:
            if pattern.search(view.route.path) or view.route.path in done:
                continue
            done.add(view.route.path)
            out.append(self.make_finding(Location(view.route.file, view.route.line, 1), extra={"route": view.route.path}, route=view.route.label, scheme=label))
        return out


class NoRateLimiter(RouteCheck):
    """No rate limiter covers the routes: none globally, and not on every route.

    Why it matters: without limits one client can exhaust the service (or brute-force
    credentials); a limiter in the app documents and enforces the budget.
    A global limiter (middleware, Flask-Limiter `default_limits`, DRF `DEFAULT_THROTTLE_CLASSES`, a
    dependency on the app) covers every route; otherwise each route needs its own, and the routes
    left out are counted (one limited route of two is not a limited API).
    Known limits: recognises slowapi, fastapi-limiter, Flask-Limiter, django-ratelimit, DRF throttle
    classes, custom limiters by shape (a project class or function that implements a token bucket
    or a throttle, and forms or helpers that call one), and names in `routes.rate-limiters`;
    limits applied by a gateway or proxy are invisible here (configure the name, or ignore BG109
    with a reason).
    """

    code = "BG109"
    name = "no-rate-limiter"
    gate = "API-RATE"
    severity = Severity.WARNING
    message = "no rate limiter is wired globally or on any of the {count} route(s)"
    partial = "no global rate limiter, and {missing} of {count} route(s) have no limit of their own (e.g. {example})"
    fix = "wire a limiter (slowapi, fastapi-limiter, Flask-Limiter, DRF throttling) globally"
    good = [
        "from fastapi import FastAPI, Depends\nfrom fastapi_limiter.depends import RateLimiter\napp = FastAPI(dependencies=[Depends(RateLimiter(times=10, seconds=1))])\n\n@app.get('/users')\ndef a():\n    return []\n",
        # a custom limiter (a project token bucket) on every route
        {
            "limits.py": "import time\n\nclass TokenBucket:\n    def __init__(self, rate):\n        self.rate = rate\n\n    def allow(self, key):\n        return True\n\nbucket = TokenBucket(10)\n\ndef throttled(view):\n    def wrapper(*args, **kwargs):\n        if not bucket.allow(request.remote_addr):\n            abort(429)\n        return view(*args, **kwargs)\n    return wrapper\n",
            "app.py": "from flask import Flask\nfrom .limits import throttled\napp = Flask(__name__)\n\n@app.get('/users')\n@throttled\ndef a():\n    return []\n\n@app.get('/orders')\n@throttled\ndef b():\n    return []\n",
        },
    ]
    bad = [
        Bad(FASTAPI_APP + "@app.get('/users')\ndef a():\n    return []\n", line=2),
        # one limited route of two
        Bad(
            "from flask import Flask\nfrom flask_limiter import Limiter\napp = Flask(__name__)\nlimiter = Limiter(app)\n\n@app.post('/login')\n@limiter.limit('5/minute')\ndef login():\n    return {}\n\n@app.post('/orders')\ndef create():\n    return {}, 201\n",
            line=3,
        ),
        # a model that mentions rate limits (a "rate limited" notice, a quota it reports) limits no route
        Bad(
            {
                "models.py": "from django.db import models\n\nclass Channel(models.Model):\n    def send_rate_limited_notice(self):\n        if self.throttled_at is None:\n            notify(self, 'rate limited')\n",
                "app.py": "from flask import Flask\nfrom .models import Channel\napp = Flask(__name__)\n\n@app.get('/channels')\ndef channels():\n    return [c.id for c in Channel.objects.all()]\n\n@app.post('/channels/<int:pk>/pause')\ndef pause(pk):\n    channel = Channel.objects.get(pk=pk)\n    channel.save()\n    return {}\n",
            },
            line=3,
            path="app.py",
        ),
    ]

    def run(self, project: Any) -> list[Finding]:
        views = self.views(project)
        index = self.index(project)
        if index.global_limits:
            return []
        file, line = index.root_location(views)
        unlimited = [v for v in views if not v.limits and v.route.method not in ("HEAD", "OPTIONS")]
        if not unlimited:
            return []
        count = len({(v.route.method, v.route.path) for v in views})
        missing = len({(v.route.method, v.route.path) for v in unlimited})
        if missing == count:
            return [self.make_finding(Location(file, line, 1), count=count, extra={"routes": count})]
        example = unlimited[0].route.label
        return [
            self.make_finding(
                Location(file, line, 1),
                message=self.partial.format(missing=missing, count=count, example=example),
                extra={"routes": count, "unlimited": missing, "route_list": [v.route.label for v in unlimited][:50]},
            )
        ]


class AuthRouteWithoutLimit(RouteCheck):
    """An authentication route (login, token, password reset, register) has no rate limit.

    Why it matters: unlimited login and reset endpoints invite credential stuffing, brute force
    and account enumeration.
    Authentication routes are recognised by path (login, token, password, reset, signup, otp, ...)
    and by what they are: a route that already requires an authenticated caller (a token test
    endpoint, superuser-only token management) is not where credentials are guessed. DRF's
    `obtain_auth_token` is reported even when `DEFAULT_THROTTLE_CLASSES` is set: its view switches
    throttling off (`throttle_classes = ()`).
    Known limits: a global limiter counts as a limit; custom limiters are recognised by shape
    (token bucket, throttle) including those called from forms the handler uses.
    """

    code = "BG110"
    name = "auth-route-without-rate-limit"
    gate = "API-RATE"
    severity = Severity.WARNING
    message = "{route} is an authentication endpoint without a rate limit"
    fix = "limit it, e.g. @limiter.limit('5/minute') or Depends(RateLimiter(times=5, minutes=1))"
    good = [
        "from fastapi import FastAPI, Depends\nfrom fastapi_limiter.depends import RateLimiter\napp = FastAPI()\n\n@app.post('/login', dependencies=[Depends(RateLimiter(times=5, seconds=60))])\ndef login():\n    return {}\n",
        # already authenticated: testing a token is not guessing one
        FASTAPI_APP + "@app.post('/login/test-token')\ndef test_token(user=Depends(get_current_user)):\n    return user\n",
        # a form that consults a project token bucket
        {
            "forms.py": "from django import forms\nfrom .models import TokenBucket\n\nclass LoginForm(forms.Form):\n    email = forms.EmailField()\n\n    def clean_email(self):\n        if not TokenBucket.authorize_login(self.cleaned_data['email']):\n            raise forms.ValidationError('too many attempts')\n        return self.cleaned_data['email']\n",
            "views.py": "from django.shortcuts import redirect, render\nfrom .forms import LoginForm\n\ndef login(request):\n    form = LoginForm(request.POST or None)\n    if request.method == 'POST' and form.is_valid():\n        return redirect('home')\n    return render(request, 'login.html', {'form': form})\n",
            "urls.py": "from django.urls import path\nfrom . import views\n\nurlpatterns = [path('login/', views.login)]\n",
        },
    ]
    bad = [
        Bad(FASTAPI_APP + "@app.post('/login')\ndef login():\n    return {}\n", line=4),
        # DRF's token view switches throttling off even with DEFAULT_THROTTLE_CLASSES
        Bad(
            {
                "settings.py": "REST_FRAMEWORK = {'DEFAULT_THROTTLE_CLASSES': ['rest_framework.throttling.AnonRateThrottle']}\n",
                "urls.py": "from django.urls import path\nfrom rest_framework.authtoken.views import obtain_auth_token\n\nurlpatterns = [path('api/token/', obtain_auth_token)]\n",
            },
            line=4,
            path="urls.py",
        ),
    ]

    def judge(self, view: Any, project: Any) -> Iterable[Verdict]:
        from ...routes import judge

        if view.route.method != "POST" or view.limits:
            return
        if not judge.AUTH_PATH.search(view.route.path) or LOGOUT.search(view.route.path):
            return
        if any(not a.startswith("LoginRequiredMiddleware") and a.rsplit(":", 1)[-1] not in OPEN_PERMISSIONS and not CREDENTIAL_CHECK.match(a) for a in view.auth):
            return  # the caller is already authenticated: not where credentials are guessed
        limits = self.index(project).global_limits
        if view.route.extra.get("unthrottled"):
            limits = [g for g in limits if g != "DEFAULT_THROTTLE_CLASSES"]
        if limits:
            return
        yield Verdict(view.route.line)
