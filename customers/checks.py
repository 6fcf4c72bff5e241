from django.conf import settings
from django.core.checks import Warning, register


@register()
def customer_sender_is_not_no_reply(app_configs, **kwargs):
    """Win-backs and defection surveys ask for an answer: refused from a no-reply address."""
    from customers.emailing import LegalBasis, is_no_reply

    problems = []
    for name in ("VOZ_CUSTOMER_EMAIL_FROM", "VOZ_CUSTOMER_EMAIL_REPLY_TO"):
        if is_no_reply(getattr(settings, name)):
            problems.append(
                Warning(
                    f"{name} is a no-reply address ({getattr(settings, name)}): win-back and defection emails "
                    "will not be sent.",
                    hint="Set it to an address the shop reads, e.g. 'Shop <hola@shop.example>'.",
                    id="customers.W001",
                )
            )
    unknown = {kind: basis for kind, basis in settings.VOZ_EMAIL_LEGAL_BASIS.items() if basis not in set(LegalBasis)}
    if unknown:
        problems.append(
            Warning(
                f"VOZ_EMAIL_LEGAL_BASIS has unknown legal bases {unknown}: those emails are sent only with consent.",
                hint="Use consent or legitimate_interest.",
                id="customers.W002",
            )
        )
    return problems
