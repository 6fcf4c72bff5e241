"""The import and export of reviews (a django-import-export resource).

Reviews are upserted by (source, external id) through :func:`reviews.services.reviews_upsert`,
which decides the verified-buyer badge, moderates and hands the text on as feedback. Rows are
checked with the API's input serializer and stored a batch at a time, as the API stores them.
"""

from import_export.fields import Field
from import_export.results import RowResult

from customers.importing import ROW_PROBLEM, ServiceResource, duplicate_columns_check, row_rejected, rows_numbered
from reviews.api.serializers import ReviewInputSerializer
from reviews.models import Review
from reviews.services import reviews_upsert

COLUMNS = (
    "source",
    "external_id",
    "rating",
    "title",
    "body",
    "author_name",
    "author_email",
    "order_external_id",
    "product_sku",
    "language",
    "created_at",
    "brand",
)
BATCH_SIZE = 500


class ReviewResource(ServiceResource):
    source = Field(attribute="source", column_name="source")
    external_id = Field(attribute="external_id", column_name="external_id")
    rating = Field(attribute="rating", column_name="rating")
    title = Field(attribute="title", column_name="title")
    body = Field(attribute="body", column_name="body")
    author_name = Field(attribute="author_name", column_name="author_name")
    author_email = Field(attribute="author_email", column_name="author_email")
    order_external_id = Field(attribute="order__external_id", column_name="order_external_id")
    product_sku = Field(attribute="product__sku", column_name="product_sku")
    language = Field(attribute="language", column_name="language")
    created_at = Field(attribute="created_at", column_name="created_at")
    brand = Field(attribute="brand__slug", column_name="brand")

    class Meta:
        model = Review
        fields = COLUMNS
        export_order = COLUMNS

    def __init__(self, *, default_source: str = "", **kwargs):
        super().__init__(**kwargs)
        self.default_source = default_source

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("order", "product", "brand")

    def header_check(self, headers: list[str]) -> None:
        duplicate_columns_check(headers, COLUMNS)

    def before_import(self, dataset, **kwargs) -> None:
        super().before_import(dataset, **kwargs)
        self.pending = rows_numbered(dataset, header_lines=kwargs.get("header_lines", 1))
        self.outcomes: dict[int, tuple[str, Review] | Exception] = {}

    def row_import(self, values: dict[str, str], *, line: int) -> tuple[str, Review]:
        if line not in self.outcomes:
            self._batch_import()
        outcome = self.outcomes.pop(line)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def _batch_import(self) -> None:
        """Check and store the next rows together: reviews_upsert takes a few queries per batch, not per row."""
        batch, self.pending = self.pending[:BATCH_SIZE], self.pending[BATCH_SIZE:]
        valid = []
        for line, values in batch:
            if values.get(ROW_PROBLEM):
                self.outcomes[line] = row_rejected({"": [values[ROW_PROBLEM]]})
                continue
            row = {name: value for name, value in values.items() if value and name != ROW_PROBLEM}
            if self.default_source and not row.get("source"):
                row["source"] = self.default_source
            serializer = ReviewInputSerializer(data=row)
            if serializer.is_valid():
                valid.append((line, serializer.to_data()))
            else:
                self.outcomes[line] = _rejected(serializer.errors)
        results = reviews_upsert(items=[data for _line, data in valid]) if valid else []
        for (line, _data), result in zip(valid, results, strict=True):
            if result.status == "error":
                self.outcomes[line] = _rejected(result.errors)
            else:
                self.counts[result.status] += 1
                import_type = RowResult.IMPORT_TYPE_NEW if result.status == "created" else RowResult.IMPORT_TYPE_UPDATE
                self.outcomes[line] = (import_type, result.obj)


def _rejected(errors: dict) -> Exception:
    return row_rejected(
        {
            "" if name == "non_field_errors" else name: ["; ".join(map(str, messages))]
            for name, messages in errors.items()
        }
    )
