"""Import orders from a shop's CSV export.

One row per order item; the rows of an order are grouped by ``order_external_id`` and the order is
upserted with :func:`customers.services.order_upsert`, each order in its own transaction, so a bad
row or order is reported and skipped while the rest of the file is imported.

An order is imported whole or not at all: the items sent replace the stored ones, so importing an
order without one of its rows would silently drop that item. A row with errors rejects its order.
"""

import csv
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import TextIO

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import DataError, IntegrityError
from django.utils import timezone

from core.exceptions import ApplicationError
from customers.services import CustomerData, OrderData, OrderItemData, order_upsert

REQUIRED_COLUMNS = ("order_external_id", "customer_external_id", "customer_email", "placed_at", "total", "sku")
OPTIONAL_COLUMNS = (
    "customer_name",
    "customer_language",
    "delivered_at",
    "currency",
    "product_name",
    "category",
    "quantity",
    "unit_price",
)
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
# Every row of an order repeats these; if they disagree we cannot know which one the shop meant.
ORDER_COLUMNS = (
    "customer_external_id",
    "customer_email",
    "customer_name",
    "customer_language",
    "placed_at",
    "delivered_at",
    "total",
    "currency",
)
MAX_LENGTHS = {
    "order_external_id": 100,
    "customer_external_id": 100,
    "customer_email": 254,
    "customer_name": 200,
    "customer_language": 8,
    "sku": 100,
    "product_name": 300,
    "category": 200,
}
# Order.total and OrderItem.unit_price are DECIMAL(12, 2).
MAX_AMOUNT = Decimal("9999999999.99")
CENT = Decimal("0.01")
# The same bound the API puts on a line's quantity.
MAX_QUANTITY = 100_000
# Point a service error at a column the user knows from the file.
SERVICE_FIELD_COLUMNS = {
    "customer": "customer_external_id",
    "placed_at": "placed_at",
    "delivered_at": "delivered_at",
    "total": "total",
    "currency": "currency",
}


class ImportFileInvalid(ApplicationError):
    """The file as a whole cannot be imported: unreadable, not CSV, or required columns missing."""

    code = "import_file_invalid"


@dataclass(frozen=True)
class ImportIssue:
    line: int
    column: str
    message: str


@dataclass
class ImportReport:
    orders_created: int = 0
    orders_updated: int = 0
    orders_rejected: int = 0
    rows_total: int = 0
    rejected_lines: set[int] = field(default_factory=set)
    issues: list[ImportIssue] = field(default_factory=list)

    @property
    def rows_rejected(self) -> int:
        return len(self.rejected_lines)

    @property
    def every_row_failed(self) -> bool:
        return self.rows_total > 0 and self.rows_rejected == self.rows_total

    def reject(self, line: int, column: str, message: str) -> None:
        self.rejected_lines.add(line)
        self.issues.append(ImportIssue(line=line, column=column, message=message))

    def issues_by_line(self) -> list[ImportIssue]:
        return sorted(self.issues, key=lambda issue: issue.line)


@dataclass
class _Row:
    line: int
    raw: dict[str, str]
    # Parsed order-level values; None where the cell is blank or invalid.
    order_values: dict[str, object]
    item: OrderItemData | None
    errors: list[tuple[str, str]]


@dataclass
class _OrderRows:
    external_id: str
    rows: list[_Row] = field(default_factory=list)


ProgressWrapper = Callable[[Sequence[_OrderRows]], Iterable[_OrderRows]]


def orders_import_csv(*, stream: TextIO, progress: ProgressWrapper | None = None) -> ImportReport:
    """Import the orders in a CSV text stream (opened with ``newline=""``) and report what happened.

    ``progress`` wraps the list of orders about to be stored, e.g. ``lambda orders: tqdm(orders)``.
    Raises ImportFileInvalid, before anything is stored, when the file as a whole cannot be imported.
    """
    report = ImportReport()
    orders: dict[str, _OrderRows] = {}
    for line, values, extra_cells in _read_rows(stream):
        report.rows_total += 1
        row = _parse_row(line, values)
        if extra_cells:
            # Listed first: shifted columns are the likely cause of the row's other errors.
            row.errors.insert(
                0,
                (
                    "",
                    f"The row has {extra_cells} more value(s) than the header has columns; quote any value "
                    "that contains the delimiter.",
                ),
            )
        order_external_id = values["order_external_id"]
        if not order_external_id:
            # A row without an order id belongs to no order; all we can do is report it.
            for column, message in row.errors:
                report.reject(line, column, message)
            continue
        orders.setdefault(order_external_id, _OrderRows(order_external_id)).rows.append(row)

    order_list = list(orders.values())
    for order_rows in progress(order_list) if progress else order_list:
        _order_import(order_rows, report)
    return report


