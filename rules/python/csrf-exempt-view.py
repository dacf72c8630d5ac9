from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST


# ruleid: csrf-exempt-view
@csrf_exempt
def update_profile(request):
    request.user.profile.update(bio=request.POST["bio"])


# ruleid: csrf-exempt-view
@csrf_exempt
@require_POST
def delete_account(request):
    request.user.delete()


# ruleid: csrf-exempt-view
@method_decorator(csrf_exempt, name="dispatch")
class WebhookView(View):
    def post(self, request):
        return handle(request)


# ok: csrf-exempt-view
@csrf_exempt
@require_GET
def feed(request):
    return render_feed()


# ok: csrf-exempt-view
@require_POST
def save(request):
    return store(request)


# ok: csrf-exempt-view
@csrf_exempt
def ping(request, code):
    check = Check.objects.get(code=code)
    return record_ping(check, request.body)


# ruleid: csrf-exempt-view
@csrf_exempt
def toggle(request):
    if request.session.get("admin"):
        flip()


# ruleid: csrf-exempt-view
urlpatterns = [path("hook/", csrf_exempt(hook_view))]
