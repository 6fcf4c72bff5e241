"""A believable demo shop: a catalogue, customers, a year of orders and the survey answers they led to.

Everything is drawn from one `random.Random(seed)` and the given `today`, so the same arguments
always produce the same shop — screenshots, docs and tests can rely on it. Orders go through
`order_upsert` and answers through `response_submit`, so the data is shaped by the same rules as
real traffic; only the invitations, which describe the past, are written directly with the
timestamps the scheduler and the mailer would have given them.
"""

import random
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TypeVar

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from analytics import rollups
from core import roles
from core.exceptions import ApplicationError
from customers.models import Customer, Order, Product
from customers.services import CustomerData, OrderData, OrderItemData, order_upsert, products_upsert
from feedback.models import FeedbackItem
from reviews.models import Review
from sentiment.ml.shop_comments import COMMENTS, MIXED, TOPICS, MixedComment
from social.models import Mention
from surveys.models import Answer, Invitation, Question, Response, Survey
from surveys.services import LAPSED_SURVEY_SLUG, invitation_language, response_submit

Progress = Callable[[str, int, int], None]
"""Called as `progress(stage, done, total)` after each chunk; stages: orders, invitations, responses."""

T = TypeVar("T")

DEMO_SURVEY_SLUG = "post-purchase"
ORDER_PREFIX = "ORD-"
CUSTOMER_PREFIX = "CUS-"
MIN_LIVE_INVITATIONS = 5
ANSWER_SHARE = 0.40
REASON_RATE = 0.60
COMMENT_RATE = 0.25
ORDER_CHUNK = 100
INVITATION_CHUNK = 250
RESPONSE_CHUNK = 50


class DemoDataExists(ApplicationError):
    status_code = 409
    code = "demo_data_exists"


class DemoSeedInvalid(ApplicationError):
    code = "demo_seed_invalid"


# ---------------------------------------------------------------------------------------------
# Catalogue and people
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogueItem:
    sku: str
    name: str
    category: str
    price: Decimal


_CATALOGUE_SOURCE: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "Moda": (
        "MOD",
        [
            ("Camiseta básica de algodón orgánico", "12.95"),
            ("Vaqueros rectos de tiro alto", "39.95"),
            ("Vestido midi estampado", "45.00"),
            ("Chaqueta vaquera oversize", "54.90"),
            ("Sudadera con capucha", "34.95"),
            ("Camisa de lino", "39.90"),
            ("Jersey de punto trenzado", "42.50"),
            ("Falda plisada", "29.95"),
            ("Pantalón chino", "35.90"),
            ("Abrigo de paño", "119.00"),
            ("Bufanda de lana merino", "19.95"),
            ("Polo de piqué", "24.95"),
            ("Blusa de seda", "59.00"),
            ("Cinturón de piel", "22.50"),
        ],
    ),
    "Calzado": (
        "CAL",
        [
            ("Zapatillas urbanas blancas", "69.95"),
            ("Botines de piel", "89.00"),
            ("Sandalias planas", "34.95"),
            ("Zapatillas de running", "99.90"),
            ("Mocasines de ante", "74.50"),
            ("Alpargatas de yute", "24.95"),
            ("Botas de montaña impermeables", "119.90"),
            ("Zapatillas de casa", "19.95"),
        ],
    ),
    "Hogar": (
        "HOG",
        [
            ("Juego de sábanas de percal", "49.90"),
            ("Toalla de baño de algodón", "16.95"),
            ("Sartén antiadherente 28 cm", "32.50"),
            ("Set de 3 cuchillos de cocina", "44.90"),
            ("Cojín de terciopelo", "18.95"),
            ("Manta de punto grueso", "39.95"),
            ("Lámpara de mesa de cerámica", "54.00"),
            ("Jarrón de cristal soplado", "29.90"),
            ("Tazas de gres (pack de 4)", "24.00"),
            ("Vela aromática de soja", "14.50"),
            ("Cafetera italiana 6 tazas", "27.95"),
            ("Organizador de armario", "21.90"),
        ],
    ),
    "Electrónica": (
        "ELE",
        [
            ("Auriculares inalámbricos con cancelación de ruido", "79.99"),
            ("Altavoz Bluetooth resistente al agua", "49.99"),
            ("Cargador USB-C 65 W", "34.99"),
            ("Batería externa 20.000 mAh", "39.99"),
            ("Reloj inteligente deportivo", "129.00"),
            ("Teclado mecánico compacto", "89.99"),
            ("Ratón ergonómico inalámbrico", "39.90"),
            ("Cable USB-C trenzado 2 m", "12.99"),
            ("Soporte elevador para portátil", "29.99"),
            ("Bombilla inteligente (pack de 2)", "24.99"),
        ],
    ),
    "Belleza": (
        "BEL",
        [
            ("Crema hidratante facial", "24.90"),
            ("Sérum de vitamina C", "29.95"),
            ("Champú sólido", "9.95"),
            ("Perfume floral 50 ml", "59.00"),
            ("Protector solar SPF 50", "18.50"),
            ("Paleta de sombras", "27.00"),
            ("Aceite corporal de almendras", "15.90"),
            ("Cepillo alisador", "44.95"),
        ],
    ),
    "Deportes": (
        "DEP",
        [
            ("Esterilla de yoga", "29.95"),
            ("Mancuernas ajustables 2 × 10 kg", "89.00"),
            ("Botella térmica 750 ml", "22.95"),
            ("Mallas deportivas", "32.95"),
            ("Camiseta técnica transpirable", "19.95"),
            ("Mochila de senderismo 25 l", "54.90"),
            ("Comba de velocidad", "12.95"),
            ("Bandas elásticas de resistencia (set)", "19.90"),
        ],
    ),
}

CATALOGUE: list[CatalogueItem] = [
    CatalogueItem(sku=f"{prefix}-{number:03d}", name=name, category=category, price=Decimal(price))
    for category, (prefix, products) in _CATALOGUE_SOURCE.items()
    for number, (name, price) in enumerate(products, start=1)
]

_FIRST_NAMES_SPAIN = [
    "Lucía", "María", "Carmen", "Laura", "Marta", "Elena", "Paula", "Sara", "Ana", "Cristina", "Alba",
    "Irene", "Nuria", "Raquel", "Beatriz", "Pilar", "Rocío", "Inés", "Claudia", "Julia", "Montserrat",
    "Javier", "Alejandro", "David", "Daniel", "Pablo", "Sergio", "Jorge", "Carlos", "Manuel", "Álvaro",
    "Adrián", "Iván", "Raúl", "Rubén", "Hugo", "Jaime", "Íñigo", "Marc", "Jordi", "Aitor", "Xabier",
]  # fmt: skip
_FIRST_NAMES_LATAM = [
    "Valentina", "Camila", "Daniela", "Mariana", "Sofía", "Fernanda", "Gabriela", "Ximena", "Renata",
    "Guadalupe", "Florencia", "Catalina", "Luciana", "Santiago", "Mateo", "Sebastián", "Diego",
    "Joaquín", "Emiliano", "Matías", "Andrés", "Felipe", "Tomás", "Rodrigo", "Nicolás", "Facundo",
]  # fmt: skip
_SURNAMES_SPAIN = [
    "García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez", "Pérez", "Gómez",
    "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno", "Muñoz", "Álvarez", "Romero", "Alonso",
    "Gutiérrez", "Navarro", "Torres", "Domínguez", "Vázquez", "Ramos", "Gil", "Serrano", "Blanco",
    "Molina", "Ortega", "Delgado", "Castro", "Ortiz", "Rubio", "Marín", "Sanz", "Iglesias", "Núñez",
    "Medina", "Garrido", "Vidal", "Puig", "Etxeberria", "Ferrer",
]  # fmt: skip
_SURNAMES_LATAM = [
    "Rojas", "Silva", "Castillo", "Vargas", "Herrera", "Mendoza", "Aguilar", "Flores", "Reyes",
    "Morales", "Cruz", "Guerrero", "Contreras", "Salazar", "Quispe", "Acosta", "Cárdenas",
    "Villalobos", "Espinoza", "Ríos", "González", "Rodríguez", "Pérez", "Ramírez",
]  # fmt: skip
# English-speaking customers of a Spanish shop: British and Irish residents, and other Europeans
# who prefer English to Spanish.
_FIRST_NAMES_ENGLISH = [
    "Emma", "Olivia", "Charlotte", "Amelia", "Sophie", "Grace", "Chloe", "Hannah", "Emily", "Lucy",
    "Megan", "Sarah", "Anna", "Ingrid", "Chiara", "James", "Oliver", "Jack", "Harry", "George",
    "Thomas", "William", "Liam", "Noah", "Lukas", "Pieter", "Sven", "Pierre",
]  # fmt: skip
_SURNAMES_ENGLISH = [
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Evans", "Roberts",
    "Walker", "Wright", "Thompson", "White", "Hughes", "Edwards", "Green", "Hall", "Murphy", "O'Brien",
    "Kelly", "Müller", "Jansen", "de Vries", "Larsen", "Rossi", "Dubois", "Novak",
]  # fmt: skip


