"""A base for the project's small middlewares: native in sync and async stacks alike.

Django's MiddlewareMixin runs its hooks through sync_to_async (a thread hop per request) in an
async stack, which every request under granian or daphne is.
"""

from asgiref.sync import iscoroutinefunction, markcoroutinefunction


class RequestResponseMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self._acall(request)
        self.on_request(request)
        return self.on_response(request, self.get_response(request))

    async def _acall(self, request):
        self.on_request(request)
        return self.on_response(request, await self.get_response(request))

    def on_request(self, request) -> None:
        """Runs before the view; must not block (it runs on the event loop under ASGI)."""

    def on_response(self, request, response):
        return response
