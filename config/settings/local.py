"""Development on a laptop: debug on, embedded defaults."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# the demo shop's own address, so win-backs and defection surveys can be tried (production warns instead)
VOZ_CUSTOMER_EMAIL_FROM = env("VOZ_CUSTOMER_EMAIL_FROM", default="Tienda Demo <hola@tienda.localhost>")
# passkeys on http://localhost while developing
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG
