from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from customers.models import Customer, Order, OrderItem, Product
from surveys.models import Invitation, Survey


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    external_id = factory.Sequence(lambda n: f"C-{n:05d}")
    email = factory.Sequence(lambda n: f"cliente{n}@example.com")
    name = factory.Faker("name", locale="es_ES")
    preferred_language = "es"


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Producto {n}")
    category = "Hogar"


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    external_id = factory.Sequence(lambda n: f"O-{n:06d}")
    customer = factory.SubFactory(CustomerFactory)
    placed_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=6))
    delivered_at = factory.LazyAttribute(lambda order: order.placed_at + timedelta(days=3))
    total = Decimal("49.90")
    currency = "EUR"


class OrderItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderItem

    order = factory.SubFactory(OrderFactory)
    product = factory.SubFactory(ProductFactory)
    quantity = 1
    unit_price = Decimal("49.90")


def default_survey() -> Survey:
    """The post-purchase survey the data migration ships (recreated after a transactional test's flush)."""
    if not Survey.objects.filter(slug="post-purchase").exists():
        from importlib import import_module

        from django.apps import apps

        import_module("surveys.migrations.0002_default_post_purchase_survey").create_default_survey(apps, None)
        import_module("surveys.migrations.0007_default_survey_asks_effort").add_effort_question(apps, None)
    return Survey.objects.get(slug="post-purchase")


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    survey = factory.LazyFunction(default_survey)
    order = factory.SubFactory(OrderFactory)
    customer = factory.LazyAttribute(lambda invitation: invitation.order.customer)
    language = factory.LazyAttribute(lambda invitation: invitation.customer.preferred_language)
    status = Invitation.Status.SENT
    created_at = factory.LazyFunction(timezone.now)
    sent_at = factory.LazyAttribute(lambda invitation: invitation.created_at)
    expires_at = factory.LazyAttribute(lambda invitation: invitation.created_at + timedelta(days=30))


class FeedbackItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "feedback.FeedbackItem"

    channel = "survey"
    text = "El pedido llegó tarde y la caja estaba rota."
    language = "es"
    customer = factory.SubFactory(CustomerFactory)
