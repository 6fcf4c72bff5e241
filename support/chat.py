"""Posting to a team's chat through an incoming webhook, in the two formats chat tools accept.

- Slack's incoming-webhook JSON: a `text` and one legacy attachment (title, link, colour,
  fields). Mattermost and Rocket.Chat read the same payload, attachments included, whereas Slack's
  newer "blocks" they would drop, so the attachment carries the message everywhere.
- Microsoft Teams workflow webhooks ("Post to a channel when a webhook request is received"): a
  message whose one attachment is an Adaptive Card 1.4 with an "open" button. The old Office 365
  connector cards are retired, so they are not produced.

Any 2xx is success (Teams workflows answer 202); anything else raises ChatError, and the outbox
retries it.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from django.utils.translation import gettext

from support.models import ChatWebhook

TIMEOUT_SECONDS = 10
COLOURS = {"danger": "#b3261e", "warning": "#e8a33d", "info": "#1f5fbf"}
TEAMS_STYLES = {"danger": "attention", "warning": "warning", "info": "accent"}


class ChatError(Exception):
    pass


def slack_payload(message) -> dict:
    link = f"\n{message.url}" if message.url else ""
    attachment = {
        "fallback": f"{message.title}{link}",
        "color": COLOURS.get(message.severity, COLOURS["info"]),
        "title": message.title,
        "text": "\n".join(line for line in message.lines if line),
    }
    if message.url:
        attachment["title_link"] = message.url
    return {"text": message.title, "attachments": [attachment]}


def teams_payload(message) -> dict:
    body = [
        {
            "type": "TextBlock",
            "text": message.title,
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
            "color": TEAMS_STYLES.get(message.severity, "accent"),
        },
        *({"type": "TextBlock", "text": line, "wrap": True, "spacing": "Small"} for line in message.lines if line),
    ]
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    if message.url:
        card["actions"] = [{"type": "Action.OpenUrl", "title": message.link_label, "url": message.url}]
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }


def payload_for(webhook: ChatWebhook, message) -> dict:
    return teams_payload(message) if webhook.kind == ChatWebhook.Kind.TEAMS else slack_payload(message)


def post(webhook: ChatWebhook, message) -> None:
    body = json.dumps(payload_for(webhook, message), ensure_ascii=False).encode()
    request = urllib.request.Request(
        webhook.url, data=body, headers={"Content-Type": "application/json; charset=utf-8"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            response.read(4096)
    except urllib.error.HTTPError as error:
        raise ChatError(f"HTTP {error.code} {error.reason}") from error
    except (urllib.error.URLError, OSError) as error:
        raise ChatError(str(getattr(error, "reason", error))) from error


def test_message_send(webhook: ChatWebhook) -> None:
    """A message that says where Voz will post; raises ChatError when the channel did not take it."""
    from support.notify import Message

    message = Message(
        title=gettext("Test message from Voz"),
        lines=[gettext("Notifications for the team %(team)s will appear here.") % {"team": webhook.team.name}],
        url="",
        link_label="",
        severity="info",
    )
    post(webhook, message)
