# Opens a backend-gates request scope around each Django request (stands in for the HTTP observer).
from backend_gates.runtime import CONTEXT


class ScopeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        scope = CONTEXT.push_request(request.method, request.path)
        try:
            return self.get_response(request)
        finally:
            CONTEXT.pop_request(scope)
