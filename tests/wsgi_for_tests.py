"""A WSGI handler over the same Django app, for in-process API conformance runs (schemathesis)."""

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
