"""GET /metrics, for the scraper only: a bearer token (METRICS_TOKEN) or an allowed network.

The metrics name channels, queues and error rates: nothing for the public. nginx already
refuses /metrics; this guards a node reached any other way. The network is the client's
address as core/web/proxies.py settled it.
"""

import hmac

from django.conf import settings
from django.http import JsonResponse
from django_prometheus.exports import ExportToDjangoView

from core.api.bearer import bearer_token
from core.api.errors import error_body
from core.web.proxies import address_in


def _allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    sent = bearer_token(request.headers.get("Authorization", ""))
    if token and sent and hmac.compare_digest(sent.encode(), token.encode()):  # bytes: str must be ASCII
        return True
    return address_in(request.META.get("REMOTE_ADDR", ""), settings.METRICS_ALLOWED_NETWORKS)


def metrics(request):
    if not _allowed(request):
        return JsonResponse(error_body("forbidden", "The metrics are for the monitoring system only."), status=403)
    return ExportToDjangoView(request)
