from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from chat.realtime import health, ops_api
from core.api import converters
from core.node import metrics_view
from core.web import docs_view

converters.register()  # <id:...> in the apps' URLs: ids the database can hold

handler400 = "core.api.errors.json_bad_request"
handler404 = "core.api.errors.json_not_found"
handler500 = "core.api.errors.json_server_error"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics_view.metrics, name="metrics"),
    path("ops/drain", ops_api.DrainView.as_view(), name="ops-drain"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its init script from a URL: no inline script under the CSP.
    path(
        "api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api_docs.html"), name="docs"
    ),
    path("docs/<slug:name>.md", docs_view.doc, name="docs-page"),
    # The browser script's strings (static/js) in the request's language, from locale/*/djangojs.po.
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("api/auth/", include("accounts.urls")),
    path("accounts/", include("accounts.page_urls")),
    path("", include("channels_app.urls")),
    path("", include("chat.urls")),
    path("", include("wallets.urls")),
    path("", include("accounts.home_urls")),
]