@dataclass(frozen=True)
class _Person:
    external_id: str
    name: str
    email: str
    language: str


def _ascii_slug(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(char for char in decomposed if char.isascii() and char.isalnum())


def _plan_people(rng: random.Random, count: int) -> list[_Person]:
    people: list[_Person] = []
    emails: set[str] = set()
    for index in range(count):
        language = "es" if rng.random() < 0.75 else "en"
        if language == "en":
            first, surnames = rng.choice(_FIRST_NAMES_ENGLISH), [rng.choice(_SURNAMES_ENGLISH)]
        elif rng.random() < 0.62:
            first = rng.choice(_FIRST_NAMES_SPAIN)
            surnames = rng.sample(_SURNAMES_SPAIN, 2) if rng.random() < 0.7 else [rng.choice(_SURNAMES_SPAIN)]
        else:
            first = rng.choice(_FIRST_NAMES_LATAM)
            surnames = rng.sample(_SURNAMES_LATAM, 2) if rng.random() < 0.4 else [rng.choice(_SURNAMES_LATAM)]
        local = rng.choice(
            [
                f"{_ascii_slug(first)}.{_ascii_slug(surnames[0])}",
                f"{_ascii_slug(first)}{_ascii_slug(surnames[0])}",
                f"{_ascii_slug(first)[0]}{_ascii_slug(surnames[-1])}",
                f"{_ascii_slug(first)}_{_ascii_slug(surnames[0])}{rng.randint(1970, 2006)}",
                f"{_ascii_slug(first)}{rng.randint(1, 99)}",
            ]
        )
        domain = "example.com" if rng.random() < 0.8 else "example.org"
        email = f"{local}@{domain}"
        suffix = 2
        while email in emails:
            email = f"{local}{suffix}@{domain}"
            suffix += 1
        emails.add(email)
        people.append(
            _Person(
                external_id=f"{CUSTOMER_PREFIX}{index + 1:05d}",
                name=" ".join([first, *surnames]),
                email=email,
                language=language,
            )
        )
    return people


# ---------------------------------------------------------------------------------------------
# Orders
# ---------------------------------------------------------------------------------------------

# Online fashion and home shops in Spain: January sales, a quiet August, Black Friday and Christmas.
_MONTH_WEIGHT = {1: 1.15, 2: 0.9, 3: 0.95, 4: 1.0, 5: 1.0, 6: 1.05, 7: 1.1, 8: 0.8, 9: 0.95, 10: 1.0, 11: 1.3, 12: 1.4}
_WEEKDAY_WEIGHT = (1.1, 1.05, 1.0, 1.0, 0.95, 0.85, 1.1)
# Hardly anyone shops in the small hours.
_HOUR_WEIGHT = (2, 1, 0, 0, 0, 0, 1, 2, 4, 5, 6, 7, 8, 8, 7, 7, 7, 8, 9, 10, 12, 13, 11, 6)
_DELIVERY_DAYS = (1, 2, 3, 4, 5, 6)
_DELIVERY_DAY_WEIGHT = (8, 30, 28, 17, 10, 7)
_DELIVERED_SHARE = 0.95
_ONE_OFF_BUYER_SHARE = 0.4


@dataclass
class _PlannedOrder:
    external_id: str
    person_index: int
    placed_at: datetime
    delivered_at: datetime | None
    delivery_days: int | None
    items: list[tuple[CatalogueItem, int]]

    @property
    def total(self) -> Decimal:
        return sum((item.price * quantity for item, quantity in self.items), Decimal("0.00"))


def _aware(day: date, moment: time) -> datetime:
    # Local wall-clock time, held in UTC so that adding days stays exact across daylight-saving changes.
    return timezone.make_aware(datetime.combine(day, moment)).astimezone(UTC)


def _order_day_weights(today: date) -> tuple[list[date], list[float]]:
    days = [today - timedelta(days=offset) for offset in range(365, 0, -1)]
    weights = []
    for position, day in enumerate(days):
        growth = 0.65 + 0.35 * position / (len(days) - 1)  # a shop that grew over the year
        season = _MONTH_WEIGHT[day.month]
        if (day.month == 11 and day.day >= 22) or (day.month == 12 and day.day <= 2):
            season *= 1.6  # Black Friday to Cyber Monday
        weights.append(growth * season * _WEEKDAY_WEIGHT[day.weekday()])
    return days, weights


def _orders_per_person(rng: random.Random, people: int, orders: int) -> list[int]:
    """Many customers buy once, a few keep coming back: every person gets one order, the rest go to a heavy tail."""
    counts = [1] * people
    repeaters = [index for index in range(people) if rng.random() >= _ONE_OFF_BUYER_SHARE] or list(range(people))
    loyalty = [min(rng.paretovariate(1.3), 8.0) for _ in repeaters]
    for index in rng.choices(repeaters, weights=loyalty, k=orders - people):
        counts[index] += 1
    return counts


def _plan_orders(rng: random.Random, *, people: int, orders: int, today: date, cutoff: datetime) -> list[_PlannedOrder]:
    days, day_weights = _order_day_weights(today)
    moments = sorted(
        _aware(day, time(rng.choices(range(24), weights=_HOUR_WEIGHT)[0], rng.randint(0, 59), rng.randint(0, 59)))
        for day in rng.choices(days, weights=day_weights, k=orders)
    )
    buyers = [index for index, count in enumerate(_orders_per_person(rng, people, orders)) for _ in range(count)]
    rng.shuffle(buyers)
    popularity = [rng.uniform(0.5, 1.5) * (1.4 if item.price < 30 else 1.0) for item in CATALOGUE]

    planned = []
    for number, (placed_at, person_index) in enumerate(zip(moments, buyers, strict=True)):
        chosen: list[CatalogueItem] = []
        wanted = rng.choices((1, 2, 3, 4), weights=(52, 28, 13, 7))[0]
        while len(chosen) < wanted:
            item = rng.choices(CATALOGUE, weights=popularity)[0]
            if item not in chosen:
                chosen.append(item)
        items = [(item, 2 if item.price < 25 and rng.random() < 0.15 else 1) for item in chosen]
        delivered_at, delivery_days = None, None
        if rng.random() < _DELIVERED_SHARE:
            days_taken = rng.choices(_DELIVERY_DAYS, weights=_DELIVERY_DAY_WEIGHT)[0]
            moment = _aware(
                timezone.localdate(placed_at) + timedelta(days=days_taken), time(rng.randint(9, 20), rng.randint(0, 59))
            )
            if moment < cutoff:  # later ones are still on their way
                delivered_at, delivery_days = moment, days_taken
        planned.append(
            _PlannedOrder(
                external_id=f"{ORDER_PREFIX}{10001 + number}",
                person_index=person_index,
                placed_at=placed_at,
                delivered_at=delivered_at,
                delivery_days=delivery_days,
                items=items,
            )
        )
    return planned


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _orders_store(
    planned: list[_PlannedOrder], people: list[_Person], progress: Progress
) -> tuple[list[Order], dict[int, Customer]]:
    stored: list[Order] = []
    customers: dict[int, Customer] = {}
    for chunk in _chunks(planned, ORDER_CHUNK):
        with transaction.atomic():
            for plan in chunk:
                person = people[plan.person_index]
                order, _created = order_upsert(
                    data=OrderData(
                        external_id=plan.external_id,
                        customer=CustomerData(
                            external_id=person.external_id,
                            email=person.email,
                            name=person.name,
                            preferred_language=person.language,
                        ),
                        placed_at=plan.placed_at,
                        delivered_at=plan.delivered_at,
                        total=plan.total,
                        currency="EUR",
                        shipping_country=_demo_country(person.external_id, person.language),
                        items=[
                            OrderItemData(
                                sku=item.sku,
                                name=item.name,
                                category=item.category,
                                quantity=quantity,
                                unit_price=item.price,
                            )
                            for item, quantity in plan.items
                        ],
                    )
                )
                stored.append(order)
                customers.setdefault(plan.person_index, order.customer)
            # The rows describe the past, so their bookkeeping dates should too, or every order
            # would look as if it had been imported today.
            Order.objects.filter(pk__in=[order.pk for order in stored[-len(chunk) :]]).update(
                created_at=F("placed_at"), updated_at=Coalesce(F("delivered_at"), F("placed_at"))
            )
        progress("orders", len(stored), len(planned))
    return stored, customers


def _customers_backdate(rng: random.Random, planned: list[_PlannedOrder], customers: dict[int, Customer]) -> None:
    """A customer's account dates from just before their first order."""
    first_order: dict[int, datetime] = {}
    for plan in planned:
        first_order.setdefault(plan.person_index, plan.placed_at)
    for person_index, customer in customers.items():
        customer.created_at = first_order[person_index] - timedelta(minutes=rng.randint(2, 25))
    with transaction.atomic():
        Customer.objects.bulk_update(list(customers.values()), ["created_at"], batch_size=250)


CITIES = {
    "es": ["Madrid", "Madrid", "Barcelona", "Valencia", "Sevilla", "Bilbao"],
    "en": ["London", "Dublin", "Madrid"],
}
AGE_BANDS = ["18-24", "25-34", "25-34", "35-44", "35-44", "45-54", "55+"]


def _customers_profile(rng: random.Random, planned: list[_PlannedOrder], customers: dict[int, Customer]) -> None:
    """What a shop's CRM would send: city, age band, gender and a loyalty tier from the orders."""
    orders: dict[int, int] = {}
    for plan in planned:
        orders[plan.person_index] = orders.get(plan.person_index, 0) + 1
    for person_index, customer in customers.items():
        count = orders.get(person_index, 0)
        customer.attributes = {
            "city": rng.choice(CITIES.get(customer.preferred_language, CITIES["es"])),
            "age_band": rng.choice(AGE_BANDS),
            "gender": rng.choice(["f", "m", "f", "m", "unspecified"]),
            "loyalty_tier": "vip" if count >= 4 else "gold" if count >= 2 else "standard",
        }
    with transaction.atomic():
        Customer.objects.bulk_update(list(customers.values()), ["attributes"], batch_size=250)


def _demo_segments() -> None:
    from customers.models import SavedSegment

    SavedSegment.objects.get_or_create(
        slug="vip-madrid",
        defaults={"name": "VIP Madrid", "attributes": {"city": "madrid", "loyalty_tier": "vip"}},
    )
    SavedSegment.objects.get_or_create(
        slug="sin-comprar-6-meses",
        defaults={"name": "Sin comprar en 6 meses", "recency_min_days": 180},
    )


# ---------------------------------------------------------------------------------------------
# Invitations
# ---------------------------------------------------------------------------------------------


@dataclass
class _PlannedInvitation:
    order_index: int
    public_id: uuid.UUID
    created_at: datetime
    sent_at: datetime
    expires_at: datetime
    reminder_due: datetime | None
    # When this customer would answer, or glance at the link without answering, if they do.
    would_answer_at: datetime | None
    would_open_at: datetime | None
    opened_at: datetime | None = None
    submitted_at: datetime | None = None
    status: str = Invitation.Status.SENT

    @property
    def reminded_at(self) -> datetime | None:
        # The reminder goes only to those who have not answered by then.
        if self.reminder_due is None or (self.submitted_at is not None and self.submitted_at <= self.reminder_due):
            return None
        return self.reminder_due


def _answer_delay(rng: random.Random, reminder_after: timedelta | None) -> timedelta:
    draw = rng.random()
    if draw < 0.45:
        return timedelta(hours=min(rng.expovariate(1 / 3), 20))  # most answer within hours of the email
    if draw < 0.70:
        return timedelta(hours=rng.uniform(20, 70))
    if draw < 0.92 and reminder_after is not None:
        return reminder_after + timedelta(hours=rng.uniform(0.2, 48))  # nudged by the reminder
    return timedelta(days=rng.uniform(5, 27))


def _plan_invitations(
    rng: random.Random, *, survey: Survey, planned: list[_PlannedOrder], cutoff: datetime
) -> list[_PlannedInvitation]:
    """Replay what the scheduler would have done: one invitation per customer per cooldown.

    Like `invitations_schedule_due`, an order is invited from `invitation_delay` after delivery
    until the lateness limit, for the customer's latest due delivery, never inside the cooldown.
    """
    cooldown = timedelta(days=settings.SURVEY_CUSTOMER_COOLDOWN_DAYS)
    lateness = timedelta(days=settings.SURVEY_MAX_LATENESS_DAYS)
    delay = survey.invitation_delay
    delivered_by_person: dict[int, list[int]] = {}
    for index in sorted(
        (index for index, plan in enumerate(planned) if plan.delivered_at is not None),
        key=lambda index: planned[index].delivered_at,
    ):
        delivered_by_person.setdefault(planned[index].person_index, []).append(index)

    invitations: list[_PlannedInvitation] = []
    for person_index in sorted(delivered_by_person):
        order_indexes = delivered_by_person[person_index]
        last_created: datetime | None = None
        position = 0
        while position < len(order_indexes):
            due = planned[order_indexes[position]].delivered_at + delay
            allowed = due if last_created is None else max(due, last_created + cooldown)
            moment = allowed + timedelta(minutes=rng.randint(1, 15), seconds=rng.randint(0, 59))  # scheduler period
            if moment > due + lateness:  # only due while the customer was in the cooldown
                position += 1
                continue
            if moment >= cutoff:
                break
            chosen = position
            while chosen + 1 < len(order_indexes) and planned[order_indexes[chosen + 1]].delivered_at + delay <= moment:
                chosen += 1
            invitations.append(
                _invitation_timeline(
                    rng, survey=survey, order_index=order_indexes[chosen], created_at=moment, cutoff=cutoff
                )
            )
            last_created = moment
            position = chosen + 1
    invitations.sort(key=lambda invitation: invitation.created_at)
    _invitations_settle(rng, invitations, cutoff=cutoff)
    return invitations


def _invitation_timeline(
    rng: random.Random, *, survey: Survey, order_index: int, created_at: datetime, cutoff: datetime
) -> _PlannedInvitation:
    sent_at = created_at + timedelta(seconds=rng.randint(20, 240))
    expires_at = created_at + survey.invitation_lifetime
    horizon = min(expires_at, cutoff)
    reminder_due = None
    if survey.reminder_after is not None:
        moment = sent_at + survey.reminder_after + timedelta(minutes=rng.randint(0, 20))
        reminder_due = moment if moment < horizon else None
    would_answer_at = sent_at + _answer_delay(rng, survey.reminder_after)
    would_open_at = sent_at + timedelta(minutes=rng.uniform(5, 4 * 24 * 60)) if rng.random() < 0.3 else None
    return _PlannedInvitation(
        order_index=order_index,
        public_id=uuid.UUID(int=rng.getrandbits(128), version=4),
        created_at=created_at,
        sent_at=sent_at,
        expires_at=expires_at,
        reminder_due=reminder_due,
        would_answer_at=would_answer_at if would_answer_at < horizon else None,
        would_open_at=would_open_at if would_open_at is not None and would_open_at < horizon else None,
    )


def _invitations_settle(rng: random.Random, invitations: list[_PlannedInvitation], *, cutoff: datetime) -> None:
    """Decide who answered, opened or let the link expire.

    The answered share is a quota rather than a coin per invitation, so even a small demo lands
    on the intended rate; only invitations whose answer would fall before today can be picked.
    """
    candidates = [index for index, invitation in enumerate(invitations) if invitation.would_answer_at is not None]
    answering = set(rng.sample(candidates, min(len(candidates), round(ANSWER_SHARE * len(invitations)))))
    for index, invitation in enumerate(invitations):
        if index in answering:
            invitation.submitted_at = invitation.would_answer_at
            invitation.opened_at = max(
                invitation.sent_at + timedelta(seconds=30),
                invitation.submitted_at - timedelta(minutes=rng.uniform(1.5, 9)),
            )
            # Answering opens the link first; response_submit then marks the invitation answered.
            invitation.status = Invitation.Status.OPENED
        elif invitation.expires_at <= cutoff:
            invitation.opened_at = invitation.would_open_at
            invitation.status = Invitation.Status.EXPIRED
        elif invitation.would_open_at is not None:
            invitation.opened_at = invitation.would_open_at
            invitation.status = Invitation.Status.OPENED
    _keep_links_live(invitations, cutoff=cutoff)


def _keep_links_live(invitations: list[_PlannedInvitation], *, cutoff: datetime) -> None:
    """Leave a few of the newest links unopened and valid, so the demo can show the survey page."""
    live = [invitation for invitation in invitations if invitation.expires_at > cutoff]
    unopened = sum(1 for invitation in live if invitation.status == Invitation.Status.SENT)
    for invitation in reversed(live):
        if unopened >= MIN_LIVE_INVITATIONS:
            break
        if invitation.status != Invitation.Status.SENT:
            invitation.status = Invitation.Status.SENT
            invitation.opened_at = None
            invitation.submitted_at = None
            unopened += 1


def _invitations_store(
    plans: list[_PlannedInvitation],
    *,
    survey: Survey,
    orders: list[Order],
    customers: dict[int, Customer],
    planned_orders: list[_PlannedOrder],
    progress: Progress,
) -> list[Invitation]:
    stored: list[Invitation] = []
    for chunk in _chunks(plans, INVITATION_CHUNK):
        rows = []
        for plan in chunk:
            customer = customers[planned_orders[plan.order_index].person_index]
            rows.append(
                Invitation(
                    public_id=plan.public_id,
                    survey=survey,
                    order=orders[plan.order_index],
                    customer=customer,
                    language=invitation_language(customer),
                    status=plan.status,
                    created_at=plan.created_at,
                    expires_at=plan.expires_at,
                    sent_at=plan.sent_at,
                    reminded_at=plan.reminded_at,
                    opened_at=plan.opened_at,
                    send_attempts=1,
                )
            )
        with transaction.atomic():
            created = Invitation.objects.bulk_create(rows)
        if any(invitation.pk is None for invitation in created):
            # SQLite before 3.35 cannot return the new keys from a bulk insert.
            by_public_id = Invitation.objects.in_bulk([row.public_id for row in rows], field_name="public_id")
            created = [by_public_id[row.public_id] for row in rows]
        stored.extend(created)
        progress("invitations", len(stored), len(plans))
    return stored


# ---------------------------------------------------------------------------------------------
# Answers
# ---------------------------------------------------------------------------------------------

# The survey's "what could we improve" choices are coarser than the analysis topics.
IMPROVE_CHOICE_FOR_TOPIC = {
    "delivery": "delivery",
    "product_quality": "product_quality",
    "price": "price",
    "customer_service": "customer_service",
    "returns_refunds": "returns_refunds",
    "payment": "website_app",  # paying happens in the web checkout
    "website_app": "website_app",
    "packaging": "delivery",  # a battered parcel is part of how the order arrived
    "stock_availability": "other",
    "size_fit": "product_quality",
}

_GROUP_POLARITY = {"promoter": "positive", "passive": "neutral", "detractor": "negative"}
_TOPIC_WEIGHT = {
    "promoter": (24, 24, 12, 12, 4, 3, 7, 6, 3, 5),
    "passive": (18, 18, 14, 8, 6, 6, 8, 8, 6, 8),
    "detractor": (22, 18, 9, 12, 10, 5, 6, 6, 5, 7),
}
# How much more or less a customer talks about delivery, given how long the parcel took.
_DELIVERY_TOPIC_FACTOR = {
    "promoter": {"fast": 1.6, "usual": 0.6, "late": 0.0},
    "passive": {"fast": 1.0, "usual": 1.0, "late": 1.3},
    "detractor": {"fast": 0.4, "usual": 1.0, "late": 4.0},
}
_USER_AGENTS = (
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36"
    ),
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.5 Safari/605.1.15"
    ),
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0",
)
_USER_AGENT_WEIGHT = (35, 30, 20, 10, 5)


@dataclass(frozen=True)
class _PlannedAnswers:
    nps: int
    delivery_csat: int
    reason: str
    comment: str
    improve: list[str]
    user_agent: str


def _delivery_speed(days: int) -> str:
    return "fast" if days <= 2 else "late" if days >= 5 else "usual"


def _weighted_topic(rng: random.Random, weights: dict[str, float], exclude: Iterable[str] = ()) -> str:
    excluded = set(exclude)
    candidates = [topic for topic in TOPICS if topic not in excluded and weights[topic] > 0]
    return rng.choices(candidates, weights=[weights[topic] for topic in candidates])[0]


def _mixed_fits(comment: MixedComment, *, language: str, speed: str) -> bool:
    """Nobody whose parcel came late praises the delivery, nor complains about a next-day one."""
    said = comment.aspects.get("delivery")
    return comment.language == language and not (
        (speed == "late" and said == "positive") or (speed == "fast" and said == "negative")
    )


def _compose_answers(
    rng: random.Random, *, language: str, delivery_days: int, improve_choices: Sequence[str]
) -> _PlannedAnswers:
    speed = _delivery_speed(delivery_days)
    # A late parcel makes detractors more likely; the overall mix stays near 55/25/20.
    promoter_share, detractor_share = (0.38, 0.37) if speed == "late" else (0.58, 0.17)
    draw = rng.random()
    if draw < detractor_share:
        group, nps = "detractor", rng.choices(range(7), weights=(4, 3, 5, 9, 12, 27, 40))[0]
    elif draw < 1 - promoter_share:
        group, nps = "passive", rng.choices((7, 8), weights=(45, 55))[0]
    else:
        group, nps = "promoter", rng.choices((9, 10), weights=(45, 55))[0]
    polarity = _GROUP_POLARITY[group]
    weights = dict(zip(TOPICS, _TOPIC_WEIGHT[group], strict=True))
    weights["delivery"] *= _DELIVERY_TOPIC_FACTOR[group][speed]
    topic = _weighted_topic(rng, weights)

    said: dict[str, str] = {}  # topic -> polarity of what the customer wrote
    reason = ""
    if rng.random() < REASON_RATE:
        if group == "passive" and rng.random() < 0.35:
            mixed = rng.choice([comment for comment in MIXED if _mixed_fits(comment, language=language, speed=speed)])
            reason = mixed.text
            said.update(mixed.aspects)
        else:
            reason = rng.choice(COMMENTS[(language, topic, polarity)])
            said[topic] = polarity
            if rng.random() < 0.15:
                second = _weighted_topic(rng, weights, exclude=[topic])
                reason = f"{reason} {rng.choice(COMMENTS[(language, second, polarity)])}"
                said[second] = polarity
    comment = ""
    if rng.random() < COMMENT_RATE:
        extra = _weighted_topic(rng, weights, exclude=[topic, *said])
        comment = rng.choice(COMMENTS[(language, extra, polarity)])
        said[extra] = polarity

    improve: list[str] = []
    if group == "detractor" and rng.random() < 0.85:
        complaints = [name for name, tone in said.items() if tone == "negative"] or [topic]
        wanted = {IMPROVE_CHOICE_FOR_TOPIC[name] for name in complaints}
        improve = [choice for choice in improve_choices if choice in wanted]

    return _PlannedAnswers(
        nps=nps,
        delivery_csat=_delivery_csat(rng, speed=speed, said=said.get("delivery"), is_detractor=group == "detractor"),
        reason=reason,
        comment=comment,
        improve=improve,
        user_agent=rng.choices(_USER_AGENTS, weights=_USER_AGENT_WEIGHT)[0],
    )


