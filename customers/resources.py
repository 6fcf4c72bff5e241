"""The import and export of customers and orders (django-import-export resources).

Orders: one row per order item. The rows of an order are grouped by ``order_external_id`` and the
order is upserted with :func:`customers.services.order_upsert`, whole or not at all: the items sent
replace the stored ones, so importing an order without one of its rows would silently drop that
item. A row with errors rejects its order, and so do rows that disagree on the order's columns.

Customers: upserted by external id with :func:`customers.services.customer_upsert`. An empty cell
changes nothing, so a file with a few columns completes profiles without wiping what other files
set; any column besides external_id, email, name and language is an attribute (city, age_band…).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import DataError, IntegrityError
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from import_export.fields import Field
from import_export.results import RowResult

from core.exceptions import ApplicationError
from customers.importing import (
    ROW_PROBLEM,
    ImportFileInvalid,
    ServiceResource,
    duplicate_columns_check,
    row_rejected,
    rows_numbered,
)
from customers.models import Customer, Order, OrderItem
from customers.services import (
    CustomerAttributesInvalid,
    CustomerData,
    OrderData,
    OrderItemData,
    attributes_normalise,
    customer_upsert,
    order_upsert,
)

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

Errors = dict[str, list[str]]  # column ("" for the row as a whole) → messages


@dataclass
class _OrderRow:
    line: int
    raw: dict[str, str]
    # Parsed order-level values; None where the cell is blank or invalid.
    order_values: dict[str, object]
    item: OrderItemData | None
    errors: Errors


@dataclass
class _Order:
    external_id: str
    rows: list[_OrderRow] = field(default_factory=list)
    is_imported: bool = False
    stored: tuple[str, Order] | None = None
    rejections: dict[int, Errors] = field(default_factory=dict)


class OrderResource(ServiceResource):
    order_external_id = Field(attribute="order__external_id", column_name="order_external_id")
    customer_external_id = Field(attribute="order__customer__external_id", column_name="customer_external_id")
    customer_email = Field(attribute="order__customer__email", column_name="customer_email")
    customer_name = Field(attribute="order__customer__name", column_name="customer_name")
    customer_language = Field(attribute="order__customer__preferred_language", column_name="customer_language")
    placed_at = Field(attribute="order__placed_at", column_name="placed_at")
    delivered_at = Field(attribute="order__delivered_at", column_name="delivered_at")
    total = Field(attribute="order__total", column_name="total")
    currency = Field(attribute="order__currency", column_name="currency")
    sku = Field(attribute="product__sku", column_name="sku")
    product_name = Field(attribute="product__name", column_name="product_name")
    category = Field(attribute="product__category", column_name="category")
    quantity = Field(attribute="quantity", column_name="quantity")
    unit_price = Field(attribute="unit_price", column_name="unit_price")

    progress_per_row = False

    class Meta:
        model = Order
        fields = COLUMNS
        export_order = COLUMNS

    def filter_export(self, queryset, **kwargs):
        # An order is exported as the file it is imported from: one row per item.
        return (
            OrderItem.objects.filter(order__in=queryset)
            .select_related("order__customer", "product")
            .order_by("order__placed_at", "order_id", "pk")
        )

    def header_check(self, headers: list[str]) -> None:
        # Other columns are ignored, so exports may carry more.
        duplicate_columns_check(headers, COLUMNS)
        missing = [name for name in REQUIRED_COLUMNS if name not in headers]
        if missing:
            raise ImportFileInvalid(
                gettext("The header lacks required columns: %(columns)s.") % {"columns": ", ".join(missing)}
            )

    def before_import(self, dataset, **kwargs) -> None:
        self.rows: dict[int, _OrderRow] = {}
        self.orders: dict[str, _Order] = {}
        for line, values in rows_numbered(dataset, header_lines=kwargs.get("header_lines", 1)):
            row = _order_row_parse(line, values)
            self.rows[line] = row
            if row.raw["order_external_id"]:
                self.orders.setdefault(row.raw["order_external_id"], _Order(row.raw["order_external_id"])).rows.append(
                    row
                )
        super().before_import(dataset, **kwargs)

    def progress_total(self, dataset) -> int:
        return len(self.orders)

    def row_import(self, values: dict[str, str], *, line: int) -> tuple[str, Order]:
        row = self.rows[line]
        order = self.orders.get(row.raw["order_external_id"])
        if order is None:
            # A row without an order id belongs to no order; all we can do is report it.
            raise row_rejected(row.errors)
        if not order.is_imported:
            self._order_import(order)
        if line in order.rejections:
            raise row_rejected(order.rejections[line])
        return order.stored

    def _order_import(self, order: _Order) -> None:
        """Store the order of the first of its rows met; the verdict stands for all its rows."""
        order.is_imported = True
        self.progress_tick()
        rows, order_id = order.rows, order.external_id
        lines_with_errors = [row.line for row in rows if row.errors]
        if lines_with_errors:
            message = gettext("Order %(order)s not imported because of the errors on %(lines)s.") % {
                "order": order_id,
                "lines": _lines(lines_with_errors),
            }
            self._order_reject(order, {row.line: row.errors for row in rows if row.errors}, message)
            return
        values, conflicts = _order_values_agreed(rows)
        if conflicts:
            columns = ", ".join(sorted({column for errors in conflicts.values() for column in errors}))
            message = gettext("Order %(order)s not imported: its lines disagree on %(columns)s.")
            self._order_reject(order, conflicts, message % {"order": order_id, "columns": columns})
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
            stored, created = order_upsert(data=data)
        except ApplicationError as exc:
            column = next((SERVICE_FIELD_COLUMNS[key] for key in exc.extra if key in SERVICE_FIELD_COLUMNS), "")
            self._order_reject(order, {}, exc.message, column=column)
            return
        except (IntegrityError, DataError) as exc:
            # Only data the checks above missed ends here; order_upsert's transaction is rolled back.
            reason = str(exc).strip().splitlines()[0]
            message = gettext("Order %(order)s could not be stored: %(reason)s")
            self._order_reject(order, {}, message % {"order": order_id, "reason": reason})
            return
        self.counts["created" if created else "updated"] += 1
        order.stored = (RowResult.IMPORT_TYPE_NEW if created else RowResult.IMPORT_TYPE_UPDATE, stored)

    def _order_reject(self, order: _Order, errors_by_line: dict[int, Errors], message: str, column: str = "") -> None:
        """Reject the order: rows with errors of their own show them, the others the reason."""
        self.counts["rejected"] += 1
        order.rejections = {row.line: errors_by_line.get(row.line) or {column: [message]} for row in order.rows}


def _order_row_parse(line: int, values: dict[str, str]) -> _OrderRow:
    values = {name: values.get(name, "") for name in (*COLUMNS, ROW_PROBLEM)}
    errors: Errors = {}
    if values[ROW_PROBLEM]:
        # Listed first: shifted columns are the likely cause of the row's other errors.
        errors[""] = [values[ROW_PROBLEM]]

    def parse(column: str, parser: Callable[[str], object] = str, *, required: bool = False) -> object:
        raw = values[column]
        if not raw:
            if required:
                errors.setdefault(column, []).append(gettext("A value is required."))
            return None
        if column in MAX_LENGTHS and len(raw) > MAX_LENGTHS[column]:
            errors.setdefault(column, []).append(
                gettext("At most %(max)d characters (this one has %(length)d).")
                % {"max": MAX_LENGTHS[column], "length": len(raw)}
            )
            return None
        try:
            return parser(raw)
        except ValueError as exc:
            errors.setdefault(column, []).append(str(exc))
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
        errors.setdefault("delivered_at", []).append(
            gettext("The order cannot be delivered before it was placed (%(placed_at)s).")
            % {"placed_at": values["placed_at"]}
        )
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
    return _OrderRow(line=line, raw=values, order_values=order_values, item=item, errors=errors)


def _parse_email(raw: str) -> str:
    try:
        validate_email(raw)
    except ValidationError:
        raise ValueError(gettext("'%(value)s' is not a valid email address.") % {"value": raw}) from None
    return raw


def _parse_datetime(raw: str) -> datetime:
    """ISO 8601 date or datetime; a value without an offset is in the site's time zone (TIME_ZONE)."""
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(
            gettext("'%(value)s' is not an ISO 8601 date or datetime (e.g. 2024-05-31 or 2024-05-31T14:30:00+02:00).")
            % {"value": raw}
        ) from None
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_default_timezone())
    return value


