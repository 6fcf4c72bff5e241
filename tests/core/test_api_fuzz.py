"""Property-based fuzzing of every API operation from its OpenAPI schema (schemathesis).

Every operation gets generated requests — valid and invalid bodies, query strings and path
parameters — sent with a token holding every scope, through the whole Django stack. No response
may be a 5xx, and every response must match what the schema documents for it (body shape and
content type). `make test` runs FUZZ_EXAMPLES examples per operation (default 25); `make fuzz`
runs many more.
"""

import json
import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance

from config.wsgi import application

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))


@pytest.fixture
def in_process_app(db):
    # The app runs in this thread on the test's connection; closing it after each request (what a
    # real server does) would end the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def every_scope_token(api_token_for, db):
    from core.models import Scope
    from surveys.services import response_submit
    from tests.factories import FeedbackItemFactory, InvitationFactory, OrderItemFactory

    invitation = InvitationFactory()
    OrderItemFactory(order=invitation.order)
    FeedbackItemFactory(customer=invitation.customer, order=invitation.order)
    # an answered survey, so the answers list and exports have a row to show
    answered = InvitationFactory()
    questions = {q.code: q.pk for q in answered.survey.questions.all()}
    answers = {questions["nps"]: 3, questions["delivery_csat"]: 2, questions["comment"]: "Llegó tarde"}
    response_submit(invitation=answered, answers=answers, language="es")
    return api_token_for(*Scope.values)


def _generated_schema() -> dict:
    """The document /api/schema/ serves, generated here: at collection time there is no test
    database yet, and every request through the stack reads the shop's settings (its time zone)."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document, renderer_context={}))


schema = schemathesis.openapi.from_dict(_generated_schema())
schema.app = application  # the generated requests go through the whole Django stack, in process


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,  # the same examples on every run, so CI failures reproduce
)
@pytest.mark.fuzz
def test_no_operation_answers_5xx_or_breaks_its_schema(case, in_process_app, every_scope_token):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {every_scope_token}"},
        checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
    )


def test_optional_choice_and_url_fields_declare_their_empty_value():
    """A read-only field generated from a model field that may be blank (a choice, a URL) is
    described without "" in the schema, so every empty value would break it: such fields must be
    declared by hand (as `device`, `sentiment_gold` and `url` are)."""
    from django.db import models as db_models
    from rest_framework import serializers

    from tests.core.test_mass_assignment import project_serializers

    undeclared = []
    for cls in project_serializers():
        if not issubclass(cls, serializers.ModelSerializer):
            continue
        for name in cls.Meta.fields:
            if name in cls._declared_fields:
                continue
            try:
                field = cls.Meta.model._meta.get_field(name)
            except Exception:  # a property or a reverse relation
                continue
            risky = field.choices or isinstance(field, db_models.URLField | db_models.EmailField)
            if getattr(field, "blank", False) and risky:
                undeclared.append(f"{cls.__name__}.{name}")
    assert undeclared == []
