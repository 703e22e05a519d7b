"""Drain one web node over HTTP: `manage.py drain_node http://10.0.0.5:8000 --user ops@example.com`.

The command signs a short-lived access token for a staff user (it has the same database
and signing key as the nodes) and calls POST /ops/drain on the node itself, not through
the balancer. On the node's own machine `kill -TERM <pid>` does the same.
"""

import json
import urllib.error
import urllib.request

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from rest_framework_simplejwt.tokens import AccessToken


class Command(BaseCommand):
    help = "Ask a web node to drain its WebSocket clients to the other nodes and exit."

    def add_arguments(self, parser):
        parser.add_argument("node_url", help="the node's own address, e.g. http://10.0.0.5:8000")
        parser.add_argument("--user", help="email of the staff user to act as (default: the first active superuser)")

    def handle(self, *args, node_url, user=None, **options):
        staff = get_user_model().objects.filter(is_active=True, is_staff=True)
        actor = staff.filter(email=user).first() if user else staff.filter(is_superuser=True).order_by("pk").first()
        if actor is None:
            raise CommandError("No active staff user to act as (create one with createsuperuser, or pass --user).")
        request = urllib.request.Request(
            f"{node_url.rstrip('/')}/ops/drain",
            data=b"{}",
            headers={"Authorization": f"Bearer {AccessToken.for_user(actor)}", "Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                answer = json.loads(response.read())
        except (urllib.error.URLError, OSError) as error:
            raise CommandError(f"{node_url} did not accept the drain: {error}") from error
        self.stdout.write(f"{node_url}: draining {answer['connections']} connections, then the node exits")