def _parse_amount(raw: str) -> Decimal:
    """A non-negative amount with at most two decimals; Spanish exports write a decimal comma."""
    if "," in raw and "." in raw:
        raise ValueError(
            gettext("'%(value)s' mixes ',' and '.'; write amounts without thousands separators (1234.50).")
            % {"value": raw}
        )
    try:
        value = Decimal(raw.replace(",", "."))
    except InvalidOperation:
        raise ValueError(gettext("'%(value)s' is not a number.") % {"value": raw}) from None
    if not value.is_finite():
        raise ValueError(gettext("'%(value)s' is not a number.") % {"value": raw})
    if value < 0:
        raise ValueError(gettext("Must be 0 or more (got %(value)s).") % {"value": raw})
    if value > MAX_AMOUNT:
        raise ValueError(gettext("Must be at most %(max)s (got %(value)s).") % {"max": MAX_AMOUNT, "value": raw})
    if value != value.quantize(CENT):
        raise ValueError(gettext("At most two decimals (got %(value)s).") % {"value": raw})
    return value.quantize(CENT)


def _parse_quantity(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(gettext("'%(value)s' is not a whole number.") % {"value": raw}) from None
    if not 1 <= value <= MAX_QUANTITY:
        raise ValueError(
            gettext("Must be between 1 and %(max)d (got %(value)d).") % {"max": MAX_QUANTITY, "value": value}
        )
    return value


def _parse_currency(raw: str) -> str:
    if len(raw) != 3 or not raw.isascii() or not raw.isalpha():
        raise ValueError(
            gettext("'%(value)s' is not a three-letter currency code (ISO 4217, e.g. EUR).") % {"value": raw}
        )
    return raw.upper()


def _order_values_agreed(rows: list[_OrderRow]) -> tuple[dict[str, object], dict[int, Errors]]:
    """The order-level values all rows agree on, and the errors of the rows that disagree, by line.

    A blank optional cell agrees with anything: some exports fill order fields on the first row only.
    """
    agreed: dict[str, object] = dict.fromkeys(ORDER_COLUMNS)
    first_row: dict[str, _OrderRow] = {}
    conflicts: dict[int, Errors] = {}
    for row in rows:
        for column in ORDER_COLUMNS:
            value = row.order_values[column]
            if value is None:
                continue
            if column not in first_row:
                agreed[column], first_row[column] = value, row
            elif value != agreed[column]:
                reference = first_row[column]
                conflicts.setdefault(row.line, {}).setdefault(column, []).append(
                    gettext(
                        "'%(value)s' differs from '%(other)s' on line %(line)d; every line of an order must have "
                        "the same %(column)s."
                    )
                    % {
                        "value": row.raw[column],
                        "other": reference.raw[column],
                        "line": reference.line,
                        "column": column,
                    }
                )
    return agreed, conflicts


def _lines(lines: list[int]) -> str:
    return ngettext("line %(lines)s", "lines %(lines)s", len(lines)) % {"lines": ", ".join(map(str, lines))}


CUSTOMER_COLUMNS = ("external_id", "email", "name", "language")


class CustomerResource(ServiceResource):
    external_id = Field(attribute="external_id", column_name="external_id")
    email = Field(attribute="email", column_name="email")
    name = Field(attribute="name", column_name="name")
    language = Field(attribute="preferred_language", column_name="language")

    class Meta:
        model = Customer
        fields = CUSTOMER_COLUMNS
        export_order = CUSTOMER_COLUMNS

    def header_check(self, headers: list[str]) -> None:
        if "external_id" not in headers:
            raise ImportFileInvalid(gettext("The header lacks the required column external_id."))
        duplicate_columns_check(headers, headers)
        self.attribute_columns = [name for name in headers if name and name not in (*CUSTOMER_COLUMNS, ROW_PROBLEM)]
        try:
            attributes_normalise(dict.fromkeys(self.attribute_columns, "x"))
        except CustomerAttributesInvalid as exc:
            raise ImportFileInvalid(
                gettext("Column names that cannot be attributes: %(columns)s.") % {"columns": ", ".join(exc.extra)}
            ) from exc

    def row_import(self, values: dict[str, str], *, line: int) -> tuple[str, Customer]:
        if values.get(ROW_PROBLEM):
            raise row_rejected({"": [values[ROW_PROBLEM]]})
        external_id = values.get("external_id", "")
        if not external_id or len(external_id) > 100:
            raise row_rejected({"external_id": [gettext("Required, at most 100 characters.")]})
        existing = Customer.objects.filter(external_id=external_id).first()
        email = values.get("email", "")
        if email:
            try:
                validate_email(email)
            except ValidationError:
                raise row_rejected(
                    {"email": [gettext("Not an email address: %(value)s") % {"value": email[:80]}]}
                ) from None
        elif existing is None:
            raise row_rejected({"email": [gettext("A new customer needs an email.")]})
        before = (existing.email, existing.name, existing.preferred_language, existing.attributes) if existing else None
        try:
            customer = customer_upsert(
                data=CustomerData(
                    external_id=external_id,
                    email=email or existing.email,
                    name=values.get("name", "")[:200],
                    preferred_language=values.get("language", ""),
                    attributes={name: values[name] for name in self.attribute_columns if values.get(name)},
                )
            )
        except CustomerAttributesInvalid as exc:
            raise row_rejected(
                {column: ["; ".join(messages)] for column, messages in (exc.extra or {"": [exc.message]}).items()}
            ) from exc
        if existing is None:
            self.counts["created"] += 1
            return RowResult.IMPORT_TYPE_NEW, customer
        if before != (customer.email, customer.name, customer.preferred_language, customer.attributes):
            self.counts["updated"] += 1
            return RowResult.IMPORT_TYPE_UPDATE, customer
        self.counts["unchanged"] += 1
        return RowResult.IMPORT_TYPE_SKIP, customer
