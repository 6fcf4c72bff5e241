"""Voz's production settings, middleware stack included, serving only bench/reference_app.py."""

from config.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.reference_app"
