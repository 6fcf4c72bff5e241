import csv
from datetime import datetime
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from customers.models import Customer, Order, OrderItem, Product

HEADER = [
    "order_external_id",
    "customer_external_id",
    "customer_email",
    "customer_name",
    "customer_language",
    "placed_at",
    "delivered_at",
    "total",
    "currency",
    "sku",
    "product_name",
    "category",
    "quantity",
    "unit_price",
]
# Line 2 and 3 are one order with two items; line 4 is an order of another customer.
GOOD_ROWS = [
    ["PED-1", "CLI-1", "ana@example.com", "Ana García", "es", "2024-05-01", "2024-05-03T12:30:00", "59.80", "EUR",
     "TAZA-01", "Taza de cerámica", "Hogar", "2", "19.90"],
    ["PED-1", "CLI-1", "ana@example.com", "Ana García", "es", "2024-05-01", "2024-05-03T12:30:00", "59.80", "EUR",
     "PLATO-01", "Plato llano", "Hogar", "1", "20.00"],
    ["PED-2", "CLI-2", "john@example.com", "John Smith", "en", "2024-05-02T09:15:00+00:00", "", "15.00", "eur",
     "VELA-01", "Vela aromática", "Decoración", "", ""],
]  # fmt: skip


def write_csv(path: Path, rows: list[list[str]], *, header=HEADER, delimiter=",", encoding="utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as stream:
        writer = csv.writer(stream, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def good_row(order_id: str, **changes: str) -> list[str]:
    """A valid single-item order row with some columns changed."""
    values = dict(zip(HEADER, GOOD_ROWS[2], strict=True))
    values.update(order_external_id=order_id, **changes)
    return [values[column] for column in HEADER]


def import_orders(path: Path, *args: str) -> tuple[str, str]:
    stdout, stderr = StringIO(), StringIO()
    call_command("import_orders", str(path), *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.get_default_timezone())


@pytest.mark.django_db
def test_good_file_creates_customers_products_orders_and_items(tmp_path):
    path = write_csv(tmp_path / "pedidos.csv", GOOD_ROWS)

    stdout, stderr = import_orders(path)

    assert "Orders created: 2" in stdout
    assert "Orders updated: 0" in stdout
    assert "Rows rejected: 0 of 3" in stdout
    assert "order" in stderr  # the progress bar
    assert Customer.objects.count() == 2
    assert Product.objects.count() == 3
    assert OrderItem.objects.count() == 3
    first = Order.objects.get(external_id="PED-1")
    assert first.customer.email == "ana@example.com"
    assert first.customer.name == "Ana García"
    # Values without an offset are in the shop's time zone; a date alone is its midnight.
    assert first.placed_at == local(2024, 5, 1)
    assert first.delivered_at == local(2024, 5, 3, 12, 30)
    assert first.total == Decimal("59.80")
    assert sorted(first.items.values_list("product__sku", "quantity", "unit_price")) == [
        ("PLATO-01", 1, Decimal("20.00")),
        ("TAZA-01", 2, Decimal("19.90")),
    ]
    second = Order.objects.get(external_id="PED-2")
    assert second.customer.preferred_language == "en"
    assert second.placed_at == datetime.fromisoformat("2024-05-02T09:15:00+00:00")
    assert second.delivered_at is None
    assert second.currency == "EUR"
    assert list(second.items.values_list("quantity", "unit_price")) == [(1, None)]
    assert Product.objects.get(sku="VELA-01").category == "Decoración"


@pytest.mark.django_db
def test_importing_the_same_file_again_updates_instead_of_duplicating(tmp_path):
    path = write_csv(tmp_path / "pedidos.csv", GOOD_ROWS)
    import_orders(path)

    stdout, _stderr = import_orders(path)

    assert "Orders created: 0" in stdout
    assert "Orders updated: 2" in stdout
    assert Order.objects.count() == 2
    assert Customer.objects.count() == 2
    assert Product.objects.count() == 3
    assert OrderItem.objects.count() == 3


@pytest.mark.django_db
def test_a_changed_export_updates_the_order_and_replaces_its_items(tmp_path):
    import_orders(write_csv(tmp_path / "lunes.csv", GOOD_ROWS[:2]))
    changed = [GOOD_ROWS[0][:7] + ["39.80"] + GOOD_ROWS[0][8:]]

    stdout, _stderr = import_orders(write_csv(tmp_path / "martes.csv", changed))

    assert "Orders updated: 1" in stdout
    order = Order.objects.get()
    assert order.total == Decimal("39.80")
    assert list(order.items.values_list("product__sku", flat=True)) == ["TAZA-01"]


@pytest.mark.django_db
def test_bad_rows_are_reported_with_their_lines_while_good_rows_are_imported(tmp_path):
    rows = [
        *GOOD_ROWS,  # lines 2-4
        good_row("PED-10", placed_at="2024-31-05"),  # line 5
        good_row("PED-11", total="-3.00"),  # line 6
        good_row("PED-12", customer_email=""),  # line 7
        good_row("PED-13", quantity="dos"),  # line 8
        good_row("PED-14", placed_at="2024-05-10", delivered_at="2024-05-08"),  # line 9
        good_row("PED-15", total="10.00", sku="A"),  # line 10
        good_row("PED-15", total="12.00", sku="B"),  # line 11: disagrees with line 10
        good_row("PED-16", sku="C"),  # line 12: fine, but its order's other line is not
        good_row("PED-16", sku="D", quantity="0"),  # line 13
    ]
    path = write_csv(tmp_path / "pedidos.csv", rows)

    stdout, _stderr = import_orders(path)

    assert "Orders created: 2" in stdout
    assert "Orders rejected: 7" in stdout
    assert "Rows rejected: 9 of 12" in stdout
    assert "line 5: placed_at: '2024-31-05' is not an ISO 8601 date or datetime" in stdout
    assert "line 6: total: Must be 0 or more" in stdout
    assert "line 7: customer_email: A value is required." in stdout
    assert "line 8: quantity: 'dos' is not a whole number." in stdout
    assert "line 9: delivered_at: The order cannot be delivered before it was placed" in stdout
    assert "line 11: total: '12.00' differs from '10.00' on line 10" in stdout
    assert "line 10: Order PED-15 not imported: its lines disagree on total." in stdout
    assert "line 12: Order PED-16 not imported because of the errors on line 13." in stdout
    assert "line 13: quantity: Must be between 1 and" in stdout
    assert set(Order.objects.values_list("external_id", flat=True)) == {"PED-1", "PED-2"}
    assert not Product.objects.filter(sku__in=["A", "B", "C", "D"]).exists()


@pytest.mark.django_db
def test_an_order_of_another_customer_is_reported_for_its_lines_and_left_unchanged(tmp_path):
    import_orders(write_csv(tmp_path / "lunes.csv", GOOD_ROWS))
    moved = good_row("PED-2", customer_external_id="CLI-1", customer_email="ana@example.com", total="99.00")

    stdout, _stderr = import_orders(write_csv(tmp_path / "martes.csv", [moved, good_row("PED-3")]))

    assert "Orders created: 1" in stdout
    assert "line 2: customer_external_id: Order PED-2 belongs to another customer." in stdout
    order = Order.objects.get(external_id="PED-2")
    assert order.customer.external_id == "CLI-2"
    assert order.total == Decimal("15.00")


@pytest.mark.django_db
def test_semicolon_file_with_decimal_commas(tmp_path):
    rows = [good_row("PED-1", total="1234,50", unit_price="617,25", quantity="2")]
    path = write_csv(tmp_path / "pedidos.csv", rows, delimiter=";")

    stdout, _stderr = import_orders(path)

    assert "Orders created: 1" in stdout
    order = Order.objects.get()
    assert order.total == Decimal("1234.50")
    assert order.items.get().unit_price == Decimal("617.25")


@pytest.mark.django_db
def test_unquoted_decimal_comma_in_a_comma_separated_file_is_reported(tmp_path):
    lines = [HEADER, good_row("PED-1", total="12,50"), good_row("PED-2")]
    path = tmp_path / "pedidos.csv"
    path.write_text("".join(",".join(line) + "\n" for line in lines), encoding="utf-8")

    stdout, _stderr = import_orders(path)

    assert "line 2: The row has 1 more value(s) than the header has columns" in stdout
    assert list(Order.objects.values_list("external_id", flat=True)) == ["PED-2"]


@pytest.mark.django_db
def test_file_with_a_byte_order_mark_is_imported(tmp_path):
    path = write_csv(tmp_path / "excel.csv", GOOD_ROWS, encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")

    stdout, _stderr = import_orders(path)

    assert "Orders created: 2" in stdout


@pytest.mark.django_db
def test_missing_required_column_stops_the_import_before_anything_is_stored(tmp_path):
    header = [column for column in HEADER if column != "customer_email"]
    rows = [
        [value for column, value in zip(HEADER, row, strict=True) if column != "customer_email"] for row in GOOD_ROWS
    ]
    path = write_csv(tmp_path / "pedidos.csv", rows, header=header)

    with pytest.raises(CommandError, match="customer_email"):
        import_orders(path)

    assert not Order.objects.exists()
    assert not Customer.objects.exists()
    assert not Product.objects.exists()


@pytest.mark.django_db
def test_errors_file_lists_every_rejected_row(tmp_path):
    rows = [*GOOD_ROWS, good_row("PED-10", placed_at="ayer"), good_row("PED-11", total="abc", quantity="-1")]
    errors_path = tmp_path / "errores.csv"

    stdout, _stderr = import_orders(write_csv(tmp_path / "pedidos.csv", rows), "--errors-file", str(errors_path))

    assert f"Errors written to {errors_path}" in stdout
    with errors_path.open(encoding="utf-8", newline="") as stream:
        written = list(csv.DictReader(stream))
    assert [(row["line"], row["column"]) for row in written] == [
        ("5", "placed_at"),
        ("6", "total"),
        ("6", "quantity"),
    ]
    assert written[1]["message"] == "'abc' is not a number."


@pytest.mark.django_db
def test_a_file_where_every_row_fails_ends_with_an_error(tmp_path):
    path = write_csv(tmp_path / "pedidos.csv", [good_row("PED-1", total="gratis"), good_row("PED-2", sku="")])

    with pytest.raises(CommandError, match="None of the 2 rows"):
        import_orders(path)

    assert not Order.objects.exists()


@pytest.mark.django_db
def test_a_file_that_cannot_be_read_ends_with_an_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        import_orders(tmp_path / "no-existe.csv")


@pytest.mark.django_db
def test_a_file_that_is_not_utf8_ends_with_an_error_before_anything_is_stored(tmp_path):
    path = write_csv(
        tmp_path / "latin1.csv", [*GOOD_ROWS, good_row("PED-3", customer_name="Begoña")], encoding="latin-1"
    )

    with pytest.raises(CommandError, match="UTF-8"):
        import_orders(path)

    assert not Order.objects.exists()