def _delivery_csat(rng: random.Random, *, speed: str, said: str | None, is_detractor: bool) -> int:
    """What the customer wrote about the delivery decides the score; otherwise how long it took."""
    if said == "negative":
        return rng.choices((1, 2), weights=(55, 45))[0]
    if said == "positive":
        return rng.choices((4, 5), weights=(25, 75))[0]
    if said == "neutral":
        return rng.choices((3, 4), weights=(50, 50))[0]
    base = {"fast": 5, "usual": 4, "late": 3}[speed]
    shift = rng.choices((-1, 0, 1), weights={"fast": (20, 80, 0), "usual": (25, 55, 20), "late": (45, 45, 10)}[speed])[
        0
    ]
    if is_detractor and rng.random() < 0.3:
        shift -= 1
    return max(1, min(5, base + shift))


# Most people answer an optional scale question right after the required ones.
EFFORT_ANSWER_RATE = 0.8


def _order_effort(rng: random.Random, *, nps: int) -> int:
    """1 (very difficult) to 7 (very easy): ordering is easy for most, and hard orders make detractors."""
    if nps <= 6:
        return rng.choices(range(1, 8), weights=(10, 12, 14, 16, 18, 16, 14))[0]
    if nps <= 8:
        return rng.choices(range(3, 8), weights=(6, 14, 30, 30, 20))[0]
    return rng.choices(range(4, 8), weights=(4, 10, 36, 50))[0]


