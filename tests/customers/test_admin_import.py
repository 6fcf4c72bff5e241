"""Importing customers, orders and reviews in the admin: a dry-run preview of the rows to be stored
and those rejected, then a confirmation that stores; CSV and XLSX; only for staff who may change."""

from io import BytesIO

import openpyxl
import pytest
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile

from core.roles import AGENTS
from customers.importing import ShopCSV, dataset_import
from customers.models import Customer, Order
from customers.resources import OrderResource
from feedback.models import FeedbackItem
from reviews.models import Review
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

CSV, XLSX = "0", "1"  # the formats' places in the import form

ORDERS_CSV = (
    "order_external_id,customer_external_id,customer_email,placed_at,total,sku,quantity\n"
    "PED-1,CLI-1,ana@example.com,2024-05-01,59.80,TAZA-01,2\n"
    "PED-1,CLI-1,ana@example.com,2024-05-01,59.80,PLATO-01,1\n"
    "PED-2,CLI-2,john@example.com,2024-05-02,-3.00,VELA-01,1\n"
)


def upload(client, url: str, name: str, content: bytes, file_format: str = CSV):
    return client.post(url, {"import_file": SimpleUploadedFile(name, content), "format": file_format, "resource": "0"})


def confirm(client, url: str, preview):
    return client.post(url, preview.context["confirm_form"].initial)


def test_an_order_file_is_previewed_with_its_rejected_rows_and_stored_only_when_confirmed(admin_client):
    preview = upload(admin_client, "/admin/customers/order/import/", "pedidos.csv", ORDERS_CSV.encode())

    page = preview.content.decode()
    assert preview.status_code == 200
    assert "PLATO-01" in page and "TAZA-01" in page  # the rows to be imported
    assert "Debe ser 0 o más (es -3.00)." in page  # line 4 is rejected, in the staff member's language
    assert not Order.objects.exists() and not Customer.objects.exists()

    done = confirm(admin_client, "/admin/customers/order/process_import/", preview)

    assert done.status_code == 302
    order = Order.objects.get()
    assert order.external_id == "PED-1"
    assert sorted(order.items.values_list("product__sku", "quantity")) == [("PLATO-01", 1), ("TAZA-01", 2)]
    assert order.customer.email == "ana@example.com"
    # The order's two rows leave one entry in its history.
    assert LogEntry.objects.filter(object_id=str(order.pk), action_flag=ADDITION).count() == 1


def test_a_customer_xlsx_file_is_imported(admin_client):
    Customer.objects.create(external_id="CLI-1", email="ana@example.com", attributes={"city": "Vigo"})
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["external_id", "email", "name", "City"])
    sheet.append(["CLI-1", None, "Ana García", "Madrid"])
    sheet.append([1002, "luis@example.com", "Luis", "Cádiz"])  # a number, as spreadsheets keep ids
    content = BytesIO()
    workbook.save(content)

    preview = upload(admin_client, "/admin/customers/customer/import/", "clientes.xlsx", content.getvalue(), XLSX)
    assert Customer.objects.count() == 1
    confirm(admin_client, "/admin/customers/customer/process_import/", preview)

    ana = Customer.objects.get(external_id="CLI-1")
    assert (ana.email, ana.name, ana.attributes) == ("ana@example.com", "Ana García", {"city": "Madrid"})
    assert Customer.objects.get(external_id="1002").attributes == {"city": "Cádiz"}


def test_reviews_are_imported_through_moderation_and_the_verified_buyer_check(admin_client):
    ProductFactory(sku="TAZA-01")
    reviews = "source,external_id,rating,body,product_sku\namazon,A1,5,Me encanta,TAZA-01\namazon,A2,9,Fuera,\n"

    preview = upload(admin_client, "/admin/reviews/review/import/", "reviews.csv", reviews.encode())
    assert "rating" in preview.content.decode() and not Review.objects.exists()
    confirm(admin_client, "/admin/reviews/review/process_import/", preview)

    review = Review.objects.get()
    assert (review.external_id, review.product.sku, review.is_verified_buyer) == ("A1", "TAZA-01", False)
    assert FeedbackItem.objects.filter(review=review).exists()  # handed on for analysis


def test_a_view_only_agent_can_neither_import_nor_export(client, django_user_model):
    agent = django_user_model.objects.create_user("agent", password="x", is_staff=True)
    agent.groups.add(Group.objects.get(name=AGENTS))
    client.force_login(agent)

    assert client.get("/admin/customers/customer/").status_code == 200
    assert "/import/" not in client.get("/admin/customers/customer/").content.decode()
    assert client.get("/admin/customers/customer/import/").status_code == 403
    assert upload(client, "/admin/customers/order/import/", "pedidos.csv", ORDERS_CSV.encode()).status_code == 403
    assert client.post("/admin/customers/order/process_import/", {}).status_code == 403
    assert client.get("/admin/reviews/review/import/").status_code == 403
    assert client.get("/admin/customers/customer/export/").status_code == 403
    assert not Order.objects.exists()


def test_the_import_pages_and_their_errors_speak_the_users_language(admin_client):
    spanish = upload(admin_client, "/admin/customers/order/import/", "pedidos.csv", ORDERS_CSV.encode())
    admin_client.cookies["django_language"] = "en"
    english = upload(admin_client, "/admin/customers/order/import/", "pedidos.csv", ORDERS_CSV.encode())

    for page, words in (
        (spanish, ["Filas rechazadas", "Debe ser 0 o más (es -3.00).", "Confirmar importación", "Vista previa"]),
        (english, ["Rejected rows", "Must be 0 or more (got -3.00).", "Confirm import", "Preview"]),
    ):
        assert all(word in page.content.decode() for word in words), words


def test_an_order_export_is_a_file_the_import_takes_back(admin_client):
    confirm(
        admin_client,
        "/admin/customers/order/process_import/",
        upload(admin_client, "/admin/customers/order/import/", "pedidos.csv", ORDERS_CSV.encode()),
    )

    exported = OrderResource().export(queryset=Order.objects.all())
    report = dataset_import(OrderResource(), ShopCSV().create_dataset(exported.csv))

    assert exported.headers[:3] == ["order_external_id", "customer_external_id", "customer_email"]
    assert len(exported) == 2  # one row per item
    assert (report.counts["updated"], report.issues) == (1, [])
    assert Order.objects.get().items.count() == 2
    assert admin_client.get("/admin/customers/order/export/").status_code == 200