def _csv_rows(stream: TextIO) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The lower-cased header and (line where the row starts, cells) for every non-blank row, for a
    comma- or semicolon-separated UTF-8 stream; unreadable input raises ImportFileInvalid."""
    try:
        header_line = stream.readline().removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise ImportFileInvalid("The file is not UTF-8 text.") from exc
    if not header_line.strip():
        raise ImportFileInvalid("The file is empty; a header row is required.")
    # No column name contains a comma or a semicolon, so the header alone tells the delimiter reliably.
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(itertools.chain([header_line], stream), delimiter=delimiter)
    try:
        header = [name.strip().lower() for name in next(reader)]
    except csv.Error as exc:
        raise ImportFileInvalid(f"The header is not valid CSV: {exc}.") from exc

    def rows() -> Iterator[tuple[int, list[str]]]:
        previous_line = reader.line_num
        try:
            for cells in reader:
                # A quoted value may span lines; report the line the row starts on.
                line, previous_line = previous_line + 1, reader.line_num
                if any(cell.strip() for cell in cells):
                    yield line, cells
        except UnicodeDecodeError as exc:
            raise ImportFileInvalid(f"The file is not UTF-8 text (after line {reader.line_num}).") from exc
        except csv.Error as exc:
            raise ImportFileInvalid(f"Line {reader.line_num} is not valid CSV: {exc}.") from exc

    return header, rows()


def _read_rows(stream: TextIO) -> Iterator[tuple[int, dict[str, str], int]]:
    """Yield (line where the row starts, {column: stripped value}, number of cells beyond the header)."""
    header, rows = _csv_rows(stream)
    columns = _header_columns(header)
    for line, cells in rows:
        values = {name: cells[index].strip() if index < len(cells) else "" for name, index in columns.items()}
        for name in COLUMNS:
            values.setdefault(name, "")
        yield line, values, max(len(cells) - len(header), 0)


def _header_columns(header: list[str]) -> dict[str, int]:
    """Map each known column to its position; other columns are ignored so exports may carry more."""
    duplicates = sorted({name for name in header if name in COLUMNS and header.count(name) > 1})
    if duplicates:
        raise ImportFileInvalid(f"These columns appear more than once in the header: {', '.join(duplicates)}.")
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise ImportFileInvalid(f"The header lacks required columns: {', '.join(missing)}.")
    return {name: header.index(name) for name in COLUMNS if name in header}


def _parse_row(line: int, values: dict[str, str]) -> _Row:
    errors: list[tuple[str, str]] = []

    def parse(column: str, parser: Callable[[str], object] = str, *, required: bool = False) -> object:
        raw = values[column]
        if not raw:
            if required:
                errors.append((column, "A value is required."))
            return None
        if column in MAX_LENGTHS and len(raw) > MAX_LENGTHS[column]:
            errors.append((column, f"At most {MAX_LENGTHS[column]} characters (this one has {len(raw)})."))
            return None
        try:
            return parser(raw)
        except ValueError as exc:
            errors.append((column, str(exc)))
            return None

    parse("order_external_id", required=True)
    order_values = {
        "customer_external_id": parse("customer_external_id", required=True),
        "customer_email": parse("customer_email", _parse_email, required=True),
        "customer_name": parse("customer_name"),
        "customer_language": parse("customer_language"),
        "placed_at": parse("placed_at", _parse_datetime, required=True),
        "delivered_at": parse("delivered_at", _parse_datetime),
        "total": parse("total", _parse_amount, required=True),
        "currency": parse("currency", _parse_currency),
    }
    placed_at, delivered_at = order_values["placed_at"], order_values["delivered_at"]
    if placed_at and delivered_at and delivered_at < placed_at:
        errors.append(("delivered_at", f"The order cannot be delivered before it was placed ({values['placed_at']})."))
    sku = parse("sku", required=True)
    name = parse("product_name")
    category = parse("category")
    quantity = parse("quantity", _parse_quantity)
    unit_price = parse("unit_price", _parse_amount)
    item = None
    if not errors:
        item = OrderItemData(
            sku=sku,
            name=name or "",
            category=category or "",
            quantity=1 if quantity is None else quantity,
            unit_price=unit_price,
        )
    return _Row(line=line, raw=values, order_values=order_values, item=item, errors=errors)


def _parse_email(raw: str) -> str:
    try:
        validate_email(raw)
    except ValidationError:
        raise ValueError(f"'{raw}' is not a valid email address.") from None
    return raw


def _parse_datetime(raw: str) -> datetime:
    """ISO 8601 date or datetime; a value without an offset is in the site's time zone (TIME_ZONE)."""
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(
            f"'{raw}' is not an ISO 8601 date or datetime (e.g. 2024-05-31 or 2024-05-31T14:30:00+02:00)."
        ) from None
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_default_timezone())
    return value