def _responses_submit(
    plans: list[_PlannedInvitation],
    invitations: list[Invitation],
    *,
    rng: random.Random,
    effort_rng: random.Random,
    survey: Survey,
    planned_orders: list[_PlannedOrder],
    progress: Progress,
) -> int:
    questions = {question.code: question for question in survey.questions.prefetch_related("choices")}
    improve_choices = [choice.value for choice in questions["improve"].choices.all()]
    answered = [
        (plan, invitation) for plan, invitation in zip(plans, invitations, strict=True) if plan.submitted_at is not None
    ]
    # Composing in invitation order before submitting keeps the random draws independent of timing.
    composed = [
        (
            plan,
            invitation,
            _compose_answers(
                rng,
                language=invitation.language,
                delivery_days=planned_orders[plan.order_index].delivery_days,
                improve_choices=improve_choices,
            ),
        )
        for plan, invitation in answered
    ]
    composed.sort(key=lambda row: row[0].submitted_at)
    effort = questions.get("order_effort")
    done = 0
    for chunk in _chunks(composed, RESPONSE_CHUNK):
        with transaction.atomic():
            for plan, invitation, planned in chunk:
                answers: dict[int, int | str | list[str]] = {
                    questions["nps"].pk: planned.nps,
                    questions["delivery_csat"].pk: planned.delivery_csat,
                }
                if planned.reason:
                    answers[questions["reason"].pk] = planned.reason
                if planned.improve:
                    answers[questions["improve"].pk] = planned.improve
                if planned.comment:
                    answers[questions["comment"].pk] = planned.comment
                if effort is not None and effort_rng.random() < EFFORT_ANSWER_RATE:
                    answers[effort.pk] = _order_effort(effort_rng, nps=planned.nps)
                response_submit(
                    invitation=invitation,
                    answers=answers,
                    language=invitation.language,
                    user_agent=planned.user_agent,
                    now=plan.submitted_at,
                )
        done += len(chunk)
        progress("responses", done, len(composed))
    # Like the orders, the feedback rows belong to the past, not to the moment of seeding.
    FeedbackItem.objects.filter(order__external_id__startswith=ORDER_PREFIX).update(created_at=F("received_at"))
    return done


# The defection survey: why lapsed customers left (weights: what shops typically hear).
DEFECTION_REASONS = {
    "price": 30,
    "poor_service": 20,
    "better_offer": 16,
    "not_needed": 14,
    "moved_away": 10,
    "other": 10,
}


def _lapsed_customers_answer(rng: random.Random, *, cutoff: datetime, progress: Progress) -> int:
    """Six months of the weekly defection survey: each Monday, customers without an order for 180
    days are asked once (as `lapsed_customers_invite` does, without the emails) and about a third
    answer within the week."""
    survey = Survey.objects.filter(slug=LAPSED_SURVEY_SLUG).first()
    if survey is None:
        return 0
    reason_question = survey.questions.get(code="defection_reason")
    offered = set(reason_question.choices.values_list("value", flat=True))
    reasons = [reason for reason in DEFECTION_REASONS if reason in offered]
    weights = [DEFECTION_REASONS[reason] for reason in reasons]
    # each customer's latest order (ties: the later id), in one pass
    latest: dict[int, tuple] = {}
    for customer_id, placed_at, order_id in Order.objects.values_list("customer_id", "placed_at", "pk").order_by(
        "placed_at", "pk"
    ):
        latest[customer_id] = (placed_at, order_id)
    last_orders = {customer_id: placed_at for customer_id, (placed_at, _order_id) in latest.items()}
    customers = {customer.pk: customer for customer in Customer.objects.filter(pk__in=last_orders)}
    monday = cutoff - timedelta(days=182 + cutoff.weekday())
    asked: set[int] = set()
    answered = 0
    while monday < cutoff:
        lapsed = sorted(
            cid for cid, last in last_orders.items() if last < monday - timedelta(days=180) and cid not in asked
        )
        for customer_id in lapsed:
            asked.add(customer_id)
            customer = customers[customer_id]
            expires_at = monday + survey.invitation_lifetime
            public_id = uuid.UUID(int=rng.getrandbits(128), version=4)
            when = monday + timedelta(days=rng.randint(0, 6), hours=rng.randint(9, 21))
            answers_it = rng.random() < 0.35 and when < cutoff
            invitation = Invitation.objects.create(
                public_id=public_id,
                survey=survey,
                customer=customer,
                order_id=latest[customer_id][1],
                language=invitation_language(customer),
                status=Invitation.Status.SENT if answers_it or expires_at > cutoff else Invitation.Status.EXPIRED,
                created_at=monday,
                sent_at=monday + timedelta(hours=1),
                expires_at=expires_at,
            )
            if not answers_it:
                continue
            reason = rng.choices(reasons, weights)[0]
            # reasons only: a comment could open a complaint case and unsettle the demo inbox
            response_submit(
                invitation=invitation, answers={reason_question.pk: reason}, language=invitation.language, now=when
            )
            answered += 1
        monday += timedelta(days=7)
        progress("defection survey", min(len(asked), len(last_orders)), len(last_orders))
    return answered


# Where demo customers live: mostly Spain, some Latin America; English speakers in the UK and Ireland.
DEMO_COUNTRIES = {"es": ("ES", "ES", "ES", "ES", "MX", "AR", "CO"), "en": ("GB", "GB", "IE")}


def _demo_country(external_id: str, language: str) -> str:
    """Fixed by the customer's id (not drawn from the demo's random stream, which stays as it was)."""
    countries = DEMO_COUNTRIES.get(language, DEMO_COUNTRIES["es"])
    return countries[sum(map(ord, external_id)) % len(countries)]


def _demo_website() -> None:
    """The shop's website, registered for the feedback widget (see /w/demo/)."""
    from urllib.parse import urlsplit

    from onsite.models import Site

    public = urlsplit(settings.VOZ_PUBLIC_BASE_URL).netloc or "127.0.0.1:8000"
    domains = dict.fromkeys([public, "127.0.0.1:8000", "localhost:8000"])
    site, _ = Site.objects.get_or_create(name="Tienda Demo", defaults={"domains": "\n".join(domains)})
    # the sample shop page asks its visitors a few questions after a while, once a month each
    from onsite.models import Intercept

    survey = Survey.objects.filter(slug="post-purchase").first()
    if survey is not None:
        Intercept.objects.get_or_create(
            site=site,
            name="Página de producto",
            defaults={
                "survey": survey,
                "page_patterns": "/w/demo/*",
                "seconds_on_page": 15,
                "sample_percent": 100,
                "cooldown_days": 30,
                "prompt_es": "¿Nos cuentas qué tal tu experiencia con la tienda? Es solo un minuto.",
                "prompt_en": "Would you tell us about your experience with the shop? It only takes a minute.",
            },
        )


# ---------------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeedSummary:
    customers: int
    customers_by_language: dict[str, int]
    products: int
    orders: int
    delivered_orders: int
    invitations_by_status: dict[str, int]
    responses: int
    feedback_items: int
    reviews: int
    mentions: int
    promoters: int
    passives: int
    detractors: int
    live_survey_urls: list[str]

    @property
    def invitations(self) -> int:
        return sum(self.invitations_by_status.values())

    @property
    def nps(self) -> int | None:
        answered = self.promoters + self.passives + self.detractors
        if not answered:
            return None
        return round(100 * (self.promoters - self.detractors) / answered)


REVIEW_SHARE = 0.22  # of delivered orders whose customer reviews a product
MARKETPLACE_REVIEWS = 60
MENTIONS = 140
STAR_WEIGHTS = {5: 45, 4: 25, 3: 12, 2: 8, 1: 10}
REVIEW_TOPICS = ("product_quality", "size_fit", "delivery", "packaging", "price")
GENERIC_REVIEW_TOPICS = ("delivery", "packaging", "price", "customer_service")
WEARABLE_CATEGORIES = {"Moda", "Calzado", "Deportes"}
PLATFORM_WEIGHTS = {"x": 30, "instagram": 30, "facebook": 15, "tiktok": 15, "youtube": 4, "reddit": 6}
HANDLES = [
    "lucia_g",
    "marcos.r",
    "sofi_mx",
    "elena_bcn",
    "pablo_dev",
    "caro.ar",
    "juanjo88",
    "bea_style",
    "mike_uk",
    "sarah.j",
    "tom_reviews",
    "anna.b",
    "dani_co",
    "vale.cl",
    "jorge_mad",
    "nuria.v",
]


def _polarity_for_stars(stars: int) -> str:
    return "negative" if stars <= 2 else "neutral" if stars == 3 else "positive"


def _reviews_and_mentions_store(
    rng: random.Random,
    *,
    planned: list[_PlannedOrder],
    people: list[_Person],
    cutoff: datetime,
    progress: Progress,
) -> tuple[int, int]:
    """Reviews (verified ones from the shop's own orders, unverified ones from a marketplace),
    a few public replies, and social mentions of the shop — so the feed has every channel."""
    from reviews.models import ReviewReply
    from reviews.services import ReviewData, reviews_upsert
    from social.services import MentionData, mentions_upsert

    stars, star_weights = list(STAR_WEIGHTS), list(STAR_WEIGHTS.values())
    reviews: list[ReviewData] = []
    for plan in planned:
        if plan.delivered_at is None or rng.random() >= REVIEW_SHARE:
            continue
        person = people[plan.person_index]
        item, _quantity = rng.choice(plan.items)
        rating = rng.choices(stars, star_weights)[0]
        # The comment bank's quality and sizing sentences talk about clothes and shoes.
        topics = REVIEW_TOPICS if item.category in WEARABLE_CATEGORIES else GENERIC_REVIEW_TOPICS
        topic = rng.choice(topics)
        written = plan.delivered_at + timedelta(days=rng.randint(1, 12), hours=rng.randint(0, 23))
        if written >= cutoff:
            continue
        reviews.append(
            ReviewData(
                source="own_site",
                external_id=f"rev-{plan.external_id}-{item.sku}",
                rating=rating,
                body=rng.choice(COMMENTS[(person.language, topic, _polarity_for_stars(rating))]),
                author_name=person.name.split()[0],
                author_email=person.email,
                order_external_id=plan.external_id,
                product_sku=item.sku,
                language=person.language,
                created_at=written,
            )
        )
    for number in range(MARKETPLACE_REVIEWS):
        language = rng.choice(("es", "es", "en"))
        rating = rng.choices(stars, star_weights)[0]
        reviews.append(
            ReviewData(
                source="amazon",
                external_id=f"AMZ-{number:05d}",
                rating=rating,
                body=rng.choice(COMMENTS[(language, rng.choice(GENERIC_REVIEW_TOPICS), _polarity_for_stars(rating))]),
                author_name=rng.choice(HANDLES).split("_")[0].split(".")[0].title(),
                product_sku=rng.choice(CATALOGUE).sku,
                language=language,
                created_at=cutoff - timedelta(days=rng.randint(1, 360), hours=rng.randint(0, 23)),
            )
        )
    for start in range(0, len(reviews), 200):
        reviews_upsert(items=reviews[start : start + 200], now=cutoff)
        progress("reviews", min(start + 200, len(reviews)), len(reviews))

    # The shop answered some of the unhappy reviewers publicly (emails went out at the time).
    unhappy = list(Review.objects.filter(rating__lte=2, status="published").order_by("pk"))
    ReviewReply.objects.bulk_create(
        ReviewReply(
            review=review,
            text=(
                "Sentimos mucho lo ocurrido. Te hemos escrito por email para solucionarlo cuanto antes."
                if review.language == "es"
                else "We are very sorry about this. We have emailed you to put it right as soon as possible."
            ),
            emailed_at=min(review.created_at + timedelta(hours=6), cutoff),
        )
        for review in unhappy
        if rng.random() < 0.4
    )

    platforms, platform_weights = list(PLATFORM_WEIGHTS), list(PLATFORM_WEIGHTS.values())
    mentions = []
    for number in range(MENTIONS):
        language = rng.choice(("es", "es", "en"))
        polarity = rng.choices(("negative", "neutral", "positive"), (35, 20, 45))[0]
        platform = rng.choices(platforms, platform_weights)[0]
        mentions.append(
            MentionData(
                platform=platform,
                external_id=f"{platform}-{170000 + number}",
                text=f"@TiendaDemo {rng.choice(COMMENTS[(language, rng.choice(TOPICS), polarity)])}",
                author_handle=f"{rng.choice(HANDLES)}{rng.randint(1, 99)}",
                author_followers=int(rng.lognormvariate(6, 1.8)),
                url=f"https://{platform}.example/post/{170000 + number}",
                language=language,
                posted_at=cutoff - timedelta(days=rng.randint(0, 364), hours=rng.randint(0, 23)),
                is_reply_to_shop=rng.random() < 0.3,
            )
        )
    mentions_upsert(items=mentions, now=cutoff)
    progress("mentions", len(mentions), len(mentions))
    # Like the orders, these rows describe the past.
    FeedbackItem.objects.filter(channel__in=["review", "social"]).update(created_at=F("received_at"))
    return len(reviews), len(mentions)


