class ApplicationError(Exception):
    """A business rule refused an action; the API answers it with a 4xx, pages with a friendly message."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.extra = extra or {}