def _parse_amount(raw: str) -> Decimal:
    """A non-negative amount with at most two decimals; Spanish exports write a decimal comma."""
    if "," in raw and "." in raw:
        raise ValueError(f"'{raw}' mixes ',' and '.'; write amounts without thousands separators (1234.50).")
    try:
        value = Decimal(raw.replace(",", "."))
    except InvalidOperation:
        raise ValueError(f"'{raw}' is not a number.") from None
    if not value.is_finite():
        raise ValueError(f"'{raw}' is not a number.")
    if value < 0:
        raise ValueError(f"Must be 0 or more (got {raw}).")
    if value > MAX_AMOUNT:
        raise ValueError(f"Must be at most {MAX_AMOUNT} (got {raw}).")
    if value != value.quantize(CENT):
        raise ValueError(f"At most two decimals (got {raw}).")
    return value.quantize(CENT)


def _parse_quantity(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"'{raw}' is not a whole number.") from None
    if not 1 <= value <= MAX_QUANTITY:
        raise ValueError(f"Must be between 1 and {MAX_QUANTITY} (got {value}).")
    return value


def _parse_currency(raw: str) -> str:
    if len(raw) != 3 or not raw.isascii() or not raw.isalpha():
        raise ValueError(f"'{raw}' is not a three-letter currency code (ISO 4217, e.g. EUR).")
    return raw.upper()


def _order_import(order_rows: _OrderRows, report: ImportReport) -> None:
    order_id, rows = order_rows.external_id, order_rows.rows
    lines_with_errors = [row.line for row in rows if row.errors]
    if lines_with_errors:
        for row in rows:
            for column, message in row.errors:
                report.reject(row.line, column, message)
        _order_reject(
            report, rows, "", f"Order {order_id} not imported because of the errors on {_lines(lines_with_errors)}."
        )
        return

    values, conflicts = _order_values_agreed(rows)
    if conflicts:
        for line, column, message in conflicts:
            report.reject(line, column, message)
        columns = ", ".join(sorted({column for _line, column, _message in conflicts}))
        _order_reject(report, rows, "", f"Order {order_id} not imported: its lines disagree on {columns}.")
        return

    data = OrderData(
        external_id=order_id,
        customer=CustomerData(
            external_id=values["customer_external_id"],
            email=values["customer_email"],
            name=values["customer_name"] or "",
            preferred_language=values["customer_language"] or "",
        ),
        placed_at=values["placed_at"],
        delivered_at=values["delivered_at"],
        total=values["total"],
        currency=values["currency"] or "EUR",
        items=[row.item for row in rows],
    )
    try:
        _order, created = order_upsert(data=data)
    except ApplicationError as exc:
        column = next((SERVICE_FIELD_COLUMNS[key] for key in exc.extra if key in SERVICE_FIELD_COLUMNS), "")
        _order_reject(report, rows, column, exc.message)
        return
    except (IntegrityError, DataError) as exc:
        # Only data the checks above missed ends here; order_upsert's transaction is rolled back.
        reason = str(exc).strip().splitlines()[0]
        _order_reject(report, rows, "", f"Order {order_id} could not be stored: {reason}")
        return
    if created:
        report.orders_created += 1
    else:
        report.orders_updated += 1


def _order_reject(report: ImportReport, rows: list[_Row], column: str, message: str) -> None:
    """Count the order as rejected and give each of its rows not reported yet the reason."""
    report.orders_rejected += 1
    for row in rows:
        if row.line not in report.rejected_lines:
            report.reject(row.line, column, message)