# Two rivals with their own strengths and weaknesses (topic → weight, chance a comment is negative),
# so the comparison page has something to say: Rival Hogar delivers well and is dear, CasaPlus
# is cheap with poor service.
RIVALS = {
    "rival-hogar": (
        "Rival Hogar",
        "rivalhogar",
        {"delivery": (30, 0.03), "price": (25, 0.6), "product_quality": (20, 0.25), "customer_service": (15, 0.2)},
    ),
    "casaplus": (
        "CasaPlus",
        "casaplus",
        {"customer_service": (30, 0.65), "delivery": (25, 0.3), "price": (25, 0.1), "returns_refunds": (20, 0.5)},
    ),
}
# per rival, for a shop of the default size; a smaller demo shop is talked about less, down to a
# floor that still draws every competitor chart (the tier that analyses them is what a small
# demo's seeding waits on most)
RIVAL_MENTIONS = 200
RIVAL_REVIEWS = 40
RIVAL_FLOOR = (40, 10)
DEFAULT_ORDERS = 1500


def _rival_sizes(orders: int) -> tuple[int, int]:
    share = min(1.0, orders / DEFAULT_ORDERS)
    return max(RIVAL_FLOOR[0], round(RIVAL_MENTIONS * share)), max(RIVAL_FLOOR[1], round(RIVAL_REVIEWS * share))


def _rival_comment(rng: random.Random, profile: dict, language: str) -> tuple[str, str]:
    topics, weights = list(profile), [weight for weight, _negative in profile.values()]
    topic = rng.choices(topics, weights)[0]
    roll, negative_chance = rng.random(), profile[topic][1]
    polarity = "negative" if roll < negative_chance else "neutral" if roll < negative_chance + 0.15 else "positive"
    return rng.choice(COMMENTS[(language, topic, polarity)]), polarity


def _competitors_chatter(rng: random.Random, *, orders: int, cutoff: datetime, progress: Progress) -> int:
    """The shop's brand and two competitors, with a year of social posts and reviews about them."""
    from brands.models import Brand
    from reviews.services import ReviewData, reviews_upsert
    from social.services import MentionData, mentions_upsert

    Brand.objects.get_or_create(
        slug="tienda-demo",
        defaults={"name": "Tienda Demo", "is_own": True, "handles": "tiendademo", "keywords_es": "tienda demo"},
    )
    platforms, platform_weights = list(PLATFORM_WEIGHTS), list(PLATFORM_WEIGHTS.values())
    mention_count, review_count = _rival_sizes(orders)
    total = 0
    for slug, (name, handle, profile) in RIVALS.items():
        Brand.objects.get_or_create(
            slug=slug,
            defaults={"name": name, "handles": handle, "keywords_es": name.lower(), "keywords_en": name.lower()},
        )
        mentions = []
        for number in range(mention_count):
            language = rng.choice(("es", "es", "en"))
            platform = rng.choices(platforms, platform_weights)[0]
            text, _polarity = _rival_comment(rng, profile, language)
            mentions.append(
                MentionData(
                    platform=platform,
                    external_id=f"{platform}-{slug}-{number}",
                    text=f"@{handle} {text}",
                    author_handle=f"{rng.choice(HANDLES)}{rng.randint(1, 99)}",
                    author_followers=int(rng.lognormvariate(6, 1.8)),
                    language=language,
                    posted_at=cutoff - timedelta(days=rng.randint(0, 364), hours=rng.randint(0, 23)),
                    brand=slug,
                )
            )
        mentions_upsert(items=mentions, now=cutoff)
        reviews = []
        for number in range(review_count):
            language = rng.choice(("es", "es", "en"))
            text, polarity = _rival_comment(rng, profile, language)
            rating = {"negative": rng.choice((1, 2)), "neutral": 3, "positive": rng.choice((4, 5))}[polarity]
            reviews.append(
                ReviewData(
                    source="trustpilot",
                    external_id=f"TP-{slug}-{number:04d}",
                    rating=rating,
                    body=text,
                    author_name=rng.choice(HANDLES).split("_")[0].split(".")[0].title(),
                    language=language,
                    created_at=cutoff - timedelta(days=rng.randint(1, 360), hours=rng.randint(0, 23)),
                    brand=slug,
                )
            )
        reviews_upsert(items=reviews, now=cutoff)
        total += len(mentions) + len(reviews)
        progress("competitors", total, len(RIVALS) * (mention_count + review_count))
    FeedbackItem.objects.filter(brand__isnull=False).update(created_at=F("received_at"))
    return total


def _cases_settle(rng: random.Random, *, cutoff: datetime, progress: Progress) -> int:
    """Give the cases opened by the complaints a believable history, and leave the inbox with
    cases in every SLA state: long resolved, waiting for the customer, running, about to
    breach and breached."""
    from support import services as support
    from support.business_time import business_time_between
    from support.models import Case

    support.cases_open_for_feedback(
        ids=list(FeedbackItem.objects.filter(case__isnull=True).values_list("pk", flat=True)), now=cutoff
    )
    cases = list(Case.objects.filter(status=Case.Status.NEW).order_by("pk"))
    for case in cases:
        first_seen = case.feedback_items.order_by("received_at").values_list("received_at", flat=True).first()
        Case.objects.filter(pk=case.pk).update(opened_at=first_seen or cutoff, awaiting_response_since=first_seen)
        case.events.filter(kind="opened").update(created_at=first_seen or cutoff)
    # Newest first: the most recent cases are the ones still being worked on.
    cases = list(Case.objects.filter(pk__in=[case.pk for case in cases]).order_by("-opened_at", "pk"))
    running, at_risk, breached = cases[:3], cases[3:5], cases[5:12]
    waiting, replied, settled = cases[12:17], cases[17:20], cases[20:]
    for case in waiting + replied:
        answered = min(case.opened_at + timedelta(hours=rng.randint(1, 20)), cutoff)
        _demo_reply_sent(case, answered)
        if case in waiting:
            support.case_set_status(case=case, status="pending_customer", now=answered)
    for case in settled:
        _demo_reply_sent(case, case.opened_at + timedelta(hours=rng.randint(1, 30)))
        resolved = min(case.opened_at + timedelta(days=rng.randint(1, 4)), cutoff)
        support.case_set_status(case=case, status="resolved", now=resolved)
        if cutoff - resolved > timedelta(days=7):
            support.case_set_status(case=case, status="closed", now=resolved + timedelta(days=7))
    for case in breached:
        support.case_sla_refresh(case)
    # The demo's replies and follow-ups went out at the time; nothing is emailed now (the send
    # tasks skip anything already sent), and most customers answered the follow-up question.
    from support.models import CaseMessage

    CaseMessage.objects.filter(case__in=cases, kind="reply").update(emailed_at=F("created_at"))
    for case in settled:
        answered = rng.random() < 0.6
        Case.objects.filter(pk=case.pk).update(
            followup_sent_at=F("resolved_at"),
            followup_score=rng.choices((5, 4, 3, 2, 1), (45, 25, 12, 8, 10))[0] if answered else None,
        )
    # Cases arriving right now, and cases whose first-response clock is three quarters gone.
    now = timezone.now()
    for share, group in ((0.1, running), (0.8, at_risk)):
        for case in group:
            case.refresh_from_db()
            target = case.policy.first_response if case.policy and case.policy.first_response else timedelta(hours=8)
            calendar = case.policy.calendar.to_calendar() if case.policy and case.policy.calendar else None
            opened = now
            while business_time_between(calendar, opened, now) < target * share and now - opened < timedelta(days=20):
                opened -= timedelta(minutes=15)
            Case.objects.filter(pk=case.pk).update(opened_at=opened, awaiting_response_since=opened)
            case.refresh_from_db()
            support.case_sla_refresh(case, now=now)
    progress("cases", len(cases), len(cases))
    return len(cases)


