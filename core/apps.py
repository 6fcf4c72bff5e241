from django.apps import AppConfig


class CoreConfig(AppConfig):
    verbose_name = "Voz"
    name = "core"
