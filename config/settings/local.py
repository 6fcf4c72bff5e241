"""Development on a laptop: debug on, embedded defaults."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# passkeys on http://localhost while developing
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG
