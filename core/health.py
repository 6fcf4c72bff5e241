"""Liveness and readiness probes for load balancers and orchestrators (docker compose, Kubernetes).

They are answered by the first middleware, before the host check, the HTTPS redirect and the
session: a probe comes from inside the deployment, by IP and over plain HTTP, and would otherwise
get a 400 for its Host header or a redirect to https. They show no data: only whether the process
answers (`/healthz`) and whether it can serve, per dependency (`/readyz`).
"""

import logging

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers

logger = logging.getLogger(__name__)

LIVE_PATH, READY_PATH = "/healthz", "/readyz"


def database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        logger.warning("Readiness: the database cannot be reached", exc_info=True)
        return "unavailable"
    return "ok"


def broker_state() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "not used"  # the embedded default runs tasks in the request
    from config.celery import app

    try:
        with app.connection_for_write() as broker:
            broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
    except Exception:  # kombu raises several unrelated types when the broker is unreachable
        logger.warning("Readiness: the broker cannot be reached", exc_info=True)
        return "unavailable"
    return "ok"


def readiness() -> tuple[int, dict]:
    checks = {"database": database_state(), "broker": broker_state()}
    # Without the broker Voz still takes everything it is sent: it waits in the database until
    # the sweep queues it (core.queueing). So only the database decides whether to send traffic.
    ready = checks["database"] == "ok"
    return (200 if ready else 503), {"status": "ok" if ready else "unavailable", "checks": checks}


class HealthProbeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info not in (LIVE_PATH, READY_PATH):
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            response = HttpResponse(status=405, headers={"Allow": "GET, HEAD"})
        elif request.path_info == LIVE_PATH:
            response = HttpResponse("ok", content_type="text/plain; charset=utf-8")
        else:
            status, body = readiness()
            response = JsonResponse(body, status=status)
        add_never_cache_headers(response)
        response["X-Content-Type-Options"] = "nosniff"
        return response
