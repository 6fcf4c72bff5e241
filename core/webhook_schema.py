"""The webhooks section of the OpenAPI document: what each event's POST carries (version 1).

JSON Schema written by hand, since the payloads are built by the services that record the events
(core.webhooks), not by serializers; tests/core/test_webhooks.py validates what those services
actually record against these schemas, so the two cannot drift apart.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiWebhook

from core.models import WebhookEventType

TIME = {"type": "string", "format": "date-time"}
NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
REFERENCE = {"type": ["string", "null"], "description": _("The external id the shop sent (null when none).")}
SENTIMENT = {"type": "string", "enum": ["negative", "neutral", "positive"]}


def _object(properties: dict, description: str = "") -> dict:
    schema = {"type": "object", "properties": properties, "required": list(properties)}
    return schema | ({"description": description} if description else {})


FEEDBACK_CREATED = _object(
    {
        "id": {"type": "integer", "description": _("GET /api/v1/feedback/{id}/ gives the item.")},
        "channel": {"type": "string", "examples": ["survey", "review", "social", "web"]},
        "source": {"type": "string", "description": _("Traffic source, review site or platform.")},
        "text": {"type": "string"},
        "language": {"type": "string", "description": _("es, en, or empty until analysed.")},
        "received_at": TIME,
        "customer": REFERENCE,
        "order": REFERENCE,
    }
)
FEEDBACK_ANALYSED = _object(
    {
        "id": {"type": "integer"},
        "language": {"type": "string"},
        "sentiment": _object(
            {
                "label": SENTIMENT,
                "score": {"type": "number", "minimum": -1, "maximum": 1},
                "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            }
        ),
        "topics": {
            "type": "array",
            "items": _object({"slug": {"type": "string"}, "sentiment": SENTIMENT}),
        },
        "model_version": {"type": "string"},
        "analysed_at": TIME,
    }
)
CASE = _object(
    {
        "id": {"type": "integer", "description": _("GET /api/v1/cases/{id}/ gives the case.")},
        "subject": {"type": "string"},
        "status": {"type": "string", "enum": ["new", "open", "pending_customer", "resolved", "closed"]},
        "priority": {"type": "string", "enum": ["low", "normal", "high", "urgent"]},
        "channels": {"type": "array", "items": {"type": "string"}},
        "customer": REFERENCE,
        "team": {"type": ["string", "null"], "description": _("The team's slug.")},
        "assignee": {"type": ["string", "null"], "description": _("The agent's username.")},
        "opened_at": TIME,
        "first_response_at": NULLABLE_TIME,
        "resolved_at": NULLABLE_TIME,
        "closed_at": NULLABLE_TIME,
        "sla_due_at": NULLABLE_TIME,
    }
)
CASE_UPDATED = {
    **CASE,
    "properties": {
        **CASE["properties"],
        "change": {
            "type": "string",
            "enum": [
                "replied",
                "customer_message",
                "status",
                "priority",
                "assigned",
                "complaint_attached",
                "followup_answered",
            ],
            "description": _("What happened to the case."),
        },
    },
    "required": [*CASE["required"], "change"],
}
CASE_SLA = _object(
    {
        "case": CASE,
        "target": {"type": "string", "enum": ["first_response", "next_response", "resolution"]},
        "due_at": NULLABLE_TIME,
    }
)
SURVEY_ANSWERED = _object(
    {
        "id": {"type": "integer", "description": _("The response's id.")},
        "survey": {"type": "string", "description": _("The survey's slug.")},
        "customer": REFERENCE,
        "order": REFERENCE,
        "language": {"type": "string"},
        "submitted_at": TIME,
        "answers": {
            "type": "array",
            "items": _object(
                {
                    "question": {"type": "string", "description": _("The question's code, e.g. nps.")},
                    "value": {
                        "description": _("A number (scores), a text, or the codes of the chosen options."),
                        "anyOf": [
                            {"type": "integer"},
                            {"type": "string"},
                            {"type": "array", "items": {"type": "string"}},
                        ],
                    },
                }
            ),
        },
    }
)
REVIEW_PUBLISHED = _object(
    {
        "id": {"type": "integer"},
        "source": {"type": "string"},
        "external_id": {"type": "string"},
        "product_sku": {"type": ["string", "null"]},
        "rating": {"type": "integer", "minimum": 1, "maximum": 5},
        "title": {"type": "string"},
        "body": {"type": "string"},
        "author_name": {"type": "string"},
        "language": {"type": "string"},
        "is_verified_buyer": {"type": "boolean"},
        "created_at": TIME,
    }
)
ALERT_FIRED = _object(
    {
        "episode_id": {"type": "integer"},
        "rule": _object(
            {
                "id": {"type": "integer"},
                "name": {"type": "string"},
                "kind": {
                    "type": "string",
                    "enum": ["nps_below", "csat_below", "negative_spike", "sla_breach_rate"],
                },
            }
        ),
        "value": {"type": ["number", "null"]},
        "threshold": {"type": ["number", "null"], "description": _("For NPS, CSAT and SLA rules.")},
        "topic": {"type": ["string", "null"]},
        "channel": {"type": ["string", "null"]},
        "product": {"type": ["string", "null"], "description": _("SKU")},
        "segment": {"type": ["string", "null"], "description": _("RFM segment or saved segment's slug")},
        "brand": {"type": ["string", "null"], "description": _("A competitor's slug; null: the shop")},
        "url": {"type": "string", "description": _("The alert's page, with the evidence")},
        "started_at": TIME,
    }
)

DATA = {
    WebhookEventType.FEEDBACK_CREATED: FEEDBACK_CREATED,
    WebhookEventType.FEEDBACK_ANALYSED: FEEDBACK_ANALYSED,
    WebhookEventType.CASE_CREATED: CASE,
    WebhookEventType.CASE_UPDATED: CASE_UPDATED,
    WebhookEventType.CASE_SLA_WARNING: CASE_SLA,
    WebhookEventType.CASE_SLA_BREACHED: CASE_SLA,
    WebhookEventType.SURVEY_ANSWERED: SURVEY_ANSWERED,
    WebhookEventType.REVIEW_PUBLISHED: REVIEW_PUBLISHED,
    WebhookEventType.ALERT_FIRED: ALERT_FIRED,
}

HEADERS = [
    {
        "name": "webhook-id",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": _("The same on every attempt of this event: drop a request whose id you have seen."),
    },
    {
        "name": "webhook-timestamp",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": _("Unix seconds when this attempt was signed; refuse old ones (replays)."),
    },
    {
        "name": "webhook-signature",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": _(
            'v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}"> keyed with the '
            "endpoint's secret (whsec_…, base64 after the prefix), per the Standard Webhooks specification: "
            "any of its libraries verifies it."
        ),
    },
]

DESCRIPTION = _(
    "Sent to each webhook endpoint (admin: API clients → webhook endpoints) that subscribes to this event "
    "and whose API client holds the scope to read it. Answer with any 2xx within 10 seconds; anything else "
    "is retried with exponential backoff for at least 24 hours, always with the same webhook-id. "
    "An endpoint failing for 3 days is disabled and its API client's owner emailed."
)


def envelope(event_type: str) -> dict:
    return _object(
        {
            "type": {"type": "string", "const": event_type},
            "version": {"type": "integer", "const": 1, "description": _("Changes only when the data changes shape.")},
            "timestamp": {**TIME, "description": _("When it happened.")},
            "data": DATA[event_type],
        }
    )


def _operation(event_type: WebhookEventType) -> dict:
    return {
        "summary": event_type.label,
        "description": DESCRIPTION,
        "operationId": f"webhook_{event_type.value.replace('.', '_')}",
        "tags": ["webhooks"],
        "parameters": HEADERS,
        "requestBody": {"required": True, "content": {"application/json": {"schema": envelope(event_type.value)}}},
        "responses": {
            "2XX": {"description": _("Received; a retry of the same webhook-id may still come and should be ignored.")}
        },
    }


WEBHOOKS = [OpenApiWebhook(name=event_type.value, decorator={"post": _operation(event_type)}) for event_type in DATA]
