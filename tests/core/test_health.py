"""The probes a load balancer or orchestrator calls: answered whatever Host or scheme they use."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext


@pytest.fixture
def production_like(settings):
    # As deployed: only the shop's host name is allowed and plain HTTP is redirected to HTTPS.
    settings.ALLOWED_HOSTS = ["voz.shop.example"]
    settings.SECURE_SSL_REDIRECT = True
    return Client(HTTP_HOST="10.0.3.7:8000")  # a probe inside the deployment, by IP


@pytest.mark.django_db
def test_liveness_answers_a_probe_by_ip_over_http_without_touching_the_database(production_like):
    with CaptureQueriesContext(connection) as queries:
        response = production_like.get("/healthz")

    assert response.status_code == 200 and response.content == b"ok"
    assert "no-cache" in response["Cache-Control"]
    assert len(queries) == 0
    # every other page still follows the deployment's rules
    assert production_like.get("/s/x/").status_code == 400


@pytest.mark.django_db
def test_readiness_reports_each_dependency(production_like, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # as deployed, with Redis as the broker

    response = production_like.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}


@pytest.mark.django_db
def test_without_the_broker_voz_stays_ready_since_it_keeps_what_it_is_sent(production_like, settings):
    from config.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    configured = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens there
    try:
        response = production_like.get("/readyz")
    finally:
        app.conf.broker_url = configured

    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "broker": "unavailable"}


@pytest.mark.django_db(transaction=True)
def test_without_the_database_voz_is_not_ready(production_like):
    connection.close()
    configured = connection.settings_dict["PORT"]
    connection.settings_dict["PORT"] = 1  # nothing listens there
    try:
        response = production_like.get("/readyz")
    finally:
        connection.close()
        connection.settings_dict["PORT"] = configured

    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["checks"]["database"] == "unavailable"
    assert production_like.get("/readyz").status_code == 200  # and it recovers by itself


@pytest.mark.django_db
def test_probes_only_answer_reads(production_like):
    response = production_like.post("/healthz")

    assert response.status_code == 405 and response["Allow"] == "GET, HEAD"