# (username, password, role group, language of their emails): the people who hear about the cases.
DEMO_STAFF = (
    ("agente", "agente", roles.AGENTS, "es"),
    ("manager", "manager", roles.MANAGERS, "en"),
)


def _demo_staff() -> None:
    """A support agent and a manager in the demo's team, the agent assigned every case whose SLA
    clock runs: a breach then reaches the agent's bell and email and the manager's, as it would
    in a shop. Made after the cases, so the demo's past complaints notify nobody."""
    from django.contrib.auth.models import Group, User

    from support.models import Case, StaffProfile, Team

    team = Team.objects.filter(slug="atencion-al-cliente").first()
    people = {}
    for username, password, group, language in DEMO_STAFF:
        person, created = User.objects.get_or_create(
            username=username, defaults={"email": f"{username}@voz.localhost", "is_staff": True}
        )
        if created:
            person.set_password(password)
            person.save(update_fields=["password"])
        person.groups.add(Group.objects.get_or_create(name=group)[0])
        StaffProfile.objects.get_or_create(user=person, defaults={"language": language})
        if team is not None:
            team.members.add(person)
        people[username] = person
    Case.objects.filter(status__in=Case.OPEN_STATUSES, sla_due_at__isnull=False).update(assignee=people["agente"])


def _demo_reply_sent(case, at) -> None:
    """A reply as an agent gives it: by email, or drafted for a social post and posted by hand."""
    from support import services as support

    message = support.case_reply(case=case, text=_demo_reply(case), author=None, now=at)
    if message.needs_manual_post:
        support.case_reply_confirm_posted(message=message, actor=None, now=at + timedelta(minutes=5))


def _demo_reply(case) -> str:
    language = case.customer.preferred_language if case.customer else "es"
    if language == "en":
        return "We are sorry about this. We have sent a replacement and refunded the shipping."
    return "Sentimos lo ocurrido. Te hemos enviado un reemplazo y devuelto los gastos de envío."


def planner_statistics_refresh() -> None:
    """Give PostgreSQL's planner the demo's row counts at once.

    Autovacuum analyses a table only some time after it has changed enough, and until then the
    planner takes the freshly filled tables for nearly empty: right after seeding, the competitors
    page took 2.2 s. SQLite keeps no statistics unless asked, and plans well enough without them.
    """
    if connection.vendor != "postgresql":
        return
    # The shop's own tables, by name: a bare ANALYZE also takes the server's shared catalogs
    # (pg_authid, pg_database), and inside a transaction holds them to its end, so every other
    # database's ANALYZE on the same server waits for it (test runs side by side did, for minutes).
    tables = connection.introspection.table_names(include_views=False)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(table) for table in tables))


def demo_data_exists() -> bool:
    """Any customer means the shop is not empty: demo rows must never mix with real ones."""
    return Customer.objects.exists()


def demo_summary(*, now: datetime | None = None, live_links: int = MIN_LIVE_INVITATIONS) -> SeedSummary:
    now = now or timezone.now()
    by_language = {
        row["preferred_language"]: row["count"]
        for row in Customer.objects.order_by().values("preferred_language").annotate(count=Count("pk"))
    }
    by_status = {
        row["status"]: row["count"]
        for row in Invitation.objects.order_by().values("status").annotate(count=Count("pk"))
    }
    scores = Answer.objects.filter(question__kind=Question.Kind.NPS).aggregate(
        promoters=Count("pk", filter=Q(number__gte=9)),
        passives=Count("pk", filter=Q(number__in=(7, 8))),
        detractors=Count("pk", filter=Q(number__lte=6)),
    )
    live = Invitation.objects.filter(status=Invitation.Status.SENT, expires_at__gt=now).order_by("-created_at")
    return SeedSummary(
        customers=sum(by_language.values()),
        customers_by_language={code: by_language.get(code, 0) for code, _name in settings.LANGUAGES},
        products=Product.objects.count(),
        orders=Order.objects.count(),
        delivered_orders=Order.objects.filter(delivered_at__isnull=False).count(),
        invitations_by_status={status: by_status.get(status, 0) for status in Invitation.Status.values},
        responses=Response.objects.count(),
        feedback_items=FeedbackItem.objects.count(),
        reviews=Review.objects.count(),
        mentions=Mention.objects.count(),
        promoters=scores["promoters"],
        passives=scores["passives"],
        detractors=scores["detractors"],
        live_survey_urls=[invitation.url for invitation in live[:live_links]],
    )


def seed_demo(
    *,
    seed: int = 7,
    customers: int = 320,
    orders: int = DEFAULT_ORDERS,
    today: date | None = None,
    progress: Progress | None = None,
) -> SeedSummary:
    """Fill an empty database with a year of a demo shop's life up to the start of `today`.

    Refuses when any customer exists. The same seed and `today` give the same rows, down to the
    survey links.
    """
    if customers < 1 or orders < customers:
        raise DemoSeedInvalid(
            "The demo needs at least one customer and at least as many orders as customers.",
            extra={"orders": ["Every demo customer places at least one order."]},
        )
    if demo_data_exists():
        raise DemoDataExists("The database already has customers; the demo only fills an empty shop.")
    survey = Survey.objects.filter(slug=DEMO_SURVEY_SLUG).first()
    if survey is None:
        raise DemoSeedInvalid(f"The '{DEMO_SURVEY_SLUG}' survey is missing; run the migrations first.")
    missing = {"nps", "reason", "improve", "delivery_csat", "comment"} - set(
        survey.questions.values_list("code", flat=True)
    )
    if missing:
        raise DemoSeedInvalid(f"The '{DEMO_SURVEY_SLUG}' survey lacks the questions {', '.join(sorted(missing))}.")

    today = today or timezone.localdate()
    # Everything happens before today begins, so nothing the demo shows lies in the future.
    cutoff = _aware(today, time.min)
    report = progress or (lambda stage, done, total: None)
    rng = random.Random(seed)

    products_upsert(items=[OrderItemData(sku=item.sku, name=item.name, category=item.category) for item in CATALOGUE])
    people = _plan_people(rng, customers)
    planned_orders = _plan_orders(rng, people=customers, orders=orders, today=today, cutoff=cutoff)
    stored_orders, stored_customers = _orders_store(planned_orders, people, report)
    _customers_backdate(rng, planned_orders, stored_customers)
    _customers_profile(random.Random(seed + 2), planned_orders, stored_customers)

    plans = _plan_invitations(rng, survey=survey, planned=planned_orders, cutoff=cutoff)
    invitations = _invitations_store(
        plans,
        survey=survey,
        orders=stored_orders,
        customers=stored_customers,
        planned_orders=planned_orders,
        progress=report,
    )
    # the effort answers draw from a generator of their own, so the rest of the demo (and the
    # figures its tests know) stays what it was before the survey asked about effort
    _responses_submit(
        plans,
        invitations,
        rng=rng,
        effort_rng=random.Random(seed + 4),
        survey=survey,
        planned_orders=planned_orders,
        progress=report,
    )
    _reviews_and_mentions_store(rng, planned=planned_orders, people=people, cutoff=cutoff, progress=report)
    with transaction.atomic():
        _cases_settle(rng, cutoff=cutoff, progress=report)
        _demo_staff()
    # a stream of its own, so that adding this left every earlier part of the demo as it was
    _lapsed_customers_answer(random.Random(seed + 1), cutoff=cutoff, progress=report)
    _competitors_chatter(random.Random(seed + 3), orders=orders, cutoff=cutoff, progress=report)
    _demo_website()
    _demo_segments()
    # Some demo rows are backdated in bulk, past the services that mark rollups stale.
    rollups.rebuild_all()
    planner_statistics_refresh()
    return demo_summary(now=cutoff)
