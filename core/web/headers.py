"""Response headers for the API: nothing under /api/ is cached by a browser or a proxy.

API bodies carry balances, ledgers and tokens; a shared cache or the browser's history must
never keep them.
"""

from django.utils.cache import add_never_cache_headers

from core.web.middleware import RequestResponseMiddleware


class ApiNoStoreMiddleware(RequestResponseMiddleware):
    def on_response(self, request, response):
        if request.path.startswith("/api/") and not response.has_header("Cache-Control"):
            add_never_cache_headers(response)  # Cache-Control: max-age=0, no-cache, no-store, must-revalidate, private
        return response
