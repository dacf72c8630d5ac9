# Opens a backend-gates request scope around each ASGI request (stands in for the HTTP observer).
from backend_gates.runtime import CONTEXT


class ScopeMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request = CONTEXT.push_request(scope["method"], scope["path"])
        try:
            await self.app(scope, receive, send)
        finally:
            CONTEXT.pop_request(request)