def _order_values_agreed(rows: list[_Row]) -> tuple[dict[str, object], list[tuple[int, str, str]]]:
    """The order-level values all rows agree on, and (line, column, message) where a row disagrees.

    A blank optional cell agrees with anything: some exports fill order fields on the first row only.
    """
    agreed: dict[str, object] = dict.fromkeys(ORDER_COLUMNS)
    first_row: dict[str, _Row] = {}
    conflicts: list[tuple[int, str, str]] = []
    for row in rows:
        for column in ORDER_COLUMNS:
            value = row.order_values[column]
            if value is None:
                continue
            if column not in first_row:
                agreed[column], first_row[column] = value, row
            elif value != agreed[column]:
                reference = first_row[column]
                conflicts.append(
                    (
                        row.line,
                        column,
                        f"'{row.raw[column]}' differs from '{reference.raw[column]}' on line {reference.line}; "
                        f"every line of an order must have the same {column}.",
                    )
                )
    return agreed, conflicts


def _lines(lines: list[int]) -> str:
    if len(lines) == 1:
        return f"line {lines[0]}"
    return "lines " + ", ".join(str(line) for line in lines)


# ---------------------------------------------------------------------------------------------
# Customer profiles
# ---------------------------------------------------------------------------------------------
CUSTOMER_COLUMNS = ("external_id", "email", "name", "language")


@dataclass
class CustomerImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rows_total: int = 0
    issues: list[ImportIssue] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len({issue.line for issue in self.issues})


def customers_import_csv(*, stream: TextIO, progress: Callable | None = None) -> CustomerImportReport:
    """Create or update customers from a CSV: external_id (required), email (required for a new
    customer), name, language, and any other column as an attribute (city, age_band, loyalty_tier…).

    An empty cell changes nothing, so a file with a few columns completes profiles without wiping
    what other files set. Each row is stored on its own; a bad row is reported and skipped.
    """
    from customers.models import Customer
    from customers.services import CustomerAttributesInvalid, attributes_normalise, customer_upsert

    report = CustomerImportReport()
    header, csv_rows = _csv_rows(stream)
    if "external_id" not in header:
        raise ImportFileInvalid("The header lacks the required column external_id.")
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise ImportFileInvalid(f"These columns appear more than once in the header: {', '.join(duplicates)}.")
    attribute_columns = [name for name in header if name and name not in CUSTOMER_COLUMNS]
    try:
        attributes_normalise(dict.fromkeys(attribute_columns, "x"))
    except CustomerAttributesInvalid as exc:
        raise ImportFileInvalid(f"Column names that cannot be attributes: {', '.join(exc.extra)}.") from exc
    rows = list(csv_rows)  # read whole before storing anything: a broken file imports nothing
    report.rows_total = len(rows)
    for line, cells in progress(rows) if progress else rows:
        values = {name: cells[index].strip() if index < len(cells) else "" for index, name in enumerate(header)}
        external_id = values.get("external_id", "")
        if not external_id or len(external_id) > 100:
            report.issues.append(ImportIssue(line, "external_id", "Required, at most 100 characters."))
            continue
        existing = Customer.objects.filter(external_id=external_id).first()
        email = values.get("email", "")
        if email:
            try:
                validate_email(email)
            except ValidationError:
                report.issues.append(ImportIssue(line, "email", f"Not an email address: {email[:80]}"))
                continue
        elif existing is None:
            report.issues.append(ImportIssue(line, "email", "A new customer needs an email."))
            continue
        attributes = {name: values[name] for name in attribute_columns if values.get(name)}
        before = (existing.email, existing.name, existing.preferred_language, existing.attributes) if existing else None
        try:
            customer = customer_upsert(
                data=CustomerData(
                    external_id=external_id,
                    email=email or existing.email,
                    name=values.get("name", "")[:200],
                    preferred_language=values.get("language", ""),
                    attributes=attributes,
                )
            )
        except CustomerAttributesInvalid as exc:
            for column, messages in (exc.extra or {"": [exc.message]}).items():
                report.issues.append(ImportIssue(line, column, "; ".join(messages)))
            continue
        if existing is None:
            report.created += 1
        elif before != (customer.email, customer.name, customer.preferred_language, customer.attributes):
            report.updated += 1
        else:
            report.unchanged += 1
    return report
