"""Operator endpoints beside /healthz and /readyz (kept out of the public API schema)."""

from asgiref.sync import async_to_sync
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from chat.realtime import drain


async def _start_drain() -> bool:
    return drain.start()  # on the server's event loop, where the connections live


@extend_schema(exclude=True)
class DrainView(APIView):
    """POST /ops/drain (staff only): this node drains its sockets and exits, as on SIGTERM."""

    permission_classes = [IsAdminUser]

    def post(self, request):
        started = async_to_sync(_start_drain)()
        body = {"draining": True, "already_draining": not started, "connections": len(drain.connections)}
        return Response(body, status=status.HTTP_202_ACCEPTED)
