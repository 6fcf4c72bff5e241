from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "API clients"

    def ready(self) -> None:
        from integrations import schema  # noqa: F401  (registers the OpenAPI security scheme)
