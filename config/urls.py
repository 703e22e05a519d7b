from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from django_prometheus.exports import ExportToDjangoView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config import health, ops_api

handler404 = "config.errors.json_not_found"
handler500 = "config.errors.json_server_error"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", ExportToDjangoView, name="metrics"),
    path("ops/drain", ops_api.DrainView.as_view(), name="ops-drain"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    # The browser script's strings (static/js) in the request's language, from locale/*/djangojs.po.
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("api/auth/", include("accounts.urls")),
    path("accounts/", include("accounts.page_urls")),
    path("", include("channels_app.urls")),
    path("", include("chat.urls")),
    path("", include("wallets.urls")),
    path("", include("accounts.home_urls")),
]
