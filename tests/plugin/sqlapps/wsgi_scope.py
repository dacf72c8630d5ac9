# Opens a backend-gates request scope around each WSGI request (stands in for the HTTP observer).
from backend_gates.runtime import CONTEXT


class ScopeMiddleware:
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        request = CONTEXT.push_request(environ["REQUEST_METHOD"], environ.get("PATH_INFO", "/"))
        try:
            return list(self.app(environ, start_response))
        finally:
            CONTEXT.pop_request(request)
